/* SPDX-License-Identifier: MIT */
/* web/core/src/server.c - the mediation server manager: accounts, sessions, login
 * throttling and each user's peers. Every peer query carries the session's user id,
 * so a user can neither see nor change another user's peers (db/ enforces it in SQL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app_int.h"
#include "ctl.h"
#include "db/db.h"
#include "ike/crypto_key.h"
#include "keys.h"

#define PASSWORD_MAX 1024
#define THROTTLE_WINDOW_S 3600

/* For best-effort housekeeping whose failure the user need not see. */
static void best_effort(int rc)
{
	(void)rc;
}

static db *app_db(web_ctx *ctx)
{
	return ctx->app->db;
}

int web__server_open(web_app *app, char *err, size_t errlen)
{
	size_t n = strlen(app->dir) + 16;
	char *path = malloc(n);
	db *d = NULL;
	int rc;

	if (!path)
		return IKE_ERR_NOMEM;
	snprintf(path, n, "%s/medsrv.db", app->dir);
	rc = db_open(&d, path, DB_KIND_SERVER, NULL, err, errlen);
	free(path);
	app->db = d;
	return rc;
}

void web__server_close(web_app *app)
{
	db_close(app->db);
	app->db = NULL;
}

void web__server_session(web_ctx *ctx)
{
	char sid[WEB_TOKEN_HEX + 1];
	db_session s;
	db_user u;

	if (!web_request_cookie(ctx->req, WEB_SID_COOKIE, sid, sizeof sid))
		return;
	if (db_session_lookup(app_db(ctx), sid, ctx->now, &s) != IKE_OK)
		return; /* unknown or expired: the caller sees no user */
	/* A logged-in state change must also carry this session's own CSRF token. */
	if (ctx->req->method != WEB_GET && ctx->req->method != WEB_HEAD) {
		const char *hdr = web_request_header(ctx->req, WEB_CSRF_HEADER);
		if (!hdr || !web_str_equal_ct(hdr, s.csrf))
			return;
	}
	if (db_user_by_id(app_db(ctx), s.user_id, &u) != IKE_OK)
		return;
	ctx->uid = s.user_id;
	memcpy(ctx->sid, sid, sizeof sid);
	sodium_memzero(sid, sizeof sid);
	snprintf(ctx->login, sizeof ctx->login, "%s", u.login);
	sodium_memzero(&s, sizeof s);
}

/* Logins are short, printable and unambiguous in a list. */
static bool login_valid(const char *login)
{
	size_t n = strlen(login);

	if (n < 1 || n > DB_LOGIN_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = login[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '@'))
			return false;
	}
	return true;
}

static bool alias_valid(web_ctx *ctx, const char *alias)
{
	size_t n = alias ? strlen(alias) : 0;

	if (n == 0) {
		web__reply_error(ctx, 400, "alias", "Give the peer a name.");
		return false;
	}
	if (n > DB_ALIAS_MAX) {
		web__reply_error(ctx, 400, "alias", "The name is too long (at most %d characters).",
		                 DB_ALIAS_MAX);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)alias[i];
		if (c < 0x20 || c == 0x7f) {
			web__reply_error(ctx, 400, "alias", "The name must not contain control characters.");
			return false;
		}
	}
	return true;
}

/* Starts a session for uid: new session token and new CSRF token, both as cookies. */
static bool start_session(web_ctx *ctx, int64_t uid)
{
	char token[WEB_TOKEN_HEX + 1], csrf[WEB_TOKEN_HEX + 1];
	int64_t ttl = ctx->app->opts.session_ttl_s;
	int rc;

	web__random_token(token);
	web__random_token(csrf);
	rc = db_session_create(app_db(ctx), token, uid, csrf, ctx->now, ctx->now + ttl);
	if (rc != IKE_OK) {
		web__reply_error(ctx, 500, NULL, "Could not start a session (%s).", ike_strerror(rc));
		return false;
	}
	web__set_cookie(ctx, WEB_SID_COOKIE, token, (long)ttl);
	web__set_cookie(ctx, WEB_CSRF_COOKIE, csrf, (long)ttl);
	best_effort(db_session_purge(app_db(ctx), ctx->now, NULL));
	sodium_memzero(token, sizeof token);
	return true;
}

