/* SPDX-License-Identifier: MIT */
/*
 * IKE_AUTH (RFC 7296 1.2, 2.15, 2.9; RFC 7427), both roles, with the first CHILD_SA:
 *   HDR, SK {IDi, [IDr,] AUTH, SA, TSi, TSr} -->
 *                                  <-- HDR, SK {IDr, AUTH, SA, TSi, TSr}
 * Failures: AUTHENTICATION_FAILED (the IKE_SA goes), NO_PROPOSAL_CHOSEN and
 * TS_UNACCEPTABLE (only the CHILD_SA is refused; the IKE_SA stays up).
 */
#include <string.h>

#include "ike/iana.h"
#include "ts.h"
#include "xchg.h"
#include "xchg_int.h"

#define AUTH_MAX 1200

static ike_sa_keys stack_keys(const ike_sa *sa)
{
	ike_sa_keys k;

	memset(&k, 0, sizeof k);
	k.prf = sa->keys->prf;
	k.d_len = sa->keys->d_len;
	memcpy(k.sk_d, sa->keys->sk_d, k.d_len);
	return k;
}

/* Builds our AUTH payload data over the octets for our side. */
static int make_auth(ike_engine *e, ike_sa *sa, const ike_id *id, uint8_t *method, uint8_t *out, size_t *len)
{
	ike__xchg *x = sa->x;
	uint8_t oct[MSG_MAX + 2 * IKE_PRF_MAX_LEN];
	size_t olen;
	int rc;

	rc = ike_auth_octets(sa->keys->prf, IKE_SLICE(sa->initiator ? x->sk_pi : x->sk_pr, x->p_len),
	                     IKE_SLICE(x->init_msg, x->init_len),
	                     IKE_SLICE(sa->initiator ? x->nr : x->ni, sa->initiator ? x->nr_len : x->ni_len),
	                     id, oct, sizeof oct, &olen);
	if (rc)
		return IKE_ERR_CRYPTO;
	if (sa->peer.local_auth == IKE_AUTHBY_PSK) {
		*method = IKE_AUTH_SHARED_KEY;
		rc = ike_auth_psk(sa->keys->prf, IKE_SLICE(sa->peer.psk, sa->peer.psk_len),
		                  IKE_SLICE(oct, olen), out, AUTH_MAX, len);
	} else if (sa->peer.local_auth == IKE_AUTHBY_PUBKEY && e->key) {
		uint16_t hash = ike_sig_hash_choose(x->peer_hashes);
		*method = hash ? IKE_AUTH_DIGITAL_SIGNATURE : IKE_AUTH_RSA_SIG;
		rc = ike_auth_sign(e->key, *method, hash, IKE_SLICE(oct, olen), out, AUTH_MAX, len);
	} else {
		rc = IKE_ERR_INVAL;
	}
	ike_crypto_wipe(oct, olen);
	return rc ? IKE_ERR_CRYPTO : IKE_OK;
}

/* Parses the peer's configured public key into x->peer_key and checks its shape:
 * a key stored before the checks existed (or written into the database by hand)
 * with a bad exponent or modulus is refused here, with a log line, not trusted.
 * The factor search (0.2 ms, a third of a registration) ran where the key
 * entered: the CLI, the web managers. */
static int load_peer_key(ike_engine *e, ike_sa *sa)
{
	ike__xchg *x = sa->x;
	char why[IKE_KEY_WHY_MAX];
	ike_key *key = NULL;
	int rc;

	rc = ike_key_load(&key, e->mem, IKE_SLICE(sa->peer.pubkey, sa->peer.pubkey_len));
	if (rc != IKE_OK) {
		IKE_LOG(e, WARN, IKE, sa, "the peer's configured public key cannot be parsed: %s",
		        ike_strerror(rc));
		return rc;
	}
	rc = ike_key_check_shape(key, why, sizeof why); /* the factor search ran where it entered */
	if (rc != IKE_OK) {
		IKE_LOG(e, ERROR, IKE, sa, "the peer's configured public key is refused: %s", why);
		ike_key_free(key);
		return rc;
	}
	x->peer_key = key;
	return IKE_OK;
}

