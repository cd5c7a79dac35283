/* SPDX-License-Identifier: MIT */
/* The command line (scripting contract): init, peer add|list|del, status
 * without a daemon, and the status object built from a database and a
 * registry. Each test works in its own temporary directory. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <fcntl.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "ike/crypto_key.h"
#include "medsrv/cmd.h"
#include "medsrv/status.h"
#include "tst.h"
#include "tst_keys.h"

static char dir[64], out[65536], errout[16384];

static bool is_true(const json_t *j)
{
	return json_is_true(j);
}

static bool is_false(const json_t *j)
{
	return json_is_false(j);
}

static void make_dir(void)
{
	snprintf(dir, sizeof dir, "/tmp/ms_cmd.XXXXXX");
	cr_assert(mkdtemp(dir) != NULL);
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert(eq(int, system(cmd), 0));
}

/* Runs ms_main with the given words (NULL-terminated), stdout into out, stderr
 * into errout. */
static int run(const char *first, ...)
{
	char *argv[32];
	int argc = 0, rc, fd, efd, saved, esaved;
	const char *a;
	va_list ap;
	char path[128];
	ssize_t n;

	argv[argc++] = "medsrv";
	va_start(ap, first);
	for (a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	snprintf(path, sizeof path, "%s/stdout", dir);
	fflush(stdout);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0);
	snprintf(path, sizeof path, "%s/stderr", dir);
	efd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert(efd >= 0);
	fflush(stderr);
	saved = dup(1);
	esaved = dup(2);
	dup2(fd, 1);
	dup2(efd, 2);
	rc = ms_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved, 1);
	dup2(esaved, 2);
	close(saved);
	close(esaved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, sizeof out - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	n = pread(efd, errout, sizeof errout - 1, 0);
	errout[n > 0 ? n : 0] = '\0';
	close(efd);
	return rc;
}

/* Writes a public key of key k in form (PEM SPKI, DER SPKI or DER PKCS#1) to file. */
static void write_pub(ike_key *k, int form, const char *file)
{
	char path[128], pem[4096];
	uint8_t der[2048];
	size_t len;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	f = fopen(path, "wb");
	cr_assert(f != NULL);
	if (form == 0) {
		cr_assert(eq(int, ike_key_public_pem(k, pem, sizeof pem, &len), IKE_OK));
		fwrite(pem, 1, len, f);
	} else {
		cr_assert(eq(int,
		             ike_key_public_der(k, form == 1 ? IKE_KEY_PUB_SPKI : IKE_KEY_PUB_PKCS1, der,
		                                sizeof der, &len),
		             IKE_OK));
		fwrite(der, 1, len, f);
	}
	fclose(f);
}

static ike_key *gen(void)
{
	ike_key *k;

	cr_assert(eq(int, ike_key_generate(&k, NULL, 2048), IKE_OK));
	return k;
}

static const char *hexid(ike_key *k, char buf[IKE_KEYID_HEX_LEN + 2])
{
	uint8_t id[IKE_KEYID_LEN];

	cr_assert(eq(int, ike_key_keyid(k, IKE_KEYID_SPK, id), IKE_OK));
	ike_keyid_format(id, buf);
	strcat(buf, "\n");
	return buf;
}

