/* SPDX-License-Identifier: MIT */
/*
 * turn/turn.h - a sans-IO TURN client (RFC 8656 over UDP, long-term credentials of
 * RFC 8489 9.2): one allocation on one TURN server, its permissions and channels.
 *
 * Sans-IO: the client reads no clock (the time comes in as `ike_ms now`), opens no
 * socket (datagrams go out through the send callback and come in through
 * turn_client_recv), starts no timer (the caller asks turn_client_next_deadline and
 * calls turn_client_tick) and makes no randomness (transaction IDs come from the rand
 * callback).
 *
 * Not thread-safe; one client per allocation. Pointer arguments are borrowed for the
 * call; the client copies what it keeps (the password only as the long-term key,
 * wiped on free). Pointers passed to callbacks are valid only during the callback.
 * No turn_client_* function may be called from inside a callback, except the
 * read-only turn_client_state(), turn_client_relayed() and turn_client_stats().
 *
 * Credentials never appear in log records or event strings: neither the username,
 * nor the password, nor the key.
 */
#ifndef TURN_TURN_H
#define TURN_TURN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/err.h"
#include "ike/log.h"
#include "ike/mem.h"
#include "ike/types.h"
#include "turn/stun.h"

/* 1. Opaque types */
typedef struct turn_client turn_client;

/* 2. Plain value types */

typedef enum turn_state {
	TURN_ST_IDLE,       /* made, turn_client_allocate not called yet */
	TURN_ST_ALLOCATING, /* Allocate in flight (maybe after a 401 or 438) */
	TURN_ST_ALLOCATED,  /* relayed address valid; refreshed before expiry */
	TURN_ST_RELEASING,  /* Refresh with LIFETIME 0 in flight */
	TURN_ST_CLOSED,     /* released, failed, expired or lost: the client is done */
} turn_state;

typedef enum turn_event_type {
	TURN_EV_ALLOCATED,         /* relayed, mapped, lifetime_s */
	TURN_EV_ALLOC_FAILED,      /* err, code, reason: the client is CLOSED */
	TURN_EV_REFRESHED,         /* lifetime_s */
	TURN_EV_LOST,              /* the allocation is gone (437 on Refresh, no answer, expired): CLOSED */
	TURN_EV_RELEASED,          /* turn_client_release finished (err = IKE_ERR_TIMEOUT if unanswered) */
	TURN_EV_PERMISSION_OK,     /* peer (IP only meaningful): first install */
	TURN_EV_PERMISSION_FAILED, /* peer, err, code, reason */
	TURN_EV_CHANNEL_BOUND,     /* peer, channel: first bind */
	TURN_EV_CHANNEL_FAILED,    /* peer, channel, err, code, reason */
	TURN_EV_DATA,              /* peer, data, len, channel (0 = Data indication) */
} turn_event_type;

typedef struct turn_event {
	turn_event_type type;
	ike_addr relayed;    /* ALLOCATED: the relayed transport address (XOR-RELAYED-ADDRESS) */
	ike_addr mapped;     /* ALLOCATED: our server-reflexive address (XOR-MAPPED-ADDRESS) */
	uint32_t lifetime_s; /* ALLOCATED, REFRESHED */
	ike_addr peer;       /* PERMISSION_*, CHANNEL_*, DATA */
	uint16_t channel;    /* CHANNEL_*, DATA over a channel */
	int err;            /* *_FAILED, LOST, RELEASED: IKE_ERR_AUTH, IKE_ERR_TIMEOUT, IKE_ERR_POLICY, ... */
	int code;           /* STUN error code (401, 438, ...) or 0 */
	const char *reason; /* *_FAILED, LOST: one sentence for users and logs, no credentials */
	const uint8_t *data; /* DATA */
	size_t len;
} turn_event;

typedef struct turn_stats {
	uint64_t requests_sent;    /* first transmissions */
	uint64_t retransmissions;  /* request retransmissions */
	uint64_t responses;        /* responses matched to a transaction */
	uint64_t indications_sent; /* Send indications */
	uint64_t channel_data_sent;
	uint64_t data_received; /* Data indications and ChannelData delivered */
	uint64_t dropped;       /* datagrams ignored (malformed, unknown transaction, bad integrity) */
	uint64_t send_errors;   /* the send callback returned non-zero */
	uint64_t stale_nonces;  /* 438 answers followed (request sent again with the new nonce) */
	uint64_t refreshes;     /* successful Refresh of the allocation */
} turn_stats;

