/* SPDX-License-Identifier: MIT */
/*
 * The engine object: configuration, callbacks (each through one wrapper that
 * checks it and maps failure to IKE_ERR_CALLBACK), logging, re-entry from
 * callbacks and deferred freeing, and the public entry points. The exchanges
 * themselves live in xchg_*.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "engine_int.h"
#include "ike/wire.h"
#include "xchg.h"

void ike_config_defaults(ike_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->log_level = IKE_LOG_INFO;
	cfg->retransmit_tries = 5;
	cfg->retransmit_base_ms = 1000;
	cfg->retransmit_max_ms = 30000;
	cfg->half_open_max = 1000;
	cfg->cookie_threshold = 100;
	cfg->half_open_per_src = 5;
	cfg->half_open_timeout_ms = 30000;
	cfg->dpd_interval_ms = 30000;
	cfg->keepalive_interval_ms = 20000;
	cfg->ike_rekey_ms = 4 * 3600 * 1000;
	cfg->child_rekey_ms = 3600 * 1000;
	cfg->rekey_jitter_ms = 300 * 1000;
	cfg->natt_always = true;
	cfg->port = IKE_PORT;
	cfg->natt_port = IKE_NATT_PORT;
}

void ike__rand(ike_engine *e, void *out, size_t len)
{
	if (e->cb.rand) {
		e->cb.rand(e->user, out, len);
		return;
	}
	if (RAND_bytes(out, (int)len) != 1)
		memset(out, 0x5a, len); /* RAND_bytes does not fail on a seeded system */
}

void ike__log(ike_engine *e, ike_log_level lvl, ike_subsys sub, const ike_sa *sa, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	ike_log_rec rec;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	rec = (ike_log_rec){lvl, sub, sa ? ike__sa_ref(e, sa) : (ike_sa_ref){0, 0}, sa ? sa->tag : e->name,
	                    msg};
	e->cb.log(e->user, &rec);
}

/* Lines that strangers can cause at will (drops, failed sends to spoofed
 * addresses, failed authentications): 20 per 10 s of each kind, then one
 * summary line per window. */
#define RL_BURST 20
#define RL_WINDOW_MS 10000
#define RL_DROP_WHAT "dropped datagrams"
#define RL_SEND_WHAT "failed sends"

static void rl_summary(ike_engine *e, const ike_ratelimit *rl, ike_log_level lvl, ike_subsys sub,
                       const char *what, unsigned more)
{
	if (more && e->cb.log && lvl <= e->cfg.log_level)
		ike__log(e, lvl, sub, NULL, IKE_RATELIMIT_SUMMARY, what, more, ike_ratelimit_window_s(rl));
}

bool ike__log_pass(ike_engine *e, ike_ratelimit *rl, ike_log_level lvl, ike_subsys sub, const char *what)
{
	unsigned more;
	bool ok = ike_ratelimit_allow(rl, e->now, &more);

	rl_summary(e, rl, lvl, sub, what, more);
	return ok;
}

/* The summaries due by now, even when the flood stopped (from tick). */
static void rl_flush(ike_engine *e)
{
	rl_summary(e, &e->rl_drop, IKE_LOG_INFO, IKE_SUB_IKE, RL_DROP_WHAT,
	           ike_ratelimit_flush(&e->rl_drop, e->now));
	rl_summary(e, &e->rl_send, IKE_LOG_WARN, IKE_SUB_NET, RL_SEND_WHAT,
	           ike_ratelimit_flush(&e->rl_send, e->now));
	rl_summary(e, &e->rl_auth, IKE_LOG_WARN, IKE_SUB_IKE, IKE__RL_AUTH_WHAT,
	           ike_ratelimit_flush(&e->rl_auth, e->now));
}

