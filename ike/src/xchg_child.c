/* SPDX-License-Identifier: MIT */
/*
 * CREATE_CHILD_SA (RFC 7296 1.3): rekeying the IKE_SA (1.3.2, 2.18):
 *   HDR, SK {SA, Ni, KEi} -->  <-- HDR, SK {SA, Nr, KEr}
 * after which the rekey's initiator deletes the old IKE_SA; the CHILD_SAs move
 * to the new one. And rekeying a CHILD_SA (1.3.3):
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

enum { CHILD_REKEY = 1, IKE_REKEY = 2 };
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

static void config_ts(const ike_sa *sa, ike_tsel_list *local, ike_tsel_list *remote)
{
	static const ike_tsel_list none;
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

static int refuse(ike_engine *e, ike_sa *sa, const ike__msg *m, uint16_t notify);

/* ---- IKE_SA rekeying ---- */

static int keys_from(ike_engine *e, bool initiator, const ike__suite *su, ike_sa_keys *k, ike__keys **out)
{
	ike__keys *keys = ike_mem_calloc(e->mem, 1, sizeof *keys);
	int rc;

	*out = NULL;
	if (!keys)
		return IKE_ERR_NOMEM;
	keys->prf = k->prf;
	keys->d_len = k->d_len;
	memcpy(keys->sk_d, k->sk_d, k->d_len);
	rc = ike_sk_cipher_new(&keys->out, e->mem, su->encr, su->encr_bits, su->integ,
	                       IKE_SLICE(initiator ? k->sk_ei : k->sk_er, k->e_len),
	                       IKE_SLICE(initiator ? k->sk_ai : k->sk_ar, k->a_len));
	if (!rc)
		rc = ike_sk_cipher_new(&keys->in, e->mem, su->encr, su->encr_bits, su->integ,
		                       IKE_SLICE(initiator ? k->sk_er : k->sk_ei, k->e_len),
		                       IKE_SLICE(initiator ? k->sk_ar : k->sk_ai, k->a_len));
	if (rc) {
		ike__keys_destroy(e, keys);
		return rc == IKE_ERR_NOMEM ? rc : IKE_ERR_CRYPTO;
	}
	*out = keys;
	return IKE_OK;
}

