/* SPDX-License-Identifier: MIT */
/*
 * `medsrv run` for real: the daemon (ms_run on its own thread: workers, UDP
 * sockets, control socket, database lookups) on a loopback address unique to
 * this process (127.X.Y.1, ports: one high port for IKE and 4500 for NAT-T,
 * which the engine always floats to), and client engines on 127.X.Y.2.. with
 * ike_io sockets on this thread's loop. SIGTERM ends the daemon.
 */
#define _DEFAULT_SOURCE /* usleep */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "ike/crypto_key.h"
#include "ike/engine.h"
#include "ike/iana.h"
#include "ikeio/ctl.h"
#include "ikeio/driver.h"
#include "ikeio/udp.h"
#include "medsrv/cmd.h"
#include "medsrv/server.h"

#define NCLI 3

typedef struct cli {
	ike_key *key;
	char *pem;
	size_t pem_len;
	ike_id id;
	ike_engine *e;
	ikeio_udp_pair socks;
	ikeio_driver *drv;
	ike_sa_ref sa;
	char ip[32];
	unsigned ups, downs, ngot, nreplies;
	uint16_t reply;
	ike_me_connect got;
	bool have_ep;
	ike_addr ep;
} cli;

static char dir[64], srv_ip[32], ctl[128];
static uint16_t srv_port;
static cli clients[NCLI];
static uv_loop_t loop;
static ms_run_opts run_opts;
static int run_rc = 99;
static uint8_t srv_keyid[IKE_KEYID_LEN];
static uint8_t srv_pub[2048];
static size_t srv_pub_len;

static void *server_thread(void *arg)
{
	(void)arg;
	run_rc = ms_run(&run_opts);
	return NULL;
}

/* ---- client callbacks ---- */

static int c_lookup(void *user, const ike_id *id, const ike_path *path, ike_peer_cfg *out)
{
	(void)user;
	(void)id;
	(void)path;
	(void)out;
	return IKE_ERR_NOT_FOUND;
}

static void c_event(void *user, const ike_event *ev)
{
	cli *c = user;

	switch (ev->type) {
	case IKE_EV_SA_UP:
		c->ups++;
		break;
	case IKE_EV_SA_DOWN:
		c->downs++;
		break;
	case IKE_EV_ME_CONNECT:
		c->ngot++;
		c->got = *ev->u.me_connect.req;
		break;
	case IKE_EV_ME_CONNECT_REPLY:
		c->nreplies++;
		c->reply = ev->u.me_reply.notify;
		break;
	case IKE_EV_ME_ENDPOINT:
		c->have_ep = true;
		c->ep = ev->u.me_endpoint.addr;
		break;
	default:
		break;
	}
}

static int c_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	return ikeio_udp_pair_send(&((cli *)user)->socks, path, pkt, len);
}

static void c_on_ike(void *user, ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len)
{
	cli *c = user;
	int rc = ike_engine_recv(c->e, path, pkt, len, ikeio_now(&loop));

	cr_assert(not(ike_err_is_fatal(rc)));
	(void)s;
	ikeio_driver_rearm(c->drv);
}

static ike_ms drv_deadline(void *obj)
{
	return ike_engine_next_deadline(obj);
}

static int drv_tick(void *obj, ike_ms now)
{
	return ike_engine_tick(obj, now);
}

/* ---- helpers ---- */