int ike__drop(ike_engine *e, const ike_sa *sa, const ike_path *path, int err, const char *why)
{
	char from[IKE_ADDR_STRLEN];

	e->stats.dropped++;
	if (!e->cb.log || e->cfg.log_level < IKE_LOG_INFO)
		return err;
	if (!ike__log_pass(e, &e->rl_drop, IKE_LOG_INFO, IKE_SUB_IKE, RL_DROP_WHAT))
		return err;
	IKE_LOG(e, INFO, IKE, sa, "drop from %s: %s (%s)",
	        path ? ike_addr_str(&path->remote, from, sizeof from) : "?", why ? why : ike_strerror(err),
	        ike_err_name(err));
	return err;
}

int ike__call_send_path(ike_engine *e, const ike_path *path, const uint8_t *pkt, size_t len)
{
	char to[IKE_ADDR_STRLEN];

	e->stats.tx++;
	if (e->cb.send(e->user, path, pkt, len) != 0) {
		/* Answers to spoofed sources fail by the thousand in a flood. */
		e->stats.tx_failed++;
		if (e->cb.log && IKE_LOG_WARN <= e->cfg.log_level &&
		    ike__log_pass(e, &e->rl_send, IKE_LOG_WARN, IKE_SUB_NET, RL_SEND_WHAT))
			IKE_LOG(e, WARN, NET, NULL, "send of %zu bytes to %s failed", len,
			        ike_addr_str(&path->remote, to, sizeof to));
		return IKE_ERR_CALLBACK;
	}
	return IKE_OK;
}

int ike__call_send(ike_engine *e, ike_sa *sa, const uint8_t *pkt, size_t len)
{
	int rc = ike__call_send_path(e, &sa->path, pkt, len);
	/* A failed send is logged and left to retransmission, as if lost. */
	(void)rc;
	return ike__timers_packet_sent(e, sa, e->now);
}

void ike__emit(ike_engine *e, ike_event *ev)
{
	e->depth++;
	e->cb.on_event(e->user, ev);
	e->depth--;
}

void ike__sa_set_tag(ike_engine *e, ike_sa *sa)
{
	(void)e;
	snprintf(sa->tag, sizeof sa->tag, "#%u %s", sa->slot, sa->peer.name ? sa->peer.name : "");
}

int ike__cid_set(ike_engine *e, ike__cid *dst, const ike_id *src)
{
	ike_mem_free(e->mem, dst->data);
	memset(dst, 0, sizeof *dst);
	if (!src || !src->type)
		return IKE_OK;
	dst->data = ike_mem_dup(e->mem, src->data, src->len);
	if (!dst->data)
		return IKE_ERR_NOMEM;
	dst->type = src->type;
	dst->len = src->len;
	return IKE_OK;
}

void ike__cid_get(const ike__cid *src, ike_id *dst)
{
	memset(dst, 0, sizeof *dst);
	dst->type = src->type;
	dst->len = src->len;
	if (src->len)
		memcpy(dst->data, src->data, src->len);
}

static char *dup_str(ike_engine *e, const char *s)
{
	return s ? ike_mem_dup(e->mem, s, strlen(s) + 1) : NULL;
}

void ike__peer_clear(ike_engine *e, ike__peer *p)
{
	ike_mem_free(e->mem, p->name);
	ike_mem_free(e->mem, p->local_id.data);
	ike_mem_free(e->mem, p->remote_id.data);
	ike_mem_free(e->mem, p->ike_props);
	ike_mem_free(e->mem, p->esp_props);
	ike_mem_freezero(e->mem, p->psk, p->psk_len);
	ike_mem_free(e->mem, p->pubkey);
	ike_mem_free(e->mem, p->ts);
	ike_mem_free(e->mem, p->me_cid);
	memset(p, 0, sizeof *p);
}

