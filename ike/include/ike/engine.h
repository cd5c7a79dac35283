/* SPDX-License-Identifier: MIT */
/*
 * ike/engine.h - the sans-IO IKEv2 engine (RFC 7296): fed datagrams and the time,
 * it emits datagrams and events through callbacks. It opens no socket, reads no
 * clock and starts no thread.
 *
 * Not thread-safe: one engine per thread (medsrv: one per shard). An engine holds
 * all its IKE_SAs and demultiplexes incoming datagrams by SPI itself.
 * Pointer arguments are borrowed for the call unless marked "adopted"; the engine
 * copies whatever it keeps. Pointers passed to callbacks are valid only during
 * the callback.
 *
 * Re-entrancy: from inside a callback, only ike_engine_initiate() and
 * ike_engine_terminate() may be called (their work is queued and runs before the
 * outermost engine call returns). SAs are never freed while a callback runs:
 * freeing is deferred until the outermost engine call returns. Calling any other
 * function from a callback returns IKE_ERR_STATE.
 *
 * Lifecycle: ike_config_defaults() -> fill in -> ike_engine_new(); then feed it
 * with ike_engine_recv() for every datagram, call ike_engine_tick() whenever
 * ike_engine_next_deadline() is reached, start SAs with ike_engine_initiate(),
 * stop them with ike_engine_terminate(); finally ike_engine_free().
 * See docs/engine.md.
 */
#ifndef IKE_ENGINE_H
#define IKE_ENGINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/err.h"
#include "ike/log.h"
#include "ike/mem.h"
#include "ike/types.h"

/* ---- 1. opaque types ---------------------------------------------------- */

typedef struct ike_engine ike_engine;

/* ---- 2. plain value types ----------------------------------------------- */

/* Authentication methods a peer config can use (locally or for the remote side). */
typedef enum ike_authby {
	IKE_AUTHBY_NONE = 0,
	IKE_AUTHBY_PUBKEY, /* RSA raw public key: RFC 7427 method 14 when the peer sent
	                    SIGNATURE_HASH_ALGORITHMS with SHA-256, else method 1 */
	IKE_AUTHBY_PSK,    /* pre-shared key, method 2 */
} ike_authby;

/* A traffic selector (RFC 7296 3.13.1), addresses in network order. */
typedef struct ike_tsel {
	uint8_t family; /* IKE_AF_INET or IKE_AF_INET6 */
	uint8_t proto;  /* IP protocol, 0 = any */
	uint16_t port_lo, port_hi;
	uint8_t lo[16], hi[16];
} ike_tsel;

#define IKE_TS_MAX 4

/* A list of traffic selectors; n == 0 in a config means "my/your address only"
 * (the host's own address, a /32 or /128). */
typedef struct ike_tsel_list {
	uint8_t n;
	ike_tsel ts[IKE_TS_MAX];
} ike_tsel_list;

/* Engine-wide configuration. Start from ike_config_defaults(). Every pointer is
 * borrowed for the ike_engine_new() call: the engine copies what it keeps. */
