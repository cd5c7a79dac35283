/* SPDX-License-Identifier: MIT */
/*
 * medcli/src/mediate.c - the registration at the mediation server (with back-off),
 * ME_CONNECT as requester and as answerer, the connectivity checks (holepunch/) and
 * the direct IKE_SA on the chosen pair.
 */
#include "mc_int.h"

static void reg_peer_cfg(mc_daemon *d, ike_peer_cfg *p)
{
	memset(p, 0, sizeof *p);
	p->name = "medsrv";
	/* The address the kernel routes to the server from: paths, checks and the
	 * server-reflexive candidate's base then name real addresses. */
	if (mc_route_source(&d->srv, &p->local) != IKE_OK) {
		memset(&p->local, 0, sizeof p->local);
		p->local.family = d->srv.family;
	}
	p->local.port = d->o->port;
	d->reg_local = p->local;
	d->reg_local.port = d->o->natt_port;
	p->remote = d->srv;
	p->remote_id = d->srv_id;
	p->local_auth = p->remote_auth = IKE_AUTHBY_PUBKEY;
	p->remote_pubkey = (ike_slice){d->srv_pubkey, d->srv_pubkey_len};
	p->mediation = true;
	p->no_child = true;
	/* Probed often: a server restart or a new NAT mapping is noticed within seconds. */
	p->dpd_interval_ms = (ike_ms)d->o->server_dpd_s * 1000;
}

static int reg_initiate(mc_daemon *d, ike_sa_ref *out)
{
	ike_peer_cfg p;
	int rc;

	reg_peer_cfg(d, &p);
	rc = ike_engine_initiate(d->eng, &p, mc__now(d), out);
	if (rc != IKE_OK) {
		snprintf(d->reg_error, sizeof d->reg_error, "cannot start the registration: %s",
		         ike_strerror(rc));
		mc__logc(d, IKE_LOG_ERROR, "medsrv", "%s", d->reg_error);
	}
	return rc;
}

void mc__reg_start(mc_daemon *d)
{
	char a[IKE_ADDR_STRLEN];

	if (!d->have_server || ike_sa_ref_valid(d->reg_sa))
		return;
	if (ike_sa_ref_valid(d->reg_next)) { /* a fresh registration is already under way */
		d->reg_sa = d->reg_next;
		d->reg_next = (ike_sa_ref){0, 0};
		return;
	}
	if (reg_initiate(d, &d->reg_sa) != IKE_OK) {
		d->reg_retry_at = mc__now(d) + 5000;
		return;
	}
	mc__logc(d, IKE_LOG_INFO, "medsrv", "registering at %s", mc__addr_s(&d->srv, a, sizeof a));
}

/* The server answered a request of our registration with INVALID_IKE_SPI: it
 * probably restarted and forgot us. Only a hint (it is unauthenticated), so the
 * registration is left alone and a fresh one is started beside it; once that is
 * up it replaces the old one (mc__reg_up). */
void mc__reg_lost(mc_daemon *d)
{
	if (!d->have_server || ike_sa_ref_valid(d->reg_next))
		return;
	mc__logc(d, IKE_LOG_INFO, "medsrv",
	         "the server does not know our registration (it restarted?): "
	         "registering again");
	(void)reg_initiate(d, &d->reg_next);
}

/* The requests of a registration that is gone are lost: send them again on the next. */
static void repend_me_connects(mc_daemon *d)
{
	d->me_inflight = NULL;
	for (size_t i = 0; i < d->nconns; i++) {
		conn *c = &d->conns[i];
		if (c->used && c->sup.st == SUP_MEDIATING && c->sup.initiator && !c->me_pending) {
			c->me_pending = true;
			c->me_retry_at = 0;
		}
	}
}

void mc__reg_up(mc_daemon *d, ike_sa_ref sa)
{
	if (ike_sa_ref_eq(sa, d->reg_next)) {
		ike_sa_ref old = d->reg_sa;
		d->reg_sa = d->reg_next;
		d->reg_next = (ike_sa_ref){0, 0};
		if (ike_sa_ref_valid(old))
			IGNORE_RC(ike_engine_terminate(d->eng, old, mc__now(d)));
		repend_me_connects(d);
	}
	d->registered = true;
	d->reg_backoff_s = 0;
	d->reg_since = mc__now(d);
	d->reg_error[0] = '\0';
	for (size_t i = 0; i < d->nconns; i++)
		if (d->conns[i].used)
			mc__conn_event(&d->conns[i], SUP_EV_REGISTERED, NULL);
}

