/* SPDX-License-Identifier: MIT */
/* The in-memory network for the medsrv tests (see net.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "medsrv/route.h"
#include "net.h"

static net_key keys[NET_KEYS];
static const ms_turn_config *g_turn; /* net_set_turn */

const net_key *net_key_get(int i)
{
	net_key *k = &keys[i];
	if (k->key)
		return k;
	if (ike_key_generate(&k->key, NULL, 2048) != IKE_OK ||
	    ike_key_keyid(k->key, IKE_KEYID_SPK, k->keyid) != IKE_OK ||
	    ike_key_keyid(k->key, IKE_KEYID_SPKI, k->keyid_spki) != IKE_OK ||
	    ike_key_public_der(k->key, IKE_KEY_PUB_SPKI, k->der, sizeof k->der, &k->der_len) != IKE_OK ||
	    ike_key_private_pem(k->key, NULL, &k->pem, &k->pem_len) != IKE_OK)
		abort();
	return k;
}

/* ---- the server's own counting allocator (on top of tst_mem) ---- */

#define HDR 16

static void *srv_malloc(void *user, size_t size)
{
	net *n = user;
	uint8_t *p = tst_mem()->malloc(tst_mem()->user, size + HDR);

	if (!p)
		return NULL;
	memcpy(p, &size, sizeof size);
	n->srv_live += size;
	return p + HDR;
}

static void srv_free(void *user, void *ptr)
{
	net *n = user;
	uint8_t *p = ptr;
	size_t size;

	if (!p)
		return;
	p -= HDR;
	memcpy(&size, p, sizeof size);
	n->srv_live -= size;
	tst_mem()->free(tst_mem()->user, p);
}

static void *srv_calloc(void *user, size_t nmemb, size_t size)
{
	void *p;

	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	p = srv_malloc(user, nmemb * size);
	if (p)
		memset(p, 0, nmemb * size);
	return p;
}

static void *srv_realloc(void *user, void *ptr, size_t size)
{
	uint8_t *p;
	size_t old;

	if (!ptr)
		return srv_malloc(user, size);
	p = srv_malloc(user, size);
	if (!p)
		return NULL;
	memcpy(&old, (uint8_t *)ptr - HDR, sizeof old);
	memcpy(p, ptr, old < size ? old : size);
	srv_free(user, ptr);
	return p;
}

/* ---- server callbacks ---- */

typedef struct srv_ctx {
	net *n;
	int shard;
} srv_ctx;

static srv_ctx ctx[NET_SHARDS];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void push(net *n, int from, const ike_path *path, const uint8_t *pkt, size_t len)
{
	net_dgram *d;

	if (n->nq >= NET_Q || len > sizeof d->data)
		return;
	d = &n->q[n->nq++];
	d->from = from;
	d->path = *path;
	d->len = len;
	memcpy(d->data, pkt, len);
	if (from >= 0 && n->node[from].nat) {
		uint16_t port = d->path.local.port;
		d->path.local = n->node[from].nat_public;
		d->path.local.port = (uint16_t)(port + 20000);
	}
}

static int srv_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	srv_ctx *c = user;

	push(c->n, -1 - c->shard, path, pkt, len);
	return IKE_OK;
}

static int srv_find(void *user, const uint8_t *keyid, size_t len, ms_peer_key *out)
{
	srv_ctx *c = user;

	c->n->find_calls++;
	if (len != IKE_KEYID_LEN)
		return IKE_ERR_NOT_FOUND;
	for (int i = 1; i < NET_KEYS; i++) {
		const net_key *k = net_key_get(i);
		if (!c->n->enrolled[i])
			continue;
		if (memcmp(k->keyid, keyid, len) == 0 || memcmp(k->keyid_spki, keyid, len) == 0) {
			memcpy(out->keyid, k->keyid, IKE_KEYID_LEN);
			out->pubkey = k->der;
			out->pubkey_len = k->der_len;
			return IKE_OK;
		}
	}
	return IKE_ERR_NOT_FOUND;
}

static int srv_post(void *user, const ms_msg *m)
{
	srv_ctx *c = user;

	if (c->n->nbus >= NET_Q)
		return IKE_ERR_LIMIT;
	c->n->bus[c->n->nbus++] = *m;
	return IKE_OK;
}

