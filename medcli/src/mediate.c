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
}

void mc__reg_start(mc_daemon *d)
{
	ike_peer_cfg p;
	char a[IKE_ADDR_STRLEN];
	int rc;

	if (!d->have_server || ike_sa_ref_valid(d->reg_sa))
		return;
	reg_peer_cfg(d, &p);
	rc = ike_engine_initiate(d->eng, &p, mc__now(d), &d->reg_sa);
	if (rc != IKE_OK) {
		snprintf(d->reg_error, sizeof d->reg_error, "cannot start the registration: %s",
		         ike_strerror(rc));
		mc__logc(d, IKE_LOG_ERROR, "medsrv", "%s", d->reg_error);
		d->reg_retry_at = mc__now(d) + 5000;
		return;
	}
	mc__logc(d, IKE_LOG_INFO, "medsrv", "registering at %s", mc__addr_s(&d->srv, a, sizeof a));
}

void mc__reg_down(mc_daemon *d, const char *why)
{
	d->registered = false;
	d->have_srflx = false;
	d->reg_sa = (ike_sa_ref){0, 0};
	d->me_inflight = NULL;
	d->reg_backoff_s = d->reg_backoff_s ? d->reg_backoff_s * 2 : 1;
	if (d->reg_backoff_s > REG_BACKOFF_MAX_S)
		d->reg_backoff_s = REG_BACKOFF_MAX_S;
	d->reg_retry_at = mc__now(d) + (ike_ms)d->reg_backoff_s * 1000;
	snprintf(d->reg_error, sizeof d->reg_error, "%s", why);
	mc__logc(d, IKE_LOG_WARN, "medsrv", "not registered: %s; retrying in %u s", why, d->reg_backoff_s);
	for (size_t i = 0; i < d->nconns; i++) {
		conn *c = &d->conns[i];
		if (c->st == C_MEDIATING && !c->me_pending) {
			c->me_pending = true; /* send again once registered */
			c->me_retry_at = 0;
		}
	}
}

/* ---- mediation ---- */

static void gather_local(conn *c)
{
	mc_daemon *d = c->d;
	ike_addr hosts[MC_MAX_CAND];
	size_t n = mc_gather_hosts(d->o->ifname, d->o->natt_port, hosts, MC_MAX_CAND - 1);

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
}

static void fill_me_connect(conn *c, ike_me_connect *m)
{
	memset(m, 0, sizeof *m);
	m->peer.type = IKE_ID_KEY_ID;
	m->peer.len = IKE_KEYID_LEN;
	memcpy(m->peer.data, c->keyid, IKE_KEYID_LEN);
	memcpy(m->connect_id, c->cid, HP_CONNECT_ID_LEN);
	m->connect_id_len = HP_CONNECT_ID_LEN;
	memcpy(m->connect_key, c->initiator ? c->key_i : c->key_r, HP_CONNECT_KEY_LEN);
	m->connect_key_len = HP_CONNECT_KEY_LEN;
	m->callback = c->initiator;
	m->response = !c->initiator;
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
	fill_me_connect(c, &m);
	rc = ike_engine_me_connect(d->eng, d->reg_sa, &m, mc__now(d));
	if (rc == IKE_ERR_STATE) {
		c->me_retry_at = mc__now(d) + ME_RETRY_MS;
		return;
	}
	if (rc != IKE_OK) {
		mc__set_error(c, "could not send ME_CONNECT to the mediation server: %s", ike_strerror(rc));
		mc__conn_fail(c, c->error);
		return;
	}
	c->me_pending = false;
	d->me_inflight = c;
	mc__logc(d, IKE_LOG_INFO, c->alias, "ME_CONNECT %s sent with %zu candidates",
	         c->initiator ? "request" : "response", c->n_local);
}

static int hp_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	conn *c = user;
	c->checks++;
	return ikeio_udp_send_ike(c->d->socks.natt, path, pkt, len);
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
		mc__conn_fail(c, c->error);
		return;
	}
	mc__logc(d, IKE_LOG_INFO, c->alias, "direct IKE_SA %s -> %s", mc__addr_s(&path->local, a, sizeof a),
	         mc__addr_s(&path->remote, b, sizeof b));
}

static void describe_pairs(conn *c, const hp_pair_info *pairs, size_t n)
{
	size_t off = strlen(c->error);

	off += (size_t)snprintf(c->error + off, off < sizeof c->error ? sizeof c->error - off : 0, "; tried");
	for (size_t i = 0; i < n && off < sizeof c->error; i++) {
		char a[IKE_ADDR_STRLEN], b[IKE_ADDR_STRLEN];
		off += (size_t)snprintf(c->error + off, sizeof c->error - off, "%s %s->%s (%s, %u sent)",
		                        i ? "," : "", mc__addr_s(&pairs[i].path.local, a, sizeof a),
		                        mc__addr_s(&pairs[i].path.remote, b, sizeof b),
		                        hp_pair_state_name(pairs[i].state), pairs[i].sent);
	}
	if (n == 0 && off < sizeof c->error)
		snprintf(c->error + off, sizeof c->error - off, " no pair (no candidates)");
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
		mc__logc(d, IKE_LOG_INFO, c->alias, "pair chosen %s -> %s after %llu ms",
		         mc__addr_s(&ev->path.local, a, sizeof a), mc__addr_s(&ev->path.remote, b, sizeof b),
		         (unsigned long long)(mc__now(d) - c->started));
		c->st = C_CONNECTING;
		if (c->initiator)
			start_direct_sa(c, &ev->path);
		break;
	case HP_EV_FAILED:
		c->hp_done = true;
		mc__set_error(c, "no path through the NATs to %s: %s", c->alias,
		              ev->reason ? ev->reason : "checks failed");
		describe_pairs(c, ev->pairs, ev->n_pairs);
		c->st = C_FAILED;
		c->want_up = false;
		mc__logc(d, IKE_LOG_WARN, c->alias, "%s", c->error);
		break;
	}
}

