/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hp_internal.h"
#include "sim.h"

#define MAX_PKTS 4096
#define MAX_MAPS 512

typedef struct sim_map {
	ike_addr in, out, dst; /* dst only for symmetric NATs */
} sim_map;

typedef struct sim_perm {
	ike_addr out, remote;
} sim_perm;

typedef struct sim_nat {
	ike_addr pub;
	int type;
	uint16_t next_port;
	sim_map maps[MAX_MAPS];
	size_t n_maps;
	sim_perm perms[MAX_MAPS];
	size_t n_perms;
} sim_nat;

typedef struct sim_pkt {
	ike_ms at;
	ike_addr src, dst;
	int from_nat;
	bool nominate;
	uint8_t data[HP_CHECK_MAX];
	size_t len;
} sim_pkt;

struct sim_net {
	ike_ms now, latency;
	unsigned loss_pct;
	uint32_t rng;
	sim_nat nats[4];
	int n_nats;
	sim_node nodes[4];
	int n_nodes;
	sim_pkt *q;
	size_t n_q;
	uint64_t dropped_nat, dropped_loss;
	uint16_t next_relay_port;
	bool block_direct;
};

static const uint8_t test_cid[4] = {0x12, 0x34, 0x56, 0x78};
static const uint8_t test_key_i[16] = "alice's key 0123";
static const uint8_t test_key_r[16] = "bob's key abcdef";

sim_net *sim_new(ike_ms latency, unsigned loss_pct, uint32_t seed)
{
	sim_net *n = calloc(1, sizeof *n);

	cr_assert(n != NULL);
	n->q = calloc(MAX_PKTS, sizeof *n->q);
	cr_assert(n->q != NULL);
	n->latency = latency;
	n->loss_pct = loss_pct;
	n->rng = seed ? seed : 1;
	n->now = 1000;
	n->next_relay_port = 49152;
	return n;
}

void sim_free(sim_net *n)
{
	for (int i = 0; i < n->n_nodes; i++)
		hp_session_free(n->nodes[i].s);
	free(n->q);
	free(n);
}

ike_ms sim_now(const sim_net *n)
{
	return n->now;
}

uint64_t sim_dropped_nat(const sim_net *n)
{
	return n->dropped_nat;
}

uint64_t sim_dropped_loss(const sim_net *n)
{
	return n->dropped_loss;
}

int sim_nat_add(sim_net *n, const char *ip, int type)
{
	sim_nat *t = &n->nats[n->n_nats];

	cr_assert(lt(int, n->n_nats, 4));
	cr_assert(eq(int, ike_addr_parse(&t->pub, ip, 0), IKE_OK));
	t->type = type;
	t->next_port = 40000;
	return n->n_nats++;
}

sim_node *sim_node_add(sim_net *n, const char *name, const char *ip, uint16_t port, int nat)
{
	sim_node *d = &n->nodes[n->n_nodes];

	cr_assert(lt(int, n->n_nodes, 4));
	d->net = n;
	d->name = name;
	d->nat = nat;
	cr_assert(eq(int, ike_addr_parse(&d->addr, ip, port), IKE_OK));
	n->n_nodes++;
	return d;
}

/* Outbound translation: the mapping for (in, dst), created on first use. */
static ike_addr nat_out(sim_nat *t, const ike_addr *in, const ike_addr *dst)
{
	sim_map *m = NULL;
	bool perm = false;

	for (size_t i = 0; i < t->n_maps && !m; i++)
		if (ike_addr_eq(&t->maps[i].in, in) &&
		    (t->type != SIM_SYMMETRIC || ike_addr_eq(&t->maps[i].dst, dst)))
			m = &t->maps[i];
	if (!m) {
		cr_assert(lt(sz, t->n_maps, MAX_MAPS));
		m = &t->maps[t->n_maps++];
		m->in = *in;
		m->out = t->pub;
		m->out.port = t->next_port++;
		m->dst = *dst;
	}
	for (size_t i = 0; i < t->n_perms && !perm; i++)
		perm = ike_addr_eq(&t->perms[i].out, &m->out) && ike_addr_eq(&t->perms[i].remote, dst);
	if (!perm) {
		cr_assert(lt(sz, t->n_perms, MAX_MAPS));
		t->perms[t->n_perms++] = (sim_perm){m->out, *dst};
	}
	return m->out;
}

/* Inbound: finds the inside address for a packet from src to out, or false (dropped). */
static bool nat_in(sim_nat *t, const ike_addr *src, const ike_addr *out, ike_addr *in)
{
	for (size_t i = 0; i < t->n_maps; i++) {
		if (!ike_addr_eq(&t->maps[i].out, out))
			continue;
		if (t->type != SIM_FULLCONE) {
			bool ok = false;
			for (size_t k = 0; k < t->n_perms && !ok; k++)
				ok = ike_addr_eq(&t->perms[k].out, out) &&
				     ike_addr_eq(&t->perms[k].remote, src);
			if (!ok)
				return false;
		}
		*in = t->maps[i].in;
		return true;
	}
	return false;
}

