/* SPDX-License-Identifier: MIT */
/* The client's mediation server and mediated peers (medcli.db). */
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

/* ---- mediation server ---------------------------------------------------------- */

int db_medserver_set(db *d, const db_medserver *s, int64_t now)
{
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_CLIENT)) != IKE_OK)
		return ret;
	if (!s)
		return db__fail(d, IKE_ERR_INVAL, "no server");
	if ((ret = db__check_text(d, "server address", s->address, 1, DB_ADDRESS_MAX)) != IKE_OK ||
	    (ret = db__check_blob(d, "server public key", s->pubkey, s->pubkey_len, 0, DB_PUBKEY_MAX)) !=
	        IKE_OK)
		return ret;
	if (s->port == 0)
		return db__fail(d, IKE_ERR_INVAL, "server port is 0");
	if (!s->has_keyid && !s->pubkey_len)
		return db__fail(d, IKE_ERR_INVAL, "the server needs a KEY_ID or a public key");
	if (!(st = db__stmt(d, DB__S_MS_SET)))
		return IKE_ERR_DB;
	sqlite3_bind_text(st, 1, s->address, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, s->port);
	if (s->has_keyid)
		sqlite3_bind_blob(st, 3, s->keyid, DB_KEYID_LEN, SQLITE_STATIC);
	if (s->pubkey_len)
		sqlite3_bind_blob(st, 4, s->pubkey, (int)s->pubkey_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	return db__exec_stmt(d, st, "set server", NULL);
}

int db_medserver_get(db *d, db_medserver *out)
{
	sqlite3_stmt *st;
	int rc, ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_CLIENT)) != IKE_OK)
		return ret;
	if (!out)
		return db__fail(d, IKE_ERR_INVAL, "no output");
	if (!(st = db__stmt(d, DB__S_MS_GET)))
		return IKE_ERR_DB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t port = sqlite3_column_int64(st, 1);

		memset(out, 0, sizeof *out);
		out->updated = sqlite3_column_int64(st, 4);
		out->has_keyid = sqlite3_column_type(st, 2) != SQLITE_NULL;
		if (port < 1 || port > 65535)
			ret = db__fail(d, IKE_ERR_DB, "stored port %lld is out of range", (long long)port);
		else
			out->port = (uint16_t)port;
		if (ret == IKE_OK)
			ret = db__col_text(d, st, 0, out->address, sizeof out->address);
		if (ret == IKE_OK && out->has_keyid)
			ret = db__col_blob(d, st, 2, out->keyid, DB_KEYID_LEN, DB_KEYID_LEN, NULL);
		if (ret == IKE_OK)
			ret = db__col_blob(d, st, 3, out->pubkey, sizeof out->pubkey, 0, &out->pubkey_len);
	} else if (rc == SQLITE_DONE) {
		ret = db__fail(d, IKE_ERR_NOT_FOUND, "no mediation server is configured");
	} else {
		ret = db__sqlfail(d, rc, "get server");
	}
	db__done(st);
	return ret;
}

int db_medserver_clear(db *d)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_CLIENT)) != IKE_OK)
		return ret;
	if (!(st = db__stmt(d, DB__S_MS_DEL)))
		return IKE_ERR_DB;
	if ((ret = db__exec_stmt(d, st, "clear server", &n)) != IKE_OK)
		return ret;
	return n ? IKE_OK : db__fail(d, IKE_ERR_NOT_FOUND, "no mediation server is configured");
}

/* ---- mediated peers ---------------------------------------------------------------- */

static int check_cpeer(db *d, const db_cpeer *p)
{
	int ret;

	if (!p)
		return db__fail(d, IKE_ERR_INVAL, "no peer");
	if ((ret = db__check_text(d, "alias", p->alias, 1, DB_ALIAS_MAX)) != IKE_OK ||
	    (ret = db__check_text(d, "local traffic selector", p->local_ts, 1, DB_CIDR_MAX)) != IKE_OK ||
	    (ret = db__check_text(d, "remote traffic selector", p->remote_ts, 1, DB_CIDR_MAX)) != IKE_OK)
		return ret;
	if ((unsigned)p->start > DB_START_ON_DEMAND)
		return db__fail(d, IKE_ERR_INVAL, "start action %d is none of manual, always, on-demand",
		                (int)p->start);
	return db__check_blob(d, "public key", p->pubkey, p->pubkey_len, 0, DB_PUBKEY_MAX);
}

