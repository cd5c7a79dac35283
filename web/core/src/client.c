/* SPDX-License-Identifier: MIT */
/* web/core/src/client.c - the mediation client manager: one local password, the
 * device key, the mediation server, mediated peers, and up/down/status through
 * medcli's control socket. Sessions and login throttling live in memory: one device,
 * one process (docs/web.md). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app_int.h"
#include "ctl.h"
#include "db/db.h"
#include "ike/crypto_key.h"
#include "keys.h"

#define PWHASH_KEY "web.pwhash"
#define CLIENT_SESSIONS 16
#define CLIENT_THROTTLE_ADDRS 64

typedef struct csession {
	char hash[WEB_TOKEN_HEX + 1]; /* SHA-256 of the cookie value */
	char csrf[WEB_TOKEN_HEX + 1];
	int64_t expires;
} csession;

typedef struct cthrottle {
	char addr[64];
	int64_t count, last;
} cthrottle;

typedef struct cstate {
	csession sessions[CLIENT_SESSIONS];
	cthrottle global; /* "per login": there is only the one local login */
	cthrottle addrs[CLIENT_THROTTLE_ADDRS];
} cstate;

static db *app_db(web_ctx *ctx)
{
	return ctx->app->db;
}

static cstate *app_state(web_ctx *ctx)
{
	return ctx->app->state;
}

static int open_client_db(const char *dir, db **out, char *err, size_t errlen)
{
	size_t n = strlen(dir) + 16;
	char *path = malloc(n);
	int rc;

	if (!path)
		return IKE_ERR_NOMEM;
	snprintf(path, n, "%s/medcli.db", dir);
	rc = db_open(out, path, DB_KIND_CLIENT, NULL, err, errlen);
	free(path);
	return rc;
}

int web__client_open(web_app *app, char *err, size_t errlen)
{
	db *d = NULL;
	int rc;

	app->state = calloc(1, sizeof(cstate));
	if (!app->state)
		return IKE_ERR_NOMEM;
	rc = open_client_db(app->dir, &d, err, errlen);
	if (rc != IKE_OK) {
		free(app->state);
		app->state = NULL;
		return rc;
	}
	app->db = d;
	return IKE_OK;
}

void web__client_close(web_app *app)
{
	db_close(app->db);
	app->db = NULL;
	if (app->state)
		sodium_memzero(app->state, sizeof(cstate));
	free(app->state);
	app->state = NULL;
}