int ike__peer_copy(ike_engine *e, ike__peer *d, const ike_peer_cfg *s)
{
	ike__prop_list pl;

	ike__peer_clear(e, d);
	if (ike__prop_parse(&pl, s->ike_proposals, false) || ike__prop_parse(&pl, s->esp_proposals, true))
		return IKE_ERR_INVAL;
	if (s->psk.len > 0xffff || s->remote_pubkey.len > 0xffff || s->me_connect_id_len > IKE_ME_ID_MAX ||
	    (s->me_connect_id_len && !s->me_connect_id))
		return IKE_ERR_INVAL;
	d->local = s->local;
	d->remote = s->remote;
	d->local_auth = (uint8_t)s->local_auth;
	d->remote_auth = (uint8_t)s->remote_auth;
	d->no_child = s->no_child || s->mediation || s->mediation_server;
	d->mediation = s->mediation;
	d->mediation_server = s->mediation_server;
	d->dpd_ms = s->dpd_interval_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)s->dpd_interval_ms;
	if ((s->name && !(d->name = dup_str(e, s->name))) ||
	    (s->ike_proposals && !(d->ike_props = dup_str(e, s->ike_proposals))) ||
	    (s->esp_proposals && !(d->esp_props = dup_str(e, s->esp_proposals))))
		goto nomem;
	if (ike__cid_set(e, &d->local_id, s->local_id.type ? &s->local_id : &e->cfg.local_id) ||
	    ike__cid_set(e, &d->remote_id, &s->remote_id))
		goto nomem;
	if (s->psk.len) {
		if (!(d->psk = ike_mem_dup(e->mem, s->psk.ptr, s->psk.len)))
			goto nomem;
		d->psk_len = (uint16_t)s->psk.len;
	}
	if (s->remote_pubkey.len) {
		if (!(d->pubkey = ike_mem_dup(e->mem, s->remote_pubkey.ptr, s->remote_pubkey.len)))
			goto nomem;
		d->pubkey_len = (uint16_t)s->remote_pubkey.len;
	}
	if (s->me_connect_id_len) {
		if (!(d->me_cid = ike_mem_dup(e->mem, s->me_connect_id, s->me_connect_id_len)))
			goto nomem;
		d->me_cid_len = s->me_connect_id_len;
		d->mediated = true;
	}
	if (!d->no_child) {
		if (!(d->ts = ike_mem_calloc(e->mem, 2, sizeof *d->ts)))
			goto nomem;
		d->ts[0] = s->local_ts;
		d->ts[1] = s->remote_ts;
	}
	return IKE_OK;
nomem:
	ike__peer_clear(e, d);
	return IKE_ERR_NOMEM;
}

int ike__peer_clone(ike_engine *e, ike__peer *d, const ike__peer *s)
{
	memset(d, 0, sizeof *d);
	*d = *s;
	d->name = NULL;
	d->ike_props = d->esp_props = NULL;
	d->local_id.data = d->remote_id.data = NULL;
	d->psk = d->pubkey = NULL;
	d->ts = NULL;
	d->pubkey_len = 0;
	d->me_cid = NULL; /* only the first IKE_SA_INIT carries it */
	d->me_cid_len = 0;
	if ((s->name && !(d->name = dup_str(e, s->name))) ||
	    (s->ike_props && !(d->ike_props = dup_str(e, s->ike_props))) ||
	    (s->esp_props && !(d->esp_props = dup_str(e, s->esp_props))) ||
	    (s->local_id.len &&
	     !(d->local_id.data = ike_mem_dup(e->mem, s->local_id.data, s->local_id.len))) ||
	    (s->remote_id.len &&
	     !(d->remote_id.data = ike_mem_dup(e->mem, s->remote_id.data, s->remote_id.len))) ||
	    (s->psk_len && !(d->psk = ike_mem_dup(e->mem, s->psk, s->psk_len))) ||
	    (s->ts && !(d->ts = ike_mem_dup(e->mem, s->ts, 2 * sizeof *s->ts)))) {
		ike__peer_clear(e, d);
		return IKE_ERR_NOMEM;
	}
	return IKE_OK;
}

