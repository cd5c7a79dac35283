/* SPDX-License-Identifier: MIT */
/*
 * test/unit/hp/sim.h - an in-memory network for holepunch sessions: a fake clock, a
 * fixed latency, deterministic loss, and NAT routers with endpoint-independent mapping
 * ("cone": port-restricted filtering; "full cone": no filtering) or address-and-port
 * dependent mapping ("symmetric": a new port per destination).
 */
#ifndef HP_TEST_SIM_H
#define HP_TEST_SIM_H
#include "holepunch/hp.h"

enum { SIM_CONE, SIM_FULLCONE, SIM_SYMMETRIC };
#define SIM_NO_NAT (-1)
#define SIM_MAX_SENDS 2048

typedef struct sim_net sim_net;

typedef struct sim_send {
	ike_ms at;
	uint32_t mid;
	bool response;
	ike_path path;
} sim_send;

typedef struct sim_node {
	sim_net *net;
	const char *name;
	ike_addr addr;
	int nat;
	hp_session *s;
	bool initiator;
	/* outcome */
	bool chosen, failed;
	ike_path chosen_path;
	ike_ms t_done;
	int fail_err;
	char reason[200];
	hp_pair_info pairs[64];
	size_t n_pairs;
	unsigned n_valid;
	ike_ms t_first_valid;
	ike_ms t_start;
	sim_send sends[SIM_MAX_SENDS];
	size_t n_sends;
	unsigned nominations_received;
	/* background checks after a relayed choice */
	unsigned n_direct_valid;
	ike_path direct_path;
	ike_ms t_direct;
	bool chosen_relayed;
	/* its relayed address on the simulated TURN relay (family 0 = none) */
	ike_addr relayed;
} sim_node;

/* Creates an empty network with a one-way latency in ms and a loss percentage. */
sim_net *sim_new(ike_ms latency, unsigned loss_pct, uint32_t seed);
void sim_free(sim_net *n);
ike_ms sim_now(const sim_net *n);
/* Adds a NAT router with public IPv4 address ip; returns its index. */
int sim_nat_add(sim_net *n, const char *ip, int type);
/* Adds a host at ip:port behind NAT nat (or SIM_NO_NAT). */
sim_node *sim_node_add(sim_net *n, const char *name, const char *ip, uint16_t port, int nat);
/* What the mediation server at server:4500 sees the node as (creates the NAT mapping). */
ike_addr sim_reflexive(sim_net *n, sim_node *node, const char *server);
/* A relayed address for node on a TURN relay at ip (port 49152 + k): what is sent
 * from it leaves the relay from that address, what is sent to it reaches node (every
 * peer IP permitted, the client's own path to the relay never filtered). */
ike_addr sim_relay(sim_net *n, sim_node *node, const char *ip);
hp_candidate sim_relayed(const sim_node *node);
/* Drops (or passes again) every packet between the two NAT routers' public addresses. */
void sim_block_direct(sim_net *n, bool block);
/* Candidate helpers. */
hp_candidate sim_host(const sim_node *node);
hp_candidate sim_srflx(const ike_addr *mapped, const sim_node *node);
/* Starts node's session at the current time with shared test ids and keys. */
void sim_start(sim_net *n, sim_node *node, bool initiator, const hp_candidate *local, size_t nl,
               const hp_candidate *remote, size_t nr, const hp_config *tweak);
/* Runs deliveries and deadlines until time `until` or until both nodes are done and the
 * network is idle. */
void sim_run(sim_net *n, ike_ms until);
/* Packets dropped by NAT filtering and by loss. */
uint64_t sim_dropped_nat(const sim_net *n);
uint64_t sim_dropped_loss(const sim_net *n);

#endif /* HP_TEST_SIM_H */
