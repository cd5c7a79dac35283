/* SPDX-License-Identifier: MIT */
/*
 * db/src/db_int.h - private to db/: the handle, the statement cache, schema
 * scripts and the helpers every table file uses.
 */
#ifndef DB_INT_H
#define DB_INT_H
#include <sqlite3.h>

#include "db/db.h"

/* clang-format off */
/* Every statement the library runs, prepared once per handle on first use. */
#define DB_STMTS(X)                                                                          \
	X(SETTING_SET, "INSERT INTO settings (key, value) VALUES (?1, ?2) "                \
		       "ON CONFLICT (key) DO UPDATE SET value = excluded.value")            \
	X(SETTING_GET, "SELECT value FROM settings WHERE key = ?1")                          \
	X(SETTING_DEL, "DELETE FROM settings WHERE key = ?1")                                \
	X(USER_ADD, "INSERT INTO users (login, pwhash, created) VALUES (?1, ?2, ?3)")        \
	X(USER_BY_LOGIN, "SELECT id, login, pwhash, created FROM users WHERE login = ?1")   \
	X(USER_BY_ID, "SELECT id, login, pwhash, created FROM users WHERE id = ?1")         \
	X(USER_SET_PW, "UPDATE users SET pwhash = ?2 WHERE id = ?1")                         \
	X(USER_DEL, "DELETE FROM users WHERE id = ?1")                                       \
	X(SESS_ADD, "INSERT INTO sessions (token_hash, user_id, csrf, created, expires, "   \
		    "last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?4)")                              \
	X(SESS_GET, "SELECT user_id, csrf, created, expires, last_seen FROM sessions "      \
		    "WHERE token_hash = ?1 AND expires > ?2")                                 \
	X(SESS_TOUCH, "UPDATE sessions SET last_seen = ?2, expires = ?3 "                   \
		      "WHERE token_hash = ?1 AND expires > ?2")                               \
	X(SESS_DEL, "DELETE FROM sessions WHERE token_hash = ?1")                            \
	X(SESS_DEL_USER, "DELETE FROM sessions WHERE user_id = ?1")                          \
	X(SESS_PURGE, "DELETE FROM sessions WHERE expires <= ?1")                            \
	X(THR_FAIL, "INSERT INTO login_failures (scope, key, count, window_start, last) "   \
		    "VALUES (?1, ?2, 1, ?3, ?3) ON CONFLICT (scope, key) DO UPDATE SET "     \
		    "count = CASE WHEN ?3 - window_start >= ?4 THEN 1 ELSE count + 1 END, "  \
		    "window_start = CASE WHEN ?3 - window_start >= ?4 THEN ?3 "              \
		    "ELSE window_start END, last = max(last, ?3)")                           \
	X(THR_COUNT, "SELECT CASE WHEN ?3 - window_start < ?4 THEN count ELSE 0 END, last " \
		     "FROM login_failures WHERE scope = ?1 AND key = ?2")                    \
	X(THR_RESET, "DELETE FROM login_failures WHERE scope = ?1 AND key = ?2")            \
	X(THR_PURGE, "DELETE FROM login_failures WHERE last <= ?1")                          \
	X(PEER_ADD, "INSERT INTO peers (user_id, alias, keyid, keyid_spki, pubkey, created, " \
		    "updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)")                            \
	X(PEER_CLASH_KEYID, "SELECT 1 FROM peers WHERE keyid = ?1 OR keyid_spki = ?1")       \
	X(PEER_CLASH_ALIAS, "SELECT 1 FROM peers WHERE user_id IS ?1 AND alias = ?2")       \
	X(PEER_FIND_KEYID, DB__PEER_COLS "WHERE p.keyid = ?1 OR p.keyid_spki = ?1")          \
	X(PEER_GET, DB__PEER_COLS "WHERE p.user_id IS ?1 AND p.id = ?2")                     \
	X(PEER_GET_ALIAS, DB__PEER_COLS "WHERE p.user_id IS ?1 AND p.alias = ?2")           \
	X(PEER_LIST, DB__PEER_COLS "WHERE p.user_id IS ?1 ORDER BY p.alias")                 \
	X(PEER_LIST_ALL, DB__PEER_COLS "ORDER BY coalesce(u.login, ''), p.alias")            \
	X(PEER_COUNT, "SELECT count(*) FROM peers WHERE user_id IS ?1")                      \
	X(PEER_RENAME, "UPDATE peers SET alias = ?3, updated = ?4 "                          \
		       "WHERE user_id IS ?1 AND id = ?2")                                     \
	X(PEER_DEL, "DELETE FROM peers WHERE user_id IS ?1 AND id = ?2")                     \
	X(MS_SET, "INSERT INTO medserver (id, address, port, keyid, pubkey, updated) "      \
		  "VALUES (1, ?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET "           \
		  "address = excluded.address, port = excluded.port, keyid = excluded.keyid, " \
		  "pubkey = excluded.pubkey, updated = excluded.updated")                     \
	X(MS_GET, "SELECT address, port, keyid, pubkey, updated FROM medserver WHERE id = 1") \
	X(MS_DEL, "DELETE FROM medserver WHERE id = 1")                                      \
	X(CPEER_ADD, "INSERT INTO peers (alias, keyid, pubkey, local_ts, remote_ts, "       \
		     "start, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)")        \
	X(CPEER_UPDATE, "UPDATE peers SET alias = ?2, keyid = ?3, pubkey = ?4, local_ts = ?5, " \
			"remote_ts = ?6, start = ?7, updated = ?8 WHERE id = ?1")              \
	X(CPEER_SET_INTENT, "UPDATE peers SET intent = ?2, updated = ?3 WHERE id = ?1")     \
	X(CPEER_CLASH_KEYID, "SELECT 1 FROM peers WHERE keyid = ?1 AND id IS NOT ?2")        \
	X(CPEER_CLASH_ALIAS, "SELECT 1 FROM peers WHERE alias = ?1 AND id IS NOT ?2")        \
	X(CPEER_GET, DB__CPEER_COLS "WHERE alias = ?1")                                      \
	X(CPEER_FIND_KEYID, DB__CPEER_COLS "WHERE keyid = ?1")                               \
	X(CPEER_LIST, DB__CPEER_COLS "ORDER BY alias")                                       \
	X(CPEER_DEL, "DELETE FROM peers WHERE alias = ?1")