/* Checks the peer's AUTH payload against its identity and credentials. */
static int check_auth(ike_engine *e, ike_sa *sa, const ike__msg *m, const ike_id *id)
{
	ike__xchg *x = sa->x;
	uint8_t oct[MSG_MAX + 2 * IKE_PRF_MAX_LEN];
	size_t olen;
	int rc;

	if (!m->has_auth)
		return IKE_ERR_AUTH;
	rc = ike_auth_octets(sa->keys->prf, IKE_SLICE(sa->initiator ? x->sk_pr : x->sk_pi, x->p_len),
	                     IKE_SLICE(x->peer_init_msg, x->peer_init_len),
	                     IKE_SLICE(sa->initiator ? x->ni : x->nr, sa->initiator ? x->ni_len : x->nr_len),
	                     id, oct, sizeof oct, &olen);
	if (rc)
		return IKE_ERR_CRYPTO;
	if (sa->peer.remote_auth == IKE_AUTHBY_PSK) {
		rc = m->auth_method == IKE_AUTH_SHARED_KEY && sa->peer.psk_len
		         ? ike_auth_psk_verify(sa->keys->prf, IKE_SLICE(sa->peer.psk, sa->peer.psk_len),
		                               IKE_SLICE(oct, olen), m->auth)
		         : IKE_ERR_AUTH;
	} else if (sa->peer.remote_auth == IKE_AUTHBY_PUBKEY && sa->peer.pubkey_len &&
	           (m->auth_method == IKE_AUTH_RSA_SIG || m->auth_method == IKE_AUTH_DIGITAL_SIGNATURE)) {
		if (!x->peer_key && load_peer_key(e, sa) != IKE_OK)
			rc = IKE_ERR_AUTH;
		else if (id->type == IKE_ID_KEY_ID && !ike_key_matches_id(x->peer_key, id))
			rc = IKE_ERR_AUTH; /* the key configured is not the one this ID names */
		else
			rc =
			    ike_auth_verify(x->peer_key, m->auth_method, IKE_SLICE(oct, olen), m->auth, NULL);
	} else {
		rc = IKE_ERR_AUTH;
	}
	ike_crypto_wipe(oct, olen);
	return rc ? IKE_ERR_AUTH : IKE_OK;
}

/* An initiator configured without the responder's public key asks the program
 * for it by the responder's identity (the same lookup_peer a responder uses). */
static int lookup_pubkey(ike_engine *e, ike_sa *sa, const ike_id *id)
{
	ike_peer_cfg cfg;

	memset(&cfg, 0, sizeof cfg);
	if (!e->cb.lookup_peer || e->cb.lookup_peer(e->user, id, &sa->path, &cfg) != IKE_OK ||
	    !cfg.remote_pubkey.len || cfg.remote_pubkey.len > 0xffff)
		return IKE_ERR_AUTH;
	sa->peer.pubkey = ike_mem_dup(e->mem, cfg.remote_pubkey.ptr, cfg.remote_pubkey.len);
	if (!sa->peer.pubkey)
		return IKE_ERR_NOMEM;
	sa->peer.pubkey_len = (uint16_t)cfg.remote_pubkey.len;
	return IKE_OK;
}

static void default_ts(const ike_sa *sa, ike_tsel_list *local, ike_tsel_list *remote)
{
	ike__ts_or_host(local, &sa->peer.ts[0], &sa->path.local);
	ike__ts_or_host(remote, &sa->peer.ts[1], &sa->path.remote);
}

int ike__auth_start(ike_engine *e, ike_sa *sa, ike_ms now)
{
	ike__xchg *x = sa->x;
	uint8_t auth[AUTH_MAX], method;
	size_t alen;
	ike_id id;
	ike__mb b;
	int rc;

	ike__cid_get(&sa->peer.local_id, &id);
	if ((rc = make_auth(e, sa, &id, &method, auth, &alen)) != IKE_OK) {
		IKE_LOG(e, WARN, IKE, sa, "cannot build AUTH: %s", ike_strerror(rc));
		ike__sa_kill(e, sa, rc, 0);
		return IKE_OK;
	}
	ike__mb_begin(&b, sa, IKE_IKE_AUTH, false, sa->mid_out, sa->keys->out);
	ike__mb_id(&b, IKE_IDI, &id);
	if (sa->peer.remote_id.type) {
		ike_id r;
		ike__cid_get(&sa->peer.remote_id, &r);
		ike__mb_id(&b, IKE_IDR, &r);
	}
	ike__mb_auth(&b, method, IKE_SLICE(auth, alen));
	ike__me_auth_request_add(e, sa, &b);
	if (!sa->peer.no_child) {
		ike__prop_list esp;
		uint8_t spi[4];
		(void)ike__prop_parse(&esp, sa->peer.esp_props, true);
		for (unsigned i = 0; i < esp.n; i++)
			esp.p[i].n_dh = 0; /* no PFS group in IKE_AUTH (RFC 7296 1.2) */
		do
			ike__rand(e, &x->child_spi, sizeof x->child_spi);
		while (x->child_spi < 256);
		ike_put_u32(spi, x->child_spi);
		ike__mb_sa(&b, &esp, IKE_PROTO_ESP, spi, 4, 1);
		default_ts(sa, &x->tsi, &x->tsr);
		ike__mb_ts(&b, IKE_TSI, &x->tsi);
		ike__mb_ts(&b, IKE_TSR, &x->tsr);
	}
	sa->state = SA_I_AUTH;
	return ike__send_request(e, sa, &b, now);
}

