/* SPDX-License-Identifier: MIT */
/*
 * medcli/src/relay.c - the daemon's TURN allocation (issue 10): with the relay and
 * credential the mediation server handed us (N(ME_TURN)), one allocation on the
 * TURN server from our NAT-T socket, so the relayed address is the candidate of
 * last resort. The TURN client is sans-IO (turn/); this file owns its IO: what
 * the socket receives from the TURN server is claimed before the IKE/ESP
 * demultiplexing, its timers join the loop's deadline, a lost or refused
 * allocation is tried again with capped back-off (with the newest credential),
 * and the allocation is released when the daemon stops. Never a password in a log.
 */
#include <openssl/rand.h>

#include "mc_int.h"

#define RELAY_RETRY_MIN_MS 2000
#define RELAY_RETRY_MAX_MS 60000

static bool relay_allocated(const mc_daemon *d);
static void relay_settle(mc_daemon *d);

static int relay_send(void *user, const ike_addr *to, const uint8_t *pkt, size_t len)
{
	mc_daemon *d = user;
	ike_path p;

	memset(&p, 0, sizeof p);
	p.local = d->reg_local;
	p.local.port = ikeio_udp_local(d->socks.natt).port;
	p.remote = *to;
	return ikeio_udp_send_raw(d->socks.natt, &p, pkt, len) == IKE_OK ? 0 : -1;
}

static void relay_rand(void *user, uint8_t *out, size_t len)
{
	(void)user;
	if (RAND_bytes(out, (int)len) != 1)
		for (size_t i = 0; i < len; i++) /* transaction IDs only: never reached in practice */
			out[i] = (uint8_t)mc__rand32();
}

static void relay_retry_later(mc_daemon *d, const char *why)
{
	d->relay.retry_ms = d->relay.retry_ms ? d->relay.retry_ms * 2 : RELAY_RETRY_MIN_MS;
	if (d->relay.retry_ms > RELAY_RETRY_MAX_MS)
		d->relay.retry_ms = RELAY_RETRY_MAX_MS;
	d->relay.retry_at = mc__now(d) + d->relay.retry_ms;
	snprintf(d->relay.error, sizeof d->relay.error, "%s", why);
	mc__logc(d, IKE_LOG_WARN, "turn", "%s; allocating again in %llu ms", why,
	         (unsigned long long)d->relay.retry_ms);
}

/* ME_CONNECT requests that waited for the relayed candidate go out now (with it,
 * or without when the allocation failed). */
static void relay_release_waiters(mc_daemon *d)
{
	for (size_t i = 0; i < d->nconns; i++)
		if (d->conns[i].used && d->conns[i].me_pending && d->conns[i].me_relay_until)
			d->conns[i].me_retry_at = 0;
}

static void relay_event(void *user, const turn_event *ev)
{
	mc_daemon *d = user;
	char a[IKE_ADDR_STRLEN], b[IKE_ADDR_STRLEN];

	switch (ev->type) {
	case TURN_EV_ALLOCATED:
		d->relay.mapped = ev->mapped;
		d->relay.relayed = ev->relayed;
		relay_release_waiters(d);
		d->relay.retry_ms = 0;
		d->relay.error[0] = '\0';
		mc__logc(d, IKE_LOG_INFO, "turn", "relayed candidate %s (the relay sees us at %s), for %u s",
		         mc__addr_s(&ev->relayed, a, sizeof a), mc__addr_s(&ev->mapped, b, sizeof b),
		         ev->lifetime_s);
		break;
	case TURN_EV_REFRESHED:
		break;
	case TURN_EV_ALLOC_FAILED:
	case TURN_EV_LOST:
		relay_retry_later(d, ev->reason ? ev->reason : "the TURN allocation failed");
		d->relay.lost = true; /* relay_settle ends the tunnels through it */
		relay_release_waiters(d); /* they go without a relayed candidate */
		break;
	case TURN_EV_RELEASED:
		break;
	case TURN_EV_PERMISSION_FAILED:
		mc__logc(d, IKE_LOG_WARN, "turn", "the relay refused a permission for %s: %s",
		         mc__addr_s(&ev->peer, a, sizeof a), ev->reason ? ev->reason : "?");
		break;
	case TURN_EV_CHANNEL_FAILED:
		mc__logc(d, IKE_LOG_WARN, "turn", "the relay refused a channel to %s: %s (Send indications go on)",
		         mc__addr_s(&ev->peer, a, sizeof a), ev->reason ? ev->reason : "?");
		break;
	case TURN_EV_PERMISSION_OK:
		break;
	case TURN_EV_CHANNEL_BOUND:
		mc__logc(d, IKE_LOG_DEBUG, "turn", "channel 0x%04x bound to %s", ev->channel,
		         mc__addr_s(&ev->peer, a, sizeof a));
		break;
	case TURN_EV_DATA:
		/* No turn_client_* call may come from inside this callback, and what
		 * the peer sent may make us answer through the relay: it is kept and
		 * handed on once turn_client_recv has returned (mc__relay_claim). */
		if (ev->len > sizeof d->relay.rx || d->relay.rx_pending)
			break;
		memcpy(d->relay.rx, ev->data, ev->len);
		d->relay.rx_len = ev->len;
		d->relay.rx_peer = ev->peer;
		d->relay.rx_pending = true;
		break;
	}
}

