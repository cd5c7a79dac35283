/* SPDX-License-Identifier: MIT */
/*
 * bench/medsrv/medload.c - a registration load generator for mediation servers
 * (our medsrv or strongSwan's charon): N mediation clients, each with its own RSA
 * key and ID_KEY_ID, register over real UDP (IKE_SA_INIT + IKE_AUTH with
 * ME_MEDIATION and an ME_ENDPOINT request, no CHILD_SA). In churn mode every
 * client deletes its registration as soon as it is up and registers again, for
 * --seconds; in hold mode each registers once and stays until SIGTERM.
 *
 *   medload --server IP --local IP --keys DIR [-n N] [--seconds S] [--hold]
 *           [--server-pubkey FILE] [--port P] [--natt-port Q]
 *   medload --keys DIR -n N --genkeys      (make the key cache, print nothing else)
 *
 * The N engines share one socket pair: engine i puts i into the top 8 bits of its
 * SPIs (ike_config.spi_shard_bits), so answers are routed by the initiator SPI.
 * Keys: DIR/kNNN.pem (private) and DIR/kNNN.pub, generated once and reused.
 * Prints one line: registrations, failures, seconds, rate, latency percentiles.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ike/crypto_key.h"
#include "ike/engine.h"
#include "ikeio/udp.h"

#define MAX_CLIENTS 256
#define MAX_SAMPLES 200000

typedef struct client {
	struct load *l;
	int idx;
	ike_engine *e;
	ike_sa_ref sa;
	ike_ms started;
	uint8_t *pem;
	size_t pem_len;
	ike_id id;
} client;

typedef struct load {
	uv_loop_t loop;
	uv_timer_t tick, stop;
	ikeio_udp_pair socks;
	client c[MAX_CLIENTS];
	int n;
	bool hold, stopping;
	ike_addr server, local;
	uint8_t *srv_pub;
	size_t srv_pub_len;
	uint64_t ups, fails, drops;
	ike_ms t0;
	uint32_t lat[MAX_SAMPLES];
	size_t n_lat;
} load;

static int read_all(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) || !(*out = malloc((size_t)n)) ||
	    fread(*out, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

/* Loads key i from the cache, generating it (and its .pub) when missing. */
static int key_for(const char *dir, int i, client *c)
{
	char kp[512], pp[512];
	ike_key *k = NULL;
	uint8_t keyid[IKE_KEYID_LEN];

	snprintf(kp, sizeof kp, "%s/k%03d.pem", dir, i);
	snprintf(pp, sizeof pp, "%s/k%03d.pub", dir, i);
	if (access(kp, R_OK) != 0) {
		if (ike_key_generate(&k, NULL, 2048) != IKE_OK || ike_key_write_private_file(k, NULL, kp) != IKE_OK ||
		    ike_key_write_public_file(k, pp) != IKE_OK)
			return -1;
		ike_key_free(k);
	}
	if (ike_key_load_file(&k, NULL, kp) != IKE_OK || ike_key_keyid(k, IKE_KEYID_SPK, keyid) != IKE_OK)
		return -1;
	ike_key_free(k);
	c->id.type = IKE_ID_KEY_ID;
	c->id.len = IKE_KEYID_LEN;
	memcpy(c->id.data, keyid, IKE_KEYID_LEN);
	return read_all(kp, &c->pem, &c->pem_len);
}

static int cb_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	client *c = user;
	return ikeio_udp_pair_send(&c->l->socks, path, pkt, len);
}

static int cb_lookup(void *user, const ike_id *peer_id, const ike_path *path, ike_peer_cfg *out)
{
	client *c = user;
	(void)peer_id;
	(void)path;
	out->remote_pubkey = (ike_slice){c->l->srv_pub, c->l->srv_pub_len};
	return IKE_OK;
}

static void start(client *c, ike_ms now)
{
	load *l = c->l;
	ike_peer_cfg p;

	memset(&p, 0, sizeof p);
	p.name = "srv";
	p.local = l->local;
	p.remote = l->server;
	p.local_auth = p.remote_auth = IKE_AUTHBY_PUBKEY;
	p.remote_pubkey = (ike_slice){l->srv_pub, l->srv_pub_len};
	p.mediation = true;
	p.no_child = true;
	p.ike_proposals = "aes128gcm16-prfsha256-x25519";
	c->started = now;
	if (ike_engine_initiate(c->e, &p, now, &c->sa) != IKE_OK)
		l->fails++;
}