void ike__sa_free_mem(ike_engine *e, ike_sa *sa)
{
	ike__child *c, *n;

	ike__xchg_free(e, sa);
	ike__keys_free(e, sa);
	ike__peer_clear(e, &sa->peer);
	ike_mem_free(e->mem, sa->remote_id.data);
	ike_mem_free(e->mem, sa->req);
	ike_mem_free(e->mem, sa->resp);
	for (c = sa->children; c; c = n) {
		n = c->next;
		ike_mem_free(e->mem, c);
	}
	sa->children = NULL;
	sa->req = sa->resp = NULL;
	sa->remote_id.data = NULL;
}

void ike__sa_kill(ike_engine *e, ike_sa *sa, int reason, uint16_t notify)
{
	ike__child *c;
	ike_event ev;

	if (sa->state == SA_DEAD)
		return;
	ike__timer_clear_all(e, sa);
	ike__sa_unindex_remote(e, sa);
	ike__half_open_end(e, sa);
	sa->state = SA_DEAD;
	/* Remember the slot so that reaping does not scan every SA (medsrv holds
	 * many); if the list cannot grow, fall back to one scan. */
	if (e->n_dead == e->cap_dead) {
		uint32_t cap = e->cap_dead ? e->cap_dead * 2 : 8;
		uint32_t *d = ike_mem_realloc(e->mem, e->dead, cap * sizeof *d);
		if (d) {
			e->dead = d;
			e->cap_dead = cap;
		}
	}
	if (e->n_dead < e->cap_dead)
		e->dead[e->n_dead++] = sa->slot;
	else
		e->need_reap = true;
	if (sa->was_up && !sa->rekeyed) {
		for (c = sa->children; c; c = c->next) {
			memset(&ev, 0, sizeof ev);
			ev.type = IKE_EV_CHILD_DOWN;
			ev.sa = ike__sa_ref(e, sa);
			ev.name = sa->peer.name ? sa->peer.name : "";
			ev.u.child_down.spi_in = c->spi_in;
			ev.u.child_down.spi_out = c->spi_out;
			ev.u.child_down.reason = reason;
			ike__emit(e, &ev);
		}
	}
	/* Half-open responder SAs that never authenticated are not reported: the
	 * program never heard of them. */
	if ((sa->was_up || sa->initiator) && !sa->rekeyed) {
		memset(&ev, 0, sizeof ev);
		ev.type = IKE_EV_SA_DOWN;
		ev.sa = ike__sa_ref(e, sa);
		ev.name = sa->peer.name ? sa->peer.name : "";
		ev.u.sa_down.reason = reason;
		ev.u.sa_down.notify = notify;
		ev.u.sa_down.was_up = sa->was_up;
		ike__emit(e, &ev);
	}
	/* A half-open responder SA is what a spoofed flood makes by the hundred:
	 * its end is a DEBUG line, like its start. */
	if (sa->was_up || sa->initiator)
		IKE_LOG(e, INFO, IKE, sa, "IKE_SA down: %s%s%s", ike_strerror(reason),
		        notify ? ", notify " : "", notify ? ike_notify_name(notify) : "");
	else
		IKE_LOG(e, DEBUG, IKE, sa, "half-open IKE_SA gone: %s", ike_strerror(reason));
}

/* Frees dead SAs and runs queued operations; only at the outermost call. */
static int leave(ike_engine *e, int rc)
{
	if (e->depth > 1) {
		e->depth--;
		return rc;
	}
	while (e->n_pending) {
		pending_op op = e->pending[0];
		ike_sa *sa;
		memmove(e->pending, e->pending + 1, --e->n_pending * sizeof *e->pending);
		sa = ike__sa_get(e, op.sa);
		if (sa && op.op == 1)
			ike__sa_terminate(e, sa, e->now);
		else if (sa && op.op == 2 && sa->state == SA_I_INIT && !sa->req) {
			int rc2 = ike__init_start(e, sa, e->now);
			if (rc2 != IKE_OK) {
				IKE_LOG(e, WARN, IKE, sa, "cannot initiate: %s", ike_strerror(rc2));
				ike__sa_kill(e, sa, rc2, 0);
			}
		}
	}
	for (uint32_t i = 0; i < e->n_dead; i++) {
		ike_sa *sa = e->sas.slots[e->dead[i]].sa;
		if (sa && sa->state == SA_DEAD)
			ike__sa_release(e, sa);
	}
	e->n_dead = 0;
	if (e->need_reap) {
		for (uint32_t s = 1; s < e->sas.n_slots; s++) {
			ike_sa *sa = e->sas.slots[s].sa;
			if (sa && sa->state == SA_DEAD)
				ike__sa_release(e, sa);
		}
		e->need_reap = false;
	}
	e->depth--;
	return rc;
}