static void srv_log(void *user, const ike_log_rec *rec)
{
	srv_ctx *c = user;
	net *n = c->n;

	snprintf(n->log[n->nlog % NET_LOG_LINES], sizeof n->log[0], "%s %s [%s] %s",
	         ike_log_level_name(rec->lvl), ike_subsys_name(rec->sub), rec->tag ? rec->tag : "", rec->msg);
	if (strncmp(rec->msg, "refused", 7) == 0)
		n->refused_lines++;
	if (getenv("TST_LOG"))
		fprintf(stderr, "srv%d %s\n", c->shard, n->log[n->nlog % NET_LOG_LINES]);
	n->nlog++;
}

static void any_rand(void *user, uint8_t *out, size_t len)
{
	uint32_t *st = user;

	for (size_t i = 0; i < len; i++) {
		*st ^= *st << 13;
		*st ^= *st >> 17;
		*st ^= *st << 5;
		out[i] = (uint8_t)(*st >> 7);
	}
}

static void srv_rand(void *user, uint8_t *out, size_t len)
{
	srv_ctx *c = user;

	any_rand(&c->n->rand_state, out, len);
}

/* ---- client callbacks ---- */

static int cli_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	net_node *nd = user;

	push(nd->net, nd->idx, path, pkt, len);
	return IKE_OK;
}

static int cli_lookup(void *user, const ike_id *id, const ike_path *path, ike_peer_cfg *out)
{
	(void)user;
	(void)id;
	(void)path;
	(void)out;
	return IKE_ERR_NOT_FOUND;
}

static void cli_event(void *user, const ike_event *ev)
{
	net_node *nd = user;

	switch (ev->type) {
	case IKE_EV_SA_UP:
		nd->ups++;
		break;
	case IKE_EV_SA_DOWN:
		nd->downs++;
		nd->down_notify = ev->u.sa_down.notify;
		nd->down_reason = ev->u.sa_down.reason;
		break;
	case IKE_EV_ME_TURN:
		nd->turn = *ev->u.me_turn.turn;
		nd->nturn++;
		nd->turn_at = nd->net->now;
		break;
	case IKE_EV_ME_ENDPOINT:
		nd->have_endpoint = true;
		nd->endpoint = ev->u.me_endpoint.addr;
		break;
	case IKE_EV_ME_CONNECT:
		if (nd->ngot < NET_REC)
			nd->got[nd->ngot++] = *ev->u.me_connect.req;
		break;
	case IKE_EV_ME_CONNECT_REPLY:
		if (nd->nreplies < NET_REC)
			nd->replies[nd->nreplies++] = ev->u.me_reply.notify;
		break;
	default:
		break;
	}
}

static void cli_log(void *user, const ike_log_rec *rec)
{
	net_node *nd = user;

	if (getenv("TST_LOG"))
		fprintf(stderr, "cli%d %s [%s] %s\n", nd->idx, ike_log_level_name(rec->lvl),
		        rec->tag ? rec->tag : "", rec->msg);
}

static void cli_rand(void *user, uint8_t *out, size_t len)
{
	net_node *nd = user;

	any_rand(&nd->net->rand_state, out, len);
}

static const ike_callbacks cli_cb = {cli_send, cli_lookup, cli_event, cli_log, cli_rand};

/* ---- setup ---- */