Test(ms_cmd, init_creates_database_and_key_0600_and_prints_key_id)
{
	char path[128], want[IKE_KEYID_HEX_LEN + 2];
	struct stat st;
	ike_key *k;

	make_dir();
	snprintf(path, sizeof path, "%s/state", dir);
	cr_assert(eq(int, run("init", "--dir", path, NULL), 0));
	snprintf(path, sizeof path, "%s/state/medsrv.key", dir);
	cr_assert(eq(int, stat(path, &st), 0));
	cr_assert(eq(int, (int)(st.st_mode & 0777), 0600));
	cr_assert(eq(int, ike_key_load_file(&k, NULL, path), IKE_OK));
	cr_assert(eq(str, out, (char *)hexid(k, want)));
	ike_key_free(k);
	snprintf(path, sizeof path, "%s/state/medsrv.pub", dir);
	cr_assert(eq(int, ike_key_load_file(&k, NULL, path), IKE_OK));
	cr_assert(not(ike_key_is_private(k)));
	cr_assert(eq(str, out, (char *)hexid(k, want)), "the .pub is the same key");
	ike_key_free(k);
	snprintf(path, sizeof path, "%s/state/medsrv.db", dir);
	cr_assert(eq(int, stat(path, &st), 0));
	/* again: keeps the key, prints the same KEY_ID */
	strcpy(want, out);
	snprintf(path, sizeof path, "%s/state", dir);
	cr_assert(eq(int, run("init", "--dir", path, NULL), 0));
	cr_assert(eq(str, out, want));
	remove_dir();
}

Test(ms_cmd, peer_add_reads_pem_and_der_and_prints_key_id)
{
	char want[IKE_KEYID_HEX_LEN + 2], f[128];
	ike_key *a = gen(), *b = gen(), *c = gen();

	make_dir();
	cr_assert(eq(int, run("init", "--dir", dir, NULL), 0));
	write_pub(a, 0, "a.pem");
	write_pub(b, 1, "b.der");
	write_pub(c, 2, "c.pkcs1");
	snprintf(f, sizeof f, "%s/a.pem", dir);
	cr_assert(eq(int, run("peer", "add", "--dir", dir, "--alias", "alice", "--pubkey", f, NULL), 0));
	cr_assert(eq(str, out, (char *)hexid(a, want)));
	snprintf(f, sizeof f, "%s/b.der", dir);
	cr_assert(eq(int, run("peer", "add", "--dir", dir, "--alias", "bob", "--pubkey", f, NULL), 0));
	cr_assert(eq(str, out, (char *)hexid(b, want)));
	snprintf(f, sizeof f, "%s/c.pkcs1", dir);
	cr_assert(eq(int, run("peer", "add", "--dir", dir, "--alias", "carol", "--pubkey", f, NULL), 0));
	cr_assert(eq(str, out, (char *)hexid(c, want)));
	/* duplicates */
	cr_assert(eq(int, run("peer", "add", "--dir", dir, "--alias", "carol2", "--pubkey", f, NULL), 1));
	snprintf(f, sizeof f, "%s/a.pem", dir);
	cr_assert(eq(int, run("peer", "add", "--dir", dir, "--alias", "carol", "--pubkey", f, NULL), 1));
	/* list */
	cr_assert(eq(int, run("peer", "list", "--dir", dir, "--json", NULL), 0));
	{
		json_t *l = json_loads(out, 0, NULL);
		cr_assert(l != NULL);
		cr_assert(eq(sz, json_array_size(l), 3));
		cr_assert(eq(str, (char *)json_string_value(json_object_get(json_array_get(l, 0), "alias")),
		             "alice"));
		json_decref(l);
	}
	/* del by alias and by KEY_ID */
	cr_assert(eq(int, run("peer", "del", "--dir", dir, "--alias", "alice", NULL), 0));
	hexid(b, want);
	want[IKE_KEYID_HEX_LEN] = '\0';
	cr_assert(eq(int, run("peer", "del", "--dir", dir, "--keyid", want, NULL), 0));
	cr_assert(eq(int, run("peer", "del", "--dir", dir, "--alias", "alice", NULL), 1));
	cr_assert(eq(int, run("peer", "list", "--dir", dir, NULL), 0));
	cr_assert(strstr(out, "carol") != NULL);
	cr_assert(strstr(out, "alice") == NULL);
	ike_key_free(a);
	ike_key_free(b);
	ike_key_free(c);
	remove_dir();
}

