/* SPDX-License-Identifier: MIT */
/*
 * holepunch/hp.h - ICE-style connectivity checks of the IKEv2 mediation extension,
 * wire-compatible with strongSwan 5.9 (src/libcharon/sa/ikev2/connect_manager.c).
 *
 * Sans-IO: the session reads no clock (the time comes in as `ike_ms now`), opens no
 * socket (datagrams go out through the send callback and come in through
 * hp_session_recv) and starts no timer (the caller asks hp_session_next_deadline and
 * calls hp_session_tick). It needs no randomness: message IDs are pair numbers, as in
 * strongSwan, and the connect ID and keys are made by the ME_CONNECT exchange.
 *
 * Not thread-safe; one session per mediated connection. Pointer arguments are
 * borrowed for the call unless marked otherwise; the session copies what it keeps.
 * Pointers passed to callbacks are valid only during the callback. No hp_session_*
 * function may be called from inside a callback, except the read-only
 * hp_session_pairs() and hp_session_stats().
 */
#ifndef HOLEPUNCH_HP_H
#define HOLEPUNCH_HP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/buf.h"
#include "ike/err.h"
#include "ike/log.h"
#include "ike/mem.h"
#include "ike/types.h"

/* 1. Opaque types */

/* One mediated connection's checklist: candidates, pairs, checks, outcome. */
typedef struct hp_session hp_session;

/* 2. Plain value types */

/* Candidate (ME_ENDPOINT) types; the numbers are the wire values (IKE_ME_*). */
typedef enum hp_cand_type {
	HP_CAND_HOST = 1,
	HP_CAND_PEER_REFLEXIVE = 2,
	HP_CAND_SERVER_REFLEXIVE = 3,
	HP_CAND_RELAYED = 4,
} hp_cand_type;

/* A candidate endpoint: the contents of one ME_ENDPOINT notify plus, for local
 * candidates, the base (the local address checks for it are sent from). */
typedef struct hp_candidate {
	uint8_t type;      /* HP_CAND_* */
	uint32_t priority; /* as carried in ME_ENDPOINT; hp_candidate_priority(type) by default */
	ike_addr addr;     /* family IKE_AF_NONE = no address (a server-reflexive request) */
	ike_addr base;     /* local candidates: family IKE_AF_NONE means "same as addr" */
} hp_candidate;

/* Lengths strongSwan uses (ike_me.c: ME_CONNECTID_LEN, ME_CONNECTKEY_LEN) and our limits. */
#define HP_CONNECT_ID_LEN 4
#define HP_CONNECT_KEY_LEN 16
#define HP_CONNECT_ID_MAX 32
#define HP_CONNECT_KEY_MAX 64
#define HP_CONNECTAUTH_LEN 20 /* SHA-1 */
/* ME_ENDPOINT notify data: priority(4) family(1) type(1) port(2) address(0/4/16). */
#define HP_ENDPOINT_DATA_MAX 24

typedef enum hp_role {
	HP_INITIATOR, /* sent the ME_CONNECT request (strongSwan: is_initiator) and nominates */
	HP_RESPONDER, /* answered with ME_CONNECT + ME_RESPONSE; learns the pair from the IKE_SA_INIT */
} hp_role;

typedef enum hp_pair_state {
	HP_PAIR_WAITING,     /* not checked yet, or a triggered check is queued */
	HP_PAIR_IN_PROGRESS, /* request sent, retransmitting */
	HP_PAIR_SUCCEEDED,   /* our request came back answered on this exact path */
	HP_PAIR_FAILED,      /* retransmissions exhausted */
} hp_pair_state;

/* A snapshot of one candidate pair (for status output and the FAILED event). */
typedef struct hp_pair_info {
	uint32_t id;       /* pair number = message ID of its checks (strongSwan) */
	uint64_t priority; /* hp_pair_priority(G, D) */
	ike_path path;     /* local base and remote candidate address */
	uint8_t state;     /* hp_pair_state */
	uint32_t sent;     /* requests sent on this pair, retransmissions included */
	bool answered;     /* we answered at least one valid request from the peer on it */
	bool relayed;      /* through a TURN relay: our RELAYED candidate, or the peer's */
	uint32_t rtt_ms;   /* SUCCEEDED: request to response from the last transmission, >= 1 ms; else 0 */
} hp_pair_info;