static void established(ike_engine *e, ike_sa *sa, ike_ms now)
{
	ike__half_open_end(e, sa);
	sa->state = SA_ESTABLISHED;
	sa->was_up = true;
	ike__sa_unindex_remote(e, sa);
	/* The key is only needed to authenticate: keep long-lived state small. */
	ike_mem_free(e->mem, sa->peer.pubkey);
	sa->peer.pubkey = NULL;
	sa->peer.pubkey_len = 0;
	(void)ike__timers_established(e, sa, now);
	IKE_LOG(e, INFO, IKE, sa, "IKE_SA established (%s)", sa->initiator ? "initiator" : "responder");
	ike__emit_sa_up(e, sa);
}

static int add_child(ike_engine *e, ike_sa *sa, uint32_t spi_in, uint32_t spi_out, const ike__suite *s,
                     ike__child **out)
{
	ike__child *c = ike_mem_calloc(e->mem, 1, sizeof *c);

	*out = c;
	if (!c)
		return IKE_ERR_NOMEM;
	c->spi_in = spi_in;
	c->spi_out = spi_out;
	c->suite = *s;
	c->next = sa->children;
	sa->children = c;
	return IKE_OK;
}

/* Derives the CHILD_SA keys and reports it. */
int ike__child_install(ike_engine *e, ike_sa *sa, uint32_t spi_in, uint32_t spi_out, const ike__suite *s,
                       bool we_initiated, ike_slice g_ir, ike_slice ni, ike_slice nr,
                       const ike_tsel_list *local_ts, const ike_tsel_list *remote_ts, uint32_t old_in,
                       uint32_t old_out, ike_ms now)
{
	ike_crypto_suite cs = {s->encr, s->encr_bits, s->integ, 0, s->dh};
	ike_sa_keys sk = stack_keys(sa);
	ike_child_keys k;
	ike__child *c;
	int rc;

	rc = ike_child_keys_derive(&k, &cs, &sk, g_ir, ni, nr);
	ike_sa_keys_wipe(&sk);
	if (rc)
		return IKE_ERR_CRYPTO;
	if ((rc = add_child(e, sa, spi_in, spi_out, s, &c)) != IKE_OK) {
		ike_child_keys_wipe(&k);
		return rc;
	}
	ike__emit_child(e, sa, old_in ? IKE_EV_CHILD_REKEYED : IKE_EV_CHILD_UP, c, &k, we_initiated, local_ts,
	                remote_ts, old_in, old_out);
	ike_child_keys_wipe(&k);
	IKE_LOG(e, INFO, CHILD, sa, "CHILD_SA %08x/%08x %s", spi_in, spi_out,
	        old_in ? "rekeyed" : "established");
	return ike__timers_child_installed(e, sa, now);
}

static int send_auth_failed(ike_engine *e, ike_sa *sa)
{
	ike__mb b;

	ike__mb_begin(&b, sa, IKE_IKE_AUTH, true, sa->mid_in - 1, sa->keys->out);
	ike__mb_notify(&b, 0, IKE_AUTHENTICATION_FAILED, (ike_slice){NULL, 0}, (ike_slice){NULL, 0});
	return ike__send_response(e, sa, &b);
}

