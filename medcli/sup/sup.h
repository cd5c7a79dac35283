/* SPDX-License-Identifier: MIT */
/*
 * medcli/sup/sup.h - the connection supervisor: one per configured peer, sans-IO.
 *
 * It owns the policy of a connection: whether the user wants the tunnel (the
 * user's last word, or the peer's start action), what the connection is doing
 * (mediating, waiting for the peer, checking, connecting, up, retrying), how long
 * an attempt may take, when to try again (capped exponential back-off with
 * jitter, never a final failure while the tunnel is wanted), and when a tunnel
 * that sends without receiving must be probed. It is fed events and the time and
 * answers with actions (a bit set) that the program carries out (medcli/src:
 * ME_CONNECT, the checks, the direct IKE_SA, the data plane).
 *
 * Its deadline (sup_next_deadline) is computed only from state that sup_tick
 * advances: a tick at or after the deadline always moves the deadline into the
 * future or changes the state, so a program loop driven by it cannot spin.
 * Randomness (the back-off jitter) comes in as an argument. No clock, no IO.
 * See docs/medcli.md ("The connection supervisor").
 */
#ifndef MEDCLI_SUP_H
#define MEDCLI_SUP_H
#include <stdbool.h>
#include <stdint.h>

#include "ike/types.h"

typedef enum sup_state {
	SUP_DOWN,       /* nothing running; not wanted (or waiting for the user) */
	SUP_MEDIATING,  /* our ME_CONNECT request is out (or queued until we are registered) */
	SUP_WAITING,    /* the peer is not online at the server; its ME_CALLBACK will tell us */
	SUP_CHECKING,   /* connectivity checks on the candidate pairs */
	SUP_CONNECTING, /* a pair was chosen: the direct IKE_SA runs */
	SUP_UP,         /* the CHILD_SA is installed */
	SUP_RETRYING,   /* an attempt failed; the next one starts at retry_at */
} sup_state;

/* What makes a connection wanted when the user has said nothing (swanctl's start_action). */
typedef enum sup_start {
	SUP_START_MANUAL = 0,    /* only `medcli up` */
	SUP_START_ALWAYS = 1,    /* from the daemon's start on: kept up */
	SUP_START_ON_DEMAND = 2, /* when traffic for the peer's side appears in the tunnel device */
} sup_start;

/* The user's last explicit word (control socket). */
typedef enum sup_intent {
	SUP_INTENT_NONE, /* follow the start action */
	SUP_INTENT_UP,   /* `up`: keep it up */
	SUP_INTENT_DOWN, /* `down`: keep it down, refuse the peer's requests too */
} sup_intent;

typedef enum sup_ev_type {
	SUP_EV_USER_UP = 1,      /* `medcli up` */
	SUP_EV_USER_DOWN,        /* `medcli down` */
	SUP_EV_TRAFFIC,          /* on-demand: a packet for the peer's side */
	SUP_EV_REGISTERED,       /* the registration at the mediation server is (again) up */
	SUP_EV_UNREGISTERED,     /* ... and is down */
	SUP_EV_PEER_OFFLINE,     /* the server: the peer is not registered (ME_CONNECT_FAILED) */
	SUP_EV_PEER_ONLINE,      /* the server's ME_CALLBACK: the peer registered */
	SUP_EV_PEER_REQUEST,     /* a mediated connection requested by the peer (ask sup_accepts first) */
	SUP_EV_ANSWERED,         /* the peer answered our ME_CONNECT: checks start */
	SUP_EV_PAIR_CHOSEN,      /* the checks found a pair: the direct IKE_SA starts */
	SUP_EV_TUNNEL_UP,        /* CHILD_SA installed */
	SUP_EV_PEER_DELETED,     /* the peer deleted the direct IKE_SA (INFORMATIONAL DELETE) */
	SUP_EV_TUNNEL_DEAD,      /* the direct IKE_SA died (DPD, retransmissions) */
	SUP_EV_FAILED,           /* this attempt failed (no path, the server refused, the IKE_SA failed) */
	SUP_EV_ENDPOINT_CHANGED, /* our public endpoint changed (the server told us) */
	SUP_EV_ASKED             /* our ME_CONNECT request went out to the server */
} sup_ev_type;

/* Actions, as bits of the value sup_event()/sup_tick() return. */
enum {
	SUP_DO_ABORT = 1u << 0,   /* end whatever runs: checks, pending ME_CONNECT, the direct IKE_SA */
	SUP_DO_MEDIATE = 1u << 1, /* (after ABORT) start a fresh mediation as requester */
	SUP_DO_PROBE = 1u << 2,   /* liveness check now: DPD on the direct IKE_SA and on the registration */
	SUP_DO_ACCEPT = 1u << 3,  /* PEER_REQUEST: answer it (ABORT comes with it) */
	SUP_DO_REFUSE = 1u << 4,  /* PEER_REQUEST: refuse it (ME_CONNECT_FAILED) */
};