Test(ms_cmd, peer_add_refuses_private_weak_and_garbage_keys)
{
	char f[128];
	ike_key *a = gen();
	FILE *fp;
	char *pem;
	size_t len;

	make_dir();
	cr_assert(eq(int, run("init", "--dir", dir, NULL), 0));
	snprintf(f, sizeof f, "%s/priv.pem", dir);
	cr_assert(eq(int, ike_key_private_pem(a, NULL, &pem, &len), IKE_OK));
	fp = fopen(f, "w");
	fwrite(pem, 1, len, fp);
	fclose(fp);
	ike_mem_freezero(NULL, pem, len + 1);
	cr_assert(eq(int, run("peer", "add", "--dir", dir, "--alias", "x", "--pubkey", f, NULL), 1));
	snprintf(f, sizeof f, "%s/garbage", dir);
	fp = fopen(f, "w");
	fputs("hello\n", fp);
	fclose(fp);
	cr_assert(eq(int, run("peer", "add", "--dir", dir, "--alias", "x", "--pubkey", f, NULL), 1));
	cr_assert(eq(int, run("peer", "add", "--dir", dir, "--alias", "x", NULL), 2), "no --pubkey");
	cr_assert(eq(int, run("peer", "list", "--dir", dir, "--json", NULL), 0));
	cr_assert(eq(str, out, "[]\n"));
	ike_key_free(a);
	remove_dir();
}

/* Every weak key is refused with its reason, and nothing is stored. */
Test(ms_cmd, peer_add_refuses_weak_rsa_keys_and_says_why, .timeout = 60)
{
	char f[128];

	make_dir();
	cr_assert(eq(int, run("init", "--dir", dir, NULL), 0));
	snprintf(f, sizeof f, "%s/k.pem", dir);
	for (int k = TST_RSA_WEAK_FIRST; k < TST_RSA_COUNT; k++) {
		tst_rsa_write((tst_rsa)k, f);
		cr_assert(eq(int, run("peer", "add", "--dir", dir, "--alias", "x", "--pubkey", f, NULL), 1),
		          "%s", tst_rsa_name((tst_rsa)k));
		cr_assert(strstr(errout, "refused: ") != NULL &&
		              strstr(errout, tst_rsa_refusal((tst_rsa)k)) != NULL,
		          "%s: %s", tst_rsa_name((tst_rsa)k), errout);
	}
	cr_assert(eq(int, run("peer", "list", "--dir", dir, "--json", NULL), 0));
	cr_assert(eq(str, out, "[]\n"));
	tst_rsa_write(TST_RSA_GOOD, f);
	cr_assert(eq(int, run("peer", "add", "--dir", dir, "--alias", "x", "--pubkey", f, NULL), 0), "%s",
	          errout);
	remove_dir();
}

/* What went wrong is named: a missing key file, a damaged (empty) database. */
Test(ms_cmd, errors_name_the_missing_file_and_the_damaged_database)
{
	char f[128], dbf[128];
	FILE *fp;

	make_dir();
	cr_assert(eq(int, run("init", "--dir", dir, NULL), 0));
	snprintf(f, sizeof f, "%s/nonexistent.pem", dir);
	cr_assert(eq(int, run("peer", "add", "--dir", dir, "--alias", "x", "--pubkey", f, NULL), 1));
	cr_assert(strstr(errout, "nonexistent.pem: no such file") != NULL, "%s", errout);
	cr_assert(eq(int, run("peer", "add", "--dir", dir, "--alias", "x", "--pubkey", dir, NULL), 1));
	cr_assert(strstr(errout, "a directory, not a key file") != NULL, "%s", errout);
	/* A database emptied to 0 bytes is not taken for a new one, by any command. */
	snprintf(dbf, sizeof dbf, "%s/medsrv.db", dir);
	fp = fopen(dbf, "w");
	cr_assert(fp != NULL);
	fclose(fp);
	cr_assert(eq(int, run("peer", "list", "--dir", dir, NULL), 1));
	cr_assert(strstr(errout, "empty (0 bytes)") != NULL && strstr(errout, "`medsrv init`") != NULL, "%s",
	          errout);
	cr_assert(eq(int, run("init", "--dir", dir, NULL), 1));
	cr_assert(strstr(errout, "empty (0 bytes)") != NULL, "%s", errout);
	cr_assert(eq(int,
	             run("run", "--dir", dir, "--listen", "127.0.0.1", "--port", "15502", "--natt-port",
	                 "15503", NULL),
	             1));
	cr_assert(strstr(errout, "empty (0 bytes)") != NULL, "%s", errout);
	/* A control socket in a directory that does not exist is named as such. */
	snprintf(f, sizeof f, "%s/no/such/medsrv.ctl", dir);
	cr_assert(eq(
	    int, run("run", "--dir", dir, "--ctl", f, "--port", "15502", "--natt-port", "15503", NULL), 1));
	cr_assert(strstr(errout, "no/such does not exist") != NULL, "%s", errout);
	/* Removing the file and running init again starts afresh, as the message says. */
	cr_assert(eq(int, unlink(dbf), 0));
	cr_assert(eq(int, run("init", "--dir", dir, NULL), 0), "%s", errout);
	cr_assert(eq(int, run("peer", "list", "--dir", dir, NULL), 0), "%s", errout);
	remove_dir();
}

