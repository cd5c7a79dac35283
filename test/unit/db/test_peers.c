/* SPDX-License-Identifier: MIT */
#include "tst_db.h"

DB_TEST(db_peer, adds_and_reads_back_every_field)
{
	db *d = tst_open_server();
	int64_t uid = tst_user(d, "alice"), id = 0;
	db_peer p, got;

	tst_peer(&p, uid, "laptop", 1);
	cr_assert(eq(int, db_peer_add(d, &p, 5000, &id, NULL), IKE_OK), "%s", db_errmsg(d));
	cr_assert(gt(i64, id, 0));
	cr_assert(eq(int, db_peer_get(d, uid, id, &got), IKE_OK));
	cr_assert(eq(i64, got.id, id));
	cr_assert(eq(i64, got.user_id, uid));
	cr_assert(eq(str, got.owner, "alice"));
	cr_assert(eq(str, got.alias, "laptop"));
	cr_assert(eq(int, memcmp(got.keyid, p.keyid, DB_KEYID_LEN), 0));
	cr_assert(eq(int, memcmp(got.keyid_spki, p.keyid_spki, DB_KEYID_LEN), 0));
	cr_assert(eq(sz, got.pubkey_len, p.pubkey_len));
	cr_assert(eq(int, memcmp(got.pubkey, p.pubkey, p.pubkey_len), 0));
	cr_assert(eq(i64, got.created, 5000));
	cr_assert(eq(i64, got.updated, 5000));
	db_close(d);
}

DB_TEST(db_peer, finds_peer_by_either_keyid_form)
{
	db *d = tst_open_server();
	int64_t uid = tst_user(d, "alice");
	db_peer p, got;

	tst_add_peer(d, uid, "other", 9);
	tst_peer(&p, uid, "laptop", 1);
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, NULL), IKE_OK));
	cr_assert(eq(int, db_peer_find_keyid(d, p.keyid, DB_KEYID_LEN, &got), IKE_OK));
	cr_assert(eq(str, got.alias, "laptop"));
	memset(&got, 0, sizeof got);
	cr_assert(eq(int, db_peer_find_keyid(d, p.keyid_spki, DB_KEYID_LEN, &got), IKE_OK));
	cr_assert(eq(str, got.alias, "laptop"));
	cr_assert(eq(int, memcmp(got.pubkey, p.pubkey, p.pubkey_len), 0));
	db_close(d);
}

DB_TEST(db_peer, find_keyid_misses_unknown_and_wrong_length_ids)
{
	db *d = tst_open_server();
	db_peer p, got;
	uint8_t unknown[DB_KEYID_LEN] = {1, 2, 3};

	tst_peer(&p, DB_OWNER_OPERATOR, "gw", 1);
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, NULL), IKE_OK));
	cr_assert(eq(int, db_peer_find_keyid(d, unknown, sizeof unknown, &got), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_peer_find_keyid(d, p.keyid, DB_KEYID_LEN - 1, &got), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_peer_find_keyid(d, NULL, 0, &got), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_peer, second_connection_sees_new_peer_at_once)
{
	db *web = tst_open_server();
	db *srv = tst_open_server();
	int64_t uid = tst_user(web, "alice");
	db_peer p, got;

	/* medsrv has looked (and missed) before: its cached statement must not keep an old snapshot. */
	tst_peer(&p, uid, "laptop", 1);
	cr_assert(eq(int, db_peer_find_keyid(srv, p.keyid, DB_KEYID_LEN, &got), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_peer_add(web, &p, 1, NULL, NULL), IKE_OK));
	cr_assert(eq(int, db_peer_find_keyid(srv, p.keyid, DB_KEYID_LEN, &got), IKE_OK));
	cr_assert(eq(str, got.alias, "laptop"));
	/* And a deletion too. */
	cr_assert(eq(int, db_peer_delete(web, uid, got.id), IKE_OK));
	cr_assert(eq(int, db_peer_find_keyid(srv, p.keyid_spki, DB_KEYID_LEN, &got), IKE_ERR_NOT_FOUND));
	db_close(srv);
	db_close(web);
}

DB_TEST(db_peer, duplicate_keyid_names_the_field)
{
	db *d = tst_open_server();
	int64_t a = tst_user(d, "alice"), b = tst_user(d, "bob");
	db_field clash = DB_FIELD_NONE;
	db_peer p;

	tst_add_peer(d, a, "laptop", 1);
	/* The same key, for another user and alias. */
	tst_peer(&p, b, "phone", 1);
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, &clash), IKE_ERR_EXISTS));
	cr_assert(eq(int, (int)clash, (int)DB_FIELD_KEYID));
	cr_assert(strstr(db_errmsg(d), "keyid") != NULL);
	db_close(d);
}

