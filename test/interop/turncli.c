/* SPDX-License-Identifier: MIT */
/*
 * turncli: drives the sans-IO TURN client (turn/) on real UDP sockets against a
 * TURN server (coturn in test/integration/test_turn_coturn.sh).
 *
 *   turncli --server IP:PORT --secret FILE [--name NAME] [--wrong-password]
 *           [--lifetime S] [--hold-ms N] [--timeout-ms N] [--v]
 *
 * Credentials follow the "TURN REST API" scheme of coturn's use-auth-secret:
 * username = "<unix expiry>:<name>", password = base64(HMAC-SHA1(secret, username)).
 * The program opens a second UDP socket as the peer, an echo on 127.0.0.1: it
 * allocates, creates a permission for the peer, sends one message as a Send
 * indication, waits for its echo (a Data indication), binds a channel, sends one
 * message as ChannelData, waits for its echo (ChannelData), then releases the
 * allocation. It prints one line per step with the milliseconds since start.
 * With --hold-ms it keeps the allocation (asking for --lifetime seconds) that long
 * after the ChannelData echo, sending one ChannelData a second, before releasing:
 * Refresh and 438 Stale Nonce then happen against the real server.
 * With --wrong-password it expects the Allocate to fail with 401 instead.
 * Exit status 0 when everything went as expected, 1 otherwise. Loops are bounded
 * by --timeout-ms (default 10000).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "turn/turn.h"

typedef enum step {
	ST_ALLOCATING,
	ST_PERMITTING,
	ST_ECHO_SEND, /* waiting for the echo of the Send indication */
	ST_BINDING,
	ST_ECHO_CHANNEL, /* waiting for the echo of the ChannelData */
	ST_HOLDING,      /* --hold-ms: keeping the allocation */
	ST_RELEASING,
	ST_DONE,
	ST_FAILED,
} step;

typedef struct app {
	int fd;      /* the client's socket */
	int peer_fd; /* the echo peer */
	ike_addr server, peer;
	turn_client *c;
	step st;
	bool wrong_password, verbose;
	ike_ms t0;
	ike_ms now;
	int fail_code;
	char fail_reason[400];
	unsigned echoes_served;
	ike_ms hold_ms;
} app;

static const char MSG_SEND[] = "hello via Send indication";
static const char MSG_CHAN[] = "hello via ChannelData";

static ike_ms mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ike_ms)ts.tv_sec * 1000 + (ike_ms)ts.tv_nsec / 1000000;
}

static void to_sockaddr(const ike_addr *a, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(a->port);
	memcpy(&sin->sin_addr, a->ip, 4);
}

static void from_sockaddr(const struct sockaddr_in *sin, ike_addr *a)
{
	memset(a, 0, sizeof *a);
	a->family = IKE_AF_INET;
	memcpy(a->ip, &sin->sin_addr, 4);
	a->port = ntohs(sin->sin_port);
}

static int udp_open(ike_addr *bound)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof sin;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl)) {
		close(fd);
		return -1;
	}
	from_sockaddr(&sin, bound);
	return fd;
}

