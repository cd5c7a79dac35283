/* SPDX-License-Identifier: MIT */
/* The server manager through web_app_handle: limits, CSRF and Origin, sessions,
 * throttling, peer validation and user isolation, against a temp database. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_int.h"
#include "harness.h"

static char *peer_body(const char *alias, const char *pem)
{
	json_t *o = json_pack("{s:s, s:s}", "alias", alias, "pubkey", pem);
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return s;
}

static size_t count_peers(th *t, th_client *c)
{
	th_resp r;
	size_t n;

	th_send(t, c, "GET", "/api/peers", NULL, NULL, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 200), "list: %d %s", r.status, th_error(&r));
	n = json_array_size(json_object_get(r.json, "peers"));
	th_resp_clear(&r);
	return n;
}

static int64_t add_peer(th *t, th_client *c, const char *alias, const char *pem, th_resp *r)
{
	char *body = peer_body(alias, pem);
	int64_t id;

	th_send(t, c, "POST", "/api/peers", NULL, body, NULL, NULL, r);
	free(body);
	id = json_integer_value(json_object_get(json_object_get(r->json, "peer"), "id"));
	return id;
}

Test(web_server, answers_unknown_route_with_404_json_and_security_headers)
{
	th t;
	th_client c = {0};
	th_resp r;

	th_open(&t, WEB_ROLE_SERVER);
	th_send(&t, &c, "GET", "/nope", NULL, NULL, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 404));
	cr_assert(not(eq(str, (char *)th_error(&r), "")));
	cr_assert(not(eq(ptr, strstr(r.headers, "X-Frame-Options: DENY"), NULL)));
	cr_assert(not(eq(ptr, strstr(r.headers, "X-Content-Type-Options: nosniff"), NULL)));
	cr_assert(not(eq(
	    ptr, strstr(r.headers, "Content-Security-Policy: default-src 'none'; script-src 'self'"), NULL)));
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_server, answers_wrong_method_with_405_and_allow)
{
	th t;
	th_client c = {0};
	th_resp r;

	th_open(&t, WEB_ROLE_SERVER);
	th_prime(&t, &c);
	th_send(&t, &c, "DELETE", "/api/peers", NULL, "{}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 405));
	cr_assert(not(eq(ptr, strstr(r.headers, "Allow: GET, HEAD, POST"), NULL)), "%s", r.headers);
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_server, serves_pages_without_inline_script)
{
	th t;
	th_client c = {0};
	web_request req;
	web_response resp = {0};

	th_open(&t, WEB_ROLE_SERVER);
	web_request_init(&req);
	web_request_set_method(&req, "GET");
	cr_assert(eq(int, web_request_set_target(&req, "/"), IKE_OK));
	web_app_handle(t.app, &req, &resp);
	cr_assert(eq(int, resp.status, 200));
	cr_assert(eq(str, (char *)resp.content_type, "text/html; charset=utf-8"));
	cr_assert(not(eq(ptr, strstr(resp.body, "src=\"/static/server.js\""), NULL)));
	cr_assert(eq(ptr, strstr(resp.body, "<script>"), NULL), "no inline script");
	cr_assert(eq(ptr, strstr(resp.body, "<style"), NULL), "no inline style");
	web_response_clear(&resp);
	web_request_clear(&req);
	(void)c;
	th_close(&t);
}

Test(web_server, refuses_oversized_body_with_413_and_changes_nothing)
{
	th t;
	th_client c = {0};
	th_resp r;
	char *big = malloc(WEB_BODY_MAX + 100);

	th_open(&t, WEB_ROLE_SERVER);
	th_prime(&t, &c);
	memset(big, ' ', WEB_BODY_MAX + 99);
	memcpy(big, "{\"login\":\"big\",\"password\":\"long enough pw\"}", 43); /* no NUL */
	big[WEB_BODY_MAX + 99] = '\0';
	th_send(&t, &c, "POST", "/api/signup", NULL, big, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 413));
	th_resp_clear(&r);
	free(big);
	/* The account was not created: logging in as it fails. */
	th_send(&t, &c, "POST", "/api/login", NULL, "{\"login\":\"big\",\"password\":\"long enough pw\"}",
	        NULL, NULL, &r);
	cr_assert(eq(int, r.status, 401));
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_server, refuses_malformed_json_form_and_unknown_content_type)
{
	th t;
	th_client c = {0};
	th_resp r;

	th_open(&t, WEB_ROLE_SERVER);
	th_prime(&t, &c);
	th_send(&t, &c, "POST", "/api/signup", NULL, "{\"login\": ", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 400));
	cr_assert(not(eq(ptr, strstr(th_error(&r), "not valid JSON"), NULL)), "%s", th_error(&r));
	th_resp_clear(&r);
	th_send(&t, &c, "POST", "/api/signup", NULL, "[1,2]", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 400));
	th_resp_clear(&r);
	th_send(&t, &c, "POST", "/api/signup", "application/x-www-form-urlencoded", "login=a&login=b", NULL,
	        NULL, &r);
	cr_assert(eq(int, r.status, 400));
	th_resp_clear(&r);
	th_send(&t, &c, "POST", "/api/signup", "text/plain", "login=a", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 415));
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_server, accepts_a_urlencoded_form)
{
	th t;
	th_client c = {0};
	th_resp r;

	th_open(&t, WEB_ROLE_SERVER);
	th_prime(&t, &c);
	th_send(&t, &c, "POST", "/api/signup", "application/x-www-form-urlencoded",
	        "login=carol&password=carol+password", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 201), "%d %s", r.status, th_error(&r));
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_server, refuses_state_change_without_or_with_wrong_csrf_token)
{
	th t;
	th_client c = {0};
	th_resp r;
	const char *body = "{\"login\":\"mallory\",\"password\":\"long enough pw\"}";

	th_open(&t, WEB_ROLE_SERVER);
	th_prime(&t, &c);
	th_send(&t, &c, "POST", "/api/signup", NULL, body, NULL, "", &r);
	cr_assert(eq(int, r.status, 403));
	th_resp_clear(&r);
	th_send(&t, &c, "POST", "/api/signup", NULL, body, NULL,
	        "0000000000000000000000000000000000000000000000000000000000000000", &r);
	cr_assert(eq(int, r.status, 403));
	th_resp_clear(&r);
	/* A cookie-less forger who knows a token of its own still fails. */
	th_client f = {0};
	th_send(&t, &f, "POST", "/api/signup", NULL, body, NULL, c.csrf, &r);
	cr_assert(eq(int, r.status, 403));
	th_resp_clear(&r);
	th_send(&t, &c, "POST", "/api/login", NULL, body, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 401), "mallory was not created");
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_server, refuses_cross_origin_post_even_with_valid_token)
{
	th t;
	th_client c = {0};
	th_resp r;

	th_open(&t, WEB_ROLE_SERVER);
	th_signup(&t, &c, "alice", "alice password");
	char *pem = th_rsa_pub_pem(2048), *body = peer_body("box", pem);
	th_send(&t, &c, "POST", "/api/peers", NULL, body, "http://127.0.0.1:9999", NULL, &r);
	cr_assert(eq(int, r.status, 403));
	cr_assert(not(eq(ptr, strstr(th_error(&r), "another site"), NULL)));
	th_resp_clear(&r);
	th_send(&t, &c, "POST", "/api/peers", NULL, body, "null", NULL, &r);
	cr_assert(eq(int, r.status, 403));
	th_resp_clear(&r);
	cr_assert(eq(sz, count_peers(&t, &c), 0));
	free(body);
	free(pem);
	th_close(&t);
}

