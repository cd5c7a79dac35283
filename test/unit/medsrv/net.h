/* SPDX-License-Identifier: MIT */
/*
 * test/unit/medsrv/net.h - a mediation server (one or more ms_shard sharing one
 * registry) and client engines on an in-memory network with a fake clock:
 * clients may sit behind a NAT (one static mapping each, ports + 20000), the
 * key store is a table the test fills, messages between shards travel on a
 * bus the test can hold back. Everything is allocated through tst_mem(), so
 * NET_TEST asserts that nothing leaks.
 */
#ifndef MEDSRV_TEST_NET_H
#define MEDSRV_TEST_NET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/crypto_key.h"
#include "medsrv/shard.h"
#include "tst.h"

#define NET_NODES 6 /* clients */
#define NET_SHARDS 2
#define NET_KEYS 8 /* key 0: the server; key i: client i-1 by default */
#define NET_Q 256
#define NET_LOG_LINES 128
#define NET_REC 16

typedef struct net_dgram {
	int from; /* -1 - shard index for the server, else the client index */
	ike_path path;
	size_t len;
	uint8_t data[2048];
} net_dgram;

typedef struct net_node {
	struct net *net;
	int idx;
	ike_engine *e;
	ike_config cfg;
	ike_peer_cfg peer; /* the registration at the server */
	ike_addr addr;     /* its own (private) address, port 500 */
	bool nat;
	ike_addr nat_public; /* the NAT's public IP (port unused) */
	int shard;           /* which server shard receives its datagrams */
	ike_sa_ref sa;       /* its registration SA (initiate) */
	unsigned ups, downs;
	uint16_t down_notify;
	int down_reason;
	bool have_endpoint;
	ike_addr endpoint;           /* ME_ENDPOINT the server told it */
	ike_me_connect got[NET_REC]; /* ME_CONNECT requests received from the server */
	unsigned ngot;
	uint16_t replies[NET_REC]; /* notify of each ME_CONNECT_REPLY (0 = accepted) */
	unsigned nreplies;
	ike_me_turn turn; /* the last N(ME_TURN) the server handed it */
	unsigned nturn;
	ike_ms turn_at; /* when it came */
} net_node;

typedef struct net_key {
	ike_key *key;
	uint8_t keyid[IKE_KEYID_LEN]; /* SPK */
	uint8_t keyid_spki[IKE_KEYID_LEN];
	uint8_t der[1024]; /* SPKI */
	size_t der_len;
	char *pem; /* private key PEM */
	size_t pem_len;
} net_key;

typedef struct net {
	ike_ms now;
	uint32_t rand_state;
	ms_registry *reg;
	ike_mem srv_mem; /* counts the server's bytes (registry and shards) in srv_live */
	size_t srv_live;
	ms_shard *shard[NET_SHARDS];
	unsigned nshards;
	ike_addr srv; /* 198.51.100.10:500 */
	net_node node[NET_NODES];
	unsigned nnodes;
	bool enrolled[NET_KEYS]; /* the key store knows key i */
	net_dgram q[NET_Q];
	size_t nq;
	ms_msg bus[NET_Q];
	size_t nbus;
	bool hold_bus;    /* leave posted messages on the bus */
	bool spi_routing; /* shards pick SPIs with their number; the "kernel" hands every
	                     datagram after IKE_SA_INIT to the wrong shard, which routes it */
	unsigned forwarded;
	uint64_t srv_ns; /* time spent inside the server's shard calls */
	char log[NET_LOG_LINES][256];
	size_t nlog;
	unsigned find_calls;
	unsigned refused_lines; /* server log lines saying "refused" */
	int last_deliver_rc;
	unsigned tick_errors;
	bool verbose;
} net;

/* The process-wide keys (generated once). */
const net_key *net_key_get(int i);

/* Creates the registry and nshards shards (key 0 is the server's), and
 * nclients clients using keys 1..nclients (client i behind a NAT when
 * nat_mask bit i is set); every client key is enrolled. Clients start
 * nothing: see net_register. */
void net_init(net *n, unsigned nshards, unsigned nclients, unsigned nat_mask);
/* net_init with SPI sharding on (engine support needed: MEDSRV_HAVE_SPI_SHARD). */
void net_init_spi_routing(net *n, unsigned nshards, unsigned nclients, unsigned nat_mask);
void net_free(net *n);
/* The TURN config (borrowed) the shards of the next net_init get; NULL = none. */
void net_set_turn(const ms_turn_config *turn);
/* Client i initiates its registration. */
void net_register(net *n, int i);
/* Delivers datagrams and bus messages, ticks at deadlines, until nothing is
 * due before now + limit_ms (the clock stops at the last deadline reached). */
void net_run(net *n, ike_ms limit_ms);
/* Delivers the oldest datagram; returns the recv result (1 = none queued). */
int net_deliver_one(net *n);
/* Delivers one bus message; false when the bus is empty. */
bool net_bus_one(net *n);
/* Client i asks the server for a mediation with client j's KEY_ID (SPK form
 * unless spki) with one HOST endpoint; callback sets ME_CALLBACK. */
int net_connect(net *n, int i, int j, bool callback);
int net_connect_keyid(net *n, int i, const uint8_t keyid[IKE_KEYID_LEN], bool callback, bool response);
/* The ms_reg of key k, or false when offline. */
bool net_online(net *n, int key, ms_reg *out);
/* A server log line containing needle. */
bool net_log_has(const net *n, const char *needle);
uint64_t net_counter(net *n, ms_counter c);

#define NET_TEST(suite, name)                                                                                \
	static void suite##_##name##_body(net *n);                                                           \
	Test(suite, name)                                                                                    \
	{                                                                                                    \
		static net nw;                                                                               \
		suite##_##name##_body(&nw);                                                                  \
		net_free(&nw);                                                                               \
		cr_assert(eq(sz, tst_mem_live(), 0), "%zu bytes still allocated", tst_mem_live());           \
	}                                                                                                    \
	static void suite##_##name##_body(net *n)

#endif
