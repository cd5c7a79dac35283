/* SPDX-License-Identifier: MIT */
/*
 * medsrv/shard.h - one shard of the mediation server: an IKE engine (its SAs
 * are the registrations this shard holds) plus the mediation logic around it:
 * registering peers in the shared registry (one live registration per KEY_ID;
 * a new one replaces and terminates the old), answering ME_CONNECT (relay to
 * the target, ME_CONNECT_FAILED for unknown or offline targets, remembering
 * ME_CALLBACK interests and firing them when the target registers), and a
 * per-SA outbound queue for the ME_CONNECTs the server sends (the engine runs
 * one exchange of ours at a time per SA).
 *
 * Sans-IO like the engine: fed datagrams, messages from other shards and the
 * time; emits datagrams and messages through callbacks. Not thread-safe: one
 * shard per thread (the registry it shares is thread-safe). Shards talk only
 * through ms_msg values (post callback -> ms_shard_deliver on the owner's
 * thread), never through each other's memory.
 *
 * Pointer arguments are borrowed for the call; pointers passed to callbacks
 * are valid only during the callback. No ms_shard_* function may be called
 * from inside one of this shard's callbacks.
 */
#ifndef MEDSRV_SHARD_H
#define MEDSRV_SHARD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/engine.h"
#include "medsrv/registry.h"
#include "medsrv/turn.h"

/* ---- 1. opaque types ---- */
typedef struct ms_shard ms_shard;

/* ---- 2. value types ---- */

/* A peer's public key as the key store (the database) has it. */
typedef struct ms_peer_key {
	uint8_t keyid[IKE_KEYID_LEN]; /* canonical KEY_ID (SPK form) */
	const uint8_t *pubkey;        /* DER SubjectPublicKeyInfo (or any form ike_key_load takes) */
	size_t pubkey_len;
} ms_peer_key;

typedef enum ms_msg_type {
	MS_MSG_CONNECT = 1, /* send req as an ME_CONNECT on sa (a relay or a callback) */
	MS_MSG_TERMINATE,   /* delete sa (a registration replaced on another shard) */
} ms_msg_type;

/* A message between shards (also used inside one shard). Plain value: copy it. */
typedef struct ms_msg {
	ms_msg_type type;
	uint16_t to_shard;
	ike_sa_ref sa;                     /* on to_shard */
	uint8_t to_keyid[IKE_KEYID_LEN];   /* the peer sa belongs to (checked, logged) */
	uint8_t from_keyid[IKE_KEYID_LEN]; /* the peer the message comes from (logged) */
	ike_me_connect req;                /* MS_MSG_CONNECT */
} ms_msg;

/* Configuration. Start from ms_shard_config_defaults(). */
typedef struct ms_shard_config {
	ike_config engine;     /* the engine's config: local_id, private_key, mem, ... */
	uint16_t index;        /* this shard's number (stored in registrations) */
	ms_registry *registry; /* required, shared, borrowed: must outlive the shard */
	unsigned queue_max;    /* ME_CONNECTs waiting to be sent, whole shard [4096] */
	unsigned queue_per_sa; /* waiting for one SA [16] */
	ike_ms queue_ttl_ms;   /* a message waiting longer is dropped [30000] */
	/* TURN relay credentials handed to registered peers in N(ME_TURN) (at
	 * IKE_AUTH when they sent ME_MEDIATION, refreshed after half their
	 * lifetime while registered here); borrowed, must outlive the shard.
	 * NULL or no server: none. */
	const ms_turn_config *turn;
} ms_shard_config;

