/* SPDX-License-Identifier: MIT */
#include "tst_db.h"

DB_TEST(db_setting, sets_gets_replaces_and_deletes)
{
	db *d = tst_open_client();
	char buf[64];

	cr_assert(eq(int, db_setting_get(d, "web.pwhash", buf, sizeof buf), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_setting_set(d, "web.pwhash", "$argon2id$one"), IKE_OK));
	cr_assert(eq(int, db_setting_set(d, "web.pwhash", "$argon2id$two"), IKE_OK));
	cr_assert(eq(int, db_setting_get(d, "web.pwhash", buf, sizeof buf), IKE_OK));
	cr_assert(eq(str, buf, "$argon2id$two"));
	cr_assert(eq(int, db_setting_set(d, "empty", ""), IKE_OK));
	cr_assert(eq(int, db_setting_get(d, "empty", buf, sizeof buf), IKE_OK));
	cr_assert(eq(str, buf, ""));
	cr_assert(eq(int, db_setting_delete(d, "web.pwhash"), IKE_OK));
	cr_assert(eq(int, db_setting_get(d, "web.pwhash", buf, sizeof buf), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, db_setting_delete(d, "web.pwhash"), IKE_ERR_NOT_FOUND));
	db_close(d);
}

DB_TEST(db_setting, works_in_server_database_too)
{
	db *d = tst_open_server();
	char buf[64];

	cr_assert(eq(int, db_setting_set(d, "server.listen", "198.51.100.1"), IKE_OK));
	cr_assert(eq(int, db_setting_get(d, "server.listen", buf, sizeof buf), IKE_OK));
	cr_assert(eq(str, buf, "198.51.100.1"));
	db_close(d);
}

DB_TEST(db_setting, get_reports_small_buffer)
{
	db *d = tst_open_client();
	char buf[8];

	cr_assert(eq(int, db_setting_set(d, "key.path", "/var/lib/medcli/key.pem"), IKE_OK));
	cr_assert(eq(int, db_setting_get(d, "key.path", buf, sizeof buf), IKE_ERR_NOBUF));
	cr_assert(eq(int, db_setting_set(d, "seven", "1234567"), IKE_OK));
	cr_assert(eq(int, db_setting_get(d, "seven", buf, sizeof buf), IKE_OK));
	cr_assert(eq(str, buf, "1234567"));
	db_close(d);
}

DB_TEST(db_setting, rejects_bad_keys_and_values)
{
	db *d = tst_open_client();
	static char big[DB_SETTING_VALUE_MAX + 2];
	char key[DB_SETTING_KEY_MAX + 2];

	memset(big, 'v', sizeof big - 1);
	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	cr_assert(eq(int, db_setting_set(d, key, "v"), IKE_ERR_INVAL));
	cr_assert(eq(int, db_setting_set(d, "", "v"), IKE_ERR_INVAL));
	cr_assert(eq(int, db_setting_set(d, "k", NULL), IKE_ERR_INVAL));
	cr_assert(eq(int, db_setting_set(d, "k", big), IKE_ERR_INVAL));
	big[DB_SETTING_VALUE_MAX] = '\0';
	cr_assert(eq(int, db_setting_set(d, "k", big), IKE_OK));
	cr_assert(eq(int, db_setting_set(d, "k", "\xf5\x80\x80\x80"), IKE_ERR_INVAL));
	db_close(d);
}

DB_TEST(db_setting, set_many_applies_all_at_once)
{
	db *d = tst_open_client();
	const db_setting kv[] = {{"a", "1"}, {"b", "2"}, {"a", NULL}};
	char buf[8];

	cr_assert(eq(int, db_settings_set(d, kv, 2), IKE_OK));
	cr_assert(eq(int, db_setting_get(d, "b", buf, sizeof buf), IKE_OK));
	cr_assert(eq(str, buf, "2"));
	cr_assert(eq(int, db_settings_set(d, kv + 2, 1), IKE_OK));
	cr_assert(eq(int, db_setting_get(d, "a", buf, sizeof buf), IKE_ERR_NOT_FOUND));
	db_close(d);
}
