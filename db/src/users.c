/* SPDX-License-Identifier: MIT */
/* Web manager accounts (medsrv.db). */
#include "db_int.h"

static int check_login(db *d, const char *login)
{
	return db__check_text(d, "login", login, 1, DB_LOGIN_MAX);
}

static int check_pwhash(db *d, const char *pwhash)
{
	return db__check_text(d, "password hash", pwhash, 1, DB_PWHASH_MAX);
}

int db_user_add(db *d, const char *login, const char *pwhash, int64_t now, int64_t *id_out)
{
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK || (ret = check_login(d, login)) != IKE_OK ||
	    (ret = check_pwhash(d, pwhash)) != IKE_OK)
		return ret;
	if (!(st = db__stmt(d, DB__S_USER_ADD)))
		return IKE_ERR_DB;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, pwhash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	ret = db__exec_stmt(d, st, "add user", NULL);
	if (ret == IKE_ERR_EXISTS)
		return db__fail(d, ret, "login %s is taken", login);
	if (ret == IKE_OK && id_out)
		*id_out = sqlite3_last_insert_rowid(d->conn);
	return ret;
}

static int read_user(db *d, sqlite3_stmt *st, db_user *out, const char *what)
{
	int rc = sqlite3_step(st);
	int ret;

	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->created = sqlite3_column_int64(st, 3);
		if ((ret = db__col_text(d, st, 1, out->login, sizeof out->login)) == IKE_OK)
			ret = db__col_text(d, st, 2, out->pwhash, sizeof out->pwhash);
	} else if (rc == SQLITE_DONE) {
		ret = db__fail(d, IKE_ERR_NOT_FOUND, "no such user");
	} else {
		ret = db__sqlfail(d, rc, what);
	}
	db__done(st);
	return ret;
}

int db_user_by_login(db *d, const char *login, db_user *out)
{
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK || (ret = check_login(d, login)) != IKE_OK)
		return ret;
	if (!out)
		return db__fail(d, IKE_ERR_INVAL, "no output");
	if (!(st = db__stmt(d, DB__S_USER_BY_LOGIN)))
		return IKE_ERR_DB;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	return read_user(d, st, out, "find user");
}

int db_user_by_id(db *d, int64_t id, db_user *out)
{
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (!out)
		return db__fail(d, IKE_ERR_INVAL, "no output");
	if (!(st = db__stmt(d, DB__S_USER_BY_ID)))
		return IKE_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	return read_user(d, st, out, "find user");
}

int db_user_set_pwhash(db *d, int64_t id, const char *pwhash)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK || (ret = check_pwhash(d, pwhash)) != IKE_OK)
		return ret;
	if (!(st = db__stmt(d, DB__S_USER_SET_PW)))
		return IKE_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, pwhash, -1, SQLITE_STATIC);
	if ((ret = db__exec_stmt(d, st, "set password", &n)) != IKE_OK)
		return ret;
	return n ? IKE_OK : db__fail(d, IKE_ERR_NOT_FOUND, "no such user");
}

int db_user_delete(db *d, int64_t id)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (!(st = db__stmt(d, DB__S_USER_DEL)))
		return IKE_ERR_DB;
	/* One statement: ON DELETE CASCADE removes the user's peers and sessions with it. */
	sqlite3_bind_int64(st, 1, id);
	if ((ret = db__exec_stmt(d, st, "delete user", &n)) != IKE_OK)
		return ret;
	return n ? IKE_OK : db__fail(d, IKE_ERR_NOT_FOUND, "no such user");
}
