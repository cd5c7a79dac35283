/* SPDX-License-Identifier: MIT */
/*
 * Forward migration. The version 1 DDL below is a frozen copy of what version 1 of
 * db/ wrote; it must not follow later changes to db/src/schema.c.
 */
#include "tst_db.h"

static const char v1_ddl[] =
    "CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"
    "CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  pwhash TEXT NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE peers (id INTEGER PRIMARY KEY,"
    "  user_id INTEGER REFERENCES users (id) ON DELETE CASCADE, alias TEXT NOT NULL,"
    "  keyid BLOB NOT NULL UNIQUE, pubkey BLOB NOT NULL, created INTEGER NOT NULL,"
    "  UNIQUE (user_id, alias));"
    "PRAGMA application_id = 1229671763;" /* 0x494b4d53 'IKMS' */
    "PRAGMA user_version = 1;";

/* Writes a version 1 medsrv.db with one user, a user peer and an operator peer. */
static void make_v1_file(const db_peer *mine, const db_peer *op, const char *extra_sql)
{
	sqlite3 *c = tst_raw("medsrv.db");
	sqlite3_stmt *st;
	const db_peer *ps[2] = {mine, op};

	tst_raw_exec(c, v1_ddl);
	tst_raw_exec(c, "INSERT INTO users (id, login, pwhash, created) VALUES (7, 'Alice', 'hash-a', 100);"
	                "INSERT INTO settings VALUES ('server.key', '/etc/medsrv/key.pem');");
	for (int i = 0; i < 2; i++) {
		cr_assert(eq(int,
		             sqlite3_prepare_v2(c,
		                                "INSERT INTO peers (user_id, alias, keyid, pubkey, created) "
		                                "VALUES (?1, ?2, ?3, ?4, ?5)",
		                                -1, &st, NULL),
		             SQLITE_OK));
		if (ps[i]->user_id)
			sqlite3_bind_int64(st, 1, ps[i]->user_id);
		sqlite3_bind_text(st, 2, ps[i]->alias, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, ps[i]->keyid, DB_KEYID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 4, ps[i]->pubkey, (int)ps[i]->pubkey_len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, 200 + i);
		cr_assert(eq(int, sqlite3_step(st), SQLITE_DONE), "%s", sqlite3_errmsg(c));
		sqlite3_finalize(st);
	}
	if (extra_sql)
		tst_raw_exec(c, extra_sql);
	sqlite3_close(c);
}

DB_TEST(db_migrate, upgrades_v1_file_without_data_loss)
{
	db_peer mine, op, got;
	db_user u;
	db *d;
	char val[64];

	tst_peer(&mine, 7, "laptop", 1);
	tst_peer(&op, DB_OWNER_OPERATOR, "gateway", 2);
	make_v1_file(&mine, &op, NULL);

	d = tst_open_server();
	cr_assert(eq(int, db_schema_version(d), DB_SERVER_VERSION));
	cr_assert(eq(int, db_user_by_login(d, "alice", &u), IKE_OK));
	cr_assert(eq(i64, u.id, 7));
	cr_assert(eq(str, u.login, "Alice"));
	cr_assert(eq(str, u.pwhash, "hash-a"));
	cr_assert(eq(int, db_setting_get(d, "server.key", val, sizeof val), IKE_OK));
	cr_assert(eq(str, val, "/etc/medsrv/key.pem"));

	/* The PKCS#1 KEY_ID survives; the SPKI one was derived from the stored DER. */
	cr_assert(eq(int, db_peer_find_keyid(d, mine.keyid, DB_KEYID_LEN, &got), IKE_OK), "%s", db_errmsg(d));
	cr_assert(eq(str, got.alias, "laptop"));
	cr_assert(eq(i64, got.user_id, 7));
	cr_assert(eq(str, got.owner, "Alice"));
	cr_assert(eq(int, memcmp(got.keyid_spki, mine.keyid_spki, DB_KEYID_LEN), 0));
	cr_assert(eq(sz, got.pubkey_len, mine.pubkey_len));
	cr_assert(eq(int, memcmp(got.pubkey, mine.pubkey, mine.pubkey_len), 0));
	cr_assert(eq(i64, got.created, 200));
	cr_assert(eq(i64, got.updated, 200));
	cr_assert(eq(int, db_peer_find_keyid(d, op.keyid_spki, DB_KEYID_LEN, &got), IKE_OK));
	cr_assert(eq(str, got.alias, "gateway"));
	cr_assert(eq(i64, got.user_id, DB_OWNER_OPERATOR));

	/* The version 2 tables work. */
	cr_assert(eq(int, db_session_create(d, "0123456789abcdef0123", 7, "csrf", 10, 20), IKE_OK));
	cr_assert(eq(int, db_throttle_fail(d, "alice", "192.0.2.1", 10, 60), IKE_OK));
	db_close(d);
}

