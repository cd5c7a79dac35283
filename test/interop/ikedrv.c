/* SPDX-License-Identifier: MIT */
/*
 * test/interop/ikedrv.c - a small driver that runs our IKEv2 engine (ike/) on
 * real UDP sockets through ike/io, as initiator or responder, for interop tests
 * against strongSwan. One peer, one IKE_SA with its first CHILD_SA; no data plane
 * (ESP packets are counted and dropped).
 *
 *   ikedrv --role initiator|responder --local ADDR [--remote ADDR]
 *          (--key PRIV.pem --peer-pubkey PEER.pub | --psk SECRET --id ID --peer-id ID)
 *          [--local-ts CIDR] [--remote-ts CIDR] [--port 500] [--natt-port 4500]
 *          [--timeout SECONDS] [--dpd SECONDS] [--log-level info] [--name NAME]
 *
 * IDs: "@#<hex>" = ID_KEY_ID, "@name" = FQDN, an IP literal = ID_IPV4/6_ADDR. With
 * keys, the IDs default to the KEY_IDs of the keys (pki --keyid --id spk).
 * Prints one line per event on stdout ("SA_UP ...", "CHILD_UP ...", "SA_DOWN ...")
 * for scripts to wait on. Runs until SIGINT/SIGTERM (then deletes the SA, waits up
 * to 2 s for the answer and exits 0), or exits 1 when the SA fails or --timeout
 * passes without a CHILD_SA.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/crypto_key.h"
#include "ike/engine.h"
#include "ikeio/driver.h"
#include "ikeio/log.h"
#include "ikeio/signal.h"
#include "ikeio/udp.h"

typedef struct drv {
	uv_loop_t *loop;
	ike_engine *e;
	ikeio_udp_pair socks;
	ikeio_driver *timer;
	ikeio_signals *sigs;
	uv_timer_t deadline; /* --timeout, then the shutdown grace period */
	ikeio_log_sink sink;
	ike_peer_cfg peer;
	ike_sa_ref sa;
	bool initiator, child_up, stopping, closed;
	int exit_code;
} drv;

static void shutdown_now(drv *d)
{
	if (d->closed)
		return;
	d->closed = true;
	ikeio_udp_close(d->socks.ike);
	ikeio_udp_close(d->socks.natt);
	ikeio_driver_free(d->timer);
	ikeio_signals_free(d->sigs);
	uv_close((uv_handle_t *)&d->deadline, NULL);
}

static void on_deadline(uv_timer_t *t)
{
	drv *d = t->data;

	if (!d->stopping && !d->child_up) {
		printf("FAIL timeout: no CHILD_SA\n");
		fflush(stdout);
		d->exit_code = 1;
	}
	shutdown_now(d);
}

static int cb_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	drv *d = user;

	return ikeio_udp_pair_send(&d->socks, path, pkt, len);
}

static int cb_lookup(void *user, const ike_id *peer_id, const ike_path *path, ike_peer_cfg *out)
{
	drv *d = user;

	/* One configured peer: the engine checks the identity against remote_id and
	 * the signature against remote_pubkey. */
	*out = d->peer;
	return IKE_OK;
}