IKE_PRINTF(2, 3) static void say(const app *a, const char *fmt, ...)
{
	va_list ap;

	printf("turncli: %6llu ms  ", (unsigned long long)(a->now - a->t0));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static int cb_send(void *user, const ike_addr *to, const uint8_t *pkt, size_t len)
{
	app *a = user;
	struct sockaddr_in sin;

	to_sockaddr(to, &sin);
	return sendto(a->fd, pkt, len, 0, (struct sockaddr *)&sin, sizeof sin) == (ssize_t)len ? 0 : -1;
}

static void cb_rand(void *user, uint8_t *out, size_t len)
{
	(void)user;
	if (RAND_bytes(out, (int)len) != 1)
		abort();
}

static void cb_log(void *user, const ike_log_rec *rec)
{
	app *a = user;
	if (a->verbose)
		say(a, "log: %s", rec->msg);
}

static void cb_event(void *user, const turn_event *ev)
{
	app *a = user;
	char buf[IKE_ADDR_STRLEN], line[600];

	switch (ev->type) {
	case TURN_EV_ALLOCATED:
		snprintf(line, sizeof line, "%s", ike_addr_str(&ev->relayed, buf, sizeof buf));
		say(a, "allocated: relayed %s", line);
		snprintf(line, sizeof line, "%s, lifetime %u s", ike_addr_str(&ev->mapped, buf, sizeof buf),
		         ev->lifetime_s);
		say(a, "allocated: mapped %s", line);
		a->st = ST_PERMITTING;
		break;
	case TURN_EV_ALLOC_FAILED:
	case TURN_EV_PERMISSION_FAILED:
	case TURN_EV_CHANNEL_FAILED:
	case TURN_EV_LOST:
		a->fail_code = ev->code;
		snprintf(a->fail_reason, sizeof a->fail_reason, "%s", ev->reason ? ev->reason : "");
		snprintf(line, sizeof line, "%s: %s", turn_event_name(ev->type), a->fail_reason);
		say(a, "%s", line);
		a->st = ST_FAILED;
		break;
	case TURN_EV_PERMISSION_OK:
		say(a, "permission installed for %s", ike_addr_str(&ev->peer, buf, sizeof buf));
		if (turn_client_send(a->c, &a->peer, (const uint8_t *)MSG_SEND, strlen(MSG_SEND), a->now) !=
		    IKE_OK)
			a->st = ST_FAILED;
		else
			a->st = ST_ECHO_SEND;
		break;
	case TURN_EV_CHANNEL_BOUND:
		snprintf(line, sizeof line, "0x%04x to %s", ev->channel,
		         ike_addr_str(&ev->peer, buf, sizeof buf));
		say(a, "channel bound: %s", line);
		if (turn_client_send(a->c, &a->peer, (const uint8_t *)MSG_CHAN, strlen(MSG_CHAN), a->now) !=
		    IKE_OK)
			a->st = ST_FAILED;
		else
			a->st = ST_ECHO_CHANNEL;
		break;
	case TURN_EV_DATA:
		snprintf(line, sizeof line, "%zu bytes from %s %s", ev->len,
		         ike_addr_str(&ev->peer, buf, sizeof buf),
		         ev->channel ? "over ChannelData" : "in a Data indication");
		say(a, "echo: %s", line);
		if (a->st == ST_ECHO_SEND && !ev->channel && ev->len == strlen(MSG_SEND) &&
		    memcmp(ev->data, MSG_SEND, ev->len) == 0)
			a->st = ST_BINDING;
		else if (a->st == ST_ECHO_CHANNEL && ev->channel && ev->len == strlen(MSG_CHAN) &&
		         memcmp(ev->data, MSG_CHAN, ev->len) == 0)
			a->st = a->hold_ms ? ST_HOLDING : ST_RELEASING;
		break;
	case TURN_EV_RELEASED:
		say(a, "released%s", ev->err ? " (unanswered)" : "");
		a->st = ev->err ? ST_FAILED : ST_DONE;
		break;
	case TURN_EV_REFRESHED:
		say(a, "refreshed, lifetime %u s", ev->lifetime_s);
		break;
	}
}

/* The REST API credential: username "<expiry>:<name>", password base64(HMAC-SHA1). */
static int rest_credential(const char *secret, const char *name, char *user, size_t ulen, char *pass,
                           size_t plen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;

	snprintf(user, ulen, "%lld:%s", (long long)time(NULL) + 3600, name);
	if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)user, strlen(user), mac,
	          &mlen))
		return -1;
	if (plen < 4 * ((mlen + 2) / 3) + 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)pass, mac, (int)mlen);
	return 0;
}

static int read_secret(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(out, 1, len - 1, f);
	fclose(f);
	out[n] = 0;
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = 0;
	return n ? 0 : -1;
}

