/* SPDX-License-Identifier: MIT */
/*
 * A mediation server shard: the engine's events turned into registry entries
 * and ME_CONNECT relays (draft-brunner-ikev2-mediation as strongSwan 5.9's
 * mediation server does it, see /work/shared/mediation-protocol.md):
 *   - IKE_SA up          -> register (replacing and deleting an older SA of the
 *                           same KEY_ID), then fire the callbacks others left;
 *   - ME_CONNECT arrives -> target unknown or offline: ME_CONNECT_FAILED (and,
 *                           with ME_CALLBACK, remember the interest); online:
 *                           acknowledge and relay to the target's SA with the
 *                           requester's ID (strongSwan's mediation_job);
 *   - IKE_SA down        -> unregister if it still is the live registration.
 * The engine must not be called from its callbacks (except initiate and
 * terminate), so what the callbacks decide to send is queued and sent by
 * flush_queue() when the outermost call returns.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ike/iana.h"
#include "medsrv/shard.h"

/* What the shard knows about one engine slot (one registration). */
typedef struct slot_info {
	uint32_t gen; /* 0 = nothing known */
	uint8_t keyid[IKE_KEYID_LEN];
} slot_info;

/* An ME_CONNECT waiting for its SA to be free. */
typedef struct queued {
	struct queued *next;
	ike_sa_ref sa;
	uint8_t to_keyid[IKE_KEYID_LEN];
	uint8_t from_keyid[IKE_KEYID_LEN];
	ike_ms expires;
	ike_me_connect req;
} queued;

struct ms_shard {
	ms_shard_config cfg;
	ms_shard_callbacks cb;
	void *user;
	const ike_mem *mem;
	ike_engine *e;
	ms_registry *reg;
	slot_info *slots;
	size_t nslots;
	size_t registered;
	queued *qhead, **qtail;
	size_t nqueued;
	ike_ms now;
	/* Refusal lines: at most REFUSALS_BURST per 10 s, then one summary. */
	ike_ratelimit rl_refusal;
	/* The last key looked up for IKE_AUTH: SA_UP follows in the same engine call. */
	bool last_valid;
	uint8_t last_id[IKE_KEYID_LEN];
	uint8_t last_keyid[IKE_KEYID_LEN];
	char last_name[MS_KEYID_SHORT_LEN];
	bool up_seen; /* an SA came up in this call */
};

const char *ms_keyid_short(const uint8_t keyid[IKE_KEYID_LEN], char out[MS_KEYID_SHORT_LEN])
{
	ike_hex_encode(keyid, 4, out);
	return out;
}

/* ---- logging ---- */

static void logf_sa(ms_shard *s, ike_log_level lvl, ike_sa_ref sa, const uint8_t *keyid, const char *fmt, ...)
    IKE_PRINTF(5, 6);