int web_client_set_password(const char *dir, const char *password, unsigned min_len)
{
	char hash[128];
	db *d = NULL;
	int rc;

	if (!password || strlen(password) < min_len || strlen(password) > 1024)
		return IKE_ERR_INVAL;
	if (sodium_init() < 0)
		return IKE_ERR_CRYPTO;
	rc = web__password_hash(password, hash);
	if (rc != IKE_OK)
		return rc;
	rc = open_client_db(dir, &d, NULL, 0);
	if (rc == IKE_OK)
		rc = db_setting_set(d, PWHASH_KEY, hash);
	db_close(d);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

static csession *find_session(web_ctx *ctx, const char *token)
{
	char hash[WEB_TOKEN_HEX + 1];
	csession *s = app_state(ctx)->sessions;

	web__token_hash(token, hash);
	for (size_t i = 0; i < CLIENT_SESSIONS; i++) {
		if (s[i].expires > ctx->now && web_str_equal_ct(s[i].hash, hash))
			return &s[i];
	}
	return NULL;
}

void web__client_session(web_ctx *ctx)
{
	char sid[WEB_TOKEN_HEX + 1];
	csession *s;

	if (!web_request_cookie(ctx->req, WEB_SID_COOKIE, sid, sizeof sid) || strlen(sid) != WEB_TOKEN_HEX)
		return;
	s = find_session(ctx, sid);
	if (!s)
		return;
	if (ctx->req->method != WEB_GET && ctx->req->method != WEB_HEAD) {
		const char *hdr = web_request_header(ctx->req, WEB_CSRF_HEADER);
		if (!hdr || !web_str_equal_ct(hdr, s->csrf))
			return;
	}
	ctx->uid = 1;
	snprintf(ctx->login, sizeof ctx->login, "local");
	memcpy(ctx->sid, sid, sizeof sid);
	sodium_memzero(sid, sizeof sid);
}

static bool password_is_set(web_ctx *ctx)
{
	char hash[DB_PWHASH_MAX + 1];

	return db_setting_get(app_db(ctx), PWHASH_KEY, hash, sizeof hash) == IKE_OK;
}

static void get_session(web_ctx *ctx)
{
	char csrf[WEB_TOKEN_HEX + 2];

	if (!web_request_cookie(ctx->req, WEB_CSRF_COOKIE, csrf, sizeof csrf) ||
	    strlen(csrf) != WEB_TOKEN_HEX) {
		web__random_token(csrf);
		web__set_cookie(ctx, WEB_CSRF_COOKIE, csrf, 86400);
	}
	web__reply_json(ctx, 200,
	                json_pack("{s:s, s:s?, s:s, s:b}", "role", "client", "user",
	                          ctx->uid ? "local" : NULL, "csrf", csrf, "password_set",
	                          password_is_set(ctx)));
}

static cthrottle *throttle_slot(web_ctx *ctx, const char *addr)
{
	cstate *st = app_state(ctx);
	cthrottle *oldest = &st->addrs[0];

	for (size_t i = 0; i < CLIENT_THROTTLE_ADDRS; i++) {
		if (strcmp(st->addrs[i].addr, addr) == 0)
			return &st->addrs[i];
		if (st->addrs[i].last < oldest->last)
			oldest = &st->addrs[i];
	}
	memset(oldest, 0, sizeof *oldest);
	snprintf(oldest->addr, sizeof oldest->addr, "%s", addr);
	return oldest;
}

static void post_login(web_ctx *ctx)
{
	const char *pw = web__field(ctx, "password");
	cstate *st = app_state(ctx);
	cthrottle *t = throttle_slot(ctx, ctx->client_addr);
	char hash[DB_PWHASH_MAX + 1], token[WEB_TOKEN_HEX + 1];
	int64_t wait, w2;
	csession *slot;
	int64_t ttl = ctx->app->opts.session_ttl_s;

	if (!pw || !pw[0] || strlen(pw) > 1024) {
		web__reply_error(ctx, 400, "password", "Enter the device password.");
		return;
	}
	if (db_setting_get(app_db(ctx), PWHASH_KEY, hash, sizeof hash) != IKE_OK) {
		web__reply_error(
		    ctx, 409, "password",
		    "No password is set yet. Run: medweb --role client --dir DIR --init-password");
		return;
	}
	wait = web__throttle_wait(st->global.count, st->global.last, ctx->now);
	w2 = web__throttle_wait(t->count, t->last, ctx->now);
	if (w2 > wait)
		wait = w2;
	if (wait > 0) {
		char secs[32];
		snprintf(secs, sizeof secs, "%lld", (long long)wait);
		(void)web_response_add_header(ctx->resp, "Retry-After", secs);
		web__reply_error(ctx, 429, "password",
		                 "Too many failed attempts. Wait %lld seconds and try again.",
		                 (long long)wait);
		return;
	}
	if (!web__password_verify(hash, pw)) {
		st->global.count++;
		st->global.last = ctx->now;
		t->count++;
		t->last = ctx->now;
		web__reply_error(ctx, 401, "password", "Wrong password.");
		return;
	}
	st->global.count = 0;
	t->count = 0;
	slot = &st->sessions[0];
	for (size_t i = 0; i < CLIENT_SESSIONS; i++) {
		if (st->sessions[i].expires < slot->expires)
			slot = &st->sessions[i]; /* a free or expired slot, else the one expiring first */
	}
	web__random_token(token);
	web__token_hash(token, slot->hash);
	web__random_token(slot->csrf);
	slot->expires = ctx->now + ttl;
	web__set_cookie(ctx, WEB_SID_COOKIE, token, (long)ttl);
	web__set_cookie(ctx, WEB_CSRF_COOKIE, slot->csrf, (long)ttl);
	sodium_memzero(token, sizeof token);
	web__reply_json(ctx, 200, json_pack("{s:s}", "user", "local"));
}

static void post_logout(web_ctx *ctx)
{
	csession *s = ctx->sid[0] ? find_session(ctx, ctx->sid) : NULL;

	if (s)
		memset(s, 0, sizeof *s);
	web__set_cookie(ctx, WEB_SID_COOKIE, "", -1);
	web__reply_json(ctx, 200, json_pack("{s:b}", "ok", 1));
}

static json_t *key_json(const web__pubkey *k)
{
	return json_pack("{s:s, s:s, s:s, s:i}", "pem", k->pem, "keyid", k->keyid, "keyid_pretty",
	                 k->keyid_pretty, "bits", (int)k->bits);
}

static void get_key(web_ctx *ctx)
{
	web__pubkey k;
	int rc = web__keypair_load(ctx->app->dir, &k);

	if (rc == IKE_ERR_NOT_FOUND) {
		web__reply_json(ctx, 200, json_pack("{s:n}", "key"));
		return;
	}
	if (rc != IKE_OK) {
		web__reply_error(ctx, 500, NULL, "The device key file cannot be read (%s).",
		                 ike_strerror(rc));
		return;
	}
	web__reply_json(ctx, 200, json_pack("{s:o}", "key", key_json(&k)));
	web__pubkey_clear(&k);
}

static void post_key(web_ctx *ctx)
{
	const char *confirm = web__field(ctx, "confirm");
	web__pubkey k;
	int rc = web__keypair_load(ctx->app->dir, &k);

	web__pubkey_clear(&k);
	if (rc != IKE_ERR_NOT_FOUND && !(confirm && strcmp(confirm, "replace") == 0)) {
		web__reply_error(
		    ctx, 409, "confirm",
		    "This device already has a key. Replacing it cuts the device off until the new "
		    "KEY_ID is registered on the mediation server. Confirm to replace it.");
		return;
	}
	rc = web__keypair_generate(ctx->app->dir, &k);
	if (rc != IKE_OK) {
		web__reply_error(ctx, 500, NULL, "Could not generate the key (%s).", ike_strerror(rc));
		return;
	}
	web__reply_json(ctx, 201, json_pack("{s:o}", "key", key_json(&k)));
	web__pubkey_clear(&k);
}

/* Reads an identity field: a KEY_ID (hex, colons allowed) or a public key (PEM or
 * ssh-rsa). Fills keyid, and pubkey when a key was given. Replies on error. */
static bool read_identity(web_ctx *ctx, const char *field, const char *text, uint8_t keyid[20],
                          uint8_t *pubkey, size_t *pubkey_len)
{
	char hex[41];
	const char *why = NULL;
	web__pubkey k;
	int rc;

	*pubkey_len = 0;
	if (!text || !text[0]) {
		web__reply_error(ctx, 400, field,
		                 "Give its KEY_ID (40 hex digits) or paste its RSA public key.");
		return false;
	}
	if (web__keyid_normalize(text, hex) == IKE_OK) {
		if (ike_keyid_parse(hex, keyid) != IKE_OK) { /* normalized above: cannot fail */
			web__reply_error(ctx, 400, field, "This is not a KEY_ID.");
			return false;
		}
		return true;
	}
	if (!strstr(text, "-----BEGIN") && strncmp(text, "ssh-", 4) != 0) {
		web__reply_error(
		    ctx, 400, field,
		    "This is neither a KEY_ID (40 hex digits, colons allowed) nor a public key.");
		return false;
	}
	rc = web__pubkey_parse(text, &k, &why);
	if (rc != IKE_OK) {
		web__reply_error(ctx, 400, field, "%s", why);
		return false;
	}
	if (k.der_len > DB_PUBKEY_MAX) {
		web__pubkey_clear(&k);
		web__reply_error(ctx, 400, field, "This key is too large.");
		return false;
	}
	if (ike_keyid_parse(k.keyid, keyid) != IKE_OK) {
		web__pubkey_clear(&k);
		web__reply_error(ctx, 500, field, "Could not compute the KEY_ID.");
		return false;
	}
	memcpy(pubkey, k.der, k.der_len);
	*pubkey_len = k.der_len;
	web__pubkey_clear(&k);
	return true;
}

/* "10.1.0.0/16", "10.1.0.5/32", "2001:db8::/48": address and prefix, host bits allowed. */
static bool cidr_valid(const char *text)
{
	char addr[64];
	const char *slash;
	unsigned char buf[16];
	long prefix = 0;
	int af, max;

	if (!text || strlen(text) >= sizeof addr)
		return false;
	slash = strchr(text, '/');
	if (!slash || slash == text || !slash[1] || strlen(slash + 1) > 3)
		return false;
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	max = af == AF_INET6 ? 128 : 32;
	if (inet_pton(af, addr, buf) != 1)
		return false;
	for (const char *p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		prefix = prefix * 10 + (*p - '0');
	}
	if (slash[1] == '0' && slash[2])
		return false;
	return prefix <= max;
}

static bool host_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > DB_ADDRESS_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':'))
			return false;
	}
	return true;
}

