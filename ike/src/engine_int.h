/* SPDX-License-Identifier: MIT */
/*
 * engine_int.h - private: the engine object, the IKE_SA and CHILD_SA state, the
 * SA table, and helpers shared by the exchange files (xchg_*.c).
 */
#ifndef IKE_ENGINE_INT_H
#define IKE_ENGINE_INT_H
#include <stdbool.h>
#include <stdint.h>

#include "ike/crypto.h"
#include "ike/engine.h"
#include "ike/log.h"
#include "proposal.h"
#include "timers.h"

typedef enum sa_state {
	SA_I_INIT, /* initiator: IKE_SA_INIT sent */
	SA_I_AUTH, /* initiator: IKE_AUTH sent */
	SA_R_INIT, /* responder: IKE_SA_INIT answered, waiting for IKE_AUTH */
	SA_ESTABLISHED,
	SA_DELETING, /* our DELETE is out */
	SA_REKEYED,  /* replaced by a new IKE_SA, waiting for its DELETE */
	SA_DEAD,     /* waiting to be freed at the end of the outermost call */
} sa_state;

/* A compact identity: the SA keeps only the bytes the ID has. */
typedef struct ike__cid {
	uint8_t type, len;
	uint8_t *data;
} ike__cid;

/* The peer config copied into an SA (strings and keys duplicated). */
typedef struct ike__peer {
	char *name;
	ike_addr local, remote;
	ike__cid local_id, remote_id;
	uint8_t local_auth, remote_auth;
	bool no_child, mediation, mediation_server;
	char *ike_props, *esp_props; /* NULL = defaults */
	uint8_t *psk;
	uint16_t psk_len;
	uint8_t *pubkey; /* freed once the peer is authenticated */
	uint16_t pubkey_len;
	ike_tsel_list *ts; /* [0] local, [1] remote; NULL with no_child */
	uint8_t *me_cid;   /* connect ID sent in IKE_SA_INIT (mediated connection), or NULL */
	uint8_t me_cid_len;
	bool mediated; /* its path came from connectivity checks: used as it is (no NAT-T float) */
	uint32_t dpd_ms; /* 0 = the engine's */
} ike__peer;

typedef struct ike__child {
	struct ike__child *next;
	uint32_t spi_in, spi_out;
	ike__suite suite;
	bool rekeying;
	bool nat;
} ike__child;

struct ike__xchg;

/* What an IKE_SA keeps of its keys once set up: SK_d (CHILD_SA keys, rekeying)
 * and one SK cipher per direction. SK_p is only needed during IKE_AUTH (in x). */
typedef struct ike__keys {
	uint16_t prf;
	uint8_t d_len;
	uint8_t sk_d[IKE_SK_MAX];
	ike_sk_cipher *out, *in;
} ike__keys;

typedef struct ike_sa {
	uint32_t slot;
	uint32_t next_local, next_remote; /* hash chains: slot + 1, 0 = end */
	uint64_t spi_i, spi_r;
	uint8_t state;
	bool initiator;
	bool nat_local, nat_remote;
	bool natt;         /* the peer sent NAT_DETECTION_* */
	bool floated;      /* moved to the NAT-T port */
	bool me_requested; /* the peer sent ME_MEDIATION */
	bool rekeyed;      /* replaced by a rekeyed IKE_SA: goes away silently */
	bool in_remote_map;
	bool dead_notified;
	bool me_ep_moved; /* mediation server: the client moved; tell it in the next INFORMATIONAL response */
	bool half_open;   /* counted as a half-open responder SA (sa_half_open.c) */
	uint8_t tries;    /* sends of the outstanding request */
	int32_t tmr[TMR_COUNT]; /* heap positions, -1 = unarmed */
	ike_path path;
	ike__suite suite;
	ike__peer peer;
	ike__cid remote_id; /* the authenticated peer identity */
	uint32_t mid_out;   /* message ID of our next request */
	uint32_t mid_in;    /* message ID we expect in the peer's next request */
	uint8_t *req;       /* our outstanding request, for retransmission */
	uint32_t req_len;
	uint8_t *resp; /* our last response, for the peer's retransmissions */
	uint32_t resp_len;
	uint32_t resp_mid;
	bool have_resp;
	struct ike__keys *keys; /* SK_d and the two SK ciphers, after IKE_SA_INIT */
	struct ike__xchg *x;    /* per-exchange state, freed when the exchange ends */
	ike__child *children;
	int down_reason;
	uint16_t down_notify;
	bool was_up;
	struct ike__ho_src *ho_src; /* its source address's half-open count, while half_open */
	char tag[24];               /* "#12 alice" */
} ike_sa;

typedef struct sa_slot {
	ike_sa *sa;
	uint32_t gen;
} sa_slot;

typedef struct sa_table {
	sa_slot *slots;
	uint32_t n_slots, cap_slots;
	uint32_t *free_list;
	uint32_t n_free;
	uint32_t *by_local, *by_remote; /* buckets of slot + 1 */
	uint32_t n_buckets;
	uint32_t count;
} sa_table;

typedef struct pending_op {
	uint8_t op; /* 1 = terminate */
	ike_sa_ref sa;
} pending_op;

