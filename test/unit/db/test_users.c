/* SPDX-License-Identifier: MIT */
#include "tst_db.h"

DB_TEST(db_user, finds_login_ignoring_case)
{
	db *d = tst_open_server();
	int64_t id = tst_user(d, "Alice");
	db_user u;

	cr_assert(eq(int, db_user_by_login(d, "aLICE", &u), IKE_OK));
	cr_assert(eq(i64, u.id, id));
	cr_assert(eq(str, u.login, "Alice"));
	cr_assert(eq(i64, u.created, 1000));
	cr_assert(eq(int, db_user_by_id(d, id, &u), IKE_OK));
	cr_assert(eq(str, u.pwhash, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA"));
	cr_assert(eq(int, db_user_by_id(d, id + 1, &u), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_user, duplicate_login_in_other_case_names_the_field)
{
	db *d = tst_open_server();

	tst_user(d, "alice");
	cr_assert(eq(int, db_user_add(d, "ALICE", "h", 1, NULL), IKE_ERR_EXISTS));
	cr_assert(strstr(db_errmsg(d), "login") != NULL, "%s", db_errmsg(d));
	db_close(d);
}

DB_TEST(db_user, replaces_password_hash)
{
	db *d = tst_open_server();
	int64_t id = tst_user(d, "alice");
	db_user u;

	cr_assert(eq(int, db_user_set_pwhash(d, id, "$argon2id$new"), IKE_OK));
	cr_assert(eq(int, db_user_by_login(d, "alice", &u), IKE_OK));
	cr_assert(eq(str, u.pwhash, "$argon2id$new"));
	cr_assert(eq(int, db_user_set_pwhash(d, id + 5, "x"), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_user, delete_takes_sessions_and_peers_along)
{
	db *d = tst_open_server();
	int64_t a = tst_user(d, "alice"), b = tst_user(d, "bob");
	db_session s;
	db_user u;
	db_peer *list;
	size_t n;

	tst_add_peer(d, a, "laptop", 1);
	tst_add_peer(d, b, "phone", 2);
	cr_assert(eq(int, db_session_create(d, "alice-token-0123456789", a, "c", 1, 100), IKE_OK));
	cr_assert(eq(int, db_session_create(d, "bob-token-0123456789ab", b, "c", 1, 100), IKE_OK));
	cr_assert(eq(int, db_user_delete(d, a), IKE_OK));
	cr_assert(eq(int, db_user_by_login(d, "alice", &u), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_session_lookup(d, "alice-token-0123456789", 2, &s), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_session_lookup(d, "bob-token-0123456789ab", 2, &s), IKE_OK));
	cr_assert(eq(int, db_peer_list_all(d, &list, &n), IKE_OK));
	cr_assert(eq(sz, n, 1));
	cr_assert(eq(str, list[0].alias, "phone"));
	db_free(list);
	cr_assert(eq(int, db_user_delete(d, a), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_user, rejects_bad_logins)
{
	db *d = tst_open_server();
	char longer[DB_LOGIN_MAX + 2];

	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	cr_assert(eq(int, db_user_add(d, longer, "h", 1, NULL), IKE_ERR_INVAL));
	longer[DB_LOGIN_MAX] = '\0';
	cr_assert(eq(int, db_user_add(d, longer, "h", 1, NULL), IKE_OK));
	cr_assert(eq(int, db_user_add(d, "", "h", 1, NULL), IKE_ERR_INVAL));
	cr_assert(eq(int, db_user_add(d, NULL, "h", 1, NULL), IKE_ERR_INVAL));
	cr_assert(eq(int, db_user_add(d, "bad\xff", "h", 1, NULL), IKE_ERR_INVAL));
	cr_assert(eq(int, db_user_add(d, "surrogate\xed\xa0\x80", "h", 1, NULL), IKE_ERR_INVAL));
	cr_assert(eq(int, db_user_add(d, "overlong\xc0\xaf", "h", 1, NULL), IKE_ERR_INVAL));
	cr_assert(eq(int, db_user_add(d, "J\xc3\xbcrgen", "h", 1, NULL), IKE_OK), "%s", db_errmsg(d));
	cr_assert(eq(int, db_user_add(d, "nohash", "", 1, NULL), IKE_ERR_INVAL));
	db_close(d);
}

/* True if the file at path contains needle anywhere. */
static bool file_contains(const char *path, const char *needle)
{
	static char buf[1 << 20];
	size_t n, len = strlen(needle);
	FILE *f = fopen(path, "rb");
	bool found = false;

	cr_assert(f != NULL);
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	for (size_t i = 0; i + len <= n && !found; i++)
		found = memcmp(buf + i, needle, len) == 0;
	return found;
}

DB_TEST(db_user, deleted_password_hash_does_not_linger_in_the_file)
{
	const char *hash = "$argon2id$v=19$m=65536,t=2,p=1$U0VDUkVUU0FMVA$U0VDUkVUSEFTSA";
	char path[256];
	int64_t id = 0;
	db *d = tst_open_server();

	cr_assert(eq(int, db_user_add(d, "alice", hash, 1, &id), IKE_OK));
	tst_user(d, "bob");
	db_close(d); /* the last connection checkpoints the WAL into the file */
	tst_path(path, sizeof path, "medsrv.db");
	cr_assert(file_contains(path, hash));

	d = tst_open_server();
	cr_assert(eq(int, db_user_delete(d, id), IKE_OK));
	db_close(d);
	cr_assert(not(file_contains(path, hash)));
}