/* Creates the IKE_SA that replaces old (RFC 7296 2.18) and moves the CHILD_SAs to it. */
static int replace_sa(ike_engine *e, ike_sa *old, bool initiator, uint64_t spi_i, uint64_t spi_r,
                      const ike__suite *su, ike_dh *dh, ike_slice peer_ke, ike_slice ni, ike_slice nr,
                      ike_ms now)
{
	uint8_t secret[IKE_DH_SECRET_MAX];
	size_t slen;
	ike_sa_keys ok, nk;
	ike_crypto_suite cs = {su->encr, su->encr_bits, su->integ, su->prf, su->dh};
	ike__keys *keys = NULL;
	ike_sa *sa;
	ike_event ev;
	ike_ms turn_at;
	int rc;

	if ((rc = ike_dh_compute(dh, peer_ke, secret, sizeof secret, &slen)) != IKE_OK)
		return rc == IKE_ERR_NOMEM ? rc : IKE_ERR_CRYPTO;
	memset(&ok, 0, sizeof ok);
	ok.prf = old->keys->prf;
	ok.d_len = old->keys->d_len;
	memcpy(ok.sk_d, old->keys->sk_d, ok.d_len);
	rc = ike_sa_keys_derive_rekey(&nk, &cs, &ok, IKE_SLICE(secret, slen), ni, nr, spi_i, spi_r);
	ike_crypto_wipe(secret, sizeof secret);
	ike_sa_keys_wipe(&ok);
	if (rc)
		return IKE_ERR_CRYPTO;
	rc = keys_from(e, initiator, su, &nk, &keys);
	ike_sa_keys_wipe(&nk);
	if (rc)
		return rc;
	if ((rc = ike__sa_alloc(e, &sa)) != IKE_OK) {
		ike__keys_destroy(e, keys);
		return rc;
	}
	sa->initiator = initiator;
	sa->spi_i = spi_i;
	sa->spi_r = spi_r;
	ike__sa_index_local(e, sa);
	sa->keys = keys;
	if ((rc = ike__peer_clone(e, &sa->peer, &old->peer)) != IKE_OK ||
	    (old->remote_id.len &&
	     !(sa->remote_id.data = ike_mem_dup(e->mem, old->remote_id.data, old->remote_id.len)))) {
		ike__sa_release(e, sa);
		return IKE_ERR_NOMEM;
	}
	sa->remote_id.type = old->remote_id.type;
	sa->remote_id.len = old->remote_id.len;
	sa->path = old->path;
	sa->nat_local = old->nat_local;
	sa->nat_remote = old->nat_remote;
	sa->natt = old->natt;
	sa->floated = old->floated;
	sa->suite = *su;
	sa->state = SA_ESTABLISHED;
	sa->was_up = true;
	sa->children = old->children;
	old->children = NULL;
	old->rekeyed = true;
	old->state = SA_REKEYED;
	turn_at = ike__timer_at(e, old, TMR_ME_TURN); /* the TURN refresh moves along */
	ike__timer_clear_all(e, old);
	/* A replaced SA that never sees its DELETE goes away on its own. */
	(void)ike__timers_half_open(e, old, now);
	ike__sa_set_tag(e, sa);
	(void)ike__timers_established(e, sa, now);
	if (sa->children)
		(void)ike__timers_child_installed(e, sa, now);
	if (turn_at != IKE_NEVER)
		(void)ike__timer_set(e, sa, TMR_ME_TURN, turn_at);
	IKE_LOG(e, INFO, IKE, sa, "IKE_SA rekeyed, replaces %s", old->tag);
	memset(&ev, 0, sizeof ev);
	ev.type = IKE_EV_SA_REKEYED;
	ev.sa = ike__sa_ref(e, sa);
	ev.name = sa->peer.name ? sa->peer.name : "";
	ev.u.sa_rekeyed.old_sa = ike__sa_ref(e, old);
	ike__emit(e, &ev);
	return IKE_OK;
}

static int ike_rekey_start(ike_engine *e, ike_sa *sa, ike_ms now)
{
	ike__prop_list props;
	ike__xchg *x;
	uint8_t spi[8];
	ike__mb b;
	int rc;

	if (ike__prop_parse(&props, sa->peer.ike_props, false))
		return IKE_ERR_INVAL;
	if ((rc = ike__xchg_new(e, sa, IKE_CREATE_CHILD_SA)) != IKE_OK)
		return rc;
	x = sa->x;
	x->kind = IKE_REKEY;
	x->dh_group = sa->suite.dh;
	if ((rc = ike_dh_new(&x->dh, e->mem, x->dh_group)) != IKE_OK)
		return rc == IKE_ERR_NOMEM ? rc : IKE_ERR_CRYPTO;
	x->new_spi_i = ike__sa_new_spi(e);
	x->ni_len = NONCE_LEN;
	ike__rand(e, x->ni, NONCE_LEN);
	ike_put_u32(spi, (uint32_t)(x->new_spi_i >> 32));
	ike_put_u32(spi + 4, (uint32_t)x->new_spi_i);
	ike__mb_begin(&b, sa, IKE_CREATE_CHILD_SA, false, sa->mid_out, sa->keys->out);
	ike__mb_sa(&b, &props, IKE_PROTO_IKE, spi, 8, 1);
	ike__mb_nonce(&b, IKE_SLICE(x->ni, x->ni_len));
	ike__mb_ke(&b, x->dh_group, ike_dh_public(x->dh));
	IKE_LOG(e, INFO, IKE, sa, "rekeying IKE_SA");
	return ike__send_request(e, sa, &b, now);
}

