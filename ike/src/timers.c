/* SPDX-License-Identifier: MIT */
/*
 * Timer policy, in one place (WireGuard's timers.c idea): exchange code reports
 * what happened, these functions decide when the engine next needs to act.
 *   request sent       -> retransmit after min(base * 2^tries, max) (RFC 7296 2.1)
 *   response received  -> no retransmission
 *   half-open          -> free the SA if it is not established in time (2.6)
 *   established        -> rekey times (minus jitter), DPD, keepalive
 *   authenticated rx   -> DPD moves: only an idle SA is probed (strongSwan does the same)
 *   packet sent        -> NAT keepalive moves: only an idle mapping needs one (RFC 3948 4)
 */
#include <string.h>

#include "engine_int.h"

ike_ms ike__ms_add(ike_ms a, ike_ms b)
{
	return a > IKE_NEVER - b ? IKE_NEVER : a + b;
}

static void swap(tmr_heap *h, ike_engine *e, uint32_t i, uint32_t j)
{
	tmr_entry t = h->v[i];
	h->v[i] = h->v[j];
	h->v[j] = t;
	e->sas.slots[h->v[i].slot].sa->tmr[h->v[i].kind] = (int32_t)i;
	e->sas.slots[h->v[j].slot].sa->tmr[h->v[j].kind] = (int32_t)j;
}

static void sift_up(ike_engine *e, uint32_t i)
{
	tmr_heap *h = &e->timers;
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (h->v[p].at <= h->v[i].at)
			break;
		swap(h, e, i, p);
		i = p;
	}
}

static void sift_down(ike_engine *e, uint32_t i)
{
	tmr_heap *h = &e->timers;
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && h->v[l].at < h->v[m].at)
			m = l;
		if (r < h->n && h->v[r].at < h->v[m].at)
			m = r;
		if (m == i)
			break;
		swap(h, e, i, m);
		i = m;
	}
}

static void remove_at(ike_engine *e, uint32_t i)
{
	tmr_heap *h = &e->timers;
	ike_sa *sa = e->sas.slots[h->v[i].slot].sa;

	sa->tmr[h->v[i].kind] = -1;
	h->n--;
	if (i == h->n)
		return;
	h->v[i] = h->v[h->n];
	e->sas.slots[h->v[i].slot].sa->tmr[h->v[i].kind] = (int32_t)i;
	sift_down(e, i);
	sift_up(e, i);
}

int ike__timer_set(ike_engine *e, ike_sa *sa, tmr_kind kind, ike_ms at)
{
	tmr_heap *h = &e->timers;
	int32_t pos = sa->tmr[kind];

	if (at == IKE_NEVER) {
		ike__timer_clear(e, sa, kind);
		return IKE_OK;
	}
	if (pos >= 0) {
		h->v[pos].at = at;
		sift_down(e, (uint32_t)pos);
		sift_up(e, (uint32_t)sa->tmr[kind]);
		return IKE_OK;
	}
	if (h->n == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 16;
		tmr_entry *v = ike_mem_realloc(e->mem, h->v, cap * sizeof *v);
		if (!v)
			return IKE_ERR_NOMEM;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n] = (tmr_entry){at, sa->slot, (uint8_t)kind};
	sa->tmr[kind] = (int32_t)h->n;
	h->n++;
	sift_up(e, h->n - 1);
	return IKE_OK;
}

void ike__timer_clear(ike_engine *e, ike_sa *sa, tmr_kind kind)
{
	if (sa->tmr[kind] >= 0)
		remove_at(e, (uint32_t)sa->tmr[kind]);
}

void ike__timer_clear_all(ike_engine *e, ike_sa *sa)
{
	for (int k = 0; k < TMR_COUNT; k++)
		ike__timer_clear(e, sa, (tmr_kind)k);
}