static void cb_event(void *user, const ike_event *ev)
{
	client *c = user;
	load *l = c->l;
	ike_ms now = uv_now(&l->loop);

	if (ev->type == IKE_EV_SA_UP) {
		l->ups++;
		if (l->n_lat < MAX_SAMPLES)
			l->lat[l->n_lat++] = (uint32_t)(now - c->started);
		if (!l->hold && !l->stopping && ike_engine_terminate(c->e, ev->sa, now) != IKE_OK)
			l->fails++;
	} else if (ev->type == IKE_EV_SA_DOWN) {
		if (!ev->u.sa_down.was_up)
			l->fails++;
		if (!l->hold && !l->stopping)
			start(c, now);
	}
}

static void on_ike(void *user, ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len)
{
	load *l = user;
	uint64_t si, sr;
	unsigned i;

	(void)s;
	if (ike_msg_peek_spis(pkt, len, &si, &sr, NULL) != IKE_OK) {
		l->drops++;
		return;
	}
	i = ike_spi_shard(si, 8);
	if (i >= (unsigned)l->n || ike_err_is_fatal(ike_engine_recv(l->c[i].e, path, pkt, len, uv_now(&l->loop))))
		l->drops++;
}

static void on_tick(uv_timer_t *t)
{
	load *l = t->data;
	ike_ms now = uv_now(&l->loop);

	for (int i = 0; i < l->n; i++)
		if (ike_engine_next_deadline(l->c[i].e) <= now && ike_engine_tick(l->c[i].e, now) != IKE_OK)
			l->fails++;
}