static void init(net *n, unsigned nshards, unsigned nclients, unsigned nat_mask, bool spi_routing)
{
	const net_key *sk = net_key_get(0);
	ms_shard_callbacks cb = {srv_send, srv_find, srv_post, srv_log, srv_rand};

	memset(n, 0, sizeof *n);
	n->spi_routing = spi_routing;
	n->now = 1000000;
	n->rand_state = 0x2545f491;
	n->nshards = nshards;
	(void)ike_addr_parse(&n->srv, "198.51.100.10", 500);
	n->srv_mem = (ike_mem){n, srv_malloc, srv_free, srv_calloc, srv_realloc};
	if (ms_registry_new(&n->reg, &n->srv_mem, NULL) != IKE_OK)
		abort();
	for (unsigned s = 0; s < nshards; s++) {
		ms_shard_config cfg;
		ms_shard_config_defaults(&cfg);
		cfg.engine.mem = &n->srv_mem;
		cfg.engine.log_level = IKE_LOG_DEBUG;
		cfg.engine.name = "medsrv";
		cfg.engine.private_key = (ike_slice){(const uint8_t *)sk->pem, sk->pem_len};
		if (ike_key_id(sk->key, IKE_KEYID_SPK, &cfg.engine.local_id) != IKE_OK)
			abort();
		cfg.index = (uint16_t)s;
		cfg.registry = n->reg;
		cfg.turn = g_turn;
#ifdef MEDSRV_HAVE_SPI_SHARD
		if (spi_routing) {
			cfg.engine.spi_shard_bits = 1;
			cfg.engine.spi_shard = s;
		}
#endif
		ctx[s].n = n;
		ctx[s].shard = (int)s;
		if (ms_shard_new(&n->shard[s], &cfg, &cb, &ctx[s], n->now) != IKE_OK)
			abort();
	}
	n->nnodes = nclients;
	for (unsigned i = 0; i < nclients; i++) {
		net_node *nd = &n->node[i];
		const net_key *k = net_key_get((int)i + 1);
		char ip[32];

		n->enrolled[i + 1] = true;
		nd->net = n;
		nd->idx = (int)i;
		nd->shard = 0;
		snprintf(ip, sizeof ip, "10.0.%u.10", i + 1);
		(void)ike_addr_parse(&nd->addr, ip, 500);
		if (nat_mask >> i & 1) {
			nd->nat = true;
			snprintf(ip, sizeof ip, "203.0.113.%u", i + 1);
			(void)ike_addr_parse(&nd->nat_public, ip, 0);
		} else {
			snprintf(ip, sizeof ip, "198.51.100.%u", 100 + i);
			(void)ike_addr_parse(&nd->addr, ip, 500);
		}
		ike_config_defaults(&nd->cfg);
		nd->cfg.mem = tst_mem();
		nd->cfg.log_level = IKE_LOG_DEBUG;
		nd->cfg.private_key = (ike_slice){(const uint8_t *)k->pem, k->pem_len};
		nd->cfg.rekey_jitter_ms = 0;
		if (ike_key_id(k->key, IKE_KEYID_SPK, &nd->cfg.local_id) != IKE_OK)
			abort();
		nd->peer.name = "medsrv";
		nd->peer.local = nd->addr;
		nd->peer.remote = n->srv;
		nd->peer.local_auth = IKE_AUTHBY_PUBKEY;
		nd->peer.remote_auth = IKE_AUTHBY_PUBKEY;
		nd->peer.remote_pubkey = (ike_slice){sk->der, sk->der_len};
		if (ike_key_id(sk->key, IKE_KEYID_SPK, &nd->peer.remote_id) != IKE_OK)
			abort();
		nd->peer.mediation = true;
		nd->peer.no_child = true;
	}
}

void net_set_turn(const ms_turn_config *turn)
{
	g_turn = turn;
}

void net_init(net *n, unsigned nshards, unsigned nclients, unsigned nat_mask)
{
	init(n, nshards, nclients, nat_mask, false);
}

void net_init_spi_routing(net *n, unsigned nshards, unsigned nclients, unsigned nat_mask)
{
	init(n, nshards, nclients, nat_mask, true);
}

static void node_start(net_node *nd)
{
	if (!nd->e && ike_engine_new(&nd->e, &nd->cfg, &cli_cb, nd, nd->net->now) != IKE_OK)
		abort();
}

void net_free(net *n)
{
	for (unsigned i = 0; i < n->nnodes; i++) {
		ike_engine_free(n->node[i].e);
		n->node[i].e = NULL;
	}
	for (unsigned s = 0; s < n->nshards; s++) {
		ms_shard_free(n->shard[s]);
		n->shard[s] = NULL;
	}
	ms_registry_free(n->reg);
	n->reg = NULL;
}

void net_register(net *n, int i)
{
	net_node *nd = &n->node[i];

	node_start(nd);
	if (ike_engine_initiate(nd->e, &nd->peer, n->now, &nd->sa) != IKE_OK)
		abort();
}

int net_deliver_one(net *n)
{
	net_dgram d;
	ike_path p;

	if (!n->nq)
		return 1;
	d = n->q[0];
	memmove(&n->q[0], &n->q[1], (n->nq - 1) * sizeof n->q[0]);
	n->nq--;
	p.local = d.path.remote;
	p.remote = d.path.local;
	if (d.from >= 0) {
		int s = n->node[d.from].shard;
		if (!ike_addr_ip_eq(&p.local, &n->srv))
			return IKE_ERR_NOT_FOUND;
		if (n->spi_routing) {
			/* The kernel's SO_REUSEPORT choice, made wrong on purpose after
			 * IKE_SA_INIT; the receiving shard routes by the responder SPI. */
			unsigned kernel = (unsigned)s, owner;
			bool init_req = d.len >= 16 && !memcmp(d.data + 8, "\0\0\0\0\0\0\0\0", 8);
			if (!init_req)
				kernel = (kernel + 1) % n->nshards;
			owner = ms_route_shard(d.data, d.len, 1, n->nshards, kernel);
			if (owner != kernel)
				n->forwarded++;
			s = (int)owner;
		}
		{
			uint64_t t0 = now_ns();
			int rc = ms_shard_recv(n->shard[s], &p, d.data, d.len, n->now);
			n->srv_ns += now_ns() - t0;
			return rc;
		}
	}
	for (unsigned i = 0; i < n->nnodes; i++) {
		net_node *nd = &n->node[i];
		if (!nd->e)
			continue;
		if (nd->nat && ike_addr_ip_eq(&p.local, &nd->nat_public)) {
			p.local = nd->addr;
			p.local.port = (uint16_t)(d.path.remote.port - 20000);
			return ike_engine_recv(nd->e, &p, d.data, d.len, n->now);
		}
		if (!nd->nat && ike_addr_ip_eq(&p.local, &nd->addr))
			return ike_engine_recv(nd->e, &p, d.data, d.len, n->now);
	}
	return IKE_ERR_NOT_FOUND;
}

