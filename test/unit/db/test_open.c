/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>
#include <sys/wait.h>

#include "tst_db.h"

DB_TEST(db_open, creates_server_file_at_current_version)
{
	db *d = tst_open_server();
	sqlite3 *c;

	cr_assert(eq(int, db_schema_version(d), DB_SERVER_VERSION));
	cr_assert(eq(int, (int)db_get_kind(d), (int)DB_KIND_SERVER));
	db_close(d);
	c = tst_raw("medsrv.db");
	cr_assert(eq(i64, tst_raw_int(c, "PRAGMA user_version"), DB_SERVER_VERSION));
	cr_assert(eq(i64, tst_raw_int(c, "PRAGMA application_id"), 0x494b4d53));
	cr_assert(eq(i64,
	             tst_raw_int(c, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
	                            "('users', 'peers', 'sessions', 'login_failures', 'settings')"),
	             5));
	sqlite3_close(c);
}

DB_TEST(db_open, creates_client_file_at_current_version)
{
	db *d = tst_open_client();
	sqlite3 *c;

	cr_assert(eq(int, db_schema_version(d), DB_CLIENT_VERSION));
	db_close(d);
	c = tst_raw("medcli.db");
	cr_assert(eq(i64, tst_raw_int(c, "PRAGMA user_version"), DB_CLIENT_VERSION));
	cr_assert(eq(i64,
	             tst_raw_int(c, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
	                            "('medserver', 'peers', 'settings')"),
	             3));
	sqlite3_close(c);
}

DB_TEST(db_open, puts_file_in_wal_mode)
{
	db *d = tst_open_server();
	sqlite3 *c;
	sqlite3_stmt *st;

	db_close(d);
	c = tst_raw("medsrv.db");
	cr_assert(eq(int, sqlite3_prepare_v2(c, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK));
	cr_assert(eq(int, sqlite3_step(st), SQLITE_ROW));
	cr_assert(eq(str, (char *)sqlite3_column_text(st, 0), "wal"));
	sqlite3_finalize(st);
	sqlite3_close(c);
}

DB_TEST(db_open, enforces_foreign_keys)
{
	db *d = tst_open_server();
	db_peer p;

	/* Without PRAGMA foreign_keys the insert of an orphan peer would succeed. */
	tst_peer(&p, 4242, "orphan", 1);
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, NULL), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_open, keeps_data_across_reopen)
{
	db *d = tst_open_server();
	db_user u;
	db_peer p;
	int64_t uid = tst_user(d, "alice");
	char val[64];

	tst_add_peer(d, uid, "laptop", 7);
	cr_assert(eq(int, db_setting_set(d, "listen", "198.51.100.1"), IKE_OK));
	db_close(d);

	d = tst_open_server();
	cr_assert(eq(int, db_user_by_login(d, "alice", &u), IKE_OK));
	cr_assert(eq(i64, u.id, uid));
	cr_assert(eq(int, db_peer_get_by_alias(d, uid, "laptop", &p), IKE_OK));
	cr_assert(eq(int, db_setting_get(d, "listen", val, sizeof val), IKE_OK));
	cr_assert(eq(str, val, "198.51.100.1"));
	db_close(d);
}

DB_TEST(db_open, refuses_file_from_newer_version)
{
	char path[256], err[256];
	db *d = tst_open_server();
	sqlite3 *c;

	db_close(d);
	c = tst_raw("medsrv.db");
	tst_raw_exec(c, "PRAGMA user_version = 99");
	sqlite3_close(c);

	d = (db *)1;
	cr_assert(eq(
	    int, db_open(&d, tst_path(path, sizeof path, "medsrv.db"), DB_KIND_SERVER, NULL, err, sizeof err),
	    IKE_ERR_UNSUPPORTED));
	cr_assert(eq(ptr, d, NULL));
	cr_assert(strstr(err, "99") != NULL && strstr(err, "newer") != NULL, "message: %s", err);
	/* The file is left exactly as it was. */
	c = tst_raw("medsrv.db");
	cr_assert(eq(i64, tst_raw_int(c, "PRAGMA user_version"), 99));
	sqlite3_close(c);
}

DB_TEST(db_open, refuses_database_of_other_kind)
{
	char path[256], err[256];
	db *d = tst_open_server();

	db_close(d);
	cr_assert(eq(
	    int, db_open(&d, tst_path(path, sizeof path, "medsrv.db"), DB_KIND_CLIENT, NULL, err, sizeof err),
	    IKE_ERR_INVAL));
	cr_assert(strstr(err, "medsrv database") != NULL, "message: %s", err);
}