int ike__auth_recv_request(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now)
{
	ike__xchg *x = sa->x;
	ike_peer_cfg cfg;
	uint8_t auth[AUTH_MAX], method;
	size_t alen;
	ike_id myid;
	ike__mb b;
	ike__suite es;
	uint8_t num = 0;
	ike_tsel_list cfg_local, cfg_remote, tsi, tsr;
	uint16_t child_err = 0;
	int rc;

	if (!x || !m->has_idi || !m->has_auth) {
		if (e->cb.log && IKE_LOG_WARN <= e->cfg.log_level &&
		    ike__log_pass(e, &e->rl_auth, IKE_LOG_WARN, IKE_SUB_IKE, IKE__RL_AUTH_WHAT))
			IKE_LOG(e, WARN, IKE, sa, "IKE_AUTH request without IDi or AUTH");
		(void)send_auth_failed(e, sa);
		ike__sa_kill(e, sa, IKE_ERR_MALFORMED, IKE_AUTHENTICATION_FAILED);
		return IKE_OK;
	}
	memset(&cfg, 0, sizeof cfg);
	rc = e->cb.lookup_peer ? e->cb.lookup_peer(e->user, &m->idi, &sa->path, &cfg) : IKE_ERR_NOT_FOUND;
	if (rc == IKE_OK)
		rc = ike__peer_copy(e, &sa->peer, &cfg);
	if (rc == IKE_OK && sa->peer.remote_id.type) {
		ike_id want;
		ike__cid_get(&sa->peer.remote_id, &want);
		if (!ike_id_eq(&want, &m->idi))
			rc = IKE_ERR_AUTH;
	}
	if (rc == IKE_OK)
		rc = check_auth(e, sa, m, &m->idi);
	if (rc != IKE_OK) {
		char idbuf[IKE_ID_STRLEN];
		/* Anyone who completes an IKE_SA_INIT can make these: rate-limited. */
		if (e->cb.log && IKE_LOG_WARN <= e->cfg.log_level &&
		    ike__log_pass(e, &e->rl_auth, IKE_LOG_WARN, IKE_SUB_IKE, IKE__RL_AUTH_WHAT))
			IKE_LOG(e, WARN, IKE, sa, "peer %s not authenticated: %s",
			        ike_id_str(&m->idi, idbuf, sizeof idbuf), ike_strerror(rc));
		(void)send_auth_failed(e, sa);
		ike__sa_kill(e, sa, rc == IKE_ERR_NOMEM ? rc : IKE_ERR_AUTH, IKE_AUTHENTICATION_FAILED);
		return rc == IKE_ERR_NOMEM ? rc : IKE_OK;
	}
	ike__sa_set_tag(e, sa);
	if ((rc = ike__cid_set(e, &sa->remote_id, &m->idi)) != IKE_OK)
		return rc;
	ike__cid_get(&sa->peer.local_id, &myid);
	if (!myid.type && e->cfg.local_id.type)
		myid = e->cfg.local_id;
	if ((rc = make_auth(e, sa, &myid, &method, auth, &alen)) != IKE_OK) {
		IKE_LOG(e, WARN, IKE, sa, "cannot build our AUTH: %s", ike_strerror(rc));
		(void)send_auth_failed(e, sa);
		ike__sa_kill(e, sa, rc, IKE_AUTHENTICATION_FAILED);
		return IKE_OK;
	}
	ike__mb_begin(&b, sa, IKE_IKE_AUTH, true, m->mid, sa->keys->out);
	ike__mb_id(&b, IKE_IDR, &myid);
	ike__mb_auth(&b, method, IKE_SLICE(auth, alen));
	ike__me_auth_response_add(e, sa, m, &b);
	ike__me_turn_auth_add(e, sa, &b, now);
	if (!sa->peer.no_child && m->has_sa && m->has_tsi && m->has_tsr) {
		ike__prop_list ours;
		(void)ike__prop_parse(&ours, sa->peer.esp_props, true);
		for (unsigned i = 0; i < ours.n; i++)
			ours.p[i].n_dh = 0;
		default_ts(sa, &cfg_local, &cfg_remote);
		/* A "dynamic" remote side (no TS configured) accepts the initiator's own
		 * host address even when a NAT hides it, as strongSwan does. */
		if (!sa->peer.ts[1].n && m->tsi.n && ike__ts_is_host(&m->tsi.ts[0])) {
			cfg_remote.n = 1;
			cfg_remote.ts[0] = m->tsi.ts[0];
		}
		if (!ike__prop_select(&ours, &m->sa.props, true, &es, &num) ||
		    m->sa.proto[num - 1] != IKE_PROTO_ESP || m->sa.spi_len[num - 1] != 4)
			child_err = IKE_NO_PROPOSAL_CHOSEN;
		else if (!ike__ts_narrow(&m->tsi, &cfg_remote, &tsi) ||
		         !ike__ts_narrow(&m->tsr, &cfg_local, &tsr))
			child_err = IKE_TS_UNACCEPTABLE;
		if (child_err) {
			IKE_LOG(e, INFO, CHILD, sa, "CHILD_SA refused: %s", ike_notify_name(child_err));
			ike__mb_notify(&b, 0, child_err, (ike_slice){NULL, 0}, (ike_slice){NULL, 0});
		} else {
			uint8_t spi[4];
			do
				ike__rand(e, &x->child_spi, sizeof x->child_spi);
			while (x->child_spi < 256);
			ike_put_u32(spi, x->child_spi);
			ike__mb_sa_suite(&b, &es, IKE_PROTO_ESP, spi, 4, m->sa.num[num - 1]);
			ike__mb_ts(&b, IKE_TSI, &tsi);
			ike__mb_ts(&b, IKE_TSR, &tsr);
		}
	} else if (!sa->peer.no_child) {
		child_err = IKE_NO_PROPOSAL_CHOSEN;
	}
	if ((rc = ike__send_response(e, sa, &b)) != IKE_OK)
		return rc;
	established(e, sa, now);
	if (!sa->peer.no_child && !child_err && m->has_sa) {
		rc = ike__child_install(e, sa, x->child_spi, ike_get_u32(m->sa.spi[num - 1]), &es, false,
		                        (ike_slice){NULL, 0}, IKE_SLICE(x->ni, x->ni_len),
		                        IKE_SLICE(x->nr, x->nr_len), &tsr, &tsi, 0, 0, now);
		if (rc == IKE_ERR_NOMEM)
			return rc;
	}
	ike__xchg_free(e, sa);
	return IKE_OK;
}