static int queue_op(ike_engine *e, uint8_t op, ike_sa_ref ref)
{
	if (e->n_pending == e->cap_pending) {
		uint32_t cap = e->cap_pending ? e->cap_pending * 2 : 4;
		pending_op *p = ike_mem_realloc(e->mem, e->pending, cap * sizeof *p);
		if (!p)
			return IKE_ERR_NOMEM;
		e->pending = p;
		e->cap_pending = cap;
	}
	e->pending[e->n_pending++] = (pending_op){op, ref};
	return IKE_OK;
}

int ike_engine_new(ike_engine **out, const ike_config *cfg, const ike_callbacks *cb, void *user, ike_ms now)
{
	ike_engine *e;
	int rc;

	*out = NULL;
	if (!cfg || !cb || !cb->send || !cb->on_event)
		return IKE_ERR_INVAL;
	if (cfg->spi_shard_bits > 8 || (cfg->spi_shard >> cfg->spi_shard_bits) != 0)
		return IKE_ERR_INVAL;
	e = ike_mem_calloc(cfg->mem, 1, sizeof *e);
	if (!e)
		return IKE_ERR_NOMEM;
	e->mem = cfg->mem;
	e->cfg = *cfg;
	e->cfg.private_key = (ike_slice){NULL, 0};
	e->cfg.name = NULL;
	e->cfg.ike_proposals = NULL;
	if (ike__prop_parse(&e->ike_props, cfg->ike_proposals, false) != IKE_OK) {
		ike_mem_free(cfg->mem, e);
		return IKE_ERR_INVAL;
	}
	if (!e->cfg.retransmit_tries)
		e->cfg.retransmit_tries = 1;
	if (!e->cfg.port)
		e->cfg.port = IKE_PORT;
	if (!e->cfg.natt_port)
		e->cfg.natt_port = IKE_NATT_PORT;
	e->cb = *cb;
	e->user = user;
	e->now = now;
	snprintf(e->name, sizeof e->name, "%s", cfg->name ? cfg->name : "");
	ike_ratelimit_init(&e->rl_drop, RL_BURST, RL_WINDOW_MS);
	ike_ratelimit_init(&e->rl_send, RL_BURST, RL_WINDOW_MS);
	ike_ratelimit_init(&e->rl_auth, RL_BURST, RL_WINDOW_MS);
	if ((rc = ike__sa_table_init(e)) != IKE_OK)
		goto fail;
	if ((rc = ike__half_open_init(e)) != IKE_OK)
		goto fail;
	if ((rc = ike__cred_load(e, cfg->private_key)) != IKE_OK)
		goto fail;
	ike__rand(e, e->cookie_secret, sizeof e->cookie_secret);
	memcpy(e->cookie_prev, e->cookie_secret, sizeof e->cookie_prev);
	e->cookie_rotated = now;
	*out = e;
	return IKE_OK;
fail:
	ike_engine_free(e);
	return rc;
}

void ike_engine_free(ike_engine *e)
{
	if (!e)
		return;
	if (e->sas.slots) {
		for (uint32_t s = 1; s < e->sas.n_slots; s++)
			if (e->sas.slots[s].sa)
				ike__sa_release(e, e->sas.slots[s].sa);
	}
	ike__cred_free(e);
	ike__half_open_free(e);
	ike__sa_table_free(e);
	ike_mem_free(e->mem, e->timers.v);
	ike_mem_free(e->mem, e->pending);
	ike_mem_free(e->mem, e->dead);
	ike_mem_freezero(e->mem, e, sizeof *e);
}