static void relay_log(void *user, const ike_log_rec *rec)
{
	mc__log_rec(user, rec);
}

/* The client is done (closed) once its allocation failed, was lost or released. */
static bool relay_live(const mc_daemon *d)
{
	return d->relay.c && turn_client_state(d->relay.c) != TURN_ST_CLOSED;
}

static bool relay_allocated(const mc_daemon *d)
{
	return d->relay.c && turn_client_state(d->relay.c) == TURN_ST_ALLOCATED;
}

/* Releases the allocation on the relay, if there is one (sent now, the answer is
 * not awaited), and frees the client. */
static void relay_free(mc_daemon *d)
{
	if (relay_allocated(d))
		IGNORE_RC(turn_client_release(d->relay.c, mc__now(d)));
	turn_client_free(d->relay.c);
	d->relay.c = NULL;
}

/* Starts an allocation with the newest credential. */
static void relay_start(mc_daemon *d)
{
	turn_config cfg;
	turn_callbacks cb = {relay_send, relay_event, relay_rand, relay_log};
	bool had = relay_allocated(d);
	int rc;

	relay_free(d);
	if (had) { /* tunnels through the old relayed address have lost their path */
		d->relay.lost = true;
		relay_settle(d);
	}
	d->relay.retry_at = 0;
	if (!d->have_turn || !d->socks.natt || d->turn.server.family != d->reg_local.family)
		return;
	turn_config_defaults(&cfg);
	cfg.server = d->turn.server;
	cfg.username = d->turn.user;
	cfg.password = d->turn.pass;
	cfg.software = "medcli";
	cfg.log_max = d->o->log_level;
	/* A relay that does not answer is known within 10 s (RFC 8489's 39.5 s default
	 * is for a stranger's server; a tunnel waits on this one): transmissions at 0,
	 * 0.25, 0.75, 1.75, 3.75 and 7.75 s, given up 2 s after the last. */
	cfg.rto_ms = 250;
	cfg.max_tries = 6;
	cfg.rm = 8;
	/* A Refresh every 25 s keeps our NAT's mapping to the relay, and a dead
	 * relay shows in status within 35 s even with no tunnel on it. */
	cfg.keepalive_ms = 25000;
	rc = turn_client_new(&d->relay.c, &cfg, &cb, d, mc__now(d));
	if (rc == IKE_OK)
		rc = turn_client_allocate(d->relay.c, mc__now(d));
	if (rc != IKE_OK) {
		relay_free(d);
		relay_retry_later(d, ike_strerror(rc));
	}
}

void mc__relay_credential(mc_daemon *d)
{
	/* A new credential for the same relay while the allocation lives: the
	 * allocation goes on (its refreshes are accepted until the old credential
	 * expires); when it is lost, the newest credential allocates again. */
	if (relay_live(d) && ike_addr_eq(&d->relay.server, &d->turn.server))
		return;
	d->relay.server = d->turn.server;
	d->relay.retry_ms = 0;
	if (!d->relay.parked)
		relay_start(d);
}

/* After a turn_client call: a tunnel through the allocation that was just lost
 * has no path any more (outside the client's callbacks: ending it sends). */
static void relay_settle(mc_daemon *d)
{
	if (!d->relay.lost)
		return;
	d->relay.lost = false;
	for (size_t i = 0; i < d->nconns; i++) {
		conn *c = &d->conns[i];
		if (c->used && c->have_path && c->sup.st == SUP_UP && c->relayed &&
		    ike_addr_eq(&c->path.local, &d->relay.relayed)) {
			mc__set_error(c, "the tunnel's TURN relay is lost (%s)",
			              d->relay.error[0] ? d->relay.error : "the allocation was given up");
			mc__logc(d, IKE_LOG_WARN, c->alias, "%s", c->sup.why);
			mc__conn_event(c, SUP_EV_TUNNEL_DEAD, c->sup.why);
		}
	}
}

