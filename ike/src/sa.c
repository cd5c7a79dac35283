/* SPDX-License-Identifier: MIT */
/*
 * IKE_SA lifecycle around the exchanges: credentials, freeing per-exchange
 * state and keys, timer expiry (retransmission, half-open timeout, DPD, NAT
 * keepalive, rekeying), and termination.
 */
#include <string.h>

#include "xchg.h"
#include "xchg_int.h"

int ike__cred_load(ike_engine *e, ike_slice private_key)
{
	int rc;

	if (!private_key.len)
		return IKE_OK;
	rc = ike_key_load(&e->key, e->mem, private_key);
	if (rc)
		return rc == IKE_ERR_NOMEM ? rc : IKE_ERR_CRYPTO;
	if (!ike_key_is_private(e->key)) {
		ike_key_free(e->key);
		e->key = NULL;
		return IKE_ERR_INVAL;
	}
	return IKE_OK;
}

void ike__cred_free(ike_engine *e)
{
	ike_key_free(e->key);
	e->key = NULL;
}

void ike__xchg_free(ike_engine *e, ike_sa *sa)
{
	ike__xchg *x = sa->x;

	if (!x)
		return;
	ike_dh_free(x->dh);
	ike_mem_free(e->mem, x->init_msg);
	ike_mem_free(e->mem, x->peer_init_msg);
	ike_mem_free(e->mem, x->cookie);
	ike_key_free(x->peer_key);
	if (x->new_keys)
		ike__keys_destroy(e, x->new_keys);
	ike_mem_freezero(e->mem, x, sizeof *x);
	sa->x = NULL;
}

void ike__keys_destroy(ike_engine *e, ike__keys *k)
{
	if (!k)
		return;
	ike_sk_cipher_free(k->out);
	ike_sk_cipher_free(k->in);
	ike_mem_freezero(e->mem, k, sizeof *k);
}

void ike__keys_free(ike_engine *e, ike_sa *sa)
{
	ike__keys_destroy(e, sa->keys);
	sa->keys = NULL;
}

static int retransmit(ike_engine *e, ike_sa *sa, ike_ms now)
{
	if (!sa->req)
		return IKE_OK;
	if (sa->tries >= e->cfg.retransmit_tries) {
		IKE_LOG(e, INFO, IKE, sa, "no answer after %u tries", sa->tries);
		ike__sa_kill(e, sa, IKE_ERR_TIMEOUT, 0);
		return IKE_OK;
	}
	sa->tries++;
	e->stats.retransmits++;
	IKE_LOG(e, DEBUG, IKE, sa, "retransmit %u of request mid %u", sa->tries - 1, sa->mid_out);
	(void)ike__call_send(e, sa, sa->req, sa->req_len);
	return ike__timers_request_sent(e, sa, now);
}

static void emit_keepalive(ike_engine *e, ike_sa *sa)
{
	ike_event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = IKE_EV_KEEPALIVE;
	ev.sa = ike__sa_ref(e, sa);
	ev.name = sa->peer.name ? sa->peer.name : "";
	ev.u.keepalive.path = sa->path;
	ike__emit(e, &ev);
}

int ike__sa_on_timer(ike_engine *e, ike_sa *sa, tmr_kind kind, ike_ms now)
{
	switch (kind) {
	case TMR_RETRANSMIT:
		return retransmit(e, sa, now);
	case TMR_HALF_OPEN:
		if (sa->state != SA_ESTABLISHED) {
			IKE_LOG(e, INFO, IKE, sa, "half-open SA timed out");
			ike__sa_kill(e, sa, IKE_ERR_TIMEOUT, 0);
		}
		return IKE_OK;
	case TMR_DPD:
		if (sa->state != SA_ESTABLISHED)
			return IKE_OK;
		if (sa->req) /* an exchange is running: it checks liveness itself */
			return ike__timers_authenticated_rx(e, sa, now);
		return ike__info_start(e, sa, INFO_DPD, 0, now);
	case TMR_KEEPALIVE:
		if (sa->state != SA_ESTABLISHED || !sa->nat_local)
			return IKE_OK;
		emit_keepalive(e, sa);
		return ike__timers_packet_sent(e, sa, now);
	case TMR_REKEY_IKE:
	case TMR_REKEY_CHILD:
		if (sa->state != SA_ESTABLISHED)
			return IKE_OK;
		if (sa->req) /* busy: try again shortly */
			return ike__timer_set(e, sa, kind, ike__ms_add(now, 1000));
		if (kind == TMR_REKEY_IKE)
			return ike__child_rekey_start(e, sa, 0, now);
		return sa->children ? ike__child_rekey_start(e, sa, sa->children->spi_in, now) : IKE_OK;
	case TMR_ME_TURN:
		return ike__me_turn_refresh(e, sa, now);
	case TMR_DELETE:
		if (sa->state == SA_ESTABLISHED && !sa->req)
			return ike__info_start(e, sa, INFO_DELETE_IKE, 0, now);
		return ike__timer_set(e, sa, kind, ike__ms_add(now, 1000));
	case TMR_COUNT:
		break;
	}
	return IKE_OK;
}

void ike__sa_terminate(ike_engine *e, ike_sa *sa, ike_ms now)
{
	if (sa->state == SA_DEAD || sa->state == SA_DELETING)
		return;
	if (sa->state != SA_ESTABLISHED) {
		ike__sa_kill(e, sa, IKE_OK, 0);
		return;
	}
	if (sa->req) {
		/* Window size 1: the DELETE waits for the running exchange. */
		(void)ike__timer_set(e, sa, TMR_DELETE, now);
		return;
	}
	if (ike__info_start(e, sa, INFO_DELETE_IKE, 0, now) != IKE_OK)
		ike__sa_kill(e, sa, IKE_OK, 0);
}