static int ike_rekey_recv_request(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now)
{
	ike__prop_list ours;
	ike__suite s;
	uint8_t num = 0, nr[NONCE_LEN], spi[8];
	uint64_t spi_i, spi_r;
	ike_dh *dh = NULL;
	ike__mb b;
	int rc;

	if (sa->x && sa->x->kind == IKE_REKEY && !sa->initiator)
		return refuse(e, sa, m, IKE_TEMPORARY_FAILURE); /* collision: ours wins */
	if (!m->has_nonce || !m->has_ke)
		return refuse(e, sa, m, IKE_INVALID_SYNTAX);
	(void)ike__prop_parse(&ours, sa->peer.ike_props, false);
	if (!ike__prop_select(&ours, &m->sa.props, false, &s, &num) || m->sa.spi_len[num - 1] != 8)
		return refuse(e, sa, m, IKE_NO_PROPOSAL_CHOSEN);
	if (m->ke_group != s.dh) {
		uint8_t g[2];
		ike_put_u16(g, s.dh);
		ike__mb_begin(&b, sa, IKE_CREATE_CHILD_SA, true, m->mid, sa->keys->out);
		ike__mb_notify(&b, 0, IKE_INVALID_KE_PAYLOAD, (ike_slice){NULL, 0}, IKE_SLICE(g, 2));
		return ike__send_response(e, sa, &b);
	}
	if ((rc = ike_dh_new(&dh, e->mem, s.dh)) != IKE_OK)
		return rc == IKE_ERR_NOMEM ? rc : refuse(e, sa, m, IKE_NO_PROPOSAL_CHOSEN);
	spi_i = (uint64_t)ike_get_u32(m->sa.spi[num - 1]) << 32 | ike_get_u32(m->sa.spi[num - 1] + 4);
	spi_r = ike__sa_new_spi(e);
	ike__rand(e, nr, sizeof nr);
	ike_put_u32(spi, (uint32_t)(spi_r >> 32));
	ike_put_u32(spi + 4, (uint32_t)spi_r);
	ike__mb_begin(&b, sa, IKE_CREATE_CHILD_SA, true, m->mid, sa->keys->out);
	ike__mb_sa_suite(&b, &s, IKE_PROTO_IKE, spi, 8, m->sa.num[num - 1]);
	ike__mb_nonce(&b, IKE_SLICE(nr, sizeof nr));
	ike__mb_ke(&b, s.dh, ike_dh_public(dh));
	if ((rc = ike__send_response(e, sa, &b)) == IKE_OK)
		rc = replace_sa(e, sa, false, spi_i, spi_r, &s, dh, m->ke, m->nonce, IKE_SLICE(nr, sizeof nr),
		                now);
	ike_dh_free(dh);
	if (rc && rc != IKE_ERR_NOMEM)
		IKE_LOG(e, WARN, IKE, sa, "IKE_SA rekey failed: %s", ike_strerror(rc));
	return rc == IKE_ERR_NOMEM ? rc : IKE_OK;
}

static int ike_rekey_recv_response(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now)
{
	ike__xchg *x = sa->x;
	const ike__notify *n;
	ike__prop_list props;
	ike__suite s;
	uint64_t spi_r;
	int rc;

	if ((n = ike__msg_error(m)) != NULL || !m->has_sa || !m->has_ke || !m->has_nonce ||
	    m->sa.props.n != 1 || m->sa.spi_len[0] != 8 || m->sa.proto[0] != IKE_PROTO_IKE) {
		IKE_LOG(e, INFO, IKE, sa, "IKE_SA rekey refused: %s",
		        n ? ike_notify_name(n->type) : "malformed");
		ike__xchg_free(e, sa);
		return IKE_OK;
	}
	{
		const ike__prop *p = &m->sa.props.p[0];
		memset(&s, 0, sizeof s);
		s.encr = p->n_encr == 1 ? p->encr[0] : 0;
		s.encr_bits = p->n_encr == 1 ? p->encr_bits[0] : 0;
		s.integ = p->n_integ == 1 ? p->integ[0] : 0;
		s.prf = p->n_prf == 1 ? p->prf[0] : 0;
		s.dh = p->n_dh == 1 ? p->dh[0] : 0;
	}
	(void)ike__prop_parse(&props, sa->peer.ike_props, false);
	if (!ike__prop_contains(&props, &s, false) || s.dh != x->dh_group || m->ke_group != s.dh) {
		IKE_LOG(e, WARN, IKE, sa, "IKE_SA rekey response does not match our request");
		ike__xchg_free(e, sa);
		return IKE_OK;
	}
	spi_r = (uint64_t)ike_get_u32(m->sa.spi[0]) << 32 | ike_get_u32(m->sa.spi[0] + 4);
	rc = replace_sa(e, sa, true, x->new_spi_i, spi_r, &s, x->dh, m->ke, IKE_SLICE(x->ni, x->ni_len),
	                m->nonce, now);
	ike__xchg_free(e, sa);
	if (rc) {
		IKE_LOG(e, WARN, IKE, sa, "IKE_SA rekey failed: %s", ike_strerror(rc));
		return rc == IKE_ERR_NOMEM ? rc : IKE_OK;
	}
	/* RFC 7296 1.3.2: the rekey's initiator deletes the old IKE_SA. */
	sa->state = SA_ESTABLISHED;
	rc = ike__info_start(e, sa, INFO_DELETE_IKE, 0, now);
	return rc;
}

