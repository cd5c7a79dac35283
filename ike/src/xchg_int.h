/* SPDX-License-Identifier: MIT */
/*
 * xchg_int.h - private: the decoded message the exchange code works on, the
 * message builder, and the per-exchange state. msg.c translates between bytes
 * and these (the engine's adapter over the wire format).
 */
#ifndef IKE_XCHG_INT_H
#define IKE_XCHG_INT_H
#include "engine_int.h"
#include "ike/buf.h"

#define MSG_NOTIFY_MAX 16
#define MSG_DEL_MAX 8
#define MSG_MAX 4096
/* strongSwan's ID_PEER payload for ME_CONNECT, from the private-use range. */
#define PLD_ID_PEER 128

typedef struct ike__notify {
	uint8_t proto;
	uint16_t type;
	ike_slice spi;
	ike_slice data;
} ike__notify;

/* An SA payload: the proposals with their numbers and SPIs. */
typedef struct ike__sa_pld {
	ike__prop_list props;
	uint8_t num[PROP_MAX];
	uint8_t proto[PROP_MAX];
	uint8_t spi_len[PROP_MAX];
	uint8_t spi[PROP_MAX][8];
} ike__sa_pld;

/* A decoded message: views into the datagram (or the decrypted copy). */
typedef struct ike__msg {
	uint64_t spi_i, spi_r;
	uint8_t first, exch, flags;
	uint32_t mid;
	size_t len;
	bool has_idp;
	ike_id idp;
	bool has_sa, has_ke, has_nonce, has_idi, has_idr, has_auth, has_tsi, has_tsr, has_sk, has_del;
	ike__sa_pld sa;
	uint16_t ke_group;
	ike_slice ke, nonce;
	ike_id idi, idr;
	uint8_t auth_method;
	ike_slice auth;
	ike_tsel_list tsi, tsr;
	ike__notify n[MSG_NOTIFY_MAX];
	unsigned n_notify;
	uint8_t del_proto;
	uint32_t del_spi[MSG_DEL_MAX];
	unsigned n_del;
	/* SK: the offsets of the encrypted payload in the datagram */
	uint8_t sk_first;
	size_t sk_off, sk_len;
	uint8_t unknown_critical; /* the type of an unsupported critical payload, or 0 */
} ike__msg;

/* Decodes the header and the unencrypted payloads (RFC 7296 3.1, 3.2).
 * Errors: IKE_ERR_TRUNCATED, IKE_ERR_MALFORMED, IKE_ERR_VERSION. */
int ike__msg_decode(const uint8_t *pkt, size_t len, ike__msg *m);
/* Decodes the inner payloads of a decrypted SK payload into m. */
int ike__msg_decode_inner(const uint8_t *p, size_t len, uint8_t first, ike__msg *m);
const ike__notify *ike__msg_notify(const ike__msg *m, uint16_t type);
/* The first error notify (type < 16384), or NULL. */
const ike__notify *ike__msg_error(const ike__msg *m);

/* Message builder: header, payloads chained through their next-payload fields,
 * an optional SK payload around them. */
typedef struct ike__mb {
	ike_wr w;
	size_t next_at; /* offset of the next-payload byte to patch */
	size_t sk_at;   /* offset of the SK generic header, or 0 */
	size_t iv_len;
	ike_sk_cipher *c;
	uint8_t buf[MSG_MAX];
} ike__mb;

void ike__mb_begin(ike__mb *b, const ike_sa *sa, uint8_t exch, bool response, uint32_t mid, ike_sk_cipher *c);
void ike__mb_begin_spi(ike__mb *b, uint64_t spi_i, uint64_t spi_r, uint8_t exch, uint8_t flags, uint32_t mid,
                       ike_sk_cipher *c);
void ike__mb_notify(ike__mb *b, uint8_t proto, uint16_t type, ike_slice spi, ike_slice data);
void ike__mb_sa(ike__mb *b, const ike__prop_list *props, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
                uint8_t first_num);
void ike__mb_sa_suite(ike__mb *b, const ike__suite *s, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
                      uint8_t num);
void ike__mb_ke(ike__mb *b, uint16_t group, ike_slice pub);
void ike__mb_nonce(ike__mb *b, ike_slice nonce);
void ike__mb_id(ike__mb *b, uint8_t type, const ike_id *id);
void ike__mb_auth(ike__mb *b, uint8_t method, ike_slice data);
void ike__mb_ts(ike__mb *b, uint8_t type, const ike_tsel_list *ts);
void ike__mb_delete(ike__mb *b, uint8_t proto, const uint32_t *spis, unsigned n);
/* Patches the lengths, pads and encrypts; out and len give the message in b->buf.
 * Errors: IKE_ERR_NOBUF, IKE_ERR_CRYPTO. */
int ike__mb_finish(ike__mb *b, const uint8_t **out, size_t *len);

