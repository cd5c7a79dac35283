/* SPDX-License-Identifier: MIT */
/* Key/value settings, in both kinds of database. */
#include <string.h>

#include "db_int.h"

static int check_key(db *d, const char *key)
{
	return db__check_text(d, "setting key", key, 1, DB_SETTING_KEY_MAX);
}

/* One set (value) or delete (NULL value); no transaction of its own. */
static int apply_setting(db *d, const char *key, const char *value, int64_t *changes)
{
	sqlite3_stmt *st;
	int ret;

	if ((ret = check_key(d, key)) != IKE_OK)
		return ret;
	if (value && (ret = db__check_text(d, "setting value", value, 0, DB_SETTING_VALUE_MAX)) != IKE_OK)
		return ret;
	if (!(st = db__stmt(d, value ? DB__S_SETTING_SET : DB__S_SETTING_DEL)))
		return IKE_ERR_DB;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return db__exec_stmt(d, st, value ? "set setting" : "delete setting", changes);
}

int db_setting_set(db *d, const char *key, const char *value)
{
	db__clear_err(d);
	if (!value)
		return db__fail(d, IKE_ERR_INVAL, "setting value is missing");
	return apply_setting(d, key, value, NULL);
}

int db_settings_set(db *d, const db_setting *kv, size_t n)
{
	int ret;

	db__clear_err(d);
	if (n && !kv)
		return db__fail(d, IKE_ERR_INVAL, "settings are missing");
	if ((ret = db__begin(d)) != IKE_OK)
		return ret;
	for (size_t i = 0; i < n; i++)
		if ((ret = apply_setting(d, kv[i].key, kv[i].value, NULL)) != IKE_OK)
			goto fail;
	return db__commit(d);
fail:
	db__rollback(d);
	return ret;
}

int db_setting_get(db *d, const char *key, char *buf, size_t cap)
{
	sqlite3_stmt *st;
	int rc, ret;

	db__clear_err(d);
	if ((ret = check_key(d, key)) != IKE_OK)
		return ret;
	if (!buf || !cap)
		return db__fail(d, IKE_ERR_INVAL, "no buffer for the setting");
	if (!(st = db__stmt(d, DB__S_SETTING_GET)))
		return IKE_ERR_DB;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);

		if (!v && len)
			ret = db__fail(d, IKE_ERR_NOMEM, "out of memory reading %s", key);
		else if (len >= cap)
			ret = db__fail(d, IKE_ERR_NOBUF, "setting %s has %zu bytes", key, len);
		else {
			if (len)
				memcpy(buf, v, len);
			buf[len] = '\0';
		}
	} else if (rc == SQLITE_DONE) {
		ret = db__fail(d, IKE_ERR_NOT_FOUND, "setting %s is not set", key);
	} else {
		ret = db__sqlfail(d, rc, "get setting");
	}
	db__done(st);
	return ret;
}

int db_setting_delete(db *d, const char *key)
{
	int64_t n = 0;
	int ret;

	db__clear_err(d);
	if ((ret = apply_setting(d, key, NULL, &n)) != IKE_OK)
		return ret;
	return n ? IKE_OK : db__fail(d, IKE_ERR_NOT_FOUND, "setting %s is not set", key);
}