static void on_stop(uv_timer_t *t)
{
	load *l = t->data;
	l->stopping = true;
	uv_stop(&l->loop);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static volatile sig_atomic_t got_term;
static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static void on_poll_term(uv_timer_t *t)
{
	if (got_term)
		on_stop(t);
}

int main(int argc, char **argv)
{
	static load L;
	load *l = &L;
	const char *keys = NULL, *server = NULL, *local = NULL, *srv_pub = NULL;
	unsigned port = 500, natt = 4500, seconds = 10;
	bool genkeys = false;
	int opt;
	static const struct option lo[] = {{"server", 1, 0, 's'},       {"local", 1, 0, 'l'},
	                                   {"keys", 1, 0, 'k'},         {"seconds", 1, 0, 't'},
	                                   {"hold", 0, 0, 'H'},         {"server-pubkey", 1, 0, 'P'},
	                                   {"port", 1, 0, 'p'},         {"natt-port", 1, 0, 'q'},
	                                   {"genkeys", 0, 0, 'g'},      {0, 0, 0, 0}};

	l->n = 16;
	while ((opt = getopt_long(argc, argv, "n:", lo, NULL)) != -1) {
		switch (opt) {
		case 's': server = optarg; break;
		case 'l': local = optarg; break;
		case 'k': keys = optarg; break;
		case 't': seconds = (unsigned)atoi(optarg); break;
		case 'H': l->hold = true; break;
		case 'P': srv_pub = optarg; break;
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'q': natt = (unsigned)atoi(optarg); break;
		case 'g': genkeys = true; break;
		case 'n': l->n = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!keys || l->n < 1 || l->n > MAX_CLIENTS || (!genkeys && (!server || !local || !srv_pub))) {
		fprintf(stderr, "usage: see bench/medsrv/medload.c\n");
		return 2;
	}
	mkdir(keys, 0700);
	for (int i = 0; i < l->n; i++)
		if (key_for(keys, i, &l->c[i]) != 0) {
			fprintf(stderr, "medload: key %d in %s\n", i, keys);
			return 1;
		}
	if (genkeys)
		return 0;
	if (read_all(srv_pub, &l->srv_pub, &l->srv_pub_len) != 0 || ike_addr_parse(&l->server, server, 500) != IKE_OK ||
	    ike_addr_parse(&l->local, local, (uint16_t)port) != IKE_OK) {
		fprintf(stderr, "medload: bad --server, --local or --server-pubkey\n");
		return 2;
	}
	uv_loop_init(&l->loop);
	{
		ikeio_udp_cbs cb = {on_ike, NULL, NULL};
		ikeio_udp_cfg uc = {l->local, false, false};
		if (ikeio_udp_open(&l->loop, &uc, &cb, l, &l->socks.ike) != IKE_OK)
			return 1;
		uc.bind.port = (uint16_t)natt;
		uc.natt = true;
		if (ikeio_udp_open(&l->loop, &uc, &cb, l, &l->socks.natt) != IKE_OK)
			return 1;
	}
	for (int i = 0; i < l->n; i++) {
		client *c = &l->c[i];
		ike_config cfg;
		ike_callbacks cb = {cb_send, cb_lookup, cb_event, NULL, NULL};
		ike_config_defaults(&cfg);
		cfg.local_id = c->id;
		cfg.private_key = (ike_slice){c->pem, c->pem_len};
		cfg.port = (uint16_t)port;
		cfg.natt_port = (uint16_t)natt;
		cfg.spi_shard_bits = 8;
		cfg.spi_shard = (unsigned)i;
		cfg.retransmit_base_ms = 500;
		cfg.dpd_interval_ms = 0;
		cfg.keepalive_interval_ms = 0;
		c->l = l;
		c->idx = i;
		if (ike_engine_new(&c->e, &cfg, &cb, c, uv_now(&l->loop)) != IKE_OK)
			return 1;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	uv_timer_init(&l->loop, &l->tick);
	l->tick.data = l;
	uv_timer_start(&l->tick, on_tick, 5, 5);
	uv_timer_init(&l->loop, &l->stop);
	l->stop.data = l;
	if (l->hold)
		uv_timer_start(&l->stop, on_poll_term, 100, 100);
	else
		uv_timer_start(&l->stop, on_stop, (uint64_t)seconds * 1000, 0);
	uv_update_time(&l->loop);
	l->t0 = uv_now(&l->loop);
	for (int i = 0; i < l->n; i++)
		start(&l->c[i], l->t0);
	if (l->hold) {
		/* report once everyone is up, then hold until SIGTERM */
		while (!got_term && l->ups < (uint64_t)l->n && uv_run(&l->loop, UV_RUN_ONCE))
			if (uv_now(&l->loop) - l->t0 > 30000) {
				printf("only %llu of %d registered after 30 s, %llu failures\n", (unsigned long long)l->ups,
				       l->n, (unsigned long long)l->fails);
				fflush(stdout);
				break;
			}
		printf("held %llu registrations after %llu ms, %llu failures\n", (unsigned long long)l->ups,
		       (unsigned long long)(uv_now(&l->loop) - l->t0), (unsigned long long)l->fails);
		fflush(stdout);
	}
	uv_run(&l->loop, UV_RUN_DEFAULT);
	{
		double secs = (double)(uv_now(&l->loop) - l->t0) / 1000.0;
		uint32_t p50 = 0, p99 = 0;
		if (l->n_lat) {
			qsort(l->lat, l->n_lat, sizeof l->lat[0], cmp_u32);
			p50 = l->lat[l->n_lat / 2];
			p99 = l->lat[l->n_lat * 99 / 100];
		}
		printf("registrations %llu failures %llu drops %llu seconds %.1f rate %.0f/s latency_ms p50 %u p99 %u\n",
		       (unsigned long long)l->ups, (unsigned long long)l->fails, (unsigned long long)l->drops, secs,
		       secs > 0 ? (double)l->ups / secs : 0.0, p50, p99);
	}
	for (int i = 0; i < l->n; i++) {
		ike_engine_free(l->c[i].e);
		free(l->c[i].pem);
	}
	ikeio_udp_close(l->socks.ike);
	ikeio_udp_close(l->socks.natt);
	uv_close((uv_handle_t *)&l->tick, NULL);
	uv_close((uv_handle_t *)&l->stop, NULL);
	uv_run(&l->loop, UV_RUN_NOWAIT);
	free(l->srv_pub);
	return 0;
}