ike_addr sim_reflexive(sim_net *n, sim_node *node, const char *server)
{
	ike_addr srv;

	cr_assert(eq(int, ike_addr_parse(&srv, server, 4500), IKE_OK));
	if (node->nat == SIM_NO_NAT)
		return node->addr;
	return nat_out(&n->nats[node->nat], &node->addr, &srv);
}

ike_addr sim_relay(sim_net *n, sim_node *node, const char *ip)
{
	cr_assert(eq(int, ike_addr_parse(&node->relayed, ip, n->next_relay_port++), IKE_OK));
	return node->relayed;
}

hp_candidate sim_relayed(const sim_node *node)
{
	return (hp_candidate){.type = HP_CAND_RELAYED,
	                      .priority = hp_candidate_priority(HP_CAND_RELAYED),
	                      .addr = node->relayed};
}

void sim_block_direct(sim_net *n, bool block)
{
	n->block_direct = block;
}

static bool is_nat_pub(const sim_net *n, const ike_addr *a)
{
	for (int i = 0; i < n->n_nats; i++)
		if (ike_addr_ip_eq(&n->nats[i].pub, a))
			return true;
	return false;
}

hp_candidate sim_host(const sim_node *node)
{
	return (hp_candidate){
	    .type = HP_CAND_HOST, .priority = hp_candidate_priority(HP_CAND_HOST), .addr = node->addr};
}

hp_candidate sim_srflx(const ike_addr *mapped, const sim_node *node)
{
	return (hp_candidate){.type = HP_CAND_SERVER_REFLEXIVE,
	                      .priority = hp_candidate_priority(HP_CAND_SERVER_REFLEXIVE),
	                      .addr = *mapped,
	                      .base = node->addr};
}

static bool lose(sim_net *n)
{
	n->rng = n->rng * 1103515245u + 12345u;
	return (n->rng >> 16) % 100 < n->loss_pct;
}

static void enqueue(sim_node *d, const ike_path *path, const uint8_t *pkt, size_t len, bool nominate)
{
	sim_net *n = d->net;
	sim_pkt *p;

	bool via_relay = d->relayed.family && ike_addr_eq(&path->local, &d->relayed);

	cr_assert(via_relay || ike_addr_eq(&path->local, &d->addr), "%s sends from an address it does not have",
	          d->name);
	/* The stand-in IKE_SA_INIT is not lost: real IKE retransmits it on its own. */
	if (!nominate && lose(n)) {
		n->dropped_loss++;
		return;
	}
	cr_assert(lt(sz, n->n_q, MAX_PKTS));
	p = &n->q[n->n_q++];
	p->at = n->now + n->latency;
	p->src = d->addr;
	if (via_relay) { /* through the client's TURN allocation: it leaves from the relay */
		p->src = d->relayed;
	} else if (d->nat != SIM_NO_NAT) {
		bool lan = false;
		for (int i = 0; i < n->n_nodes; i++)
			lan = lan ||
			      (n->nodes[i].nat == d->nat && ike_addr_eq(&n->nodes[i].addr, &path->remote));
		if (!lan) /* traffic inside the LAN is not translated */
			p->src = nat_out(&n->nats[d->nat], &d->addr, &path->remote);
	}
	p->dst = path->remote;
	p->from_nat = via_relay ? SIM_NO_NAT : d->nat;
	p->nominate = nominate;
	cr_assert(le(sz, len, sizeof p->data));
	memcpy(p->data, pkt, len);
	p->len = len;
}

static int cb_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	sim_node *d = user;
	hp__check c;
	const char *why;

	cr_assert(eq(int, hp__check_decode(pkt, len, &c, &why), IKE_OK), "%s sent a bad check: %s", d->name,
	          why);
	if (d->n_sends < SIM_MAX_SENDS)
		d->sends[d->n_sends++] = (sim_send){d->net->now, c.mid, c.response, *path};
	enqueue(d, path, pkt, len, false);
	return 0;
}

static void cb_event(void *user, const hp_event *ev)
{
	sim_node *d = user;

	switch (ev->type) {
	case HP_EV_PAIR_VALID:
		if (d->n_valid++ == 0)
			d->t_first_valid = d->net->now;
		break;
	case HP_EV_DIRECT_VALID:
		cr_assert(d->chosen && d->chosen_relayed, "%s: DIRECT_VALID without a relayed choice", d->name);
		cr_assert(not(ev->relayed));
		if (d->n_direct_valid++ == 0) {
			d->direct_path = ev->path;
			d->t_direct = d->net->now;
		}
		break;
	case HP_EV_PAIR_CHOSEN:
		cr_assert(not(d->chosen || d->failed));
		d->chosen = true;
		d->chosen_relayed = ev->relayed;
		d->chosen_path = ev->path;
		d->t_done = d->net->now;
		/* The initiator starts its direct IKE_SA on the pair: a stand-in datagram. */
		if (d->initiator)
			enqueue(d, &ev->path, (const uint8_t *)"IKE_SA_INIT", 11, true);
		break;
	case HP_EV_FAILED:
		cr_assert(not(d->chosen || d->failed));
		d->failed = true;
		d->fail_err = ev->err;
		d->t_done = d->net->now;
		snprintf(d->reason, sizeof d->reason, "%s", ev->reason);
		d->n_pairs = ev->n_pairs < 64 ? ev->n_pairs : 64;
		memcpy(d->pairs, ev->pairs, d->n_pairs * sizeof *ev->pairs);
		break;
	}
}

