/* SPDX-License-Identifier: MIT */
/*
 * IKE_SA_INIT (RFC 7296 1.2, 2.6, 2.7, 2.23), both roles:
 *   HDR, SA, KE, Ni, N(NAT_DETECTION_*), N(SIGNATURE_HASH_ALGORITHMS) -->
 *                         <-- HDR, SA, KE, Nr, N(NAT_DETECTION_*), N(SIG_HASH)
 * with the INVALID_KE_PAYLOAD and COOKIE rounds.
 */
#include <string.h>

#include "ike/iana.h"
#include "xchg.h"
#include "xchg_int.h"

#define NONCE_LEN 32
#define COOKIE_LEN 33 /* version byte | SHA-256 */
#define COOKIE_ROTATE_MS (120 * 1000)

static void add_sig_hashes(ike_engine *e, ike__mb *b)
{
	uint8_t data[16];
	size_t len;

	if (!e->key)
		return;
	if (ike_sig_hashes_encode(ike_sig_hashes_ours(), data, sizeof data, &len) == IKE_OK)
		ike__mb_notify(b, 0, IKE_SIGNATURE_HASH_ALGORITHMS, (ike_slice){NULL, 0},
		               IKE_SLICE(data, len));
}

static void read_sig_hashes(const ike__msg *m, ike__xchg *x)
{
	const ike__notify *n = ike__msg_notify(m, IKE_SIGNATURE_HASH_ALGORITHMS);

	if (!n || ike_sig_hashes_parse(n->data, &x->peer_hashes) != IKE_OK)
		x->peer_hashes = 0;
}

/* Derives the IKE_SA keys and the two SK ciphers; keeps SK_p in x. */
static int make_keys(ike_engine *e, ike_sa *sa, ike_slice peer_ke)
{
	ike__xchg *x = sa->x;
	uint8_t secret[IKE_DH_SECRET_MAX];
	size_t slen;
	ike_sa_keys k;
	ike_crypto_suite cs = {sa->suite.encr, sa->suite.encr_bits, sa->suite.integ, sa->suite.prf,
	                       sa->suite.dh};
	ike__keys *keys;
	int rc;

	rc = ike_dh_compute(x->dh, peer_ke, secret, sizeof secret, &slen);
	if (rc)
		return rc == IKE_ERR_NOMEM ? rc : IKE_ERR_CRYPTO;
	rc = ike_sa_keys_derive(&k, &cs, IKE_SLICE(secret, slen), IKE_SLICE(x->ni, x->ni_len),
	                        IKE_SLICE(x->nr, x->nr_len), sa->spi_i, sa->spi_r);
	ike_crypto_wipe(secret, sizeof secret);
	if (rc)
		return IKE_ERR_CRYPTO;
	keys = ike_mem_calloc(e->mem, 1, sizeof *keys);
	if (!keys) {
		ike_sa_keys_wipe(&k);
		return IKE_ERR_NOMEM;
	}
	keys->prf = k.prf;
	keys->d_len = k.d_len;
	memcpy(keys->sk_d, k.sk_d, k.d_len);
	memcpy(x->sk_pi, k.sk_pi, k.p_len);
	memcpy(x->sk_pr, k.sk_pr, k.p_len);
	x->p_len = k.p_len;
	rc = ike_sk_cipher_new(&keys->out, e->mem, cs.encr, cs.encr_bits, cs.integ,
	                       IKE_SLICE(sa->initiator ? k.sk_ei : k.sk_er, k.e_len),
	                       IKE_SLICE(sa->initiator ? k.sk_ai : k.sk_ar, k.a_len));
	if (!rc)
		rc = ike_sk_cipher_new(&keys->in, e->mem, cs.encr, cs.encr_bits, cs.integ,
		                       IKE_SLICE(sa->initiator ? k.sk_er : k.sk_ei, k.e_len),
		                       IKE_SLICE(sa->initiator ? k.sk_ar : k.sk_ai, k.a_len));
	ike_sa_keys_wipe(&k);
	if (rc) {
		ike__keys_destroy(e, keys);
		return rc == IKE_ERR_NOMEM ? rc : IKE_ERR_CRYPTO;
	}
	ike__keys_free(e, sa);
	sa->keys = keys;
	return IKE_OK;
}

