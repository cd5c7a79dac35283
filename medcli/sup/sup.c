/* SPDX-License-Identifier: MIT */
/*
 * medcli/sup/sup.c - the connection supervisor (sup.h): intent, attempts, back-off,
 * the send-without-receive check. Every deadline it reports is one that sup_tick
 * moves or clears.
 */
#include <stdio.h>
#include <string.h>

#include "sup.h"

static const char *const names[] = {"down",       "mediating", "waiting", "checking",
                                    "connecting", "up",        "retrying"};

const char *sup_state_name(sup_state st)
{
	return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

void sup_cfg_defaults(sup_cfg *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->attempt_ms = 10000;
	cfg->backoff_min_ms = 1000;
	cfg->backoff_max_ms = 30000;
	cfg->recheck_ms = 60000;
	cfg->probe_after_ms = 2000;
	cfg->sample_ms = 1000;
	cfg->cross_ms = 1000;
	cfg->start = SUP_START_MANUAL;
}

static ike_ms at_least_1(ike_ms v)
{
	return v ? v : 1;
}

static bool in_attempt(sup_state st)
{
	return st == SUP_MEDIATING || st == SUP_CHECKING || st == SUP_CONNECTING;
}

static void set_why(sup *s, const char *why)
{
	if (why && why != s->why)
		snprintf(s->why, sizeof s->why, "%s", why);
}

void sup_init(sup *s, const sup_cfg *cfg, ike_ms now)
{
	memset(s, 0, sizeof *s);
	s->cfg = *cfg;
	s->cfg.attempt_ms = at_least_1(s->cfg.attempt_ms);
	s->cfg.backoff_min_ms = at_least_1(s->cfg.backoff_min_ms);
	if (s->cfg.backoff_max_ms < s->cfg.backoff_min_ms)
		s->cfg.backoff_max_ms = s->cfg.backoff_min_ms;
	s->cfg.recheck_ms = at_least_1(s->cfg.recheck_ms);
	s->cfg.probe_after_ms = at_least_1(s->cfg.probe_after_ms);
	s->cfg.sample_ms = at_least_1(s->cfg.sample_ms);
	s->backoff_ms = s->cfg.backoff_min_ms;
	s->st = SUP_DOWN;
	sup_set_start(s, s->cfg.start, now); /* start = always: the first tick starts it */
}

void sup_set_start(sup *s, sup_start start, ike_ms now)
{
	s->cfg.start = start;
	if (s->st == SUP_DOWN && sup_wanted(s)) {
		s->st = SUP_RETRYING;
		s->retry_at = now ? now : 1; /* 0 is "none" */
	}
}

void sup_set_intent(sup *s, sup_intent intent, ike_ms now)
{
	s->intent = intent;
	sup_set_start(s, s->cfg.start, now);
}

bool sup_wanted(const sup *s)
{
	switch (s->intent) {
	case SUP_INTENT_UP:
		return true;
	case SUP_INTENT_DOWN:
		return false;
	case SUP_INTENT_NONE:
		break;
	}
	return s->cfg.start == SUP_START_ALWAYS || (s->cfg.start == SUP_START_ON_DEMAND && s->demanded);
}

bool sup_accepts(const sup *s, bool we_win, ike_ms now)
{
	if (s->intent == SUP_INTENT_DOWN)
		return false;
	/* Both asked at once: the smaller KEY_ID's request goes on, the other side answers it. */
	if (we_win && s->initiator && s->st == SUP_CHECKING)
		return false;
	if (we_win && s->initiator && s->st == SUP_MEDIATING && s->asked_at &&
	    now - s->asked_at < s->cfg.cross_ms)
		return false;
	return true;
}

/* A fresh attempt as requester. */
static unsigned attempt(sup *s, ike_ms now)
{
	s->st = SUP_MEDIATING;
	s->initiator = true;
	s->started = now;
	s->asked_at = 0;
	s->deadline = now + s->cfg.attempt_ms;
	s->retry_at = 0;
	s->attempts++;
	s->why[0] = '\0';
	return SUP_DO_ABORT | SUP_DO_MEDIATE;
}

static unsigned go_down(sup *s)
{
	s->st = SUP_DOWN;
	s->deadline = 0;
	s->retry_at = 0;
	s->restoring = false;
	return SUP_DO_ABORT;
}

/* The next retry after a failure: back-off with +-20 % jitter, doubling up to the cap. */
static unsigned retry_later(sup *s, ike_ms now, uint32_t rnd)
{
	ike_ms b = s->backoff_ms;
	ike_ms jitter = b / 5;
	ike_ms wait = b - jitter + (jitter ? (ike_ms)(((uint64_t)rnd * (2 * jitter + 1)) >> 32) : 0);

	s->st = SUP_RETRYING;
	s->deadline = 0;
	s->retry_at = now + at_least_1(wait);
	s->failures++;
	s->backoff_ms = b * 2 > s->cfg.backoff_max_ms ? s->cfg.backoff_max_ms : b * 2;
	return SUP_DO_ABORT;
}

/* An attempt (or the tunnel) ended badly: retry while wanted, else rest. */
static unsigned failed(sup *s, const char *why, ike_ms now, uint32_t rnd)
{
	set_why(s, why);
	if (sup_wanted(s))
		return retry_later(s, now, rnd);
	return go_down(s);
}

static void tunnel_up(sup *s, ike_ms now)
{
	s->st = SUP_UP;
	s->deadline = 0;
	s->retry_at = 0;
	s->backoff_ms = s->cfg.backoff_min_ms;
	s->failures = 0;
	s->restoring = false;
	s->up_at = now;
	s->why[0] = '\0';
	s->sample_at = now + s->cfg.sample_ms;
	s->have_last = false;
	s->rx_moved = now;
	s->tx_moved = 0;
	s->probed = false;
}

unsigned sup_event(sup *s, sup_ev_type ev, const char *why, ike_ms now, uint32_t rnd)
{
	switch (ev) {
	case SUP_EV_USER_UP:
		s->intent = SUP_INTENT_UP;
		s->backoff_ms = s->cfg.backoff_min_ms;
		if (s->st == SUP_DOWN || s->st == SUP_RETRYING || s->st == SUP_WAITING)
			return attempt(s, now);
		return 0;
	case SUP_EV_USER_DOWN:
		s->intent = SUP_INTENT_DOWN;
		s->demanded = false;
		s->why[0] = '\0';
		return go_down(s);
	case SUP_EV_TRAFFIC:
		if (s->cfg.start != SUP_START_ON_DEMAND || s->intent == SUP_INTENT_DOWN)
			return 0;
		s->demanded = true;
		if (s->st == SUP_DOWN)
			return attempt(s, now);
		return 0;
	case SUP_EV_REGISTERED:
		s->registered = true;
		/* A callback interest lived in the old registration: ask again. */
		if ((s->st == SUP_WAITING || s->st == SUP_RETRYING) && sup_wanted(s)) {
			s->backoff_ms = s->cfg.backoff_min_ms;
			return attempt(s, now);
		}
		return 0;
	case SUP_EV_UNREGISTERED:
		s->registered = false;
		return 0;
	case SUP_EV_PEER_OFFLINE:
		if (s->st != SUP_MEDIATING)
			return 0;
		set_why(s, why ? why : "the peer is not online at the mediation server");
		if (!sup_wanted(s))
			return go_down(s);
		s->st = SUP_WAITING;
		s->deadline = 0;
		s->retry_at = now + s->cfg.recheck_ms;
		return SUP_DO_ABORT;
	case SUP_EV_PEER_ONLINE:
		/* The server's ME_CALLBACK: the peer (re-)registered. */
		if (sup_wanted(s) &&
		    (s->st == SUP_WAITING || s->st == SUP_RETRYING || s->st == SUP_MEDIATING)) {
			s->backoff_ms = s->cfg.backoff_min_ms;
			return attempt(s, now);
		}
		return 0;
	case SUP_EV_PEER_REQUEST:
		s->st = SUP_CHECKING;
		s->initiator = false;
		s->restoring = false;
		s->started = now;
		s->deadline = now + s->cfg.attempt_ms;
		s->retry_at = 0;
		s->why[0] = '\0';
		return SUP_DO_ABORT | SUP_DO_ACCEPT;
	case SUP_EV_ASKED:
		if (s->st == SUP_MEDIATING && s->initiator)
			s->asked_at = now ? now : 1;
		return 0;
	case SUP_EV_ANSWERED:
		if (s->st == SUP_MEDIATING)
			s->st = SUP_CHECKING;
		return 0;
	case SUP_EV_PAIR_CHOSEN:
		if (s->st == SUP_CHECKING)
			s->st = SUP_CONNECTING;
		return 0;
	case SUP_EV_TUNNEL_UP:
		tunnel_up(s, now);
		return 0;
	case SUP_EV_PEER_DELETED:
		if (s->st == SUP_DOWN)
			return 0;
		set_why(s, why ? why : "the peer deleted the tunnel");
		if (!sup_wanted(s))
			return go_down(s);
		/* The peer stops or restarts: give it a moment, then ask again. */
		s->backoff_ms = s->cfg.backoff_min_ms;
		return retry_later(s, now, rnd);
	case SUP_EV_TUNNEL_DEAD:
		if (s->st == SUP_DOWN)
			return 0;
		set_why(s, why ? why : "the tunnel died");
		if (!sup_wanted(s))
			return go_down(s);
		if (s->st == SUP_UP) /* it worked a moment ago: mediate again at once */
			return attempt(s, now);
		return retry_later(s, now, rnd);
	case SUP_EV_FAILED:
		if (s->st == SUP_DOWN || s->st == SUP_RETRYING || s->st == SUP_WAITING)
			return 0;
		return failed(s, why, now, rnd);
	case SUP_EV_ENDPOINT_CHANGED:
		/* The old pairs are dead: what was up or on its way is mediated again
		 * with the new endpoint at once, wanted or not (the peer wanted it). */
		if (s->st == SUP_UP || in_attempt(s->st)) {
			if (!sup_wanted(s))
				s->restoring = true;
			return attempt(s, now);
		}
		if (sup_wanted(s) && (s->st == SUP_RETRYING || s->st == SUP_WAITING))
			return attempt(s, now);
		return 0;
	}
	return 0;
}

static const char *timeout_why(const sup *s, char *buf, size_t len)
{
	unsigned secs = (unsigned)((s->cfg.attempt_ms + 999) / 1000);

	switch (s->st) {
	case SUP_MEDIATING:
		snprintf(buf, len, "%s within %u s",
		         s->registered ? "the peer did not answer through the mediation server"
		                       : "not registered at the mediation server",
		         secs);
		break;
	case SUP_CONNECTING:
		snprintf(buf, len, "the direct IKE_SA did not come up within %u s", secs);
		break;
	default:
		snprintf(buf, len, "no path through the NATs within %u s", secs);
		break;
	}
	return buf;
}

unsigned sup_tick(sup *s, ike_ms now, const sup_traffic *tr, uint32_t rnd)
{
	char buf[128];

	if (in_attempt(s->st) && s->deadline && now >= s->deadline)
		return failed(s, timeout_why(s, buf, sizeof buf), now, rnd);
	if ((s->st == SUP_RETRYING || s->st == SUP_WAITING) && s->retry_at && now >= s->retry_at) {
		if (sup_wanted(s))
			return attempt(s, now);
		return go_down(s);
	}
	if (s->st == SUP_UP && now >= s->sample_at) {
		unsigned act = 0;

		s->sample_at = now + s->cfg.sample_ms;
		if (!tr)
			return 0;
		if (s->have_last) {
			if (tr->in != s->last.in) {
				s->rx_moved = now;
				s->probed = false;
			} else if (tr->out != s->last.out) {
				s->tx_moved = now;
			}
			if (!s->probed && s->tx_moved > s->rx_moved &&
			    now - s->rx_moved >= s->cfg.probe_after_ms) {
				s->probed = true;
				act = SUP_DO_PROBE;
			}
		}
		s->last = *tr;
		s->have_last = true;
		return act;
	}
	return 0;
}

ike_ms sup_next_deadline(const sup *s)
{
	if (in_attempt(s->st) && s->deadline)
		return s->deadline;
	if ((s->st == SUP_RETRYING || s->st == SUP_WAITING) && s->retry_at)
		return s->retry_at;
	if (s->st == SUP_UP)
		return s->sample_at;
	return IKE_NEVER;
}

int64_t sup_retry_in(const sup *s, ike_ms now)
{
	if ((s->st != SUP_RETRYING && s->st != SUP_WAITING) || !s->retry_at)
		return -1;
	return s->retry_at > now ? (int64_t)(s->retry_at - now) : 0;
}