Test(web_server, expires_sessions_after_their_lifetime)
{
	th t;
	th_client c = {0};
	th_resp r;

	th_open(&t, WEB_ROLE_SERVER);
	th_signup(&t, &c, "alice", "alice password");
	cr_assert(eq(sz, count_peers(&t, &c), 0));
	t.now += 3599;
	cr_assert(eq(sz, count_peers(&t, &c), 0), "still valid just before expiry");
	t.now += 2;
	th_send(&t, &c, "GET", "/api/peers", NULL, NULL, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 401));
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_server, logout_ends_the_session)
{
	th t;
	th_client c = {0};
	th_resp r;
	char old_sid[80];

	th_open(&t, WEB_ROLE_SERVER);
	th_signup(&t, &c, "alice", "alice password");
	strcpy(old_sid, c.sid);
	th_send(&t, &c, "POST", "/api/logout", NULL, "{}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 200));
	th_resp_clear(&r);
	strcpy(c.sid, old_sid); /* a replayed cookie no longer works */
	th_send(&t, &c, "GET", "/api/peers", NULL, NULL, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 401));
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_server, refuses_short_password_and_bad_login_at_signup)
{
	th t;
	th_client c = {0};
	th_resp r;

	th_open(&t, WEB_ROLE_SERVER);
	th_prime(&t, &c);
	th_send(&t, &c, "POST", "/api/signup", NULL, "{\"login\":\"al\",\"password\":\"short\"}", NULL, NULL,
	        &r);
	cr_assert(eq(int, r.status, 400));
	cr_assert(eq(str, (char *)th_field(&r), "password"));
	th_resp_clear(&r);
	th_send(&t, &c, "POST", "/api/signup", NULL, "{\"login\":\"a b\",\"password\":\"long enough pw\"}",
	        NULL, NULL, &r);
	cr_assert(eq(int, r.status, 400));
	cr_assert(eq(str, (char *)th_field(&r), "login"));
	th_resp_clear(&r);
	th_signup(&t, &c, "alice", "alice password");
	th_send(&t, &c, "POST", "/api/signup", NULL, "{\"login\":\"ALICE\",\"password\":\"other password\"}",
	        NULL, NULL, &r);
	cr_assert(eq(int, r.status, 409));
	cr_assert(eq(str, (char *)th_field(&r), "login"));
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_server, slows_down_repeated_failed_logins)
{
	th t;
	th_client c = {0}, d = {0};
	th_resp r;
	const char *bad = "{\"login\":\"alice\",\"password\":\"wrong password\"}";
	const char *good = "{\"login\":\"alice\",\"password\":\"alice password\"}";

	th_open(&t, WEB_ROLE_SERVER);
	th_signup(&t, &c, "alice", "alice password");
	for (int i = 0; i < WEB_THROTTLE_FREE; i++) {
		th_send(&t, &c, "POST", "/api/login", NULL, bad, NULL, NULL, &r);
		cr_assert(eq(int, r.status, 401), "attempt %d", i);
		th_resp_clear(&r);
	}
	/* Now locked for 1 s, even with the right password, and from another address. */
	th_send(&t, &c, "POST", "/api/login", NULL, good, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 429));
	cr_assert(not(eq(ptr, strstr(r.headers, "Retry-After: 1"), NULL)), "%s", r.headers);
	th_resp_clear(&r);
	strcpy(d.addr, "192.0.2.9");
	th_prime(&t, &d);
	th_send(&t, &d, "POST", "/api/login", NULL, good, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 429), "per login, not only per address");
	th_resp_clear(&r);
	t.now += 1;
	th_send(&t, &c, "POST", "/api/login", NULL, bad, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 401));
	th_resp_clear(&r);
	th_send(&t, &c, "POST", "/api/login", NULL, good, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 429), "the window doubled to 2 s");
	th_resp_clear(&r);
	t.now += 2;
	th_send(&t, &c, "POST", "/api/login", NULL, good, NULL, NULL, &r);
	cr_assert(eq(int, r.status, 200), "%d %s", r.status, th_error(&r));
	th_resp_clear(&r);
	th_close(&t);
}