int ike__init_start(ike_engine *e, ike_sa *sa, ike_ms now)
{
	ike__prop_list props;
	ike__xchg *x = sa->x;
	ike__mb b;
	int rc;

	if (ike__prop_parse(&props, sa->peer.ike_props, false))
		return IKE_ERR_INVAL;
	if (!x) {
		if ((rc = ike__xchg_new(e, sa, IKE_IKE_SA_INIT)) != IKE_OK)
			return rc;
		x = sa->x;
		x->dh_group = ike__prop_first_dh(&props);
	}
	/* RFC 7296 2.6: a retry with a COOKIE leaves every other payload unchanged;
	 * after INVALID_KE_PAYLOAD only the KE changes. */
	if (x->dh && ike_dh_group(x->dh) != x->dh_group) {
		ike_dh_free(x->dh);
		x->dh = NULL;
	}
	if (!x->dh && (rc = ike_dh_new(&x->dh, e->mem, x->dh_group)) != IKE_OK)
		return rc == IKE_ERR_NOMEM ? rc : IKE_ERR_CRYPTO;
	if (!x->ni_len) {
		x->ni_len = NONCE_LEN;
		ike__rand(e, x->ni, NONCE_LEN);
	}
	sa->spi_r = 0;
	sa->mid_out = 0;
	ike__mb_begin_spi(&b, sa->spi_i, 0, IKE_IKE_SA_INIT, IKE_FLAG_INITIATOR, 0, NULL);
	/* RFC 7296 2.6: the COOKIE notify comes first. */
	if (x->cookie)
		ike__mb_notify(&b, 0, IKE_COOKIE, (ike_slice){NULL, 0}, IKE_SLICE(x->cookie, x->cookie_len));
	ike__mb_sa(&b, &props, IKE_PROTO_IKE, NULL, 0, 1);
	ike__mb_ke(&b, x->dh_group, ike_dh_public(x->dh));
	ike__mb_nonce(&b, IKE_SLICE(x->ni, x->ni_len));
	ike__nat_add(e, &b, sa->spi_i, 0, &sa->path);
	if (sa->peer.local_auth == IKE_AUTHBY_PUBKEY || sa->peer.remote_auth == IKE_AUTHBY_PUBKEY)
		add_sig_hashes(e, &b);
	if (sa->peer.mediation)
		ike__mb_notify(&b, 0, IKE_ME_MEDIATION, (ike_slice){NULL, 0}, (ike_slice){NULL, 0});
	/* A mediated connection's direct IKE_SA: the connect ID ends the responder's
	 * checks (strongSwan: ike_init.c adds it last in IKE_SA_INIT). */
	if (sa->peer.me_cid_len)
		ike__mb_notify(&b, 0, IKE_ME_CONNECTID, (ike_slice){NULL, 0},
		               IKE_SLICE(sa->peer.me_cid, sa->peer.me_cid_len));
	rc = ike__send_request(e, sa, &b, now);
	if (rc)
		return rc;
	ike_mem_free(e->mem, x->init_msg);
	x->init_msg = ike_mem_dup(e->mem, sa->req, sa->req_len);
	x->init_len = sa->req_len;
	IKE_LOG(e, INFO, IKE, sa, "initiating IKE_SA with %s, DH group %s",
	        sa->peer.name ? sa->peer.name : "peer", ike_transform_name(IKE_DH, x->dh_group));
	return x->init_msg ? IKE_OK : IKE_ERR_NOMEM;
}

/* Responder: reports N(ME_CONNECTID) of a mediated connection's IKE_SA_INIT
 * (IKE_EV_ME_CONNECTID), so the program can end its connectivity checks. A
 * connect ID of a wrong length is ignored (strongSwan does not check it either). */