bool mc__relay_claim(void *user, ikeio_udp *sock, const ike_path *path, const uint8_t *pkt, size_t len)
{
	mc_daemon *d = user;

	if (!d->relay.c || !ike_addr_eq(&path->remote, &d->relay.server))
		return false;
	(void)turn_client_recv(d->relay.c, &path->remote, pkt, len, mc__now(d));
	if (d->relay.rx_pending) { /* set by relay_event, for this datagram only */
		d->relay.rx_pending = false;
		if (relay_allocated(d)) {
			/* what a peer sent to our relayed address: IKE, ESP or a keepalive,
			 * demultiplexed like a datagram to our NAT-T port */
			ike_path rp = {*turn_client_relayed(d->relay.c), d->relay.rx_peer};
			ikeio_udp_inject(sock, &rp, d->relay.rx, d->relay.rx_len);
		}
	}
	relay_settle(d);
	ikeio_driver_rearm(d->drv); /* an allocation may release waiting requests */
	return true;
}

bool mc__relay_owns(const mc_daemon *d, const ike_addr *local)
{
	return relay_allocated(d) && ike_addr_eq(local, turn_client_relayed(d->relay.c));
}

/* Whether the relay can reach peer: a relay on the internet cannot reach a
 * private network (and coturn ends the whole allocation when a send to one fails
 * with "network unreachable"), so private peers are only for a private relay. */
static bool relay_reaches(const mc_daemon *d, const ike_addr *peer)
{
	return !ikeio_addr_is_private(peer) || ikeio_addr_is_private(&d->relay.server);
}

/* Sends data to peer from our relayed address, asking for the permission first
 * (data before the relay confirms it is dropped there; checks are retransmitted). */
static int relay_send_to(mc_daemon *d, const ike_addr *peer, const uint8_t *pkt, size_t len)
{
	int rc;

	if (!relay_reaches(d, peer))
		return IKE_ERR_POLICY;
	rc = turn_client_send(d->relay.c, peer, pkt, len, mc__now(d));

	if (rc == IKE_ERR_NOT_FOUND && turn_client_permit(d->relay.c, peer, mc__now(d)) == IKE_OK)
		rc = turn_client_send(d->relay.c, peer, pkt, len, mc__now(d));
	return rc;
}

int mc__xmit(mc_daemon *d, const ike_path *path, mc_xmit_kind kind, const uint8_t *pkt, size_t len)
{
	static const uint8_t keepalive = 0xff;

	if (mc__relay_owns(d, &path->local)) {
		/* The peer's NAT-T socket (or its relay) demultiplexes what arrives. */
		switch (kind) {
		case MC_XMIT_IKE:
			if (len > sizeof d->relay.tx - 4)
				return IKE_ERR_INVAL;
			memset(d->relay.tx, 0, 4); /* non-ESP marker */
			memcpy(d->relay.tx + 4, pkt, len);
			return relay_send_to(d, &path->remote, d->relay.tx, len + 4);
		case MC_XMIT_RAW:
			return relay_send_to(d, &path->remote, pkt, len);
		case MC_XMIT_KEEPALIVE:
			return relay_send_to(d, &path->remote, &keepalive, 1);
		}
		return IKE_ERR_INVAL;
	}
	switch (kind) {
	case MC_XMIT_IKE:
		return ikeio_udp_pair_send(&d->socks, path, pkt, len);
	case MC_XMIT_RAW:
		return ikeio_udp_send_raw(d->socks.natt, path, pkt, len);
	case MC_XMIT_KEEPALIVE:
		return ikeio_udp_send_keepalive(d->socks.natt, path);
	}
	return IKE_ERR_INVAL;
}

/* Our relayed candidate, when the allocation stands: the lowest priority (ICE). */
bool mc__relay_candidate(const mc_daemon *d, hp_candidate *out)
{
	if (!relay_allocated(d))
		return false;
	memset(out, 0, sizeof *out);
	out->type = HP_CAND_RELAYED;
	out->priority = hp_candidate_priority(HP_CAND_RELAYED);
	out->addr = *turn_client_relayed(d->relay.c);
	return true;
}

/* The relay forwards only from IPs we permitted (RFC 8656 9): every address the
 * peer sent may check us through it (a peer-reflexive port on the same IP is
 * covered, permissions are per IP). */
void mc__relay_permit(mc_daemon *d, const hp_candidate *remote, size_t n)
{
	char a[IKE_ADDR_STRLEN];

	if (!relay_allocated(d))
		return;
	for (size_t i = 0; i < n; i++) {
		int rc;
		if (remote[i].addr.family != d->relay.relayed.family || !relay_reaches(d, &remote[i].addr))
			continue;
		rc = turn_client_permit(d->relay.c, &remote[i].addr, mc__now(d));
		if (rc != IKE_OK)
			mc__logc(d, IKE_LOG_WARN, "turn", "no permission for %s on the relay: %s",
			         mc__addr_s(&remote[i].addr, a, sizeof a), ike_strerror(rc));
	}
}

/* The tunnel goes through our relayed address on path: a channel to the peer, so
 * its ESP carries 4 bytes of framing instead of a Send indication's 36. */