DB_TEST(db_peer, duplicate_spki_keyid_names_the_field)
{
	db *d = tst_open_server();
	int64_t a = tst_user(d, "alice");
	db_field clash = DB_FIELD_NONE;
	db_peer p;

	tst_add_peer(d, a, "laptop", 1);
	/* Same DER (so same SPKI KEY_ID) with a different PKCS#1 KEY_ID. */
	tst_peer(&p, a, "phone", 1);
	memset(p.keyid, 0xee, DB_KEYID_LEN);
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, &clash), IKE_ERR_EXISTS));
	cr_assert(eq(int, (int)clash, (int)DB_FIELD_KEYID_SPKI));
	db_close(d);
}

DB_TEST(db_peer, keyid_equal_to_another_peers_spki_form_clashes)
{
	db *d = tst_open_server();
	db_field clash = DB_FIELD_NONE;
	db_peer first, p;

	tst_peer(&first, DB_OWNER_OPERATOR, "gw", 1);
	cr_assert(eq(int, db_peer_add(d, &first, 1, NULL, NULL), IKE_OK));
	/* A lookup by that value could not tell the two apart: refuse it. */
	tst_peer(&p, DB_OWNER_OPERATOR, "gw2", 2);
	memcpy(p.keyid, first.keyid_spki, DB_KEYID_LEN);
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, &clash), IKE_ERR_EXISTS));
	cr_assert(eq(int, (int)clash, (int)DB_FIELD_KEYID));
	db_close(d);
}

DB_TEST(db_peer, alias_is_unique_per_owner_only)
{
	db *d = tst_open_server();
	int64_t a = tst_user(d, "alice"), b = tst_user(d, "bob");
	db_field clash = DB_FIELD_NONE;
	db_peer p;

	tst_add_peer(d, a, "laptop", 1);
	tst_add_peer(d, b, "laptop", 2); /* another owner: fine */
	tst_peer(&p, a, "laptop", 3);
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, &clash), IKE_ERR_EXISTS));
	cr_assert(eq(int, (int)clash, (int)DB_FIELD_ALIAS));
	/* Operator peers form one owner too. */
	tst_add_peer(d, DB_OWNER_OPERATOR, "laptop", 4);
	tst_peer(&p, DB_OWNER_OPERATOR, "laptop", 5);
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, &clash), IKE_ERR_EXISTS));
	cr_assert(eq(int, (int)clash, (int)DB_FIELD_ALIAS));
	db_close(d);
}

DB_TEST(db_peer, user_cannot_see_or_change_another_users_peers)
{
	db *d = tst_open_server();
	int64_t a = tst_user(d, "alice"), b = tst_user(d, "bob");
	int64_t pa = tst_add_peer(d, a, "alices-laptop", 1);
	db_peer got, *list = NULL;
	size_t n = 99;

	tst_add_peer(d, b, "bobs-phone", 2);
	cr_assert(eq(int, db_peer_list(d, b, &list, &n), IKE_OK));
	cr_assert(eq(sz, n, 1));
	cr_assert(eq(str, list[0].alias, "bobs-phone"));
	db_free(list);

	cr_assert(eq(int, db_peer_get(d, b, pa, &got), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_peer_get_by_alias(d, b, "alices-laptop", &got), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_peer_rename(d, b, pa, "stolen", 9, NULL), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_peer_delete(d, b, pa), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_peer_delete(d, DB_OWNER_OPERATOR, pa), IKE_ERR_NOT_FOUND));

	cr_assert(eq(int, db_peer_get(d, a, pa, &got), IKE_OK));
	cr_assert(eq(str, got.alias, "alices-laptop"));
	cr_assert(eq(i64, got.updated, 2000));
	db_close(d);
}