int ike__auth_recv_response(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now)
{
	ike__xchg *x = sa->x;
	const ike__notify *n;
	ike_tsel_list lts, rts;
	int rc;

	if (sa->state != SA_I_AUTH || !x)
		return IKE_OK;
	if ((n = ike__msg_notify(m, IKE_AUTHENTICATION_FAILED)) != NULL || !m->has_idr || !m->has_auth) {
		IKE_LOG(e, WARN, IKE, sa, "peer refused us: %s", n ? "AUTHENTICATION_FAILED" : "no IDr/AUTH");
		ike__sa_kill(e, sa, IKE_ERR_AUTH, n ? IKE_AUTHENTICATION_FAILED : 0);
		return IKE_OK;
	}
	rc = IKE_OK;
	if (sa->peer.remote_id.type) {
		ike_id want;
		ike__cid_get(&sa->peer.remote_id, &want);
		if (!ike_id_eq(&want, &m->idr))
			rc = IKE_ERR_AUTH;
	}
	if (rc == IKE_OK && sa->peer.remote_auth == IKE_AUTHBY_PUBKEY && !sa->peer.pubkey_len)
		rc = lookup_pubkey(e, sa, &m->idr);
	if (rc == IKE_OK)
		rc = check_auth(e, sa, m, &m->idr);
	if (rc != IKE_OK) {
		ike__mb b;
		char idbuf[IKE_ID_STRLEN];
		IKE_LOG(e, WARN, IKE, sa, "responder %s not authenticated: %s",
		        ike_id_str(&m->idr, idbuf, sizeof idbuf), ike_strerror(rc));
		/* RFC 7296 2.21.2: tell the responder in an INFORMATIONAL; not retransmitted. */
		ike__mb_begin(&b, sa, IKE_INFORMATIONAL, false, sa->mid_out, sa->keys->out);
		ike__mb_notify(&b, 0, IKE_AUTHENTICATION_FAILED, (ike_slice){NULL, 0}, (ike_slice){NULL, 0});
		{
			const uint8_t *p;
			size_t len;
			if (ike__mb_finish(&b, &p, &len) == IKE_OK)
				(void)ike__call_send(e, sa, p, len);
		}
		ike__sa_kill(e, sa, IKE_ERR_AUTH, 0);
		return IKE_OK;
	}
	if ((rc = ike__cid_set(e, &sa->remote_id, &m->idr)) != IKE_OK)
		return rc;
	established(e, sa, now);
	ike__me_auth_response_recv(e, sa, m);
	ike__me_turn_recv(e, sa, m);
	if (sa->state != SA_ESTABLISHED)
		return IKE_OK; /* terminated from a callback */
	if (sa->peer.no_child) {
		ike__xchg_free(e, sa);
		return IKE_OK;
	}
	if ((n = ike__msg_error(m)) != NULL) {
		IKE_LOG(e, WARN, CHILD, sa, "CHILD_SA refused: %s", ike_notify_name(n->type));
	} else if (m->has_sa && m->has_tsi && m->has_tsr && m->sa.props.n == 1 && m->sa.spi_len[0] == 4) {
		const ike__prop *p = &m->sa.props.p[0];
		ike__prop_list ours;
		ike__suite s;
		memset(&s, 0, sizeof s);
		(void)ike__prop_parse(&ours, sa->peer.esp_props, true);
		s.encr = p->n_encr == 1 ? p->encr[0] : 0;
		s.encr_bits = p->n_encr == 1 ? p->encr_bits[0] : 0;
		s.integ = p->n_integ == 1 ? p->integ[0] : 0;
		s.esn = p->n_esn == 1 ? p->esn[0] : 0;
		if (p->n_encr != 1 || p->n_integ > 1 || p->n_dh || !ike__prop_contains(&ours, &s, true)) {
			IKE_LOG(e, WARN, CHILD, sa, "responder chose an ESP proposal we did not offer");
		} else if (!ike__ts_list_within(&m->tsi, &x->tsi) || !ike__ts_list_within(&m->tsr, &x->tsr)) {
			IKE_LOG(e, WARN, CHILD, sa, "responder's traffic selectors are not within ours");
		} else {
			lts = m->tsi;
			rts = m->tsr;
			rc = ike__child_install(e, sa, x->child_spi, ike_get_u32(m->sa.spi[0]), &s, true,
			                        (ike_slice){NULL, 0}, IKE_SLICE(x->ni, x->ni_len),
			                        IKE_SLICE(x->nr, x->nr_len), &lts, &rts, 0, 0, now);
			if (rc == IKE_ERR_NOMEM)
				return rc;
		}
	}
	ike__xchg_free(e, sa);
	return IKE_OK;
}

