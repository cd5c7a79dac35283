/* SPDX-License-Identifier: MIT */
/*
 * db/db.h - the project's storage: two SQLite files, the mediation server's
 * (medsrv.db) and the client's (medcli.db). db/ is the only code that writes SQL.
 *
 * Threads: a db handle is not thread-safe. Use one handle per thread (medsrv: one
 * per worker); several handles, in one process or several, may share one file.
 * Concurrency: WAL mode. Readers never block the writer and see every transaction
 * committed before their statement starts, so a peer the web manager adds is found
 * by medsrv's next lookup. Writers wait up to the busy timeout for each other.
 * Time: there is no hidden clock. Every function that records or compares a time
 * takes `now`, in seconds (the caller's choice of epoch; programs use Unix time).
 * Strings: UTF-8, NUL-terminated, with the byte limits below (excluding the NUL).
 * Pointer arguments are borrowed for the call; nothing is kept after it returns
 * (values are bound, used and released inside the call). Functions returning lists allocate
 * them; the caller frees them with db_free().
 * Errors: 0 (IKE_OK) or a negative IKE_ERR_* code (ike/err.h). Unless a function
 * says otherwise: IKE_ERR_INVAL = an argument is missing, too long, not UTF-8 or
 * the wrong kind of handle; IKE_ERR_NOMEM; IKE_ERR_IO = the file could not be read
 * or written (disk full, permissions); IKE_ERR_DB = any other SQLite failure (busy
 * past the timeout, corrupt file). db_errmsg() then has SQLite's message for the
 * log. A failed write changes nothing: every multi-statement write is one
 * transaction.
 */
#ifndef DB_DB_H
#define DB_DB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/err.h"
#include "ike/log.h"

/* 1. Opaque handle ------------------------------------------------------------ */

typedef struct db db;

/* 2. Value types and limits ----------------------------------------------------- */

typedef enum db_kind {
	DB_KIND_SERVER = 1, /* medsrv.db: users, web sessions, login throttling, peers, settings */
	DB_KIND_CLIENT = 2, /* medcli.db: settings, the mediation server, mediated peers */
} db_kind;

/* Schema versions this build writes (PRAGMA user_version). */
#define DB_SERVER_VERSION 2
#define DB_CLIENT_VERSION 2

#define DB_LOGIN_MAX 64   /* bytes */
#define DB_ALIAS_MAX 64   /* bytes */
#define DB_PWHASH_MAX 255 /* bytes; libsodium's crypto_pwhash_str output is < 128 */
#define DB_CSRF_MAX 128   /* bytes */
#define DB_TOKEN_MIN 16   /* bytes of a session token (the cookie value) */
#define DB_TOKEN_MAX 256
#define DB_SETTING_KEY_MAX 64 /* bytes */
#define DB_SETTING_VALUE_MAX 4096
#define DB_THROTTLE_KEY_MAX 64 /* a login or a textual IP address */
#define DB_ADDRESS_MAX 255     /* host name or IP address of the mediation server */
#define DB_CIDR_MAX 64         /* "10.1.0.0/16", "2001:db8::/48" */
#define DB_KEYID_LEN 20        /* SHA-1 */
#define DB_PUBKEY_MAX 4096     /* DER bytes; RSA-16384 SubjectPublicKeyInfo is ~2.1 KB */

/* Owner of a peer added by the operator (`medsrv peer add`) rather than a web user. */
#define DB_OWNER_OPERATOR 0

/* Which unique field a write collided with (IKE_ERR_EXISTS). */
typedef enum db_field {
	DB_FIELD_NONE = 0,
	DB_FIELD_LOGIN,
	DB_FIELD_ALIAS,
	DB_FIELD_KEYID,
	DB_FIELD_KEYID_SPKI,
} db_field;

/* "login", "alias", "keyid", "keyid_spki", or "" for DB_FIELD_NONE. */
const char *db_field_name(db_field f);

/* Options for db_open(). A zeroed struct, or NULL, means the defaults. */
typedef struct db_opts {
	int busy_timeout_ms; /* how long a statement waits for another writer; 0 = 5000 */
	bool must_exist;     /* fail with IKE_ERR_NOT_FOUND instead of creating the file */
	ike_log_fn log;      /* optional: migrations and close problems are logged here (IKE_SUB_DB);
	                      * called synchronously; it must not call db functions on this handle */
	void *log_user;
} db_opts;

/* A setting, for db_settings_set(). value NULL deletes the key. */
typedef struct db_setting {
	const char *key;
	const char *value;
} db_setting;