DB_TEST(db_peer, owner_renames_and_deletes)
{
	db *d = tst_open_server();
	int64_t a = tst_user(d, "alice");
	int64_t p1 = tst_add_peer(d, a, "one", 1);
	db_field clash = DB_FIELD_NONE;
	db_peer got;

	tst_add_peer(d, a, "two", 2);
	cr_assert(eq(int, db_peer_rename(d, a, p1, "two", 3000, &clash), IKE_ERR_EXISTS));
	cr_assert(eq(int, (int)clash, (int)DB_FIELD_ALIAS));
	cr_assert(eq(int, db_peer_rename(d, a, p1, "uno", 3000, &clash), IKE_OK));
	cr_assert(eq(int, db_peer_get(d, a, p1, &got), IKE_OK));
	cr_assert(eq(str, got.alias, "uno"));
	cr_assert(eq(i64, got.updated, 3000));
	cr_assert(eq(i64, got.created, 2000));
	cr_assert(eq(int, db_peer_delete(d, a, p1), IKE_OK));
	cr_assert(eq(int, db_peer_get(d, a, p1, &got), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_peer_delete(d, a, p1), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_peer, lists_all_peers_with_owner_logins)
{
	db *d = tst_open_server();
	int64_t a = tst_user(d, "alice"), b = tst_user(d, "bob");
	db_peer *list = NULL;
	size_t n = 0;

	tst_add_peer(d, b, "b1", 1);
	tst_add_peer(d, a, "a2", 2);
	tst_add_peer(d, a, "a1", 3);
	tst_add_peer(d, DB_OWNER_OPERATOR, "gw", 4);
	cr_assert(eq(int, db_peer_list_all(d, &list, &n), IKE_OK));
	cr_assert(eq(sz, n, 4));
	cr_assert(eq(str, list[0].owner, ""));
	cr_assert(eq(str, list[0].alias, "gw"));
	cr_assert(eq(str, list[1].owner, "alice"));
	cr_assert(eq(str, list[1].alias, "a1"));
	cr_assert(eq(str, list[2].alias, "a2"));
	cr_assert(eq(str, list[3].owner, "bob"));
	db_free(list);

	cr_assert(eq(int, db_peer_list(d, DB_OWNER_OPERATOR, &list, &n), IKE_OK));
	cr_assert(eq(sz, n, 1));
	cr_assert(eq(str, list[0].alias, "gw"));
	db_free(list);
	db_close(d);
}

DB_TEST(db_peer, empty_list_is_null_and_zero)
{
	db *d = tst_open_server();
	int64_t a = tst_user(d, "alice");
	db_peer *list = (db_peer *)1;
	size_t n = 5;

	cr_assert(eq(int, db_peer_list(d, a, &list, &n), IKE_OK));
	cr_assert(eq(sz, n, 0));
	cr_assert(eq(ptr, list, NULL));
	db_close(d);
}

DB_TEST(db_peer, rejects_bad_input)
{
	db *d = tst_open_server();
	int64_t a = tst_user(d, "alice");
	db_peer p;

	tst_peer(&p, a, "x", 1);
	p.keyid_spki[0] ^= 1; /* not SHA-1 of the DER */
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, NULL), IKE_ERR_INVAL));
	cr_assert(strstr(db_errmsg(d), "SubjectPublicKeyInfo") != NULL);

	tst_peer(&p, a, "", 1);
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, NULL), IKE_ERR_INVAL));
	tst_peer(&p, a, "x", 1);
	memset(p.alias, 'a', DB_ALIAS_MAX + 1);
	p.alias[DB_ALIAS_MAX] = '\0'; /* exactly 64 bytes: allowed */
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, NULL), IKE_OK), "%s", db_errmsg(d));
	tst_peer(&p, a, "\xc3\x28", 2); /* invalid UTF-8 */
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, NULL), IKE_ERR_INVAL));
	tst_peer(&p, a, "y", 3);
	p.pubkey_len = 0;
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, NULL), IKE_ERR_INVAL));
	p.pubkey_len = DB_PUBKEY_MAX + 1;
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, NULL), IKE_ERR_INVAL));
	tst_peer(&p, -3, "z", 4);
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, NULL), IKE_ERR_INVAL));
	db_close(d);
}

DB_TEST(db_peer, deleting_a_user_deletes_their_peers)
{
	db *d = tst_open_server();
	int64_t a = tst_user(d, "alice");
	db_peer p, got;

	tst_peer(&p, a, "laptop", 1);
	cr_assert(eq(int, db_peer_add(d, &p, 1, NULL, NULL), IKE_OK));
	cr_assert(eq(int, db_user_delete(d, a), IKE_OK));
	cr_assert(eq(int, db_peer_find_keyid(d, p.keyid, DB_KEYID_LEN, &got), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_peer, counts_only_the_owners_peers)
{
	db *d = tst_open_server();
	int64_t a = tst_user(d, "alice"), b = tst_user(d, "bob");
	int64_t n = -1;

	cr_assert(eq(int, db_peer_count(d, a, &n), IKE_OK));
	cr_assert(eq(i64, n, 0));
	tst_add_peer(d, a, "one", 1);
	tst_add_peer(d, a, "two", 2);
	tst_add_peer(d, b, "three", 3);
	tst_add_peer(d, DB_OWNER_OPERATOR, "gw", 4);
	cr_assert(eq(int, db_peer_count(d, a, &n), IKE_OK));
	cr_assert(eq(i64, n, 2));
	cr_assert(eq(int, db_peer_count(d, DB_OWNER_OPERATOR, &n), IKE_OK));
	cr_assert(eq(i64, n, 1));
	db_close(d);
}