/* Counters since hp_session_new. */
typedef struct hp_stats {
	uint64_t checks_sent;          /* first transmissions of requests */
	uint64_t checks_retransmitted; /* retransmissions of requests */
	uint64_t checks_received;      /* valid requests received (and answered) */
	uint64_t responses_sent;
	uint64_t responses_received;     /* valid responses received */
	uint64_t auth_failures;          /* ME_CONNECTAUTH did not verify */
	uint64_t dropped_malformed;      /* not a well-formed check */
	uint64_t dropped_other;          /* wrong connect ID, unknown message ID, stale */
	uint64_t peer_reflexive_learned; /* local and remote PEER_REFLEXIVE candidates */
	uint64_t refused_endpoints;      /* candidates over max_endpoints or without address */
	uint64_t refused_pairs;          /* pairs over max_pairs */
	uint64_t send_errors;            /* send callback returned non-zero */
} hp_stats;

typedef enum hp_event_type {
	HP_EV_PAIR_VALID,  /* a pair succeeded (informational; both roles) */
	HP_EV_PAIR_CHOSEN, /* the outcome: run the direct IKE_SA on ev->path */
	HP_EV_FAILED,      /* the outcome: no usable pair; see reason and pairs */
	/* After a relayed pair was chosen (cfg.keep_checking): a direct pair succeeded in
	 * the background checks; ev->path can carry the tunnel now (both roles report it;
	 * the initiator moves the tunnel, the responder follows the initiator's traffic). */
	HP_EV_DIRECT_VALID,
} hp_event_type;

typedef struct hp_event {
	hp_event_type type;
	ike_path path;      /* PAIR_VALID, PAIR_CHOSEN: local base and remote address */
	uint64_t priority;  /* PAIR_VALID, PAIR_CHOSEN: the pair's priority */
	int err;            /* FAILED: IKE_ERR_TIMEOUT (bound reached) or IKE_ERR_NOT_FOUND (all failed) */
	const char *reason; /* FAILED: one sentence for users and logs */
	bool relayed;       /* PAIR_VALID, PAIR_CHOSEN: the pair goes through a TURN relay */
	uint32_t rtt_ms;    /* PAIR_VALID, PAIR_CHOSEN, DIRECT_VALID: the check's round trip (>= 1 ms; 0 = the
	                     * chosen pair was not checked by us) */
	const hp_pair_info *pairs; /* FAILED, PAIR_CHOSEN: every pair and its state, by priority */
	size_t n_pairs;
} hp_event;

/* Session parameters. Fill with hp_config_defaults(), then set role, ids, keys, candidates. */
typedef struct hp_config {
	hp_role role;
	const uint8_t *connect_id; /* ME_CONNECTID data, 1..HP_CONNECT_ID_MAX bytes (copied) */
	size_t connect_id_len;
	const uint8_t *initiator_key; /* the initiator's ME_CONNECTKEY, 1..HP_CONNECT_KEY_MAX (copied) */
	size_t initiator_key_len;
	const uint8_t *responder_key; /* the responder's ME_CONNECTKEY (copied) */
	size_t responder_key_len;
	const hp_candidate *local; /* our endpoints as sent in ME_CONNECT (copied) */
	size_t n_local;
	const hp_candidate *remote; /* the peer's endpoints, may be empty: see hp_session_add_remote */
	size_t n_remote;

	/* Pacing and retransmission: strongSwan's ME_INTERVAL 25, ME_BOOST 2, ME_RETRANS_BASE 1.8,
	 * ME_MAX_RETRANS 13. Retransmission n (1-based) follows the previous send by rto_ms for
	 * n <= 2, else by rto_ms * 1.8^(n-2); the pair fails one further interval after the last. */
	ike_ms pace_ms;           /* one new check per pace_ms (25) */
	ike_ms rto_ms;            /* base retransmission interval (25) */
	uint32_t max_retransmits; /* 13 */
	/* Initiator: after the first pair succeeds, wait this long for better pairs, then
	 * nominate the best succeeded one. strongSwan waits 1000 ms; our default is 25 ms.
	 * A success on the highest-priority pair not yet failed is nominated at once. */
	ike_ms nominate_wait_ms;
	/* Initiator: when the best succeeded pair is relayed (a TURN relay carries it) and a
	 * direct pair may still succeed, wait this long after the relayed success before
	 * nominating it (ICE's relayed pairs come last, RFC 8445 5.1.2; default 300 ms:
	 * a direct pair through cone NATs succeeds well within it). */
	ike_ms relay_wait_ms;
	/* Both roles: once a relayed pair was chosen, go on checking the direct pairs in the
	 * background (each gets bg_max_retransmits, then fails until hp_session_recheck)
	 * and report HP_EV_DIRECT_VALID when one succeeds (default false). */
	bool keep_checking;
	uint32_t bg_max_retransmits; /* 6: the last at +583 ms, failed at +1055 ms */
	/* Both roles: report FAILED if no pair was chosen this long after hp_session_new
	 * (default 8000 ms; 0 = no bound, like strongSwan, which goes silent after ~36 s). */
	ike_ms fail_after_ms;
	size_t max_endpoints; /* per side, learned peer-reflexive ones included (16) */
	size_t max_pairs;     /* (64) */

	const ike_mem *mem;    /* NULL = C library */
	ike_log_level log_max; /* records above this level are not formatted */
	const char *tag;       /* log tag such as "bob", copied; NULL = connect ID in hex */
} hp_config;

