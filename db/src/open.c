/* SPDX-License-Identifier: MIT */
/*
 * Opening, migrating and closing a database; the statement cache; errors and the
 * helpers the table files share.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "db_int.h"

static const char *const stmt_sql[DB__S_COUNT] = {
#define DB__STMT_SQL(n, s) [DB__S_##n] = s,
    DB_STMTS(DB__STMT_SQL)
#undef DB__STMT_SQL
};

const char *db_field_name(db_field f)
{
	switch (f) {
	case DB_FIELD_LOGIN:
		return "login";
	case DB_FIELD_ALIAS:
		return "alias";
	case DB_FIELD_KEYID:
		return "keyid";
	case DB_FIELD_KEYID_SPKI:
		return "keyid_spki";
	case DB_FIELD_NONE:
		break;
	}
	return "";
}

/* ---- errors ---------------------------------------------------------------- */

void db__clear_err(db *d)
{
	d->err[0] = '\0';
}

int db__fail(db *d, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof d->err, fmt, ap);
	va_end(ap);
	return code;
}

int db__map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return IKE_OK;
	case SQLITE_NOMEM:
		return IKE_ERR_NOMEM;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_FULL:
		return IKE_ERR_IO;
	case SQLITE_CONSTRAINT:
		switch (rc) {
		case SQLITE_CONSTRAINT_UNIQUE:
		case SQLITE_CONSTRAINT_PRIMARYKEY:
			return IKE_ERR_EXISTS;
		case SQLITE_CONSTRAINT_FOREIGNKEY:
			return IKE_ERR_NOT_FOUND;
		case SQLITE_CONSTRAINT_CHECK:
		case SQLITE_CONSTRAINT_NOTNULL:
		case SQLITE_CONSTRAINT_DATATYPE:
			return IKE_ERR_INVAL;
		default:
			return IKE_ERR_DB; /* triggers (RAISE), others */
		}
	default:
		return IKE_ERR_DB;
	}
}

int db__sqlfail(db *d, int rc, const char *what)
{
	snprintf(d->err, sizeof d->err, "%s: %s (%s)", what, sqlite3_errmsg(d->conn), sqlite3_errstr(rc));
	return db__map_rc(rc);
}

const char *db_errmsg(const db *d)
{
	return d ? d->err : "no database handle";
}

/* ---- statements -------------------------------------------------------------- */

sqlite3_stmt *db__stmt(db *d, db__stmt_id id)
{
	int rc;

	if (d->stmts[id])
		return d->stmts[id];
	rc = sqlite3_prepare_v3(d->conn, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &d->stmts[id], NULL);
	if (rc != SQLITE_OK) {
		(void)db__sqlfail(d, rc, "prepare");
		d->stmts[id] = NULL;
		return NULL;
	}
	return d->stmts[id];
}

void db__done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

int db__exec_stmt(db *d, sqlite3_stmt *st, const char *what, int64_t *changes)
{
	int rc = sqlite3_step(st);
	int ret = IKE_OK;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = db__sqlfail(d, rc, what);
	else if (changes)
		*changes = sqlite3_changes64(d->conn);
	db__done(st);
	return ret;
}

int db__need_kind(db *d, db_kind kind)
{
	if (d->kind != kind)
		return db__fail(d, IKE_ERR_INVAL, "this call needs a %s database",
		                kind == DB_KIND_SERVER ? "medsrv" : "medcli");
	return IKE_OK;
}

/* ---- argument checks and column copies ---------------------------------------- */

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

int db__check_text(db *d, const char *what, const char *s, size_t min, size_t max)
{
	size_t len;

	if (!s)
		return db__fail(d, IKE_ERR_INVAL, "%s is missing", what);
	len = strnlen(s, max + 1);
	if (len < min)
		return db__fail(d, IKE_ERR_INVAL, "%s is empty", what);
	if (len > max)
		return db__fail(d, IKE_ERR_INVAL, "%s is longer than %zu bytes", what, max);
	if (!utf8_valid((const unsigned char *)s, len))
		return db__fail(d, IKE_ERR_INVAL, "%s is not valid UTF-8", what);
	return IKE_OK;
}