static void get_session(web_ctx *ctx)
{
	char csrf[WEB_TOKEN_HEX + 2];

	/* The page reads its CSRF token here; a cross-site page cannot read this answer. */
	if (!web_request_cookie(ctx->req, WEB_CSRF_COOKIE, csrf, sizeof csrf) ||
	    strlen(csrf) != WEB_TOKEN_HEX) {
		web__random_token(csrf);
		web__set_cookie(ctx, WEB_CSRF_COOKIE, csrf, 86400);
	}
	web__reply_json(ctx, 200,
	                json_pack("{s:s, s:s?, s:s, s:i}", "role", "server", "user",
	                          ctx->uid ? ctx->login : NULL, "csrf", csrf, "min_password",
	                          (int)ctx->app->opts.min_password));
}

static bool check_password_field(web_ctx *ctx, const char *pw)
{
	if (!pw || !pw[0]) {
		web__reply_error(ctx, 400, "password", "Enter a password.");
		return false;
	}
	if (strlen(pw) > PASSWORD_MAX) {
		web__reply_error(ctx, 400, "password", "The password is too long (at most %d characters).",
		                 PASSWORD_MAX);
		return false;
	}
	return true;
}

static void post_signup(web_ctx *ctx)
{
	const char *login = web__field(ctx, "login"), *pw = web__field(ctx, "password");
	char hash[128];
	int64_t uid;
	int rc;

	if (!login || !login[0]) {
		web__reply_error(ctx, 400, "login", "Choose a login name.");
		return;
	}
	if (!login_valid(login)) {
		web__reply_error(ctx, 400, "login",
		                 "A login name has 1 to %d letters, digits or . _ - @ (no spaces).",
		                 DB_LOGIN_MAX);
		return;
	}
	if (!check_password_field(ctx, pw))
		return;
	if (strlen(pw) < ctx->app->opts.min_password) {
		web__reply_error(ctx, 400, "password",
		                 "The password is too short: use at least %u characters.",
		                 ctx->app->opts.min_password);
		return;
	}
	if (web__password_hash(pw, hash) != IKE_OK) {
		web__reply_error(ctx, 500, NULL, "Could not hash the password.");
		return;
	}
	rc = db_user_add(app_db(ctx), login, hash, ctx->now, &uid);
	sodium_memzero(hash, sizeof hash);
	if (rc == IKE_ERR_EXISTS) {
		web__reply_error(ctx, 409, "login", "This login name is taken; choose another.");
		return;
	}
	if (rc != IKE_OK) {
		web__reply_error(ctx, 500, NULL, "Could not create the account (%s).", ike_strerror(rc));
		return;
	}
	if (!start_session(ctx, uid))
		return;
	web__reply_json(ctx, 201, json_pack("{s:s}", "user", login));
}

static void post_login(web_ctx *ctx)
{
	const char *login = web__field(ctx, "login"), *pw = web__field(ctx, "password");
	const char *addr = ctx->client_addr[0] ? ctx->client_addr : NULL;
	int64_t n_login = 0, last_login = 0, n_addr = 0, last_addr = 0, wait;
	db_user u;
	bool ok;
	int rc;

	if (!login || !login[0] || strlen(login) > DB_LOGIN_MAX) {
		web__reply_error(ctx, 400, "login", "Enter your login name.");
		return;
	}
	if (!check_password_field(ctx, pw))
		return;
	/* Throttling: per login and per address, exponential lockout (docs/web.md). */
	if (db_throttle_count(app_db(ctx), DB_THROTTLE_LOGIN, login, ctx->now, THROTTLE_WINDOW_S, &n_login,
	                      &last_login) != IKE_OK ||
	    (addr && db_throttle_count(app_db(ctx), DB_THROTTLE_ADDR, addr, ctx->now, THROTTLE_WINDOW_S,
	                               &n_addr, &last_addr) != IKE_OK)) {
		web__reply_error(ctx, 500, NULL, "Could not check the login attempts.");
		return;
	}
	wait = web__throttle_wait(n_login, last_login, ctx->now);
	if (web__throttle_wait(n_addr, last_addr, ctx->now) > wait)
		wait = web__throttle_wait(n_addr, last_addr, ctx->now);
	if (wait > 0) {
		char secs[32];
		snprintf(secs, sizeof secs, "%lld", (long long)wait);
		(void)web_response_add_header(ctx->resp, "Retry-After", secs);
		web__reply_error(ctx, 429, "password",
		                 "Too many failed attempts. Wait %lld seconds and try again.",
		                 (long long)wait);
		return;
	}
	rc = db_user_by_login(app_db(ctx), login, &u);
	if (rc == IKE_OK) {
		ok = web__password_verify(u.pwhash, pw);
	} else {
		web__password_burn(pw); /* same cost as a real check: no login enumeration by timing */
		ok = false;
	}
	if (!ok) {
		best_effort(db_throttle_fail(app_db(ctx), login, addr, ctx->now, THROTTLE_WINDOW_S));
		web__reply_error(ctx, 401, "password", "Wrong login name or password.");
		return;
	}
	best_effort(db_throttle_reset(app_db(ctx), login, addr));
	if (!start_session(ctx, u.id))
		return;
	web__reply_json(ctx, 200, json_pack("{s:s}", "user", u.login));
}