/* ---- CHILD_SA rekeying ---- */

int ike__child_rekey_start(ike_engine *e, ike_sa *sa, uint32_t child_spi_in, ike_ms now)
{
	ike__prop_list esp;
	ike__child *c;
	ike__xchg *x;
	uint8_t spi[4], old[4];
	ike__mb b;
	int rc;

	if (!child_spi_in)
		return ike_rekey_start(e, sa, now);
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
	ike__mb_notify(&b, IKE_PROTO_ESP, IKE_REKEY_SA, IKE_SLICE(old, 4), (ike_slice){NULL, 0});
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
	ike__mb_notify(&b, 0, notify, (ike_slice){NULL, 0}, (ike_slice){NULL, 0});
	return ike__send_response(e, sa, &b);
}

int ike__child_recv_request(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now)
{
	const ike__notify *rk = ike__msg_notify(m, IKE_REKEY_SA);
	ike__prop_list ours;
	ike_tsel_list cfg_local, cfg_remote, tsi, tsr;
	ike__suite s;
	ike__child *c;
	uint8_t num = 0, nr[NONCE_LEN], spi[4];
	uint32_t spi_in;
	ike__mb b;
	int rc;

	if (!rk && m->has_sa && m->sa.props.n && m->sa.proto[0] == IKE_PROTO_IKE)
		return ike_rekey_recv_request(e, sa, m, now);
	if (!rk || rk->proto != IKE_PROTO_ESP || rk->spi.len != 4)
		return refuse(e, sa, m,
		              m->has_ke && !m->has_tsi ? IKE_NO_PROPOSAL_CHOSEN : IKE_NO_ADDITIONAL_SAS);
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
	return ike__child_install(e, sa, spi_in, ike_get_u32(m->sa.spi[num - 1]), &s, false,
	                          (ike_slice){NULL, 0}, m->nonce, IKE_SLICE(nr, sizeof nr), &tsr, &tsi,
	                          c->spi_in, c->spi_out, now);
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

	if (x && x->kind == IKE_REKEY)
		return ike_rekey_recv_response(e, sa, m, now);
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
		ike_tsel_list lts = m->tsi, rts = m->tsr;
		rc = ike__child_install(e, sa, x->child_spi, ike_get_u32(m->sa.spi[0]), &s, true,
		                        (ike_slice){NULL, 0}, IKE_SLICE(x->ni, x->ni_len), m->nonce, &lts,
		                        &rts, old ? old->spi_in : 0, old ? old->spi_out : 0, now);
	}
	ike__xchg_free(e, sa);
	if (rc == IKE_ERR_NOMEM)
		return rc;
	/* RFC 7296 1.3.3: the initiator of the rekey deletes the old CHILD_SA. */
	if (old)
		return ike__info_start(e, sa, INFO_DELETE_CHILD, old_in, now);
	return IKE_OK;
}
