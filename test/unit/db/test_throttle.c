/* SPDX-License-Identifier: MIT */
#include "tst_db.h"

static int64_t count(db *d, db_throttle_scope scope, const char *key, int64_t now, int64_t window)
{
	int64_t n = -1;

	cr_assert(eq(int, db_throttle_count(d, scope, key, now, window, &n, NULL), IKE_OK), "%s",
	          db_errmsg(d));
	return n;
}

DB_TEST(db_throttle, counts_failures_within_window)
{
	db *d = tst_open_server();
	int64_t last = 0, n = 0;

	cr_assert(eq(i64, count(d, DB_THROTTLE_LOGIN, "alice", 100, 60), 0));
	cr_assert(eq(int, db_throttle_fail(d, "alice", "192.0.2.7", 100, 60), IKE_OK));
	cr_assert(eq(int, db_throttle_fail(d, "alice", "192.0.2.8", 110, 60), IKE_OK));
	cr_assert(eq(int, db_throttle_fail(d, "ALICE", "192.0.2.7", 159, 60), IKE_OK));
	cr_assert(eq(i64, count(d, DB_THROTTLE_LOGIN, "alice", 159, 60), 3));
	cr_assert(eq(i64, count(d, DB_THROTTLE_ADDR, "192.0.2.7", 159, 60), 2));
	cr_assert(eq(i64, count(d, DB_THROTTLE_ADDR, "192.0.2.8", 159, 60), 1));
	cr_assert(eq(i64, count(d, DB_THROTTLE_LOGIN, "bob", 159, 60), 0));
	cr_assert(eq(int, db_throttle_count(d, DB_THROTTLE_LOGIN, "alice", 159, 60, &n, &last), IKE_OK));
	cr_assert(eq(i64, last, 159));
	/* The window began at 100: at 160 it is over. */
	cr_assert(eq(i64, count(d, DB_THROTTLE_LOGIN, "alice", 160, 60), 0));
	db_close(d);
}

DB_TEST(db_throttle, failure_after_window_starts_new_count)
{
	db *d = tst_open_server();

	cr_assert(eq(int, db_throttle_fail(d, "alice", NULL, 100, 60), IKE_OK));
	cr_assert(eq(int, db_throttle_fail(d, "alice", NULL, 120, 60), IKE_OK));
	cr_assert(eq(int, db_throttle_fail(d, "alice", NULL, 170, 60), IKE_OK));
	cr_assert(eq(i64, count(d, DB_THROTTLE_LOGIN, "alice", 170, 60), 1));
	cr_assert(eq(int, db_throttle_fail(d, "alice", NULL, 171, 60), IKE_OK));
	cr_assert(eq(i64, count(d, DB_THROTTLE_LOGIN, "alice", 229, 60), 2));
	db_close(d);
}

DB_TEST(db_throttle, reset_on_success_forgets_login_and_address)
{
	db *d = tst_open_server();

	cr_assert(eq(int, db_throttle_fail(d, "alice", "192.0.2.7", 100, 60), IKE_OK));
	cr_assert(eq(int, db_throttle_fail(d, "bob", "192.0.2.9", 100, 60), IKE_OK));
	cr_assert(eq(int, db_throttle_reset(d, "Alice", "192.0.2.7"), IKE_OK));
	cr_assert(eq(i64, count(d, DB_THROTTLE_LOGIN, "alice", 101, 60), 0));
	cr_assert(eq(i64, count(d, DB_THROTTLE_ADDR, "192.0.2.7", 101, 60), 0));
	cr_assert(eq(i64, count(d, DB_THROTTLE_LOGIN, "bob", 101, 60), 1));
	cr_assert(eq(i64, count(d, DB_THROTTLE_ADDR, "192.0.2.9", 101, 60), 1));
	db_close(d);
}

DB_TEST(db_throttle, purge_deletes_old_records)
{
	db *d = tst_open_server();
	int64_t n = 0;

	cr_assert(eq(int, db_throttle_fail(d, "alice", "192.0.2.7", 100, 60), IKE_OK));
	cr_assert(eq(int, db_throttle_fail(d, "bob", NULL, 500, 60), IKE_OK));
	cr_assert(eq(int, db_throttle_purge(d, 400, &n), IKE_OK));
	cr_assert(eq(i64, n, 2));
	cr_assert(eq(i64, count(d, DB_THROTTLE_LOGIN, "bob", 501, 60), 1));
	db_close(d);
}

DB_TEST(db_throttle, rejects_bad_arguments)
{
	db *d = tst_open_server();
	int64_t n;

	cr_assert(eq(int, db_throttle_fail(d, NULL, NULL, 1, 60), IKE_ERR_INVAL));
	cr_assert(eq(int, db_throttle_fail(d, "alice", NULL, 1, 0), IKE_ERR_INVAL));
	cr_assert(eq(int, db_throttle_fail(d, "", NULL, 1, 60), IKE_ERR_INVAL));
	cr_assert(
	    eq(int, db_throttle_count(d, (db_throttle_scope)3, "alice", 1, 60, &n, NULL), IKE_ERR_INVAL));
	db_close(d);
}