void mc__relay_bind(mc_daemon *d, const ike_path *path)
{
	uint16_t ch;
	char a[IKE_ADDR_STRLEN];
	int rc;

	if (!mc__relay_owns(d, &path->local))
		return;
	rc = turn_client_bind_channel(d->relay.c, &path->remote, &ch, mc__now(d));
	if (rc != IKE_OK)
		mc__logc(d, IKE_LOG_WARN, "turn", "no channel to %s on the relay: %s (Send indications go on)",
		         mc__addr_s(&path->remote, a, sizeof a), ike_strerror(rc));
}

/* A tunnel through our relayed address died: the relay may be gone. A fresh
 * allocation tells (its failure is in status within 10 s); the next attempt
 * offers the new relayed candidate, or none. */
void mc__relay_suspect(mc_daemon *d, const char *why)
{
	if (!d->have_turn)
		return;
	if (d->relay.parked)
		return;
	mc__logc(d, IKE_LOG_WARN, "turn", "%s: allocating again on the relay", why);
	d->relay.retry_ms = 0;
	relay_start(d);
	snprintf(d->relay.error, sizeof d->relay.error, "%s", why);
}

/* Whether a connection needs the relay: wanted by someone, or running. */
static bool relay_needed(const mc_daemon *d)
{
	for (size_t i = 0; i < d->nconns; i++) {
		const conn *c = &d->conns[i];
		if (c->used && (sup_wanted(&c->sup) || c->sup.st != SUP_DOWN))
			return true;
	}
	return false;
}

/* `down` left no connection that wants a tunnel or has one: the allocation is
 * released on the relay (it is made again at the next mediation). */
void mc__relay_after_down(mc_daemon *d)
{
	if (!d->relay.c || d->relay.parked || relay_needed(d))
		return;
	mc__logc(d, IKE_LOG_INFO, "turn", "no connection needs the relay any more: releasing the allocation");
	relay_free(d);
	d->relay.retry_at = 0;
	d->relay.parked = true;
}

/* A mediation starts. Returns true when the relayed candidate is on its way
 * (allocating): the ME_CONNECT request waits for it, up to ME_RELAY_WAIT_MS. */
bool mc__relay_wait(mc_daemon *d)
{
	if (!d->have_turn)
		return false;
	if (d->relay.parked) {
		d->relay.parked = false;
		d->relay.retry_ms = 0;
		mc__logc(d, IKE_LOG_INFO, "turn", "a connection is wanted: allocating on the relay again");
		relay_start(d);
	}
	return relay_live(d) && !relay_allocated(d);
}

bool mc__path_relayed(const conn *c, const ike_path *path)
{
	if (mc__relay_owns(c->d, &path->local))
		return true;
	for (size_t i = 0; i < c->n_remote; i++)
		if (c->remote[i].type == HP_CAND_RELAYED && ike_addr_ip_eq(&c->remote[i].addr, &path->remote))
			return true;
	return false;
}

/* A live client's timers; a closed one (failed, lost) waits for retry_at, which
 * only relay_start clears or moves: a deadline in the past is always consumed. */
ike_ms mc__relay_deadline(const mc_daemon *d)
{
	if (relay_live(d))
		return turn_client_next_deadline(d->relay.c);
	return d->relay.retry_at ? d->relay.retry_at : IKE_NEVER;
}

void mc__relay_tick(mc_daemon *d, ike_ms now)
{
	if (relay_live(d)) {
		(void)turn_client_tick(d->relay.c, now);
		relay_settle(d);
		return;
	}
	if (d->relay.retry_at && now >= d->relay.retry_at)
		relay_start(d); /* clears retry_at, or sets a later one */
}

void mc__relay_stop(mc_daemon *d)
{
	relay_free(d);
	d->relay.retry_at = 0;
}

json_t *mc__relay_json(const mc_daemon *d)
{
	char a[IKE_ADDR_STRLEN], b[IKE_ADDR_STRLEN];
	json_t *o;

	if (!d->have_turn)
		return NULL;
	o = json_pack("{s:s, s:s, s:I, s:s}", "server", mc__addr_s(&d->turn.server, a, sizeof a), "user",
	              d->turn.user, "expires", (json_int_t)d->turn.expires, "state",
	              relay_live(d)       ? turn_state_name(turn_client_state(d->relay.c))
	              : d->relay.retry_at ? "retrying"
	              : d->relay.parked   ? "released"
	                                  : "none");
	if (o && relay_allocated(d)) {
		json_object_set_new(o, "relayed",
		                    json_string(mc__addr_s(turn_client_relayed(d->relay.c), a, sizeof a)));
		json_object_set_new(o, "mapped", json_string(mc__addr_s(&d->relay.mapped, b, sizeof b)));
	}
	if (o && d->relay.error[0])
		json_object_set_new(o, "error", json_string(d->relay.error));
	return o;
}