static int taken(db *d, db__stmt_id id, const db_cpeer *p, int64_t self)
{
	sqlite3_stmt *st = db__stmt(d, id);
	int rc, ret;

	if (!st)
		return IKE_ERR_DB;
	if (id == DB__S_CPEER_CLASH_KEYID)
		sqlite3_bind_blob(st, 1, p->keyid, DB_KEYID_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_text(st, 1, p->alias, -1, SQLITE_STATIC);
	if (self)
		sqlite3_bind_int64(st, 2, self);
	rc = sqlite3_step(st);
	ret = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : db__sqlfail(d, rc, "check peer");
	db__done(st);
	return ret;
}

/* Which unique field p collides with among the other peers (self = p's id, 0 for new). */
static int find_clash(db *d, const db_cpeer *p, int64_t self, db_field *field)
{
	int r;

	*field = DB_FIELD_NONE;
	if ((r = taken(d, DB__S_CPEER_CLASH_KEYID, p, self)) != 0) {
		*field = r > 0 ? DB_FIELD_KEYID : DB_FIELD_NONE;
		return r;
	}
	if ((r = taken(d, DB__S_CPEER_CLASH_ALIAS, p, self)) != 0) {
		*field = r > 0 ? DB_FIELD_ALIAS : DB_FIELD_NONE;
		return r;
	}
	return 0;
}

/* Adds (p->id ignored) or updates (update = true) a peer, clash check and write in one transaction. */
static int write_cpeer(db *d, const db_cpeer *p, int64_t now, bool update, int64_t *id_out, db_field *clash)
{
	db_field field = DB_FIELD_NONE;
	sqlite3_stmt *st;
	int64_t n = 0;
	int c = 1, ret;

	if (clash)
		*clash = DB_FIELD_NONE;
	if ((ret = db__need_kind(d, DB_KIND_CLIENT)) != IKE_OK || (ret = check_cpeer(d, p)) != IKE_OK)
		return ret;
	if (!(st = db__stmt(d, update ? DB__S_CPEER_UPDATE : DB__S_CPEER_ADD)))
		return IKE_ERR_DB;
	if ((ret = db__begin(d)) != IKE_OK)
		return ret;
	if ((ret = find_clash(d, p, update ? p->id : 0, &field)) != 0) {
		if (ret > 0)
			ret = db__fail(d, IKE_ERR_EXISTS, "%s is taken", db_field_name(field));
		goto fail;
	}
	if (update)
		sqlite3_bind_int64(st, c++, p->id);
	sqlite3_bind_text(st, c++, p->alias, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, c++, p->keyid, DB_KEYID_LEN, SQLITE_STATIC);
	if (p->pubkey_len)
		sqlite3_bind_blob(st, c, p->pubkey, (int)p->pubkey_len, SQLITE_STATIC);
	c++;
	sqlite3_bind_text(st, c++, p->local_ts, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, c++, p->remote_ts, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, c++, (int)p->start);
	sqlite3_bind_int64(st, c, now);
	if ((ret = db__exec_stmt(d, st, update ? "update peer" : "add peer", &n)) != IKE_OK)
		goto fail;
	if (update && !n) {
		ret = db__fail(d, IKE_ERR_NOT_FOUND, "no peer with id %lld", (long long)p->id);
		goto fail;
	}
	if (id_out)
		*id_out = sqlite3_last_insert_rowid(d->conn);
	return db__commit(d);
fail:
	db__done(st);
	db__rollback(d);
	if (clash)
		*clash = field;
	return ret;
}

int db_cpeer_add(db *d, const db_cpeer *p, int64_t now, int64_t *id_out, db_field *clash)
{
	db__clear_err(d);
	return write_cpeer(d, p, now, false, id_out, clash);
}

int db_cpeer_update(db *d, const db_cpeer *p, int64_t now, db_field *clash)
{
	db__clear_err(d);
	return write_cpeer(d, p, now, true, NULL, clash);
}

static int read_cpeer(db *d, sqlite3_stmt *st, db_cpeer *out)
{
	int ret;

	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, 0);
	out->start = (db_start)sqlite3_column_int64(st, 6);
	out->intent = (db_intent)sqlite3_column_int64(st, 9);
	out->created = sqlite3_column_int64(st, 7);
	out->updated = sqlite3_column_int64(st, 8);
	if ((ret = db__col_text(d, st, 1, out->alias, sizeof out->alias)) != IKE_OK ||
	    (ret = db__col_blob(d, st, 2, out->keyid, DB_KEYID_LEN, DB_KEYID_LEN, NULL)) != IKE_OK ||
	    (ret = db__col_blob(d, st, 3, out->pubkey, sizeof out->pubkey, 0, &out->pubkey_len)) != IKE_OK ||
	    (ret = db__col_text(d, st, 4, out->local_ts, sizeof out->local_ts)) != IKE_OK)
		return ret;
	return db__col_text(d, st, 5, out->remote_ts, sizeof out->remote_ts);
}