/* The server told us our public endpoint: when it changed (our NAT gave us a new
 * mapping), every path through the old one is dead: mediate again at once. */
void mc__endpoint(mc_daemon *d, const ike_addr *addr)
{
	char a[IKE_ADDR_STRLEN], b[IKE_ADDR_STRLEN];
	bool changed = d->have_srflx && !ike_addr_eq(&d->srflx, addr);

	if (changed)
		mc__logc(d, IKE_LOG_WARN, "medsrv", "public endpoint changed from %s to %s: mediating again",
		         mc__addr_s(&d->srflx, a, sizeof a), mc__addr_s(addr, b, sizeof b));
	else
		mc__logc(d, IKE_LOG_INFO, "medsrv", "public endpoint %s", mc__addr_s(addr, a, sizeof a));
	d->srflx = *addr;
	d->have_srflx = true;
	if (!changed)
		return;
	for (size_t i = 0; i < d->nconns; i++)
		if (d->conns[i].used)
			mc__conn_event(&d->conns[i], SUP_EV_ENDPOINT_CHANGED, NULL);
}

void mc__reg_down(mc_daemon *d, const char *why, bool unreachable)
{
	ike_ms wait;

	d->registered = false;
	d->have_srflx = false;
	d->reg_sa = (ike_sa_ref){0, 0};
	if (unreachable) {
		/* Silence: try again soon, so a server back from a restart sees us within seconds. */
		d->reg_backoff_s = 0;
		wait = REG_RETRY_UNREACHABLE_MS;
	} else {
		/* Refused: back off. */
		d->reg_backoff_s = d->reg_backoff_s ? d->reg_backoff_s * 2 : 1;
		if (d->reg_backoff_s > REG_BACKOFF_MAX_S)
			d->reg_backoff_s = REG_BACKOFF_MAX_S;
		wait = (ike_ms)d->reg_backoff_s * 1000;
	}
	d->reg_retry_at = mc__now(d) + wait;
	snprintf(d->reg_error, sizeof d->reg_error, "%s", why);
	mc__logc(d, IKE_LOG_WARN, "medsrv", "not registered: %s; retrying in %llu ms", why,
	         (unsigned long long)wait);
	repend_me_connects(d);
	for (size_t i = 0; i < d->nconns; i++)
		if (d->conns[i].used)
			mc__conn_event(&d->conns[i], SUP_EV_UNREGISTERED, NULL);
}

/* ---- mediation ---- */

static void gather_local(conn *c)
{
	mc_daemon *d = c->d;
	ike_addr hosts[MC_MAX_CAND];
	size_t n = mc_gather_hosts(d->o->ifname, d->o->natt_port, hosts, MC_MAX_CAND - 2);

	c->n_local = 0;
	for (size_t i = 0; i < n; i++) {
		hp_candidate *h = &c->local[c->n_local++];
		memset(h, 0, sizeof *h);
		h->type = HP_CAND_HOST;
		h->priority = hp_candidate_priority(HP_CAND_HOST);
		h->addr = hosts[i];
	}
	if (d->have_srflx) {
		hp_candidate *s = &c->local[c->n_local++];
		memset(s, 0, sizeof *s);
		s->type = HP_CAND_SERVER_REFLEXIVE;
		s->priority = hp_candidate_priority(HP_CAND_SERVER_REFLEXIVE);
		s->addr = d->srflx;
		s->base = d->reg_local; /* the address we reach the server from, port natt_port */
	}
	/* last resort: our address on the TURN relay (a pair through it comes last) */
	if (mc__relay_candidate(d, &c->local[c->n_local]))
		c->n_local++;
}

static void fill_me_connect(conn *c, ike_me_connect *m)
{
	memset(m, 0, sizeof *m);
	m->peer.type = IKE_ID_KEY_ID;
	m->peer.len = IKE_KEYID_LEN;
	memcpy(m->peer.data, c->keyid, IKE_KEYID_LEN);
	memcpy(m->connect_id, c->cid, HP_CONNECT_ID_LEN);
	m->connect_id_len = HP_CONNECT_ID_LEN;
	memcpy(m->connect_key, c->sup.initiator ? c->key_i : c->key_r, HP_CONNECT_KEY_LEN);
	m->connect_key_len = HP_CONNECT_KEY_LEN;
	m->callback = c->sup.initiator;
	m->response = !c->sup.initiator;
	for (size_t i = 0; i < c->n_local && m->n_endpoints < IKE_ME_EP_MAX; i++) {
		ike_me_ep *e = &m->endpoints[m->n_endpoints++];
		e->priority = c->local[i].priority;
		e->type = c->local[i].type;
		e->addr = c->local[i].addr;
	}
}