static void report_connect_id(ike_engine *e, ike_sa *sa, const ike__msg *m, const ike_path *path)
{
	const ike__notify *n = ike__msg_notify(m, IKE_ME_CONNECTID);
	ike_event ev;

	if (!n || sa->me_requested)
		return;
	if (n->data.len == 0 || n->data.len > IKE_ME_ID_MAX) {
		IKE_LOG(e, WARN, IKE, sa, "ignoring ME_CONNECTID of %zu bytes", n->data.len);
		return;
	}
	memset(&ev, 0, sizeof ev);
	ev.type = IKE_EV_ME_CONNECTID;
	ev.sa = ike__sa_ref(e, sa);
	ev.name = "";
	ev.u.me_connectid.id = n->data.ptr;
	ev.u.me_connectid.len = (uint8_t)n->data.len;
	ev.u.me_connectid.path = *path;
	ike__emit(e, &ev);
}

static int restart(ike_engine *e, ike_sa *sa, ike_ms now)
{
	ike_mem_free(e->mem, sa->req);
	sa->req = NULL;
	ike__timers_response_received(e, sa);
	return ike__init_start(e, sa, now);
}

int ike__init_recv_response(ike_engine *e, ike_sa *sa, const uint8_t *pkt, const ike__msg *m, ike_ms now)
{
	ike__xchg *x = sa->x;
	const ike__notify *n;
	ike__prop_list props;
	ike_path path = sa->path;
	int rc;

	if (sa->state != SA_I_INIT || !x || !sa->req || m->mid != 0)
		return ike__drop(e, sa, &sa->path, IKE_ERR_BAD_MID, "unexpected IKE_SA_INIT response");
	(void)ike__prop_parse(&props, sa->peer.ike_props, false);
	if ((n = ike__msg_notify(m, IKE_COOKIE)) != NULL) {
		/* RFC 7296 2.6: repeat the request with the cookie, at most once per cookie. */
		if (n->data.len < 1 || n->data.len > 64)
			return ike__drop(e, sa, &sa->path, IKE_ERR_MALFORMED, "bad COOKIE");
		if ((x->cookie && x->cookie_len == n->data.len &&
		     !memcmp(x->cookie, n->data.ptr, n->data.len)) ||
		    x->cookie_rounds++ >= 3)
			return ike__drop(e, sa, &sa->path, IKE_ERR_COOKIE, "COOKIE demanded again");
		ike_mem_free(e->mem, x->cookie);
		x->cookie = ike_mem_dup(e->mem, n->data.ptr, n->data.len);
		if (!x->cookie)
			return IKE_ERR_NOMEM;
		x->cookie_len = (uint16_t)n->data.len;
		IKE_LOG(e, INFO, IKE, sa, "responder asks for a COOKIE, repeating IKE_SA_INIT");
		return restart(e, sa, now);
	}
	if ((n = ike__msg_notify(m, IKE_INVALID_KE_PAYLOAD)) != NULL) {
		uint16_t group = n->data.len == 2 ? ike_get_u16(n->data.ptr) : 0;
		if (!group || group == x->dh_group || !ike__prop_has_dh(&props, group) ||
		    x->ke_retries++ >= 2) {
			ike__sa_kill(e, sa, IKE_ERR_NO_PROPOSAL, IKE_INVALID_KE_PAYLOAD);
			return IKE_OK;
		}
		IKE_LOG(e, INFO, IKE, sa, "responder wants DH group %s, retrying",
		        ike_transform_name(IKE_DH, group));
		x->dh_group = group;
		return restart(e, sa, now);
	}
	if ((n = ike__msg_error(m)) != NULL) {
		IKE_LOG(e, WARN, IKE, sa, "IKE_SA_INIT refused: %s", ike_notify_name(n->type));
		ike__sa_kill(e, sa, n->type == IKE_NO_PROPOSAL_CHOSEN ? IKE_ERR_NO_PROPOSAL : IKE_ERR_POLICY,
		             n->type);
		return IKE_OK;
	}
	if (!m->has_sa || !m->has_ke || !m->has_nonce || !m->spi_r || m->sa.props.n != 1)
		return ike__drop(e, sa, &sa->path, IKE_ERR_MALFORMED, "IKE_SA_INIT response lacks payloads");
	{
		const ike__prop *p = &m->sa.props.p[0];
		ike__suite s;
		memset(&s, 0, sizeof s);
		if (p->n_encr != 1 || p->n_prf != 1 || p->n_dh != 1 || p->n_integ > 1 ||
		    m->sa.proto[0] != IKE_PROTO_IKE)
			goto bad_proposal;
		s.encr = p->encr[0];
		s.encr_bits = p->encr_bits[0];
		s.integ = p->n_integ ? p->integ[0] : 0;
		s.prf = p->prf[0];
		s.dh = p->dh[0];
		if (!ike__prop_contains(&props, &s, false) || s.dh != x->dh_group ||
		    m->ke_group != x->dh_group)
			goto bad_proposal;
		sa->suite = s;
	}
	x->nr_len = (uint8_t)(m->nonce.len > sizeof x->nr ? sizeof x->nr : m->nonce.len);
	if (m->nonce.len > sizeof x->nr)
		return ike__drop(e, sa, &sa->path, IKE_ERR_UNSUPPORTED, "nonce longer than 32 bytes");
	memcpy(x->nr, m->nonce.ptr, x->nr_len);
	sa->spi_r = m->spi_r;
	if ((rc = make_keys(e, sa, m->ke)) != IKE_OK) {
		IKE_LOG(e, WARN, IKE, sa, "key derivation failed: %s", ike_strerror(rc));
		ike__sa_kill(e, sa, rc, 0);
		return rc == IKE_ERR_NOMEM ? rc : IKE_OK;
	}
	x->peer_init_msg = ike_mem_dup(e->mem, pkt, m->len);
	if (!x->peer_init_msg)
		return IKE_ERR_NOMEM;
	x->peer_init_len = (uint32_t)m->len;
	read_sig_hashes(m, x);
	sa->me_requested = ike__msg_notify(m, IKE_ME_MEDIATION) != NULL;
	ike_dh_free(x->dh);
	x->dh = NULL;
	ike_mem_free(e->mem, sa->req);
	sa->req = NULL;
	sa->mid_out = 1;
	ike__timers_response_received(e, sa);
	ike__nat_check(e, sa, m, &path);
	ike__nat_float(e, sa);
	return ike__auth_start(e, sa, now);
bad_proposal:
	IKE_LOG(e, WARN, IKE, sa, "responder chose a proposal we did not offer");
	ike__sa_kill(e, sa, IKE_ERR_NO_PROPOSAL, 0);
	return IKE_OK;
}