DB_TEST(db_migrate, failed_migration_leaves_v1_file_intact)
{
	char path[256], err[256];
	db_peer mine, op;
	sqlite3 *c;
	db *d = NULL;

	/* Version 1 had no length check: a 70-byte alias cannot enter the version 2 table. */
	tst_peer(&mine, 7, "laptop", 1);
	tst_peer(&op, DB_OWNER_OPERATOR, "gateway", 2);
	make_v1_file(&mine, &op,
	             "UPDATE peers SET alias = "
	             "'an-alias-of-seventy-bytes-is-longer-than-the-limit-of-sixty-four-bytes'"
	             " WHERE alias = 'gateway'");

	cr_assert(eq(
	    int, db_open(&d, tst_path(path, sizeof path, "medsrv.db"), DB_KIND_SERVER, NULL, err, sizeof err),
	    IKE_ERR_DB));
	cr_assert(eq(ptr, d, NULL));
	cr_assert(strstr(err, "migration to version 2") != NULL, "message: %s", err);

	c = tst_raw("medsrv.db");
	cr_assert(eq(i64, tst_raw_int(c, "PRAGMA user_version"), 1));
	cr_assert(eq(i64, tst_raw_int(c, "SELECT count(*) FROM peers"), 2));
	cr_assert(eq(i64, tst_raw_int(c, "SELECT count(*) FROM users"), 1));
	cr_assert(eq(i64, tst_raw_int(c, "SELECT count(*) FROM settings"), 1));
	cr_assert(eq(i64,
	             tst_raw_int(c, "SELECT count(*) FROM pragma_table_info('peers') "
	                            "WHERE name = 'keyid_spki'"),
	             0));
	cr_assert(eq(i64,
	             tst_raw_int(c, "SELECT count(*) FROM sqlite_schema WHERE name IN "
	                            "('sessions', 'login_failures', 'peers_new', 'settings_new')"),
	             0));

	/* Fixed by hand, the same file then migrates. */
	tst_raw_exec(c, "UPDATE peers SET alias = 'gateway' WHERE user_id IS NULL");
	sqlite3_close(c);
	d = tst_open_server();
	cr_assert(eq(int, db_schema_version(d), DB_SERVER_VERSION));
	db_close(d);
}

DB_TEST(db_migrate, second_handle_opens_migrated_file_without_migrating)
{
	db *a = tst_open_server();
	db *b = tst_open_server();

	cr_assert(eq(int, db_schema_version(b), DB_SERVER_VERSION));
	tst_user(a, "alice");
	db_close(a);
	db_close(b);
}

/* medcli.db version 1 (frozen copy): peers had auto_start 0/1 and no intent. */
static const char client_v1_ddl[] =
    "CREATE TABLE settings ("
    "  key TEXT PRIMARY KEY NOT NULL CHECK (length(CAST(key AS BLOB)) BETWEEN 1 AND 64),"
    "  value TEXT NOT NULL CHECK (length(CAST(value AS BLOB)) <= 4096)) STRICT, WITHOUT ROWID;"
    "CREATE TABLE medserver (id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  address TEXT NOT NULL CHECK (length(CAST(address AS BLOB)) BETWEEN 1 AND 255),"
    "  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),"
    "  keyid BLOB CHECK (keyid IS NULL OR length(keyid) = 20),"
    "  pubkey BLOB CHECK (pubkey IS NULL OR length(pubkey) BETWEEN 1 AND 4096),"
    "  updated INTEGER NOT NULL, CHECK (keyid IS NOT NULL OR pubkey IS NOT NULL)) STRICT;"
    "CREATE TABLE peers (id INTEGER PRIMARY KEY,"
    "  alias TEXT NOT NULL UNIQUE CHECK (length(CAST(alias AS BLOB)) BETWEEN 1 AND 64),"
    "  keyid BLOB NOT NULL UNIQUE CHECK (length(keyid) = 20),"
    "  pubkey BLOB CHECK (pubkey IS NULL OR length(pubkey) BETWEEN 1 AND 4096),"
    "  local_ts TEXT NOT NULL CHECK (length(CAST(local_ts AS BLOB)) BETWEEN 1 AND 64),"
    "  remote_ts TEXT NOT NULL CHECK (length(CAST(remote_ts AS BLOB)) BETWEEN 1 AND 64),"
    "  auto_start INTEGER NOT NULL DEFAULT 0 CHECK (auto_start IN (0, 1)),"
    "  created INTEGER NOT NULL, updated INTEGER NOT NULL) STRICT;"
    "PRAGMA application_id = 1229671747;" /* 0x494b4d43 'IKMC' */
    "PRAGMA user_version = 1;";

DB_TEST(db_migrate, client_v1_peers_keep_their_start_and_gain_an_intent)
{
	sqlite3 *c = tst_raw("medcli.db");
	db_cpeer got;
	db *d;

	tst_raw_exec(c, client_v1_ddl);
	tst_raw_exec(
	    c, "INSERT INTO peers (id, alias, keyid, local_ts, remote_ts, auto_start, created, updated) "
	       "VALUES (3, 'bob', zeroblob(20), '10.91.0.1/32', '10.92.0.1/32', 1, 10, 11),"
	       "       (4, 'carol', randomblob(20), '10.91.0.1/32', '10.93.0.1/32', 0, 12, 13);");
	sqlite3_close(c);
	d = tst_open_client();
	cr_assert(eq(int, db_schema_version(d), DB_CLIENT_VERSION));
	cr_assert(eq(int, db_cpeer_get(d, "bob", &got), IKE_OK), "%s", db_errmsg(d));
	cr_assert(eq(i64, got.id, 3));
	cr_assert(eq(int, (int)got.start, DB_START_ALWAYS));
	cr_assert(eq(int, (int)got.intent, DB_INTENT_NONE));
	cr_assert(eq(i64, got.updated, 11));
	cr_assert(eq(int, db_cpeer_get(d, "carol", &got), IKE_OK));
	cr_assert(eq(int, (int)got.start, DB_START_MANUAL));
	db_close(d);
}