/* Per-exchange state, allocated when an exchange starts and freed when it ends. */
typedef struct ike__xchg {
	uint8_t type; /* exchange */
	uint8_t kind; /* INFO_* or CHILD kind */
	ike_dh *dh;
	uint16_t dh_group;
	uint8_t ni[32], nr[32];
	uint8_t ni_len, nr_len;
	uint8_t *init_msg; /* our IKE_SA_INIT message as sent */
	uint32_t init_len;
	uint8_t *peer_init_msg; /* the peer's IKE_SA_INIT message */
	uint32_t peer_init_len;
	uint8_t *cookie;
	uint16_t cookie_len;
	uint8_t sk_pi[IKE_SK_MAX], sk_pr[IKE_SK_MAX];
	uint8_t p_len;
	uint32_t peer_hashes; /* SIGNATURE_HASH_ALGORITHMS the peer sent (bits) */
	ike_key *peer_key;
	uint32_t child_spi;            /* our new inbound ESP SPI */
	uint32_t old_child_spi;        /* CHILD_SA being rekeyed (inbound SPI) */
	uint64_t new_spi_i, new_spi_r; /* IKE_SA rekey */
	struct ike__keys *new_keys;
	ike__suite suite; /* proposed/negotiated for this exchange */
	ike_tsel_list tsi, tsr;
	uint32_t del_spi;
	uint8_t ke_retries, cookie_rounds;
} ike__xchg;

/* sa.c */
void ike__keys_destroy(ike_engine *e, ike__keys *k);

/* msg.c (helpers for the exchanges) */
/* Sends the built message as a new request (kept for retransmission). */
int ike__send_request(ike_engine *e, ike_sa *sa, ike__mb *b, ike_ms now);
/* Sends the built message as the response to mid (cached for retransmissions). */
int ike__send_response(ike_engine *e, ike_sa *sa, ike__mb *b);
/* Allocates sa->x for exchange type (freeing an old one). */
int ike__xchg_new(ike_engine *e, ike_sa *sa, uint8_t type);
/* Reports SA_UP / CHILD_UP. */
void ike__emit_sa_up(ike_engine *e, ike_sa *sa);
void ike__emit_child(ike_engine *e, ike_sa *sa, ike_event_type type, const ike__child *c,
                     const ike_child_keys *k, bool we_initiated, const ike_tsel_list *local_ts,
                     const ike_tsel_list *remote_ts, uint32_t old_in, uint32_t old_out);

/* xchg_init.c */
int ike__init_recv_request(ike_engine *e, const ike_path *path, const uint8_t *pkt, const ike__msg *m,
                           ike_ms now);
int ike__init_recv_response(ike_engine *e, ike_sa *sa, const uint8_t *pkt, const ike__msg *m, ike_ms now);
/* xchg_auth.c */
int ike__child_install(ike_engine *e, ike_sa *sa, uint32_t spi_in, uint32_t spi_out, const ike__suite *s,
                       bool we_initiated, ike_slice g_ir, ike_slice ni, ike_slice nr,
                       const ike_tsel_list *local_ts, const ike_tsel_list *remote_ts, uint32_t old_in,
                       uint32_t old_out, ike_ms now);
int ike__auth_start(ike_engine *e, ike_sa *sa, ike_ms now);
int ike__auth_recv_request(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now);
int ike__auth_recv_response(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now);
/* xchg_info.c */
void ike__child_remove(ike_engine *e, ike_sa *sa, ike__child *c, int reason);
int ike__info_recv_request(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now);
int ike__info_recv_response(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now);
/* xchg_child.c */
int ike__child_recv_request(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now);
int ike__child_recv_response(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now);
/* xchg_me.c */
void ike__me_auth_request_add(ike_engine *e, ike_sa *sa, ike__mb *b);
void ike__me_auth_response_add(ike_engine *e, ike_sa *sa, const ike__msg *m, ike__mb *b);
void ike__me_auth_response_recv(ike_engine *e, ike_sa *sa, const ike__msg *m);
void ike__me_moved_add(ike_engine *e, ike_sa *sa, ike__mb *b);
/* Server: N(ME_TURN) in the IKE_AUTH response, if the program gives one. */
void ike__me_turn_auth_add(ike_engine *e, ike_sa *sa, ike__mb *b, ike_ms now);
/* Server, TMR_ME_TURN: an INFORMATIONAL request with a fresh N(ME_TURN). */
int ike__me_turn_refresh(ike_engine *e, ike_sa *sa, ike_ms now);
/* Client: reports N(ME_TURN) of an IKE_AUTH response or INFORMATIONAL message. */
void ike__me_turn_recv(ike_engine *e, ike_sa *sa, const ike__msg *m);
int ike__me_recv_request(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now);
int ike__me_recv_response(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now);
/* nat.c */
void ike__nat_add(ike_engine *e, ike__mb *b, uint64_t spi_i, uint64_t spi_r, const ike_path *path);
/* Checks NAT_DETECTION_* in m received on path; sets sa->nat_local/remote. */
void ike__nat_check(ike_engine *e, ike_sa *sa, const ike__msg *m, const ike_path *path);
/* Moves the SA to port 4500 when NAT was detected (or natt_always). */
void ike__nat_float(ike_engine *e, ike_sa *sa);

#endif