static void cb_event(void *user, const ike_event *ev)
{
	drv *d = user;
	char l[IKE_ADDR_STRLEN], r[IKE_ADDR_STRLEN];

	switch (ev->type) {
	case IKE_EV_SA_UP:
		d->sa = ev->sa;
		printf("SA_UP %s %s spi_i=%016" PRIx64 " spi_r=%016" PRIx64 " nat_local=%d nat_remote=%d\n",
		       ike_addr_str(&ev->u.sa_up.path.local, l, sizeof l),
		       ike_addr_str(&ev->u.sa_up.path.remote, r, sizeof r), ev->u.sa_up.spi_i, ev->u.sa_up.spi_r,
		       ev->u.sa_up.nat_local, ev->u.sa_up.nat_remote);
		break;
	case IKE_EV_CHILD_UP:
		d->child_up = true;
		printf("CHILD_UP spi_in=%08" PRIx32 " spi_out=%08" PRIx32 " encap=%d\n", ev->u.child.info->spi_in,
		       ev->u.child.info->spi_out, ev->u.child.info->encap_udp);
		break;
	case IKE_EV_CHILD_DOWN:
		printf("CHILD_DOWN spi_in=%08" PRIx32 "\n", ev->u.child_down.spi_in);
		break;
	case IKE_EV_SA_DOWN:
		printf("SA_DOWN reason=%s notify=%u was_up=%d\n", ike_err_name(ev->u.sa_down.reason),
		       ev->u.sa_down.notify, ev->u.sa_down.was_up);
		if (!ev->u.sa_down.was_up && !d->stopping)
			d->exit_code = 1;
		if (d->initiator || d->stopping) {
			/* The initiator's only SA is gone: nothing left to do. */
			d->stopping = true;
			uv_timer_start(&d->deadline, on_deadline, 0, 0);
		}
		break;
	case IKE_EV_KEEPALIVE:
		if (d->socks.natt && ikeio_udp_send_keepalive(d->socks.natt, &ev->u.keepalive.path) != IKE_OK)
			ikeio_logf(&d->sink, IKE_LOG_DEBUG, IKE_SUB_NET, NULL, "keepalive not sent");
		break;
	default:
		break;
	}
	fflush(stdout);
}

static void cb_log(void *user, const ike_log_rec *rec)
{
	ikeio_log_stderr(&((drv *)user)->sink, rec);
}

static void on_ike(void *user, ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len)
{
	drv *d = user;
	int rc;

	if (d->closed)
		return;
	rc = ike_engine_recv(d->e, path, pkt, len, ikeio_now(d->loop));
	if (ike_err_is_fatal(rc)) {
		ikeio_logf(&d->sink, IKE_LOG_ERROR, IKE_SUB_NET, NULL, "engine: %s", ike_strerror(rc));
		d->exit_code = 1;
		shutdown_now(d);
		return;
	}
	ikeio_driver_rearm(d->timer);
}

static void on_esp(void *user, ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len)
{
	/* No data plane in the driver: counted by the socket, dropped. */
}

static ike_ms drv_deadline(void *obj)
{
	return ike_engine_next_deadline(((drv *)obj)->e);
}

static int drv_tick(void *obj, ike_ms now)
{
	return ike_engine_tick(((drv *)obj)->e, now);
}