typedef struct ike_config {
	const ike_mem *mem;      /* allocator; NULL = C library */
	ike_log_level log_level; /* records above this level are never formatted */
	const char *name;        /* engine name for log tags ("alice"); may be NULL */

	/* Local identity and credentials (used when a peer config does not override them). */
	ike_id local_id;
	ike_slice private_key; /* RSA private key, PEM or DER (PKCS#1 or PKCS#8); may be empty */

	/* Reliability (RFC 7296 2.1, 2.4). Retransmit i waits min(base * 2^i, max). */
	unsigned retransmit_tries; /* sends of a request before giving up, incl. the first */
	ike_ms retransmit_base_ms;
	ike_ms retransmit_max_ms;

	/* Responder protection (RFC 7296 2.6). From cookie_threshold half-open SAs
	 * on, an IKE_SA_INIT without a valid COOKIE is answered with one and costs
	 * no state (so is every one once half_open_max is reached); only requests
	 * that pass are counted against the two limits, which drop them. */
	unsigned half_open_max;      /* half-open SAs beyond this are dropped */
	unsigned cookie_threshold;   /* half-open SAs at or above this demand a COOKIE */
	unsigned half_open_per_src;  /* half-open SAs per source IP (IPv6: per /64) beyond this
	                                are dropped (strongSwan's block_threshold); 0 = no limit */
	ike_ms half_open_timeout_ms; /* a responder SA not authenticated by then is freed */

	/* Liveness. 0 disables. */
	ike_ms dpd_interval_ms;       /* idle time before an empty INFORMATIONAL is sent */
	ike_ms keepalive_interval_ms; /* NAT keepalive period when behind a NAT */

	/* Lifetimes (0 = never). Rekeying starts at rekey - random(0..jitter). */
	ike_ms ike_rekey_ms;
	ike_ms child_rekey_ms;
	ike_ms rekey_jitter_ms;

	/* IKE proposals a responder accepts in IKE_SA_INIT, before it knows the peer
	 * (strongSwan-style string as in ike_peer_cfg; NULL = defaults). */
	const char *ike_proposals;

	/* Always float to port 4500 after IKE_SA_INIT, as strongSwan does, even without NAT. */
	bool natt_always;
	/* Local ports: normally 500 and 4500. */
	uint16_t port, natt_port;

	/* Sharding (one engine per worker thread, sockets shared with SO_REUSEPORT):
	 * every IKE SPI this engine picks carries spi_shard in its top spi_shard_bits
	 * bits (as the SPI is written on the wire, big-endian), the rest random, so a
	 * worker can route any datagram to the engine that owns its SA with
	 * ike_spi_shard(). spi_shard_bits 0..8 (0 = off); spi_shard < 2^bits. */
	unsigned spi_shard_bits;
	unsigned spi_shard;
} ike_config;

/* A peer: whom to talk to, how to authenticate, what to negotiate. Pointers are
 * borrowed for the call (or, when filled by the lookup_peer callback, until the
 * engine call that invoked the callback returns); the engine copies them. */
typedef struct ike_peer_cfg {
	const char *name;        /* for logs and events ("bob"); may be NULL */
	ike_addr local;          /* local address (port 0 = config port); responder: ignored */
	ike_addr remote;         /* remote address and port (normally 500); responder: ignored */
	ike_id local_id;         /* type 0 = the engine's local_id */
	ike_id remote_id;        /* type 0 = accept any identity the lookup confirms */
	ike_authby local_auth;   /* how we prove who we are */
	ike_authby remote_auth;  /* how the peer must prove it */
	ike_slice remote_pubkey; /* the peer's RSA public key (DER SPKI or PKCS#1, or PEM) */
	ike_slice psk;           /* pre-shared key for IKE_AUTHBY_PSK */
	/* strongSwan-style proposals, several separated by ',' (NULL = defaults):
	 * IKE "aes128gcm16-prfsha256-x25519", "aes256-sha256-modp2048";
	 * ESP "aes128gcm16", "aes256-sha256". */
	const char *ike_proposals;
	const char *esp_proposals;
	ike_tsel_list local_ts;  /* our side of the CHILD_SA */
	ike_tsel_list remote_ts; /* the peer's side */
	bool no_child;           /* IKE_SA only (set for mediation connections) */
	bool mediation;          /* mediation connection (draft-brunner-ikev2-mediation) */
	bool mediation_server;   /* we are the mediation server for this peer */
	/* Mediated connection (initiator): the connect ID of the mediation that found
	 * the path; sent as N(ME_CONNECTID) in IKE_SA_INIT, as strongSwan does, so the
	 * responder can end its connectivity checks. NULL/0 = none. At most IKE_ME_ID_MAX. */
	const uint8_t *me_connect_id;
	uint8_t me_connect_id_len;
	/* DPD interval of this IKE_SA (0 = the engine's dpd_interval_ms): e.g. a
	 * client's registration, probed more often than its tunnels. */
	ike_ms dpd_interval_ms;
} ike_peer_cfg;

/* Maximum key lengths carried in events. */
#define IKE_KEY_MAX 64

/* A negotiated CHILD_SA (ESP), as given to the program in events. "in" keys
 * decrypt what the peer sends (SPI spi_in, ours); "out" keys encrypt what we send
 * (SPI spi_out, the peer's). For AEAD (AES-GCM) integ is 0 and enc keys include
 * the 4-byte salt at their end. */
