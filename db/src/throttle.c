/* SPDX-License-Identifier: MIT */
/*
 * Failed-login throttling (medsrv.db): one row per (scope, key) with a fixed-window
 * counter, so an attacker's failures cost one row per login or address, not one
 * row per attempt.
 */
#include "db_int.h"

static int check_key(db *d, const char *what, const char *key)
{
	return db__check_text(d, what, key, 1, DB_THROTTLE_KEY_MAX);
}

static int record(db *d, db_throttle_scope scope, const char *key, int64_t now, int64_t window)
{
	sqlite3_stmt *st = db__stmt(d, DB__S_THR_FAIL);

	if (!st)
		return IKE_ERR_DB;
	sqlite3_bind_int(st, 1, (int)scope);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, window);
	return db__exec_stmt(d, st, "record failed login", NULL);
}

int db_throttle_fail(db *d, const char *login, const char *addr, int64_t now, int64_t window)
{
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (!login && !addr)
		return db__fail(d, IKE_ERR_INVAL, "neither login nor address given");
	if (window <= 0)
		return db__fail(d, IKE_ERR_INVAL, "window must be positive");
	if ((login && (ret = check_key(d, "login", login)) != IKE_OK) ||
	    (addr && (ret = check_key(d, "address", addr)) != IKE_OK))
		return ret;
	if ((ret = db__begin(d)) != IKE_OK)
		return ret;
	if (login && (ret = record(d, DB_THROTTLE_LOGIN, login, now, window)) != IKE_OK)
		goto fail;
	if (addr && (ret = record(d, DB_THROTTLE_ADDR, addr, now, window)) != IKE_OK)
		goto fail;
	return db__commit(d);
fail:
	db__rollback(d);
	return ret;
}

int db_throttle_count(db *d, db_throttle_scope scope, const char *key, int64_t now, int64_t window,
                      int64_t *count_out, int64_t *last_out)
{
	sqlite3_stmt *st;
	int rc, ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK || (ret = check_key(d, "key", key)) != IKE_OK)
		return ret;
	if (scope != DB_THROTTLE_LOGIN && scope != DB_THROTTLE_ADDR)
		return db__fail(d, IKE_ERR_INVAL, "unknown throttle scope %d", (int)scope);
	if (window <= 0 || !count_out)
		return db__fail(d, IKE_ERR_INVAL, "window must be positive and count_out given");
	if (!(st = db__stmt(d, DB__S_THR_COUNT)))
		return IKE_ERR_DB;
	sqlite3_bind_int(st, 1, (int)scope);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, window);
	rc = sqlite3_step(st);
	*count_out = 0;
	if (last_out)
		*last_out = 0;
	if (rc == SQLITE_ROW) {
		*count_out = sqlite3_column_int64(st, 0);
		if (last_out)
			*last_out = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE) {
		ret = db__sqlfail(d, rc, "count failed logins");
	}
	db__done(st);
	return ret;
}

static int reset_one(db *d, db_throttle_scope scope, const char *key)
{
	sqlite3_stmt *st = db__stmt(d, DB__S_THR_RESET);

	if (!st)
		return IKE_ERR_DB;
	sqlite3_bind_int(st, 1, (int)scope);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	return db__exec_stmt(d, st, "reset failed logins", NULL);
}

int db_throttle_reset(db *d, const char *login, const char *addr)
{
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if ((login && (ret = check_key(d, "login", login)) != IKE_OK) ||
	    (addr && (ret = check_key(d, "address", addr)) != IKE_OK))
		return ret;
	if ((ret = db__begin(d)) != IKE_OK)
		return ret;
	if (login && (ret = reset_one(d, DB_THROTTLE_LOGIN, login)) != IKE_OK)
		goto fail;
	if (addr && (ret = reset_one(d, DB_THROTTLE_ADDR, addr)) != IKE_OK)
		goto fail;
	return db__commit(d);
fail:
	db__rollback(d);
	return ret;
}

int db_throttle_purge(db *d, int64_t before, int64_t *n_out)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (!(st = db__stmt(d, DB__S_THR_PURGE)))
		return IKE_ERR_DB;
	sqlite3_bind_int64(st, 1, before);
	ret = db__exec_stmt(d, st, "purge failed logins", &n);
	if (ret == IKE_OK && n_out)
		*n_out = n;
	return ret;
}
