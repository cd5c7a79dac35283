/* SPDX-License-Identifier: MIT */
/*
 * test/support/tst.h - helpers for engine tests: a fake clock, a counting
 * allocator, an in-memory lossy link between engines, an event recorder, and a
 * pair fixture (alice and bob engines) with ENGINE_TEST, which runs the teardown
 * inside the test body and then asserts that nothing is left allocated
 * (STYLE 3.10: assertions in .fini are ignored by Criterion).
 */
#ifndef TST_H
#define TST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/engine.h"
#include "ike/iana.h"
#include "ike/mem.h"

/* ---- counting allocator (process-wide: each Criterion test is a process) ---- */
const ike_mem *tst_mem(void);
size_t tst_mem_live(void); /* bytes allocated and not yet freed */
size_t tst_mem_live_blocks(void);
size_t tst_mem_peak(void);
/* Makes the n-th allocation from now fail (0 = never). */
void tst_mem_fail_after(size_t n);

/* ---- clock ---- */
typedef struct tst_clock {
	ike_ms now;
} tst_clock;

/* ---- link ---- */
#define TST_DGRAM_MAX 4096
typedef struct tst_dgram {
	int from;      /* sender index (0 = alice, 1 = bob) */
	ike_path path; /* as sent: local = sender's */
	size_t len;
	uint8_t data[TST_DGRAM_MAX];
} tst_dgram;

#define TST_QUEUE_MAX 64
typedef struct tst_link {
	tst_dgram q[TST_QUEUE_MAX]; /* in flight, in order */
	size_t n;
	unsigned drop_next[2]; /* drop the next n datagrams sent by side i */
	unsigned dup_next[2];  /* duplicate the next n datagrams sent by side i */
	uint32_t drop_mask[2]; /* drop datagram k (0-based count of side i's sends) if bit k is set */
	bool blackhole[2];     /* drop everything side i sends */
	uint64_t sent[2];
	/* A NAT in front of side i: rewrites source on send and destination back
	 * on delivery (one static mapping). */
	bool nat[2];
	ike_addr nat_public[2];
	ike_addr nat_private[2];
	uint16_t nat_shift[2]; /* public port = private port + shift (0 = 20000); change it to
	                          give the mapping a new port (a NAT reboot) */
} tst_link;

void tst_link_push(tst_link *l, int from, const ike_path *path, const uint8_t *pkt, size_t len);
/* Removes datagram i (0 = oldest) into *out; false when none. */
bool tst_link_take(tst_link *l, size_t i, tst_dgram *out);
/* Swaps two queued datagrams (reordering). */
void tst_link_swap(tst_link *l, size_t i, size_t j);

/* ---- events ---- */
#define TST_EV_MAX 32
typedef struct tst_rec_event {
	ike_event ev;
	ike_child_info child;              /* copy of ev.u.child.info */
	uint8_t connect_id[IKE_ME_ID_MAX]; /* copy of ev.u.me_connectid.id */
	ike_me_turn turn;                  /* copy of ev.u.me_turn.turn */
	ike_id turn_peer;                  /* copy of ev.u.me_turn_wanted.peer */
	ike_ms at;                         /* the clock when it was reported */
} tst_rec_event;

typedef struct tst_events {
	tst_rec_event ev[TST_EV_MAX];
	size_t n;
} tst_events;

/* ---- the pair fixture ---- */
enum { ALICE = 0, BOB = 1 };

typedef struct tst_side {
	struct tst_pair *px;
	int idx;
	ike_engine *e;
	ike_config cfg;
	ike_peer_cfg peer; /* what this side initiates with / answers with */
	bool peer_known;   /* lookup_peer answers with peer */
	ike_id lookup_id;  /* last identity looked up */
	unsigned lookups;
	tst_events events;
	ike_addr addr; /* its own address (port 500) */
	unsigned log_lines, drop_lines, tick_errors;
	uint16_t me_reply; /* what the ME_CONNECT callback answers */
	ike_me_connect last_me_connect;
	bool initiate_on_down; /* the SA_DOWN callback initiates again (re-entry) */
	bool terminate_on_up;  /* the SA_UP callback terminates the SA (re-entry) */
	bool fail_send;        /* the send callback fails (and sends nothing) */
	/* IKE_EV_ME_TURN_WANTED: answered with turn_give (its expires + 100 per
	 * earlier answer) and turn_refresh_ms, when turn_give.server is set */
	ike_me_turn turn_give;
	ike_ms turn_refresh_ms;
	unsigned turn_asks;
	int reentry_rc;
	char last_log[256];
} tst_side;

typedef struct tst_pair {
	tst_clock clock;
	tst_link link;
	tst_side side[2];
	ike_sa_ref sa[2]; /* the SA each side reported SA_UP for (or alice's initiate) */
	uint32_t rand_state;
} tst_pair;

/* Credentials for tests: two RSA-2048 keys generated once per process (PEM). */
ike_slice tst_key_private(int who);
ike_slice tst_key_public(int who); /* DER SubjectPublicKeyInfo */
/* ID_KEY_ID of who's key (SHA-1 of the PKCS#1 public key). */
void tst_key_id(int who, ike_id *out);

/* Creates alice (198.51.100.1) and bob (198.51.100.2) with RSA keys and peer
 * configs pointing at each other (pubkey auth, default proposals). Tests may edit
 * side[i].cfg/peer and call tst_pair_start() to create the engines. */
void tst_pair_init(tst_pair *px);
void tst_pair_use_psk(tst_pair *px, const char *psk);
void tst_pair_start(tst_pair *px);
void tst_pair_free(tst_pair *px);
/* alice initiates to bob. */
void tst_pair_initiate(tst_pair *px);
/* Delivers the oldest queued datagram to its destination; returns the receiving
 * side's ike_engine_recv result, or 1 when nothing was queued. */
int tst_pair_deliver(tst_pair *px);
/* Delivers everything; advances the clock to deadlines and ticks, until idle or
 * until `limit_ms` of fake time passed. */
void tst_pair_run(tst_pair *px, ike_ms limit_ms);
/* Advances the clock by ms, ticking both engines at every deadline on the way;
 * delivers nothing (what is sent stays queued). */
void tst_pair_advance(tst_pair *px, ike_ms ms);
/* Number of recorded events of type on side i, and the last one. */
size_t tst_events_count(const tst_pair *px, int side, ike_event_type type);
const tst_rec_event *tst_events_last(const tst_pair *px, int side, ike_event_type type);

/* Runs setup, body, teardown, then asserts no live allocation. */
#define ENGINE_TEST(suite, name)                                                                             \
	static void suite##_##name##_body(tst_pair *px);                                                     \
	Test(suite, name)                                                                                    \
	{                                                                                                    \
		static tst_pair pair;                                                                        \
		tst_pair_init(&pair);                                                                        \
		suite##_##name##_body(&pair);                                                                \
		tst_pair_free(&pair);                                                                        \
		cr_assert(eq(sz, tst_mem_live(), 0), "%zu bytes still allocated", tst_mem_live());           \
	}                                                                                                    \
	static void suite##_##name##_body(tst_pair *px)

#endif