typedef struct ike_child_info {
	uint32_t spi_in, spi_out;   /* host order */
	uint16_t encr, encr_keylen; /* IANA ENCR id, key bits */
	uint16_t integ;             /* IANA INTEG id, 0 with AEAD */
	uint8_t esn;
	bool encap_udp; /* ESP in UDP on path (NAT-T, RFC 3948) */
	uint8_t enc_key_len, integ_key_len;
	uint8_t enc_in[IKE_KEY_MAX], enc_out[IKE_KEY_MAX];
	uint8_t integ_in[IKE_KEY_MAX], integ_out[IKE_KEY_MAX];
	ike_tsel_list local_ts, remote_ts;
	ike_path path; /* where ESP goes */
} ike_child_info;

typedef enum ike_event_type {
	IKE_EV_SA_UP = 1,        /* IKE_SA authenticated: sa_up */
	IKE_EV_SA_DOWN,          /* IKE_SA gone (deleted, failed, timed out): sa_down */
	IKE_EV_SA_REKEYED,       /* IKE_SA replaced: sa_rekeyed (sa = the new handle) */
	IKE_EV_CHILD_UP,         /* CHILD_SA installed: child */
	IKE_EV_CHILD_REKEYED,    /* CHILD_SA replaced: child (new), old_spi_in/out */
	IKE_EV_CHILD_DOWN,       /* CHILD_SA removed: child_down */
	IKE_EV_KEEPALIVE,        /* send a NAT keepalive (one 0xFF byte) on path: keepalive */
	IKE_EV_ME_ENDPOINT,      /* mediation client: the server told us our server-reflexive
	                            endpoint, in IKE_AUTH or (after our NAT mapping changed)
	                            in an INFORMATIONAL response: me_endpoint */
	IKE_EV_ME_CONNECT,       /* mediation: an ME_CONNECT request arrived: me_connect */
	IKE_EV_ME_CONNECT_REPLY, /* mediation: the answer to our ME_CONNECT: me_reply */
	IKE_EV_ME_CONNECTID,     /* responder: an IKE_SA_INIT request carried N(ME_CONNECTID)
	                            (a mediated connection's direct IKE_SA); reported before
	                            the answer goes out: me_connectid */
	IKE_EV_PEER_LOST_SA,     /* our request on sa was answered with an unprotected
	                            INVALID_IKE_SPI (RFC 7296 2.21.4): a hint, not proof, that
	                            the peer restarted; the SA is unchanged: lost_sa */
	IKE_EV_PATH_CHANGED,     /* responder: an authenticated request came from another
	                            address or port (the peer's NAT moved it); the SA now
	                            sends there (RFC 7296 2.23): path_changed */
	IKE_EV_ME_TURN_WANTED,   /* mediation server: a TURN relay and credential may be
	                            handed to the client of sa (it sent ME_MEDIATION and is
	                            authenticated): in the IKE_AUTH response (reported before
	                            it goes out, and before IKE_EV_SA_UP) or, refresh, in an
	                            INFORMATIONAL request of ours. Fill *turn to send one:
	                            me_turn_wanted */
	IKE_EV_ME_TURN,          /* mediation client: the server handed us a TURN relay and
	                            credential (N(ME_TURN), in IKE_AUTH or an INFORMATIONAL
	                            request or response): me_turn */
} ike_event_type;

/* A mediation endpoint (ME_ENDPOINT notify data). */
typedef struct ike_me_ep {
	uint32_t priority;
	uint8_t type; /* IKE_ME_HOST, _PEER_REFLEXIVE, _SERVER_REFLEXIVE, _RELAYED */
	ike_addr addr;
} ike_me_ep;

#define IKE_ME_EP_MAX 8
#define IKE_ME_ID_MAX 16  /* connect ID bytes (strongSwan sends 4) */
#define IKE_ME_KEY_MAX 32 /* connect key bytes (strongSwan sends 16) */

/* The content of an ME_CONNECT request (draft-brunner-ikev2-mediation; see
 * /work/shared/mediation-protocol.md). From a client to the server, peer is the
 * client it wants to reach; from the server to a client, peer is the other client. */
