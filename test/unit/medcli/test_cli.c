/* SPDX-License-Identifier: MIT */
/* The command line against a real database in a temporary directory: init,
 * keygen (mode 0600, KEY_ID printed), server set and peer add with their
 * validation, peer list/del, and the daemon-less commands failing clearly. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "medcli/medcli.h"
#include "tst_keys.h"

static char dir[128];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/medcli-test-XXXXXX");
	cr_assert(mkdtemp(dir) != NULL);
	setenv("MEDCLI_PASSWORD", "a long enough password", 1);
}

static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert(eq(int, system(cmd), 0));
}

/* Runs mc_main with stdout/stderr captured into out (NUL-terminated). */
static int run(char *out, size_t cap, int argc, char **argv)
{
	char path[160];
	int fd, save1 = dup(1), save2 = dup(2), rc;
	ssize_t n;

	fflush(stdout);
	fflush(stderr);
	snprintf(path, sizeof path, "%s/out.txt", dir);
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	dup2(fd, 1);
	dup2(fd, 2);
	rc = mc_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(save1, 1);
	dup2(save2, 2);
	close(save1);
	close(save2);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

#define RUN(out, ...)                                                                                        \
	({                                                                                                   \
		char *argv_[] = {"medcli", __VA_ARGS__, NULL};                                               \
		run(out, sizeof out, (int)(sizeof argv_ / sizeof argv_[0]) - 1, argv_);                      \
	})

TestSuite(medcli_cli, .init = setup, .fini = teardown);

Test(medcli_cli, init_keygen_server_and_peers)
{
	char out[8192], key[160], pub[160];
	struct stat st;
	char *keyid;

	cr_assert(eq(int, RUN(out, "init", "--dir", dir), 0), "%s", out);
	cr_assert(eq(int, RUN(out, "keygen", "--dir", dir), 0), "%s", out);
	cr_assert(strstr(out, "-----BEGIN PUBLIC KEY-----") != NULL);
	keyid = strrchr(out, '\n');
	*keyid = '\0';
	keyid = strrchr(out, '\n') + 1;
	cr_assert(eq(sz, strlen(keyid), 40), "KEY_ID line: %s", keyid);
	snprintf(key, sizeof key, "%s/medcli.key", dir);
	snprintf(pub, sizeof pub, "%s/medcli.pub", dir);
	cr_assert(eq(int, stat(key, &st), 0));
	cr_assert(eq(u32, st.st_mode & 0777, 0600));
	/* a second keygen refuses to overwrite without --force, and replaces the pair with it */
	cr_assert(eq(int, RUN(out, "keygen", "--dir", dir), 1));
	cr_assert(strstr(out, "--force") != NULL);
	{
		char old_id[41], again[8192];
		snprintf(old_id, sizeof old_id, "%s", keyid);
		cr_assert(eq(int, RUN(again, "keygen", "--dir", dir, "--force"), 0), "%s", again);
		cr_assert(strstr(again, old_id) == NULL, "--force made a new key");
		cr_assert(eq(int, stat(key, &st), 0));
		cr_assert(eq(u32, st.st_mode & 0777, 0600));
		snprintf(again, sizeof again, "%s.new", key);
		cr_assert(ne(int, access(again, F_OK), 0), "no temporary file left");
	}

	cr_assert(eq(int,
	             RUN(out, "server", "set", "--dir", dir, "--address", "198.51.100.10", "--pubkey", pub),
	             0),
	          "%s", out);
	cr_assert(
	    eq(int, RUN(out, "server", "set", "--dir", dir, "--address", "not-an-ip", "--pubkey", pub), 1));
	cr_assert(strstr(out, "not an IP address") != NULL, "%s", out);
	cr_assert(eq(int, RUN(out, "server", "set", "--dir", dir, "--address", "198.51.100.10"), 1));
	cr_assert(strstr(out, "exactly one of") != NULL, "%s", out);

	cr_assert(eq(int,
	             RUN(out, "peer", "add", "--dir", dir, "--alias", "bob", "--pubkey", pub, "--local-ts",
	                 "10.91.0.1/32", "--remote-ts", "10.92.0.0/24"),
	             0),
	          "%s", out);
	cr_assert(eq(int,
	             RUN(out, "peer", "add", "--dir", dir, "--alias", "bob2", "--pubkey", pub, "--local-ts",
	                 "10.91.0.1/32", "--remote-ts", "10.92.0.0/24"),
	             1));
	cr_assert(strstr(out, "with this key exists") != NULL, "%s", out);
	cr_assert(eq(int,
	             RUN(out, "peer", "add", "--dir", dir, "--alias", "carol", "--keyid",
	                 "00112233445566778899aabbccddeeff00112233", "--local-ts", "10.91.0.1/33",
	                 "--remote-ts", "10.93.0.1/32"),
	             1));
	cr_assert(strstr(out, "not an address prefix") != NULL, "%s", out);
	cr_assert(eq(int, RUN(out, "peer", "list", "--dir", dir, "--json"), 0));
	cr_assert(strstr(out, "\"alias\":\"bob\"") != NULL, "%s", out);
	cr_assert(strstr(out, "\"remote_ts\":\"10.92.0.0/24\"") != NULL, "%s", out);
	cr_assert(eq(int, RUN(out, "peer", "del", "--dir", dir, "bob"), 0));
	cr_assert(eq(int, RUN(out, "peer", "del", "--dir", dir, "bob"), 1));
	cr_assert(strstr(out, "no peer named bob") != NULL, "%s", out);
}

Test(medcli_cli, commands_without_daemon_or_setup_say_what_to_do)
{
	char out[4096];

	cr_assert(eq(int, RUN(out, "status", "--dir", dir), 1));
	cr_assert(strstr(out, "not running") != NULL, "%s", out);
	cr_assert(eq(int, RUN(out, "peer", "list", "--dir", dir), 1));
	cr_assert(strstr(out, "medcli init") != NULL, "%s", out);
	cr_assert(eq(int, RUN(out, "frobnicate", "--dir", dir), 2));
	cr_assert(eq(int, RUN(out, "status", "--bogus"), 2));
	cr_assert(strstr(out, "unknown option --bogus") != NULL, "%s", out);
	cr_assert(eq(int, RUN(out, "up", "--dir", dir), 2));
	cr_assert(eq(int, RUN(out, "run", "--dir", dir, "--port", "70000"), 2));
}

/* Bad input the daemon could only trip over later is refused at once, clearly:
 * weak keys (peer add, server set, keygen --import), traffic selectors of two
 * families, an interface name the kernel would cut, a missing key file, an
 * emptied database. */
Test(medcli_cli, refuses_weak_keys_mixed_selectors_and_long_ifnames, .timeout = 60)
{
	char out[8192], key[160];

	cr_assert(eq(int, RUN(out, "init", "--dir", dir), 0), "%s", out);
	snprintf(key, sizeof key, "%s/peer.pem", dir);
	for (int kind = TST_RSA_WEAK_FIRST; kind < TST_RSA_COUNT; kind++) {
		tst_rsa_write((tst_rsa)kind, key);
		cr_assert(eq(int,
		             RUN(out, "peer", "add", "--dir", dir, "--alias", "bob", "--pubkey", key,
		                 "--local-ts", "10.91.0.1/32", "--remote-ts", "10.92.0.0/24"),
		             1));
		cr_assert(strstr(out, "refused: ") != NULL &&
		              strstr(out, tst_rsa_refusal((tst_rsa)kind)) != NULL,
		          "%s: %s", tst_rsa_name((tst_rsa)kind), out);
		cr_assert(
		    eq(int,
		       RUN(out, "server", "set", "--dir", dir, "--address", "198.51.100.10", "--pubkey", key),
		       1));
		cr_assert(strstr(out, tst_rsa_refusal((tst_rsa)kind)) != NULL, "%s: %s",
		          tst_rsa_name((tst_rsa)kind), out);
	}
	cr_assert(eq(int, RUN(out, "peer", "list", "--dir", dir, "--json"), 0));
	cr_assert(eq(str, out, "[]\n"));

	/* Mixed families, both ways round; one family of either kind is fine. */
	tst_rsa_write(TST_RSA_GOOD, key);
	cr_assert(eq(int,
	             RUN(out, "peer", "add", "--dir", dir, "--alias", "bob", "--pubkey", key, "--local-ts",
	                 "10.91.0.1/32", "--remote-ts", "fd00:92::/64"),
	             1));
	cr_assert(strstr(out, "--local-ts 10.91.0.1/32 is IPv4 but --remote-ts fd00:92::/64 is IPv6") != NULL,
	          "%s", out);
	cr_assert(eq(int,
	             RUN(out, "peer", "add", "--dir", dir, "--alias", "bob", "--pubkey", key, "--local-ts",
	                 "fd00:91::1/128", "--remote-ts", "10.92.0.0/24"),
	             1));
	cr_assert(strstr(out, "both must be IPv4 or both IPv6") != NULL, "%s", out);
	cr_assert(eq(int,
	             RUN(out, "peer", "add", "--dir", dir, "--alias", "bob", "--pubkey", key, "--local-ts",
	                 "fd00:91::1/128", "--remote-ts", "fd00:92::/64"),
	             0),
	          "%s", out);

	/* --ifname: 15 characters at most (IFNAMSIZ - 1), no '/', ':' or blanks. */
	cr_assert(eq(int, RUN(out, "run", "--dir", dir, "--ifname", "medcli-tunnel-16"), 2));
	cr_assert(strstr(out, "1 to 15 characters (this has 16)") != NULL, "%s", out);
	cr_assert(eq(int, RUN(out, "run", "--dir", dir, "--ifname", ""), 2));
	cr_assert(eq(int, RUN(out, "run", "--dir", dir, "--ifname", "tun/0"), 2));
	cr_assert(strstr(out, "cannot be . or .. nor contain") != NULL, "%s", out);
	cr_assert(eq(int, RUN(out, "run", "--dir", dir, "--ifname", "a b"), 2));

	/* A missing key file, and a private key to import that is weak. */
	snprintf(key, sizeof key, "%s/nonexistent.pem", dir);
	cr_assert(eq(
	    int, RUN(out, "server", "set", "--dir", dir, "--address", "198.51.100.10", "--pubkey", key), 1));
	cr_assert(strstr(out, "nonexistent.pem: no such file") != NULL, "%s", out);
	cr_assert(eq(int, RUN(out, "keygen", "--dir", dir, "--import", key), 1));
	cr_assert(strstr(out, "nonexistent.pem: no such file") != NULL, "%s", out);
}

Test(medcli_cli, refuses_an_emptied_database_and_says_how_to_recover)
{
	char out[4096], db[160];
	FILE *f;

	cr_assert(eq(int, RUN(out, "init", "--dir", dir), 0), "%s", out);
	snprintf(db, sizeof db, "%s/medcli.db", dir);
	f = fopen(db, "w");
	cr_assert(f != NULL);
	fclose(f);
	cr_assert(eq(int, RUN(out, "peer", "list", "--dir", dir), 1));
	cr_assert(strstr(out, "empty (0 bytes)") != NULL && strstr(out, "`medcli init`") != NULL, "%s", out);
	cr_assert(eq(int, RUN(out, "init", "--dir", dir), 1), "init does not paper over it: %s", out);
	cr_assert(eq(int, unlink(db), 0));
	cr_assert(eq(int, RUN(out, "init", "--dir", dir), 0), "%s", out);
	cr_assert(eq(int, RUN(out, "peer", "list", "--dir", dir), 0), "%s", out);
}