DB_TEST(db_open, refuses_foreign_sqlite_file)
{
	char path[256], err[256];
	sqlite3 *c = tst_raw("other.db");
	db *d = NULL;

	tst_raw_exec(c, "CREATE TABLE notes (body TEXT)");
	sqlite3_close(c);
	cr_assert(eq(
	    int, db_open(&d, tst_path(path, sizeof path, "other.db"), DB_KIND_SERVER, NULL, err, sizeof err),
	    IKE_ERR_INVAL));
	cr_assert(strstr(err, "not a medsrv database") != NULL, "message: %s", err);
	/* Refused before anything was changed: still one table, still in its journal mode. */
	c = tst_raw("other.db");
	cr_assert(eq(i64, tst_raw_int(c, "SELECT count(*) FROM sqlite_schema"), 1));
	cr_assert(eq(i64,
	             tst_raw_int(c, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'delete'"),
	             1));
	sqlite3_close(c);
}

DB_TEST(db_open, refuses_non_database_file)
{
	char path[256], err[256];
	db *d = NULL;
	FILE *f = fopen(tst_path(path, sizeof path, "junk.db"), "w");

	cr_assert(f != NULL);
	fputs("this is not an SQLite file, just some text that is long enough to look like a header\n", f);
	fclose(f);
	cr_assert(eq(int, db_open(&d, path, DB_KIND_SERVER, NULL, err, sizeof err), IKE_ERR_DB));
	cr_assert(ne(str, err, ""));
}

DB_TEST(db_open, must_exist_fails_without_creating_the_file)
{
	char path[256], err[256];
	db_opts o = {.must_exist = true};
	db *d = NULL;

	cr_assert(eq(
	    int, db_open(&d, tst_path(path, sizeof path, "missing.db"), DB_KIND_SERVER, &o, err, sizeof err),
	    IKE_ERR_NOT_FOUND));
	cr_assert(ne(int, access(path, F_OK), 0));
}

static void count_log(void *user, const ike_log_rec *rec)
{
	int *n = user;

	if (rec->sub == IKE_SUB_DB && strstr(rec->msg, "migrated from schema version 0 to 2"))
		(*n)++;
}

DB_TEST(db_open, logs_migration_through_callback_once)
{
	char path[256];
	int count = 0;
	db_opts o = {.log = count_log, .log_user = &count};
	db *d = NULL;

	cr_assert(eq(int, db_open(&d, tst_path(path, sizeof path, "medsrv.db"), DB_KIND_SERVER, &o, NULL, 0),
	             IKE_OK));
	db_close(d);
	cr_assert(eq(int, count, 1));
	/* A current file is not migrated again. */
	cr_assert(eq(int, db_open(&d, path, DB_KIND_SERVER, &o, NULL, 0), IKE_OK));
	db_close(d);
	cr_assert(eq(int, count, 1));
}

Test(db_open, close_null_is_safe)
{
	db_close(NULL);
	cr_assert(eq(str, (char *)db_errmsg(NULL), "no database handle"));
	cr_assert(eq(str, (char *)db_field_name(DB_FIELD_KEYID_SPKI), "keyid_spki"));
}

DB_TEST(db_open, rejects_calls_for_the_other_kind)
{
	db *d = tst_open_client();
	int64_t id;

	cr_assert(eq(int, db_user_add(d, "alice", "x", 1, &id), IKE_ERR_INVAL));
	cr_assert(strstr(db_errmsg(d), "medsrv") != NULL, "message: %s", db_errmsg(d));
	db_close(d);
}

DB_TEST(db_open, sets_and_clears_error_message)
{
	db *d = tst_open_server();
	db_user u;

	cr_assert(eq(int, db_user_by_login(d, "nobody", &u), IKE_ERR_NOT_FOUND));
	cr_assert(ne(str, (char *)db_errmsg(d), ""));
	tst_user(d, "somebody");
	cr_assert(eq(str, (char *)db_errmsg(d), ""));
	db_close(d);
}

DB_TEST(db_open, concurrent_first_opens_of_one_file_all_succeed)
{
	enum { N = 6 };
	pid_t pids[N];
	char path[256];
	db_user u;
	db *d;

	tst_path(path, sizeof path, "medsrv.db");
	/* N processes race to create and migrate the same new file, then each writes. */
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		cr_assert(pids[i] >= 0);
		if (pids[i] == 0) {
			char login[16];
			int ok;

			d = NULL;
			snprintf(login, sizeof login, "user%d", i);
			ok = db_open(&d, path, DB_KIND_SERVER, NULL, NULL, 0) == IKE_OK &&
			     db_user_add(d, login, "h", 1, NULL) == IKE_OK;
			db_close(d);
			_exit(ok ? 0 : 1);
		}
	}
	for (int i = 0; i < N; i++) {
		int status = 0;
		bool ok;

		cr_assert(eq(int, waitpid(pids[i], &status, 0), pids[i]));
		ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		cr_assert(ok, "child %d failed (status %d)", i, status);
	}
	d = tst_open_server();
	for (int i = 0; i < N; i++) {
		char login[16];

		snprintf(login, sizeof login, "user%d", i);
		cr_assert(eq(int, db_user_by_login(d, login, &u), IKE_OK));
	}
	db_close(d);
}

