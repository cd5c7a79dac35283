/* SPDX-License-Identifier: MIT */
/*
 * timers.h - private: the engine's deadline heap and the timer policy. Exchange
 * code reports named events (WireGuard's timers.c pattern); only timers.c decides
 * deadlines. One heap entry per (SA, timer kind), each SA remembering its entries'
 * heap positions, so arming, moving and cancelling are O(log n).
 */
#ifndef IKE_TIMERS_H
#define IKE_TIMERS_H
#include <stdint.h>

#include "ike/types.h"

typedef enum tmr_kind {
	TMR_RETRANSMIT, /* our outstanding request */
	TMR_HALF_OPEN,  /* SA not established in time */
	TMR_DPD,        /* idle: send a liveness check */
	TMR_KEEPALIVE,  /* behind a NAT: keep the mapping */
	TMR_REKEY_IKE,
	TMR_REKEY_CHILD,
	TMR_DELETE,  /* an SA replaced by rekeying, waiting to be removed */
	TMR_ME_TURN, /* mediation server: hand the client a fresh TURN credential */
	TMR_COUNT
} tmr_kind;

typedef struct tmr_entry {
	ike_ms at;
	uint32_t slot;
	uint8_t kind;
} tmr_entry;

typedef struct tmr_heap {
	tmr_entry *v;
	uint32_t n, cap;
} tmr_heap;

struct ike_engine;
struct ike_sa;

/* Arms (or moves) timer kind of sa to at. Returns IKE_OK or IKE_ERR_NOMEM. */
int ike__timer_set(struct ike_engine *e, struct ike_sa *sa, tmr_kind kind, ike_ms at);
void ike__timer_clear(struct ike_engine *e, struct ike_sa *sa, tmr_kind kind);
void ike__timer_clear_all(struct ike_engine *e, struct ike_sa *sa);
/* Pops the earliest entry due at or before now; false when none is due. */
bool ike__timer_pop_due(struct ike_engine *e, ike_ms now, uint32_t *slot, tmr_kind *kind);
ike_ms ike__timer_next(const struct ike_engine *e);
ike_ms ike__timer_at(const struct ike_engine *e, const struct ike_sa *sa,
                     tmr_kind kind); /* IKE_NEVER when unarmed */
/* Adds without overflow. */
ike_ms ike__ms_add(ike_ms a, ike_ms b);

/* Named events from the exchange code. */
int ike__timers_request_sent(struct ike_engine *e, struct ike_sa *sa, ike_ms now);
void ike__timers_response_received(struct ike_engine *e, struct ike_sa *sa);
int ike__timers_half_open(struct ike_engine *e, struct ike_sa *sa, ike_ms now);
int ike__timers_established(struct ike_engine *e, struct ike_sa *sa, ike_ms now);
int ike__timers_authenticated_rx(struct ike_engine *e, struct ike_sa *sa, ike_ms now);
int ike__timers_packet_sent(struct ike_engine *e, struct ike_sa *sa, ike_ms now);
int ike__timers_child_installed(struct ike_engine *e, struct ike_sa *sa, ike_ms now);

#endif