int ike_engine_initiate(ike_engine *e, const ike_peer_cfg *peer, ike_ms now, ike_sa_ref *out)
{
	ike_sa *sa = NULL;
	int rc;

	if (out)
		*out = (ike_sa_ref){0, 0};
	if (!peer || !peer->remote.family)
		return IKE_ERR_INVAL;
	if (peer->local_auth == IKE_AUTHBY_PSK && !peer->psk.len)
		return IKE_ERR_INVAL;
	if (peer->local_auth == IKE_AUTHBY_PUBKEY && !e->key)
		return IKE_ERR_INVAL;
	if (e->depth == 0)
		e->now = now;
	e->depth++;
	if ((rc = ike__sa_alloc(e, &sa)) != IKE_OK)
		return leave(e, rc);
	sa->initiator = true;
	sa->spi_i = ike__sa_new_spi(e);
	ike__sa_index_local(e, sa);
	if ((rc = ike__peer_copy(e, &sa->peer, peer)) != IKE_OK) {
		ike__sa_release(e, sa);
		return leave(e, rc);
	}
	sa->path.local = peer->local;
	if (!sa->path.local.port)
		sa->path.local.port = e->cfg.port;
	sa->path.remote = peer->remote;
	if (!sa->path.remote.port)
		sa->path.remote.port = IKE_PORT;
	sa->state = SA_I_INIT;
	ike__sa_set_tag(e, sa);
	if (out)
		*out = ike__sa_ref(e, sa);
	if (e->depth > 1) {
		/* From a callback: the first message goes out when the outer call ends. */
		rc = queue_op(e, 2, ike__sa_ref(e, sa));
		if (rc)
			ike__sa_release(e, sa);
		return leave(e, rc);
	}
	rc = ike__init_start(e, sa, now);
	if (rc && rc != IKE_ERR_CALLBACK) {
		ike__sa_release(e, sa);
		if (out)
			*out = (ike_sa_ref){0, 0};
	}
	return leave(e, rc);
}

int ike_engine_terminate(ike_engine *e, ike_sa_ref ref, ike_ms now)
{
	ike_sa *sa = ike__sa_get(e, ref);

	if (!sa || sa->state == SA_DEAD)
		return IKE_ERR_STALE_SA;
	if (e->depth > 0)
		return queue_op(e, 1, ref);
	e->now = now;
	e->depth++;
	ike__sa_terminate(e, sa, now);
	return leave(e, IKE_OK);
}

int ike_engine_set_path(ike_engine *e, ike_sa_ref ref, const ike_path *path)
{
	ike_sa *sa = ike__sa_get(e, ref);

	if (!path)
		return IKE_ERR_INVAL;
	if (!sa || sa->state == SA_DEAD)
		return IKE_ERR_STALE_SA;
	if (sa->state != SA_ESTABLISHED)
		return IKE_ERR_STATE;
	sa->path = *path;
	return IKE_OK;
}

int ike_engine_dpd(ike_engine *e, ike_sa_ref ref, ike_ms now)
{
	ike_sa *sa = ike__sa_get(e, ref);
	int rc;

	if (e->depth)
		return IKE_ERR_STATE;
	if (!sa || sa->state == SA_DEAD)
		return IKE_ERR_STALE_SA;
	if (sa->state != SA_ESTABLISHED || sa->req)
		return IKE_ERR_STATE;
	e->now = now;
	e->depth++;
	rc = ike__info_start(e, sa, INFO_DPD, 0, now);
	return leave(e, rc);
}

int ike_engine_rekey(ike_engine *e, ike_sa_ref ref, uint32_t child_spi_in, ike_ms now)
{
	ike_sa *sa = ike__sa_get(e, ref);
	int rc;

	if (e->depth)
		return IKE_ERR_STATE;
	if (!sa || sa->state == SA_DEAD)
		return IKE_ERR_STALE_SA;
	if (sa->state != SA_ESTABLISHED || sa->req)
		return IKE_ERR_STATE;
	e->now = now;
	e->depth++;
	rc = ike__child_rekey_start(e, sa, child_spi_in, now);
	return leave(e, rc);
}

