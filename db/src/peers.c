/* SPDX-License-Identifier: MIT */
/*
 * Peers allowed to register at the mediation server (medsrv.db). Every user-scoped
 * statement has the owner in its WHERE clause (`user_id IS ?`, so the operator's
 * NULL owner matches too): a user can never read or change another user's peer.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db_int.h"

static int bind_owner(db *d, sqlite3_stmt *st, int col, int64_t owner)
{
	if (owner < 0)
		return db__fail(d, IKE_ERR_INVAL, "bad owner %lld", (long long)owner);
	if (owner == DB_OWNER_OPERATOR)
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_int64(st, col, owner);
	return IKE_OK;
}

/* Copies the current row of a DB__PEER_COLS query into out. */
static int read_peer(db *d, sqlite3_stmt *st, db_peer *out)
{
	int ret;

	out->id = sqlite3_column_int64(st, 0);
	out->user_id = sqlite3_column_int64(st, 1);
	out->created = sqlite3_column_int64(st, 7);
	out->updated = sqlite3_column_int64(st, 8);
	if ((ret = db__col_text(d, st, 2, out->owner, sizeof out->owner)) != IKE_OK ||
	    (ret = db__col_text(d, st, 3, out->alias, sizeof out->alias)) != IKE_OK ||
	    (ret = db__col_blob(d, st, 4, out->keyid, DB_KEYID_LEN, DB_KEYID_LEN, NULL)) != IKE_OK ||
	    (ret = db__col_blob(d, st, 5, out->keyid_spki, DB_KEYID_LEN, DB_KEYID_LEN, NULL)) != IKE_OK)
		return ret;
	return db__col_blob(d, st, 6, out->pubkey, sizeof out->pubkey, 0, &out->pubkey_len);
}

/* Steps a query expected to return at most one peer. */
static int read_one(db *d, sqlite3_stmt *st, db_peer *out, const char *what)
{
	int rc = sqlite3_step(st);
	int ret;

	if (rc == SQLITE_ROW)
		ret = read_peer(d, st, out);
	else if (rc == SQLITE_DONE)
		ret = db__fail(d, IKE_ERR_NOT_FOUND, "no such peer");
	else
		ret = db__sqlfail(d, rc, what);
	db__done(st);
	return ret;
}

/* True (1) if the query bound so far returns a row, 0 if not, or a negative error. */
static int exists(db *d, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int ret = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : db__sqlfail(d, rc, "check peer");

	db__done(st);
	return ret;
}

static int keyid_taken(db *d, const uint8_t *keyid)
{
	sqlite3_stmt *st = db__stmt(d, DB__S_PEER_CLASH_KEYID);

	if (!st)
		return IKE_ERR_DB;
	sqlite3_bind_blob(st, 1, keyid, DB_KEYID_LEN, SQLITE_STATIC);
	return exists(d, st);
}

static int alias_taken(db *d, int64_t owner, const char *alias)
{
	sqlite3_stmt *st = db__stmt(d, DB__S_PEER_CLASH_ALIAS);
	int ret;

	if (!st)
		return IKE_ERR_DB;
	if ((ret = bind_owner(d, st, 1, owner)) != IKE_OK)
		return ret;
	sqlite3_bind_text(st, 2, alias, -1, SQLITE_STATIC);
	return exists(d, st);
}

/* Finds which unique field p collides with, in order keyid, keyid_spki, alias. */
static int find_clash(db *d, const db_peer *p, db_field *field)
{
	int r;

	*field = DB_FIELD_NONE;
	if ((r = keyid_taken(d, p->keyid)) != 0) {
		*field = r > 0 ? DB_FIELD_KEYID : DB_FIELD_NONE;
		return r;
	}
	if ((r = keyid_taken(d, p->keyid_spki)) != 0) {
		*field = r > 0 ? DB_FIELD_KEYID_SPKI : DB_FIELD_NONE;
		return r;
	}
	if ((r = alias_taken(d, p->user_id, p->alias)) != 0) {
		*field = r > 0 ? DB_FIELD_ALIAS : DB_FIELD_NONE;
		return r;
	}
	return 0;
}

