/* SPDX-License-Identifier: MIT */
/*
 * TURN relay credentials (medsrv/turn.h): the turn: URI, the secret file's
 * checks, the credential against a known answer (coturn's TURN REST API
 * scheme), and a registration through a shard that hands it out in N(ME_TURN)
 * and refreshes it after half its lifetime.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "medsrv/turn.h"
#include "net.h"

/* ---- turn: URI ---- */

static int parse(const char *uri, ike_addr *a)
{
	char why[256];

	return ms_turn_parse_uri(uri, a, why, sizeof why);
}

Test(ms_turn, parses_ipv4_and_ipv6_uris)
{
	ike_addr a, want;

	cr_assert(eq(int, parse("turn:198.51.100.7:3478", &a), IKE_OK));
	(void)ike_addr_parse(&want, "198.51.100.7", 3478);
	cr_assert(ike_addr_eq(&a, &want));
	cr_assert(eq(int, parse("turn:[2001:db8::7]:5349", &a), IKE_OK));
	(void)ike_addr_parse(&want, "2001:db8::7", 5349);
	cr_assert(ike_addr_eq(&a, &want));
}

Test(ms_turn, refuses_bad_uris_with_a_reason)
{
	static const char *const bad[] = {
	    "198.51.100.7:3478",           /* no scheme */
	    "stun:198.51.100.7:3478",      /* another scheme */
	    "turns:198.51.100.7:5349",     /* TLS */
	    "turn:198.51.100.7",           /* no port */
	    "turn:198.51.100.7:",          /* empty port */
	    "turn:198.51.100.7:0",         /* port 0 */
	    "turn:198.51.100.7:65536",     /* too large */
	    "turn:198.51.100.7:34x",       /* junk */
	    "turn:198.51.100.7:-1",        /* negative */
	    "turn:relay.example.org:3478", /* a host name */
	    "turn::3478",                  /* no address */
	    "turn:2001:db8::7:3478",       /* IPv6 without brackets */
	    "turn:[2001:db8::7]",          /* IPv6 without a port */
	    "turn:[198.51.100.7]:3478",    /* IPv4 in brackets */
	    "turn:198.51.100.7:3478?transport=tcp",
	    "turn:198.51.100.300:3478",
	};
	char why[256];
	ike_addr a;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		cr_assert(eq(int, ms_turn_parse_uri(bad[i], &a, why, sizeof why), IKE_ERR_INVAL), "%s",
		          bad[i]);
		cr_assert(why[0] != '\0', "no reason for %s", bad[i]);
		cr_assert(eq(u8, a.family, 0));
	}
}

/* ---- the secret file ---- */

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof dir, "/tmp/ms_turn.XXXXXX");
	cr_assert(mkdtemp(dir) != NULL);
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert(eq(int, system(cmd), 0));
}

static const char *write_file(const char *name, const char *content, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0);
	cr_assert(eq(sz, (size_t)write(fd, content, strlen(content)), strlen(content)));
	close(fd);
	cr_assert(eq(int, chmod(path, mode), 0));
	return path;
}

static int read_secret(const char *path, char *why, size_t *len)
{
	uint8_t buf[MS_TURN_SECRET_MAX];

	why[0] = '\0';
	return ms_turn_read_secret(path, buf, sizeof buf, len, why, 256);
}

Test(ms_turn, reads_the_secret_without_its_newline, .init = make_dir, .fini = remove_dir)
{
	uint8_t buf[MS_TURN_SECRET_MAX];
	char why[256];
	size_t len;

	cr_assert(eq(int,
	             ms_turn_read_secret(write_file("s", "s3cret-for-tests\n", 0600), buf, sizeof buf, &len,
	                                 why, sizeof why),
	             IKE_OK));
	cr_assert(eq(sz, len, 16));
	cr_assert(eq(int, memcmp(buf, "s3cret-for-tests", 16), 0));
	cr_assert(
	    eq(int,
	       ms_turn_read_secret(write_file("r", "abc\r\n", 0400), buf, sizeof buf, &len, why, sizeof why),
	       IKE_OK));
	cr_assert(eq(sz, len, 3));
}