static void post_logout(web_ctx *ctx)
{
	if (ctx->sid[0])
		best_effort(db_session_delete(app_db(ctx), ctx->sid));
	web__set_cookie(ctx, WEB_SID_COOKIE, "", -1);
	web__reply_json(ctx, 200, json_pack("{s:b}", "ok", 1));
}

static json_t *peer_json(const db_peer *p)
{
	char keyid[41], spki[41], pretty[60];

	ike_keyid_format(p->keyid, keyid);
	ike_keyid_format(p->keyid_spki, spki);
	web__keyid_pretty(keyid, pretty);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:n}", "id", (json_int_t)p->id, "alias", p->alias,
	                 "keyid", keyid, "keyid_pretty", pretty, "keyid_spki", spki, "created",
	                 (json_int_t)p->created, "online");
}

/* Asks medsrv for its registrations; marks the user's own peers online. */
static const char *merge_status(web_ctx *ctx, json_t *peers)
{
	json_t *req = json_pack("{s:s}", "cmd", "status"), *reply = NULL, *online, *item;
	size_t i, j;
	int rc;

	if (!req)
		return "error";
	rc = web__ctl_ask(ctx, req, &reply);
	json_decref(req);
	if (rc == IKE_ERR_NOT_FOUND)
		return "not running";
	if (rc != IKE_OK)
		return "not answering";
	online = json_object_get(reply, "peers");
	json_array_foreach(peers, i, item)
	{
		const char *mine = json_string_value(json_object_get(item, "keyid"));
		const char *mine_spki = json_string_value(json_object_get(item, "keyid_spki"));
		json_t *reg;

		json_array_foreach(online, j, reg)
		{
			const char *k = json_string_value(json_object_get(reg, "keyid"));
			char norm[41];

			if (!k || web__keyid_normalize(k, norm) != IKE_OK)
				continue;
			if (strcmp(norm, mine) != 0 && strcmp(norm, mine_spki) != 0)
				continue;
			if (json_is_false(json_object_get(reg, "online")))
				continue;
			json_object_set_new(item, "online",
			                    json_pack("{s:O?, s:O?}", "since", json_object_get(reg, "since"),
			                              "endpoint", json_object_get(reg, "endpoint")));
		}
	}
	json_decref(reply);
	return "running";
}

static void get_peers(web_ctx *ctx)
{
	db_peer *list = NULL;
	size_t n = 0;
	json_t *arr;
	const char *state;
	int rc = db_peer_list(app_db(ctx), ctx->uid, &list, &n);

	if (rc != IKE_OK) {
		web__reply_error(ctx, 500, NULL, "Could not read your peers (%s).", ike_strerror(rc));
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, peer_json(&list[i]));
	db_free(list);
	state = arr ? merge_status(ctx, arr) : "error";
	web__reply_json(ctx, 200,
	                json_pack("{s:o, s:s, s:s}", "peers", arr, "server", state, "user", ctx->login));
}