int db__check_blob(db *d, const char *what, const uint8_t *p, size_t len, size_t min, size_t max)
{
	if (len > 0 && !p)
		return db__fail(d, IKE_ERR_INVAL, "%s is missing", what);
	if (len < min || len > max)
		return db__fail(d, IKE_ERR_INVAL, "%s has %zu bytes, not %zu..%zu", what, len, min, max);
	return IKE_OK;
}

int db__col_text(db *d, sqlite3_stmt *st, int col, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);

	if (!t) {
		if (sqlite3_errcode(d->conn) == SQLITE_NOMEM)
			return db__fail(d, IKE_ERR_NOMEM, "out of memory reading a column");
		n = 0;
	}
	if (n >= cap)
		return db__fail(d, IKE_ERR_DB, "stored %s has %zu bytes, more than %zu",
		                sqlite3_column_name(st, col), n, cap - 1);
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
	return IKE_OK;
}

int db__col_blob(db *d, sqlite3_stmt *st, int col, uint8_t *dst, size_t cap, size_t want, size_t *len_out)
{
	const void *b = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);

	if (!b && n)
		return db__fail(d, IKE_ERR_NOMEM, "out of memory reading a column");
	if ((want && n != want) || n > cap)
		return db__fail(d, IKE_ERR_DB, "stored %s has %zu bytes", sqlite3_column_name(st, col), n);
	if (n)
		memcpy(dst, b, n);
	if (len_out)
		*len_out = n;
	return IKE_OK;
}

int db__list_grow(void **items, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return IKE_OK;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > SIZE_MAX / elem)
		return IKE_ERR_NOMEM;
	p = realloc(*items, ncap * elem);
	if (!p)
		return IKE_ERR_NOMEM;
	*items = p;
	*cap = ncap;
	return IKE_OK;
}

int db__read_rows(db *d, sqlite3_stmt *st, size_t elem, db__row_fn read_row, const char *what, void **out,
                  size_t *n_out)
{
	uint8_t *items = NULL;
	size_t n = 0, cap = 0;
	int rc, ret = IKE_OK;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((ret = db__list_grow((void **)&items, &cap, n, elem)) != IKE_OK) {
			ret = db__fail(d, ret, "out of memory (%s)", what);
			break;
		}
		if ((ret = read_row(d, st, items + n * elem)) != IKE_OK)
			break;
		n++;
	}
	if (ret == IKE_OK && rc != SQLITE_DONE)
		ret = db__sqlfail(d, rc, what);
	db__done(st);
	if (ret != IKE_OK) {
		free(items);
		return ret;
	}
	*out = items;
	*n_out = n;
	return IKE_OK;
}

void db_free(void *list)
{
	free(list);
}

/* ---- transactions ---------------------------------------------------------------- */