typedef struct sup_cfg {
	ike_ms attempt_ms;     /* bound of one attempt, mediation to tunnel up (10 s) */
	ike_ms backoff_min_ms; /* first retry after a failure (1 s) */
	ike_ms backoff_max_ms; /* retries never further apart (30 s) */
	ike_ms recheck_ms;     /* while waiting for the peer, ask again this often anyway (60 s) */
	ike_ms probe_after_ms; /* sending without receiving this long: probe (2 s) */
	ike_ms sample_ms;      /* traffic counters looked at this often while up (1 s) */
	ike_ms cross_ms;       /* a peer's request this soon after ours crossed it (1 s) */
	sup_start start;
} sup_cfg;

/* Traffic counters of the tunnel (packets), for the send-without-receive check. */
typedef struct sup_traffic {
	uint64_t in, out;
} sup_traffic;

typedef struct sup {
	sup_cfg cfg;
	sup_state st;
	sup_intent intent;
	bool demanded;     /* on-demand: traffic asked for it (until `down`) */
	bool restoring;    /* an unwanted tunnel being restored once after an endpoint change */
	bool initiator;    /* the current attempt is ours (we sent the request) */
	bool registered;   /* at the mediation server (REGISTERED/UNREGISTERED) */
	ike_ms started;    /* of the current attempt */
	ike_ms asked_at;   /* when our request of this attempt went out (0 = not yet) */
	ike_ms deadline;   /* of the current attempt (0 = none) */
	ike_ms retry_at;   /* RETRYING/WAITING: next attempt (0 = none) */
	ike_ms backoff_ms; /* of the next failure */
	ike_ms up_at;
	unsigned attempts, failures;
	/* send-without-receive check, while up */
	ike_ms sample_at;
	bool have_last;
	sup_traffic last;
	ike_ms rx_moved; /* when packets last came in (or the tunnel came up) */
	ike_ms tx_moved; /* when packets last went out while nothing came in */
	bool probed;     /* a probe is out for this silence */
	char why[512];   /* the last failure's reason, for status */
} sup;

/* Defaults: 10 s attempts, back-off 1 s..30 s, recheck 60 s, probe after 2 s, samples 1 s,
 * requests cross within 1 s. */
void sup_cfg_defaults(sup_cfg *cfg);

/* A fresh supervisor in SUP_DOWN. With start == SUP_START_ALWAYS the first tick
 * asks for a mediation. */
void sup_init(sup *s, const sup_cfg *cfg, ike_ms now);

/* A new start action (configuration reloaded). When that makes a resting
 * connection wanted, the next tick starts it; the user's word stays in force. */
void sup_set_start(sup *s, sup_start start, ike_ms now);

/* Restores the user's last word as it was kept across a restart: like
 * sup_set_start, a resting connection that this makes wanted starts at the
 * next tick; nothing is aborted. */
void sup_set_intent(sup *s, sup_intent intent, ike_ms now);

/* Whether the tunnel is wanted now (by the user, or by the start action). */
bool sup_wanted(const sup *s);

/* Whether a peer's request would be accepted now: not after `down`, and not when
 * both sides asked at once and our request wins (we_win: our KEY_ID is the
 * smaller, the rule both sides apply). "At once": our request went out less than
 * cross_ms ago, or the peer answered it and the checks run. A request of ours
 * that the peer left unanswered for longer was refused or lost (the peer was
 * down then, or restarted), and one not sent yet cannot cross: the peer's
 * request is accepted then. */
bool sup_accepts(const sup *s, bool we_win, ike_ms now);

/* Feeds one event. why (may be NULL) is the reason of FAILED / TUNNEL_DEAD /
 * PEER_DELETED for status. rnd is a random value for the back-off's jitter.
 * Returns SUP_DO_* bits. */
unsigned sup_event(sup *s, sup_ev_type ev, const char *why, ike_ms now, uint32_t rnd);

/* Runs what is due at now: the attempt's bound, the retry, the traffic check
 * (tr: the tunnel's counters, NULL when there is no tunnel). Returns SUP_DO_* bits. */
unsigned sup_tick(sup *s, ike_ms now, const sup_traffic *tr, uint32_t rnd);

/* When sup_tick next has something to do, or IKE_NEVER. */
ike_ms sup_next_deadline(const sup *s);

/* The state's name as `medcli status` shows it ("down", "mediating", ...). */
const char *sup_state_name(sup_state st);

/* Milliseconds until the next attempt while RETRYING/WAITING, else -1. */
int64_t sup_retry_in(const sup *s, ike_ms now);

#endif /* MEDCLI_SUP_H */