static void logf_sa(ms_shard *s, ike_log_level lvl, ike_sa_ref sa, const uint8_t *keyid, const char *fmt, ...)
{
	char msg[512], tag[48], k[MS_KEYID_SHORT_LEN];
	ike_log_rec rec;
	va_list ap;

	if (!s->cb.log || lvl > s->cfg.engine.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (keyid && ike_sa_ref_valid(sa))
		snprintf(tag, sizeof tag, "#%u %s", sa.slot, ms_keyid_short(keyid, k));
	else if (keyid)
		snprintf(tag, sizeof tag, "%s", ms_keyid_short(keyid, k));
	else if (ike_sa_ref_valid(sa))
		snprintf(tag, sizeof tag, "#%u", sa.slot);
	else
		tag[0] = '\0';
	rec = (ike_log_rec){lvl, IKE_SUB_ME, sa, tag[0] ? tag : NULL, msg};
	s->cb.log(s->user, &rec);
}

/* Whether a refusal may be logged now: strangers can make as many as they
 * like, the log must not grow with them (the engine limits its drop and
 * failed-send lines with the same ike_ratelimit). The counters count every one. */
#define REFUSALS_BURST 20
#define REFUSALS_WINDOW_MS 10000

static void refusal_summary(ms_shard *s, unsigned more)
{
	if (more)
		logf_sa(s, IKE_LOG_WARN, (ike_sa_ref){0, 0}, NULL, IKE_RATELIMIT_SUMMARY, "refusals", more,
		        ike_ratelimit_window_s(&s->rl_refusal));
}

static bool refusal_logged(ms_shard *s)
{
	unsigned more;
	bool ok = ike_ratelimit_allow(&s->rl_refusal, s->now, &more);

	refusal_summary(s, more);
	return ok;
}

/* ---- slots ---- */

static slot_info *slot_get(ms_shard *s, ike_sa_ref sa)
{
	if (sa.slot >= s->nslots || s->slots[sa.slot].gen != sa.gen || !sa.gen)
		return NULL;
	return &s->slots[sa.slot];
}

static int slot_set(ms_shard *s, ike_sa_ref sa, const uint8_t *keyid)
{
	if (sa.slot >= s->nslots) {
		size_t n = s->nslots ? s->nslots : 16;
		slot_info *p;
		while (n <= sa.slot)
			n *= 2;
		p = ike_mem_realloc(s->mem, s->slots, n * sizeof *p);
		if (!p)
			return IKE_ERR_NOMEM;
		memset(p + s->nslots, 0, (n - s->nslots) * sizeof *p);
		s->slots = p;
		s->nslots = n;
	}
	s->slots[sa.slot].gen = sa.gen;
	memcpy(s->slots[sa.slot].keyid, keyid, IKE_KEYID_LEN);
	return IKE_OK;
}

/* ---- the outbound queue ---- */

static int enqueue(ms_shard *s, ike_sa_ref sa, const uint8_t *to, const uint8_t *from,
                   const ike_me_connect *req)
{
	size_t for_sa = 0;
	queued *q;

	for (q = s->qhead; q; q = q->next)
		if (ike_sa_ref_eq(q->sa, sa))
			for_sa++;
	if (s->nqueued >= s->cfg.queue_max || for_sa >= s->cfg.queue_per_sa)
		return IKE_ERR_LIMIT;
	q = ike_mem_malloc(s->mem, sizeof *q);
	if (!q)
		return IKE_ERR_NOMEM;
	q->next = NULL;
	q->sa = sa;
	memcpy(q->to_keyid, to, IKE_KEYID_LEN);
	memcpy(q->from_keyid, from, IKE_KEYID_LEN);
	q->expires = s->now + s->cfg.queue_ttl_ms;
	q->req = *req;
	*s->qtail = q;
	s->qtail = &q->next;
	s->nqueued++;
	return IKE_OK;
}

static void drop_queued(ms_shard *s, queued **pp, const char *why)
{
	queued *q = *pp;

	logf_sa(s, IKE_LOG_INFO, q->sa, q->to_keyid, "ME_CONNECT%s dropped: %s",
	        q->req.callback ? " callback" : "", why);
	ms_registry_count(s->reg, MS_CTR_DROPS, 1);
	*pp = q->next;
	if (s->qtail == &q->next)
		s->qtail = pp;
	s->nqueued--;
	memset(q->req.connect_key, 0, sizeof q->req.connect_key);
	ike_mem_free(s->mem, q);
}

/* Sends what can be sent: in queue order; an SA with an exchange of ours
 * running answers IKE_ERR_STATE and keeps its messages (in order) for later. */
static void flush_queue(ms_shard *s)
{
	queued **pp = &s->qhead;

	while (*pp) {
		queued *q = *pp;
		int rc;

		if (q->expires <= s->now) {
			drop_queued(s, pp, "waited too long for the peer's SA");
			continue;
		}
		if (!slot_get(s, q->sa) ||
		    memcmp(slot_get(s, q->sa)->keyid, q->to_keyid, IKE_KEYID_LEN) != 0) {
			drop_queued(s, pp, "the peer's registration is gone");
			continue;
		}
		rc = ike_engine_me_connect(s->e, q->sa, &q->req, s->now);
		if (rc == IKE_ERR_STATE) {
			pp = &q->next;
			continue;
		}
		if (rc != IKE_OK) {
			drop_queued(s, pp, ike_strerror(rc));
			continue;
		}
		*pp = q->next;
		if (s->qtail == &q->next)
			s->qtail = pp;
		s->nqueued--;
		memset(q->req.connect_key, 0, sizeof q->req.connect_key);
		ike_mem_free(s->mem, q);
	}
}

/* Routes a message: queued here for this shard, posted otherwise. Safe from
 * engine callbacks (nothing calls the engine). */
static void route(ms_shard *s, const ms_msg *m)
{
	int rc;

	if (m->to_shard == s->cfg.index) {
		if (m->type == MS_MSG_TERMINATE) {
			/* ike_engine_terminate may be called from callbacks. */
			rc = ike_engine_terminate(s->e, m->sa, s->now);
		} else {
			rc = enqueue(s, m->sa, m->to_keyid, m->from_keyid, &m->req);
		}
	} else {
		rc = s->cb.post ? s->cb.post(s->user, m) : IKE_ERR_UNSUPPORTED;
	}
	if (rc != IKE_OK && rc != IKE_ERR_STALE_SA) {
		logf_sa(s, IKE_LOG_WARN, m->sa, m->to_keyid, "message to shard %u dropped: %s", m->to_shard,
		        ike_strerror(rc));
		ms_registry_count(s->reg, MS_CTR_DROPS, 1);
	}
}

/* Deletes an SA (allowed from engine callbacks); a stale handle is no error. */
static void terminate_sa(ms_shard *s, ike_sa_ref sa, ike_ms now)
{
	int rc = ike_engine_terminate(s->e, sa, now);

	if (rc != IKE_OK && rc != IKE_ERR_STALE_SA)
		logf_sa(s, IKE_LOG_WARN, sa, NULL, "cannot delete SA: %s", ike_strerror(rc));
}

/* ---- engine callbacks ---- */

static int cb_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	ms_shard *s = user;

	return s->cb.send(s->user, path, pkt, len);
}