void ike__emit_sa_up(ike_engine *e, ike_sa *sa)
{
	ike_event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = IKE_EV_SA_UP;
	ev.sa = ike__sa_ref(e, sa);
	ev.name = sa->peer.name ? sa->peer.name : "";
	ev.u.sa_up.path = sa->path;
	ike__cid_get(&sa->peer.local_id, &ev.u.sa_up.local_id);
	ike__cid_get(&sa->remote_id, &ev.u.sa_up.remote_id);
	ev.u.sa_up.spi_i = sa->spi_i;
	ev.u.sa_up.spi_r = sa->spi_r;
	ev.u.sa_up.initiator = sa->initiator;
	ev.u.sa_up.nat_local = sa->nat_local;
	ev.u.sa_up.nat_remote = sa->nat_remote;
	ike__emit(e, &ev);
}

void ike__emit_child(ike_engine *e, ike_sa *sa, ike_event_type type, const ike__child *c,
                     const ike_child_keys *k, bool we_initiated, const ike_tsel_list *local_ts,
                     const ike_tsel_list *remote_ts, uint32_t old_in, uint32_t old_out)
{
	ike_child_info *ci;
	ike_event ev;

	ci = ike_mem_calloc(e->mem, 1, sizeof *ci);
	if (!ci)
		return;
	ci->spi_in = c->spi_in;
	ci->spi_out = c->spi_out;
	ci->encr = c->suite.encr;
	ci->encr_keylen = c->suite.encr_bits;
	ci->integ = c->suite.integ;
	ci->esn = c->suite.esn;
	ci->encap_udp = sa->nat_local || sa->nat_remote;
	ci->enc_key_len = k->enc_len;
	ci->integ_key_len = k->integ_len;
	memcpy(ci->enc_out, we_initiated ? k->enc_ir : k->enc_ri, k->enc_len);
	memcpy(ci->enc_in, we_initiated ? k->enc_ri : k->enc_ir, k->enc_len);
	memcpy(ci->integ_out, we_initiated ? k->integ_ir : k->integ_ri, k->integ_len);
	memcpy(ci->integ_in, we_initiated ? k->integ_ri : k->integ_ir, k->integ_len);
	ci->local_ts = *local_ts;
	ci->remote_ts = *remote_ts;
	ci->path = sa->path;
	memset(&ev, 0, sizeof ev);
	ev.type = type;
	ev.sa = ike__sa_ref(e, sa);
	ev.name = sa->peer.name ? sa->peer.name : "";
	ev.u.child.info = ci;
	ev.u.child.old_spi_in = old_in;
	ev.u.child.old_spi_out = old_out;
	ike__emit(e, &ev);
	ike_mem_freezero(e->mem, ci, sizeof *ci);
}