/* A web manager account (server). */
typedef struct db_user {
	int64_t id;
	char login[DB_LOGIN_MAX + 1];
	char pwhash[DB_PWHASH_MAX + 1]; /* the Argon2id string, computed by the caller */
	int64_t created;
} db_user;

/* A web manager session (server). The token itself is never stored: only its SHA-256. */
typedef struct db_session {
	int64_t user_id;
	char csrf[DB_CSRF_MAX + 1];
	int64_t created;
	int64_t expires; /* valid while now < expires */
	int64_t last_seen;
} db_session;

/* What login throttling counts failures by (server). */
typedef enum db_throttle_scope {
	DB_THROTTLE_LOGIN = 1, /* the login name tried, case-insensitively */
	DB_THROTTLE_ADDR = 2,  /* the client's IP address, as text */
} db_throttle_scope;

/* A peer allowed to register at the mediation server (server). */
typedef struct db_peer {
	int64_t id;
	int64_t user_id;                  /* DB_OWNER_OPERATOR for operator peers */
	char owner[DB_LOGIN_MAX + 1];     /* the owner's login; "" for operator peers (output only) */
	char alias[DB_ALIAS_MAX + 1];     /* unique per owner (case-sensitive) */
	uint8_t keyid[DB_KEYID_LEN];      /* SHA-1 of the DER PKCS#1 RSAPublicKey (pki --keyid, spk) */
	uint8_t keyid_spki[DB_KEYID_LEN]; /* SHA-1 of the DER SubjectPublicKeyInfo = SHA-1(pubkey) */
	uint8_t pubkey[DB_PUBKEY_MAX];    /* DER SubjectPublicKeyInfo (i2d_PUBKEY) */
	size_t pubkey_len;
	int64_t created;
	int64_t updated;
} db_peer;

/* The client's mediation server: one row (client). */
typedef struct db_medserver {
	char address[DB_ADDRESS_MAX + 1]; /* IP address or host name */
	uint16_t port;                    /* IKE port, 1..65535 (usually 500) */
	bool has_keyid;
	uint8_t keyid[DB_KEYID_LEN];   /* the server's KEY_ID, if known */
	uint8_t pubkey[DB_PUBKEY_MAX]; /* the server's public key DER; pubkey_len 0 = none */
	size_t pubkey_len;             /* at least one of keyid and pubkey must be set */
	int64_t updated;               /* output only */
} db_medserver;

/* What brings a peer's tunnel up when its user has said nothing (client). */
typedef enum db_start {
	DB_START_MANUAL = 0,   /* only `medcli up` */
	DB_START_ALWAYS = 1,   /* from the daemon's start on */
	DB_START_ON_DEMAND = 2 /* when traffic for the peer's side appears */
} db_start;

/* "manual", "always", "on-demand" (NULL for another value); and back: false when
 * name is none of them. The one spelling the CLI, the web and status use. */
const char *db_start_name(db_start s);
bool db_start_parse(const char *name, db_start *out);

/* The user's last word on a peer's tunnel, kept across restarts (client). */
typedef enum db_intent {
	DB_INTENT_NONE = 0, /* follow the start action */
	DB_INTENT_UP = 1,   /* `medcli up`: keep it up */
	DB_INTENT_DOWN = 2  /* `medcli down`: keep it down */
} db_intent;

/* A mediated peer the client may connect to (client). */
typedef struct db_cpeer {
	int64_t id;
	char alias[DB_ALIAS_MAX + 1];  /* unique */
	uint8_t keyid[DB_KEYID_LEN];   /* unique; the peer's ID_KEY_ID */
	uint8_t pubkey[DB_PUBKEY_MAX]; /* optional DER; pubkey_len 0 = none */
	size_t pubkey_len;
	char local_ts[DB_CIDR_MAX + 1];  /* local traffic selector, CIDR text */
	char remote_ts[DB_CIDR_MAX + 1]; /* remote traffic selector, CIDR text */
	db_start start;
	db_intent intent; /* output only: written by db_cpeer_set_intent */
	int64_t created;  /* output only */
	int64_t updated; /* output only */
} db_cpeer;

/* 3. Lifecycle and errors ---------------------------------------------------- */