static void cb_log(void *user, const ike_log_rec *rec)
{
	ms_shard *s = user;

	if (s->cb.log)
		s->cb.log(s->user, rec);
}

static void cb_rand(void *user, uint8_t *out, size_t len)
{
	ms_shard *s = user;

	s->cb.rand(s->user, out, len);
}

/* Resolves a presented ID to the canonical KEY_ID through the key store. */
static int canonical_keyid(ms_shard *s, const ike_id *id, uint8_t out[IKE_KEYID_LEN])
{
	ms_peer_key k;
	int rc;

	if (id->type != IKE_ID_KEY_ID || id->len != IKE_KEYID_LEN)
		return IKE_ERR_NOT_FOUND;
	if (s->last_valid && memcmp(id->data, s->last_id, IKE_KEYID_LEN) == 0) {
		memcpy(out, s->last_keyid, IKE_KEYID_LEN);
		return IKE_OK;
	}
	memset(&k, 0, sizeof k);
	rc = s->cb.find_key(s->user, id->data, id->len, &k);
	if (rc == IKE_OK)
		memcpy(out, k.keyid, IKE_KEYID_LEN);
	return rc;
}

static int cb_lookup(void *user, const ike_id *id, const ike_path *path, ike_peer_cfg *out)
{
	ms_shard *s = user;
	char a[IKE_ADDR_STRLEN], esc[IKE_ID_MAX * 4 + 1];
	ms_peer_key k;
	int rc;

	s->last_valid = false;
	if (id->type != IKE_ID_KEY_ID || id->len != IKE_KEYID_LEN) {
		ike_escape(id->data, id->len, esc, sizeof esc);
		if (refusal_logged(s))
			logf_sa(s, IKE_LOG_WARN, (ike_sa_ref){0, 0}, NULL,
			        "refused %s: identity type %u \"%s\" is not a KEY_ID of %u bytes",
			        ike_addr_str(&path->remote, a, sizeof a), id->type, esc, IKE_KEYID_LEN);
		ms_registry_count(s->reg, MS_CTR_AUTH_FAILED, 1);
		return IKE_ERR_NOT_FOUND;
	}
	memset(&k, 0, sizeof k);
	rc = s->cb.find_key(s->user, id->data, id->len, &k);
	if (rc != IKE_OK) {
		char hex[IKE_KEYID_HEX_LEN + 1];
		if (refusal_logged(s))
			logf_sa(s, IKE_LOG_WARN, (ike_sa_ref){0, 0}, id->data, "refused %s: KEY_ID %s %s",
			        ike_addr_str(&path->remote, a, sizeof a), ike_keyid_format(id->data, hex),
			        rc == IKE_ERR_NOT_FOUND ? "is not registered in the database"
			                                : ike_strerror(rc));
		ms_registry_count(s->reg, MS_CTR_AUTH_FAILED, 1);
		return IKE_ERR_NOT_FOUND;
	}
	s->last_valid = true;
	memcpy(s->last_id, id->data, IKE_KEYID_LEN);
	memcpy(s->last_keyid, k.keyid, IKE_KEYID_LEN);
	ms_keyid_short(k.keyid, s->last_name);
	out->name = s->last_name;
	out->remote_id = *id;
	out->local_auth = IKE_AUTHBY_PUBKEY;
	out->remote_auth = IKE_AUTHBY_PUBKEY;
	out->remote_pubkey = (ike_slice){k.pubkey, k.pubkey_len};
	out->no_child = true;
	out->mediation_server = true;
	return IKE_OK;
}