void sim_start(sim_net *n, sim_node *node, bool initiator, const hp_candidate *local, size_t nl,
               const hp_candidate *remote, size_t nr, const hp_config *tweak)
{
	hp_config cfg;
	hp_callbacks cb = {.send = cb_send, .on_event = cb_event};

	if (tweak)
		cfg = *tweak;
	else
		hp_config_defaults(&cfg);
	cfg.role = initiator ? HP_INITIATOR : HP_RESPONDER;
	cfg.connect_id = test_cid;
	cfg.connect_id_len = sizeof test_cid;
	cfg.initiator_key = test_key_i;
	cfg.initiator_key_len = sizeof test_key_i;
	cfg.responder_key = test_key_r;
	cfg.responder_key_len = sizeof test_key_r;
	cfg.local = local;
	cfg.n_local = nl;
	cfg.remote = remote;
	cfg.n_remote = nr;
	cfg.tag = node->name;
	node->initiator = initiator;
	node->t_start = n->now;
	cr_assert(eq(int, hp_session_new(&node->s, &cfg, &cb, node, n->now), IKE_OK));
}

/* Node d receives p on path: the stand-in IKE_SA_INIT nominates, a check is processed. */
static void hand_to(sim_net *n, sim_node *d, const ike_path *path, const sim_pkt *p)
{
	if (p->nominate) {
		d->nominations_received++;
		if (!hp_session_done(d->s))
			cr_assert(eq(int, hp_session_nominated(d->s, path, n->now), IKE_OK));
		return;
	}
	cr_assert(eq(int, hp_session_recv(d->s, path, p->data, p->len, n->now), IKE_OK), "%s dropped a check",
	          d->name);
}

static void deliver(sim_net *n, const sim_pkt *p)
{
	ike_addr dst = p->dst;
	bool translated = false;
	sim_node *d = NULL;

	if (n->block_direct && is_nat_pub(n, &p->src) && is_nat_pub(n, &p->dst)) {
		n->dropped_nat++;
		return;
	}
	for (int i = 0; i < n->n_nodes && !d; i++)
		if (n->nodes[i].relayed.family && ike_addr_eq(&n->nodes[i].relayed, &p->dst))
			d = &n->nodes[i];
	if (d) { /* the relay hands it to its client, from where it came */
		if (d->s)
			hand_to(n, d, &(ike_path){d->relayed, p->src}, p);
		return;
	}
	for (int i = 0; i < n->n_nats; i++) {
		if (ike_addr_ip_eq(&n->nats[i].pub, &p->dst)) {
			if (!nat_in(&n->nats[i], &p->src, &p->dst, &dst)) {
				n->dropped_nat++;
				return;
			}
			translated = true;
		}
	}
	for (int i = 0; i < n->n_nodes && !d; i++)
		if (ike_addr_eq(&n->nodes[i].addr, &dst))
			d = &n->nodes[i];
	/* A private address is reachable only from the same side of the NAT. */
	if (!d || !d->s || (!translated && d->nat != p->from_nat)) {
		n->dropped_nat++;
		return;
	}
	hand_to(n, d, &(ike_path){d->addr, p->src}, p);
}

void sim_run(sim_net *n, ike_ms until)
{
	static sim_pkt due[MAX_PKTS];

	for (int guard = 0; guard < 1000000; guard++) {
		ike_ms t = until;
		bool all_done = true;
		size_t nd = 0, keep = 0;

		for (size_t i = 0; i < n->n_q; i++)
			if (n->q[i].at < t)
				t = n->q[i].at;
		for (int i = 0; i < n->n_nodes; i++) {
			if (!n->nodes[i].s)
				continue;
			if (hp_session_next_deadline(n->nodes[i].s) < t)
				t = hp_session_next_deadline(n->nodes[i].s);
			all_done = all_done && hp_session_done(n->nodes[i].s) &&
			           hp_session_next_deadline(n->nodes[i].s) == IKE_NEVER;
		}
		if (all_done && n->n_q == 0)
			return;
		if (t > n->now)
			n->now = t;
		for (size_t i = 0; i < n->n_q; i++) {
			if (n->q[i].at <= n->now)
				due[nd++] = n->q[i];
			else
				n->q[keep++] = n->q[i];
		}
		n->n_q = keep;
		for (size_t i = 0; i < nd; i++)
			deliver(n, &due[i]);
		for (int i = 0; i < n->n_nodes; i++)
			if (n->nodes[i].s && hp_session_next_deadline(n->nodes[i].s) <= n->now)
				cr_assert(eq(int, hp_session_tick(n->nodes[i].s, n->now), IKE_OK));
		if (n->now >= until)
			return;
	}
	cr_assert(false, "simulation did not settle");
}