static void get_server(web_ctx *ctx)
{
	db_medserver *s = calloc(1, sizeof *s);
	char hex[41], pretty[60];
	int rc;

	if (!s) {
		web__reply_error(ctx, 500, NULL, "Out of memory.");
		return;
	}
	rc = db_medserver_get(app_db(ctx), s);
	if (rc == IKE_ERR_NOT_FOUND) {
		web__reply_json(ctx, 200, json_pack("{s:n}", "server"));
	} else if (rc != IKE_OK) {
		web__reply_error(ctx, 500, NULL, "Could not read the server settings (%s).",
		                 ike_strerror(rc));
	} else {
		hex[0] = pretty[0] = '\0';
		if (s->has_keyid) {
			ike_keyid_format(s->keyid, hex);
			web__keyid_pretty(hex, pretty);
		}
		web__reply_json(ctx, 200,
		                json_pack("{s:{s:s, s:i, s:s, s:s, s:b}}", "server", "address", s->address,
		                          "port", (int)s->port, "keyid", hex, "keyid_pretty", pretty,
		                          "has_pubkey", s->pubkey_len > 0));
	}
	free(s);
}

static bool parse_port(web_ctx *ctx, const char *text, uint16_t *port)
{
	long v = 0;

	if (!text || !text[0]) {
		*port = 500;
		return true;
	}
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9' || v > 65535)
			goto bad;
		v = v * 10 + (*p - '0');
	}
	if (v >= 1 && v <= 65535) {
		*port = (uint16_t)v;
		return true;
	}
