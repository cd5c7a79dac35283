/* SPDX-License-Identifier: MIT */
#include "tst_db.h"

#define TOKEN "k3Jd9vXq2LmN8pQr4sTu6wYz"

DB_TEST(db_session, lookup_finds_valid_session_until_expiry)
{
	db *d = tst_open_server();
	int64_t uid = tst_user(d, "alice");
	db_session s;

	cr_assert(eq(int, db_session_create(d, TOKEN, uid, "csrf-abc", 1000, 1600), IKE_OK));
	cr_assert(eq(int, db_session_lookup(d, TOKEN, 1000, &s), IKE_OK));
	cr_assert(eq(i64, s.user_id, uid));
	cr_assert(eq(str, s.csrf, "csrf-abc"));
	cr_assert(eq(i64, s.created, 1000));
	cr_assert(eq(i64, s.last_seen, 1000));
	cr_assert(eq(i64, s.expires, 1600));
	cr_assert(eq(int, db_session_lookup(d, TOKEN, 1599, &s), IKE_OK));
	cr_assert(eq(int, db_session_lookup(d, TOKEN, 1600, &s), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_session_lookup(d, TOKEN "x", 1000, &s), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_session_lookup(d, "short", 1000, &s), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_session, stores_only_the_sha256_of_the_token)
{
	db *d = tst_open_server();
	int64_t uid = tst_user(d, "alice");
	uint8_t h[32];
	sqlite3 *c;
	sqlite3_stmt *st;

	cr_assert(eq(int, db_session_create(d, TOKEN, uid, "csrf", 1, 2), IKE_OK));
	db_close(d);
	cr_assert(eq(int, EVP_Digest(TOKEN, strlen(TOKEN), h, NULL, EVP_sha256(), NULL), 1));
	c = tst_raw("medsrv.db");
	cr_assert(
	    eq(int, sqlite3_prepare_v2(c, "SELECT token_hash FROM sessions", -1, &st, NULL), SQLITE_OK));
	cr_assert(eq(int, sqlite3_step(st), SQLITE_ROW));
	cr_assert(eq(int, sqlite3_column_bytes(st, 0), 32));
	cr_assert(eq(int, memcmp(sqlite3_column_blob(st, 0), h, 32), 0));
	sqlite3_finalize(st);
	cr_assert(
	    eq(i64,
	       tst_raw_int(c, "SELECT count(*) FROM sessions WHERE instr(CAST(token_hash AS TEXT), '" TOKEN
	                      "') OR csrf = '" TOKEN "'"),
	       0));
	sqlite3_close(c);
}

DB_TEST(db_session, touch_extends_only_valid_sessions)
{
	db *d = tst_open_server();
	int64_t uid = tst_user(d, "alice");
	db_session s;

	cr_assert(eq(int, db_session_create(d, TOKEN, uid, "c", 1000, 1600), IKE_OK));
	cr_assert(eq(int, db_session_touch(d, TOKEN, 1500, 2100), IKE_OK));
	cr_assert(eq(int, db_session_lookup(d, TOKEN, 2000, &s), IKE_OK));
	cr_assert(eq(i64, s.last_seen, 1500));
	cr_assert(eq(i64, s.expires, 2100));
	cr_assert(eq(i64, s.created, 1000));
	/* Once expired, a session cannot be revived. */
	cr_assert(eq(int, db_session_touch(d, TOKEN, 2100, 9999), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_session_lookup(d, TOKEN, 2100, &s), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_session, delete_logs_out)
{
	db *d = tst_open_server();
	int64_t uid = tst_user(d, "alice");
	db_session s;

	cr_assert(eq(int, db_session_create(d, TOKEN, uid, "c", 1, 100), IKE_OK));
	cr_assert(eq(int, db_session_delete(d, TOKEN), IKE_OK));
	cr_assert(eq(int, db_session_lookup(d, TOKEN, 2, &s), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_session_delete(d, TOKEN), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_session, purge_removes_only_expired_sessions)
{
	db *d = tst_open_server();
	int64_t uid = tst_user(d, "alice");
	int64_t n = -1;
	db_session s;

	cr_assert(eq(int, db_session_create(d, "token-expires-at-100--", uid, "c", 1, 100), IKE_OK));
	cr_assert(eq(int, db_session_create(d, "token-expires-at-200--", uid, "c", 1, 200), IKE_OK));
	cr_assert(eq(int, db_session_create(d, "token-expires-at-300--", uid, "c", 1, 300), IKE_OK));
	cr_assert(eq(int, db_session_purge(d, 200, &n), IKE_OK));
	cr_assert(eq(i64, n, 2));
	cr_assert(eq(int, db_session_lookup(d, "token-expires-at-300--", 250, &s), IKE_OK));
	cr_assert(eq(int, db_session_purge(d, 200, &n), IKE_OK));
	cr_assert(eq(i64, n, 0));
	db_close(d);
}

DB_TEST(db_session, delete_user_sessions_after_password_change)
{
	db *d = tst_open_server();
	int64_t a = tst_user(d, "alice"), b = tst_user(d, "bob");
	int64_t n = 0;
	db_session s;

	cr_assert(eq(int, db_session_create(d, "alice-session-one-----", a, "c", 1, 100), IKE_OK));
	cr_assert(eq(int, db_session_create(d, "alice-session-two-----", a, "c", 1, 100), IKE_OK));
	cr_assert(eq(int, db_session_create(d, "bob-session-----------", b, "c", 1, 100), IKE_OK));
	cr_assert(eq(int, db_session_delete_user(d, a, &n), IKE_OK));
	cr_assert(eq(i64, n, 2));
	cr_assert(eq(int, db_session_lookup(d, "bob-session-----------", 2, &s), IKE_OK));
	db_close(d);
}

DB_TEST(db_session, create_refuses_unknown_user_and_duplicate_token)
{
	db *d = tst_open_server();
	int64_t uid = tst_user(d, "alice");

	cr_assert(eq(int, db_session_create(d, TOKEN, uid + 1, "c", 1, 100), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_session_create(d, TOKEN, uid, "c", 1, 100), IKE_OK));
	cr_assert(eq(int, db_session_create(d, TOKEN, uid, "c", 1, 100), IKE_ERR_EXISTS));
	cr_assert(eq(int, db_session_create(d, "too-short", uid, "c", 1, 100), IKE_ERR_INVAL));
	cr_assert(eq(int, db_session_create(d, TOKEN "2", uid, "", 1, 100), IKE_ERR_INVAL));
	db_close(d);
}