/* Fires the callbacks others left for reg's peer: each waiting requester that
 * is online hears, through an ME_CONNECT with ME_CALLBACK and the peer's ID as
 * it asked for it (strongSwan's mediation_callback_job). */
static void fire_callbacks(ms_shard *s, const ms_reg *reg)
{
	ms_waiter w[16];
	size_t n;

	while ((n = ms_registry_waiters_take(s->reg, reg->keyid, s->now, w, 16)) > 0) {
		for (size_t i = 0; i < n; i++) {
			ms_reg rq;
			ms_msg m;
			if (ms_registry_get(s->reg, w[i].requester, &rq) != IKE_OK) {
				logf_sa(s, IKE_LOG_INFO, reg->sa, reg->keyid,
				        "callback for %s not sent: it is offline now",
				        ms_keyid_short(w[i].requester, (char[MS_KEYID_SHORT_LEN]){0}));
				continue;
			}
			memset(&m, 0, sizeof m);
			m.type = MS_MSG_CONNECT;
			m.to_shard = rq.shard;
			m.sa = rq.sa;
			memcpy(m.to_keyid, rq.keyid, IKE_KEYID_LEN);
			memcpy(m.from_keyid, reg->keyid, IKE_KEYID_LEN);
			m.req.peer.type = IKE_ID_KEY_ID;
			m.req.peer.len = IKE_KEYID_LEN;
			memcpy(m.req.peer.data, w[i].asked, IKE_KEYID_LEN);
			m.req.callback = true;
			logf_sa(s, IKE_LOG_INFO, rq.sa, rq.keyid, "callback: %s is online now",
			        ms_keyid_short(reg->keyid, (char[MS_KEYID_SHORT_LEN]){0}));
			ms_registry_count(s->reg, MS_CTR_CALLBACKS, 1);
			route(s, &m);
		}
		if (n < 16)
			break;
	}
}

static void on_sa_up(ms_shard *s, const ike_event *ev)
{
	ms_reg reg, old;
	bool replaced = false;
	char a[IKE_ADDR_STRLEN];

	s->up_seen = true;
	memset(&reg, 0, sizeof reg);
	if (canonical_keyid(s, &ev->u.sa_up.remote_id, reg.keyid) != IKE_OK) {
		/* Cannot happen: lookup_peer accepted this identity just now. */
		logf_sa(s, IKE_LOG_ERROR, ev->sa, NULL, "registration without a known KEY_ID, deleting it");
		terminate_sa(s, ev->sa, s->now);
		return;
	}
	memcpy(reg.id, ev->u.sa_up.remote_id.data, IKE_KEYID_LEN);
	reg.shard = s->cfg.index;
	reg.sa = ev->sa;
	reg.endpoint = ev->u.sa_up.path.remote;
	reg.since = s->now;
	if (slot_set(s, ev->sa, reg.keyid) != IKE_OK ||
	    ms_registry_put(s->reg, &reg, &old, &replaced) != IKE_OK) {
		logf_sa(s, IKE_LOG_ERROR, ev->sa, reg.keyid, "out of memory, registration refused");
		if (slot_get(s, ev->sa))
			slot_get(s, ev->sa)->gen = 0;
		terminate_sa(s, ev->sa, s->now);
		return;
	}
	s->registered++;
	ms_registry_count(s->reg, MS_CTR_REGISTRATIONS, 1);
	logf_sa(s, IKE_LOG_INFO, ev->sa, reg.keyid, "registered from %s%s",
	        ike_addr_str(&reg.endpoint, a, sizeof a),
	        replaced ? ", replacing its previous registration" : "");
	if (replaced && !(old.shard == reg.shard && ike_sa_ref_eq(old.sa, reg.sa))) {
		ms_msg m;
		memset(&m, 0, sizeof m);
		m.type = MS_MSG_TERMINATE;
		m.to_shard = old.shard;
		m.sa = old.sa;
		memcpy(m.to_keyid, old.keyid, IKE_KEYID_LEN);
		memcpy(m.from_keyid, old.keyid, IKE_KEYID_LEN);
		ms_registry_count(s->reg, MS_CTR_REPLACED, 1);
		route(s, &m);
	}
	fire_callbacks(s, &reg);
}

