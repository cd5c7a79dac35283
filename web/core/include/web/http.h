/* SPDX-License-Identifier: MIT */
/*
 * web/http.h - the front-end-independent HTTP model of the web managers: a request
 * (method, path, query, headers, cookies, body with a hard size limit, client address),
 * a response (status, content type, headers, body) and a router.
 * A front end (libmicrohttpd, FastCGI) fills a web_request, calls web_app_handle()
 * (web/app.h) and writes the web_response back. Nothing here does IO.
 * Not thread-safe per object; separate requests may be handled on separate threads.
 * Pointer arguments are borrowed for the call unless marked "adopted".
 */
#ifndef WEB_HTTP_H
#define WEB_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ike/err.h"

/* Hard limits: a request over them is refused before any handler runs. */
#define WEB_BODY_MAX (16u * 1024u) /* bytes of request body (413 above) */
#define WEB_HEADERS_MAX 64         /* headers kept per request (431 above) */
#define WEB_FIELD_MAX 8192         /* bytes of one header name + value, or of the path */
#define WEB_RESP_HEADERS_MAX 16

typedef enum web_method {
	WEB_GET,
	WEB_HEAD,
	WEB_POST,
	WEB_PUT,
	WEB_DELETE,
	WEB_OTHER,
} web_method;

typedef struct web_header {
	char *name;  /* owned */
	char *value; /* owned */
} web_header;

/* One request. Create with web_request_init, fill through the setters, free with
 * web_request_clear. All strings are owned copies. */
typedef struct web_request {
	web_method method;
	char *path;  /* decoded of nothing: the raw path without the query, starts with '/' */
	char *query; /* raw query string without '?', or NULL */
	web_header headers[WEB_HEADERS_MAX];
	size_t n_headers;
	bool too_many_headers; /* a header was dropped: answered 431 */
	char *body;            /* NUL-terminated, body_len bytes */
	size_t body_len;
	bool body_too_large;  /* more than WEB_BODY_MAX was offered: answered 413 */
	char client_addr[64]; /* "127.0.0.1" or "::1"; empty if unknown */
	bool tls;             /* the connection to the browser is HTTPS (front end or trusted proxy) */
} web_request;

typedef struct web_response {
	int status;
	const char *content_type; /* static string */
	web_header headers[WEB_RESP_HEADERS_MAX];
	size_t n_headers;
	char *body; /* owned */
	size_t body_len;
} web_response;

/* Request lifecycle. web_request_init zeroes req. web_request_clear frees everything
 * req owns and leaves it zeroed; NULL is fine. */
void web_request_init(web_request *req);
void web_request_clear(web_request *req);

/* Sets the method from its name ("GET", ...); unknown names give WEB_OTHER. */
void web_request_set_method(web_request *req, const char *name);

/* Sets path and query from a request target ("/api/peers?x=1"). Returns IKE_OK,
 * IKE_ERR_MALFORMED (not starting with '/', NUL or control bytes),
 * IKE_ERR_LIMIT (longer than WEB_FIELD_MAX) or IKE_ERR_NOMEM. */
int web_request_set_target(web_request *req, const char *target);

/* Adds a header (name compared case-insensitively later). Past WEB_HEADERS_MAX or
 * WEB_FIELD_MAX the header is dropped, too_many_headers set and IKE_ERR_LIMIT returned. */
int web_request_add_header(web_request *req, const char *name, const char *value);

/* Appends body bytes. Once the total would pass WEB_BODY_MAX the body is discarded,
 * body_too_large set, and IKE_ERR_LIMIT returned (later calls return it too). */
int web_request_append_body(web_request *req, const void *data, size_t len);

/* Looks a header up, case-insensitively; the first match, borrowed, or NULL. */
const char *web_request_header(const web_request *req, const char *name);

/* Copies the value of cookie `name` from the Cookie header into out (NUL-terminated).
 * Returns true when found and it fits. */
bool web_request_cookie(const web_request *req, const char *name, char *out, size_t outlen);

const char *web_method_name(web_method m);

/* Response helpers. web_response_clear frees what resp owns; NULL is fine. */
void web_response_clear(web_response *resp);
/* Adds a header (copies both). IKE_ERR_LIMIT past WEB_RESP_HEADERS_MAX, IKE_ERR_NOMEM. */
int web_response_add_header(web_response *resp, const char *name, const char *value);
/* Replaces the body with a copy of data; sets status and content type (static string). */
IKE_MUST_CHECK int web_response_set(web_response *resp, int status, const char *content_type,
                                    const void *data, size_t len);

/* Decodes application/x-www-form-urlencoded text (len bytes) into a jansson object of
 * string values, returned through *out (caller json_decref's it). Returns IKE_OK,
 * IKE_ERR_MALFORMED (bad %-escape, empty or duplicate name, NUL, invalid UTF-8) or
 * IKE_ERR_NOMEM. Declared with void ** so this header needs no jansson include. */
IKE_MUST_CHECK int web_form_parse(const char *text, size_t len, void **out);

/* Constant-time equality of two strings of possibly different lengths (the length
 * difference is not hidden, the content is). */
bool web_str_equal_ct(const char *a, const char *b);

#endif /* WEB_HTTP_H */