struct ike_engine {
	const ike_mem *mem;
	ike_config cfg;
	ike_callbacks cb;
	void *user;
	char name[32];
	ike_key *key;             /* our private key, or NULL */
	ike__prop_list ike_props; /* what a responder accepts in IKE_SA_INIT */
	sa_table sas;
	tmr_heap timers;
	ike_stats stats;
	unsigned depth; /* nesting of engine calls (callbacks re-entering) */
	bool need_reap;
	uint32_t *dead; /* slots of SAs to free at the end of the outermost call */
	uint32_t n_dead, cap_dead;
	pending_op *pending;
	uint32_t n_pending, cap_pending;
	uint8_t cookie_secret[32], cookie_prev[32];
	uint8_t cookie_ver;
	ike_ms cookie_rotated;
	ike_ms invspi_window; /* INVALID_IKE_SPI answers: rate limit */
	unsigned invspi_in_window;
	ike_ratelimit rl_drop, rl_send;  /* drop and failed-send log lines */
	ike_ratelimit rl_auth;           /* failed authentications of peers */
	struct ike__ho_src **ho_buckets; /* half-open SAs per source address */
	uint32_t ho_nbuckets, ho_n;
	uint64_t ho_key; /* random: keys the address hash */
	ike_ms now;
};

/* ---- sa_table.c ---- */
int ike__sa_table_init(ike_engine *e);
void ike__sa_table_free(ike_engine *e);
/* Allocates an SA in a fresh slot (zeroed, timers unarmed). */
int ike__sa_alloc(ike_engine *e, ike_sa **out);
/* Releases the SA's slot and memory (no events). */
void ike__sa_release(ike_engine *e, ike_sa *sa);
ike_sa *ike__sa_get(const ike_engine *e, ike_sa_ref ref);
ike_sa_ref ike__sa_ref(const ike_engine *e, const ike_sa *sa);
ike_sa *ike__sa_by_slot(const ike_engine *e, uint32_t slot);
/* Our SPI (spi_i when initiator, else spi_r) indexes by_local. */
int ike__sa_index_local(ike_engine *e, ike_sa *sa);
ike_sa *ike__sa_find_local(const ike_engine *e, uint64_t spi);
/* Responders' half-open SAs by the initiator's SPI and address (IKE_SA_INIT retransmits). */
int ike__sa_index_remote(ike_engine *e, ike_sa *sa);
void ike__sa_unindex_remote(ike_engine *e, ike_sa *sa);
ike_sa *ike__sa_find_remote(const ike_engine *e, uint64_t spi_i, const ike_addr *from);
/* A fresh nonzero local SPI not in use. */
uint64_t ike__sa_new_spi(ike_engine *e);

/* ---- sa_half_open.c ----
 * Responder SAs between IKE_SA_INIT and IKE_AUTH, counted in stats.half_open
 * and per source IP in a small hash table (one entry per address that has
 * half-open SAs, freed with its last one), so one address cannot fill the
 * table. At most half_open_max entries exist at any time. */
int ike__half_open_init(ike_engine *e);
void ike__half_open_free(ike_engine *e);
/* Half-open SAs from src's IP. */
unsigned ike__half_open_count(const ike_engine *e, const ike_addr *src);
/* Counts sa (a new responder SA) as half-open from src. Errors: IKE_ERR_NOMEM. */
IKE_MUST_CHECK int ike__half_open_add(ike_engine *e, ike_sa *sa, const ike_addr *src);
/* sa is no longer half-open (authenticated or gone); no-op when it was not. */
void ike__half_open_end(ike_engine *e, ike_sa *sa);

/* ---- engine.c ---- */
void ike__rand(ike_engine *e, void *out, size_t len);
void ike__log(ike_engine *e, ike_log_level lvl, ike_subsys sub, const ike_sa *sa, const char *fmt, ...)
    IKE_PRINTF(5, 6);
#define IKE_LOG(e, lvl, sub, sa, ...)                                                                        \
	do {                                                                                                 \
		if ((e)->cb.log && IKE_LOG_##lvl <= (e)->cfg.log_level)                                      \
			ike__log((e), IKE_LOG_##lvl, IKE_SUB_##sub, (sa), __VA_ARGS__);                      \
	} while (0)
/* Whether one more line of rl's kind may be written now (after writing the
 * summary of the window that just ended, "<what> (N more in the last 10 s)").
 * For lines strangers can cause at will; call only when lvl is logged. */
bool ike__log_pass(ike_engine *e, ike_ratelimit *rl, ike_log_level lvl, ike_subsys sub, const char *what);
#define IKE__RL_AUTH_WHAT "failed authentications"
/* One rate-limited line per dropped datagram; returns err. */
int ike__drop(ike_engine *e, const ike_sa *sa, const ike_path *path, int err, const char *why);
int ike__call_send(ike_engine *e, ike_sa *sa, const uint8_t *pkt, size_t len);
int ike__call_send_path(ike_engine *e, const ike_path *path, const uint8_t *pkt, size_t len);
void ike__emit(ike_engine *e, ike_event *ev);
/* Marks the SA dead: reports SA_DOWN (if not yet), stops its timers and frees it
 * at the end of the outermost engine call. */
void ike__sa_kill(ike_engine *e, ike_sa *sa, int reason, uint16_t notify);
void ike__peer_clear(ike_engine *e, ike__peer *p);
int ike__peer_clone(ike_engine *e, ike__peer *dst, const ike__peer *src);
int ike__peer_copy(ike_engine *e, ike__peer *dst, const ike_peer_cfg *src);
int ike__cid_set(ike_engine *e, ike__cid *dst, const ike_id *src);
void ike__cid_get(const ike__cid *src, ike_id *dst);
void ike__sa_set_tag(ike_engine *e, ike_sa *sa);
void ike__sa_free_mem(ike_engine *e, ike_sa *sa);

#endif
