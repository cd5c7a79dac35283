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

static void relay_event(void *user, const turn_event *ev)
{
	mc_daemon *d = user;
	char a[IKE_ADDR_STRLEN], b[IKE_ADDR_STRLEN];

	switch (ev->type) {
	case TURN_EV_ALLOCATED:
		d->relay.mapped = ev->mapped;
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
		break;
	case TURN_EV_RELEASED:
		break;
	case TURN_EV_PERMISSION_OK:
	case TURN_EV_PERMISSION_FAILED:
	case TURN_EV_CHANNEL_BOUND:
	case TURN_EV_CHANNEL_FAILED:
	case TURN_EV_DATA:
		break; /* relayed pairs come with the connectivity checks over the relay */
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
	int rc;

	relay_free(d);
	d->relay.retry_at = 0;
	if (!d->have_turn || !d->socks.natt || d->turn.server.family != d->reg_local.family)
		return;
	turn_config_defaults(&cfg);
	cfg.server = d->turn.server;
	cfg.username = d->turn.user;
	cfg.password = d->turn.pass;
	cfg.software = "medcli";
	cfg.log_max = d->o->log_level;
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
	relay_start(d);
}

bool mc__relay_claim(void *user, ikeio_udp *sock, const ike_path *path, const uint8_t *pkt, size_t len)
{
	mc_daemon *d = user;

	(void)sock;
	if (!d->relay.c || !ike_addr_eq(&path->remote, &d->relay.server))
		return false;
	(void)turn_client_recv(d->relay.c, &path->remote, pkt, len, mc__now(d));
	return true;
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