/* Sends the connection's pending ME_CONNECT when the registration can carry it. */
void mc__send_me_connect(conn *c)
{
	mc_daemon *d = c->d;
	ike_me_connect m;
	int rc;

	if (!c->me_pending || !d->registered || d->in_engine || d->me_inflight || mc__now(d) < c->me_retry_at)
		return;
	if (c->me_relay_until) { /* waited for the relayed candidate (allocated, or too long) */
		c->me_relay_until = 0;
		gather_local(c);
	}
	fill_me_connect(c, &m);
	rc = ike_engine_me_connect(d->eng, d->reg_sa, &m, mc__now(d));
	if (rc == IKE_ERR_STATE) {
		c->me_retry_at = mc__now(d) + ME_RETRY_MS;
		return;
	}
	if (rc != IKE_OK) {
		mc__set_error(c, "could not send ME_CONNECT to the mediation server: %s", ike_strerror(rc));
		mc__conn_fail(c, c->sup.why);
		return;
	}
	c->me_pending = false;
	d->me_inflight = c;
	if (c->sup.initiator)
		mc__conn_event(c, SUP_EV_ASKED, NULL);
	mc__logc(d, IKE_LOG_INFO, c->alias, "ME_CONNECT %s sent with %zu candidates",
	         c->sup.initiator ? "request" : "response", c->n_local);
}

static int hp_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	conn *c = user;
	c->checks++;
	return mc__xmit(c->d, path, MC_XMIT_IKE, pkt, len);
}

static void start_direct_sa(conn *c, const ike_path *path)
{
	mc_daemon *d = c->d;
	ike_peer_cfg p;
	char a[IKE_ADDR_STRLEN], b[IKE_ADDR_STRLEN];
	int rc;

	memset(&p, 0, sizeof p);
	p.name = c->alias;
	p.local = path->local;
	p.remote = path->remote;
	p.remote_id.type = IKE_ID_KEY_ID;
	p.remote_id.len = IKE_KEYID_LEN;
	memcpy(p.remote_id.data, c->keyid, IKE_KEYID_LEN);
	p.local_auth = p.remote_auth = IKE_AUTHBY_PUBKEY;
	p.remote_pubkey = (ike_slice){c->pubkey, c->pubkey_len};
	p.local_ts = c->lts;
	p.remote_ts = c->rts;
	p.me_connect_id = c->cid;
	p.me_connect_id_len = HP_CONNECT_ID_LEN;
	rc = ike_engine_initiate(d->eng, &p, mc__now(d), &c->sa);
	if (rc != IKE_OK) {
		mc__set_error(c, "cannot start the direct IKE_SA: %s", ike_strerror(rc));
		mc__conn_fail(c, c->sup.why);
		return;
	}
	mc__logc(d, IKE_LOG_INFO, c->alias, "direct IKE_SA %s -> %s", mc__addr_s(&path->local, a, sizeof a),
	         mc__addr_s(&path->remote, b, sizeof b));
}

/* Appends the pairs (the direct ones only, when direct_only) to buf at off:
 * "<sep> local->remote (state, N sent)", at most max of them, then ", ..." for
 * the rest. Returns the new length (may exceed cap: the text is truncated). */
static size_t append_pairs(char *buf, size_t cap, size_t off, const hp_pair_info *pairs, size_t n,
                           bool direct_only, size_t max, const char *first_sep)
{
	size_t shown = 0, left = 0;

	for (size_t i = 0; i < n; i++) {
		char a[IKE_ADDR_STRLEN], b[IKE_ADDR_STRLEN];
		if (direct_only && pairs[i].relayed)
			continue;
		if (shown == max || off >= cap) {
			left++;
			continue;
		}
		off += (size_t)snprintf(buf + off, cap - off, "%s %s->%s (%s, %u sent)",
		                        shown ? "," : first_sep, mc__addr_s(&pairs[i].path.local, a, sizeof a),
		                        mc__addr_s(&pairs[i].path.remote, b, sizeof b),
		                        hp_pair_state_name(pairs[i].state), pairs[i].sent);
		shown++;
	}
	if (left && off < cap)
		off += (size_t)snprintf(buf + off, cap - off, ", ...");
	return off;
}

