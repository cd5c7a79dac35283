/* SPDX-License-Identifier: MIT */
/*
 * Multi-statement writes are all or nothing. The failure is forced in the second
 * statement with a trigger that another connection installs (as a hostile or broken
 * file could), after the first statement has already written.
 */
#include "tst_db.h"

static void add_trigger(const char *file, const char *sql)
{
	sqlite3 *c = tst_raw(file);

	tst_raw_exec(c, sql);
	sqlite3_close(c);
}

DB_TEST(db_atomic, throttle_failure_in_second_statement_leaves_nothing)
{
	db *d = tst_open_server();
	int64_t n = -1;

	/* Prepared before the schema change: the cached statements must cope. */
	cr_assert(eq(int, db_throttle_fail(d, "bob", NULL, 1, 60), IKE_OK));
	add_trigger("medsrv.db", "CREATE TRIGGER no_addr BEFORE INSERT ON login_failures WHEN NEW.scope = 2 "
	                         "BEGIN SELECT RAISE(ABORT, 'forced failure'); END");
	cr_assert(eq(int, db_throttle_fail(d, "alice", "192.0.2.7", 100, 60), IKE_ERR_DB));
	cr_assert(strstr(db_errmsg(d), "forced failure") != NULL, "%s", db_errmsg(d));
	cr_assert(eq(int, db_throttle_count(d, DB_THROTTLE_LOGIN, "alice", 100, 60, &n, NULL), IKE_OK));
	cr_assert(eq(i64, n, 0));
	/* The handle is usable afterwards: no transaction left open. */
	cr_assert(eq(int, db_throttle_fail(d, "alice", NULL, 101, 60), IKE_OK));
	cr_assert(eq(int, db_throttle_count(d, DB_THROTTLE_LOGIN, "alice", 101, 60, &n, NULL), IKE_OK));
	cr_assert(eq(i64, n, 1));
	db_close(d);
}

DB_TEST(db_atomic, settings_failure_in_second_statement_leaves_nothing)
{
	db *d = tst_open_client();
	const db_setting kv[] = {{"first", "new"}, {"second", "x"}, {"third", "y"}};
	char buf[16];

	cr_assert(eq(int, db_setting_set(d, "first", "old"), IKE_OK));
	add_trigger("medcli.db", "CREATE TRIGGER no_second BEFORE INSERT ON settings WHEN NEW.key = 'second' "
	                         "BEGIN SELECT RAISE(ABORT, 'forced failure'); END");
	cr_assert(eq(int, db_settings_set(d, kv, 3), IKE_ERR_DB));
	cr_assert(eq(int, db_setting_get(d, "first", buf, sizeof buf), IKE_OK));
	cr_assert(eq(str, buf, "old"));
	cr_assert(eq(int, db_setting_get(d, "third", buf, sizeof buf), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_atomic, settings_invalid_second_entry_leaves_nothing)
{
	db *d = tst_open_client();
	const db_setting kv[] = {{"first", "new"}, {"", "x"}};
	char buf[16];

	cr_assert(eq(int, db_settings_set(d, kv, 2), IKE_ERR_INVAL));
	cr_assert(eq(int, db_setting_get(d, "first", buf, sizeof buf), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_atomic, peer_insert_failure_after_clash_checks_leaves_nothing)
{
	db *d = tst_open_server();
	int64_t uid = tst_user(d, "alice");
	db_peer p, got;

	add_trigger("medsrv.db", "CREATE TRIGGER no_peers BEFORE INSERT ON peers "
	                         "BEGIN SELECT RAISE(ABORT, 'forced failure'); END");
	tst_peer(&p, uid, "laptop", 1);
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, NULL), IKE_ERR_DB));
	cr_assert(eq(int, db_peer_find_keyid(d, p.keyid, DB_KEYID_LEN, &got), IKE_ERR_NOT_FOUND));
	/* No write lock is left behind: another connection can write at once. */
	{
		db *other = NULL;
		char path[256];
		db_opts o = {.busy_timeout_ms = 50};

		cr_assert(
		    eq(int,
		       db_open(&other, tst_path(path, sizeof path, "medsrv.db"), DB_KIND_SERVER, &o, NULL, 0),
		       IKE_OK));
		cr_assert(eq(int, db_user_add(other, "bob", "h", 1, NULL), IKE_OK), "%s", db_errmsg(other));
		db_close(other);
	}
	db_close(d);
}