static void on_sa_down(ms_shard *s, const ike_event *ev)
{
	slot_info *si = slot_get(s, ev->sa);

	if (!si)
		return;
	if (ms_registry_remove(s->reg, si->keyid, s->cfg.index, ev->sa))
		logf_sa(s, IKE_LOG_INFO, ev->sa, si->keyid, "unregistered (%s)",
		        ev->u.sa_down.reason == IKE_OK ? "deleted" : ike_strerror(ev->u.sa_down.reason));
	else
		logf_sa(s, IKE_LOG_INFO, ev->sa, si->keyid, "previous registration gone (%s)",
		        ev->u.sa_down.reason == IKE_OK ? "deleted" : ike_strerror(ev->u.sa_down.reason));
	ms_registry_count(s->reg, MS_CTR_UNREGISTRATIONS, 1);
	si->gen = 0;
	s->registered--;
}

static void on_me_connect(ms_shard *s, const ike_event *ev)
{
	const ike_me_connect *req = ev->u.me_connect.req;
	slot_info *si = slot_get(s, ev->sa);
	char hex[IKE_KEYID_HEX_LEN + 1], from[MS_KEYID_SHORT_LEN];
	uint8_t target[IKE_KEYID_LEN];
	ms_reg me, to;
	ms_msg m;
	int rc;

	if (!si) {
		/* Every established SA of ours is a registration. */
		*ev->u.me_connect.reply = IKE_ME_CONNECT_FAILED;
		return;
	}
	ms_keyid_short(si->keyid, from);
	rc = canonical_keyid(s, &req->peer, target);
	if (rc != IKE_OK) {
		char esc[IKE_ID_MAX * 4 + 1];
		ike_escape(req->peer.data, req->peer.len, esc, sizeof esc);
		logf_sa(s, IKE_LOG_INFO, ev->sa, si->keyid,
		        "ME_CONNECT to unknown peer %s: ME_CONNECT_FAILED",
		        req->peer.type == IKE_ID_KEY_ID && req->peer.len == IKE_KEYID_LEN
		            ? ike_keyid_format(req->peer.data, hex)
		            : esc);
		*ev->u.me_connect.reply = IKE_ME_CONNECT_FAILED;
		ms_registry_count(s->reg, MS_CTR_CONNECT_FAILED, 1);
		return;
	}
	ike_keyid_format(target, hex);
	if (memcmp(target, si->keyid, IKE_KEYID_LEN) == 0) {
		logf_sa(s, IKE_LOG_INFO, ev->sa, si->keyid, "ME_CONNECT to itself: ME_CONNECT_FAILED");
		*ev->u.me_connect.reply = IKE_ME_CONNECT_FAILED;
		ms_registry_count(s->reg, MS_CTR_CONNECT_FAILED, 1);
		return;
	}
	if (ms_registry_get(s->reg, target, &to) != IKE_OK) {
		const char *cb = "";
		if (req->callback) {
			rc = ms_registry_waiter_add(s->reg, target, req->peer.data, si->keyid, s->now);
			cb = rc == IKE_OK ? ", callback remembered" : ", callback NOT remembered (limit)";
		}
		logf_sa(s, IKE_LOG_INFO, ev->sa, si->keyid, "ME_CONNECT to %s: offline, ME_CONNECT_FAILED%s",
		        hex, cb);
		*ev->u.me_connect.reply = IKE_ME_CONNECT_FAILED;
		ms_registry_count(s->reg, MS_CTR_CONNECT_FAILED, 1);
		/* The target may have registered on another shard between the check
		 * and the remembering, after its shard looked for interests: look again. */
		if (req->callback && rc == IKE_OK && ms_registry_get(s->reg, target, &to) == IKE_OK)
			fire_callbacks(s, &to);
		return;
	}
	if (ms_registry_get(s->reg, si->keyid, &me) != IKE_OK || me.shard != s->cfg.index ||
	    !ike_sa_ref_eq(me.sa, ev->sa)) {
		/* An SA that a newer registration replaced (its DELETE is on the way). */
		logf_sa(s, IKE_LOG_INFO, ev->sa, si->keyid,
		        "ME_CONNECT on a replaced registration: ME_CONNECT_FAILED");
		*ev->u.me_connect.reply = IKE_ME_CONNECT_FAILED;
		ms_registry_count(s->reg, MS_CTR_CONNECT_FAILED, 1);
		return;
	}
	if (req->callback && !req->connect_id_len) {
		/* A bare callback request for an online peer: nothing to relay; tell the
		 * requester at once that the peer is there. */
		memset(&m, 0, sizeof m);
		m.type = MS_MSG_CONNECT;
		m.to_shard = s->cfg.index;
		m.sa = ev->sa;
		memcpy(m.to_keyid, si->keyid, IKE_KEYID_LEN);
		memcpy(m.from_keyid, target, IKE_KEYID_LEN);
		m.req.peer = req->peer;
		m.req.callback = true;
		logf_sa(s, IKE_LOG_INFO, ev->sa, si->keyid, "callback request for %s: online, calling back",
		        hex);
		ms_registry_count(s->reg, MS_CTR_CALLBACKS, 1);
		route(s, &m);
		return;
	}
	memset(&m, 0, sizeof m);
	m.type = MS_MSG_CONNECT;
	m.to_shard = to.shard;
	m.sa = to.sa;
	memcpy(m.to_keyid, to.keyid, IKE_KEYID_LEN);
	memcpy(m.from_keyid, si->keyid, IKE_KEYID_LEN);
	m.req = *req;
	m.req.callback = false;
	/* The requester as it authenticated: the form the target knows it by. */
	m.req.peer.type = IKE_ID_KEY_ID;
	m.req.peer.len = IKE_KEYID_LEN;
	memcpy(m.req.peer.data, me.id, IKE_KEYID_LEN);
	logf_sa(s, IKE_LOG_INFO, ev->sa, si->keyid, "ME_CONNECT%s to %s (at %s, %u endpoints): relaying",
	        req->response ? " response" : "", hex,
	        ike_addr_str(&to.endpoint, (char[IKE_ADDR_STRLEN]){0}, IKE_ADDR_STRLEN), req->n_endpoints);
	ms_registry_count(s->reg, MS_CTR_RELAYED, 1);
	route(s, &m);
	memset(m.req.connect_key, 0, sizeof m.req.connect_key);
	/* The target may be gone without a goodbye (its registration lives until our
	 * DPD or this relay times out): remember the requester's callback interest
	 * too, so that it hears when the target registers again. */
	if (req->callback && !req->response &&
	    ms_registry_waiter_add(s->reg, target, req->peer.data, si->keyid, s->now) != IKE_OK)
		logf_sa(s, IKE_LOG_DEBUG, ev->sa, si->keyid, "callback for %s not remembered (limit)", hex);
	/* An answer shows the answering peer is alive: the requester's interest
	 * in it (left by the relay above) is settled. */
	if (req->response)
		(void)ms_registry_waiter_drop(s->reg, si->keyid, target);
}