/* ---- responder ---- */

static void rotate_cookie_secret(ike_engine *e, ike_ms now)
{
	if (now < e->cookie_rotated + COOKIE_ROTATE_MS)
		return;
	memcpy(e->cookie_prev, e->cookie_secret, sizeof e->cookie_prev);
	ike__rand(e, e->cookie_secret, sizeof e->cookie_secret);
	e->cookie_ver++;
	e->cookie_rotated = now;
}

/* RFC 7296 2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>). */
static void make_cookie(const uint8_t *secret, uint8_t ver, const ike__msg *m, const ike_addr *from,
                        uint8_t *out)
{
	uint8_t spi[8];
	ike_slice parts[4];

	ike_put_u32(spi, (uint32_t)(m->spi_i >> 32));
	ike_put_u32(spi + 4, (uint32_t)m->spi_i);
	parts[0] = m->nonce;
	parts[1] = IKE_SLICE(from->ip, from->family == IKE_AF_INET6 ? 16 : 4);
	parts[2] = IKE_SLICE(spi, 8);
	parts[3] = IKE_SLICE(secret, 32);
	out[0] = ver;
	if (ike_hash(IKE_HASH_SHA2_256, parts, 4, out + 1, COOKIE_LEN - 1, NULL) != IKE_OK)
		memset(out + 1, 0, COOKIE_LEN - 1);
}

static bool cookie_ok(ike_engine *e, const ike__msg *m, const ike_addr *from)
{
	const ike__notify *n = ike__msg_notify(m, IKE_COOKIE);
	uint8_t want[COOKIE_LEN];

	if (!n || n->data.len != COOKIE_LEN)
		return false;
	if (n->data.ptr[0] == e->cookie_ver)
		make_cookie(e->cookie_secret, e->cookie_ver, m, from, want);
	else if (n->data.ptr[0] == (uint8_t)(e->cookie_ver - 1))
		make_cookie(e->cookie_prev, (uint8_t)(e->cookie_ver - 1), m, from, want);
	else
		return false;
	return ike_crypto_eq(want, n->data.ptr, COOKIE_LEN);
}