/* Parameters. Fill with turn_config_defaults(), then set server and credentials. */
typedef struct turn_config {
	ike_addr server;      /* the TURN server's UDP address */
	const char *username; /* copied; required */
	const char *password; /* used to make the long-term key once the realm is known; not kept */
	const uint8_t *key;   /* or: the long-term key itself (STUN_KEY_LEN bytes), copied */
	const char *software; /* SOFTWARE attribute, copied; NULL = none */
	uint32_t lifetime_s;  /* LIFETIME asked for in Allocate and Refresh; 0 = the server's default */

	/* RFC 8489 6.2.1: first RTO 500 ms, doubled per retransmission up to rto_max_ms;
	 * Rc = 7 transmissions, then the transaction fails rm * rto_ms (16 * 500) after
	 * the last one (39.5 s in all with the defaults). */
	ike_ms rto_ms;
	ike_ms rto_max_ms;  /* cap of the doubled RTO (default 16000: not reached with Rc 7) */
	uint32_t max_tries; /* Rc (7) */
	uint32_t rm;        /* Rm (16) */
	/* Refresh the allocation refresh_margin_s before it expires (60), or at half its
	 * lifetime when that is shorter than 2 * refresh_margin_s. */
	uint32_t refresh_margin_s;
	/* And at least every keepalive_ms (0 = off): a NAT between us and the server
	 * forgets an idle mapping within minutes, and a server that died is noticed
	 * within keepalive_ms and one transaction's give-up time (TURN_EV_LOST). */
	ike_ms keepalive_ms;
	/* Permissions last 300 s and channels 600 s on the server (RFC 8656 9, 12);
	 * the client refreshes them after these intervals. */
	ike_ms permission_refresh_ms; /* 240000: every 4 minutes while used */
	ike_ms channel_refresh_ms;    /* 540000: every 9 minutes */
	uint32_t max_stale_nonce;     /* 438 answers in a row per transaction before giving up (3) */

	const ike_mem *mem;    /* NULL = C library */
	ike_log_level log_max; /* records above this level are not formatted */
	const char *tag;       /* log tag, copied; NULL = "turn" */
} turn_config;

/* 3. Callbacks */
typedef struct turn_callbacks {
	/* Required. Sends one datagram to to (always the server). Return 0, or non-zero
	 * on failure: counted (send_errors); requests are retransmitted anyway. */
	int (*send)(void *user, const ike_addr *to, const uint8_t *pkt, size_t len);
	/* Required. Reports TURN_EV_*; ev and everything it points to are valid during the call. */
	void (*on_event)(void *user, const turn_event *ev);
	/* Required. Fills out with len unpredictable bytes (transaction IDs). */
	void (*rand)(void *user, uint8_t *out, size_t len);
	/* Optional (NULL = no logging). Records use the subsystem IKE_SUB_NET and the tag. */
	void (*log)(void *user, const ike_log_rec *rec);
} turn_callbacks;

/* 4. Functions */

/* Fills cfg with the defaults above (no server, no credentials). */
void turn_config_defaults(turn_config *cfg);
/* "idle", "allocating", "allocated", "releasing", "closed". */
const char *turn_state_name(turn_state st);
/* "ALLOCATED", "ALLOC_FAILED", ... */
const char *turn_event_name(turn_event_type type);

/* Creates a client at time now; nothing is sent until turn_client_allocate. Copies
 * the username, software and key; cb and user are kept. Returns IKE_OK and *out,
 * IKE_ERR_INVAL (missing callback, server address, username, or both/neither of
 * password and key) or IKE_ERR_NOMEM. */
IKE_MUST_CHECK int turn_client_new(turn_client **out, const turn_config *cfg, const turn_callbacks *cb,
                                   void *user, ike_ms now);
/* Frees the client and wipes the key. Sends nothing: call turn_client_release first
 * to free the allocation on the server. NULL is fine. */
