/* SPDX-License-Identifier: MIT */
/*
 * CREATE_CHILD_SA (RFC 7296 1.3): rekeying a CHILD_SA (1.3.3):
 *   HDR, SK {N(REKEY_SA), SA, Ni, TSi, TSr} -->
 *                                 <-- HDR, SK {SA, Nr, TSi, TSr}
 * then the initiator deletes the old CHILD_SA with an INFORMATIONAL.
 * PFS (a KE payload) is not offered; a request carrying one is refused with
 * NO_PROPOSAL_CHOSEN. New CHILD_SAs other than rekeys get NO_ADDITIONAL_SAS.
 * Collisions (RFC 7296 2.8.1), kept simple and deterministic: when both ends
 * rekey the same CHILD_SA at once, the IKE_SA responder's request wins; the
 * IKE_SA initiator's own request is answered TEMPORARY_FAILURE and dropped.
 */
#include <string.h>

#include "ike/iana.h"
#include "ts.h"
#include "xchg.h"
#include "xchg_int.h"

enum { CHILD_REKEY = 1 };
#define NONCE_LEN 32

static ike__child *child_by(ike_sa *sa, uint32_t spi, bool inbound)
{
	for (ike__child *c = sa->children; c; c = c->next)
		if ((inbound ? c->spi_in : c->spi_out) == spi)
			return c;
	return NULL;
}

static void esp_props(const ike_sa *sa, ike__prop_list *l)
{
	(void)ike__prop_parse(l, sa->peer.esp_props, true);
	for (unsigned i = 0; i < l->n; i++)
		l->p[i].n_dh = 0;
}

static void config_ts(const ike_sa *sa, ike_ts_list *local, ike_ts_list *remote)
{
	static const ike_ts_list none;
	ike__ts_or_host(local, sa->peer.ts ? &sa->peer.ts[0] : &none, &sa->path.local);
	ike__ts_or_host(remote, sa->peer.ts ? &sa->peer.ts[1] : &none, &sa->path.remote);
}

static uint32_t new_spi(ike_engine *e)
{
	uint32_t spi;

	do
		ike__rand(e, &spi, sizeof spi);
	while (spi < 256);
	return spi;
}

int ike__child_rekey_start(ike_engine *e, ike_sa *sa, uint32_t child_spi_in, ike_ms now)
{
	ike__prop_list esp;
	ike__child *c;
	ike__xchg *x;
	uint8_t spi[4], old[4];
	ike__mb b;
	int rc;

	if (!child_spi_in)
		return IKE_ERR_UNSUPPORTED; /* IKE_SA rekeying: not yet (see docs/engine.md) */
	if (!(c = child_by(sa, child_spi_in, true)))
		return IKE_ERR_NOT_FOUND;
	if (!sa->peer.ts)
		return IKE_ERR_STATE;
	if ((rc = ike__xchg_new(e, sa, IKE_CREATE_CHILD_SA)) != IKE_OK)
		return rc;
	x = sa->x;
	x->kind = CHILD_REKEY;
	x->old_child_spi = child_spi_in;
	x->child_spi = new_spi(e);
	x->ni_len = NONCE_LEN;
	ike__rand(e, x->ni, NONCE_LEN);
	esp_props(sa, &esp);
	config_ts(sa, &x->tsi, &x->tsr);
	c->rekeying = true;
	ike_put_u32(spi, x->child_spi);
	ike_put_u32(old, child_spi_in);
	ike__mb_begin(&b, sa, IKE_CREATE_CHILD_SA, false, sa->mid_out, sa->keys->out);
	ike__mb_notify(&b, IKE_PROTO_ESP, IKE_REKEY_SA, IKE_SLICE(old, 4), (ike_slice){ NULL, 0 });
	ike__mb_sa(&b, &esp, IKE_PROTO_ESP, spi, 4, 1);
	ike__mb_nonce(&b, IKE_SLICE(x->ni, x->ni_len));
	ike__mb_ts(&b, IKE_TSI, &x->tsi);
	ike__mb_ts(&b, IKE_TSR, &x->tsr);
	IKE_LOG(e, INFO, CHILD, sa, "rekeying CHILD_SA %08x", child_spi_in);
	return ike__send_request(e, sa, &b, now);
}

static int refuse(ike_engine *e, ike_sa *sa, const ike__msg *m, uint16_t notify)
{
	ike__mb b;

	IKE_LOG(e, INFO, CHILD, sa, "CREATE_CHILD_SA refused: %s", ike_notify_name(notify));
	ike__mb_begin(&b, sa, IKE_CREATE_CHILD_SA, true, m->mid, sa->keys->out);
	ike__mb_notify(&b, 0, notify, (ike_slice){ NULL, 0 }, (ike_slice){ NULL, 0 });
	return ike__send_response(e, sa, &b);
}