Test(ms_cmd, status_without_daemon_lists_peers_offline_and_exits_3)
{
	char f[128];
	ike_key *a = gen();
	json_t *st, *p;

	make_dir();
	cr_assert(eq(int, run("init", "--dir", dir, NULL), 0));
	write_pub(a, 0, "a.pem");
	snprintf(f, sizeof f, "%s/a.pem", dir);
	cr_assert(eq(int, run("peer", "add", "--dir", dir, "--alias", "alice", "--pubkey", f, NULL), 0));
	cr_assert(eq(int, run("status", "--dir", dir, "--json", NULL), 3));
	st = json_loads(out, 0, NULL);
	cr_assert(st != NULL, "not JSON: %s", out);
	cr_assert(is_false(json_object_get(st, "running")));
	p = json_array_get(json_object_get(st, "peers"), 0);
	cr_assert(eq(str, (char *)json_string_value(json_object_get(p, "alias")), "alice"));
	cr_assert(is_false(json_object_get(p, "online")));
	json_decref(st);
	ike_key_free(a);
	remove_dir();
}

Test(ms_cmd, rejects_bad_usage_with_exit_2)
{
	make_dir();
	cr_assert(eq(int, run("bogus", NULL), 2));
	cr_assert(eq(int, run("run", "--dir", dir, "--port", "0", NULL), 2));
	cr_assert(eq(int, run("run", "--dir", dir, "--workers", "-1", NULL), 2));
	cr_assert(eq(int, run("run", "--dir", dir, "--log-level", "loud", NULL), 2));
	cr_assert(eq(int, run("run", "--dir", dir, "--port", "4500", NULL), 2), "same as the NAT-T port");
	cr_assert(eq(int, run("peer", "frob", "--dir", dir, NULL), 2));
	cr_assert(eq(int, run("init", "--dir", NULL), 2), "--dir without a value");
	remove_dir();
}

Test(ms_cmd, run_refuses_to_start_without_init)
{
	make_dir();
	cr_assert(eq(int,
	             run("run", "--dir", dir, "--listen", "127.0.0.1", "--port", "15500", "--natt-port",
	                 "15501", NULL),
	             1));
	remove_dir();
}

/* --turn, --turn-secret-file, --turn-ttl: refused before the daemon starts,
 * with a reason and never the secret. */
static const char *secret_file(const char *name, const char *content, mode_t mode)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert(f != NULL);
	fputs(content, f);
	fclose(f);
	cr_assert(eq(int, chmod(path, mode), 0));
	return path;
}