/* 3. Callbacks */
typedef struct hp_callbacks {
	/* Required. Sends one datagram (an IKE message without non-ESP marker: ike/io adds it
	 * on port 4500) from path->local to path->remote. Return 0, or non-zero on failure:
	 * the session counts it (send_errors) and carries on; the check is retransmitted. */
	int (*send)(void *user, const ike_path *path, const uint8_t *pkt, size_t len);
	/* Required. Reports HP_EV_*; ev and everything it points to are valid during the call. */
	void (*on_event)(void *user, const hp_event *ev);
	/* Optional (NULL = no logging). */
	void (*log)(void *user, const ike_log_rec *rec);
} hp_callbacks;

/* 4. Functions */

/* Fills cfg with the defaults above (role initiator, no ids, keys or candidates). */
void hp_config_defaults(hp_config *cfg);

/* ICE type preference of a candidate type: HOST 255, PEER_REFLEXIVE 128,
 * SERVER_REFLEXIVE 64, RELAYED 0 (and 0 for unknown types, as strongSwan). */
uint32_t hp_type_preference(uint8_t type);
/* strongSwan's candidate priority: 2^16 * hp_type_preference(type) + 65535. */
uint32_t hp_candidate_priority(uint8_t type);
/* Pair priority: 2^32 * min(G, D) + 2 * max(G, D) + (G > D ? 1 : 0), where G is the
 * initiator's candidate priority and D the responder's (RFC 8445 6.1.2.3). Saturates
 * at UINT64_MAX instead of wrapping for priorities above 2^31 (never sent by strongSwan). */
uint64_t hp_pair_priority(uint32_t g, uint32_t d);
/* "HOST", "PEER_REFLEXIVE", ...; "(unknown)" otherwise. */
const char *hp_cand_type_name(uint8_t type);
/* "waiting", "in-progress", "succeeded", "failed". */
const char *hp_pair_state_name(uint8_t state);

/* Writes the ME_ENDPOINT notify data of c into w, exactly as strongSwan's
 * endpoint_notify.c builds it: priority | family | type | port | address, where a
 * candidate without address has family 0, port 0 and no address bytes (8 bytes).
 * Returns IKE_OK, IKE_ERR_INVAL (type not 1..4, bad family) or IKE_ERR_NOBUF. */
IKE_MUST_CHECK int hp_endpoint_encode(ike_wr *w, const hp_candidate *c);
/* Parses ME_ENDPOINT notify data as strongSwan does: family must be 0..2, type 1..4,
 * and for family 1/2 the port and the 4/16 address bytes must be present; trailing
 * bytes are ignored. out->base is cleared. Returns IKE_OK, IKE_ERR_TRUNCATED or
 * IKE_ERR_MALFORMED. */
IKE_MUST_CHECK int hp_endpoint_decode(ike_slice data, hp_candidate *out);

