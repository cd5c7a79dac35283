/* SPDX-License-Identifier: MIT */
/* Web manager sessions (medsrv.db). Only SHA-256(token) is stored, so a copy of the
 * database does not hand out live session cookies. */
#include <string.h>

#include <openssl/crypto.h>

#include "db_int.h"

/* Checks the token and hashes it into h. */
static int hash_token(db *d, const char *token, uint8_t h[32])
{
	size_t len;

	if (!token)
		return db__fail(d, IKE_ERR_INVAL, "session token is missing");
	len = strnlen(token, DB_TOKEN_MAX + 1);
	if (len < DB_TOKEN_MIN || len > DB_TOKEN_MAX)
		return db__fail(d, IKE_ERR_INVAL, "session token must have %d..%d bytes", DB_TOKEN_MIN,
		                DB_TOKEN_MAX);
	if (db__sha256((const uint8_t *)token, len, h) != IKE_OK)
		return db__fail(d, IKE_ERR_CRYPTO, "SHA-256 failed");
	return IKE_OK;
}

int db_session_create(db *d, const char *token, int64_t user_id, const char *csrf, int64_t now,
                      int64_t expires)
{
	uint8_t h[32];
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK ||
	    (ret = db__check_text(d, "CSRF token", csrf, 1, DB_CSRF_MAX)) != IKE_OK ||
	    (ret = hash_token(d, token, h)) != IKE_OK)
		return ret;
	if (!(st = db__stmt(d, DB__S_SESS_ADD)))
		return IKE_ERR_DB;
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_text(st, 3, csrf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, expires);
	ret = db__exec_stmt(d, st, "create session", NULL);
	OPENSSL_cleanse(h, sizeof h);
	if (ret == IKE_ERR_NOT_FOUND)
		return db__fail(d, ret, "no user %lld", (long long)user_id);
	return ret;
}

int db_session_lookup(db *d, const char *token, int64_t now, db_session *out)
{
	uint8_t h[32];
	sqlite3_stmt *st;
	int rc, ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (!out)
		return db__fail(d, IKE_ERR_INVAL, "no output");
	/* A malformed token is simply not a session. */
	if (hash_token(d, token, h) != IKE_OK)
		return db__fail(d, IKE_ERR_NOT_FOUND, "no such session");
	if (!(st = db__stmt(d, DB__S_SESS_GET)))
		return IKE_ERR_DB;
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->user_id = sqlite3_column_int64(st, 0);
		out->created = sqlite3_column_int64(st, 2);
		out->expires = sqlite3_column_int64(st, 3);
		out->last_seen = sqlite3_column_int64(st, 4);
		ret = db__col_text(d, st, 1, out->csrf, sizeof out->csrf);
	} else if (rc == SQLITE_DONE) {
		ret = db__fail(d, IKE_ERR_NOT_FOUND, "no such session, or it expired");
	} else {
		ret = db__sqlfail(d, rc, "find session");
	}
	db__done(st);
	OPENSSL_cleanse(h, sizeof h);
	return ret;
}

int db_session_touch(db *d, const char *token, int64_t now, int64_t expires)
{
	uint8_t h[32];
	sqlite3_stmt *st;
	int64_t n = 0;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (hash_token(d, token, h) != IKE_OK)
		return db__fail(d, IKE_ERR_NOT_FOUND, "no such session");
	if (!(st = db__stmt(d, DB__S_SESS_TOUCH)))
		return IKE_ERR_DB;
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, expires);
	ret = db__exec_stmt(d, st, "touch session", &n);
	OPENSSL_cleanse(h, sizeof h);
	if (ret == IKE_OK && !n)
		ret = db__fail(d, IKE_ERR_NOT_FOUND, "no such session, or it expired");
	return ret;
}

int db_session_delete(db *d, const char *token)
{
	uint8_t h[32];
	sqlite3_stmt *st;
	int64_t n = 0;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (hash_token(d, token, h) != IKE_OK)
		return db__fail(d, IKE_ERR_NOT_FOUND, "no such session");
	if (!(st = db__stmt(d, DB__S_SESS_DEL)))
		return IKE_ERR_DB;
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_STATIC);
	ret = db__exec_stmt(d, st, "delete session", &n);
	OPENSSL_cleanse(h, sizeof h);
	if (ret == IKE_OK && !n)
		ret = db__fail(d, IKE_ERR_NOT_FOUND, "no such session");
	return ret;
}

/* Runs a DELETE bound to one integer and reports how many rows went. */
static int delete_by_int(db *d, db__stmt_id id, int64_t v, int64_t *n_out, const char *what)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (!(st = db__stmt(d, id)))
		return IKE_ERR_DB;
	sqlite3_bind_int64(st, 1, v);
	ret = db__exec_stmt(d, st, what, &n);
	if (ret == IKE_OK && n_out)
		*n_out = n;
	return ret;
}

int db_session_delete_user(db *d, int64_t user_id, int64_t *n_out)
{
	return delete_by_int(d, DB__S_SESS_DEL_USER, user_id, n_out, "delete user sessions");
}

int db_session_purge(db *d, int64_t now, int64_t *n_out)
{
	return delete_by_int(d, DB__S_SESS_PURGE, now, n_out, "purge sessions");
}