DB_TEST(db_open, rejects_bad_arguments_and_unreachable_paths)
{
	char path[256], err[256];
	db *d = (db *)1;

	cr_assert(eq(int, db_open(&d, tst_path(path, sizeof path, "x.db"), (db_kind)7, NULL, err, sizeof err),
	             IKE_ERR_INVAL));
	cr_assert(eq(int, db_open(&d, NULL, DB_KIND_SERVER, NULL, NULL, 0), IKE_ERR_INVAL));
	cr_assert(eq(int, db_open(NULL, path, DB_KIND_SERVER, NULL, NULL, 0), IKE_ERR_INVAL));
	d = (db *)1;
	cr_assert(eq(int,
	             db_open(&d, tst_path(path, sizeof path, "no/such/dir/x.db"), DB_KIND_SERVER, NULL, err,
	                     sizeof err),
	             IKE_ERR_IO));
	cr_assert(eq(ptr, d, NULL));
	cr_assert(strstr(err, "no/such/dir") != NULL, "message: %s", err);
	/* A NULL error buffer is fine. */
	cr_assert(eq(int, db_open(&d, path, DB_KIND_SERVER, NULL, NULL, 0), IKE_ERR_IO));
}

/* ---- damaged files are refused, never taken for a new, empty database ---- */

/* The size of tst_dir/name, or -1. */
static int64_t file_size(const char *name)
{
	char path[256];
	struct stat st;

	return stat(tst_path(path, sizeof path, name), &st) == 0 ? (int64_t)st.st_size : -1;
}

/* A medsrv.db with a user and 200 peers (several pages), closed (no WAL left). */
static void make_full_server_db(void)
{
	db *d = tst_open_server();
	int64_t uid = tst_user(d, "alice");

	for (int i = 0; i < 200; i++) {
		char alias[16];
		snprintf(alias, sizeof alias, "peer%d", i);
		tst_add_peer(d, uid, alias, i + 1);
	}
	db_close(d);
	cr_assert(eq(i64, file_size("medsrv.db-wal"), -1), "the WAL is checkpointed and removed at close");
	cr_assert(gt(i64, file_size("medsrv.db"), 16384));
}

/* db_open on tst_dir/name fails with want, its message has every one of the words. */
static void assert_refused(const char *name, db_kind kind, bool must_exist, int want,
                           const char *const *words)
{
	char path[256], err[256];
	db_opts o = {.must_exist = must_exist};
	db *d = (db *)1;

	cr_assert(eq(int, db_open(&d, tst_path(path, sizeof path, name), kind, &o, err, sizeof err), want),
	          "message: %s", err);
	cr_assert(eq(ptr, d, NULL));
	for (size_t i = 0; words[i]; i++)
		cr_assert(strstr(err, words[i]) != NULL, "\"%s\" not in: %s", words[i], err);
}

static const char *const recover_server[] = {"backup", "`medsrv init`", NULL};

DB_TEST(db_open, refuses_an_empty_file_and_says_how_to_recover)
{
	char path[256];
	static const char *const words[] = {"empty (0 bytes)", "backup", "remove it", "`medsrv init`", NULL};
	static const char *const client_words[] = {"empty (0 bytes)", "`medcli init`", NULL};
	FILE *f = fopen(tst_path(path, sizeof path, "medsrv.db"), "w");

	cr_assert(f != NULL);
	fclose(f);
	/* Whether the caller may create a file or not: a 0-byte file is not a new database. */
	assert_refused("medsrv.db", DB_KIND_SERVER, true, IKE_ERR_DB, words);
	assert_refused("medsrv.db", DB_KIND_SERVER, false, IKE_ERR_DB, words);
	cr_assert(eq(i64, file_size("medsrv.db"), 0), "the file is left as it was");
	cr_assert(eq(i64, file_size("medsrv.db-wal"), -1));
	f = fopen(tst_path(path, sizeof path, "medcli.db"), "w");
	cr_assert(f != NULL);
	fclose(f);
	assert_refused("medcli.db", DB_KIND_CLIENT, true, IKE_ERR_DB, client_words);
}

DB_TEST(db_open, refuses_truncated_files)
{
	static const char *const words[] = {"truncated", "backup", "`medsrv init`", NULL};
	char path[256];
	int64_t full;

	make_full_server_db();
	full = file_size("medsrv.db");
	tst_path(path, sizeof path, "medsrv.db");
	/* Cut at a page boundary (the header's page count says more) and inside a page. */
	cr_assert(eq(int, truncate(path, 4096), 0));
	assert_refused("medsrv.db", DB_KIND_SERVER, true, IKE_ERR_DB, words);
	cr_assert(eq(i64, file_size("medsrv.db"), 4096), "the file is left as it was");
	cr_assert(eq(int, truncate(path, 8000), 0));
	assert_refused("medsrv.db", DB_KIND_SERVER, false, IKE_ERR_DB, words);
	/* Shorter than the SQLite header. */
	cr_assert(eq(int, truncate(path, 50), 0));
	assert_refused("medsrv.db", DB_KIND_SERVER, true, IKE_ERR_DB, recover_server);
	cr_assert(gt(i64, full, 4096));
}