typedef struct ike_me_connect {
	ike_id peer; /* the ID_PEER payload */
	uint8_t connect_id[IKE_ME_ID_MAX];
	uint8_t connect_id_len; /* 0 only with callback */
	uint8_t connect_key[IKE_ME_KEY_MAX];
	uint8_t connect_key_len; /* 0 only with callback */
	bool callback;           /* ME_CALLBACK */
	bool response;           /* ME_RESPONSE */
	uint8_t n_endpoints;
	ike_me_ep endpoints[IKE_ME_EP_MAX];
} ike_me_connect;

/* One event. Every pointer inside is valid only during the callback. */
typedef struct ike_event {
	ike_event_type type;
	ike_sa_ref sa;    /* the IKE_SA concerned */
	const char *name; /* the peer config's name, or "" */
	union {
		struct {
			ike_path path; /* current path (ports 4500 after NAT-T) */
			ike_id local_id, remote_id;
			uint64_t spi_i, spi_r;
			bool initiator;
			bool nat_local, nat_remote; /* NAT detected in front of us / the peer */
		} sa_up;
		struct {
			int reason;      /* IKE_OK (deleted normally), IKE_ERR_TIMEOUT, IKE_ERR_AUTH, ... */
			uint16_t notify; /* the error notify received or sent, or 0 */
			bool was_up;     /* false: the SA failed while being set up */
		} sa_down;
		struct {
			ike_sa_ref old_sa;
		} sa_rekeyed;
		struct {
			const ike_child_info *info;
			uint32_t old_spi_in, old_spi_out; /* IKE_EV_CHILD_REKEYED only */
		} child;
		struct {
			uint32_t spi_in, spi_out;
			int reason;
		} child_down;
		struct {
			ike_path path;
		} keepalive;
		struct {
			const ike_me_connect *req;
			/* The callback may set *reply to IKE_ME_CONNECT_FAILED (peer unknown
			 * or offline); the engine answers with it, else with an empty
			 * acknowledgement. Malformed requests were already answered with
			 * INVALID_SYNTAX and are not reported. */
			uint16_t *reply;
		} me_connect;
		struct {
			uint16_t notify; /* 0 = accepted, IKE_ME_CONNECT_FAILED, IKE_INVALID_SYNTAX, ... */
		} me_reply;
		struct {
			const uint8_t *id; /* the connect ID (1..IKE_ME_ID_MAX bytes) */
			uint8_t len;
			ike_path path; /* where the IKE_SA_INIT request came from */
		} me_connectid;
		struct {
			ike_path path; /* where the hint came from */
		} lost_sa;
		struct {
			ike_path path; /* the SA's new path */
		} path_changed;
		struct {
			ike_addr addr; /* as the mediation server saw us */
			uint8_t type;  /* IKE_ME_SERVER_REFLEXIVE */
			uint32_t priority;
		} me_endpoint;
		struct {
			const ike_id *peer; /* the client's authenticated identity */
			bool refresh;       /* false: IKE_AUTH response; true: a refresh */
			/* Zeroed. Fill in (server.family != 0) to send N(ME_TURN); leave it
			 * to send none. The engine wipes it after encoding. */
			ike_me_turn *turn;
			/* 0 (no refresh), or when to ask again with refresh set, in ms from
			 * now (e.g. half the credential's lifetime). Kept across an IKE_SA
			 * rekey; retried 1 s later while another exchange of ours runs. */
			ike_ms *refresh_in;
		} me_turn_wanted;
		struct {
			const ike_me_turn *turn; /* decoded; wiped after the callback */
		} me_turn;
	} u;
} ike_event;

/* ---- 3. callback types -------------------------------------------------- */

typedef struct ike_callbacks {
	/* Required. Sends one IKE datagram on path (path->local.port 4500 means the
	 * program adds the non-ESP marker). pkt is borrowed for the call. Return 0,
	 * or a negative code (the engine logs it and relies on retransmission). */
	int (*send)(void *user, const ike_path *path, const uint8_t *pkt, size_t len);
	/* Required for a responder. Finds the config for a peer that presented
	 * identity `peer_id` (its IDi) on `path`. Also asked by an initiator whose
	 * peer config has IKE_AUTHBY_PUBKEY but no remote_pubkey: then only
	 * out->remote_pubkey is used (the key for the responder's IDr). Fill *out (already zeroed) and return
	 * IKE_OK, or IKE_ERR_NOT_FOUND to refuse (AUTHENTICATION_FAILED). Pointers
	 * put into *out must remain valid until the engine call in progress returns. */
	int (*lookup_peer)(void *user, const ike_id *peer_id, const ike_path *path, ike_peer_cfg *out);
	/* Required. Events, see ike_event_type. */
	void (*on_event)(void *user, const ike_event *ev);
	/* Optional: log records (NULL = no logs). */
	void (*log)(void *user, const ike_log_rec *rec);
	/* Optional: fills out with random bytes (SPIs, nonces, cookie secret, jitter).
	 * NULL = OpenSSL RAND_bytes. Keys and DH values always use OpenSSL. */
	void (*rand)(void *user, uint8_t *out, size_t len);
} ike_callbacks;

