/* SPDX-License-Identifier: MIT */
/* web/core/src/app.c - the dispatcher both managers share: limits, static files,
 * routing, Origin and CSRF checks, body parsing, sessions, security headers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <arpa/inet.h>

#include <sodium.h>

#include "app_int.h"
#include "ctl.h"

/* No inline script or style anywhere: the pages load only files under /static/. */
#define WEB_CSP                                                                                              \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "                    \
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

void web_options_defaults(web_options *o)
{
	memset(o, 0, sizeof *o);
	o->role = WEB_ROLE_SERVER;
	o->session_ttl_s = 8 * 3600;
	o->min_password = 10;
	o->max_peers = 100;
}

static char *dup_opt(const char *s)
{
	return s ? strdup(s) : NULL;
}

int web_app_new(web_app **out, const web_options *opts)
{
	return web_app_open(out, opts, NULL, 0);
}

int web_app_open(web_app **out, const web_options *opts, char *err, size_t errlen)
{
	web_app *app;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!opts->dir || !opts->dir[0])
		return IKE_ERR_INVAL;
	if (sodium_init() < 0)
		return IKE_ERR_CRYPTO;
	app = calloc(1, sizeof *app);
	if (!app)
		return IKE_ERR_NOMEM;
	app->opts = *opts;
	if (!app->opts.session_ttl_s)
		app->opts.session_ttl_s = 8 * 3600;
	if (!app->opts.min_password)
		app->opts.min_password = 10;
	if (!app->opts.max_peers)
		app->opts.max_peers = 100;
	app->dir = strdup(opts->dir);
	app->extra_origin = dup_opt(opts->extra_origin);
	app->allowed_hosts = dup_opt(opts->allowed_hosts);
	if (opts->ctl_path) {
		app->ctl_path = strdup(opts->ctl_path);
	} else {
		size_t n = strlen(opts->dir) + 16;
		app->ctl_path = malloc(n);
		if (app->ctl_path)
			snprintf(app->ctl_path, n, "%s/%s", opts->dir,
			         opts->role == WEB_ROLE_SERVER ? "medsrv.ctl" : "medcli.ctl");
	}
	if (!app->dir || !app->ctl_path || (opts->extra_origin && !app->extra_origin) ||
	    (opts->allowed_hosts && !app->allowed_hosts)) {
		rc = IKE_ERR_NOMEM;
		goto fail;
	}
	app->opts.dir = app->dir;
	app->opts.ctl_path = app->ctl_path;
	app->opts.extra_origin = app->extra_origin;
	app->opts.allowed_hosts = app->allowed_hosts;
	pthread_mutex_init(&app->lock, NULL);
	if (opts->role == WEB_ROLE_SERVER) {
		app->routes = web__server_routes;
		app->n_routes = web__n_server_routes;
		app->index_asset = "server.html";
		rc = web__server_open(app, err, errlen);
	} else {
		app->routes = web__client_routes;
		app->n_routes = web__n_client_routes;
		app->index_asset = "client.html";
		rc = web__client_open(app, err, errlen);
	}
	if (rc != IKE_OK) {
		pthread_mutex_destroy(&app->lock);
		goto fail;
	}
	*out = app;
	return IKE_OK;
fail:
	free(app->dir);
	free(app->ctl_path);
	free(app->extra_origin);
	free(app->allowed_hosts);
	free(app);
	return rc;
}

void web_app_free(web_app *app)
{
	if (!app)
		return;
	if (app->opts.role == WEB_ROLE_SERVER)
		web__server_close(app);
	else
		web__client_close(app);
	pthread_mutex_destroy(&app->lock);
	free(app->dir);
	free(app->ctl_path);
	free(app->extra_origin);
	free(app->allowed_hosts);
	free(app);
}

/* ---- helpers shared by the handlers ---- */

void web__reply_json(web_ctx *ctx, int status, json_t *json)
{
	char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;

	json_decref(json);
	if (!text) {
		static const char oom[] = "{\"error\":\"The server ran out of memory.\"}";
		if (web_response_set(ctx->resp, 500, "application/json", oom, sizeof oom - 1) != IKE_OK)
			ctx->resp->status = 500;
		return;
	}
	if (web_response_set(ctx->resp, status, "application/json", text, strlen(text)) != IKE_OK)
		ctx->resp->status = 500;
	free(text);
}

void web__reply_error(web_ctx *ctx, int status, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	web__reply_json(ctx, status, json_pack("{s:s, s:s?}", "error", msg, "field", field));
}