DB_TEST(db_open, refuses_a_file_with_a_damaged_page)
{
	static const char *const words[] = {"damaged", "backup", NULL};
	char path[256], junk[4096];
	int64_t size;
	FILE *f;

	make_full_server_db();
	size = file_size("medsrv.db");
	/* Overwrite the last page (table or index b-tree content) with garbage. */
	memset(junk, 0x5a, sizeof junk);
	f = fopen(tst_path(path, sizeof path, "medsrv.db"), "r+b");
	cr_assert(f != NULL);
	cr_assert(eq(int, fseek(f, (long)(size - (int64_t)sizeof junk), SEEK_SET), 0));
	cr_assert(eq(sz, fwrite(junk, 1, sizeof junk, f), sizeof junk));
	fclose(f);
	assert_refused("medsrv.db", DB_KIND_SERVER, true, IKE_ERR_DB, words);
}

DB_TEST(db_open, refuses_garbage_and_an_empty_sqlite_file)
{
	static const char *const garbage_words[] = {"not an SQLite database", "backup", NULL};
	static const char *const empty_words[] = {"no medsrv data", "backup", NULL};
	char path[256], junk[8192];
	sqlite3 *c;
	FILE *f = fopen(tst_path(path, sizeof path, "medsrv.db"), "wb");

	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 7 + 3);
	cr_assert(f != NULL);
	cr_assert(eq(sz, fwrite(junk, 1, sizeof junk, f), sizeof junk));
	fclose(f);
	assert_refused("medsrv.db", DB_KIND_SERVER, false, IKE_ERR_DB, garbage_words);
	cr_assert(eq(i64, file_size("medsrv.db"), (int64_t)sizeof junk));
	/* A valid SQLite file that holds nothing: its data is gone; it is not filled anew. */
	cr_assert(eq(int, unlink(path), 0));
	c = tst_raw("medsrv.db");
	tst_raw_exec(c, "CREATE TABLE t (x); DROP TABLE t");
	sqlite3_close(c);
	cr_assert(gt(i64, file_size("medsrv.db"), 0));
	assert_refused("medsrv.db", DB_KIND_SERVER, false, IKE_ERR_DB, empty_words);
	c = tst_raw("medsrv.db");
	cr_assert(eq(i64, tst_raw_int(c, "SELECT count(*) FROM sqlite_schema"), 0));
	sqlite3_close(c);
}

DB_TEST(db_open, creates_a_new_file_whole_and_leaves_nothing_else)
{
	DIR *dir;
	struct dirent *e;
	int files = 0;
	db *d = tst_open_client();

	db_close(d);
	dir = opendir(tst_dir);
	cr_assert(dir != NULL);
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		cr_assert(eq(str, e->d_name, "medcli.db"), "left behind: %s", e->d_name);
		files++;
	}
	closedir(dir);
	cr_assert(eq(int, files, 1));
	/* And it opens again as it is, with must_exist. */
	{
		char path[256], err[256];
		db_opts o = {.must_exist = true};
		cr_assert(eq(int,
		             db_open(&d, tst_path(path, sizeof path, "medcli.db"), DB_KIND_CLIENT, &o, err,
		                     sizeof err),
		             IKE_OK),
		          "%s", err);
		db_close(d);
	}
}

DB_TEST(db_open, names_a_missing_or_read_only_directory)
{
	static const char *const missing[] = {"directory", "no/such", "does not exist", NULL};
	static const char *const readonly[] = {"directory", "is read-only", NULL};
	char path[256];

	assert_refused("no/such/medsrv.db", DB_KIND_SERVER, false, IKE_ERR_IO, missing);
	assert_refused("no/such/medsrv.db", DB_KIND_SERVER, true, IKE_ERR_NOT_FOUND, missing);
	if (geteuid() == 0)
		cr_skip_test("root writes into a mode 0555 directory (the lab tests use a read-only mount)");
	make_full_server_db();
	cr_assert(eq(int, chmod(tst_dir, 0555), 0));
	assert_refused("medsrv.db", DB_KIND_SERVER, true, IKE_ERR_IO, readonly);
	assert_refused("other.db", DB_KIND_SERVER, false, IKE_ERR_IO, readonly);
	cr_assert(eq(int, chmod(tst_dir, 0700), 0));
	(void)path;
}