bool ike__timer_pop_due(ike_engine *e, ike_ms now, uint32_t *slot, tmr_kind *kind)
{
	tmr_heap *h = &e->timers;

	if (!h->n || h->v[0].at > now)
		return false;
	*slot = h->v[0].slot;
	*kind = (tmr_kind)h->v[0].kind;
	remove_at(e, 0);
	return true;
}

ike_ms ike__timer_next(const ike_engine *e)
{
	return e->timers.n ? e->timers.v[0].at : IKE_NEVER;
}

ike_ms ike__timer_at(const ike_engine *e, const ike_sa *sa, tmr_kind kind)
{
	return sa->tmr[kind] >= 0 ? e->timers.v[sa->tmr[kind]].at : IKE_NEVER;
}

int ike__timers_request_sent(ike_engine *e, ike_sa *sa, ike_ms now)
{
	ike_ms wait = e->cfg.retransmit_base_ms;

	for (unsigned i = 1; i < sa->tries && wait < e->cfg.retransmit_max_ms; i++)
		wait *= 2;
	if (wait > e->cfg.retransmit_max_ms)
		wait = e->cfg.retransmit_max_ms;
	return ike__timer_set(e, sa, TMR_RETRANSMIT, ike__ms_add(now, wait));
}

void ike__timers_response_received(ike_engine *e, ike_sa *sa)
{
	ike__timer_clear(e, sa, TMR_RETRANSMIT);
}

int ike__timers_half_open(ike_engine *e, ike_sa *sa, ike_ms now)
{
	return ike__timer_set(e, sa, TMR_HALF_OPEN, ike__ms_add(now, e->cfg.half_open_timeout_ms));
}

static ike_ms jittered(ike_engine *e, ike_ms base)
{
	uint32_t r;

	if (!base)
		return IKE_NEVER;
	if (!e->cfg.rekey_jitter_ms || e->cfg.rekey_jitter_ms >= base)
		return base;
	ike__rand(e, &r, sizeof r);
	return base - r % e->cfg.rekey_jitter_ms;
}

int ike__timers_established(ike_engine *e, ike_sa *sa, ike_ms now)
{
	int rc = IKE_OK;

	ike__timer_clear(e, sa, TMR_HALF_OPEN);
	if (e->cfg.ike_rekey_ms && sa->initiator)
		rc |=
		    ike__timer_set(e, sa, TMR_REKEY_IKE, ike__ms_add(now, jittered(e, e->cfg.ike_rekey_ms)));
	rc |= ike__timers_authenticated_rx(e, sa, now);
	rc |= ike__timers_packet_sent(e, sa, now);
	return rc ? IKE_ERR_NOMEM : IKE_OK;
}

int ike__timers_child_installed(ike_engine *e, ike_sa *sa, ike_ms now)
{
	if (!e->cfg.child_rekey_ms || !sa->initiator)
		return IKE_OK;
	if (sa->tmr[TMR_REKEY_CHILD] >= 0)
		return IKE_OK;
	return ike__timer_set(e, sa, TMR_REKEY_CHILD, ike__ms_add(now, jittered(e, e->cfg.child_rekey_ms)));
}

int ike__timers_authenticated_rx(ike_engine *e, ike_sa *sa, ike_ms now)
{
	ike_ms dpd = sa->peer.dpd_ms ? sa->peer.dpd_ms : e->cfg.dpd_interval_ms;

	if (sa->state != SA_ESTABLISHED || !dpd)
		return IKE_OK;
	return ike__timer_set(e, sa, TMR_DPD, ike__ms_add(now, dpd));
}

int ike__timers_packet_sent(ike_engine *e, ike_sa *sa, ike_ms now)
{
	if (sa->state != SA_ESTABLISHED || !sa->nat_local || !e->cfg.keepalive_interval_ms)
		return IKE_OK;
	return ike__timer_set(e, sa, TMR_KEEPALIVE, ike__ms_add(now, e->cfg.keepalive_interval_ms));
}