/* Why a relayed pair was chosen: what the direct pairs did. */
static void describe_direct(conn *c, const hp_pair_info *pairs, size_t n)
{
	size_t tried = 0, off;

	for (size_t i = 0; i < n; i++)
		tried += !pairs[i].relayed;
	off = (size_t)snprintf(c->direct_error, sizeof c->direct_error,
	                       "%zu direct pairs tried, none answered in time", tried);
	(void)append_pairs(c->direct_error, sizeof c->direct_error, off, pairs, n, true, 4, ":");
}

/* The failure's pairs, after the error text already in c->sup.why. */
static void describe_pairs(conn *c, const hp_pair_info *pairs, size_t n)
{
	char *e = c->sup.why;
	size_t cap = sizeof c->sup.why, off = strlen(e);

	if (off < cap)
		off += (size_t)snprintf(e + off, cap - off, "; tried");
	off = append_pairs(e, cap, off, pairs, n, false, SIZE_MAX, "");
	if (n == 0 && off < cap)
		snprintf(e + off, cap - off, " no pair (no candidates)");
}

static void hp_event_cb(void *user, const hp_event *ev)
{
	conn *c = user;
	mc_daemon *d = c->d;
	char a[IKE_ADDR_STRLEN], b[IKE_ADDR_STRLEN];

	switch (ev->type) {
	case HP_EV_PAIR_VALID:
		mc__logc(d, IKE_LOG_DEBUG, c->alias, "pair valid %s -> %s",
		         mc__addr_s(&ev->path.local, a, sizeof a), mc__addr_s(&ev->path.remote, b, sizeof b));
		break;
	case HP_EV_PAIR_CHOSEN:
		c->path = ev->path;
		c->have_path = true;
		c->hp_done = true;
		c->relayed = ev->relayed;
		c->path_since = mc__now(d);
		c->rtt_ms = ev->rtt_ms;
		c->upgrades = 0; /* a new tunnel */
		c->have_direct_found = false;
		c->direct_error[0] = '\0';
		if (ev->relayed) {
			describe_direct(c, ev->pairs, ev->n_pairs);
			mc__relay_bind(d, &ev->path);
		}
		mc__logc(d, IKE_LOG_INFO, c->alias, "%s pair chosen %s -> %s after %llu ms",
		         ev->relayed ? "relayed" : "direct", mc__addr_s(&ev->path.local, a, sizeof a),
		         mc__addr_s(&ev->path.remote, b, sizeof b),
		         (unsigned long long)(mc__now(d) - c->sup.started));
		if (ev->relayed)
			mc__logc(d, IKE_LOG_INFO, c->alias, "no direct path yet: %s", c->direct_error);
		mc__conn_event(c, SUP_EV_PAIR_CHOSEN, NULL);
		if (c->sup.initiator)
			start_direct_sa(c, &ev->path);
		break;
	case HP_EV_DIRECT_VALID:
		/* A background check found a direct pair for a relayed tunnel: the
		 * initiator moves the tunnel (the responder follows its traffic). */
		mc__logc(d, IKE_LOG_INFO, c->alias, "background check: direct pair %s -> %s works (%u ms)",
		         mc__addr_s(&ev->path.local, a, sizeof a), mc__addr_s(&ev->path.remote, b, sizeof b),
		         ev->rtt_ms);
		if (!c->relayed || !c->sup.initiator || c->have_direct_found)
			break;
		c->direct_found = ev->path;
		c->have_direct_found = true;
		c->rtt_ms = ev->rtt_ms;
		if (c->sup.st == SUP_UP)
			mc__conn_upgrade(c, &ev->path);
		break;
	case HP_EV_FAILED:
		c->hp_done = true;
		mc__set_error(c, "no path through the NATs to %s: %s", c->alias,
		              ev->reason ? ev->reason : "checks failed");
		describe_pairs(c, ev->pairs, ev->n_pairs);
		mc__conn_fail(c, c->sup.why);
		break;
	}
}

/* The check session's log records: its user pointer is the connection. */
static void hp_log(void *user, const ike_log_rec *rec)
{
	conn *c = user;
	mc__log_rec(c->d, rec);
}