/* Whether pkt looks like a connectivity check (IKEv2 INFORMATIONAL, both SPIs zero, a
 * well-formed check), and if so its ME_CONNECTID (a view into pkt), so that the
 * program can hand it to the session with that connect ID. Returns IKE_OK,
 * IKE_ERR_TRUNCATED/IKE_ERR_MALFORMED (not a check), never a fatal code. */
IKE_MUST_CHECK int hp_check_connect_id(const uint8_t *pkt, size_t len, ike_slice *connect_id);

/* Creates a session at time now: copies ids, keys and candidates (refusing, with a log
 * line and a counter, candidates without address and those over max_endpoints),
 * forms pairs when remote candidates are given, and schedules the first check at
 * now. cb and user are kept. Returns IKE_OK and *out, IKE_ERR_INVAL (missing
 * callback, id or key, or lengths out of range) or IKE_ERR_NOMEM. */
IKE_MUST_CHECK int hp_session_new(hp_session **out, const hp_config *cfg, const hp_callbacks *cb, void *user,
                                  ike_ms now);
/* Frees the session and wipes its keys. NULL is fine. */
void hp_session_free(hp_session *s);

/* Adds the peer's candidates (for example when they arrive after the session was
 * made), forms the new pairs (duplicates of existing pairs are pruned; pair numbers
 * already in use are kept) and starts the check sender if it was idle. Candidates
 * over the limits are refused and counted. Returns IKE_OK, IKE_ERR_STATE (the session
 * already has an outcome) or IKE_ERR_NOMEM. */
IKE_MUST_CHECK int hp_session_add_remote(hp_session *s, const hp_candidate *c, size_t n, ike_ms now);

/* Processes a datagram that arrived on path (path->local = the address it was received
 * on, which must be the real local address, not a wildcard). Answers requests (also
 * after the outcome, so a slower peer can finish), queues triggered checks, learns
 * peer-reflexive candidates and marks pairs succeeded. May call send and on_event.
 * Returns IKE_OK when the check was valid; a dropped datagram returns
 * IKE_ERR_MALFORMED/IKE_ERR_TRUNCATED (not a check), IKE_ERR_NOT_FOUND (another
 * connect ID, or a response to no pair of ours), IKE_ERR_AUTH (ME_CONNECTAUTH wrong);
 * the drop is counted and logged (at most 10 lines a second) and the session is unchanged.
 * IKE_ERR_NOMEM or IKE_ERR_CRYPTO if SHA-1 could not be computed (nothing changed). */
int hp_session_recv(hp_session *s, const ike_path *path, const uint8_t *pkt, size_t len, ike_ms now);

/* Runs everything due at or before now: the next paced check, retransmissions, pair
 * failures, nomination and the failure bound. Returns IKE_OK. */
int hp_session_tick(hp_session *s, ike_ms now);

/* When hp_session_tick next has work, or IKE_NEVER. */
ike_ms hp_session_next_deadline(const hp_session *s);

/* Responder: the initiator's direct IKE_SA_INIT carrying our ME_CONNECTID arrived on
 * path (strongSwan's ike_init.c calls stop_checks here): this is the nomination.
 * Stops our checks and reports HP_EV_PAIR_CHOSEN with path. Also accepted on the
 * initiator, where it does the same. Returns IKE_OK or IKE_ERR_STATE (already done). */
IKE_MUST_CHECK int hp_session_nominated(hp_session *s, const ike_path *path, ike_ms now);

/* Background checks (after a relayed pair was chosen with cfg.keep_checking): the
 * direct pairs that failed are checked again from now (a NAT mapping, a firewall or
 * a port mapping may have changed). Returns IKE_OK, or IKE_ERR_STATE when the
 * session is not checking in the background. */
IKE_MUST_CHECK int hp_session_recheck(hp_session *s, ike_ms now);
/* True while the session checks direct pairs in the background (see keep_checking). */
bool hp_session_background(const hp_session *s);
/* True once PAIR_CHOSEN or FAILED was reported. */
bool hp_session_done(const hp_session *s);

/* Copies up to max pair snapshots, by priority, into out; returns the number of pairs. */
size_t hp_session_pairs(const hp_session *s, hp_pair_info *out, size_t max);
/* The counters. */
const hp_stats *hp_session_stats(const hp_session *s);

#endif /* HOLEPUNCH_HP_H */
