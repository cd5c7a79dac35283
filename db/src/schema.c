/* SPDX-License-Identifier: MIT */
/*
 * The schema of both database kinds, as forward migration steps. The rule:
 * a step, once released, is never edited; a change is a new step appended at the
 * end. steps[i] takes a file from user_version i to i + 1 and runs, with every
 * later step, inside one transaction (open.c). docs/db.md describes each version.
 */
#include "db_int.h"

/* clang-format off */
/* medsrv.db version 1: accounts, operator and user peers (PKCS#1 KEY_ID only), settings. */
static const char server_v1[] =
	"CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  login TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  pwhash TEXT NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE peers ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,"
	"  alias TEXT NOT NULL,"
	"  keyid BLOB NOT NULL UNIQUE,"
	"  pubkey BLOB NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  UNIQUE (user_id, alias));";

/*
 * medsrv.db version 2: peers gain the SPKI form of the KEY_ID (computed from the
 * stored SubjectPublicKeyInfo with our sha1() SQL function) and an update time,
 * and become STRICT with length checks; operator aliases become unique; settings
 * get length checks; the web manager's sessions and login throttling appear.
 * peers and settings are rebuilt (create, copy, drop, rename): nothing references
 * them, so this is safe with foreign keys on. users is referenced by peers and is
 * not rebuilt.
 */
static const char server_v2[] =
	"CREATE TABLE settings_new ("
	"  key TEXT PRIMARY KEY NOT NULL CHECK (length(CAST(key AS BLOB)) BETWEEN 1 AND 64),"
	"  value TEXT NOT NULL CHECK (length(CAST(value AS BLOB)) <= 4096)"
	") STRICT, WITHOUT ROWID;"
	"INSERT INTO settings_new (key, value) SELECT key, value FROM settings;"
	"DROP TABLE settings;"
	"ALTER TABLE settings_new RENAME TO settings;"
	"CREATE TABLE peers_new ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,"
	"  alias TEXT NOT NULL CHECK (length(CAST(alias AS BLOB)) BETWEEN 1 AND 64),"
	"  keyid BLOB NOT NULL CHECK (length(keyid) = 20),"
	"  keyid_spki BLOB NOT NULL CHECK (length(keyid_spki) = 20),"
	"  pubkey BLOB NOT NULL CHECK (length(pubkey) BETWEEN 1 AND 4096),"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL"
	") STRICT;"
	"INSERT INTO peers_new (id, user_id, alias, keyid, keyid_spki, pubkey, created, updated)"
	"  SELECT id, user_id, alias, keyid, sha1(pubkey), pubkey, created, created FROM peers;"
	"DROP TABLE peers;"
	"ALTER TABLE peers_new RENAME TO peers;"
	"CREATE UNIQUE INDEX peers_keyid ON peers (keyid);"
	"CREATE UNIQUE INDEX peers_keyid_spki ON peers (keyid_spki);"
	"CREATE UNIQUE INDEX peers_owner_alias ON peers (user_id, alias);"
	"CREATE UNIQUE INDEX peers_operator_alias ON peers (alias) WHERE user_id IS NULL;"
	"CREATE TABLE sessions ("
	"  token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
	"  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	"  csrf TEXT NOT NULL CHECK (length(CAST(csrf AS BLOB)) BETWEEN 1 AND 128),"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX sessions_user ON sessions (user_id);"
	"CREATE INDEX sessions_expires ON sessions (expires);"
	"CREATE TABLE login_failures ("
	"  scope INTEGER NOT NULL CHECK (scope IN (1, 2)),"
	"  key TEXT NOT NULL COLLATE NOCASE CHECK (length(CAST(key AS BLOB)) BETWEEN 1 AND 64),"
	"  count INTEGER NOT NULL CHECK (count >= 1),"
	"  window_start INTEGER NOT NULL,"
	"  last INTEGER NOT NULL,"
	"  PRIMARY KEY (scope, key)"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX login_failures_last ON login_failures (last);";