bad:
	web__reply_error(ctx, 400, "port", "The port is a number from 1 to 65535 (usually 500).");
	return false;
}

static void put_server(web_ctx *ctx)
{
	const char *address = web__field(ctx, "address");
	db_medserver *s = calloc(1, sizeof *s);
	int rc;

	if (!s) {
		web__reply_error(ctx, 500, NULL, "Out of memory.");
		return;
	}
	if (!host_valid(address)) {
		web__reply_error(ctx, 400, "address", "Enter the server's IP address or host name.");
		goto out;
	}
	if (!parse_port(ctx, web__field(ctx, "port"), &s->port))
		goto out;
	if (!read_identity(ctx, "identity", web__field(ctx, "identity"), s->keyid, s->pubkey, &s->pubkey_len))
		goto out;
	s->has_keyid = true;
	snprintf(s->address, sizeof s->address, "%s", address);
	rc = db_medserver_set(app_db(ctx), s, ctx->now);
	if (rc != IKE_OK) {
		web__reply_error(ctx, 500, NULL, "Could not save the server (%s).", ike_strerror(rc));
		goto out;
	}
	get_server(ctx);
out:
	free(s);
}

static json_t *cpeer_json(const db_cpeer *p)
{
	char hex[41], pretty[60];

	ike_keyid_format(p->keyid, hex);
	web__keyid_pretty(hex, pretty);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "id", (json_int_t)p->id, "alias",
	                 p->alias, "keyid", hex, "keyid_pretty", pretty, "local_ts", p->local_ts, "remote_ts",
	                 p->remote_ts, "has_pubkey", p->pubkey_len > 0, "start", db_start_name(p->start));
}