static int start_checks(conn *c)
{
	mc_daemon *d = c->d;
	hp_callbacks cb = {hp_send, hp_event_cb, hp_log};
	hp_config cfg;
	int rc;

	mc__conn_stop_checks(c);
	hp_config_defaults(&cfg);
	cfg.role = c->sup.initiator ? HP_INITIATOR : HP_RESPONDER;
	cfg.connect_id = c->cid;
	cfg.connect_id_len = HP_CONNECT_ID_LEN;
	cfg.initiator_key = c->key_i;
	cfg.initiator_key_len = HP_CONNECT_KEY_LEN;
	cfg.responder_key = c->key_r;
	cfg.responder_key_len = HP_CONNECT_KEY_LEN;
	cfg.local = c->local;
	cfg.n_local = c->n_local;
	cfg.remote = c->remote;
	cfg.n_remote = c->n_remote;
	cfg.log_max = d->log.max;
	cfg.tag = c->alias;
	cfg.keep_checking = true; /* a relayed tunnel moves to a direct pair when one works */
	mc__relay_permit(d, c->remote, c->n_remote);
	rc = hp_session_new(&c->hp, &cfg, &cb, c, mc__now(d));
	if (rc != IKE_OK) {
		mc__set_error(c, "cannot start the connectivity checks: %s", ike_strerror(rc));
		mc__conn_fail(c, c->sup.why);
		return rc;
	}
	return IKE_OK;
}

static void copy_remote(conn *c, const ike_me_connect *req)
{
	c->n_remote = 0;
	for (size_t i = 0; i < req->n_endpoints && c->n_remote < IKE_ME_EP_MAX; i++) {
		hp_candidate *h = &c->remote[c->n_remote++];
		memset(h, 0, sizeof *h);
		h->type = req->endpoints[i].type;
		h->priority = req->endpoints[i].priority;
		h->addr = req->endpoints[i].addr;
	}
}

/* Begins a mediated connection as the requester (the supervisor's SUP_DO_MEDIATE). */
void mc__mediate(conn *c)
{
	char hex[IKE_KEYID_HEX_LEN + 1];

	if (!c->pubkey_len) {
		mc__set_error(c,
		              "the public key of %s (KEY_ID %s) is not configured: it is needed to "
		              "authenticate the tunnel",
		              c->alias, ike_keyid_format(c->keyid, hex));
		mc__conn_fail(c, c->sup.why);
		return;
	}
	c->checks = 0;
	if (RAND_bytes(c->cid, sizeof c->cid) != 1 || RAND_bytes(c->key_i, sizeof c->key_i) != 1) {
		mc__conn_fail(c, "no random numbers");
		return;
	}
	memset(c->key_r, 0, sizeof c->key_r);
	gather_local(c);
	c->me_pending = true;
	c->me_retry_at = 0;
	c->me_relay_until = 0;
	if (mc__relay_wait(c->d)) {
		/* the allocation (released after a `down`, or being renewed) is on its
		 * way: the request waits for the relayed candidate, at most 1 s */
		c->me_relay_until = mc__now(c->d) + ME_RELAY_WAIT_MS;
		c->me_retry_at = c->me_relay_until;
		return;
	}
	mc__send_me_connect(c);
}

/* An ME_CONNECT request relayed by the server: a peer wants to reach us. */
static void on_peer_request(mc_daemon *d, const ike_me_connect *req, uint16_t *reply)
{
	conn *c = mc__conn_by_id(d, &req->peer);
	char hex[IKE_KEYID_HEX_LEN + 1] = "?";

	if (req->peer.type == IKE_ID_KEY_ID && req->peer.len == IKE_KEYID_LEN)
		ike_keyid_format(req->peer.data, hex);
	if (!c) {
		mc__logc(d, IKE_LOG_WARN, "medsrv", "refused a mediated connection from unknown KEY_ID %s",
		         hex);
		*reply = IKE_ME_CONNECT_FAILED;
		return;
	}
	if (!c->pubkey_len) {
		mc__logc(d, IKE_LOG_WARN, c->alias,
		         "refused a mediated connection: no public key configured for it");
		*reply = IKE_ME_CONNECT_FAILED;
		return;
	}
	if (!sup_accepts(&c->sup, memcmp(d->keyid, c->keyid, IKE_KEYID_LEN) < 0, mc__now(d))) {
		mc__logc(d, IKE_LOG_INFO, c->alias, "refused a mediated connection from the peer: %s",
		         c->sup.intent == SUP_INTENT_DOWN ? "taken down here (medcli up to allow it)"
		                                          : "both asked at once, and our request goes on");
		*reply = IKE_ME_CONNECT_FAILED;
		return;
	}
	if (req->connect_id_len != HP_CONNECT_ID_LEN || req->connect_key_len != HP_CONNECT_KEY_LEN) {
		mc__logc(d, IKE_LOG_WARN, c->alias,
		         "refused ME_CONNECT with a %u-byte connect ID and a %u-byte key",
		         req->connect_id_len, req->connect_key_len);
		*reply = IKE_ME_CONNECT_FAILED;
		return;
	}
	/* A new request replaces whatever we had with this peer (it may have
	 * restarted). It is answered, but it does not make us want the tunnel. */
	mc__conn_event(c, SUP_EV_PEER_REQUEST, NULL);
	c->checks = 0;
	memcpy(c->cid, req->connect_id, HP_CONNECT_ID_LEN);
	memcpy(c->key_i, req->connect_key, HP_CONNECT_KEY_LEN);
	if (RAND_bytes(c->key_r, sizeof c->key_r) != 1) {
		mc__conn_fail(c, "no random numbers");
		return;
	}
	copy_remote(c, req);
	(void)mc__relay_wait(d); /* for later: the peer's relayed candidate serves this one */
	gather_local(c);
	mc__logc(d, IKE_LOG_INFO, c->alias, "mediated connection requested by the peer (%zu candidates)",
	         c->n_remote);
	if (start_checks(c) != IKE_OK)
		return;
	c->me_pending = true; /* our response goes out after this engine call */
	c->me_retry_at = 0;
}