static void on_me_reply(ms_shard *s, const ike_event *ev)
{
	slot_info *si = slot_get(s, ev->sa);

	if (ev->u.me_reply.notify)
		logf_sa(s, IKE_LOG_INFO, ev->sa, si ? si->keyid : NULL,
		        "peer answered our ME_CONNECT with %s",
		        ike_notify_name(ev->u.me_reply.notify) ? ike_notify_name(ev->u.me_reply.notify)
		                                               : "an error");
}

/* An IKE_SA rekey (the client's lifetime ran out) moves the registration to
 * the new SA; the old one goes away without SA_DOWN. */
static void on_sa_rekeyed(ms_shard *s, const ike_event *ev)
{
	slot_info *si = slot_get(s, ev->u.sa_rekeyed.old_sa);
	uint8_t keyid[IKE_KEYID_LEN];

	if (!si)
		return;
	memcpy(keyid, si->keyid, IKE_KEYID_LEN);
	si->gen = 0;
	if (slot_set(s, ev->sa, keyid) != IKE_OK) {
		(void)ms_registry_remove(s->reg, keyid, s->cfg.index, ev->u.sa_rekeyed.old_sa);
		s->registered--;
		logf_sa(s, IKE_LOG_ERROR, ev->sa, keyid, "out of memory after a rekey, registration dropped");
		terminate_sa(s, ev->sa, s->now);
		return;
	}
	(void)ms_registry_move(s->reg, keyid, s->cfg.index, ev->u.sa_rekeyed.old_sa, ev->sa);
	logf_sa(s, IKE_LOG_INFO, ev->sa, keyid, "registration rekeyed (was #%u)",
	        ev->u.sa_rekeyed.old_sa.slot);
}

/* The engine may hand the client a TURN credential (N(ME_TURN)): at IKE_AUTH
 * (the client authenticated and is about to be registered) and, refresh, while
 * the SA is its registration here. Never logs the password. */
