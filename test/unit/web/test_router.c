/* SPDX-License-Identifier: MIT */
/* Router: exact paths, ":id" segments, 404 and 405 with Allow. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

/* Parameters are copied into each test process: no pointers inside. */
struct strp {
	char s[48];
};

#include "web/router.h"

static void h1(web_ctx *c)
{
	(void)c;
}
static void h2(web_ctx *c)
{
	(void)c;
}

static const web_route routes[] = {
    {WEB_GET, "/api/peers", h1, 0},
    {WEB_POST, "/api/peers", h2, 0},
    {WEB_DELETE, "/api/peers/:id", h1, 0},
    {WEB_POST, "/api/peers/:id/up", h2, 0},
};

static web_match find(web_method m, const char *path, const web_route **r, int64_t *id, char *allow)
{
	return web_route_find(routes, 4, m, path, r, id, allow, 64);
}

Test(web_router, matches_method_and_exact_path)
{
	const web_route *r = NULL;
	int64_t id = -1;
	char allow[64];

	cr_assert(eq(int, find(WEB_POST, "/api/peers", &r, &id, allow), WEB_MATCH_OK));
	cr_assert(eq(ptr, (void *)r, (void *)&routes[1]));
	cr_assert(eq(i64, id, 0));
	cr_assert(eq(int, find(WEB_GET, "/api/peers/", &r, &id, allow), WEB_MATCH_NOT_FOUND));
	cr_assert(eq(int, find(WEB_GET, "/api/peer", &r, &id, allow), WEB_MATCH_NOT_FOUND));
}

Test(web_router, extracts_id_segment)
{
	const web_route *r = NULL;
	int64_t id = 0;
	char allow[64];

	cr_assert(eq(int, find(WEB_POST, "/api/peers/42/up", &r, &id, allow), WEB_MATCH_OK));
	cr_assert(eq(i64, id, 42));
	cr_assert(eq(int, find(WEB_DELETE, "/api/peers/9223372036854775807", &r, &id, allow), WEB_MATCH_OK));
	cr_assert(eq(i64, id, INT64_MAX));
}

ParameterizedTestParameters(web_router, rejects_bad_ids)
{
	static struct strp bad[] = {{"/api/peers/0"},
	                            {"/api/peers/007"},
	                            {"/api/peers/-1"},
	                            {"/api/peers/1a"},
	                            {"/api/peers/9223372036854775808"},
	                            {"/api/peers/"},
	                            {"/api/peers/1/"}};
	return cr_make_param_array(struct strp, bad, sizeof bad / sizeof bad[0]);
}

ParameterizedTest(struct strp *path, web_router, rejects_bad_ids)
{
	const web_route *r = NULL;
	int64_t id = 0;
	char allow[64];

	cr_assert(eq(int, find(WEB_DELETE, path->s, &r, &id, allow), WEB_MATCH_NOT_FOUND), "matched %s",
	          path->s);
}

Test(web_router, answers_bad_method_with_allowed_list)
{
	const web_route *r = NULL;
	int64_t id = 0;
	char allow[64];

	cr_assert(eq(int, find(WEB_PUT, "/api/peers", &r, &id, allow), WEB_MATCH_BAD_METHOD));
	cr_assert(eq(str, allow, "GET, HEAD, POST"));
	cr_assert(eq(int, find(WEB_GET, "/api/peers/5", &r, &id, allow), WEB_MATCH_BAD_METHOD));
	cr_assert(eq(str, allow, "DELETE"));
}

Test(web_router, treats_head_as_get)
{
	const web_route *r = NULL;
	int64_t id = 0;
	char allow[64];

	cr_assert(eq(int, find(WEB_HEAD, "/api/peers", &r, &id, allow), WEB_MATCH_OK));
	cr_assert(eq(ptr, (void *)r, (void *)&routes[0]));
}
