/* SPDX-License-Identifier: MIT */
/* web/core/src/router.c - exact path matching with ":id" integer segments. */
#include <string.h>

#include "web/router.h"

/* Parses a positive decimal int64 of exactly len bytes, no sign, no leading zero. */
static bool parse_id(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;

	if (len == 0 || len > 19 || s[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool match_pattern(const char *pat, const char *path, int64_t *id)
{
	*id = 0;
	while (*pat && *path) {
		const char *pe, *se;
		size_t pl, sl;

		if (*pat != '/' || *path != '/')
			return false;
		pat++;
		path++;
		pe = strchr(pat, '/');
		se = strchr(path, '/');
		pl = pe ? (size_t)(pe - pat) : strlen(pat);
		sl = se ? (size_t)(se - path) : strlen(path);
		if (pl == 3 && memcmp(pat, ":id", 3) == 0) {
			if (!parse_id(path, sl, id))
				return false;
		} else if (pl != sl || memcmp(pat, path, pl) != 0) {
			return false;
		}
		pat += pl;
		path += sl;
	}
	return *pat == '\0' && *path == '\0';
}

static void append_allow(char *allow, size_t allowlen, const char *name)
{
	size_t used = strlen(allow);

	if (strstr(allow, name))
		return;
	if (used + strlen(name) + 3 > allowlen)
		return;
	if (used)
		strcat(allow, ", ");
	strcat(allow, name);
}

web_match web_route_find(const web_route *routes, size_t n, web_method method, const char *path,
                         const web_route **out, int64_t *id, char *allow, size_t allowlen)
{
	web_method want = method == WEB_HEAD ? WEB_GET : method;
	bool path_seen = false;
	int64_t v;

	if (allow && allowlen)
		allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!match_pattern(routes[i].pattern, path, &v))
			continue;
		if (routes[i].method == want) {
			*out = &routes[i];
			*id = v;
			return WEB_MATCH_OK;
		}
		path_seen = true;
		if (allow && allowlen) {
			append_allow(allow, allowlen, web_method_name(routes[i].method));
			if (routes[i].method == WEB_GET)
				append_allow(allow, allowlen, "HEAD");
		}
	}
	return path_seen ? WEB_MATCH_BAD_METHOD : WEB_MATCH_NOT_FOUND;
}