/* Asks medcli for its status; NULL when it is not running (state says why). */
static json_t *daemon_status(web_ctx *ctx, const char **state)
{
	json_t *req = json_pack("{s:s}", "cmd", "status"), *reply = NULL;
	int rc;

	if (!req) {
		*state = "error";
		return NULL;
	}
	rc = web__ctl_ask(ctx, req, &reply);
	json_decref(req);
	*state = rc == IKE_OK ? "running" : rc == IKE_ERR_NOT_FOUND ? "not running" : "not answering";
	return reply;
}

static void get_peers(web_ctx *ctx)
{
	db_cpeer *list = NULL;
	size_t n = 0;
	json_t *arr;
	int rc = db_cpeer_list(app_db(ctx), &list, &n);

	if (rc != IKE_OK) {
		web__reply_error(ctx, 500, NULL, "Could not read the peers (%s).", ike_strerror(rc));
		return;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, cpeer_json(&list[i]));
	db_free(list);
	web__reply_json(ctx, 200, json_pack("{s:o}", "peers", arr));
}

static void get_status(web_ctx *ctx)
{
	const char *state;
	json_t *st = daemon_status(ctx, &state);

	web__reply_json(ctx, 200, json_pack("{s:s, s:o?}", "daemon", state, "status", st));
}

static void post_peer(web_ctx *ctx)
{
	const char *alias = web__field(ctx, "alias"), *lts = web__field(ctx, "local_ts");
	const char *rts = web__field(ctx, "remote_ts"), *start = web__field(ctx, "start");
	db_cpeer *p = calloc(1, sizeof *p);
	db_field clash = DB_FIELD_NONE;
	int64_t id;
	int rc;

	if (!p) {
		web__reply_error(ctx, 500, NULL, "Out of memory.");
		return;
	}
	if (!alias || !alias[0] || strlen(alias) > DB_ALIAS_MAX || strpbrk(alias, " /\\\"'<>&\t\r\n")) {
		web__reply_error(
		    ctx, 400, "alias",
		    "Give the peer a name of 1 to %d characters, without spaces or / \\ \" ' < > &.",
		    DB_ALIAS_MAX);
		goto out;
	}
	if (!read_identity(ctx, "peer", web__field(ctx, "peer"), p->keyid, p->pubkey, &p->pubkey_len))
		goto out;
	if (!cidr_valid(lts)) {
		web__reply_error(ctx, 400, "local_ts",
		                 "Enter the local tunnel address as a CIDR, e.g. 10.9.0.1/32.");
		goto out;
	}
	if (!cidr_valid(rts)) {
		web__reply_error(ctx, 400, "remote_ts",
		                 "Enter the remote tunnel network as a CIDR, e.g. 10.9.0.2/32.");
		goto out;
	}
	/* One child SA carries one family: valid CIDRs are IPv6 exactly when they hold a ':'. */
	if (!strchr(lts, ':') != !strchr(rts, ':')) {
		web__reply_error(ctx, 400, "remote_ts",
		                 "The local address is %s and the remote network %s: both must be IPv4 or "
		                 "both IPv6.",
		                 strchr(lts, ':') ? "IPv6" : "IPv4", strchr(rts, ':') ? "IPv6" : "IPv4");
		goto out;
	}
	p->start = DB_START_MANUAL;
	if (start && start[0] && !db_start_parse(start, &p->start)) {
		web__reply_error(ctx, 400, "start",
		                 "Choose when the tunnel comes up: manual (Start button), always, or "
		                 "on-demand (when traffic for the remote network appears).");
		goto out;
	}
	snprintf(p->alias, sizeof p->alias, "%s", alias);
	snprintf(p->local_ts, sizeof p->local_ts, "%s", lts);
	snprintf(p->remote_ts, sizeof p->remote_ts, "%s", rts);
	rc = db_cpeer_add(app_db(ctx), p, ctx->now, &id, &clash);
	if (rc == IKE_ERR_EXISTS && clash == DB_FIELD_ALIAS) {
		web__reply_error(ctx, 409, "alias", "There is already a peer named \"%s\".", alias);
	} else if (rc == IKE_ERR_EXISTS) {
		web__reply_error(ctx, 409, "peer", "A peer with this KEY_ID is already configured.");
	} else if (rc != IKE_OK) {
		web__reply_error(ctx, 500, NULL, "Could not add the peer (%s).", ike_strerror(rc));
	} else {
		p->id = id;
		web__reply_json(ctx, 201, json_pack("{s:o}", "peer", cpeer_json(p)));
	}
out:
	free(p);
}