void web__set_cookie(web_ctx *ctx, const char *name, const char *value, long max_age)
{
	char line[256];

	snprintf(line, sizeof line, "%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s", name,
	         max_age < 0 ? "" : value, max_age < 0 ? 0 : max_age, ctx->secure ? "; Secure" : "");
	if (web_response_add_header(ctx->resp, "Set-Cookie", line) != IKE_OK)
		ctx->resp->status = 500;
}

const char *web__field(web_ctx *ctx, const char *name)
{
	json_t *v = ctx->body ? json_object_get(ctx->body, name) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void web__random_token(char out[WEB_TOKEN_HEX + 1])
{
	unsigned char raw[WEB_TOKEN_HEX / 2];

	randombytes_buf(raw, sizeof raw);
	to_hex(raw, sizeof raw, out);
	sodium_memzero(raw, sizeof raw);
}

void web__token_hash(const char *token, char out[WEB_TOKEN_HEX + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	to_hex(h, sizeof h, out);
}

int web__password_hash(const char *password, char out[128])
{
	if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return IKE_ERR_NOMEM;
	return IKE_OK;
}

bool web__password_verify(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static char dummy_hash[crypto_pwhash_STRBYTES];

static void make_dummy_hash(void)
{
	if (crypto_pwhash_str(dummy_hash, "not a password", 14, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		dummy_hash[0] = '\0';
}

void web__password_burn(const char *password)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, make_dummy_hash);
	if (dummy_hash[0] && crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0)
		return; /* cannot match: the result is irrelevant, only the time spent counts */
}

int64_t web__throttle_wait(int64_t failures, int64_t last_failure, int64_t now)
{
	int64_t window, until;

	if (failures < WEB_THROTTLE_FREE)
		return 0;
	window = failures - WEB_THROTTLE_FREE >= 10 ? WEB_THROTTLE_MAX_S
	                                            : (int64_t)1 << (failures - WEB_THROTTLE_FREE);
	if (window > WEB_THROTTLE_MAX_S)
		window = WEB_THROTTLE_MAX_S;
	until = last_failure + window;
	return until > now ? until - now : 0;
}

int web__ctl_ask(web_ctx *ctx, json_t *req, json_t **reply)
{
	int rc;

	/* Handlers run under the app lock (web_app_handle); nothing shared is touched here. */
	pthread_mutex_unlock(&ctx->app->lock);
	rc = web__ctl_call(ctx->app->ctl_path, req, reply);
	pthread_mutex_lock(&ctx->app->lock);
	return rc;
}

/* ---- the dispatcher ---- */

static void add_security_headers(web_response *resp, bool api)
{
	static const char *const h[][2] = {
	    {"Content-Security-Policy", WEB_CSP},          {"X-Frame-Options", "DENY"},
	    {"X-Content-Type-Options", "nosniff"},         {"Referrer-Policy", "same-origin"},
	    {"Cross-Origin-Opener-Policy", "same-origin"}, {"Cross-Origin-Resource-Policy", "same-origin"},
	};

	for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
		(void)web_response_add_header(resp, h[i][0], h[i][1]);
	(void)web_response_add_header(resp, "Cache-Control", api ? "no-store" : "no-cache");
}

static bool is_secure(const web_app *app, const web_request *req)
{
	const char *p;

	if (req->tls || app->opts.secure_cookies)
		return true;
	p = app->opts.trust_proxy ? web_request_header(req, "X-Forwarded-Proto") : NULL;
	return p && strcasecmp(p, "https") == 0;
}

/* True when url is exactly our origin, or begins with our origin followed by '/'
 * (prefix_ok, for Referer). */
static bool origin_matches(const char *url, const char *origin, bool prefix_ok)
{
	size_t n = strlen(origin);

	if (strncasecmp(url, origin, n) != 0)
		return false;
	return url[n] == '\0' || (prefix_ok && url[n] == '/');
}

/* RFC 6454 / OWASP: a state-changing request must come from our own pages. */
static bool check_origin(const web_app *app, const web_request *req, bool secure)
{
	const char *host = NULL, *origin = web_request_header(req, "Origin");
	const char *referer = web_request_header(req, "Referer");
	char own[300];

	if (app->opts.trust_proxy)
		host = web_request_header(req, "X-Forwarded-Host");
	if (!host)
		host = web_request_header(req, "Host");
	if (!host || !host[0] || strlen(host) > 255)
		return false;
	snprintf(own, sizeof own, "%s://%s", secure ? "https" : "http", host);
	if (origin) {
		if (origin_matches(origin, own, false))
			return true;
		return app->extra_origin && origin_matches(origin, app->extra_origin, false);
	}
	if (referer) {
		if (origin_matches(referer, own, true))
			return true;
		return app->extra_origin && origin_matches(referer, app->extra_origin, true);
	}
	/* Neither header: not a browser (curl, scripts). The CSRF token still applies. */
	return true;
}

/* DNS rebinding defence: the Host must be an IP literal, "localhost", or a configured
 * name. A rebinding page always sends its own domain name as Host. */
static bool check_host(const web_app *app, const web_request *req)
{
	const char *host = NULL, *end;
	char name[256];
	unsigned char buf[16];
	size_t n;

	if (app->opts.trust_proxy)
		host = web_request_header(req, "X-Forwarded-Host");
	if (!host)
		host = web_request_header(req, "Host");
	if (!host)
		return true; /* HTTP/1.0 without Host: not a browser */
	if (host[0] == '[') {
		end = strchr(host, ']');
		if (!end || (end[1] != '\0' && end[1] != ':'))
			return false;
		n = (size_t)(end - host - 1);
		if (n >= sizeof name)
			return false;
		memcpy(name, host + 1, n);
		name[n] = '\0';
		return inet_pton(AF_INET6, name, buf) == 1;
	}
	end = strchr(host, ':');
	n = end ? (size_t)(end - host) : strlen(host);
	if (n == 0 || n >= sizeof name)
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	if (inet_pton(AF_INET, name, buf) == 1 || strcasecmp(name, "localhost") == 0)
		return true;
	for (const char *p = app->allowed_hosts; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && strncasecmp(p, name, n) == 0)
			return true;
		p = comma ? comma + 1 : p + len;
	}
	return false;
}

static bool check_csrf(const web_request *req)
{
	char cookie[WEB_TOKEN_HEX + 2];
	const char *hdr = web_request_header(req, WEB_CSRF_HEADER);

	if (!hdr || !web_request_cookie(req, WEB_CSRF_COOKIE, cookie, sizeof cookie))
		return false;
	if (strlen(cookie) != WEB_TOKEN_HEX)
		return false;
	return web_str_equal_ct(hdr, cookie);
}

static bool content_type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Parses the body into ctx->body (an object). Replies and returns false on error. */
static bool parse_body(web_ctx *ctx)
{
	const web_request *req = ctx->req;
	const char *ct = web_request_header(req, "Content-Type");
	json_error_t jerr;

	if (req->body_len == 0) {
		ctx->body = json_object();
		return ctx->body != NULL;
	}
	if (content_type_is(ct, "application/json")) {
		ctx->body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!ctx->body) {
			web__reply_error(ctx, 400, NULL,
			                 "The request is not valid JSON (%s at character %d).", jerr.text,
			                 jerr.position);
			return false;
		}
		if (!json_is_object(ctx->body)) {
			web__reply_error(ctx, 400, NULL, "The request must be a JSON object.");
			return false;
		}
		return true;
	}
	if (content_type_is(ct, "application/x-www-form-urlencoded")) {
		void *obj = NULL;
		int rc = web_form_parse(req->body, req->body_len, &obj);

		if (rc != IKE_OK) {
			web__reply_error(
			    ctx, 400, NULL,
			    "The form data is malformed (a bad %%-escape, an empty or repeated field name).");
			return false;
		}
		ctx->body = obj;
		return true;
	}
	web__reply_error(ctx, 415, NULL, "Send the data as application/json or a URL-encoded form.");
	return false;
}

static bool serve_asset(web_app *app, const web_request *req, web_response *resp)
{
	const char *name = NULL;

	if (req->method != WEB_GET && req->method != WEB_HEAD)
		return false;
	if (strcmp(req->path, "/") == 0)
		name = app->index_asset;
	else if (strncmp(req->path, "/static/", 8) == 0)
		name = req->path + 8;
	if (!name)
		return false;
	for (size_t i = 0; i < web__n_assets; i++) {
		if (strcmp(web__assets[i].name, name) != 0)
			continue;
		if (web_response_set(resp, 200, web__assets[i].type, web__assets[i].data,
		                     web__assets[i].len) != IKE_OK)
			resp->status = 500;
		if (req->method == WEB_HEAD) {
			free(resp->body);
			resp->body = NULL;
			resp->body_len = 0;
		}
		return true;
	}
	return false;
}

/* One line per request: method, path, status, client, and the error sentence if any. */
static void log_request(const web_app *app, const web_request *req, const web_response *resp,
                        const char *client)
{
	char msg[512], path[160], err[200] = "";
	ike_log_rec rec = {.sub = IKE_SUB_WEB};

	if (!app->opts.log)
		return;
	ike_escape((const uint8_t *)(req->path ? req->path : "?"), req->path ? strlen(req->path) : 1, path,
	           sizeof path);
	if (resp->status >= 400 && resp->body && resp->content_type &&
	    strcmp(resp->content_type, "application/json") == 0) {
		json_t *j = json_loadb(resp->body, resp->body_len, 0, NULL);
		const char *e = json_string_value(json_object_get(j, "error"));
		if (e)
			snprintf(err, sizeof err, ": %s", e);
		json_decref(j);
	}
	snprintf(msg, sizeof msg, "%s %s %d from %s%s", web_method_name(req->method), path, resp->status,
	         client[0] ? client : "?", err);
	rec.lvl = resp->status >= 500                          ? IKE_LOG_ERROR
	          : resp->status >= 400 && resp->status != 404 ? IKE_LOG_WARN
	                                                       : IKE_LOG_INFO;
	rec.msg = msg;
	app->opts.log(app->opts.log_user, &rec);
}

/* The address to throttle by: the peer of the connection, or with --trust-proxy the
 * last X-Forwarded-For entry (the one our own proxy appended). */
static void set_client_addr(const web_app *app, const web_request *req, char out[64])
{
	const char *xff = app->opts.trust_proxy ? web_request_header(req, "X-Forwarded-For") : NULL;
	const char *last;
	size_t n;

	snprintf(out, 64, "%s", req->client_addr);
	if (!xff)
		return;
	last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	while (*last == ' ')
		last++;
	n = strcspn(last, " ");
	if (n == 0 || n >= 64)
		return;
	memcpy(out, last, n);
	out[n] = '\0';
}

static int64_t clock_now(const web_app *app)
{
	return app->opts.now ? app->opts.now(app->opts.now_user) : (int64_t)time(NULL);
}

void web_app_handle(web_app *app, const web_request *req, web_response *resp)
{
	web_ctx ctx = {.app = app, .req = req, .resp = resp};
	const web_route *route = NULL;
	char allow[64];
	bool api = true;

	ctx.now = clock_now(app);
	ctx.secure = is_secure(app, req);
	set_client_addr(app, req, ctx.client_addr);
	if (req->too_many_headers) {
		web__reply_error(&ctx, 431, NULL, "The request headers are too large.");
		goto out;
	}
	if (req->body_too_large) {
		web__reply_error(&ctx, 413, NULL, "The request is too large (at most %u bytes).",
		                 WEB_BODY_MAX);
		goto out;
	}
	if (!req->path) {
		web__reply_error(&ctx, 400, NULL, "The request has no valid path.");
		goto out;
	}
	if (!check_host(app, req)) {
		web__reply_error(
		    &ctx, 421, NULL,
		    "This manager does not answer to that host name. Use its IP address, or start it "
		    "with --host NAME.");
		goto out;
	}
	if (serve_asset(app, req, resp)) {
		api = false;
		goto out;
	}
	switch (web_route_find(app->routes, app->n_routes, req->method, req->path, &route, &ctx.id, allow,
	                       sizeof allow)) {
	case WEB_MATCH_NOT_FOUND:
		web__reply_error(&ctx, 404, NULL, "There is no page or API at %.200s.", req->path);
		goto out;
	case WEB_MATCH_BAD_METHOD:
		web__reply_error(&ctx, 405, NULL, "This method is not allowed here; use %s.", allow);
		(void)web_response_add_header(resp, "Allow", allow);
		goto out;
	case WEB_MATCH_OK:
		break;
	}
	if (route->method != WEB_GET) {
		if (!check_origin(app, req, ctx.secure)) {
			web__reply_error(
			    &ctx, 403, NULL,
			    "Refused: this request came from another site (Origin/Referer mismatch).");
			goto out;
		}
		if (!check_csrf(req)) {
			web__reply_error(&ctx, 403, NULL,
			                 "Refused: the security token is missing or wrong. Reload the page "
			                 "and try again.");
			goto out;
		}
		if (!parse_body(&ctx))
			goto out;
	}
	pthread_mutex_lock(&app->lock);
	if (app->opts.role == WEB_ROLE_SERVER)
		web__server_session(&ctx);
	else
		web__client_session(&ctx);
	if ((route->flags & WEB_ROUTE_AUTH) && ctx.uid == 0)
		web__reply_error(&ctx, 401, NULL, "Please log in first.");
	else
		route->fn(&ctx);
	pthread_mutex_unlock(&app->lock);
out:
	json_decref(ctx.body);
	sodium_memzero(ctx.sid, sizeof ctx.sid);
	if (resp->status == 0)
		web__reply_error(&ctx, 500, NULL, "The server could not answer.");
	if (req->method == WEB_HEAD && resp->body) {
		free(resp->body);
		resp->body = NULL;
		resp->body_len = 0;
	}
	add_security_headers(resp, api);
	log_request(app, req, resp, ctx.client_addr);
}