/*
 * Opens (creating if needed) the database file at path as the given kind, sets
 * WAL mode, foreign keys, synchronous=NORMAL and the busy timeout, and migrates the
 * schema forward to this build's version in one transaction: a failed or
 * interrupted migration leaves the file at its old version, data intact.
 * path, opts: borrowed. On success *out is a new handle the caller frees with
 * db_close(). On failure *out is NULL and, if err is not NULL, err (errlen bytes)
 * holds a sentence for the user.
 * Returns IKE_OK; IKE_ERR_UNSUPPORTED when the file was written by a newer
 * version (its user_version is above ours): upgrade the program, do not touch the
 * file; IKE_ERR_INVAL for a database of the other kind or a file that is not ours;
 * IKE_ERR_NOT_FOUND when opts->must_exist and there is no file; IKE_ERR_IO when the
 * file cannot be opened; IKE_ERR_DB (corrupt file, failed migration, busy).
 */
IKE_MUST_CHECK int db_open(db **out, const char *path, db_kind kind, const db_opts *opts, char *err,
                           size_t errlen);

/* Finalizes every cached statement and closes the connection. db_close(NULL) does nothing. */
void db_close(db *d);

/* The kind the handle was opened as. */
db_kind db_get_kind(const db *d);

/* The schema version of the open file (PRAGMA user_version); negative IKE_ERR_DB on failure. */
int db_schema_version(db *d);

/*
 * The message of the last failed call on this handle: SQLite's message, or our own
 * sentence for argument errors. Borrowed; valid until the next call on d. "" when
 * the last call succeeded. For logs, not for end users.
 */
const char *db_errmsg(const db *d);

/* Frees a list returned by a db_*_list function. NULL does nothing. */
void db_free(void *list);

/* 4. Settings (both kinds): key/value text ----------------------------------- */

/*
 * Sets key to value (insert or replace). key: 1..DB_SETTING_KEY_MAX bytes;
 * value: 0..DB_SETTING_VALUE_MAX bytes of UTF-8.
 */
IKE_MUST_CHECK int db_setting_set(db *d, const char *key, const char *value);

/*
 * Sets (value != NULL) or deletes (value == NULL) n settings, all or none, in one
 * transaction. kv: borrowed array of n entries. If any entry fails, nothing changes.
 */
IKE_MUST_CHECK int db_settings_set(db *d, const db_setting *kv, size_t n);

/*
 * Copies the value of key into buf (cap bytes, NUL-terminated).
 * Returns IKE_ERR_NOT_FOUND if the key is not set; IKE_ERR_NOBUF if cap is too small
 * (buf then holds nothing useful).
 */
IKE_MUST_CHECK int db_setting_get(db *d, const char *key, char *buf, size_t cap);

/* Deletes key. Returns IKE_ERR_NOT_FOUND if it was not set. */
IKE_MUST_CHECK int db_setting_delete(db *d, const char *key);

/* 5. Server: users ------------------------------------------------------------ */

/*
 * Adds a web manager account. login: 1..DB_LOGIN_MAX bytes, unique ignoring ASCII
 * case; pwhash: the caller's Argon2id string, 1..DB_PWHASH_MAX bytes. *id_out (may
 * be NULL) receives the new user's id (> 0).
 * Returns IKE_ERR_EXISTS when the login is taken (case-insensitively).
 */
IKE_MUST_CHECK int db_user_add(db *d, const char *login, const char *pwhash, int64_t now, int64_t *id_out);

/* Finds a user by login (ignoring ASCII case). IKE_ERR_NOT_FOUND if none. */
IKE_MUST_CHECK int db_user_by_login(db *d, const char *login, db_user *out);

/* Finds a user by id. IKE_ERR_NOT_FOUND if none. */
IKE_MUST_CHECK int db_user_by_id(db *d, int64_t id, db_user *out);

/* Replaces a user's password hash. IKE_ERR_NOT_FOUND if there is no such user. */
IKE_MUST_CHECK int db_user_set_pwhash(db *d, int64_t id, const char *pwhash);

/* Deletes a user with all their peers and sessions. IKE_ERR_NOT_FOUND if none. */
IKE_MUST_CHECK int db_user_delete(db *d, int64_t id);

/* 6. Server: web sessions ------------------------------------------------------ */

/*
 * Stores a new session for user_id. token: the secret cookie value,
 * DB_TOKEN_MIN..DB_TOKEN_MAX bytes; only SHA-256(token) is stored. csrf: the CSRF
 * token for the session's forms, 1..DB_CSRF_MAX bytes. The session is valid while
 * now < expires. Returns IKE_ERR_NOT_FOUND if the user does not exist;
 * IKE_ERR_EXISTS if the same token is already stored.
 */