/* Counters, for status output and tests. */
typedef struct ike_stats {
	uint64_t rx, tx, dropped, retransmits, cookies_sent;
	uint64_t tx_failed;         /* sends the send callback refused */
	uint64_t half_open_limited; /* IKE_SA_INITs dropped: half_open_max reached */
	uint64_t src_limited;       /* IKE_SA_INITs dropped: half_open_per_src reached */
	uint32_t sas, half_open;
	uint32_t half_open_srcs; /* source addresses with half-open SAs */
} ike_stats;

/* ---- 4. functions, by lifecycle ----------------------------------------- */

/* Fills *cfg with the defaults: 5 tries, 1 s base, 30 s max back-off, 1000
 * half-open SAs, cookies from 100, 5 half-open SAs per source address, 30 s
 * half-open timeout, DPD 30 s,
 * keepalive 20 s, IKE rekey 4 h, CHILD rekey 1 h, jitter 5 min, ports 500/4500,
 * natt_always true, log level INFO. */
void ike_config_defaults(ike_config *cfg);

/* Creates an engine. cfg and cb are copied; user is passed to every callback.
 * Errors: IKE_ERR_INVAL (missing send/on_event, bad key), IKE_ERR_NOMEM,
 * IKE_ERR_CRYPTO (the private key could not be loaded). *out is NULL on error.
 * Not callable from a callback. */
IKE_MUST_CHECK int ike_engine_new(ike_engine **out, const ike_config *cfg, const ike_callbacks *cb,
                                  void *user, ike_ms now);

/* Frees the engine and every SA silently (no DELETE, no events). NULL is ignored.
 * Not callable from a callback. */
void ike_engine_free(ike_engine *e);

/* Starts an IKE_SA (and its first CHILD_SA unless peer->no_child) to
 * peer->remote. *out receives the SA handle (may be NULL). Errors: IKE_ERR_INVAL
 * (bad proposals, no remote address or credentials), IKE_ERR_NOMEM, IKE_ERR_LIMIT.
 * May be called from a callback: the first message is then sent before the
 * outermost engine call returns. */
IKE_MUST_CHECK int ike_engine_initiate(ike_engine *e, const ike_peer_cfg *peer, ike_ms now, ike_sa_ref *out);

/* Deletes an IKE_SA: sends an INFORMATIONAL DELETE (when established) and reports
 * IKE_EV_SA_DOWN with reason IKE_OK once answered or timed out; a half-open SA is
 * dropped at once. Errors: IKE_ERR_STALE_SA. May be called from a callback. */
IKE_MUST_CHECK int ike_engine_terminate(ike_engine *e, ike_sa_ref sa, ike_ms now);

/* Moves an established IKE_SA to path: the program has proof that the peer is
 * there now (authenticated ESP of one of its CHILD_SAs from that address, see
 * RFC 7296 2.23). Requests, retransmissions and keepalives go there. Errors:
 * IKE_ERR_INVAL, IKE_ERR_STALE_SA, IKE_ERR_STATE (not established). May be
 * called from a callback. */
IKE_MUST_CHECK int ike_engine_set_path(ike_engine *e, ike_sa_ref sa, const ike_path *path);

/* Starts a liveness check (empty INFORMATIONAL) now. Errors: IKE_ERR_STALE_SA,
 * IKE_ERR_STATE (not established). Not callable from a callback. */
IKE_MUST_CHECK int ike_engine_dpd(ike_engine *e, ike_sa_ref sa, ike_ms now);

