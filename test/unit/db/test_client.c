/* SPDX-License-Identifier: MIT */
#include "tst_db.h"

static void fill_cpeer(db_cpeer *p, const char *alias, int seed)
{
	char tag[32];

	memset(p, 0, sizeof *p);
	snprintf(p->alias, sizeof p->alias, "%s", alias);
	snprintf(tag, sizeof tag, "peer-%d", seed);
	tst_sha1(tag, strlen(tag), p->keyid);
	snprintf(p->local_ts, sizeof p->local_ts, "10.99.0.%d/32", seed);
	snprintf(p->remote_ts, sizeof p->remote_ts, "10.99.1.%d/32", seed);
}

DB_TEST(db_medserver, sets_replaces_and_clears_the_server)
{
	db *d = tst_open_client();
	db_medserver s = {.address = "198.51.100.1", .port = 500, .has_keyid = true}, got;

	cr_assert(eq(int, db_medserver_get(d, &got), IKE_ERR_NOT_FOUND));
	memset(s.keyid, 0xab, DB_KEYID_LEN);
	cr_assert(eq(int, db_medserver_set(d, &s, 10), IKE_OK), "%s", db_errmsg(d));
	cr_assert(eq(int, db_medserver_get(d, &got), IKE_OK));
	cr_assert(eq(str, got.address, "198.51.100.1"));
	cr_assert(eq(u16, got.port, 500));
	cr_assert(got.has_keyid);
	cr_assert(eq(int, memcmp(got.keyid, s.keyid, DB_KEYID_LEN), 0));
	cr_assert(eq(sz, got.pubkey_len, 0));
	cr_assert(eq(i64, got.updated, 10));

	/* Replaced: a public key instead of a KEY_ID. */
	s = (db_medserver){.address = "medsrv.example.net", .port = 4500, .pubkey_len = 3};
	memcpy(s.pubkey, "\x30\x01\x00", 3);
	cr_assert(eq(int, db_medserver_set(d, &s, 20), IKE_OK));
	cr_assert(eq(int, db_medserver_get(d, &got), IKE_OK));
	cr_assert(eq(str, got.address, "medsrv.example.net"));
	cr_assert(eq(u16, got.port, 4500));
	cr_assert(not(got.has_keyid));
	cr_assert(eq(sz, got.pubkey_len, 3));
	cr_assert(eq(int, memcmp(got.pubkey, "\x30\x01\x00", 3), 0));

	cr_assert(eq(int, db_medserver_clear(d), IKE_OK));
	cr_assert(eq(int, db_medserver_get(d, &got), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_medserver_clear(d), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_medserver, needs_an_identity_address_and_port)
{
	db *d = tst_open_client();
	db_medserver s = {.address = "198.51.100.1", .port = 500};

	cr_assert(eq(int, db_medserver_set(d, &s, 1), IKE_ERR_INVAL));
	s.has_keyid = true;
	s.port = 0;
	cr_assert(eq(int, db_medserver_set(d, &s, 1), IKE_ERR_INVAL));
	s.port = 500;
	s.address[0] = '\0';
	cr_assert(eq(int, db_medserver_set(d, &s, 1), IKE_ERR_INVAL));
	db_close(d);
}

DB_TEST(db_cpeer, adds_gets_and_lists_peers)
{
	db *d = tst_open_client();
	db_cpeer p, got, *list = NULL;
	int64_t id = 0;
	size_t n = 0;

	fill_cpeer(&p, "bob", 2);
	p.start = DB_START_ALWAYS;
	p.pubkey_len = 4;
	memcpy(p.pubkey, "\x30\x82\x01\x22", 4);
	cr_assert(eq(int, db_cpeer_add(d, &p, 50, &id, NULL), IKE_OK), "%s", db_errmsg(d));
	fill_cpeer(&p, "alice", 1);
	cr_assert(eq(int, db_cpeer_add(d, &p, 60, NULL, NULL), IKE_OK));

	cr_assert(eq(int, db_cpeer_get(d, "bob", &got), IKE_OK));
	cr_assert(eq(i64, got.id, id));
	cr_assert(eq(str, got.local_ts, "10.99.0.2/32"));
	cr_assert(eq(str, got.remote_ts, "10.99.1.2/32"));
	cr_assert(eq(int, (int)got.start, DB_START_ALWAYS));
	cr_assert(eq(int, (int)got.intent, DB_INTENT_NONE));
	cr_assert(eq(sz, got.pubkey_len, 4));
	cr_assert(eq(i64, got.created, 50));

	cr_assert(eq(int, db_cpeer_find_keyid(d, p.keyid, DB_KEYID_LEN, &got), IKE_OK));
	cr_assert(eq(str, got.alias, "alice"));
	cr_assert(eq(int, (int)got.start, DB_START_MANUAL));
	cr_assert(eq(sz, got.pubkey_len, 0));
	cr_assert(eq(int, db_cpeer_find_keyid(d, p.keyid, 19, &got), IKE_ERR_NOT_FOUND));

	cr_assert(eq(int, db_cpeer_list(d, &list, &n), IKE_OK));
	cr_assert(eq(sz, n, 2));
	cr_assert(eq(str, list[0].alias, "alice"));
	cr_assert(eq(str, list[1].alias, "bob"));
	db_free(list);
	cr_assert(eq(int, db_cpeer_get(d, "carol", &got), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_cpeer, keeps_the_users_word_and_start_action)
{
	db *d = tst_open_client();
	db_cpeer p, got;
	int64_t id = 0;

	fill_cpeer(&p, "bob", 2);
	p.start = DB_START_ON_DEMAND;
	cr_assert(eq(int, db_cpeer_add(d, &p, 1, &id, NULL), IKE_OK), "%s", db_errmsg(d));
	cr_assert(eq(int, db_cpeer_set_intent(d, id, DB_INTENT_UP, 2), IKE_OK), "%s", db_errmsg(d));
	cr_assert(eq(int, db_cpeer_get(d, "bob", &got), IKE_OK));
	cr_assert(eq(int, (int)got.intent, DB_INTENT_UP));
	cr_assert(eq(int, (int)got.start, DB_START_ON_DEMAND));
	/* rewriting the peer's configuration keeps the user's word */
	got.start = DB_START_MANUAL;
	cr_assert(eq(int, db_cpeer_update(d, &got, 3, NULL), IKE_OK));
	cr_assert(eq(int, db_cpeer_set_intent(d, id, DB_INTENT_DOWN, 4), IKE_OK));
	cr_assert(eq(int, db_cpeer_get(d, "bob", &got), IKE_OK));
	cr_assert(eq(int, (int)got.intent, DB_INTENT_DOWN));
	cr_assert(eq(int, (int)got.start, DB_START_MANUAL));
	/* bad values and ids are refused, nothing written */
	cr_assert(eq(int, db_cpeer_set_intent(d, id, (db_intent)3, 5), IKE_ERR_INVAL));
	cr_assert(eq(int, db_cpeer_set_intent(d, id + 100, DB_INTENT_UP, 5), IKE_ERR_NOT_FOUND));
	got.start = (db_start)7;
	cr_assert(eq(int, db_cpeer_update(d, &got, 6, NULL), IKE_ERR_INVAL));
	cr_assert(eq(int, db_cpeer_get(d, "bob", &got), IKE_OK));
	cr_assert(eq(int, (int)got.intent, DB_INTENT_DOWN));
	cr_assert(eq(int, (int)got.start, DB_START_MANUAL));
	cr_assert(eq(i64, got.updated, 4));
	db_close(d);
}

DB_TEST(db_cpeer, start_actions_have_one_spelling)
{
	db_start st = DB_START_MANUAL;

	for (int i = DB_START_MANUAL; i <= DB_START_ON_DEMAND; i++) {
		cr_assert(db_start_parse(db_start_name((db_start)i), &st));
		cr_assert(eq(int, (int)st, i));
	}
	cr_assert(eq(str, (char *)db_start_name(DB_START_ON_DEMAND), "on-demand"));
	cr_assert(db_start_name((db_start)3) == NULL);
	st = DB_START_ALWAYS;
	cr_assert(not(db_start_parse("sometimes", &st)));
	cr_assert(not(db_start_parse(NULL, &st)));
	cr_assert(eq(int, (int)st, DB_START_ALWAYS), "unchanged on a bad name");
}

DB_TEST(db_cpeer, clashes_name_the_field)
{
	db *d = tst_open_client();
	db_field clash = DB_FIELD_NONE;
	db_cpeer p;

	fill_cpeer(&p, "bob", 2);
	cr_assert(eq(int, db_cpeer_add(d, &p, 1, NULL, NULL), IKE_OK));
	fill_cpeer(&p, "bob2", 2);
	cr_assert(eq(int, db_cpeer_add(d, &p, 1, NULL, &clash), IKE_ERR_EXISTS));
	cr_assert(eq(int, (int)clash, (int)DB_FIELD_KEYID));
	fill_cpeer(&p, "bob", 3);
	cr_assert(eq(int, db_cpeer_add(d, &p, 1, NULL, &clash), IKE_ERR_EXISTS));
	cr_assert(eq(int, (int)clash, (int)DB_FIELD_ALIAS));
	db_close(d);
}

DB_TEST(db_cpeer, updates_every_field)
{
	db *d = tst_open_client();
	db_field clash = DB_FIELD_NONE;
	db_cpeer p, got;
	int64_t id = 0;

	fill_cpeer(&p, "bob", 2);
	cr_assert(eq(int, db_cpeer_add(d, &p, 1, &id, NULL), IKE_OK));
	fill_cpeer(&p, "alice", 1);
	cr_assert(eq(int, db_cpeer_add(d, &p, 1, NULL, NULL), IKE_OK));

	/* Keeping its own alias and KEY_ID is not a clash. */
	fill_cpeer(&p, "bob", 2);
	p.id = id;
	snprintf(p.remote_ts, sizeof p.remote_ts, "10.20.0.0/16");
	p.start = DB_START_ON_DEMAND;
	cr_assert(eq(int, db_cpeer_update(d, &p, 7, &clash), IKE_OK), "%s", db_errmsg(d));
	fill_cpeer(&p, "robert", 5);
	p.id = id;
	cr_assert(eq(int, db_cpeer_update(d, &p, 8, &clash), IKE_OK));
	cr_assert(eq(int, db_cpeer_get(d, "bob", &got), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_cpeer_get(d, "robert", &got), IKE_OK));
	cr_assert(eq(i64, got.id, id));
	cr_assert(eq(str, got.remote_ts, "10.99.1.5/32"));
	cr_assert(eq(i64, got.updated, 8));
	cr_assert(eq(i64, got.created, 1));

	fill_cpeer(&p, "alice", 9);
	p.id = id;
	cr_assert(eq(int, db_cpeer_update(d, &p, 9, &clash), IKE_ERR_EXISTS));
	cr_assert(eq(int, (int)clash, (int)DB_FIELD_ALIAS));
	fill_cpeer(&p, "nobody", 9);
	p.id = id + 100;
	cr_assert(eq(int, db_cpeer_update(d, &p, 9, &clash), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_cpeer, deletes_by_alias)
{
	db *d = tst_open_client();
	db_cpeer p, got;

	fill_cpeer(&p, "bob", 2);
	cr_assert(eq(int, db_cpeer_add(d, &p, 1, NULL, NULL), IKE_OK));
	cr_assert(eq(int, db_cpeer_delete(d, "bob"), IKE_OK));
	cr_assert(eq(int, db_cpeer_get(d, "bob", &got), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_cpeer_delete(d, "bob"), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_cpeer, rejects_missing_traffic_selectors)
{
	db *d = tst_open_client();
	db_cpeer p;

	fill_cpeer(&p, "bob", 2);
	p.local_ts[0] = '\0';
	cr_assert(eq(int, db_cpeer_add(d, &p, 1, NULL, NULL), IKE_ERR_INVAL));
	fill_cpeer(&p, "bob", 2);
	p.pubkey_len = DB_PUBKEY_MAX + 1;
	cr_assert(eq(int, db_cpeer_add(d, &p, 1, NULL, NULL), IKE_ERR_INVAL));
	db_close(d);
}