Test(ms_cmd, run_refuses_bad_turn_options)
{
	char ok[128];

	make_dir();
	snprintf(ok, sizeof ok, "%s", secret_file("ok", "hunter2\n", 0600));
	cr_assert(eq(
	    int,
	    run("run", "--dir", dir, "--turn", "turn:relay.example.org:3478", "--turn-secret-file", ok, NULL),
	    2));
	cr_assert(strstr(errout, "--turn turn:relay.example.org:3478: ") != NULL, "%s", errout);
	cr_assert(strstr(errout, "host names are not supported") != NULL, "%s", errout);
	cr_assert(eq(
	    int, run("run", "--dir", dir, "--turn", "turn:198.51.100.7", "--turn-secret-file", ok, NULL), 2));
	cr_assert(strstr(errout, "no port") != NULL, "%s", errout);
	cr_assert(eq(int, run("run", "--dir", dir, "--turn", "turn:198.51.100.7:3478", NULL), 2));
	cr_assert(strstr(errout, "go together") != NULL, "%s", errout);
	cr_assert(eq(int, run("run", "--dir", dir, "--turn-secret-file", ok, NULL), 2));
	cr_assert(eq(int, run("run", "--dir", dir, "--turn-ttl", "3600", NULL), 2));
	cr_assert(eq(int,
	             run("run", "--dir", dir, "--turn", "turn:198.51.100.7:3478", "--turn-secret-file", ok,
	                 "--turn-ttl", "10", NULL),
	             2));
	cr_assert(strstr(errout, "--turn-ttl 10: seconds") != NULL, "%s", errout);
	cr_assert(eq(int,
	             run("run", "--dir", dir, "--turn", "turn:198.51.100.7:3478", "--turn-secret-file", ok,
	                 "--turn-ttl", "x", NULL),
	             2));
	/* the secret file: missing, empty, readable by others */
	cr_assert(eq(int,
	             run("run", "--dir", dir, "--turn", "turn:198.51.100.7:3478", "--turn-secret-file",
	                 "/nonexistent/s", NULL),
	             1));
	cr_assert(strstr(errout, "--turn-secret-file /nonexistent/s: no such file") != NULL, "%s", errout);
	cr_assert(eq(int,
	             run("run", "--dir", dir, "--turn", "turn:198.51.100.7:3478", "--turn-secret-file",
	                 secret_file("empty", "", 0600), NULL),
	             1));
	cr_assert(strstr(errout, "empty") != NULL, "%s", errout);
	cr_assert(eq(int,
	             run("run", "--dir", dir, "--turn", "turn:198.51.100.7:3478", "--turn-secret-file",
	                 secret_file("open", "hunter2\n", 0644), NULL),
	             1));
	cr_assert(strstr(errout, "readable by others (mode 644)") != NULL, "%s", errout);
	cr_assert(strstr(errout, "hunter2") == NULL, "never the secret: %s", errout);
	/* good options get as far as the missing database */
	cr_assert(eq(int,
	             run("run", "--dir", dir, "--listen", "127.0.0.1", "--port", "15500", "--natt-port",
	                 "15501", "--turn", "turn:[2001:db8::7]:3478", "--turn-secret-file", ok, NULL),
	             1));
	cr_assert(strstr(errout, "turn") == NULL, "%s", errout);
	remove_dir();
}