bool net_bus_one(net *n)
{
	ms_msg m;

	if (!n->nbus)
		return false;
	m = n->bus[0];
	memmove(&n->bus[0], &n->bus[1], (n->nbus - 1) * sizeof n->bus[0]);
	n->nbus--;
	n->last_deliver_rc = ms_shard_deliver(n->shard[m.to_shard], &m, n->now);
	return true;
}

static ike_ms next_deadline(net *n)
{
	ike_ms d = IKE_NEVER, x;

	for (unsigned s = 0; s < n->nshards; s++)
		if ((x = ms_shard_next_deadline(n->shard[s])) < d)
			d = x;
	for (unsigned i = 0; i < n->nnodes; i++)
		if (n->node[i].e && (x = ike_engine_next_deadline(n->node[i].e)) < d)
			d = x;
	return d;
}

static void tick_all(net *n)
{
	for (unsigned s = 0; s < n->nshards; s++)
		if (ms_shard_tick(n->shard[s], n->now) != IKE_OK)
			n->tick_errors++;
	for (unsigned i = 0; i < n->nnodes; i++)
		if (n->node[i].e)
			if (ike_engine_tick(n->node[i].e, n->now) != IKE_OK)
				n->tick_errors++;
}

void net_run(net *n, ike_ms limit_ms)
{
	ike_ms end = n->now + limit_ms;
	unsigned rounds = 0;

	for (;;) {
		ike_ms d;
		if (++rounds > 100000)
			abort();
		for (;;) {
			if (++rounds > 100000)
				abort();
			if (net_deliver_one(n) != 1)
				continue;
			if (!n->hold_bus && net_bus_one(n))
				continue;
			break;
		}
		d = next_deadline(n);
		if (d == IKE_NEVER || d > end)
			break;
		if (d > n->now)
			n->now = d;
		tick_all(n);
	}
}

int net_connect_keyid(net *n, int i, const uint8_t keyid[IKE_KEYID_LEN], bool callback, bool response)
{
	net_node *nd = &n->node[i];
	ike_me_connect c;

	memset(&c, 0, sizeof c);
	c.peer.type = IKE_ID_KEY_ID;
	c.peer.len = IKE_KEYID_LEN;
	memcpy(c.peer.data, keyid, IKE_KEYID_LEN);
	c.connect_id[0] = (uint8_t)(0xc0 + i);
	c.connect_id[3] = 0x01;
	c.connect_id_len = 4;
	memset(c.connect_key, 0x30 + i, 16);
	c.connect_key_len = 16;
	c.callback = callback;
	c.response = response;
	c.n_endpoints = 1;
	c.endpoints[0].type = IKE_ME_HOST;
	c.endpoints[0].priority = (255u << 16) + 65535u;
	c.endpoints[0].addr = nd->addr;
	c.endpoints[0].addr.port = 4500;
	return ike_engine_me_connect(nd->e, nd->sa, &c, n->now);
}

int net_connect(net *n, int i, int j, bool callback)
{
	return net_connect_keyid(n, i, net_key_get(j + 1)->keyid, callback, false);
}

bool net_online(net *n, int key, ms_reg *out)
{
	ms_reg r;

	return ms_registry_get(n->reg, net_key_get(key)->keyid, out ? out : &r) == IKE_OK;
}

bool net_log_has(const net *n, const char *needle)
{
	size_t first = n->nlog > NET_LOG_LINES ? n->nlog - NET_LOG_LINES : 0;

	for (size_t i = first; i < n->nlog; i++)
		if (strstr(n->log[i % NET_LOG_LINES], needle))
			return true;
	return false;
}

uint64_t net_counter(net *n, ms_counter c)
{
	uint64_t v[MS_CTR_COUNT];

	ms_registry_counters(n->reg, v);
	return v[c];
}