static int reply_notify(ike_engine *e, const ike_path *path, const ike__msg *m, uint16_t type, ike_slice data)
{
	ike__mb b;
	const uint8_t *p;
	size_t len;

	ike__mb_begin_spi(&b, m->spi_i, 0, IKE_IKE_SA_INIT, IKE_FLAG_RESPONSE, 0, NULL);
	ike__mb_notify(&b, 0, type, (ike_slice){NULL, 0}, data);
	if (ike__mb_finish(&b, &p, &len) == IKE_OK)
		(void)ike__call_send_path(e, path, p, len);
	return IKE_OK;
}

int ike__init_recv_request(ike_engine *e, const ike_path *path, const uint8_t *pkt, const ike__msg *m,
                           ike_ms now)
{
	ike_sa *sa;
	ike__xchg *x;
	ike__suite s;
	uint8_t num = 1;
	ike__mb b;
	int rc;

	if (m->spi_r || m->mid != 0 || !(m->flags & IKE_FLAG_INITIATOR))
		return ike__drop(e, NULL, path, IKE_ERR_MALFORMED, "bad IKE_SA_INIT request header");
	sa = ike__sa_find_remote(e, m->spi_i, &path->remote);
	if (sa) {
		/* A retransmission: the cached response, nothing else (RFC 7296 2.1). */
		if (sa->have_resp && sa->resp_mid == 0 && sa->state == SA_R_INIT)
			(void)ike__call_send_path(e, &sa->path, sa->resp, sa->resp_len);
		return ike__drop(e, sa, path, IKE_ERR_RETRANSMIT, "retransmitted IKE_SA_INIT");
	}
	if (!m->has_sa || !m->has_ke || !m->has_nonce)
		return ike__drop(e, NULL, path, IKE_ERR_MALFORMED, "IKE_SA_INIT request lacks payloads");
	if (m->unknown_critical) {
		uint8_t t = m->unknown_critical;
		(void)reply_notify(e, path, m, IKE_UNSUPPORTED_CRITICAL_PAYLOAD, IKE_SLICE(&t, 1));
		return ike__drop(e, NULL, path, IKE_ERR_CRITICAL, NULL);
	}
	/* RFC 7296 2.6: under pressure a request first proves that its source
	 * address answers, and costs no state until it does. Only then is it
	 * counted against the limits: spoofed requests never reach them, and one
	 * address that echoes cookies gets at most half_open_per_src SAs. */
	if (e->stats.half_open >= e->cfg.cookie_threshold || e->stats.half_open >= e->cfg.half_open_max) {
		rotate_cookie_secret(e, now);
		if (!cookie_ok(e, m, &path->remote)) {
			uint8_t c[COOKIE_LEN];
			make_cookie(e->cookie_secret, e->cookie_ver, m, &path->remote, c);
			e->stats.cookies_sent++;
			(void)reply_notify(e, path, m, IKE_COOKIE, IKE_SLICE(c, sizeof c));
			return ike__drop(e, NULL, path, IKE_ERR_COOKIE, "cookie demanded");
		}
	}
	if (e->stats.half_open >= e->cfg.half_open_max) {
		e->stats.half_open_limited++;
		return ike__drop(e, NULL, path, IKE_ERR_LIMIT, "too many half-open SAs");
	}
	if (e->cfg.half_open_per_src && ike__half_open_count(e, &path->remote) >= e->cfg.half_open_per_src) {
		e->stats.src_limited++;
		return ike__drop(e, NULL, path, IKE_ERR_LIMIT, "too many half-open SAs from this address");
	}
	if (!ike__prop_select(&e->ike_props, &m->sa.props, false, &s, &num)) {
		(void)reply_notify(e, path, m, IKE_NO_PROPOSAL_CHOSEN, (ike_slice){NULL, 0});
		return ike__drop(e, NULL, path, IKE_ERR_NO_PROPOSAL, NULL);
	}
	/* Keep the initiator's KE group if both allow it: no extra round trip. */
	if (m->ke_group != s.dh && ike__prop_has_dh(&e->ike_props, m->ke_group)) {
		const ike__prop *tp = &m->sa.props.p[num - 1];
		for (unsigned i = 0; i < tp->n_dh; i++)
			if (tp->dh[i] == m->ke_group)
				s.dh = m->ke_group;
	}
	if (m->ke_group != s.dh) {
		uint8_t g[2];
		ike_put_u16(g, s.dh);
		(void)reply_notify(e, path, m, IKE_INVALID_KE_PAYLOAD, IKE_SLICE(g, 2));
		return ike__drop(e, NULL, path, IKE_ERR_INVALID_KE, "asked for another DH group");
	}
	if (m->nonce.len > 32)
		return ike__drop(e, NULL, path, IKE_ERR_UNSUPPORTED, "nonce longer than 32 bytes");
	if ((rc = ike__sa_alloc(e, &sa)) != IKE_OK)
		return rc;
	sa->initiator = false;
	sa->spi_i = m->spi_i;
	sa->spi_r = ike__sa_new_spi(e);
	ike__sa_index_local(e, sa);
	ike__sa_index_remote(e, sa);
	sa->path = *path;
	sa->suite = s;
	sa->state = SA_R_INIT;
	ike__sa_set_tag(e, sa);
	if ((rc = ike__half_open_add(e, sa, &path->remote)) != IKE_OK)
		goto fail;
	if ((rc = ike__xchg_new(e, sa, IKE_IKE_SA_INIT)) != IKE_OK)
		goto fail;
	x = sa->x;
	x->dh_group = s.dh;
	memcpy(x->ni, m->nonce.ptr, m->nonce.len);
	x->ni_len = (uint8_t)m->nonce.len;
	x->nr_len = NONCE_LEN;
	ike__rand(e, x->nr, NONCE_LEN);
	if ((rc = ike_dh_new(&x->dh, e->mem, s.dh)) != IKE_OK)
		goto fail;
	if ((rc = make_keys(e, sa, m->ke)) != IKE_OK) {
		if (rc != IKE_ERR_NOMEM) {
			ike__sa_kill(e, sa, rc, 0);
			return ike__drop(e, NULL, path, rc, "bad KE payload");
		}
		goto fail;
	}
	x->peer_init_msg = ike_mem_dup(e->mem, pkt, m->len);
	if (!x->peer_init_msg) {
		rc = IKE_ERR_NOMEM;
		goto fail;
	}
	x->peer_init_len = (uint32_t)m->len;
	read_sig_hashes(m, x);
	sa->me_requested = ike__msg_notify(m, IKE_ME_MEDIATION) != NULL;
	ike__nat_check(e, sa, m, path);
	report_connect_id(e, sa, m, path);

	ike__mb_begin(&b, sa, IKE_IKE_SA_INIT, true, 0, NULL);
	ike__mb_sa_suite(&b, &s, IKE_PROTO_IKE, NULL, 0, num);
	ike__mb_ke(&b, s.dh, ike_dh_public(x->dh));
	ike__mb_nonce(&b, IKE_SLICE(x->nr, x->nr_len));
	ike__nat_add(e, &b, sa->spi_i, sa->spi_r, path);
	if (x->peer_hashes)
		add_sig_hashes(e, &b);
	if (sa->me_requested)
		ike__mb_notify(&b, 0, IKE_ME_MEDIATION, (ike_slice){NULL, 0}, (ike_slice){NULL, 0});
	ike_dh_free(x->dh);
	x->dh = NULL;
	if ((rc = ike__send_response(e, sa, &b)) != IKE_OK)
		goto fail;
	x->init_msg = ike_mem_dup(e->mem, sa->resp, sa->resp_len);
	if (!x->init_msg) {
		rc = IKE_ERR_NOMEM;
		goto fail;
	}
	x->init_len = sa->resp_len;
	sa->mid_in = 1;
	IKE_LOG(e, DEBUG, IKE, sa, "IKE_SA_INIT answered");
	return ike__timers_half_open(e, sa, now);
fail:
	ike__sa_kill(e, sa, rc, 0);
	return rc;
}
