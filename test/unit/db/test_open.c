/* SPDX-License-Identifier: MIT */
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
