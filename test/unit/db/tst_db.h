/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the db suite. Every test runs in its own process (Criterion) and in
 * its own temporary directory, made by .init and removed by .fini, so tests never
 * share a file and can run in parallel. Assertions stay in the test bodies.
 */
#ifndef TST_DB_H
#define TST_DB_H
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "db/db.h"

static char tst_dir[64];

static inline void tst_db_setup(void)
{
	snprintf(tst_dir, sizeof tst_dir, "/tmp/test_db.XXXXXX");
	if (!mkdtemp(tst_dir)) {
		perror("mkdtemp");
		tst_dir[0] = '\0';
	}
}

/* Removes the directory and whatever the test left in it (db, -wal, -shm). */
static inline void tst_db_teardown(void)
{
	DIR *dir;
	struct dirent *e;
	char p[512];

	if (!tst_dir[0] || !(dir = opendir(tst_dir)))
		return;
	while ((e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", tst_dir, e->d_name);
		unlink(p);
	}
	closedir(dir);
	rmdir(tst_dir);
	tst_dir[0] = '\0';
}

/* A test with its own temporary directory tst_dir. */
#define DB_TEST(suite, name) Test(suite, name, .init = tst_db_setup, .fini = tst_db_teardown)

/* tst_dir/name, in a static buffer per call site's choice of buf. */
static inline const char *tst_path(char *buf, size_t len, const char *name)
{
	cr_assert(tst_dir[0] != '\0', "no temporary directory");
	snprintf(buf, len, "%s/%s", tst_dir, name);
	return buf;
}

static inline db *tst_open(const char *name, db_kind kind)
{
	char path[256], err[256];
	db *d = NULL;
	int ret = db_open(&d, tst_path(path, sizeof path, name), kind, NULL, err, sizeof err);

	cr_assert(eq(int, ret, IKE_OK), "db_open: %s", err);
	cr_assert(d != NULL);
	return d;
}

static inline db *tst_open_server(void)
{
	return tst_open("medsrv.db", DB_KIND_SERVER);
}

static inline db *tst_open_client(void)
{
	return tst_open("medcli.db", DB_KIND_CLIENT);
}

/* A raw SQLite connection to tst_dir/name, for setting up and inspecting files. */
static inline sqlite3 *tst_raw(const char *name)
{
	char path[256];
	sqlite3 *c = NULL;

	cr_assert(eq(int, sqlite3_open(tst_path(path, sizeof path, name), &c), SQLITE_OK));
	sqlite3_busy_timeout(c, 5000);
	return c;
}

static inline void tst_raw_exec(sqlite3 *c, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(c, sql, NULL, NULL, &msg);

	cr_assert(eq(int, rc, SQLITE_OK), "%s: %s", sql, msg ? msg : "");
	sqlite3_free(msg);
}

/* The integer in the first column of the first row of sql. */
static inline int64_t tst_raw_int(sqlite3 *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	cr_assert(eq(int, sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK), "%s: %s", sql,
	          sqlite3_errmsg(c));
	cr_assert(eq(int, sqlite3_step(st), SQLITE_ROW), "%s: no row", sql);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static inline void tst_sha1(const void *p, size_t len, uint8_t out[20])
{
	cr_assert(eq(int, EVP_Digest(p, len, out, NULL, EVP_sha1(), NULL), 1));
}

/*
 * Fills p as a peer of owner with a fake but consistent key: pubkey is `seed`-derived
 * bytes standing in for SubjectPublicKeyInfo DER, keyid_spki = SHA-1(pubkey), and
 * keyid the SHA-1 of other seed bytes standing in for the PKCS#1 form.
 */
static inline void tst_peer(db_peer *p, int64_t owner, const char *alias, int seed)
{
	char tag[32];

	memset(p, 0, sizeof *p);
	p->user_id = owner;
	snprintf(p->alias, sizeof p->alias, "%s", alias);
	p->pubkey_len = 294; /* the size of an RSA-2048 SPKI */
	for (size_t i = 0; i < p->pubkey_len; i++)
		p->pubkey[i] = (uint8_t)(seed * 131 + i * 7);
	tst_sha1(p->pubkey, p->pubkey_len, p->keyid_spki);
	snprintf(tag, sizeof tag, "pkcs1-%d", seed);
	tst_sha1(tag, strlen(tag), p->keyid);
}

static inline int64_t tst_user(db *d, const char *login)
{
	int64_t id = 0;

	cr_assert(
	    eq(int, db_user_add(d, login, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA", 1000, &id), IKE_OK),
	    "%s", db_errmsg(d));
	cr_assert(gt(i64, id, 0));
	return id;
}

static inline int64_t tst_add_peer(db *d, int64_t owner, const char *alias, int seed)
{
	db_peer p;
	int64_t id = 0;

	tst_peer(&p, owner, alias, seed);
	cr_assert(eq(int, db_peer_add(d, &p, 2000, &id, NULL), IKE_OK), "%s", db_errmsg(d));
	return id;
}

#endif /* TST_DB_H */