/* Starts a rekey now: of the IKE_SA (child_spi_in == 0) or of the CHILD_SA whose
 * inbound SPI is child_spi_in. Errors: IKE_ERR_STALE_SA, IKE_ERR_STATE (an exchange
 * is already running: try again later), IKE_ERR_NOT_FOUND. Not callable from a callback. */
IKE_MUST_CHECK int ike_engine_rekey(ike_engine *e, ike_sa_ref sa, uint32_t child_spi_in, ike_ms now);

/* Processes one received IKE datagram (non-ESP marker already stripped) that
 * arrived on path. pkt is borrowed for the call. Returns IKE_OK when the message
 * was processed, or the reason it was dropped (IKE_ERR_TRUNCATED, _MALFORMED,
 * _UNKNOWN_SPI, _BAD_MID, _INTEGRITY, _RETRANSMIT (cached reply resent),
 * _COOKIE (cookie demanded), _LIMIT, ...): log or count those; act only on
 * ike_err_is_fatal() (IKE_ERR_NOMEM, IKE_ERR_CALLBACK). Each drop is also logged
 * once, rate-limited: 20 drop lines per 10 s, then one summary line
 * "dropped datagrams (N more in the last 10 s)" (failed sends likewise).
 * Not callable from a callback. */
IKE_MUST_CHECK int ike_engine_recv(ike_engine *e, const ike_path *path, const uint8_t *pkt, size_t len,
                                   ike_ms now);

/* Runs every timer due at or before now (retransmissions, timeouts, DPD,
 * keepalives, rekeys). Returns IKE_OK or a fatal code. Not callable from a callback. */
IKE_MUST_CHECK int ike_engine_tick(ike_engine *e, ike_ms now);

/* The earliest time at which ike_engine_tick() has work, or IKE_NEVER (this
 * includes writing a pending summary of rate-limited log lines). */
ike_ms ike_engine_next_deadline(const ike_engine *e);

/* Mediation: sends an ME_CONNECT request (exchange 240) on the established
 * IKE_SA sa (a client's registration at the server, or the server's SA of the
 * client it relays to). req is copied. The answer arrives as
 * IKE_EV_ME_CONNECT_REPLY; if the peer never answers, the SA goes down like
 * after any unanswered request. Errors: IKE_ERR_STALE_SA, IKE_ERR_STATE (not
 * established, or another exchange of ours is still running: window size 1,
 * try again after its answer), IKE_ERR_INVAL (no peer ID, more than
 * IKE_ME_EP_MAX endpoints, empty connect ID or key without callback),
 * IKE_ERR_NOMEM. Not callable from a callback. */
IKE_MUST_CHECK int ike_engine_me_connect(ike_engine *e, ike_sa_ref sa, const ike_me_connect *req, ike_ms now);

/* The shard number in the top `bits` bits of spi (0 when bits is 0 or > 8). */
unsigned ike_spi_shard(uint64_t spi, unsigned bits);

/* Reads the IKE header of a datagram without decoding it (bounds-checked): the
 * two SPIs and whether it is a response. Any pointer may be NULL. Errors:
 * IKE_ERR_TRUNCATED (shorter than an IKE header), IKE_ERR_MALFORMED (not IKEv2:
 * version, or length field smaller than the header). */
IKE_MUST_CHECK int ike_msg_peek_spis(const uint8_t *pkt, size_t len, uint64_t *spi_i, uint64_t *spi_r,
                                     bool *is_response);

/* Copies the counters. */
void ike_engine_stats(const ike_engine *e, ike_stats *out);

/* True when sa names a live SA that is established (authenticated). */
bool ike_engine_sa_is_up(const ike_engine *e, ike_sa_ref sa);

/* ---- proposals and traffic selectors (pure helpers, also used by tests) ---- */

/* Parses "a.b.c.d/len" or "2001:db8::/32" (optionally "[proto/port]" is not
 * supported) into a TS covering that prefix, any protocol and port.
 * Returns IKE_OK or IKE_ERR_INVAL. */
IKE_MUST_CHECK int ike_tsel_parse(ike_tsel *ts, const char *text);

/* Checks a strongSwan-style proposal string (IKE when esp is false, else ESP).
 * Returns IKE_OK or IKE_ERR_INVAL. */
IKE_MUST_CHECK int ike_proposals_check(const char *text, bool esp);

#endif /* IKE_ENGINE_H */