typedef struct ms_shard_callbacks {
	/* Required: one IKE datagram (as ike_callbacks.send). */
	int (*send)(void *user, const ike_path *path, const uint8_t *pkt, size_t len);
	/* Required: finds the peer whose KEY_ID (either form, len bytes) is keyid.
	 * Fill *out (pubkey must stay valid until the shard call in progress
	 * returns) and return IKE_OK, or IKE_ERR_NOT_FOUND (unknown peer), or
	 * another error (the key store failed: refused like an unknown peer). */
	int (*find_key)(void *user, const uint8_t *keyid, size_t len, ms_peer_key *out);
	/* Required with several shards: hands m (copy it) to shard m->to_shard,
	 * which must get it through ms_shard_deliver() on its own thread. Messages
	 * for this shard itself never come here. Return IKE_OK or an error (the
	 * message is dropped and counted). NULL: messages to other shards are dropped. */
	int (*post)(void *user, const ms_msg *m);
	/* Optional: log records, the engine's and the shard's own (sub IKE_SUB_ME);
	 * rec->tag is "#<slot> <KEY_ID short form>" where the peer is known. */
	void (*log)(void *user, const ike_log_rec *rec);
	/* Optional: random bytes for the engine (NULL = OpenSSL). */
	void (*rand)(void *user, uint8_t *out, size_t len);
} ms_shard_callbacks;

/* Per-shard counters (the shared ones are in the registry). */
typedef struct ms_shard_stats {
	ike_stats engine;
	size_t registered; /* registrations held by this shard */
	size_t queued;     /* ME_CONNECTs waiting for their SA */
} ms_shard_stats;

/* ---- 4. functions ---- */

/* Fills *cfg with the defaults (ike_config_defaults() for the engine, a
 * mediation server's: no rekeying, DPD 30 s; the queue limits above). */
void ms_shard_config_defaults(ms_shard_config *cfg);

/* Creates a shard with its engine. cfg and cb are copied (cfg->engine as
 * ike_engine_new copies it); user is passed to every callback. Errors:
 * IKE_ERR_INVAL (no registry, missing callback), and those of ike_engine_new.
 * *out is NULL on error. */
IKE_MUST_CHECK int ms_shard_new(ms_shard **out, const ms_shard_config *cfg, const ms_shard_callbacks *cb,
                                void *user, ike_ms now);

/* Frees the shard and its engine silently (no DELETE) and removes its
 * registrations from the registry. NULL is ignored. */
void ms_shard_free(ms_shard *s);

/* Processes one IKE datagram (non-ESP marker stripped). Returns what
 * ike_engine_recv returns (drops are counted in the registry's "drops");
 * act only on ike_err_is_fatal(). */
IKE_MUST_CHECK int ms_shard_recv(ms_shard *s, const ike_path *path, const uint8_t *pkt, size_t len,
                                 ike_ms now);

/* Takes a message another shard posted (m borrowed). MS_MSG_CONNECT is queued
 * for its SA and sent as soon as the SA has no exchange of ours running;
 * MS_MSG_TERMINATE deletes the SA. A message for a stale SA, or for an SA that
 * no longer belongs to m->to_keyid, is dropped (IKE_ERR_STALE_SA). Errors:
 * IKE_ERR_LIMIT (queue full: dropped), IKE_ERR_NOMEM, IKE_ERR_INVAL. */
IKE_MUST_CHECK int ms_shard_deliver(ms_shard *s, const ms_msg *m, ike_ms now);

/* Runs the engine's timers and expires queued messages. Returns IKE_OK or a
 * fatal engine error. */
IKE_MUST_CHECK int ms_shard_tick(ms_shard *s, ike_ms now);

/* The earliest time ms_shard_tick() has work, or IKE_NEVER. */
ike_ms ms_shard_next_deadline(const ms_shard *s);

/* Deletes every registration of this shard (DELETE to each peer; SA_DOWNs
 * follow as answers arrive or time out). For a clean shutdown. */
void ms_shard_terminate_all(ms_shard *s, ike_ms now);

/* Copies the counters. */
void ms_shard_get_stats(const ms_shard *s, ms_shard_stats *out);

/* The KEY_ID short form used in logs: the first 4 bytes in hex (8 chars + NUL). */
#define MS_KEYID_SHORT_LEN 9
const char *ms_keyid_short(const uint8_t keyid[IKE_KEYID_LEN], char out[MS_KEYID_SHORT_LEN]);

#endif /* MEDSRV_SHARD_H */