Test(ms_turn, refuses_bad_secret_files, .init = make_dir, .fini = remove_dir)
{
	char why[256], path[128], big[MS_TURN_SECRET_MAX + 2];
	size_t len;

	snprintf(path, sizeof path, "%s/none", dir);
	cr_assert(eq(int, read_secret(path, why, &len), IKE_ERR_IO));
	cr_assert(strstr(why, "no such file") != NULL, "%s", why);
	cr_assert(eq(int, read_secret(write_file("empty", "", 0600), why, &len), IKE_ERR_INVAL));
	cr_assert(strstr(why, "empty") != NULL, "%s", why);
	cr_assert(eq(int, read_secret(write_file("nl", "\n", 0600), why, &len), IKE_ERR_INVAL));
	cr_assert(eq(int, read_secret(write_file("world", "hunter2", 0604), why, &len), IKE_ERR_POLICY));
	cr_assert(strstr(why, "chmod 600") != NULL, "%s", why);
	cr_assert(strstr(why, "hunter2") == NULL, "never the secret's bytes");
	cr_assert(eq(int, read_secret(write_file("group", "secret", 0640), why, &len), IKE_ERR_POLICY));
	cr_assert(eq(int, read_secret(dir, why, &len), IKE_ERR_INVAL)); /* a directory */
	cr_assert(strstr(why, "regular file") != NULL, "%s", why);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	cr_assert(eq(int, read_secret(write_file("big", big, 0600), why, &len), IKE_ERR_INVAL));
	cr_assert(eq(sz, len, 0));
	if (geteuid() != 0) { /* root reads anything */
		cr_assert(
		    eq(int, read_secret(write_file("unreadable", "secret", 0200), why, &len), IKE_ERR_IO));
		cr_assert(strstr(why, "permission") != NULL, "%s", why);
	}
}

/* ---- the credential ---- */

static const uint8_t keyid[IKE_KEYID_LEN] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
                                             0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, 0x22, 0x33};

static uint64_t fake_unix(void *user)
{
	return *(const uint64_t *)user;
}

static uint64_t fake_time = 1800000000u;

static ms_turn_config test_config(void)
{
	ms_turn_config c;

	memset(&c, 0, sizeof c);
	(void)ike_addr_parse(&c.server, "203.0.113.5", 3478);
	memcpy(c.secret, "s3cret-for-tests", 16);
	c.secret_len = 16;
	c.ttl_s = 86400;
	c.unix_now = fake_unix;
	c.user = &fake_time;
	return c;
}

/* Known answer, computed once by hand:
 *   printf %s 1800086400:00112233445566778899aabbccddeeff00112233 |
 *     openssl dgst -sha1 -hmac s3cret-for-tests -binary | base64 */
Test(ms_turn, credential_matches_the_known_answer)
{
	ms_turn_config c = test_config();
	ike_me_turn t;

	cr_assert(eq(int, ms_turn_credential(&c, keyid, 1800000000u, &t), IKE_OK));
	cr_assert(ike_addr_eq(&t.server, &c.server));
	cr_assert(eq(u64, t.expires, 1800086400u));
	cr_assert(eq(str, t.user, "1800086400:00112233445566778899aabbccddeeff00112233"));
	cr_assert(eq(str, t.pass, "CeFO6qT6xqGkYz+AYgqzI5+xHYs="));
}

Test(ms_turn, credential_needs_a_server_and_a_secret)
{
	ms_turn_config c = test_config();
	ike_me_turn t;

	c.secret_len = 0;
	cr_assert(eq(int, ms_turn_credential(&c, keyid, 1800000000u, &t), IKE_ERR_INVAL));
	c = test_config();
	c.server.family = 0;
	cr_assert(eq(int, ms_turn_credential(&c, keyid, 1800000000u, &t), IKE_ERR_INVAL));
}

/* ---- a registration through a shard ---- */

NET_TEST(ms_turn, registered_peer_gets_the_credential_and_a_refresh)
{
	static ms_turn_config c;
	char hex[IKE_KEYID_HEX_LEN + 1], want[64];
	ike_ms got_at;

	c = test_config();
	c.ttl_s = 600;
	net_set_turn(&c);
	net_init(n, 1, 2, 0x1);
	net_set_turn(NULL);
	net_register(n, 0);
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[0].ups, 1));
	cr_assert(eq(u32, n->node[0].nturn, 1));
	cr_assert(ike_addr_eq(&n->node[0].turn.server, &c.server));
	cr_assert(eq(u64, n->node[0].turn.expires, fake_time + 600));
	snprintf(want, sizeof want, "%llu:%s", (unsigned long long)(fake_time + 600),
	         ike_keyid_format(net_key_get(1)->keyid, hex));
	cr_assert(eq(str, n->node[0].turn.user, want), "the canonical KEY_ID, whichever form was presented");
	cr_assert(eq(sz, strlen(n->node[0].turn.pass), 28));
	cr_assert(not(net_log_has(n, n->node[0].turn.pass)), "the password is never logged");
	got_at = n->node[0].turn_at;
	/* refreshed after half the lifetime, with a later expiry */
	fake_time += 300;
	net_run(n, got_at + 310000 - n->now);
	cr_assert(eq(u32, n->node[0].nturn, 2));
	cr_assert(le(u64, n->node[0].turn_at - got_at, 301000));
	cr_assert(eq(u64, n->node[0].turn.expires, fake_time + 600));
	cr_assert(eq(u32, n->node[0].downs, 0));
	fake_time = 1800000000u;
}

NET_TEST(ms_turn, no_credential_without_turn)
{
	net_init(n, 1, 1, 0);
	net_register(n, 0);
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[0].ups, 1));
	cr_assert(eq(u32, n->node[0].nturn, 0));
}