int ike_engine_me_connect(ike_engine *e, ike_sa_ref ref, const ike_me_connect *req, ike_ms now)
{
	ike_sa *sa = ike__sa_get(e, ref);
	int rc;

	if (e->depth)
		return IKE_ERR_STATE;
	if (!sa || sa->state == SA_DEAD)
		return IKE_ERR_STALE_SA;
	if (sa->state != SA_ESTABLISHED || sa->req)
		return IKE_ERR_STATE;
	if (!req || !req->peer.type || req->n_endpoints > IKE_ME_EP_MAX ||
	    req->connect_id_len > IKE_ME_ID_MAX || req->connect_key_len > IKE_ME_KEY_MAX ||
	    (!req->callback && (!req->connect_id_len || !req->connect_key_len)))
		return IKE_ERR_INVAL;
	e->now = now;
	e->depth++;
	rc = ike__me_connect_start(e, sa, req, now);
	return leave(e, rc);
}

int ike_engine_recv(ike_engine *e, const ike_path *path, const uint8_t *pkt, size_t len, ike_ms now)
{
	int rc;

	if (e->depth)
		return IKE_ERR_STATE;
	e->now = now;
	e->depth++;
	e->stats.rx++;
	rc = ike__msg_recv(e, path, pkt, len, now);
	return leave(e, rc);
}

int ike_engine_tick(ike_engine *e, ike_ms now)
{
	uint32_t slot;
	tmr_kind kind;
	int rc = IKE_OK;

	if (e->depth)
		return IKE_ERR_STATE;
	e->now = now;
	e->depth++;
	while (ike__timer_pop_due(e, now, &slot, &kind)) {
		ike_sa *sa = ike__sa_by_slot(e, slot);
		int r;
		if (!sa || sa->state == SA_DEAD)
			continue;
		r = ike__sa_on_timer(e, sa, kind, now);
		if (ike_err_is_fatal(r))
			rc = r;
	}
	rl_flush(e);
	return leave(e, rc);
}

ike_ms ike_engine_next_deadline(const ike_engine *e)
{
	ike_ms t = ike__timer_next(e), d = ike_ratelimit_deadline(&e->rl_drop);

	if (d < t)
		t = d;
	d = ike_ratelimit_deadline(&e->rl_send);
	if (d < t)
		t = d;
	d = ike_ratelimit_deadline(&e->rl_auth);
	return d < t ? d : t;
}

void ike_engine_stats(const ike_engine *e, ike_stats *out)
{
	*out = e->stats;
	out->sas = e->sas.count;
	out->half_open_srcs = e->ho_n;
}

bool ike_engine_sa_is_up(const ike_engine *e, ike_sa_ref ref)
{
	ike_sa *sa = ike__sa_get(e, ref);
	return sa && sa->state == SA_ESTABLISHED;
}

int ike_msg_peek_spis(const uint8_t *pkt, size_t len, uint64_t *spi_i, uint64_t *spi_r, bool *is_response)
{
	if (!pkt || len < IKE_WIRE_HDR_LEN)
		return IKE_ERR_TRUNCATED;
	if (pkt[17] >> 4 != 2 || ike_get_u32(pkt + 24) < IKE_WIRE_HDR_LEN)
		return IKE_ERR_MALFORMED;
	if (spi_i)
		*spi_i = (uint64_t)ike_get_u32(pkt) << 32 | ike_get_u32(pkt + 4);
	if (spi_r)
		*spi_r = (uint64_t)ike_get_u32(pkt + 8) << 32 | ike_get_u32(pkt + 12);
	if (is_response)
		*is_response = (pkt[19] & IKE_FLAG_RESPONSE) != 0;
	return IKE_OK;
}