int db__begin(db *d)
{
	int rc = sqlite3_exec(d->conn, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	return rc == SQLITE_OK ? IKE_OK : db__sqlfail(d, rc, "begin");
}

int db__commit(db *d)
{
	int rc = sqlite3_exec(d->conn, "COMMIT", NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		int ret = db__sqlfail(d, rc, "commit");

		db__rollback(d);
		return ret;
	}
	return IKE_OK;
}

void db__rollback(db *d)
{
	/* After some errors SQLite has already rolled back; then this is a harmless no-op. */
	if (!sqlite3_get_autocommit(d->conn))
		sqlite3_exec(d->conn, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- hashes ---------------------------------------------------------------------- */

int db__sha1(const uint8_t *p, size_t len, uint8_t out[20])
{
	return EVP_Digest(p, len, out, NULL, EVP_sha1(), NULL) == 1 ? IKE_OK : IKE_ERR_CRYPTO;
}

int db__sha256(const uint8_t *p, size_t len, uint8_t out[32])
{
	return EVP_Digest(p, len, out, NULL, EVP_sha256(), NULL) == 1 ? IKE_OK : IKE_ERR_CRYPTO;
}

/* sha1(blob) for migrations: derives the SPKI KEY_ID of peers stored before version 2. */
static void sql_sha1(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint8_t md[20];
	const void *p;
	int n;

	if (argc != 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	p = sqlite3_value_blob(argv[0]);
	n = sqlite3_value_bytes(argv[0]);
	if (db__sha1(p ? p : "", (size_t)n, md) != IKE_OK) {
		sqlite3_result_error(ctx, "sha1 failed", -1);
		return;
	}
	sqlite3_result_blob(ctx, md, sizeof md, SQLITE_TRANSIENT);
}

/* ---- open, migrate, close ---------------------------------------------------------- */

static void log_msg(db *d, ike_log_level lvl, const char *fmt, ...) IKE_PRINTF(3, 4);

static void log_msg(db *d, ike_log_level lvl, const char *fmt, ...)
{
	char msg[DB__ERRMSG_MAX];
	ike_log_rec rec = {.lvl = lvl, .sub = IKE_SUB_DB, .msg = msg};
	va_list ap;

	if (!d->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	d->log(d->log_user, &rec);
}

/* Runs a one-value PRAGMA or query and returns its integer result in *out. */
static int query_int(db *d, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(d->conn, sql, -1, &st, NULL);
	int ret = IKE_OK;

	if (rc != SQLITE_OK)
		return db__sqlfail(d, rc, sql);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		ret = db__sqlfail(d, rc == SQLITE_DONE ? SQLITE_ERROR : rc, sql);
	sqlite3_finalize(st);
	return ret;
}

static int exec_sql(db *d, const char *sql, const char *what)
{
	int rc = sqlite3_exec(d->conn, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? IKE_OK : db__sqlfail(d, rc, what);
}

/* Sets up the connection itself; changes nothing in the file. */
static int configure_conn(db *d, int busy_ms)
{
	int rc, ret;
	int on = 1;

	sqlite3_extended_result_codes(d->conn, 1);
	sqlite3_busy_timeout(d->conn, busy_ms);
	/* Defensive: no writable_schema tricks; trusted_schema off: a hostile file's
	 * triggers and views cannot call non-innocuous functions. */
	sqlite3_db_config(d->conn, SQLITE_DBCONFIG_DEFENSIVE, 1, &on);
	sqlite3_db_config(d->conn, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &on);
	rc = sqlite3_create_function_v2(d->conn, "sha1", 1,
	                                SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL, sql_sha1,
	                                NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db__sqlfail(d, rc, "register sha1()");
	if ((ret = exec_sql(d, "PRAGMA foreign_keys = ON", "foreign_keys")) != IKE_OK)
		return ret;
	/* Deleted rows (a removed user's password hash) are zeroed, not left in free
	 * space. Debian's SQLite does this by default; we do not depend on the build. */
	return exec_sql(d, "PRAGMA secure_delete = ON", "secure_delete");
}

/* Puts the file in WAL mode (persistent; must run outside a transaction) and sets
 * synchronous=NORMAL (per connection: durable at checkpoints, never corrupt). */
static int configure_wal(db *d, int busy_ms)
{
	sqlite3_stmt *st = NULL;
	const char *mode;
	int rc, ret = IKE_OK;

	rc = sqlite3_prepare_v2(d->conn, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db__sqlfail(d, rc, "journal_mode");
	/* Switching a new file to WAL needs an exclusive lock and SQLite does not call
	 * the busy handler for it: retry while another process holds the file. */
	for (int waited = 0;; waited += 10) {
		rc = sqlite3_step(st);
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) || waited >= busy_ms)
			break;
		sqlite3_reset(st);
		sqlite3_sleep(10);
	}
	if (rc != SQLITE_ROW) {
		ret = db__sqlfail(d, rc, "journal_mode");
		sqlite3_finalize(st);
		return ret;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (!mode || sqlite3_stricmp(mode, "wal") != 0)
		ret = db__fail(d, IKE_ERR_DB, "the file cannot use WAL mode (journal mode %s)",
		               mode ? mode : "unknown");
	sqlite3_finalize(st);
	if (ret != IKE_OK)
		return ret;
	return exec_sql(d, "PRAGMA synchronous = NORMAL", "synchronous");
}

/* How to recover from a damaged file, for messages (static text). */
static const char *recovery(const db__schema *sc)
{
	return sc->kind == DB_KIND_SERVER ? "restore it from a backup, or remove it and run `medsrv init` "
	                                    "again (which starts with no peers and no users)"
	                                  : "restore it from a backup, or remove it and run `medcli init` "
	                                    "again (which starts with no server and no peers)";
}

/* The directory part of path ("." when there is none), malloc'd; NULL: no memory. */
static char *dir_part(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 1;
	char *dir;

	if (slash && n == 0)
		n = 1; /* "/x.db" */
	dir = malloc(n + 1);
	if (!dir)
		return NULL;
	memcpy(dir, slash ? path : ".", n);
	dir[n] = '\0';
	return dir;
}

/* Checks that the directory of path exists and is writable: in WAL mode SQLite
 * creates path-wal and path-shm next to the file, even to read it. */
/* Whether the directory path is in can hold the database; *missing (may be NULL)
 * tells a directory that does not exist from other problems. */
static int check_dir(db *d, const char *path, bool *missing)
{
	char *dir = dir_part(path);
	struct stat st;
	int ret = IKE_OK;

	if (!dir)
		return db__fail(d, IKE_ERR_NOMEM, "out of memory");
	if (stat(dir, &st) != 0) {
		if (missing)
			*missing = errno == ENOENT;
		ret = db__fail(d, IKE_ERR_IO,
		               errno == ENOENT ? "directory %s does not exist" : "directory %s: %s", dir,
		               strerror(errno));
	} else if (!S_ISDIR(st.st_mode))
		ret = db__fail(d, IKE_ERR_IO, "%s is not a directory", dir);
	else if (access(dir, W_OK) != 0)
		ret = db__fail(d, IKE_ERR_IO,
		               errno == EROFS ? "directory %s is read-only (a read-only file system): SQLite "
		                                "needs to write next to the database, even to read it"
		               : errno == EACCES ? "directory %s is read-only for this user: SQLite needs to "
		                                   "write next to the database, even to read it"
		                                 : "directory %s: %s",
		               dir, strerror(errno));
	free(dir);
	return ret;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* True when path-wal exists and is not empty (then it holds committed pages). */
static bool has_wal(const char *path)
{
	size_t n = strlen(path) + 5;
	char *wal = malloc(n);
	struct stat st;
	bool has;

	if (!wal)
		return true; /* cannot tell: skip the checks that need to know */
	snprintf(wal, n, "%s-wal", path);
	has = stat(wal, &st) == 0 && st.st_size > 0;
	free(wal);
	return has;
}

/*
 * Refuses an existing file that cannot be a whole database, before SQLite reads
 * it: SQLite takes a 0-byte file for a new, empty database, and reads missing
 * pages as zeros. Checked: a regular file, not empty (check_existing, before the
 * connection is opened), the SQLite header, a size that is a whole number of
 * pages and at least the page count the header gives (when that count is valid
 * and no WAL file holds newer pages) (check_header, through the connection).
 * File format: https://www.sqlite.org/fileformat.html, 1.3.
 */
static int check_existing(db *d, const db__schema *sc, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return db__fail(d, IKE_ERR_INVAL, "not a regular file");
	if (st->st_size == 0)
		return db__fail(d, IKE_ERR_DB, "the file is empty (0 bytes), so its data is lost: %s",
		                recovery(sc));
	return IKE_OK;
}

/* The header is read through the connection's own file handle, never with an
 * open()/close() of our own: closing any descriptor of the file drops every
 * POSIX lock this process holds on it, so another connection of this process
 * (medsrv's workers each have one) would lose its lock, another process could
 * then checkpoint and reset the WAL under it, and it would go on reading stale
 * pages (a peer added by the CLI stayed unknown to a worker). */
static int check_header(db *d, const db__schema *sc, const char *path, const struct stat *st)
{
	static const char magic[16] = "SQLite format 3";
	sqlite3_file *f = NULL;
	uint8_t h[100];
	int rc;

	rc = sqlite3_file_control(d->conn, "main", SQLITE_FCNTL_FILE_POINTER, &f);
	if (rc != SQLITE_OK || !f || !f->pMethods)
		return db__fail(d, IKE_ERR_IO, "cannot read the file");
	rc = f->pMethods->xRead(f, h, sizeof h, 0);
	if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)
		return db__fail(d, IKE_ERR_IO, "cannot read the file: %s", sqlite3_errstr(rc));
	if (rc == SQLITE_IOERR_SHORT_READ || memcmp(h, magic, sizeof magic) != 0)
		return db__fail(d, IKE_ERR_DB,
		                "the file is not an SQLite database (damaged, or another file): %s",
		                recovery(sc));
	uint32_t page = (uint32_t)h[16] << 8 | h[17];
	if (page == 1)
		page = 65536;
	if (page < 512 || (page & (page - 1)) != 0)
		return db__fail(d, IKE_ERR_DB, "the file's SQLite header is damaged (page size %u): %s", page,
		                recovery(sc));
	if (has_wal(path))
		return IKE_OK; /* pages past the end may be in the WAL; SQLite checks the rest */
	uint64_t pages = be32(h + 28), size = (uint64_t)st->st_size;
	bool count_valid = pages > 0 && be32(h + 24) == be32(h + 92);
	if (size % page != 0 || (count_valid && size < pages * page))
		return db__fail(d, IKE_ERR_DB, "the file is truncated (%llu bytes, %s %llu): %s",
		                (unsigned long long)size, count_valid ? "its header says" : "pages of",
		                (unsigned long long)(count_valid ? pages * page : page), recovery(sc));
	return IKE_OK;
}

/* Runs SQLite's structural check (every page of every table and index; no index
 * content comparison) and refuses a file that fails it. */
static int check_integrity(db *d, const db__schema *sc)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(d->conn, "PRAGMA quick_check(1)", -1, &st, NULL);
	int ret = IKE_OK;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		if (!r || strcmp(r, "ok") != 0)
			ret = db__fail(d, IKE_ERR_DB, "the database is damaged (%.80s): %s", r ? r : "?",
			               recovery(sc));
	} else if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
		ret = db__fail(d, IKE_ERR_DB, "the database is damaged (%s): %s", sqlite3_errstr(rc),
		               recovery(sc));
	} else {
		ret = db__sqlfail(d, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "quick_check");
	}
	sqlite3_finalize(st);
	return ret;
}

/*
 * Checks kind and version. *need_migrate is set when the file is older than us
 * (or new). Must run inside a transaction when the result is acted upon.
 */
static int check_file(db *d, const db__schema *sc, bool fresh, int64_t *version, bool *need_migrate)
{
	sqlite3_stmt *st = NULL;
	int64_t app, tables;
	int rc;

	/* One statement, so one snapshot: read separately, a migration committed by
	 * another process between the reads would look like a foreign file. */
	rc = sqlite3_prepare_v2(d->conn,
	                        "SELECT (SELECT application_id FROM pragma_application_id),"
	                        " (SELECT user_version FROM pragma_user_version),"
	                        " (SELECT count(*) FROM sqlite_schema)",
	                        -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		int ret = db__sqlfail(d, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "read schema version");

		sqlite3_finalize(st);
		return ret;
	}
	app = sqlite3_column_int64(st, 0);
	*version = sqlite3_column_int64(st, 1);
	tables = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	if (app == 0 && *version == 0 && tables == 0) {
		/* Only a file db_open() has just made may be empty: an existing one that
		 * looks empty lost its data, and filling it would hide that. */
		if (!fresh)
			return db__fail(d, IKE_ERR_DB,
			                "the file holds no %s data (an empty SQLite database): %s", sc->name,
			                recovery(sc));
		*need_migrate = true;
		return IKE_OK;
	}
	if (app != sc->application_id) {
		const db__schema *other =
		    db__schema_for(sc->kind == DB_KIND_SERVER ? DB_KIND_CLIENT : DB_KIND_SERVER);

		if (app == other->application_id)
			return db__fail(d, IKE_ERR_INVAL, "this is a %s database, not a %s one", other->name,
			                sc->name);
		return db__fail(d, IKE_ERR_INVAL, "this is not a %s database (application_id %lld)", sc->name,
		                (long long)app);
	}
	if (*version > sc->version)
		return db__fail(d, IKE_ERR_UNSUPPORTED,
		                "the %s database has schema version %lld, newer than this program's %d: "
		                "upgrade the program",
		                sc->name, (long long)*version, sc->version);
	if (*version < 0)
		return db__fail(d, IKE_ERR_DB, "bad schema version %lld", (long long)*version);
	*need_migrate = *version < sc->version;
	return IKE_OK;
}

/* Migrates forward from the file's version to ours in one transaction. */
static int migrate(db *d, const db__schema *sc, bool fresh)
{
	int64_t version = 0, bad = 0;
	bool need = false;
	char sql[96];
	int ret;

	if ((ret = db__begin(d)) != IKE_OK)
		return ret;
	/* Re-check under the write lock: another process may have migrated meanwhile. */
	if ((ret = check_file(d, sc, fresh, &version, &need)) != IKE_OK || !need)
		goto out;
	for (int64_t v = version; v < sc->version; v++) {
		char what[64];

		snprintf(what, sizeof what, "migration to version %lld", (long long)v + 1);
		/* A step can fail on old data (a constraint the new version adds): the
		 * file stays as it was, and the caller gets IKE_ERR_DB with the reason. */
		if (exec_sql(d, sc->steps[v], what) != IKE_OK) {
			ret = IKE_ERR_DB;
			goto out;
		}
	}
	ret = query_int(d, "SELECT count(*) FROM pragma_foreign_key_check", &bad);
	if (ret == IKE_OK && bad)
		ret = db__fail(d, IKE_ERR_DB, "migration left %lld foreign key violations", (long long)bad);
	if (ret != IKE_OK)
		goto out;
	snprintf(sql, sizeof sql, "PRAGMA application_id = %ld; PRAGMA user_version = %d",
	         (long)sc->application_id, sc->version);
	if ((ret = exec_sql(d, sql, "set version")) != IKE_OK)
		goto out;
	ret = db__commit(d);
	if (ret == IKE_OK)
		log_msg(d, version ? IKE_LOG_INFO : IKE_LOG_DEBUG,
		        "%s database migrated from schema version %lld to %d", sc->name, (long long)version,
		        sc->version);
	return ret;
out:
	db__rollback(d);
	return ret;
}

/* Opens path with SQLite and configures the connection (d->conn set on success). */
static int open_conn(db *d, const char *path, int flags, int busy_ms)
{
	int rc = sqlite3_open_v2(path, &d->conn, flags, NULL);

	if (rc != SQLITE_OK)
		return db__fail(d, db__map_rc(rc), "%s",
		                d->conn ? sqlite3_errmsg(d->conn) : sqlite3_errstr(rc));
	return configure_conn(d, busy_ms);
}

/*
 * Makes a new database at path without ever showing an empty file there: the
 * schema is written into path.new-PID-N (created O_EXCL, mode 0644 less the
 * umask, as SQLite would), the file is closed (so the WAL is checkpointed into
 * it and removed), then hard-linked to path, which fails if path appeared
 * meanwhile (another process won the race: its file is used). So a 0-byte or
 * empty file at path is always damage, never a database being made.
 */
static int create_file(db *d, const db__schema *sc, const char *path, int busy_ms)
{
	static unsigned counter;
	size_t n = strlen(path) + 48;
	char *tmp = malloc(n);
	int64_t version = 0;
	bool need = false;
	int fd = -1, ret;

	if (!tmp)
		return db__fail(d, IKE_ERR_NOMEM, "out of memory");
	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		snprintf(tmp, n, "%s.new-%ld-%u", path, (long)getpid(), counter++);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		ret = db__fail(d, IKE_ERR_IO, "cannot create a file next to it: %s", strerror(errno));
		free(tmp);
		return ret;
	}
	close(fd);
	ret = open_conn(d, tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, busy_ms);
	if (ret == IKE_OK)
		ret = check_file(d, sc, true, &version, &need);
	if (ret == IKE_OK)
		ret = configure_wal(d, busy_ms);
	if (ret == IKE_OK && need)
		ret = migrate(d, sc, true);
	if (d->conn) {
		/* The last connection to close checkpoints the WAL into the file. */
		int rc = sqlite3_close(d->conn);
		d->conn = NULL;
		if (rc != SQLITE_OK && ret == IKE_OK)
			ret = db__fail(d, IKE_ERR_DB, "close the new file: %s", sqlite3_errstr(rc));
	}
	if (ret == IKE_OK && link(tmp, path) != 0 && errno != EEXIST) {
		/* A file system without hard links (vfat): rename, unless the file appeared
		 * meanwhile (a smaller race than SQLite's own create-then-fill). */
		struct stat st;
		if ((errno != EPERM && errno != EOPNOTSUPP && errno != ENOTSUP && errno != ENOSYS) ||
		    (stat(path, &st) != 0 && rename(tmp, path) != 0))
			ret = db__fail(d, IKE_ERR_IO, "cannot create it: %s", strerror(errno));
	}
	if (ret == IKE_OK) {
		char *dir = dir_part(path);
		int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (dfd >= 0) {
			(void)fsync(dfd); /* the new name survives a crash */
			close(dfd);
		}
		free(dir);
	}
	/* The -wal and -shm files are left only if the close failed ("-wal" fits: n has room). */
	size_t len = strlen(tmp);
	unlink(tmp);
	memcpy(tmp + len, "-wal", 5);
	unlink(tmp);
	memcpy(tmp + len, "-shm", 5);
	unlink(tmp);
	free(tmp);
	return ret;
}

int db_open(db **out, const char *path, db_kind kind, const db_opts *opts, char *err, size_t errlen)
{
	const db__schema *sc = db__schema_for(kind);
	db_opts o = opts ? *opts : (db_opts){0};
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	int busy_ms = o.busy_timeout_ms > 0 ? o.busy_timeout_ms : 5000;
	int64_t version = 0;
	bool need = false, existed;
	struct stat st;
	db *d = NULL;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!out || !path || !sc) {
		if (err && errlen)
			snprintf(err, errlen, "db_open: missing path or unknown kind");
		return IKE_ERR_INVAL;
	}
	*out = NULL;
	d = calloc(1, sizeof *d);
	if (!d)
		return IKE_ERR_NOMEM;
	d->kind = kind;
	d->log = o.log;
	d->log_user = o.log_user;
	existed = stat(path, &st) == 0;
	if (!existed) {
		if (errno != ENOENT) {
			ret = db__fail(d, IKE_ERR_IO,
			               errno == EACCES
			                   ? "no permission to reach the file (a directory on the way)"
			               : errno == ENOTDIR ? "a part of the path is not a directory"
			                                  : "%s",
			               strerror(errno));
			goto fail;
		}
		if (o.must_exist) {
			/* Not there: say so (the caller suggests init), and why when the directory is
			 * missing. */
			char why[DB__ERRMSG_MAX];
			bool no_dir = false;
			(void)check_dir(d, path, &no_dir);
			snprintf(why, sizeof why, "%s", d->err);
			ret = no_dir ? db__fail(d, IKE_ERR_NOT_FOUND, "no such database (%.200s)", why)
			             : db__fail(d, IKE_ERR_NOT_FOUND, "no such database");
			goto fail;
		}
		if ((ret = check_dir(d, path, NULL)) != IKE_OK)
			goto fail;
		if ((ret = create_file(d, sc, path, busy_ms)) != IKE_OK)
			goto fail;
	} else {
		if ((ret = check_existing(d, sc, &st)) != IKE_OK || (ret = check_dir(d, path, NULL)) != IKE_OK)
			goto fail;
	}
	if ((ret = open_conn(d, path, flags, busy_ms)) != IKE_OK)
		goto fail;
	if (existed && (ret = check_header(d, sc, path, &st)) != IKE_OK)
		goto fail;
	/* Refuse a file of another kind or a newer version before changing anything in
	 * it. The common case, a current file, needs no write lock. */
	if ((ret = check_file(d, sc, false, &version, &need)) != IKE_OK)
		goto fail;
	if ((ret = configure_wal(d, busy_ms)) != IKE_OK)
		goto fail;
	if ((ret = check_integrity(d, sc)) != IKE_OK)
		goto fail;
	if (need && (ret = migrate(d, sc, false)) != IKE_OK)
		goto fail;
	db__clear_err(d);
	*out = d;
	return IKE_OK;
fail:
	if (err && errlen)
		snprintf(err, errlen, "%s", d->err);
	db_close(d);
	return ret;
}

void db_close(db *d)
{
	int rc;

	if (!d)
		return;
	for (size_t i = 0; i < DB__S_COUNT; i++) {
		sqlite3_finalize(d->stmts[i]);
		d->stmts[i] = NULL;
	}
	if (d->conn) {
		rc = sqlite3_close(d->conn);
		if (rc != SQLITE_OK) {
			/* An unfinalized statement would be a bug in db/: log it, never leak the file. */
			log_msg(d, IKE_LOG_ERROR, "close: %s", sqlite3_errstr(rc));
			sqlite3_close_v2(d->conn);
		}
		d->conn = NULL;
	}
	free(d);
}

db_kind db_get_kind(const db *d)
{
	return d->kind;
}

int db_schema_version(db *d)
{
	int64_t v = 0;
	int ret;

	db__clear_err(d);
	if ((ret = query_int(d, "PRAGMA user_version", &v)) != IKE_OK)
		return ret;
	return (int)v;
}