int db_peer_add(db *d, const db_peer *p, int64_t now, int64_t *id_out, db_field *clash)
{
	uint8_t spki[DB_KEYID_LEN];
	db_field field = DB_FIELD_NONE;
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if (clash)
		*clash = DB_FIELD_NONE;
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (!p)
		return db__fail(d, IKE_ERR_INVAL, "no peer");
	if ((ret = db__check_text(d, "alias", p->alias, 1, DB_ALIAS_MAX)) != IKE_OK ||
	    (ret = db__check_blob(d, "public key", p->pubkey, p->pubkey_len, 1, DB_PUBKEY_MAX)) != IKE_OK)
		return ret;
	if (db__sha1(p->pubkey, p->pubkey_len, spki) != IKE_OK)
		return db__fail(d, IKE_ERR_CRYPTO, "SHA-1 failed");
	if (CRYPTO_memcmp(spki, p->keyid_spki, sizeof spki) != 0)
		return db__fail(d, IKE_ERR_INVAL,
		                "keyid_spki is not SHA-1 of the public key: pass SubjectPublicKeyInfo DER");
	if (!(st = db__stmt(d, DB__S_PEER_ADD)))
		return IKE_ERR_DB;
	/* The clash checks and the insert run under one write lock, so the field we
	 * report is the one that really collided. */
	if ((ret = db__begin(d)) != IKE_OK)
		return ret;
	if ((ret = find_clash(d, p, &field)) != 0) {
		if (ret > 0)
			ret = db__fail(d, IKE_ERR_EXISTS, "%s is taken", db_field_name(field));
		goto fail;
	}
	if ((ret = bind_owner(d, st, 1, p->user_id)) != IKE_OK)
		goto fail;
	sqlite3_bind_text(st, 2, p->alias, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, p->keyid, DB_KEYID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, p->keyid_spki, DB_KEYID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, p->pubkey, (int)p->pubkey_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now);
	if ((ret = db__exec_stmt(d, st, "add peer", NULL)) != IKE_OK) {
		if (ret == IKE_ERR_NOT_FOUND)
			ret = db__fail(d, ret, "no user %lld", (long long)p->user_id);
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

int db_peer_find_keyid(db *d, const uint8_t *keyid, size_t keyid_len, db_peer *out)
{
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (!out)
		return db__fail(d, IKE_ERR_INVAL, "no output");
	if (!keyid || keyid_len != DB_KEYID_LEN)
		return db__fail(d, IKE_ERR_NOT_FOUND, "a KEY_ID of %zu bytes matches no peer", keyid_len);
	if (!(st = db__stmt(d, DB__S_PEER_FIND_KEYID)))
		return IKE_ERR_DB;
	sqlite3_bind_blob(st, 1, keyid, DB_KEYID_LEN, SQLITE_STATIC);
	return read_one(d, st, out, "find peer");
}

int db_peer_get(db *d, int64_t owner, int64_t peer_id, db_peer *out)
{
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (!out)
		return db__fail(d, IKE_ERR_INVAL, "no output");
	if (!(st = db__stmt(d, DB__S_PEER_GET)))
		return IKE_ERR_DB;
	if ((ret = bind_owner(d, st, 1, owner)) != IKE_OK)
		return ret;
	sqlite3_bind_int64(st, 2, peer_id);
	return read_one(d, st, out, "get peer");
}

int db_peer_get_by_alias(db *d, int64_t owner, const char *alias, db_peer *out)
{
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK ||
	    (ret = db__check_text(d, "alias", alias, 1, DB_ALIAS_MAX)) != IKE_OK)
		return ret;
	if (!out)
		return db__fail(d, IKE_ERR_INVAL, "no output");
	if (!(st = db__stmt(d, DB__S_PEER_GET_ALIAS)))
		return IKE_ERR_DB;
	if ((ret = bind_owner(d, st, 1, owner)) != IKE_OK)
		return ret;
	sqlite3_bind_text(st, 2, alias, -1, SQLITE_STATIC);
	return read_one(d, st, out, "get peer");
}

/* Collects every row of a bound DB__PEER_COLS query. */
static int read_peer_row(db *d, sqlite3_stmt *st, void *elem)
{
	return read_peer(d, st, elem);
}

static int read_all(db *d, sqlite3_stmt *st, db_peer **out, size_t *n_out)
{
	return db__read_rows(d, st, sizeof **out, read_peer_row, "list peers", (void **)out, n_out);
}

int db_peer_list(db *d, int64_t owner, db_peer **out, size_t *n_out)
{
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (!out || !n_out)
		return db__fail(d, IKE_ERR_INVAL, "no output");
	*out = NULL;
	*n_out = 0;
	if (!(st = db__stmt(d, DB__S_PEER_LIST)))
		return IKE_ERR_DB;
	if ((ret = bind_owner(d, st, 1, owner)) != IKE_OK)
		return ret;
	return read_all(d, st, out, n_out);
}

int db_peer_list_all(db *d, db_peer **out, size_t *n_out)
{
	sqlite3_stmt *st;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (!out || !n_out)
		return db__fail(d, IKE_ERR_INVAL, "no output");
	*out = NULL;
	*n_out = 0;
	if (!(st = db__stmt(d, DB__S_PEER_LIST_ALL)))
		return IKE_ERR_DB;
	return read_all(d, st, out, n_out);
}

int db_peer_count(db *d, int64_t owner, int64_t *n_out)
{
	sqlite3_stmt *st;
	int rc, ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (!n_out)
		return db__fail(d, IKE_ERR_INVAL, "no output");
	if (!(st = db__stmt(d, DB__S_PEER_COUNT)))
		return IKE_ERR_DB;
	if ((ret = bind_owner(d, st, 1, owner)) != IKE_OK)
		return ret;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n_out = sqlite3_column_int64(st, 0);
	else
		ret = db__sqlfail(d, rc, "count peers");
	db__done(st);
	return ret;
}

int db_peer_rename(db *d, int64_t owner, int64_t peer_id, const char *alias, int64_t now, db_field *clash)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	int ret;

	db__clear_err(d);
	if (clash)
		*clash = DB_FIELD_NONE;
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK ||
	    (ret = db__check_text(d, "alias", alias, 1, DB_ALIAS_MAX)) != IKE_OK)
		return ret;
	if (!(st = db__stmt(d, DB__S_PEER_RENAME)))
		return IKE_ERR_DB;
	if ((ret = bind_owner(d, st, 1, owner)) != IKE_OK)
		return ret;
	sqlite3_bind_int64(st, 2, peer_id);
	sqlite3_bind_text(st, 3, alias, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	/* One statement: the owner's unique alias index is the only one it can hit. */
	ret = db__exec_stmt(d, st, "rename peer", &n);
	if (ret == IKE_ERR_EXISTS) {
		if (clash)
			*clash = DB_FIELD_ALIAS;
		return db__fail(d, ret, "alias %s is taken", alias);
	}
	if (ret == IKE_OK && !n)
		ret = db__fail(d, IKE_ERR_NOT_FOUND, "no such peer");
	return ret;
}

int db_peer_delete(db *d, int64_t owner, int64_t peer_id)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	int ret;

	db__clear_err(d);
	if ((ret = db__need_kind(d, DB_KIND_SERVER)) != IKE_OK)
		return ret;
	if (!(st = db__stmt(d, DB__S_PEER_DEL)))
		return IKE_ERR_DB;
	if ((ret = bind_owner(d, st, 1, owner)) != IKE_OK)
		return ret;
	sqlite3_bind_int64(st, 2, peer_id);
	ret = db__exec_stmt(d, st, "delete peer", &n);
	if (ret == IKE_OK && !n)
		ret = db__fail(d, IKE_ERR_NOT_FOUND, "no such peer");
	return ret;
}