void turn_client_free(turn_client *c);

/* Sends the first Allocate (REQUESTED-TRANSPORT UDP, no credentials: the server
 * answers 401 with its REALM and NONCE and the client retries with
 * MESSAGE-INTEGRITY). ALLOCATED or ALLOC_FAILED follows. Returns IKE_OK,
 * IKE_ERR_STATE (not idle) or IKE_ERR_NOMEM. */
IKE_MUST_CHECK int turn_client_allocate(turn_client *c, ike_ms now);

/* Processes a datagram from the server (from must be the server address: others
 * give IKE_ERR_NOT_FOUND). Handles responses to our requests, Data indications and
 * ChannelData. May call send and on_event. Returns IKE_OK when it was used; a
 * dropped datagram returns IKE_ERR_MALFORMED/TRUNCATED/INTEGRITY (bad message),
 * IKE_ERR_NOT_FOUND (no such transaction or channel, or another sender) and leaves
 * the client unchanged except for the dropped counter. */
int turn_client_recv(turn_client *c, const ike_addr *from, const uint8_t *pkt, size_t len, ike_ms now);

/* Runs everything due at or before now: retransmissions and give-ups, Refresh of
 * the allocation, permissions and channels, expiry. Returns IKE_OK. */
int turn_client_tick(turn_client *c, ike_ms now);

/* When turn_client_tick next has work, or IKE_NEVER. Computed only from state the
 * tick advances: a tick at the deadline always sends, reports or moves it. */
ike_ms turn_client_next_deadline(const turn_client *c);

/* Installs a permission for peer's IP address (the port is ignored), refreshed
 * every permission_refresh_ms as long as data was sent to or received from that IP
 * since the last refresh (a permission under a channel is kept by the channel).
 * PERMISSION_OK or PERMISSION_FAILED follows. Asking again for an installed IP does
 * nothing. Returns IKE_OK, IKE_ERR_STATE (not allocated), IKE_ERR_INVAL (bad
 * address), IKE_ERR_LIMIT (16 permissions) or IKE_ERR_NOMEM. */
IKE_MUST_CHECK int turn_client_permit(turn_client *c, const ike_addr *peer, ike_ms now);

/* Binds a channel to peer (IP and port), also installing its permission, refreshed
 * every channel_refresh_ms while the allocation lives. *channel receives the number
 * (0x4000 upwards). CHANNEL_BOUND or CHANNEL_FAILED follows; data to peer goes as
 * ChannelData once bound. Binding a bound peer again returns its channel. Returns
 * IKE_OK, IKE_ERR_STATE, IKE_ERR_INVAL, IKE_ERR_LIMIT (16 channels) or IKE_ERR_NOMEM. */
IKE_MUST_CHECK int turn_client_bind_channel(turn_client *c, const ike_addr *peer, uint16_t *channel,
                                            ike_ms now);

/* Sends data to peer through the relay: ChannelData when a channel to peer is
 * bound, else a Send indication. Returns IKE_OK, IKE_ERR_STATE (not allocated),
 * IKE_ERR_NOT_FOUND (no permission asked for peer's IP), IKE_ERR_INVAL (len over
 * 65535 - 36 bytes) or IKE_ERR_CALLBACK (send failed). */
IKE_MUST_CHECK int turn_client_send(turn_client *c, const ike_addr *peer, const uint8_t *data, size_t len,
                                    ike_ms now);

/* Releases the allocation: Refresh with LIFETIME 0, retransmitted as any request;
 * RELEASED follows (also when unanswered, with err IKE_ERR_TIMEOUT, or when the
 * allocation was already gone). Pending permission and channel requests are
 * dropped. From ALLOCATING, the client just closes (RELEASED at once). Returns
 * IKE_OK or IKE_ERR_STATE (idle or closed). */
IKE_MUST_CHECK int turn_client_release(turn_client *c, ike_ms now);

turn_state turn_client_state(const turn_client *c);
/* The relayed address (family IKE_AF_NONE before ALLOCATED). */
const ike_addr *turn_client_relayed(const turn_client *c);
const turn_stats *turn_client_stats(const turn_client *c);

#endif /* TURN_TURN_H */
