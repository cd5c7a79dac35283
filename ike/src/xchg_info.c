/* SPDX-License-Identifier: MIT */
/*
 * INFORMATIONAL (RFC 7296 1.4, 2.4): liveness checks (empty), DELETE of the
 * IKE_SA or of CHILD_SAs, and error notifies.
 */
#include <string.h>

#include "ike/iana.h"
#include "xchg.h"
#include "xchg_int.h"

int ike__info_start(ike_engine *e, ike_sa *sa, int what, uint32_t child_spi, ike_ms now)
{
	ike__mb b;
	int rc;

	if ((rc = ike__xchg_new(e, sa, IKE_INFORMATIONAL)) != IKE_OK)
		return rc;
	sa->x->kind = (uint8_t)what;
	sa->x->del_spi = child_spi;
	ike__mb_begin(&b, sa, IKE_INFORMATIONAL, false, sa->mid_out, sa->keys->out);
	if (what == INFO_DELETE_IKE) {
		ike__mb_delete(&b, IKE_PROTO_IKE, NULL, 0);
		sa->state = SA_DELETING;
		IKE_LOG(e, INFO, IKE, sa, "deleting IKE_SA");
	} else if (what == INFO_DELETE_CHILD) {
		ike__mb_delete(&b, IKE_PROTO_ESP, &child_spi, 1);
	} else {
		IKE_LOG(e, DEBUG, IKE, sa, "liveness check");
	}
	return ike__send_request(e, sa, &b, now);
}

static ike__child *find_child(ike_sa *sa, uint32_t spi, bool inbound)
{
	for (ike__child *c = sa->children; c; c = c->next)
		if ((inbound ? c->spi_in : c->spi_out) == spi)
			return c;
	return NULL;
}

/* Unlinks, reports and frees one CHILD_SA. */
void ike__child_remove(ike_engine *e, ike_sa *sa, ike__child *c, int reason)
{
	ike_event ev;

	for (ike__child **l = &sa->children; *l; l = &(*l)->next)
		if (*l == c) {
			*l = c->next;
			break;
		}
	memset(&ev, 0, sizeof ev);
	ev.type = IKE_EV_CHILD_DOWN;
	ev.sa = ike__sa_ref(e, sa);
	ev.name = sa->peer.name ? sa->peer.name : "";
	ev.u.child_down.spi_in = c->spi_in;
	ev.u.child_down.spi_out = c->spi_out;
	ev.u.child_down.reason = reason;
	IKE_LOG(e, INFO, CHILD, sa, "CHILD_SA %08x/%08x deleted", c->spi_in, c->spi_out);
	ike_mem_free(e->mem, c);
	ike__emit(e, &ev);
}

int ike__info_recv_request(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now)
{
	uint32_t ours[MSG_DEL_MAX];
	unsigned n = 0;
	ike__mb b;
	int rc;

	(void)now;
	if (ike__msg_notify(m, IKE_AUTHENTICATION_FAILED)) {
		/* The initiator did not accept our AUTH (RFC 7296 2.21.2). */
		IKE_LOG(e, WARN, IKE, sa, "peer reports AUTHENTICATION_FAILED");
		ike__sa_kill(e, sa, IKE_ERR_AUTH, IKE_AUTHENTICATION_FAILED);
		return IKE_OK;
	}
	ike__mb_begin(&b, sa, IKE_INFORMATIONAL, true, m->mid, sa->keys->out);
	if (m->has_del && m->del_proto == IKE_PROTO_IKE) {
		rc = ike__send_response(e, sa, &b);
		IKE_LOG(e, INFO, IKE, sa, "peer deleted the IKE_SA");
		ike__sa_kill(e, sa, IKE_OK, 0);
		return rc;
	}
	if (m->has_del && m->del_proto == IKE_PROTO_ESP) {
		/* RFC 7296 1.4.1: answer with the SPIs of our halves of the same pairs. */
		for (unsigned i = 0; i < m->n_del; i++) {
			ike__child *c = find_child(sa, m->del_spi[i], false);
			if (!c)
				continue;
			if (c->rekeying) /* a rekey collision: the peer deletes the old one */
				c->rekeying = false;
			ours[n++] = c->spi_in;
			ike__child_remove(e, sa, c, IKE_OK);
		}
		if (n)
			ike__mb_delete(&b, IKE_PROTO_ESP, ours, n);
	}
	ike__me_moved_add(e, sa, &b);
	ike__me_turn_recv(e, sa, m); /* a mediation server's fresh TURN credential */
	return ike__send_response(e, sa, &b);
}

int ike__info_recv_response(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now)
{
	ike__xchg *x = sa->x;
	int kind = x ? x->kind : INFO_DPD;
	uint32_t del = x ? x->del_spi : 0;

	ike__xchg_free(e, sa);
	ike__me_auth_response_recv(e, sa, m); /* a mediation server's ME_ENDPOINT after we moved */
	ike__me_turn_recv(e, sa, m);
	if (kind == INFO_DELETE_IKE) {
		ike__sa_kill(e, sa, IKE_OK, 0);
	} else if (kind == INFO_DELETE_CHILD) {
		ike__child *c = find_child(sa, del, true);
		if (c)
			ike__child_remove(e, sa, c, IKE_OK);
	}
	if (sa->state == SA_ESTABLISHED && ike__timer_at(e, sa, TMR_DELETE) != IKE_NEVER)
		(void)ike__timer_set(e, sa, TMR_DELETE, now);
	return IKE_OK;
}