Test(web_server, throttle_window_doubles_and_is_capped)
{
	cr_assert(eq(i64, web__throttle_wait(2, 100, 100), 0));
	cr_assert(eq(i64, web__throttle_wait(3, 100, 100), 1));
	cr_assert(eq(i64, web__throttle_wait(5, 100, 100), 4));
	cr_assert(eq(i64, web__throttle_wait(5, 100, 103), 1));
	cr_assert(eq(i64, web__throttle_wait(5, 100, 104), 0));
	cr_assert(eq(i64, web__throttle_wait(40, 100, 100), WEB_THROTTLE_MAX_S));
}

Test(web_server, validates_peer_keys_and_names)
{
	th t;
	th_client c = {0};
	th_resp r;
	char *good = th_rsa_pub_pem(2048), *weak = th_rsa_pub_pem(1024), *other = th_rsa_pub_pem(2048);

	th_open(&t, WEB_ROLE_SERVER);
	th_signup(&t, &c, "alice", "alice password");
	add_peer(&t, &c, "box", "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n", &r);
	cr_assert(eq(int, r.status, 400));
	cr_assert(eq(str, (char *)th_field(&r), "pubkey"));
	th_resp_clear(&r);
	add_peer(&t, &c, "box", weak, &r);
	cr_assert(eq(int, r.status, 400));
	cr_assert(eq(str, (char *)th_field(&r), "pubkey"));
	cr_assert(not(eq(ptr, strstr(th_error(&r), "2048"), NULL)), "%s", th_error(&r));
	th_resp_clear(&r);
	add_peer(&t, &c, "", good, &r);
	cr_assert(eq(int, r.status, 400));
	cr_assert(eq(str, (char *)th_field(&r), "alias"));
	th_resp_clear(&r);
	cr_assert(gt(i64, add_peer(&t, &c, "box", good, &r), 0));
	cr_assert(eq(int, r.status, 201));
	th_resp_clear(&r);
	add_peer(&t, &c, "box2", good, &r);
	cr_assert(eq(int, r.status, 409), "duplicate key");
	cr_assert(eq(str, (char *)th_field(&r), "pubkey"));
	th_resp_clear(&r);
	add_peer(&t, &c, "box", other, &r);
	cr_assert(eq(int, r.status, 409), "duplicate alias");
	cr_assert(eq(str, (char *)th_field(&r), "alias"));
	th_resp_clear(&r);
	cr_assert(eq(sz, count_peers(&t, &c), 1), "nothing half-written");
	free(good);
	free(weak);
	free(other);
	th_close(&t);
}

