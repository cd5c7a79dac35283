/* SPDX-License-Identifier: MIT */
/* web/core/src/app_int.h - private: the app object, the per-request context and the
 * helpers the handlers of both managers share. */
#ifndef WEB_APP_INT_H
#define WEB_APP_INT_H
#include <pthread.h>
#include <stdarg.h>

#include <jansson.h>

#include "web/app.h"
#include "web/router.h"

#define WEB_TOKEN_HEX 64 /* 32 random bytes as hex: session ids and CSRF tokens */
#define WEB_SID_COOKIE "mw_sid"
#define WEB_CSRF_COOKIE "mw_csrf"
#define WEB_CSRF_HEADER "X-CSRF-Token"

struct web_app {
	web_options opts;
	char *dir;
	char *ctl_path;
	char *extra_origin;
	char *allowed_hosts;
	pthread_mutex_t lock;
	void *db;    /* the role's database handle (db *) */
	void *state; /* role-private state (the client's sessions and throttle) */
	const web_route *routes;
	size_t n_routes;
	const char *index_asset; /* "server.html" or "client.html" */
};

struct web_ctx {
	web_app *app;
	const web_request *req;
	web_response *resp;
	int64_t id;     /* ":id" route segment, 0 if none */
	json_t *body;   /* parsed form or JSON object of a POST/PUT/DELETE; never NULL there */
	int64_t uid;    /* logged-in user (server role), 1 for the client role; 0 = nobody */
	char login[65]; /* the logged-in login name (server role) */
	char sid[WEB_TOKEN_HEX + 1];
	bool secure;          /* cookies get Secure */
	char client_addr[64]; /* the browser's address (last X-Forwarded-For hop with --trust-proxy) */
	int64_t now;
};

/* Static files compiled in from web/static (generated assets.c). */
typedef struct web__asset {
	const char *name;
	const char *type;
	const unsigned char *data;
	size_t len;
} web__asset;
extern const web__asset web__assets[];
extern const size_t web__n_assets;

/* Replies. json is adopted. */
void web__reply_json(web_ctx *ctx, int status, json_t *json);
/* {"error": text, "field": field} (field may be NULL). */
void web__reply_error(web_ctx *ctx, int status, const char *field, const char *fmt, ...) IKE_PRINTF(4, 5);
/* Adds a Set-Cookie; max_age < 0 deletes it. */
void web__set_cookie(web_ctx *ctx, const char *name, const char *value, long max_age);
/* A string field of the body, or NULL when missing or not a string. */
const char *web__field(web_ctx *ctx, const char *name);
/* Writes 32 random bytes as 64 hex chars + NUL. */
void web__random_token(char out[WEB_TOKEN_HEX + 1]);
/* The SHA-256 of a token as 64 hex chars: what the database stores for a session. */
void web__token_hash(const char *token, char out[WEB_TOKEN_HEX + 1]);

/* Asks the role's daemon over its control socket (ctl.h), with the app lock released
 * for the exchange so a slow daemon does not hold up other requests. */
int web__ctl_ask(web_ctx *ctx, json_t *req, json_t **reply);

/* Route tables of the two roles. */
extern const web_route web__server_routes[];
extern const size_t web__n_server_routes;
extern const web_route web__client_routes[];
extern const size_t web__n_client_routes;

/* Role hooks called by the dispatcher. The open hooks put db_open's reason for a
 * failure into err (errlen bytes; err may be NULL). */
int web__server_open(web_app *app, char *err, size_t errlen);
void web__server_close(web_app *app);
/* Resolves the session cookie into ctx->uid / ctx->login (expired sessions are deleted). */
void web__server_session(web_ctx *ctx);
int web__client_open(web_app *app, char *err, size_t errlen);
void web__client_close(web_app *app);
void web__client_session(web_ctx *ctx);

/* Password hashing (Argon2id through libsodium). */
int web__password_hash(const char *password, char out[128]);
bool web__password_verify(const char *hash, const char *password);
/* Verifies against a fixed dummy hash so an unknown login costs the same time. */
void web__password_burn(const char *password);

/* Login throttling policy shared by both roles (see docs/web.md): after
 * WEB_THROTTLE_FREE failures, each further failure doubles a lockout window that
 * starts at 1 s and is capped at WEB_THROTTLE_MAX_S. Returns the seconds still to
 * wait given the failure count and the time of the last failure (0 = may try). */
#define WEB_THROTTLE_FREE 3
#define WEB_THROTTLE_MAX_S 900
int64_t web__throttle_wait(int64_t failures, int64_t last_failure, int64_t now);

#endif /* WEB_APP_INT_H */