/* Finds the peer with ctx->id; replies 404 and returns false when there is none. */
static bool peer_by_id(web_ctx *ctx, char alias[DB_ALIAS_MAX + 1])
{
	db_cpeer *list = NULL;
	size_t n = 0;
	bool found = false;

	if (db_cpeer_list(app_db(ctx), &list, &n) == IKE_OK) {
		for (size_t i = 0; i < n && !found; i++) {
			if (list[i].id == ctx->id) {
				memcpy(alias, list[i].alias, DB_ALIAS_MAX + 1);
				found = true;
			}
		}
	}
	db_free(list);
	if (!found)
		web__reply_error(ctx, 404, NULL, "There is no such peer.");
	return found;
}

static void delete_peer(web_ctx *ctx)
{
	char alias[DB_ALIAS_MAX + 1];
	int rc;

	if (!peer_by_id(ctx, alias))
		return;
	rc = db_cpeer_delete(app_db(ctx), alias);
	if (rc != IKE_OK)
		web__reply_error(ctx, 500, NULL, "Could not delete the peer (%s).", ike_strerror(rc));
	else
		web__reply_json(ctx, 200, json_pack("{s:b}", "ok", 1));
}

static void peer_command(web_ctx *ctx, const char *cmd)
{
	char alias[DB_ALIAS_MAX + 1];
	json_t *req, *reply = NULL;
	int rc;

	if (!peer_by_id(ctx, alias))
		return;
	req = json_pack("{s:s, s:s}", "cmd", cmd, "peer", alias);
	rc = req ? web__ctl_ask(ctx, req, &reply) : IKE_ERR_NOMEM;
	json_decref(req);
	if (rc == IKE_ERR_NOT_FOUND) {
		web__reply_error(ctx, 503, NULL,
		                 "The client daemon is not running: start it with medcli run.");
	} else if (rc != IKE_OK) {
		web__reply_error(ctx, 502, NULL, "The client daemon did not answer (%s).", ike_strerror(rc));
	} else if (json_is_string(json_object_get(reply, "error"))) {
		web__reply_error(ctx, 502, NULL, "The client daemon refused: %s",
		                 json_string_value(json_object_get(reply, "error")));
	} else {
		web__reply_json(ctx, 200, json_pack("{s:b, s:O}", "ok", 1, "result", reply));
	}
	json_decref(reply);
}

static void post_up(web_ctx *ctx)
{
	peer_command(ctx, "up");
}

static void post_down(web_ctx *ctx)
{
	peer_command(ctx, "down");
}

const web_route web__client_routes[] = {
    {WEB_GET, "/api/session", get_session, 0},
    {WEB_POST, "/api/login", post_login, 0},
    {WEB_POST, "/api/logout", post_logout, 0},
    {WEB_GET, "/api/key", get_key, WEB_ROUTE_AUTH},
    {WEB_POST, "/api/key", post_key, WEB_ROUTE_AUTH},
    {WEB_GET, "/api/server", get_server, WEB_ROUTE_AUTH},
    {WEB_PUT, "/api/server", put_server, WEB_ROUTE_AUTH},
    {WEB_GET, "/api/peers", get_peers, WEB_ROUTE_AUTH},
    {WEB_POST, "/api/peers", post_peer, WEB_ROUTE_AUTH},
    {WEB_DELETE, "/api/peers/:id", delete_peer, WEB_ROUTE_AUTH},
    {WEB_POST, "/api/peers/:id/up", post_up, WEB_ROUTE_AUTH},
    {WEB_POST, "/api/peers/:id/down", post_down, WEB_ROUTE_AUTH},
    {WEB_GET, "/api/status", get_status, WEB_ROUTE_AUTH},
};
const size_t web__n_client_routes = sizeof web__client_routes / sizeof web__client_routes[0];