/* medcli.db version 1: settings, the mediation server (one row), mediated peers. */
static const char client_v1[] =
	"CREATE TABLE settings ("
	"  key TEXT PRIMARY KEY NOT NULL CHECK (length(CAST(key AS BLOB)) BETWEEN 1 AND 64),"
	"  value TEXT NOT NULL CHECK (length(CAST(value AS BLOB)) <= 4096)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE medserver ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  address TEXT NOT NULL CHECK (length(CAST(address AS BLOB)) BETWEEN 1 AND 255),"
	"  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),"
	"  keyid BLOB CHECK (keyid IS NULL OR length(keyid) = 20),"
	"  pubkey BLOB CHECK (pubkey IS NULL OR length(pubkey) BETWEEN 1 AND 4096),"
	"  updated INTEGER NOT NULL,"
	"  CHECK (keyid IS NOT NULL OR pubkey IS NOT NULL)"
	") STRICT;"
	"CREATE TABLE peers ("
	"  id INTEGER PRIMARY KEY,"
	"  alias TEXT NOT NULL UNIQUE CHECK (length(CAST(alias AS BLOB)) BETWEEN 1 AND 64),"
	"  keyid BLOB NOT NULL UNIQUE CHECK (length(keyid) = 20),"
	"  pubkey BLOB CHECK (pubkey IS NULL OR length(pubkey) BETWEEN 1 AND 4096),"
	"  local_ts TEXT NOT NULL CHECK (length(CAST(local_ts AS BLOB)) BETWEEN 1 AND 64),"
	"  remote_ts TEXT NOT NULL CHECK (length(CAST(remote_ts AS BLOB)) BETWEEN 1 AND 64),"
	"  auto_start INTEGER NOT NULL DEFAULT 0 CHECK (auto_start IN (0, 1)),"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL"
	") STRICT;";

/*
 * medcli.db version 2: a peer's start action gains on-demand (start: 0 manual,
 * 1 always, 2 on-demand; it was auto_start 0/1), and the user's last word on it
 * is kept across restarts (intent: 0 none, 1 up, 2 down). peers is rebuilt
 * (nothing references it).
 */
static const char client_v2[] =
	"CREATE TABLE peers_new ("
	"  id INTEGER PRIMARY KEY,"
	"  alias TEXT NOT NULL UNIQUE CHECK (length(CAST(alias AS BLOB)) BETWEEN 1 AND 64),"
	"  keyid BLOB NOT NULL UNIQUE CHECK (length(keyid) = 20),"
	"  pubkey BLOB CHECK (pubkey IS NULL OR length(pubkey) BETWEEN 1 AND 4096),"
	"  local_ts TEXT NOT NULL CHECK (length(CAST(local_ts AS BLOB)) BETWEEN 1 AND 64),"
	"  remote_ts TEXT NOT NULL CHECK (length(CAST(remote_ts AS BLOB)) BETWEEN 1 AND 64),"
	"  start INTEGER NOT NULL DEFAULT 0 CHECK (start IN (0, 1, 2)),"
	"  intent INTEGER NOT NULL DEFAULT 0 CHECK (intent IN (0, 1, 2)),"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL"
	") STRICT;"
	"INSERT INTO peers_new (id, alias, keyid, pubkey, local_ts, remote_ts, start, intent, created, updated)"
	"  SELECT id, alias, keyid, pubkey, local_ts, remote_ts, auto_start, 0, created, updated FROM peers;"
	"DROP TABLE peers;"
	"ALTER TABLE peers_new RENAME TO peers;";

/* clang-format on */

static const char *const server_steps[] = {server_v1, server_v2};
static const char *const client_steps[] = {client_v1, client_v2};

/* 'IKMS' and 'IKMC': PRAGMA application_id, so a file of one kind is never taken for the other. */
static const db__schema schemas[] = {
    {DB_KIND_SERVER, "medsrv", 0x494b4d53, DB_SERVER_VERSION, server_steps},
    {DB_KIND_CLIENT, "medcli", 0x494b4d43, DB_CLIENT_VERSION, client_steps},
};

_Static_assert(sizeof server_steps / sizeof server_steps[0] == DB_SERVER_VERSION,
               "one server step per version");
_Static_assert(sizeof client_steps / sizeof client_steps[0] == DB_CLIENT_VERSION,
               "one client step per version");

const db__schema *db__schema_for(db_kind kind)
{
	for (size_t i = 0; i < sizeof schemas / sizeof schemas[0]; i++)
		if (schemas[i].kind == kind)
			return &schemas[i];
	return NULL;
}