static void on_turn_wanted(ms_shard *s, const ike_event *ev)
{
	const ms_turn_config *t = s->cfg.turn;
	uint8_t keyid[IKE_KEYID_LEN];
	slot_info *si;
	int rc;

	if (!t || !t->server.family || !t->unix_now)
		return;
	if (canonical_keyid(s, ev->u.me_turn_wanted.peer, keyid) != IKE_OK)
		return;
	if (ev->u.me_turn_wanted.refresh &&
	    (!(si = slot_get(s, ev->sa)) || memcmp(si->keyid, keyid, IKE_KEYID_LEN) != 0))
		return; /* no longer registered: no more credentials */
	rc = ms_turn_credential(t, keyid, t->unix_now(t->user), ev->u.me_turn_wanted.turn);
	if (rc != IKE_OK) {
		logf_sa(s, IKE_LOG_WARN, ev->sa, keyid, "no TURN credential: %s", ike_strerror(rc));
		return;
	}
	*ev->u.me_turn_wanted.refresh_in = (ike_ms)t->ttl_s * 500; /* after half the lifetime */
}

static void cb_event(void *user, const ike_event *ev)
{
	ms_shard *s = user;

	switch (ev->type) {
	case IKE_EV_SA_UP:
		on_sa_up(s, ev);
		break;
	case IKE_EV_SA_DOWN:
		on_sa_down(s, ev);
		break;
	case IKE_EV_SA_REKEYED:
		on_sa_rekeyed(s, ev);
		break;
	case IKE_EV_ME_CONNECT:
		on_me_connect(s, ev);
		break;
	case IKE_EV_ME_CONNECT_REPLY:
		on_me_reply(s, ev);
		break;
	case IKE_EV_ME_TURN_WANTED:
		on_turn_wanted(s, ev);
		break;
	default:
		break;
	}
}

/* ---- public ---- */

void ms_shard_config_defaults(ms_shard_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	ike_config_defaults(&cfg->engine);
	/* Registrations are long-lived and carry no CHILD_SA: no rekeying (the
	 * clients rekey if they want), DPD reaps the dead. */
	cfg->engine.ike_rekey_ms = 0;
	cfg->engine.child_rekey_ms = 0;
	cfg->engine.rekey_jitter_ms = 0;
	cfg->engine.dpd_interval_ms = 30000;
	cfg->engine.keepalive_interval_ms = 0;
	cfg->queue_max = 4096;
	cfg->queue_per_sa = 16;
	cfg->queue_ttl_ms = 30000;
}

int ms_shard_new(ms_shard **out, const ms_shard_config *cfg, const ms_shard_callbacks *cb, void *user,
                 ike_ms now)
{
	ike_callbacks ecb = {cb_send, cb_lookup, cb_event, cb_log, NULL};
	ms_shard *s;
	int rc;

	*out = NULL;
	if (!cfg || !cb || !cfg->registry || !cb->send || !cb->find_key)
		return IKE_ERR_INVAL;
	if (cfg->turn && cfg->turn->server.family && (!cfg->turn->unix_now || !cfg->turn->secret_len))
		return IKE_ERR_INVAL;
	s = ike_mem_calloc(cfg->engine.mem, 1, sizeof *s);
	if (!s)
		return IKE_ERR_NOMEM;
	s->cfg = *cfg;
	s->cb = *cb;
	s->user = user;
	s->mem = cfg->engine.mem;
	s->reg = cfg->registry;
	s->qtail = &s->qhead;
	s->now = now;
	ike_ratelimit_init(&s->rl_refusal, REFUSALS_BURST, REFUSALS_WINDOW_MS);
	if (!s->cfg.queue_max)
		s->cfg.queue_max = 4096;
	if (!s->cfg.queue_per_sa)
		s->cfg.queue_per_sa = 16;
	if (!s->cfg.queue_ttl_ms)
		s->cfg.queue_ttl_ms = 30000;
	if (cb->rand)
		ecb.rand = cb_rand;
	rc = ike_engine_new(&s->e, &cfg->engine, &ecb, s, now);
	if (rc != IKE_OK) {
		ike_mem_free(s->mem, s);
		return rc;
	}
	*out = s;
	return IKE_OK;
}