static int ms(const char *first, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;

	argv[argc++] = "medsrv";
	va_start(ap, first);
	for (const char *a = first; a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return ms_main(argc, argv);
}

static void stop_loop(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Runs the client loop for up to ms milliseconds or until cond() holds. */
static bool pump_until(bool (*cond)(void), unsigned ms_max)
{
	uv_timer_t t;
	bool ok = false;

	uv_timer_init(&loop, &t);
	for (unsigned waited = 0; waited < ms_max; waited += 20) {
		if (cond && cond()) {
			ok = true;
			break;
		}
		uv_timer_start(&t, stop_loop, 20, 0);
		uv_run(&loop, UV_RUN_DEFAULT);
	}
	if (!ok && cond)
		ok = cond();
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	return ok;
}

static bool all_up(void)
{
	for (int i = 0; i < NCLI; i++)
		if (!clients[i].ups)
			return false;
	return true;
}

static bool all_down(void)
{
	for (int i = 0; i < NCLI; i++)
		if (!clients[i].downs)
			return false;
	return true;
}

static json_t *status(void)
{
	json_t *req = json_pack("{s:s}", "cmd", "status"), *reply = NULL;
	int rc = ikeio_ctl_call(ctl, req, 2000, &reply);

	json_decref(req);
	cr_assert(eq(int, rc, IKE_OK), "control socket: %s", ike_strerror(rc));
	return reply;
}

static void setup(unsigned workers)
{
	char path[128];
	unsigned a = (unsigned)getpid() % 200 + 20, b = (unsigned)(getpid() / 200) % 250 + 1;
	ike_key *sk;
	FILE *f;

	snprintf(dir, sizeof dir, "/tmp/ms_run.XXXXXX");
	cr_assert(mkdtemp(dir) != NULL);
	snprintf(srv_ip, sizeof srv_ip, "127.%u.%u.1", a, b);
	srv_port = (uint16_t)(20000 + getpid() % 20000);
	snprintf(ctl, sizeof ctl, "%s/medsrv.ctl", dir);
	cr_assert(eq(int, ms("init", "--dir", dir, NULL), 0));
	snprintf(path, sizeof path, "%s/medsrv.pub", dir);
	cr_assert(eq(int, ike_key_load_file(&sk, NULL, path), IKE_OK));
	cr_assert(eq(int, ike_key_keyid(sk, IKE_KEYID_SPK, srv_keyid), IKE_OK));
	cr_assert(
	    eq(int, ike_key_public_der(sk, IKE_KEY_PUB_SPKI, srv_pub, sizeof srv_pub, &srv_pub_len), IKE_OK));
	ike_key_free(sk);
	for (int i = 0; i < NCLI; i++) {
		cli *c = &clients[i];
		char pem[4096], alias[16];
		size_t len;

		cr_assert(eq(int, ike_key_generate(&c->key, NULL, 2048), IKE_OK));
		cr_assert(eq(int, ike_key_private_pem(c->key, NULL, &c->pem, &c->pem_len), IKE_OK));
		cr_assert(eq(int, ike_key_id(c->key, IKE_KEYID_SPK, &c->id), IKE_OK));
		snprintf(c->ip, sizeof c->ip, "127.%u.%u.%d", a, b, i + 2);
		if (i == NCLI - 1)
			continue; /* the last client's key is added while the server runs */
		snprintf(path, sizeof path, "%s/c%d.pub", dir, i);
		cr_assert(eq(int, ike_key_public_pem(c->key, pem, sizeof pem, &len), IKE_OK));
		f = fopen(path, "w");
		fwrite(pem, 1, len, f);
		fclose(f);
		snprintf(alias, sizeof alias, "c%d", i);
		cr_assert(
		    eq(int, ms("peer", "add", "--dir", dir, "--alias", alias, "--pubkey", path, NULL), 0));
	}
	memset(&run_opts, 0, sizeof run_opts);
	run_opts.dir = dir;
	run_opts.listen[0] = srv_ip;
	run_opts.nlisten = 1;
	run_opts.port = srv_port;
	run_opts.natt_port = 4500;
	run_opts.log_level = getenv("TST_LOG") ? IKE_LOG_DEBUG : IKE_LOG_WARN;
	run_opts.workers = workers;
	run_opts.dpd_s = 30;
	cr_assert(eq(int, uv_loop_init(&loop), 0));
}

static void add_last_client(void)
{
	cli *c = &clients[NCLI - 1];
	char path[128], pem[4096];
	size_t len;
	FILE *f;

	snprintf(path, sizeof path, "%s/last.pub", dir);
	cr_assert(eq(int, ike_key_public_pem(c->key, pem, sizeof pem, &len), IKE_OK));
	f = fopen(path, "w");
	fwrite(pem, 1, len, f);
	fclose(f);
	cr_assert(eq(int, ms("peer", "add", "--dir", dir, "--alias", "late", "--pubkey", path, NULL), 0));
}

static void start_client(cli *c)
{
	ike_callbacks cb = {c_send, c_lookup, c_event, NULL, NULL};
	ikeio_udp_cbs ucb = {c_on_ike, NULL, NULL};
	ikeio_driver_ops dops = {drv_deadline, drv_tick, NULL};
	ikeio_udp_cfg ucfg;
	ike_config cfg;
	ike_peer_cfg peer;

	ike_config_defaults(&cfg);
	cfg.private_key = (ike_slice){(const uint8_t *)c->pem, c->pem_len};
	cfg.local_id = c->id;
	cfg.port = srv_port;
	cfg.natt_port = 4500;
	cfg.log_level = IKE_LOG_WARN;
	cr_assert(eq(int, ike_engine_new(&c->e, &cfg, &cb, c, ikeio_now(&loop)), IKE_OK));
	memset(&ucfg, 0, sizeof ucfg);
	cr_assert(eq(int, ike_addr_parse(&ucfg.bind, c->ip, srv_port), IKE_OK));
	cr_assert(eq(int, ikeio_udp_open(&loop, &ucfg, &(ikeio_udp_cbs){c_on_ike, NULL, NULL}, c, &c->socks.ike),
	             IKE_OK));
	ucfg.bind.port = 4500;
	ucfg.natt = true;
	cr_assert(eq(int, ikeio_udp_open(&loop, &ucfg, &ucb, c, &c->socks.natt), IKE_OK));
	cr_assert(eq(int, ikeio_driver_new(&loop, &dops, c->e, &c->drv), IKE_OK));
	memset(&peer, 0, sizeof peer);
	peer.name = "medsrv";
	cr_assert(eq(int, ike_addr_parse(&peer.local, c->ip, srv_port), IKE_OK));
	cr_assert(eq(int, ike_addr_parse(&peer.remote, srv_ip, srv_port), IKE_OK));
	peer.local_auth = peer.remote_auth = IKE_AUTHBY_PUBKEY;
	peer.remote_pubkey = (ike_slice){srv_pub, srv_pub_len};
	peer.remote_id.type = IKE_ID_KEY_ID;
	peer.remote_id.len = IKE_KEYID_LEN;
	memcpy(peer.remote_id.data, srv_keyid, IKE_KEYID_LEN);
	peer.mediation = true;
	peer.no_child = true;
	cr_assert(eq(int, ike_engine_initiate(c->e, &peer, ikeio_now(&loop), &c->sa), IKE_OK));
	ikeio_driver_rearm(c->drv);
}

static void teardown(void)
{
	char cmd[128];

	for (int i = 0; i < NCLI; i++) {
		cli *c = &clients[i];
		ikeio_driver_free(c->drv);
		ikeio_udp_close(c->socks.ike);
		ikeio_udp_close(c->socks.natt);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	for (int i = 0; i < NCLI; i++) {
		ike_engine_free(clients[i].e);
		ike_mem_freezero(NULL, clients[i].pem, clients[i].pem_len + 1);
		ike_key_free(clients[i].key);
	}
	cr_assert(eq(int, uv_loop_close(&loop), 0));
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert(eq(int, system(cmd), 0));
}

static bool is_online(const json_t *p)
{
	return json_is_true(json_object_get(p, "online"));
}

static json_t *peer_in(json_t *st, const cli *c)
{
	char hex[IKE_KEYID_HEX_LEN + 1];
	json_t *p;
	size_t i;

	ike_keyid_format(c->id.data, hex);
	json_array_foreach(json_object_get(st, "peers"), i, p)
	{
		if (strcmp(json_string_value(json_object_get(p, "keyid")), hex) == 0)
			return p;
	}
	return NULL;
}

static void run_daemon(unsigned workers)
{
	pthread_t th;
	json_t *st, *p;
	ike_me_connect req;
	char want[64];
	bool answering = false;

	setup(workers);
	cr_assert(eq(int, pthread_create(&th, NULL, server_thread, NULL), 0));
	for (int i = 0; i < 100 && !answering; i++) {
		json_t *r = json_pack("{s:s}", "cmd", "status"), *reply = NULL;
		answering = ikeio_ctl_call(ctl, r, 500, &reply) == IKE_OK;
		json_decref(r);
		json_decref(reply);
		if (!answering)
			usleep(50000);
	}
	cr_assert(answering, "medsrv run did not answer (rc %d)", run_rc);
	{
		char port[16];
		snprintf(port, sizeof port, "%u", srv_port);
		cr_assert(
		    eq(int,
		       ms("run", "--dir", dir, "--listen", srv_ip, "--port", port, "--workers", "1", NULL),
		       1),
		    "a second medsrv on the same directory must refuse to start");
	}

	add_last_client();
	for (int i = 0; i < NCLI; i++)
		start_client(&clients[i]);
	cr_assert(pump_until(all_up, 10000), "not every client registered");
	st = status();
	for (int i = 0; i < NCLI; i++) {
		p = peer_in(st, &clients[i]);
		cr_assert(p != NULL);
		cr_assert(is_online(p), "client %d not online", i);
		snprintf(want, sizeof want, "%s:4500", clients[i].ip);
		cr_assert(eq(str, (char *)json_string_value(json_object_get(p, "endpoint")), want));
	}
	cr_assert(eq(i64,
	             json_integer_value(json_object_get(json_object_get(st, "counters"), "registrations")),
	             NCLI));
	fprintf(stderr,
	        "ms_run: %" JSON_INTEGER_FORMAT " worker(s), %" JSON_INTEGER_FORMAT " datagrams forwarded\n",
	        json_integer_value(json_object_get(json_object_get(st, "server"), "workers")),
	        json_integer_value(json_object_get(json_object_get(st, "counters"), "forwarded")));
	json_decref(st);

	/* client 0 asks for client 2 (the one added while running) */
	memset(&req, 0, sizeof req);
	req.peer = clients[2].id;
	req.connect_id_len = 4;
	memcpy(req.connect_id, "\x11\x22\x33\x44", 4);
	req.connect_key_len = 16;
	memset(req.connect_key, 7, 16);
	req.n_endpoints = 1;
	req.endpoints[0].type = IKE_ME_HOST;
	cr_assert(eq(int, ike_addr_parse(&req.endpoints[0].addr, clients[0].ip, 4500), IKE_OK));
	cr_assert(
	    eq(int, ike_engine_me_connect(clients[0].e, clients[0].sa, &req, ikeio_now(&loop)), IKE_OK));
	ikeio_driver_rearm(clients[0].drv);
	for (int i = 0; i < 250 && !(clients[2].ngot && clients[0].nreplies); i++)
		pump_until(NULL, 20);
	cr_assert(eq(u32, clients[0].nreplies, 1));
	cr_assert(eq(u16, clients[0].reply, 0));
	cr_assert(eq(u32, clients[2].ngot, 1));
	cr_assert(ike_id_eq(&clients[2].got.peer, &clients[0].id));
	cr_assert(eq(int, memcmp(clients[2].got.connect_id, "\x11\x22\x33\x44", 4), 0));

	/* SIGTERM: the daemon deletes the registrations and exits */
	cr_assert(eq(int, kill(getpid(), SIGTERM), 0));
	cr_assert(pump_until(all_down, 5000), "the clients were not told (DELETE)");
	cr_assert(eq(int, pthread_join(th, NULL), 0));
	cr_assert(eq(int, run_rc, IKE_OK));
	teardown();
}

Test(ms_run, serves_registrations_status_and_relays_over_udp_then_stops_on_sigterm, .timeout = 60)
{
	run_daemon(1);
}

Test(ms_run, serves_with_one_worker_per_cpu, .timeout = 60)
{
	run_daemon(0);
}