void mc__on_me_connect(mc_daemon *d, const ike_event *ev)
{
	const ike_me_connect *req = ev->u.me_connect.req;
	conn *c;

	if (!ike_sa_ref_eq(ev->sa, d->reg_sa)) {
		*ev->u.me_connect.reply = IKE_ME_CONNECT_FAILED; /* only the server mediates */
		return;
	}
	if (req->response) {
		c = mc__conn_by_cid(d, req->connect_id, req->connect_id_len);
		if (!c || !c->sup.initiator || c->sup.st != SUP_MEDIATING ||
		    req->connect_key_len != HP_CONNECT_KEY_LEN) {
			mc__logc(d, IKE_LOG_WARN, "medsrv",
			         "ME_CONNECT response for no request of ours: ignored");
			return;
		}
		memcpy(c->key_r, req->connect_key, HP_CONNECT_KEY_LEN);
		copy_remote(c, req);
		mc__logc(d, IKE_LOG_INFO, c->alias, "peer answered with %zu candidates after %llu ms",
		         c->n_remote, (unsigned long long)(mc__now(d) - c->sup.started));
		mc__conn_event(c, SUP_EV_ANSWERED, NULL);
		(void)start_checks(c);
		return;
	}
	if (req->callback && req->connect_id_len == 0) {
		c = mc__conn_by_id(d, &req->peer);
		if (c && sup_wanted(&c->sup) && c->sup.st != SUP_UP) {
			mc__logc(d, IKE_LOG_INFO, c->alias, "the peer came online: connecting");
			mc__conn_event(c, SUP_EV_PEER_ONLINE,
			               NULL); /* the ME_CONNECT goes out after this call */
		}
		return;
	}
	on_peer_request(d, req, ev->u.me_connect.reply);
}

void mc__on_me_reply(mc_daemon *d, const ike_event *ev)
{
	conn *c = d->me_inflight;
	char hex[IKE_KEYID_HEX_LEN + 1];

	d->me_inflight = NULL;
	if (!c || !ike_sa_ref_eq(ev->sa, d->reg_sa))
		return;
	if (ev->u.me_reply.notify == 0)
		return;
	if (!c->sup.initiator) {
		mc__set_error(c, "the server refused our ME_CONNECT response (notify %u)",
		              ev->u.me_reply.notify);
		mc__conn_fail(c, c->sup.why);
		return;
	}
	if (ev->u.me_reply.notify == IKE_ME_CONNECT_FAILED) {
		mc__set_error(
		    c,
		    "peer %s (KEY_ID %s) is not online at the mediation server; waiting for it to register",
		    c->alias, ike_keyid_format(c->keyid, hex));
		mc__logc(d, IKE_LOG_INFO, c->alias, "%s", c->sup.why);
		mc__conn_event(c, SUP_EV_PEER_OFFLINE, c->sup.why);
		return;
	}
	mc__set_error(c, "the mediation server refused ME_CONNECT (%s)",
	              ike_notify_name(ev->u.me_reply.notify));
	mc__conn_fail(c, c->sup.why);
}