void ms_shard_free(ms_shard *s)
{
	if (!s)
		return;
	ike_engine_free(s->e);
	for (size_t i = 0; i < s->nslots; i++)
		if (s->slots[i].gen)
			(void)ms_registry_remove(s->reg, s->slots[i].keyid, s->cfg.index,
			                         (ike_sa_ref){(uint32_t)i, s->slots[i].gen});
	while (s->qhead) {
		queued *q = s->qhead;
		s->qhead = q->next;
		memset(q->req.connect_key, 0, sizeof q->req.connect_key);
		ike_mem_free(s->mem, q);
	}
	ike_mem_free(s->mem, s->slots);
	ike_mem_free(s->mem, s);
}

int ms_shard_recv(ms_shard *s, const ike_path *path, const uint8_t *pkt, size_t len, ike_ms now)
{
	int rc;

	s->now = now;
	s->last_valid = false;
	s->up_seen = false;
	rc = ike_engine_recv(s->e, path, pkt, len, now);
	if (s->last_valid && !s->up_seen) {
		char a[IKE_ADDR_STRLEN];
		/* lookup_peer found the key (an unknown one was logged there) but no
		 * SA came up in this IKE_AUTH: the signature does not verify with it.
		 * The engine answered AUTHENTICATION_FAILED and freed the half-open
		 * SA without an event. */
		if (refusal_logged(s))
			logf_sa(s, IKE_LOG_WARN, (ike_sa_ref){0, 0}, s->last_keyid,
			        "refused %s: authentication failed (the signature does not verify with the "
			        "registered key)",
			        ike_addr_str(&path->remote, a, sizeof a));
		ms_registry_count(s->reg, MS_CTR_AUTH_FAILED, 1);
	} else if (rc != IKE_OK && rc != IKE_ERR_RETRANSMIT && rc != IKE_ERR_AUTH) {
		ms_registry_count(s->reg, MS_CTR_DROPS, 1);
	}
	s->last_valid = false;
	flush_queue(s);
	return rc;
}

int ms_shard_deliver(ms_shard *s, const ms_msg *m, ike_ms now)
{
	slot_info *si;
	int rc;

	s->now = now;
	si = slot_get(s, m->sa);
	if (!si || memcmp(si->keyid, m->to_keyid, IKE_KEYID_LEN) != 0) {
		if (m->type == MS_MSG_CONNECT) {
			logf_sa(s, IKE_LOG_INFO, m->sa, m->to_keyid,
			        "ME_CONNECT dropped: the peer's registration is gone");
			ms_registry_count(s->reg, MS_CTR_DROPS, 1);
		}
		return IKE_ERR_STALE_SA;
	}
	switch (m->type) {
	case MS_MSG_CONNECT:
		rc = enqueue(s, m->sa, m->to_keyid, m->from_keyid, &m->req);
		if (rc != IKE_OK) {
			logf_sa(s, IKE_LOG_WARN, m->sa, m->to_keyid, "ME_CONNECT dropped: %s",
			        ike_strerror(rc));
			ms_registry_count(s->reg, MS_CTR_DROPS, 1);
			return rc;
		}
		flush_queue(s);
		return IKE_OK;
	case MS_MSG_TERMINATE:
		logf_sa(s, IKE_LOG_INFO, m->sa, m->to_keyid, "deleting the replaced registration");
		rc = ike_engine_terminate(s->e, m->sa, now);
		flush_queue(s);
		return rc;
	default:
		return IKE_ERR_INVAL;
	}
}

int ms_shard_tick(ms_shard *s, ike_ms now)
{
	int rc;

	s->now = now;
	rc = ike_engine_tick(s->e, now);
	flush_queue(s);
	refusal_summary(s, ike_ratelimit_flush(&s->rl_refusal, now));
	return rc;
}

ike_ms ms_shard_next_deadline(const ms_shard *s)
{
	ike_ms d = ike_engine_next_deadline(s->e), r = ike_ratelimit_deadline(&s->rl_refusal);

	if (r < d)
		d = r;
	for (const queued *q = s->qhead; q; q = q->next)
		if (q->expires < d)
			d = q->expires;
	return d;
}

void ms_shard_terminate_all(ms_shard *s, ike_ms now)
{
	s->now = now;
	for (size_t i = 0; i < s->nslots; i++)
		if (s->slots[i].gen)
			terminate_sa(s, (ike_sa_ref){(uint32_t)i, s->slots[i].gen}, now);
}

void ms_shard_get_stats(const ms_shard *s, ms_shard_stats *out)
{
	memset(out, 0, sizeof *out);
	ike_engine_stats(s->e, &out->engine);
	out->registered = s->registered;
	out->queued = s->nqueued;
}