int ike__child_recv_request(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now)
{
	const ike__notify *rk = ike__msg_notify(m, IKE_REKEY_SA);
	ike__prop_list ours;
	ike_ts_list cfg_local, cfg_remote, tsi, tsr;
	ike__suite s;
	ike__child *c;
	uint8_t num = 0, nr[NONCE_LEN], spi[4];
	uint32_t spi_in;
	ike__mb b;
	int rc;

	if (!rk || rk->proto != IKE_PROTO_ESP || rk->spi.len != 4)
		return refuse(e, sa, m, m->has_ke && !m->has_tsi ? IKE_NO_PROPOSAL_CHOSEN : IKE_NO_ADDITIONAL_SAS);
	if (sa->state != SA_ESTABLISHED || !sa->peer.ts)
		return refuse(e, sa, m, IKE_NO_ADDITIONAL_SAS);
	c = child_by(sa, ike_get_u32(rk->spi.ptr), false);
	if (!c) {
		IKE_LOG(e, INFO, CHILD, sa, "rekey of unknown CHILD_SA %08x", ike_get_u32(rk->spi.ptr));
		return refuse(e, sa, m, IKE_CHILD_SA_NOT_FOUND);
	}
	if (c->rekeying && !sa->initiator)
		return refuse(e, sa, m, IKE_TEMPORARY_FAILURE); /* collision: ours wins */
	if (!m->has_sa || !m->has_nonce || !m->has_tsi || !m->has_tsr)
		return refuse(e, sa, m, IKE_INVALID_SYNTAX);
	esp_props(sa, &ours);
	if (m->has_ke || !ike__prop_select(&ours, &m->sa.props, true, &s, &num) ||
	    m->sa.proto[num - 1] != IKE_PROTO_ESP || m->sa.spi_len[num - 1] != 4)
		return refuse(e, sa, m, IKE_NO_PROPOSAL_CHOSEN);
	config_ts(sa, &cfg_local, &cfg_remote);
	if (!ike__ts_narrow(&m->tsi, &cfg_remote, &tsi) || !ike__ts_narrow(&m->tsr, &cfg_local, &tsr)) {
		/* the NATed host case, as in IKE_AUTH */
		if (!(sa->peer.ts[1].n == 0 && m->tsi.n && ike__ts_is_host(&m->tsi.ts[0]) &&
		      ike__ts_narrow(&m->tsr, &cfg_local, &tsr))) {
			return refuse(e, sa, m, IKE_TS_UNACCEPTABLE);
		}
		tsi.n = 1;
		tsi.ts[0] = m->tsi.ts[0];
	}
	spi_in = new_spi(e);
	ike__rand(e, nr, sizeof nr);
	ike_put_u32(spi, spi_in);
	ike__mb_begin(&b, sa, IKE_CREATE_CHILD_SA, true, m->mid, sa->keys->out);
	ike__mb_sa_suite(&b, &s, IKE_PROTO_ESP, spi, 4, m->sa.num[num - 1]);
	ike__mb_nonce(&b, IKE_SLICE(nr, sizeof nr));
	ike__mb_ts(&b, IKE_TSI, &tsi);
	ike__mb_ts(&b, IKE_TSR, &tsr);
	if ((rc = ike__send_response(e, sa, &b)) != IKE_OK)
		return rc;
	c->rekeying = true; /* the initiator deletes it next */
	return ike__child_install(e, sa, spi_in, ike_get_u32(m->sa.spi[num - 1]), &s, false, (ike_slice){ NULL, 0 },
				  m->nonce, IKE_SLICE(nr, sizeof nr), &tsr, &tsi, c->spi_in, c->spi_out, now);
}

int ike__child_recv_response(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now)
{
	ike__xchg *x = sa->x;
	const ike__notify *n;
	ike__child *old;
	ike__prop_list ours;
	ike__suite s;
	uint32_t old_in;
	int rc;

	if (!x || x->kind != CHILD_REKEY) {
		ike__xchg_free(e, sa);
		return IKE_OK;
	}
	old_in = x->old_child_spi;
	old = child_by(sa, old_in, true);
	if ((n = ike__msg_error(m)) != NULL || !m->has_sa || !m->has_nonce || m->sa.props.n != 1 ||
	    m->sa.spi_len[0] != 4 || !m->has_tsi || !m->has_tsr) {
		IKE_LOG(e, INFO, CHILD, sa, "CHILD_SA rekey refused: %s",
			n ? ike_notify_name(n->type) : "malformed response");
		/* On a collision the peer's rekey replaced the old CHILD_SA already. */
		if (old && !(n && n->type == IKE_TEMPORARY_FAILURE))
			old->rekeying = false;
		ike__xchg_free(e, sa);
		return IKE_OK;
	}
	{
		const ike__prop *p = &m->sa.props.p[0];
		memset(&s, 0, sizeof s);
		s.encr = p->n_encr == 1 ? p->encr[0] : 0;
		s.encr_bits = p->n_encr == 1 ? p->encr_bits[0] : 0;
		s.integ = p->n_integ == 1 ? p->integ[0] : 0;
		s.esn = p->n_esn == 1 ? p->esn[0] : 0;
		esp_props(sa, &ours);
		if (p->n_encr != 1 || p->n_dh || !ike__prop_contains(&ours, &s, true) ||
		    !ike__ts_list_within(&m->tsi, &x->tsi) || !ike__ts_list_within(&m->tsr, &x->tsr)) {
			IKE_LOG(e, WARN, CHILD, sa, "CHILD_SA rekey response does not match our request");
			if (old)
				old->rekeying = false;
			ike__xchg_free(e, sa);
			return IKE_OK;
		}
	}
	{
		ike_ts_list lts = m->tsi, rts = m->tsr;
		rc = ike__child_install(e, sa, x->child_spi, ike_get_u32(m->sa.spi[0]), &s, true, (ike_slice){ NULL, 0 },
					IKE_SLICE(x->ni, x->ni_len), m->nonce, &lts, &rts, old ? old->spi_in : 0,
					old ? old->spi_out : 0, now);
	}
	ike__xchg_free(e, sa);
	if (rc == IKE_ERR_NOMEM)
		return rc;
	/* RFC 7296 1.3.3: the initiator of the rekey deletes the old CHILD_SA. */
	if (old)
		return ike__info_start(e, sa, INFO_DELETE_CHILD, old_in, now);
	return IKE_OK;
}