IKE_MUST_CHECK int db_session_create(db *d, const char *token, int64_t user_id, const char *csrf, int64_t now,
                                     int64_t expires);

/*
 * Finds the session for token if it is still valid at now (now < expires).
 * Returns IKE_ERR_NOT_FOUND for an unknown, malformed or expired token.
 */
IKE_MUST_CHECK int db_session_lookup(db *d, const char *token, int64_t now, db_session *out);

/*
 * Marks a valid session as used at now and moves its expiry to expires (sliding
 * expiry; pass the old value to keep it). IKE_ERR_NOT_FOUND if unknown or expired.
 */
IKE_MUST_CHECK int db_session_touch(db *d, const char *token, int64_t now, int64_t expires);

/* Deletes the session (logout). IKE_ERR_NOT_FOUND if there was none. */
IKE_MUST_CHECK int db_session_delete(db *d, const char *token);

/* Deletes all sessions of a user (after a password change). *n_out (may be NULL): how many. */
IKE_MUST_CHECK int db_session_delete_user(db *d, int64_t user_id, int64_t *n_out);

/* Deletes every session expired at now. *n_out (may be NULL): how many. */
IKE_MUST_CHECK int db_session_purge(db *d, int64_t now, int64_t *n_out);

/* 7. Server: failed-login throttling ------------------------------------------- */

/*
 * Records one failed login attempt at now, for the login tried and for the source
 * address (either may be NULL, not both), in one transaction. Counting uses fixed
 * windows of `window` seconds (> 0): a failure more than window seconds after the
 * first one of the current window starts a new window at count 1.
 * login, addr: 1..DB_THROTTLE_KEY_MAX bytes.
 */
IKE_MUST_CHECK int db_throttle_fail(db *d, const char *login, const char *addr, int64_t now, int64_t window);

/*
 * The number of failures for key in scope in the window that contains now (0 if
 * none, or if the last window began window seconds or more before now).
 * *last_out (may be NULL): the time of the latest failure, 0 if none.
 */
IKE_MUST_CHECK int db_throttle_count(db *d, db_throttle_scope scope, const char *key, int64_t now,
                                     int64_t window, int64_t *count_out, int64_t *last_out);

/* Forgets the failures of login and/or addr (either may be NULL): call after a successful login. */
IKE_MUST_CHECK int db_throttle_reset(db *d, const char *login, const char *addr);

/* Deletes every record whose latest failure is at or before `before`. *n_out may be NULL. */
IKE_MUST_CHECK int db_throttle_purge(db *d, int64_t before, int64_t *n_out);

/* 8. Server: peers --------------------------------------------------------------- */

/*
 * Adds a peer. Reads p->user_id (DB_OWNER_OPERATOR or an existing user), alias
 * (1..DB_ALIAS_MAX bytes), keyid, keyid_spki, pubkey/pubkey_len (1..DB_PUBKEY_MAX
 * bytes of DER SubjectPublicKeyInfo); ignores the other fields. The caller computes
 * both key IDs; keyid_spki must equal SHA-1(pubkey) or the call fails with
 * IKE_ERR_INVAL (this catches a PKCS#1 DER passed by mistake).
 * *id_out (may be NULL): the new peer's id. *clash (may be NULL): set to the field
 * that collided, DB_FIELD_NONE otherwise.
 * Returns IKE_ERR_EXISTS when keyid (checked against both KEY_ID forms of every
 * peer), keyid_spki, or the alias (for this owner) is taken; *clash says which, in
 * that order of precedence. IKE_ERR_NOT_FOUND when the user does not exist.
 */
IKE_MUST_CHECK int db_peer_add(db *d, const db_peer *p, int64_t now, int64_t *id_out, db_field *clash);

/*
 * Finds the peer whose KEY_ID is keyid, in either form (PKCS#1 or SPKI hash), in
 * one indexed query. This is the authentication-time lookup: it sees every peer
 * committed by any connection before the call. keyid_len other than DB_KEYID_LEN
 * finds nothing. Returns IKE_ERR_NOT_FOUND if no peer has it.
 */
IKE_MUST_CHECK int db_peer_find_keyid(db *d, const uint8_t *keyid, size_t keyid_len, db_peer *out);

/* Reads one of owner's peers by id. IKE_ERR_NOT_FOUND if it does not exist or is not owner's. */
IKE_MUST_CHECK int db_peer_get(db *d, int64_t owner, int64_t peer_id, db_peer *out);

