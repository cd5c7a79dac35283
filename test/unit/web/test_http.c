/* SPDX-License-Identifier: MIT */
/* Request model: targets, headers, cookies, body limit, form decoding. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

/* Parameters are copied into each test process: no pointers inside. */
struct strp {
	char s[48];
};
#include <jansson.h>
#include <string.h>

#include "web/http.h"

Test(web_http, keeps_path_and_query_apart)
{
	web_request r;

	web_request_init(&r);
	cr_assert(eq(int, web_request_set_target(&r, "/api/peers?x=1&y"), IKE_OK));
	cr_assert(eq(str, r.path, "/api/peers"));
	cr_assert(eq(str, r.query, "x=1&y"));
	web_request_clear(&r);
}

Test(web_http, rejects_target_without_slash_or_with_control_bytes)
{
	web_request r;

	web_request_init(&r);
	cr_assert(eq(int, web_request_set_target(&r, "api"), IKE_ERR_MALFORMED));
	cr_assert(eq(int, web_request_set_target(&r, "/a\nb"), IKE_ERR_MALFORMED));
	cr_assert(eq(ptr, r.path, NULL));
	web_request_clear(&r);
}

Test(web_http, refuses_body_over_limit_and_discards_it)
{
	web_request r;
	static char big[WEB_BODY_MAX];

	web_request_init(&r);
	memset(big, 'a', sizeof big);
	cr_assert(eq(int, web_request_append_body(&r, big, sizeof big), IKE_OK));
	cr_assert(eq(int, web_request_append_body(&r, "b", 1), IKE_ERR_LIMIT));
	cr_assert(r.body_too_large);
	cr_assert(eq(sz, r.body_len, 0));
	cr_assert(eq(int, web_request_append_body(&r, "c", 1), IKE_ERR_LIMIT), "stays refused");
	web_request_clear(&r);
}

Test(web_http, flags_too_many_headers)
{
	web_request r;

	web_request_init(&r);
	for (int i = 0; i < WEB_HEADERS_MAX; i++)
		cr_assert(eq(int, web_request_add_header(&r, "X-A", "1"), IKE_OK));
	cr_assert(eq(int, web_request_add_header(&r, "X-B", "1"), IKE_ERR_LIMIT));
	cr_assert(r.too_many_headers);
	web_request_clear(&r);
}

Test(web_http, finds_cookie_among_several_and_headers_case_insensitively)
{
	web_request r;
	char v[32];

	web_request_init(&r);
	cr_assert(eq(int, web_request_add_header(&r, "cookie", "a=1; mw_sid=abc; mw_sidx=no"), IKE_OK));
	cr_assert(eq(str, (char *)web_request_header(&r, "COOKIE"), "a=1; mw_sid=abc; mw_sidx=no"));
	cr_assert(web_request_cookie(&r, "mw_sid", v, sizeof v));
	cr_assert(eq(str, v, "abc"));
	cr_assert(not(web_request_cookie(&r, "mw", v, sizeof v)));
	cr_assert(not(web_request_cookie(&r, "mw_sidx", v, 2)), "does not fit");
	web_request_clear(&r);
}

Test(web_form, decodes_escapes_and_plus)
{
	void *obj = NULL;
	const char *text = "alias=my+box&pubkey=a%2Fb%0A";

	cr_assert(eq(int, web_form_parse(text, strlen(text), &obj), IKE_OK));
	cr_assert(eq(str, (char *)json_string_value(json_object_get(obj, "alias")), "my box"));
	cr_assert(eq(str, (char *)json_string_value(json_object_get(obj, "pubkey")), "a/b\n"));
	json_decref(obj);
}

ParameterizedTestParameters(web_form, rejects_malformed)
{
	static struct strp bad[] = {{"a=%4"}, {"a=%zz"}, {"=x"}, {"a=1&a=2"}, {"a=%00"}, {"a=%ff%fe"}};
	return cr_make_param_array(struct strp, bad, sizeof bad / sizeof bad[0]);
}

ParameterizedTest(struct strp *text, web_form, rejects_malformed)
{
	void *obj = NULL;

	cr_assert(eq(int, web_form_parse(text->s, strlen(text->s), &obj), IKE_ERR_MALFORMED), "accepted %s",
	          text->s);
	cr_assert(eq(ptr, obj, NULL));
}

Test(web_http, compares_tokens_by_content_and_length)
{
	cr_assert(web_str_equal_ct("abc", "abc"));
	cr_assert(not(web_str_equal_ct("abc", "abd")));
	cr_assert(not(web_str_equal_ct("abc", "abcd")));
	cr_assert(not(web_str_equal_ct("", "a")));
}