static void post_peer(web_ctx *ctx)
{
	const char *alias = web__field(ctx, "alias"), *text = web__field(ctx, "pubkey"), *why = NULL;
	web__pubkey key;
	db_peer *p;
	db_field clash = DB_FIELD_NONE;
	int64_t id;
	int rc;

	int64_t count = 0;

	if (!alias_valid(ctx, alias))
		return;
	rc = db_peer_count(app_db(ctx), ctx->uid, &count);
	if (rc != IKE_OK) {
		web__reply_error(ctx, 500, NULL, "Could not count your peers (%s).", ike_strerror(rc));
		return;
	}
	if (count >= (int64_t)ctx->app->opts.max_peers) {
		web__reply_error(ctx, 409, "alias",
		                 "You have %u peers, the most one account may have. Delete one first.",
		                 ctx->app->opts.max_peers);
		return;
	}
	if (!text || !text[0]) {
		web__reply_error(ctx, 400, "pubkey", "Paste the peer's RSA public key.");
		return;
	}
	rc = web__pubkey_parse(text, &key, &why);
	if (rc != IKE_OK) {
		web__reply_error(ctx, rc == IKE_ERR_NOMEM ? 500 : 400, "pubkey", "%s", why);
		return;
	}
	if (key.der_len > DB_PUBKEY_MAX) {
		web__pubkey_clear(&key);
		web__reply_error(ctx, 400, "pubkey", "This key is too large.");
		return;
	}
	p = calloc(1, sizeof *p); /* db_peer holds a 4 KB key buffer: keep it off the stack */
	if (!p) {
		web__pubkey_clear(&key);
		web__reply_error(ctx, 500, NULL, "Out of memory.");
		return;
	}
	p->user_id = ctx->uid;
	snprintf(p->alias, sizeof p->alias, "%s", alias);
	if (ike_keyid_parse(key.keyid, p->keyid) != IKE_OK ||
	    ike_keyid_parse(key.keyid_spki, p->keyid_spki) != IKE_OK) {
		rc = IKE_ERR_CRYPTO;
	} else {
		memcpy(p->pubkey, key.der, key.der_len);
		p->pubkey_len = key.der_len;
		rc = db_peer_add(app_db(ctx), p, ctx->now, &id, &clash);
	}
	if (rc == IKE_OK)
		rc = db_peer_get(app_db(ctx), ctx->uid, id, p);
	if (rc == IKE_OK)
		web__reply_json(ctx, 201, json_pack("{s:o}", "peer", peer_json(p)));
	else if (rc == IKE_ERR_EXISTS && clash == DB_FIELD_ALIAS)
		web__reply_error(ctx, 409, "alias", "You already have a peer named \"%s\".", alias);
	else if (rc == IKE_ERR_EXISTS)
		web__reply_error(ctx, 409, "pubkey",
		                 "This key is already registered (KEY_ID %s). Each device needs its own key.",
		                 key.keyid_pretty);
	else
		web__reply_error(ctx, 500, NULL, "Could not add the peer (%s).", ike_strerror(rc));
	free(p);
	web__pubkey_clear(&key);
}

static void put_peer(web_ctx *ctx)
{
	const char *alias = web__field(ctx, "alias");
	db_field clash = DB_FIELD_NONE;
	db_peer *p;
	int rc;

	if (!alias_valid(ctx, alias))
		return;
	rc = db_peer_rename(app_db(ctx), ctx->uid, ctx->id, alias, ctx->now, &clash);
	if (rc == IKE_ERR_NOT_FOUND) {
		web__reply_error(ctx, 404, NULL, "You have no such peer.");
		return;
	}
	if (rc == IKE_ERR_EXISTS) {
		web__reply_error(ctx, 409, "alias", "You already have a peer named \"%s\".", alias);
		return;
	}
	if (rc != IKE_OK) {
		web__reply_error(ctx, 500, NULL, "Could not rename the peer (%s).", ike_strerror(rc));
		return;
	}
	p = calloc(1, sizeof *p);
	if (p && db_peer_get(app_db(ctx), ctx->uid, ctx->id, p) == IKE_OK)
		web__reply_json(ctx, 200, json_pack("{s:o}", "peer", peer_json(p)));
	else
		web__reply_json(ctx, 200, json_pack("{s:b}", "ok", 1));
	free(p);
}

static void delete_peer(web_ctx *ctx)
{
	int rc = db_peer_delete(app_db(ctx), ctx->uid, ctx->id);

	if (rc == IKE_ERR_NOT_FOUND)
		web__reply_error(ctx, 404, NULL, "You have no such peer.");
	else if (rc != IKE_OK)
		web__reply_error(ctx, 500, NULL, "Could not delete the peer (%s).", ike_strerror(rc));
	else
		web__reply_json(ctx, 200, json_pack("{s:b}", "ok", 1));
}

const web_route web__server_routes[] = {
    {WEB_GET, "/api/session", get_session, 0},
    {WEB_POST, "/api/signup", post_signup, 0},
    {WEB_POST, "/api/login", post_login, 0},
    {WEB_POST, "/api/logout", post_logout, 0},
    {WEB_GET, "/api/peers", get_peers, WEB_ROUTE_AUTH},
    {WEB_POST, "/api/peers", post_peer, WEB_ROUTE_AUTH},
    {WEB_PUT, "/api/peers/:id", put_peer, WEB_ROUTE_AUTH},
    {WEB_DELETE, "/api/peers/:id", delete_peer, WEB_ROUTE_AUTH},
};
const size_t web__n_server_routes = sizeof web__server_routes / sizeof web__server_routes[0];