static void on_stop(void *user, int signum)
{
	drv *d = user;

	if (d->stopping) {
		shutdown_now(d);
		return;
	}
	d->stopping = true;
	if (ike_sa_ref_valid(d->sa) && ike_engine_terminate(d->e, d->sa, ikeio_now(d->loop)) == IKE_OK) {
		ikeio_driver_rearm(d->timer);
		uv_timer_start(&d->deadline, on_deadline, 2000, 0); /* grace period for the DELETE */
		return;
	}
	shutdown_now(d);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_id(const char *text, ike_id *id)
{
	ike_addr a;
	size_t n;

	memset(id, 0, sizeof *id);
	if (strncmp(text, "@#", 2) == 0) {
		text += 2;
		n = strlen(text);
		if (n == 0 || n % 2 || n / 2 > IKE_ID_MAX)
			return IKE_ERR_INVAL;
		for (size_t i = 0; i < n / 2; i++) {
			int hi = hexval(text[2 * i]), lo = hexval(text[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return IKE_ERR_INVAL;
			id->data[i] = (uint8_t)(hi << 4 | lo);
		}
		id->type = IKE_ID_KEY_ID;
		id->len = (uint8_t)(n / 2);
		return IKE_OK;
	}
	if (ike_addr_parse(&a, text, 0) == IKE_OK) {
		id->type = a.family == IKE_AF_INET ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
		id->len = a.family == IKE_AF_INET ? 4 : 16;
		memcpy(id->data, a.ip, id->len);
		return IKE_OK;
	}
	if (text[0] == '@')
		text++;
	n = strlen(text);
	if (n == 0 || n > IKE_ID_MAX)
		return IKE_ERR_INVAL;
	id->type = IKE_ID_FQDN;
	id->len = (uint8_t)n;
	memcpy(id->data, text, n);
	return IKE_OK;
}

/* Reads a whole (small) file into a new buffer. */
static int read_file(const char *path, ike_slice *out)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f)
		return IKE_ERR_IO;
	buf = malloc(65536);
	n = buf ? fread(buf, 1, 65536, f) : 0;
	fclose(f);
	if (!buf || n == 0 || n == 65536) {
		free(buf);
		return buf ? IKE_ERR_INVAL : IKE_ERR_NOMEM;
	}
	*out = (ike_slice){ buf, n };
	return IKE_OK;
}

static int key_id_of(const char *path, ike_id *id)
{
	ike_key *k = NULL;
	int rc = ike_key_load_file(&k, NULL, path);

	if (rc == IKE_OK)
		rc = ike_key_id(k, IKE_KEYID_SPK, id);
	ike_key_free(k);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: ikedrv --role initiator|responder --local ADDR [--remote ADDR]\n"
			"              (--key PRIV --peer-pubkey PUB | --psk SECRET --id ID --peer-id ID)\n"
			"              [--local-ts CIDR] [--remote-ts CIDR] [--port N] [--natt-port N]\n"
			"              [--timeout SECONDS] [--dpd SECONDS] [--log-level LEVEL] [--name NAME]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", 1, NULL, 'r' },      { "local", 1, NULL, 'l' },   { "remote", 1, NULL, 'R' },
		{ "key", 1, NULL, 'k' },       { "peer-pubkey", 1, NULL, 'P' }, { "psk", 1, NULL, 's' },
		{ "id", 1, NULL, 'i' },        { "peer-id", 1, NULL, 'I' }, { "local-ts", 1, NULL, 't' },
		{ "remote-ts", 1, NULL, 'T' }, { "port", 1, NULL, 'p' },    { "natt-port", 1, NULL, 'n' },
		{ "timeout", 1, NULL, 'w' },   { "log-level", 1, NULL, 'v' }, { "name", 1, NULL, 'N' },
		{ "dpd", 1, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL, *local = NULL, *remote = NULL, *key = NULL, *pub = NULL, *psk = NULL;
	const char *id = NULL, *peer_id = NULL, *lts = NULL, *rts = NULL, *name = "peer";
	unsigned port = 500, natt_port = 4500, timeout = 0, dpd = 30;
	ike_slice priv = { 0 }, peerpub = { 0 };
	ike_config cfg;
	ike_callbacks cb = { cb_send, cb_lookup, cb_event, cb_log, NULL };
	ikeio_udp_cbs ucb = { on_ike, on_esp, NULL };
	ikeio_udp_cfg ucfg = { 0 };
	ikeio_driver_ops dops = { drv_deadline, drv_tick, NULL };
	uv_loop_t loop;
	drv d;
	int c, rc;

	memset(&d, 0, sizeof d);
	d.sink.max = IKE_LOG_INFO;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': role = optarg; break;
		case 'l': local = optarg; break;
		case 'R': remote = optarg; break;
		case 'k': key = optarg; break;
		case 'P': pub = optarg; break;
		case 's': psk = optarg; break;
		case 'i': id = optarg; break;
		case 'I': peer_id = optarg; break;
		case 't': lts = optarg; break;
		case 'T': rts = optarg; break;
		case 'p': port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': natt_port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': timeout = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'v':
			if (ike_log_level_parse(optarg, &d.sink.max) != IKE_OK)
				usage();
			break;
		case 'N': name = optarg; break;
		case 'D': dpd = (unsigned)strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!role || !local || (strcmp(role, "initiator") && strcmp(role, "responder")) || port > 65535 ||
	    natt_port > 65535)
		usage();
	d.initiator = strcmp(role, "initiator") == 0;
	if (d.initiator && !remote)
		usage();
	if (!psk && (!key || !pub))
		usage();

	ike_config_defaults(&cfg);
	cfg.log_level = d.sink.max;
	cfg.name = name;
	cfg.port = (uint16_t)port;
	cfg.natt_port = (uint16_t)natt_port;
	cfg.dpd_interval_ms = (ike_ms)dpd * 1000;
	d.peer.name = name;
	if (ike_addr_parse(&d.peer.local, local, 0) != IKE_OK ||
	    (remote && ike_addr_parse(&d.peer.remote, remote, (uint16_t)port) != IKE_OK)) {
		fprintf(stderr, "ikedrv: bad address\n");
		return 2;
	}
	if (key) {
		if (read_file(key, &priv) != IKE_OK || key_id_of(key, &cfg.local_id) != IKE_OK ||
		    read_file(pub, &peerpub) != IKE_OK || key_id_of(pub, &d.peer.remote_id) != IKE_OK) {
			fprintf(stderr, "ikedrv: cannot load %s or %s\n", key, pub);
			return 2;
		}
		cfg.private_key = priv;
		d.peer.local_auth = d.peer.remote_auth = IKE_AUTHBY_PUBKEY;
		d.peer.remote_pubkey = peerpub;
	} else {
		d.peer.local_auth = d.peer.remote_auth = IKE_AUTHBY_PSK;
		d.peer.psk = (ike_slice){ (const uint8_t *)psk, strlen(psk) };
	}
	if ((id && parse_id(id, &cfg.local_id) != IKE_OK) || (peer_id && parse_id(peer_id, &d.peer.remote_id) != IKE_OK) ||
	    (!key && (!id || !peer_id))) {
		fprintf(stderr, "ikedrv: bad or missing --id/--peer-id\n");
		return 2;
	}
	d.peer.local_id = cfg.local_id;
	if ((lts && (ike_tsel_parse(&d.peer.local_ts.ts[0], lts) != IKE_OK || !(d.peer.local_ts.n = 1))) ||
	    (rts && (ike_tsel_parse(&d.peer.remote_ts.ts[0], rts) != IKE_OK || !(d.peer.remote_ts.n = 1)))) {
		fprintf(stderr, "ikedrv: bad traffic selector\n");
		return 2;
	}
	d.peer.ike_proposals = "aes128gcm16-prfsha256-x25519";
	d.peer.esp_proposals = "aes128gcm16";

	uv_loop_init(&loop);
	d.loop = &loop;
	rc = ike_engine_new(&d.e, &cfg, &cb, &d, ikeio_now(&loop));
	if (rc != IKE_OK) {
		fprintf(stderr, "ikedrv: engine: %s\n", ike_strerror(rc));
		return 1;
	}
	ucfg.bind = d.peer.local;
	ucfg.bind.port = (uint16_t)port;
	rc = ikeio_udp_open(&loop, &ucfg, &ucb, &d, &d.socks.ike);
	if (rc == IKE_OK) {
		ucfg.bind.port = (uint16_t)natt_port;
		ucfg.natt = true;
		rc = ikeio_udp_open(&loop, &ucfg, &ucb, &d, &d.socks.natt);
	}
	if (rc == IKE_OK)
		rc = ikeio_driver_new(&loop, &dops, &d, &d.timer);
	if (rc == IKE_OK)
		rc = ikeio_signals_new(&loop, on_stop, &d, &d.sigs);
	if (rc != IKE_OK) {
		fprintf(stderr, "ikedrv: %s\n", ike_strerror(rc));
		ikeio_udp_close(d.socks.ike);
		ikeio_udp_close(d.socks.natt);
		ikeio_driver_free(d.timer);
		uv_run(&loop, UV_RUN_DEFAULT);
		ike_engine_free(d.e);
		uv_loop_close(&loop);
		return 1;
	}
	uv_timer_init(&loop, &d.deadline);
	d.deadline.data = &d;
	if (timeout)
		uv_timer_start(&d.deadline, on_deadline, (uint64_t)timeout * 1000, 0);
	if (d.initiator) {
		rc = ike_engine_initiate(d.e, &d.peer, ikeio_now(&loop), &d.sa);
		if (rc != IKE_OK) {
			fprintf(stderr, "ikedrv: initiate: %s\n", ike_strerror(rc));
			d.exit_code = 1;
			shutdown_now(&d);
		}
		ikeio_driver_rearm(d.timer);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	ike_engine_free(d.e);
	uv_loop_close(&loop);
	free((void *)priv.ptr);
	free((void *)peerpub.ptr);
	return d.exit_code;
}
