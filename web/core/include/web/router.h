/* SPDX-License-Identifier: MIT */
/*
 * web/router.h - a static route table: method + path pattern -> handler.
 * Patterns are literal segments and ":id" segments, which match a decimal integer
 * in 1..INT64_MAX ("/api/peers/:id"). Matching is exact: no prefixes, no trailing '/'.
 */
#ifndef WEB_ROUTER_H
#define WEB_ROUTER_H
#include <stddef.h>
#include <stdint.h>
#include "web/http.h"

typedef struct web_ctx web_ctx; /* per-request context, defined by the app */
typedef void (*web_handler)(web_ctx *ctx);

enum {
	WEB_ROUTE_AUTH = 1u << 0, /* needs a logged-in session (401 otherwise) */
};

typedef struct web_route {
	web_method method;
	const char *pattern;
	web_handler fn;
	unsigned flags;
} web_route;

typedef enum web_match {
	WEB_MATCH_OK,         /* *out and *id set */
	WEB_MATCH_NOT_FOUND,  /* no pattern matches the path: 404 */
	WEB_MATCH_BAD_METHOD, /* a pattern matches, not with this method: 405, allow filled */
} web_match;

/* Finds the route for (method, path) in routes[0..n). HEAD matches GET routes.
 * On WEB_MATCH_OK, *out points into routes and *id holds the ":id" value (0 if the
 * pattern has none). On WEB_MATCH_BAD_METHOD, allow receives the comma-separated
 * methods that would match ("GET, POST"), truncated to allowlen. */
web_match web_route_find(const web_route *routes, size_t n, web_method method, const char *path,
                         const web_route **out, int64_t *id, char *allow, size_t allowlen);

#endif /* WEB_ROUTER_H */