/* The status object joins the database with the registry. */
Test(ms_status, reports_db_peers_with_online_state_endpoint_since_callbacks_and_counters)
{
	char path[128], err[128];
	ike_key *a = gen(), *b = gen();
	db_peer p;
	db *d;
	ms_registry *r;
	ms_reg reg;
	ms_shard_stats shards[2] = {{.registered = 0}, {.registered = 1, .queued = 2}};
	ms_status_info info = {NULL, 2, 60, shards};
	json_t *st, *peers, *x;
	char ka[IKE_KEYID_HEX_LEN + 2], kb[IKE_KEYID_HEX_LEN + 2];

	make_dir();
	snprintf(path, sizeof path, "%s/medsrv.db", dir);
	cr_assert(eq(int, db_open(&d, path, DB_KIND_SERVER, NULL, err, sizeof err), IKE_OK));
	for (int i = 0; i < 2; i++) {
		ike_key *k = i ? b : a;
		memset(&p, 0, sizeof p);
		strcpy(p.alias, i ? "bob" : "alice");
		cr_assert(eq(int, ike_key_keyid(k, IKE_KEYID_SPK, p.keyid), IKE_OK));
		cr_assert(eq(int, ike_key_keyid(k, IKE_KEYID_SPKI, p.keyid_spki), IKE_OK));
		cr_assert(
		    eq(int, ike_key_public_der(k, IKE_KEY_PUB_SPKI, p.pubkey, sizeof p.pubkey, &p.pubkey_len),
		       IKE_OK));
		cr_assert(eq(int, db_peer_add(d, &p, 100, NULL, NULL), IKE_OK));
	}
	cr_assert(eq(int, ms_registry_new(&r, tst_mem(), NULL), IKE_OK));
	memset(&reg, 0, sizeof reg);
	cr_assert(eq(int, ike_key_keyid(b, IKE_KEYID_SPK, reg.keyid), IKE_OK));
	(void)ike_addr_parse(&reg.endpoint, "198.51.100.22", 4500);
	reg.since = 50000; /* 10 s before now_ms below */
	reg.sa = (ike_sa_ref){1, 1};
	cr_assert(eq(int, ms_registry_put(r, &reg, NULL, NULL), IKE_OK));
	cr_assert(eq(int, ms_registry_waiter_add(r, reg.keyid, reg.keyid, p.keyid, 55000), IKE_OK));
	ms_registry_count(r, MS_CTR_RELAYED, 3);

	st = ms_status_json(d, r, &info, 60000, 1800000000, NULL);
	cr_assert(st != NULL);
	peers = json_object_get(st, "peers");
	cr_assert(eq(sz, json_array_size(peers), 2));
	hexid(a, ka);
	hexid(b, kb);
	ka[IKE_KEYID_HEX_LEN] = kb[IKE_KEYID_HEX_LEN] = '\0';
	x = json_array_get(peers, 0); /* alice: offline */
	cr_assert(eq(str, (char *)json_string_value(json_object_get(x, "keyid")), ka));
	cr_assert(is_false(json_object_get(x, "online")));
	cr_assert(json_object_get(x, "endpoint") == NULL);
	x = json_array_get(peers, 1); /* bob: online */
	cr_assert(eq(str, (char *)json_string_value(json_object_get(x, "alias")), "bob"));
	cr_assert(is_true(json_object_get(x, "online")));
	cr_assert(eq(str, (char *)json_string_value(json_object_get(x, "endpoint")), "198.51.100.22:4500"));
	cr_assert(eq(i64, json_integer_value(json_object_get(x, "since")), 1800000000 - 10));
	x = json_array_get(json_object_get(st, "callbacks"), 0);
	cr_assert(eq(str, (char *)json_string_value(json_object_get(x, "target")), kb));
	cr_assert(eq(i64, json_integer_value(json_object_get(x, "expires_in")), 595));
	cr_assert(eq(
	    i64, json_integer_value(json_object_get(json_object_get(st, "counters"), "mediations_relayed")),
	    3));
	cr_assert(eq(i64, json_integer_value(json_object_get(json_object_get(st, "server"), "workers")), 2));
	x = json_array_get(json_object_get(st, "shards"), 1);
	cr_assert(eq(i64, json_integer_value(json_object_get(x, "registered")), 1));
	cr_assert(eq(i64, json_integer_value(json_object_get(x, "queued")), 2));
	json_decref(st);

	/* a registration whose key was deleted from the database is still shown */
	cr_assert(eq(int, db_peer_delete(d, DB_OWNER_OPERATOR, 2), IKE_OK));
	st = ms_status_json(d, r, &info, 60000, 1800000000, NULL);
	peers = json_object_get(st, "peers");
	cr_assert(eq(sz, json_array_size(peers), 2));
	x = json_array_get(peers, 1);
	cr_assert(eq(str, (char *)json_string_value(json_object_get(x, "alias")), ""));
	cr_assert(is_true(json_object_get(x, "online")));
	json_decref(st);
	ms_registry_free(r);
	db_close(d);
	ike_key_free(a);
	ike_key_free(b);
	remove_dir();
	cr_assert(eq(sz, tst_mem_live(), 0));
}