static int read_one(db *d, sqlite3_stmt *st, db_cpeer *out)
{
	int rc = sqlite3_step(st);
	int ret;

	if (rc == SQLITE_ROW)
		ret = read_cpeer(d, st, out);
	else if (rc == SQLITE_DONE)
		ret = db__fail(d, IKE_ERR_NOT_FOUND, "no such peer");
	else
		ret = db__sqlfail(d, rc, "get peer");
	db__done(st);
	return ret;
}

int db_cpeer_get(db *d, const char *alias, db_cpeer *out)
{
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_CLIENT)) != IKE_OK ||
	    (ret = db__check_text(d, "alias", alias, 1, DB_ALIAS_MAX)) != IKE_OK)
		return ret;
	if (!out)
		return db__fail(d, IKE_ERR_INVAL, "no output");
	if (!(st = db__stmt(d, DB__S_CPEER_GET)))
		return IKE_ERR_DB;
	sqlite3_bind_text(st, 1, alias, -1, SQLITE_STATIC);
	return read_one(d, st, out);
}

int db_cpeer_find_keyid(db *d, const uint8_t *keyid, size_t keyid_len, db_cpeer *out)
{
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_CLIENT)) != IKE_OK)
		return ret;
	if (!out)
		return db__fail(d, IKE_ERR_INVAL, "no output");
	if (!keyid || keyid_len != DB_KEYID_LEN)
		return db__fail(d, IKE_ERR_NOT_FOUND, "a KEY_ID of %zu bytes matches no peer", keyid_len);
	if (!(st = db__stmt(d, DB__S_CPEER_FIND_KEYID)))
		return IKE_ERR_DB;
	sqlite3_bind_blob(st, 1, keyid, DB_KEYID_LEN, SQLITE_STATIC);
	return read_one(d, st, out);
}

static int read_cpeer_row(db *d, sqlite3_stmt *st, void *elem)
{
	return read_cpeer(d, st, elem);
}

int db_cpeer_list(db *d, db_cpeer **out, size_t *n_out)
{
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_CLIENT)) != IKE_OK)
		return ret;
	if (!out || !n_out)
		return db__fail(d, IKE_ERR_INVAL, "no output");
	*out = NULL;
	*n_out = 0;
	if (!(st = db__stmt(d, DB__S_CPEER_LIST)))
		return IKE_ERR_DB;
	return db__read_rows(d, st, sizeof **out, read_cpeer_row, "list peers", (void **)out, n_out);
}

static const char *const start_names[] = {"manual", "always", "on-demand"};

const char *db_start_name(db_start s)
{
	return (unsigned)s < sizeof start_names / sizeof start_names[0] ? start_names[s] : NULL;
}

bool db_start_parse(const char *name, db_start *out)
{
	for (unsigned i = 0; name && i < sizeof start_names / sizeof start_names[0]; i++)
		if (strcmp(name, start_names[i]) == 0) {
			*out = (db_start)i;
			return true;
		}
	return false;
}

int db_cpeer_set_intent(db *d, int64_t id, db_intent intent, int64_t now)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_CLIENT)) != IKE_OK)
		return ret;
	if ((unsigned)intent > DB_INTENT_DOWN)
		return db__fail(d, IKE_ERR_INVAL, "intent %d is none of none, up, down", (int)intent);
	if (!(st = db__stmt(d, DB__S_CPEER_SET_INTENT)))
		return IKE_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, (int)intent);
	sqlite3_bind_int64(st, 3, now);
	if ((ret = db__exec_stmt(d, st, "record the user's up/down", &n)) != IKE_OK)
		return ret;
	return n ? IKE_OK : db__fail(d, IKE_ERR_NOT_FOUND, "no peer with id %lld", (long long)id);
}

int db_cpeer_delete(db *d, const char *alias)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_CLIENT)) != IKE_OK ||
	    (ret = db__check_text(d, "alias", alias, 1, DB_ALIAS_MAX)) != IKE_OK)
		return ret;
	if (!(st = db__stmt(d, DB__S_CPEER_DEL)))
		return IKE_ERR_DB;
	sqlite3_bind_text(st, 1, alias, -1, SQLITE_STATIC);
	if ((ret = db__exec_stmt(d, st, "delete peer", &n)) != IKE_OK)
		return ret;
	return n ? IKE_OK : db__fail(d, IKE_ERR_NOT_FOUND, "no peer %s", alias);
}