static void serve_peer(app *a)
{
	uint8_t buf[2048];
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	ssize_t n = recvfrom(a->peer_fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);

	if (n <= 0)
		return;
	/* The echo peer answers whoever sent it, which must be the relayed address. */
	a->echoes_served++;
	(void)!sendto(a->peer_fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
}

static void serve_client(app *a)
{
	uint8_t buf[65536];
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	ike_addr src;
	ssize_t n = recvfrom(a->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);

	if (n <= 0)
		return;
	from_sockaddr(&from, &src);
	(void)turn_client_recv(a->c, &src, buf, (size_t)n, a->now);
}

int main(int argc, char **argv)
{
	app a = {.fd = -1, .peer_fd = -1};
	const char *server = NULL, *secret_file = NULL, *name = "turncli";
	char secret[512], user[256], pass[128], host[64];
	ike_ms timeout = 10000, deadline;
	ike_addr local;
	turn_config cfg;
	turn_callbacks cb = {cb_send, cb_event, cb_rand, cb_log};
	step last = ST_ALLOCATING;
	ike_ms hold_until = 0, next_ping = 0;
	uint32_t lifetime = 0;
	uint16_t ch;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--server") && i + 1 < argc)
			server = argv[++i];
		else if (!strcmp(argv[i], "--secret") && i + 1 < argc)
			secret_file = argv[++i];
		else if (!strcmp(argv[i], "--name") && i + 1 < argc)
			name = argv[++i];
		else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc)
			timeout = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--hold-ms") && i + 1 < argc)
			a.hold_ms = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--lifetime") && i + 1 < argc)
			lifetime = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--wrong-password"))
			a.wrong_password = true;
		else if (!strcmp(argv[i], "--v"))
			a.verbose = true;
		else {
			fprintf(stderr,
			        "usage: turncli --server IP:PORT --secret FILE [--name N] [--wrong-password] "
			        "[--timeout-ms N] [--v]\n");
			return 2;
		}
	}
	if (!server || !secret_file || read_secret(secret_file, secret, sizeof secret) != 0) {
		fprintf(stderr, "turncli: --server and a readable, non-empty --secret file are required\n");
		return 2;
	}
	{
		const char *colon = strrchr(server, ':');
		size_t hl = colon ? (size_t)(colon - server) : 0;
		if (!colon || hl >= sizeof host)
			return 2;
		memcpy(host, server, hl);
		host[hl] = 0;
		if (ike_addr_parse(&a.server, host, (uint16_t)atoi(colon + 1)) != IKE_OK ||
		    a.server.family != IKE_AF_INET) {
			fprintf(stderr, "turncli: bad --server %s (IPv4:port)\n", server);
			return 2;
		}
	}
	if (rest_credential(secret, name, user, sizeof user, pass, sizeof pass) != 0)
		return 2;
	if (a.wrong_password)
		pass[0] = pass[0] == 'A' ? 'B' : 'A';
	a.fd = udp_open(&local);
	a.peer_fd = udp_open(&a.peer);
	if (a.fd < 0 || a.peer_fd < 0) {
		perror("turncli: socket");
		goto out;
	}

	turn_config_defaults(&cfg);
	cfg.server = a.server;
	cfg.username = user;
	cfg.password = pass;
	cfg.software = "ikemed turncli";
	cfg.lifetime_s = lifetime;
	cfg.log_max = IKE_LOG_DEBUG;
	a.t0 = a.now = mono_ms();
	if (turn_client_new(&a.c, &cfg, &cb, &a, a.now) != IKE_OK ||
	    turn_client_allocate(a.c, a.now) != IKE_OK) {
		fprintf(stderr, "turncli: could not start the client\n");
		goto out;
	}
	OPENSSL_cleanse(pass, sizeof pass);
	say(&a, "allocating from %s", server);
	deadline = a.now + timeout + a.hold_ms;
	while (a.st != ST_DONE && a.st != ST_FAILED && a.now < deadline) {
		struct pollfd p[2] = {{.fd = a.fd, .events = POLLIN}, {.fd = a.peer_fd, .events = POLLIN}};
		ike_ms d = turn_client_next_deadline(a.c);
		ike_ms wait = d == IKE_NEVER || d > deadline ? deadline - a.now : (d > a.now ? d - a.now : 0);

		if (poll(p, 2, (int)(wait > 1000 ? 1000 : wait)) < 0 && errno != EINTR)
			break;
		a.now = mono_ms();
		if (p[1].revents & POLLIN)
			serve_peer(&a);
		if (p[0].revents & POLLIN)
			serve_client(&a);
		(void)turn_client_tick(a.c, a.now);
		if (a.st == ST_HOLDING && a.now >= next_ping) {
			next_ping = a.now + 1000;
			if (turn_client_send(a.c, &a.peer, (const uint8_t *)"ping", 4, a.now) != IKE_OK)
				a.st = ST_FAILED;
		}
		if (a.st == ST_HOLDING && a.now >= hold_until && last == ST_HOLDING)
			a.st = ST_RELEASING;
		if (a.st == last)
			continue;
		last = a.st;
		if (a.st == ST_HOLDING) {
			hold_until = a.now + a.hold_ms;
			say(&a, "holding the allocation for %llu ms", (unsigned long long)a.hold_ms);
		}
		if (a.st == ST_PERMITTING && turn_client_permit(a.c, &a.peer, a.now) != IKE_OK)
			a.st = ST_FAILED;
		else if (a.st == ST_BINDING && turn_client_bind_channel(a.c, &a.peer, &ch, a.now) != IKE_OK)
			a.st = ST_FAILED;
		else if (a.st == ST_RELEASING && turn_client_release(a.c, a.now) != IKE_OK)
			a.st = ST_FAILED;
	}
	if (a.wrong_password) {
		rc = a.st == ST_FAILED && a.fail_code == 401 && strstr(a.fail_reason, "401 Unauthorized") ? 0
		                                                                                          : 1;
		say(&a, "%s",
		    rc == 0 ? "wrong password refused with 401, as expected" : "FAIL: expected a 401");
	} else {
		rc = a.st == ST_DONE ? 0 : 1;
		if (a.st != ST_DONE && a.st != ST_FAILED)
			say(&a, "%s", "FAIL: timed out");
		snprintf(host, sizeof host, "%u", a.echoes_served);
		say(&a,
		    rc == 0 ? "PASS (the echo peer served %s datagrams via the relay)"
		            : "FAIL (echoes served: %s)",
		    host);
	}
	{
		const turn_stats *s = turn_client_stats(a.c);
		char line[300];
		snprintf(line, sizeof line,
		         "requests %llu, retransmissions %llu, indications %llu, channel data %llu, "
		         "refreshes %llu, "
		         "stale nonces %llu",
		         (unsigned long long)s->requests_sent, (unsigned long long)s->retransmissions,
		         (unsigned long long)s->indications_sent, (unsigned long long)s->channel_data_sent,
		         (unsigned long long)s->refreshes, (unsigned long long)s->stale_nonces);
		say(&a, "stats: %s", line);
	}
out:
	turn_client_free(a.c);
	if (a.fd >= 0)
		close(a.fd);
	if (a.peer_fd >= 0)
		close(a.peer_fd);
	OPENSSL_cleanse(secret, sizeof secret);
	return rc;
}