static int start_checks(conn *c)
{
	mc_daemon *d = c->d;
	hp_callbacks cb = {hp_send, hp_event_cb, mc__log_rec};
	hp_config cfg;
	int rc;

	mc__conn_stop_checks(c);
	hp_config_defaults(&cfg);
	cfg.role = c->initiator ? HP_INITIATOR : HP_RESPONDER;
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
	rc = hp_session_new(&c->hp, &cfg, &cb, c, mc__now(d));
	if (rc != IKE_OK) {
		mc__set_error(c, "cannot start the connectivity checks: %s", ike_strerror(rc));
		mc__conn_fail(c, c->error);
		return rc;
	}
	c->st = C_CHECKING;
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

/* Begins a mediated connection as the initiator. */
void mc__conn_start(conn *c)
{
	mc_daemon *d = c->d;

	mc__conn_reset(c, C_MEDIATING);
	c->error[0] = '\0';
	c->initiator = true;
	c->checks = 0;
	c->started = mc__now(d);
	c->deadline = c->started + (ike_ms)d->o->up_timeout_s * 1000;
	c->up_ms = 0;
	if (RAND_bytes(c->cid, sizeof c->cid) != 1 || RAND_bytes(c->key_i, sizeof c->key_i) != 1) {
		mc__conn_fail(c, "no random numbers");
		return;
	}
	memset(c->key_r, 0, sizeof c->key_r);
	gather_local(c);
	c->me_pending = true;
	c->me_retry_at = 0;
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
	if (req->connect_id_len != HP_CONNECT_ID_LEN || req->connect_key_len != HP_CONNECT_KEY_LEN) {
		mc__logc(d, IKE_LOG_WARN, c->alias,
		         "refused ME_CONNECT with a %u-byte connect ID and a %u-byte key",
		         req->connect_id_len, req->connect_key_len);
		*reply = IKE_ME_CONNECT_FAILED;
		return;
	}
	/* A new request replaces whatever we had with this peer (it may have restarted). */
	mc__conn_reset(c, C_CHECKING);
	c->error[0] = '\0';
	c->initiator = false;
	c->want_up = true;
	c->checks = 0;
	c->started = mc__now(d);
	c->deadline = c->started + (ike_ms)d->o->up_timeout_s * 1000;
	memcpy(c->cid, req->connect_id, HP_CONNECT_ID_LEN);
	memcpy(c->key_i, req->connect_key, HP_CONNECT_KEY_LEN);
	if (RAND_bytes(c->key_r, sizeof c->key_r) != 1) {
		mc__conn_fail(c, "no random numbers");
		return;
	}
	copy_remote(c, req);
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
		if (!c || !c->initiator || c->st != C_MEDIATING ||
		    req->connect_key_len != HP_CONNECT_KEY_LEN) {
			mc__logc(d, IKE_LOG_WARN, "medsrv",
			         "ME_CONNECT response for no request of ours: ignored");
			return;
		}
		memcpy(c->key_r, req->connect_key, HP_CONNECT_KEY_LEN);
		copy_remote(c, req);
		mc__logc(d, IKE_LOG_INFO, c->alias, "peer answered with %zu candidates after %llu ms",
		         c->n_remote, (unsigned long long)(mc__now(d) - c->started));
		(void)start_checks(c);
		return;
	}
	if (req->callback && req->connect_id_len == 0) {
		c = mc__conn_by_id(d, &req->peer);
		if (c && c->st == C_WAITING && c->want_up) {
			mc__logc(d, IKE_LOG_INFO, c->alias, "the peer came online: connecting");
			c->retry_at = mc__now(d); /* mc__conn_start after this engine call */
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
	if (!c->initiator) {
		mc__set_error(c, "the server refused our ME_CONNECT response (notify %u)",
		              ev->u.me_reply.notify);
		mc__conn_fail(c, c->error);
		return;
	}
	if (ev->u.me_reply.notify == IKE_ME_CONNECT_FAILED) {
		mc__conn_reset(c, C_WAITING);
		mc__set_error(
		    c,
		    "peer %s (KEY_ID %s) is not online at the mediation server; waiting for it to register",
		    c->alias, ike_keyid_format(c->keyid, hex));
		mc__logc(d, IKE_LOG_INFO, c->alias, "%s", c->error);
		return;
	}
	mc__set_error(c, "the mediation server refused ME_CONNECT (%s)",
	              ike_notify_name(ev->u.me_reply.notify));
	mc__conn_fail(c, c->error);
}
