/* SPDX-License-Identifier: MIT */
/*
 * medsrv/registry.h - who is online at the mediation server: KEY_ID ->
 * registration (shard, IKE_SA handle, endpoint, since), the remembered
 * ME_CALLBACK interests ("tell me when X comes online"), and the server's
 * counters.
 *
 * One registry is shared by every shard (worker thread) of a medsrv process:
 * every function is thread-safe (one mutex, held only for a hash lookup or a
 * short list walk; the counters are atomics). Sans-IO: no clock, no sockets;
 * times are the monotonic milliseconds the caller passes.
 *
 * KEY_IDs are the canonical form (IKE_KEYID_SPK, SHA-1 of the DER PKCS#1
 * RSAPublicKey, strongSwan's `pki --keyid --id spk`); the form a peer presented
 * is kept beside it, because relayed messages must name a peer the way the
 * other side knows it.
 *
 * Pointer arguments are borrowed for the call. Errors: IKE_OK or a negative
 * IKE_ERR_* (ike/err.h).
 */
#ifndef MEDSRV_REGISTRY_H
#define MEDSRV_REGISTRY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/crypto_key.h"
#include "ike/err.h"
#include "ike/mem.h"
#include "ike/types.h"

/* ---- 1. opaque types ---- */
typedef struct ms_registry ms_registry;

/* ---- 2. value types ---- */

/* One live registration. */
typedef struct ms_reg {
	uint8_t keyid[IKE_KEYID_LEN]; /* canonical KEY_ID (SPK form) */
	uint8_t id[IKE_KEYID_LEN];    /* the KEY_ID as the peer presented it (SPK or SPKI form) */
	uint16_t shard;               /* the shard (worker) whose engine holds the SA */
	ike_sa_ref sa;                /* the registration's IKE_SA in that engine */
	ike_addr endpoint;            /* where the server sees the peer (its NAT's public side) */
	ike_ms since;                 /* monotonic ms of the registration */
} ms_reg;

/* A remembered ME_CALLBACK interest: requester wants to hear when target registers. */
typedef struct ms_waiter {
	uint8_t target[IKE_KEYID_LEN];    /* canonical KEY_ID of the peer asked for */
	uint8_t asked[IKE_KEYID_LEN];     /* that KEY_ID as the requester wrote it (sent back to it) */
	uint8_t requester[IKE_KEYID_LEN]; /* canonical KEY_ID of the peer that asked */
	ike_ms expires;                   /* forgotten at this monotonic time */
} ms_waiter;

/* Limits. A zeroed struct (or NULL) means the defaults in brackets. */
typedef struct ms_limits {
	unsigned max_waiters;          /* remembered callbacks in all [4096] */
	unsigned max_waiters_per_peer; /* per requester [16] */
	ike_ms waiter_ttl_ms;          /* how long a callback interest lives [600000 = 10 min] */
} ms_limits;

/* Counters (X-macro: name, text for status output). */
#define MS_COUNTERS(X)                                                                                       \
	X(REGISTRATIONS, "registrations")     /* peers that registered (SA_UP) */                            \
	X(REPLACED, "replaced")               /* registrations that replaced an older one */                 \
	X(UNREGISTRATIONS, "unregistrations") /* registrations gone (DELETE, DPD, replaced) */               \
	X(RELAYED, "mediations_relayed")      /* ME_CONNECT requests forwarded to a peer */                  \
	X(CONNECT_FAILED, "connect_failed")   /* ME_CONNECT answered ME_CONNECT_FAILED */                    \
	X(CALLBACKS, "callbacks_fired")       /* ME_CONNECT callbacks sent */                                \
	X(AUTH_FAILED, "auth_failed")         /* IKE_AUTH refused (unknown key, bad signature) */            \
	X(DROPS, "drops")                     /* datagrams and queued messages dropped */                    \
	X(FORWARDED, "forwarded")             /* datagrams handed to the worker owning their SA */

typedef enum ms_counter {
#define MS_CTR_X(n, s) MS_CTR_##n,
	MS_COUNTERS(MS_CTR_X)
#undef MS_CTR_X
	    MS_CTR_COUNT
} ms_counter;

/* "registrations", ... ; NULL for a value out of range. */
const char *ms_counter_name(ms_counter c);