/* Reads one of owner's peers by alias. IKE_ERR_NOT_FOUND if owner has no such alias. */
IKE_MUST_CHECK int db_peer_get_by_alias(db *d, int64_t owner, const char *alias, db_peer *out);

/*
 * Lists owner's peers, ordered by alias. *out receives an array of *n_out peers
 * (NULL when there are none) that the caller frees with db_free().
 */
IKE_MUST_CHECK int db_peer_list(db *d, int64_t owner, db_peer **out, size_t *n_out);

/* Counts owner's peers into *n_out (for a per-user limit in the web manager). */
IKE_MUST_CHECK int db_peer_count(db *d, int64_t owner, int64_t *n_out);

/* Lists every peer of every owner, ordered by owner then alias (for `medsrv peer list`). */
IKE_MUST_CHECK int db_peer_list_all(db *d, db_peer **out, size_t *n_out);

/*
 * Renames one of owner's peers. IKE_ERR_NOT_FOUND if it is not owner's;
 * IKE_ERR_EXISTS (*clash = DB_FIELD_ALIAS) if owner already has that alias.
 */
IKE_MUST_CHECK int db_peer_rename(db *d, int64_t owner, int64_t peer_id, const char *alias, int64_t now,
                                  db_field *clash);

/* Deletes one of owner's peers. IKE_ERR_NOT_FOUND if it is not owner's. */
IKE_MUST_CHECK int db_peer_delete(db *d, int64_t owner, int64_t peer_id);

/* 9. Client: mediation server ------------------------------------------------------ */

/*
 * Sets the mediation server (replacing any previous one). Reads address (1..
 * DB_ADDRESS_MAX bytes), port (> 0), has_keyid/keyid, pubkey/pubkey_len (0 = none);
 * at least one of keyid and pubkey must be given.
 */
IKE_MUST_CHECK int db_medserver_set(db *d, const db_medserver *s, int64_t now);

/* Reads the mediation server. IKE_ERR_NOT_FOUND if none is configured. */
IKE_MUST_CHECK int db_medserver_get(db *d, db_medserver *out);

/* Forgets the mediation server. IKE_ERR_NOT_FOUND if none was configured. */
IKE_MUST_CHECK int db_medserver_clear(db *d);

/* 10. Client: mediated peers -------------------------------------------------------- */

/*
 * Adds a peer. Reads alias (1..DB_ALIAS_MAX bytes, unique), keyid (unique),
 * pubkey/pubkey_len (0 = none), local_ts and remote_ts (1..DB_CIDR_MAX bytes; the
 * caller checks they are CIDRs), start. *id_out, *clash may be NULL.
 * Returns IKE_ERR_EXISTS with *clash = DB_FIELD_KEYID or DB_FIELD_ALIAS (keyid first).
 */
IKE_MUST_CHECK int db_cpeer_add(db *d, const db_cpeer *p, int64_t now, int64_t *id_out, db_field *clash);

/* Reads a peer by alias. IKE_ERR_NOT_FOUND if none. */
IKE_MUST_CHECK int db_cpeer_get(db *d, const char *alias, db_cpeer *out);

/* Reads a peer by KEY_ID (an incoming mediated connection). IKE_ERR_NOT_FOUND if none. */
IKE_MUST_CHECK int db_cpeer_find_keyid(db *d, const uint8_t *keyid, size_t keyid_len, db_cpeer *out);

/* Lists all peers ordered by alias; free *out with db_free(). */
IKE_MUST_CHECK int db_cpeer_list(db *d, db_cpeer **out, size_t *n_out);

/*
 * Rewrites the peer with id p->id with every field of p (alias, keyid, pubkey,
 * traffic selectors, start; not the intent). IKE_ERR_NOT_FOUND if no such id; IKE_ERR_EXISTS
 * with *clash as for db_cpeer_add.
 */
IKE_MUST_CHECK int db_cpeer_update(db *d, const db_cpeer *p, int64_t now, db_field *clash);

/* Records the user's last word (up/down) on the peer with that id.
 * IKE_ERR_NOT_FOUND if no such id, IKE_ERR_INVAL for an unknown intent. */
IKE_MUST_CHECK int db_cpeer_set_intent(db *d, int64_t id, db_intent intent, int64_t now);

/* Deletes the peer with that alias. IKE_ERR_NOT_FOUND if none. */
IKE_MUST_CHECK int db_cpeer_delete(db *d, const char *alias);

#endif /* DB_DB_H */