#define DB__PEER_COLS                                                                  \
	"SELECT p.id, coalesce(p.user_id, 0), coalesce(u.login, ''), p.alias, p.keyid, " \
	"p.keyid_spki, p.pubkey, p.created, p.updated FROM peers p "                       \
	"LEFT JOIN users u ON u.id = p.user_id "
#define DB__CPEER_COLS                                                                   \
	"SELECT id, alias, keyid, pubkey, local_ts, remote_ts, start, created, updated, "     \
	"intent "                                                                             \
	"FROM peers "

/* clang-format on */

typedef enum db__stmt_id {
#define DB__STMT_ENUM(n, s) DB__S_##n,
	DB_STMTS(DB__STMT_ENUM)
#undef DB__STMT_ENUM
	    DB__S_COUNT
} db__stmt_id;

#define DB__ERRMSG_MAX 512

struct db {
	sqlite3 *conn;
	db_kind kind;
	ike_log_fn log;
	void *log_user;
	sqlite3_stmt *stmts[DB__S_COUNT];
	char err[DB__ERRMSG_MAX];
};

/* Schema scripts (schema.c): steps[i] migrates version i to version i + 1. */
typedef struct db__schema {
	db_kind kind;
	const char *name;       /* "medsrv", "medcli": for messages */
	int32_t application_id; /* PRAGMA application_id marking the file's kind */
	int version;            /* the latest version = number of steps */
	const char *const *steps;
} db__schema;

const db__schema *db__schema_for(db_kind kind);

/* Clears the handle's error message (start of every public call). */
void db__clear_err(db *d);
/* Records our own sentence as the handle's error and returns code. */
int db__fail(db *d, int code, const char *fmt, ...) IKE_PRINTF(3, 4);
/* Records SQLite's message for a failed result rc (with a prefix) and returns the mapped IKE_ERR_*. */
int db__sqlfail(db *d, int rc, const char *what);
/* Maps an SQLite result code to IKE_ERR_*. */
int db__map_rc(int rc);

/* The cached statement id, prepared on first use; NULL on failure (error recorded). */
sqlite3_stmt *db__stmt(db *d, db__stmt_id id);
/* Resets a statement after use and clears its bindings, so it holds no read snapshot. */
void db__done(sqlite3_stmt *st);

/* Fails with IKE_ERR_INVAL unless the handle is of kind. */
int db__need_kind(db *d, db_kind kind);

/* Argument checks: UTF-8 text of min..max bytes, named for the error message. */
int db__check_text(db *d, const char *what, const char *s, size_t min, size_t max);
/* A blob of exactly/at most max bytes. */
int db__check_blob(db *d, const char *what, const uint8_t *p, size_t len, size_t min, size_t max);

/* Copies text column col into dst (cap bytes). IKE_ERR_DB if the stored value does not fit. */
int db__col_text(db *d, sqlite3_stmt *st, int col, char *dst, size_t cap);
/* Copies blob column col into dst: exactly want bytes, or up to cap bytes if want is 0. */
int db__col_blob(db *d, sqlite3_stmt *st, int col, uint8_t *dst, size_t cap, size_t want, size_t *len_out);

/* Transactions for multi-statement writes. BEGIN IMMEDIATE takes the write lock first. */
int db__begin(db *d);
int db__commit(db *d);
void db__rollback(db *d);

/* Runs a statement that returns no rows to completion and resets it. *changes (may be NULL). */
int db__exec_stmt(db *d, sqlite3_stmt *st, const char *what, int64_t *changes);

/* SHA-1 and SHA-256 (OpenSSL). */
int db__sha1(const uint8_t *p, size_t len, uint8_t out[20]);
int db__sha256(const uint8_t *p, size_t len, uint8_t out[32]);

/* Grows a list by one element of size elem; *cap doubles. IKE_ERR_NOMEM on failure. */
int db__list_grow(void **items, size_t *cap, size_t n, size_t elem);

/* Reads every row of st (already bound) into a new array of elements of size elem,
 * one read_row call per row (which fills the element and returns IKE_OK or an error),
 * then resets st. *out (free with db_free) and *n_out are set on success only.
 * what names the query in error messages ("list peers"). */
typedef int (*db__row_fn)(db *d, sqlite3_stmt *st, void *elem);
int db__read_rows(db *d, sqlite3_stmt *st, size_t elem, db__row_fn read_row, const char *what, void **out,
		  size_t *n_out);

#endif /* DB_INT_H */