/* ---- 4. functions ---- */

/* Creates an empty registry. mem (NULL = C library) must outlive it; lim is
 * copied (NULL = defaults). Errors: IKE_ERR_NOMEM. *out is NULL on error. */
IKE_MUST_CHECK int ms_registry_new(ms_registry **out, const ike_mem *mem, const ms_limits *lim);

/* Frees the registry and everything in it. NULL is ignored. No other thread may
 * use it any more. */
void ms_registry_free(ms_registry *r);

/* Records reg (copied) as reg->keyid's live registration. If the KEY_ID was
 * already registered, the old entry is replaced, copied to *old (may be NULL)
 * and *replaced is set (may be NULL): the caller then terminates the old SA.
 * Errors: IKE_ERR_NOMEM (nothing changed). */
IKE_MUST_CHECK int ms_registry_put(ms_registry *r, const ms_reg *reg, ms_reg *old, bool *replaced);

/* Removes keyid's registration only if it is still the one held by (shard, sa)
 * (a replaced registration's late SA_DOWN must not remove its successor).
 * Returns true when something was removed. */
bool ms_registry_remove(ms_registry *r, const uint8_t keyid[IKE_KEYID_LEN], uint16_t shard, ike_sa_ref sa);

/* Moves keyid's registration from (shard, old_sa) to (shard, new_sa) after an
 * IKE_SA rekey; nothing happens unless it is still held by (shard, old_sa).
 * Returns true when moved. */
bool ms_registry_move(ms_registry *r, const uint8_t keyid[IKE_KEYID_LEN], uint16_t shard, ike_sa_ref old_sa,
                      ike_sa_ref new_sa);

/* Copies keyid's live registration to *out. Errors: IKE_ERR_NOT_FOUND (offline). */
IKE_MUST_CHECK int ms_registry_get(ms_registry *r, const uint8_t keyid[IKE_KEYID_LEN], ms_reg *out);

/* Number of live registrations. */
size_t ms_registry_online(ms_registry *r);

/* Copies every live registration into a new array *out (*n entries; NULL when
 * there are none), allocated with the registry's mem; free it with
 * ms_registry_list_free(). Errors: IKE_ERR_NOMEM. */
IKE_MUST_CHECK int ms_registry_list(ms_registry *r, ms_reg **out, size_t *n);
void ms_registry_list_free(ms_registry *r, void *list);

/* Remembers that requester wants a callback when target registers, until
 * now + waiter_ttl_ms. The same (requester, target) again only refreshes the
 * expiry. Expired interests are purged first. Errors: IKE_ERR_LIMIT (too many
 * in all or for this requester: nothing remembered), IKE_ERR_NOMEM. */
IKE_MUST_CHECK int ms_registry_waiter_add(ms_registry *r, const uint8_t target[IKE_KEYID_LEN],
                                          const uint8_t asked[IKE_KEYID_LEN],
                                          const uint8_t requester[IKE_KEYID_LEN], ike_ms now);

/* Removes and copies into out (at most cap) the unexpired interests in target;
 * returns how many were copied. Interests beyond cap stay (call again).
 * Expired interests are purged. */
size_t ms_registry_waiters_take(ms_registry *r, const uint8_t target[IKE_KEYID_LEN], ike_ms now,
                                ms_waiter *out, size_t cap);

/* Forgets requester's interest in target (the target answered it, so it is
 * alive); returns whether there was one. */
bool ms_registry_waiter_drop(ms_registry *r, const uint8_t target[IKE_KEYID_LEN],
                             const uint8_t requester[IKE_KEYID_LEN]);

/* Copies the unexpired interests into a new array *out (*n entries, NULL when
 * none); free it with ms_registry_list_free(). Expired ones are purged.
 * Errors: IKE_ERR_NOMEM. */
IKE_MUST_CHECK int ms_registry_waiter_list(ms_registry *r, ike_ms now, ms_waiter **out, size_t *n);

/* Adds n to a counter (atomic; any thread). */
void ms_registry_count(ms_registry *r, ms_counter c, uint64_t n);

/* Reads every counter into out (MS_CTR_COUNT values). */
void ms_registry_counters(ms_registry *r, uint64_t out[MS_CTR_COUNT]);

#endif /* MEDSRV_REGISTRY_H */