Test(web_server, duplicate_key_is_refused_across_users)
{
	th t;
	th_client a = {0}, b = {0};
	th_resp r;
	char *pem = th_rsa_pub_pem(2048);

	th_open(&t, WEB_ROLE_SERVER);
	th_signup(&t, &a, "alice", "alice password");
	th_signup(&t, &b, "bob", "bob password!");
	add_peer(&t, &a, "box", pem, &r);
	cr_assert(eq(int, r.status, 201));
	th_resp_clear(&r);
	add_peer(&t, &b, "box", pem, &r);
	cr_assert(eq(int, r.status, 409));
	cr_assert(eq(str, (char *)th_field(&r), "pubkey"));
	th_resp_clear(&r);
	free(pem);
	th_close(&t);
}

Test(web_server, isolates_users_from_each_others_peers)
{
	th t;
	th_client a = {0}, b = {0};
	th_resp r;
	char *pem = th_rsa_pub_pem(2048), path[64];
	int64_t id;

	th_open(&t, WEB_ROLE_SERVER);
	th_signup(&t, &a, "alice", "alice password");
	th_signup(&t, &b, "bob", "bob password!");
	id = add_peer(&t, &a, "box", pem, &r);
	cr_assert(eq(int, r.status, 201));
	th_resp_clear(&r);
	cr_assert(eq(sz, count_peers(&t, &b), 0), "bob sees none of alice's peers");
	snprintf(path, sizeof path, "/api/peers/%lld", (long long)id);
	th_send(&t, &b, "PUT", path, NULL, "{\"alias\":\"mine now\"}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 404));
	th_resp_clear(&r);
	th_send(&t, &b, "DELETE", path, NULL, "{}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 404));
	th_resp_clear(&r);
	th_send(&t, &a, "GET", "/api/peers", NULL, NULL, NULL, NULL, &r);
	json_t *p = json_array_get(json_object_get(r.json, "peers"), 0);
	cr_assert(eq(str, (char *)json_string_value(json_object_get(p, "alias")), "box"));
	th_resp_clear(&r);
	/* A session's CSRF token is bound to it: bob's token does not work with alice's cookie. */
	th_client mix = a;
	strcpy(mix.csrf, b.csrf);
	th_send(&t, &mix, "DELETE", path, NULL, "{}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 401));
	th_resp_clear(&r);
	th_send(&t, &a, "PUT", path, NULL, "{\"alias\":\"living room\"}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 200));
	th_resp_clear(&r);
	th_send(&t, &a, "DELETE", path, NULL, "{}", NULL, NULL, &r);
	cr_assert(eq(int, r.status, 200));
	th_resp_clear(&r);
	cr_assert(eq(sz, count_peers(&t, &a), 0));
	free(pem);
	th_close(&t);
}

Test(web_server, reports_medsrv_not_running_when_socket_is_absent)
{
	th t;
	th_client c = {0};
	th_resp r;

	th_open(&t, WEB_ROLE_SERVER);
	th_signup(&t, &c, "alice", "alice password");
	th_send(&t, &c, "GET", "/api/peers", NULL, NULL, NULL, NULL, &r);
	cr_assert(eq(str, (char *)json_string_value(json_object_get(r.json, "server")), "not running"));
	th_resp_clear(&r);
	th_close(&t);
}

/* Sends a signup with only a Referer (no Origin), as some browsers do. */
static int signup_with_referer(th *t, th_client *c, const char *login, const char *referer)
{
	web_request req;
	web_response resp = {0};
	char cookie[200], body[128];
	int status;

	web_request_init(&req);
	web_request_set_method(&req, "POST");
	cr_assert(eq(int, web_request_set_target(&req, "/api/signup"), IKE_OK));
	web_request_add_header(&req, "Host", TH_HOST);
	web_request_add_header(&req, "Referer", referer);
	snprintf(cookie, sizeof cookie, "mw_csrf=%s", c->csrf);
	web_request_add_header(&req, "Cookie", cookie);
	web_request_add_header(&req, "X-CSRF-Token", c->csrf);
	web_request_add_header(&req, "Content-Type", "application/json");
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"long enough pw\"}", login);
	web_request_append_body(&req, body, strlen(body));
	web_app_handle(t->app, &req, &resp);
	status = resp.status;
	web_response_clear(&resp);
	web_request_clear(&req);
	return status;
}

Test(web_server, checks_referer_when_there_is_no_origin)
{
	th t;
	th_client c = {0};

	th_open(&t, WEB_ROLE_SERVER);
	th_prime(&t, &c);
	cr_assert(eq(int, signup_with_referer(&t, &c, "eve", "http://127.0.0.1:8080.evil.example/"), 403));
	cr_assert(eq(int, signup_with_referer(&t, &c, "eve", "https://127.0.0.1:8080/"), 403),
	          "scheme differs");
	cr_assert(eq(int, signup_with_referer(&t, &c, "dave", TH_ORIGIN "/"), 201));
	th_close(&t);
}

Test(web_server, marks_cookies_secure_only_over_tls)
{
	th t;
	th_client c = {0};
	th_resp r;
	web_request req;
	web_response resp = {0};
	bool secure = false;

	th_open(&t, WEB_ROLE_SERVER);
	th_send(&t, &c, "GET", "/api/session", NULL, NULL, NULL, NULL, &r);
	cr_assert(eq(ptr, strstr(r.headers, "Secure"), NULL), "plain HTTP: %s", r.headers);
	cr_assert(not(eq(ptr, strstr(r.headers, "HttpOnly; SameSite=Strict"), NULL)));
	th_resp_clear(&r);
	web_request_init(&req);
	web_request_set_method(&req, "GET");
	cr_assert(eq(int, web_request_set_target(&req, "/api/session"), IKE_OK));
	req.tls = true;
	web_app_handle(t.app, &req, &resp);
	for (size_t i = 0; i < resp.n_headers; i++) {
		if (strcmp(resp.headers[i].name, "Set-Cookie") == 0)
			secure = strstr(resp.headers[i].value, "; Secure") != NULL;
	}
	cr_assert(secure);
	web_response_clear(&resp);
	web_request_clear(&req);
	th_close(&t);
}

struct log_seen {
	int n;
	ike_log_level lvl;
	char msg[512];
};

static void record_log(void *user, const ike_log_rec *rec)
{
	struct log_seen *s = user;

	s->n++;
	s->lvl = rec->lvl;
	snprintf(s->msg, sizeof s->msg, "%s", rec->msg);
}

Test(web_server, logs_one_line_per_request_with_the_refusal_reason)
{
	char dir[] = "/tmp/test_web_log_XXXXXX";
	struct log_seen seen = {0};
	web_options o;
	web_app *app = NULL;
	web_request req;
	web_response resp = {0};

	cr_assert(not(eq(ptr, mkdtemp(dir), NULL)));
	web_options_defaults(&o);
	o.dir = dir;
	o.log = record_log;
	o.log_user = &seen;
	cr_assert(eq(int, web_app_new(&app, &o), IKE_OK));
	web_request_init(&req);
	web_request_set_method(&req, "POST");
	cr_assert(eq(int, web_request_set_target(&req, "/api/login"), IKE_OK));
	snprintf(req.client_addr, sizeof req.client_addr, "192.0.2.1");
	web_app_handle(app, &req, &resp);
	cr_assert(eq(int, seen.n, 1));
	cr_assert(eq(int, seen.lvl, IKE_LOG_WARN));
	cr_assert(not(eq(ptr, strstr(seen.msg, "POST /api/login 403 from 192.0.2.1: Refused"), NULL)), "%s",
	          seen.msg);
	web_response_clear(&resp);
	web_request_clear(&req);
	web_app_free(app);
	char cmd[96];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert(eq(int, system(cmd), 0));
}

Test(web_server, limits_the_number_of_peers_per_account)
{
	th t;
	th_client c = {0};
	th_resp r;
	char alias[16];

	th_open(&t, WEB_ROLE_SERVER); /* the harness allows 3 peers per account */
	th_signup(&t, &c, "alice", "alice password");
	for (int i = 0; i < 4; i++) {
		char *pem = th_rsa_pub_pem(2048);
		json_t *o;
		char *body;

		snprintf(alias, sizeof alias, "box%d", i);
		o = json_pack("{s:s, s:s}", "alias", alias, "pubkey", pem);
		body = json_dumps(o, JSON_COMPACT);
		th_send(&t, &c, "POST", "/api/peers", NULL, body, NULL, NULL, &r);
		cr_assert(eq(int, r.status, i < 3 ? 201 : 409), "peer %d: %d %s", i, r.status, th_error(&r));
		th_resp_clear(&r);
		json_decref(o);
		free(body);
		free(pem);
	}
	th_close(&t);
}

static int get_with_host(th *t, const char *host)
{
	web_request req;
	web_response resp = {0};
	int status;

	web_request_init(&req);
	web_request_set_method(&req, "GET");
	cr_assert(eq(int, web_request_set_target(&req, "/api/session"), IKE_OK));
	web_request_add_header(&req, "Host", host);
	web_app_handle(t->app, &req, &resp);
	status = resp.status;
	web_response_clear(&resp);
	web_request_clear(&req);
	return status;
}

Test(web_server, answers_only_to_ip_literals_localhost_and_configured_names)
{
	th t;

	th_open(&t, WEB_ROLE_SERVER);
	cr_assert(eq(int, get_with_host(&t, "127.0.0.1:8080"), 200));
	cr_assert(eq(int, get_with_host(&t, "localhost:8080"), 200));
	cr_assert(eq(int, get_with_host(&t, "[::1]:8080"), 200));
	cr_assert(eq(int, get_with_host(&t, "198.51.100.7"), 200));
	cr_assert(eq(int, get_with_host(&t, "rebind.attacker.example:8080"), 421), "DNS rebinding");
	cr_assert(eq(int, get_with_host(&t, "[::1"), 421));
	cr_assert(eq(int, get_with_host(&t, "med.example.org"), 421));
	th_close(&t);
}

Test(web_server, answers_to_names_given_with_host_option)
{
	char dir[] = "/tmp/test_web_host_XXXXXX";
	web_options o;
	th t = {0};

	cr_assert(not(eq(ptr, mkdtemp(dir), NULL)));
	web_options_defaults(&o);
	o.dir = dir;
	o.allowed_hosts = "med.example.org,manager.example.net";
	cr_assert(eq(int, web_app_new(&t.app, &o), IKE_OK));
	snprintf(t.dir, sizeof t.dir, "%s", dir);
	cr_assert(eq(int, get_with_host(&t, "MED.example.org:443"), 200));
	cr_assert(eq(int, get_with_host(&t, "manager.example.net"), 200));
	cr_assert(eq(int, get_with_host(&t, "example.org"), 421));
	cr_assert(eq(int, get_with_host(&t, "med.example.org.evil"), 421));
	th_close(&t);
}

static int login_via_proxy(th *t, const char *csrf, const char *xff, const char *login)
{
	web_request req;
	web_response resp = { 0 };
	char cookie[120], body[128];
	int status;

	web_request_init(&req);
	web_request_set_method(&req, "POST");
	cr_assert(eq(int, web_request_set_target(&req, "/api/login"), IKE_OK));
	web_request_add_header(&req, "Host", TH_HOST);
	web_request_add_header(&req, "X-Forwarded-For", xff);
	snprintf(cookie, sizeof cookie, "mw_csrf=%s", csrf);
	web_request_add_header(&req, "Cookie", cookie);
	web_request_add_header(&req, "X-CSRF-Token", csrf);
	web_request_add_header(&req, "Content-Type", "application/json");
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"wrong password\"}", login);
	web_request_append_body(&req, body, strlen(body));
	snprintf(req.client_addr, sizeof req.client_addr, "127.0.0.1"); /* the proxy */
	web_app_handle(t->app, &req, &resp);
	status = resp.status;
	web_response_clear(&resp);
	web_request_clear(&req);
	return status;
}

static int64_t frozen_clock(void *user)
{
	(void)user;
	return 2000000;
}

Test(web_server, throttles_by_forwarded_address_behind_a_trusted_proxy)
{
	char dir[] = "/tmp/test_web_xff_XXXXXX";
	const char *csrf = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	web_options o;
	th t = { 0 };

	cr_assert(not(eq(ptr, mkdtemp(dir), NULL)));
	web_options_defaults(&o);
	o.dir = dir;
	o.trust_proxy = true;
	o.now = frozen_clock; /* the lockout windows are seconds: no real clock in the test */
	cr_assert(eq(int, web_app_new(&t.app, &o), IKE_OK));
	snprintf(t.dir, sizeof t.dir, "%s", dir);
	/* Different logins from one browser address: the per-address counter trips. */
	for (int i = 0; i < WEB_THROTTLE_FREE; i++) {
		char login[16];
		snprintf(login, sizeof login, "user%d", i);
		cr_assert(eq(int, login_via_proxy(&t, csrf, "10.0.0.1, 192.0.2.1", login), 401));
	}
	cr_assert(eq(int, login_via_proxy(&t, csrf, "192.0.2.1", "fresh"), 429));
	/* Another browser behind the same proxy is not locked out. */
	cr_assert(eq(int, login_via_proxy(&t, csrf, "192.0.2.2", "fresh"), 401));
	th_close(&t);
}

/* A damaged database stops the manager with db/'s reason, for both roles (the
 * command line prints it after "cannot open the state in DIR: "). */
Test(web_server, refuses_an_emptied_database_and_says_why)
{
	char dir[] = "/tmp/test_web_db_XXXXXX", path[128], err[256], cmd[160];
	web_options o;
	web_app *app = (web_app *)1;
	FILE *f;

	cr_assert(not(eq(ptr, mkdtemp(dir), NULL)));
	web_options_defaults(&o);
	o.dir = dir;
	for (int role = 0; role < 2; role++) {
		o.role = role ? WEB_ROLE_CLIENT : WEB_ROLE_SERVER;
		snprintf(path, sizeof path, "%s/%s", dir, role ? "medcli.db" : "medsrv.db");
		f = fopen(path, "w");
		cr_assert(f != NULL);
		fclose(f);
		cr_assert(eq(int, web_app_open(&app, &o, err, sizeof err), IKE_ERR_DB));
		cr_assert(eq(ptr, app, NULL));
		cr_assert(strstr(err, "empty (0 bytes)") != NULL, "%s", err);
		cr_assert(strstr(err, role ? "`medcli init`" : "`medsrv init`") != NULL, "%s", err);
		/* The file is not taken over. */
		cr_assert(eq(int, unlink(path), 0));
		cr_assert(eq(int, web_app_open(&app, &o, err, sizeof err), IKE_OK), "%s", err);
		cr_assert(eq(str, err, ""));
		web_app_free(app);
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert(eq(int, system(cmd), 0));
}
