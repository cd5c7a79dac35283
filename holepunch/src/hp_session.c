/* SPDX-License-Identifier: MIT */
/*
 * The checklist of one mediated connection. The behaviour follows strongSwan's
 * src/libcharon/sa/ikev2/connect_manager.c (build_pairs, prune_pairs, sender,
 * retransmit, process_request, process_response, update_checklist_state), with three
 * deliberate differences: the initiator nominates after nominate_wait_ms instead of
 * strongSwan's fixed 1000 ms, the session reports FAILED after fail_after_ms instead
 * of going silent, and candidates and pairs are limited.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hp_internal.h"

typedef struct pair {
	uint32_t id;
	uint64_t prio;
	ike_addr local, remote;
	uint8_t state;
	uint32_t retransmitted; /* retransmissions of the current request */
	uint32_t sent;          /* requests sent, retransmissions included */
	bool answered;
	bool relayed;  /* a TURN relay carries it (our RELAYED candidate or the peer's) */
	ike_ms rtx_at; /* next retransmission (IN_PROGRESS only) */
	ike_ms last_tx; /* the last transmission of its request */
	ike_ms ok_at;   /* SUCCEEDED: when */
	uint32_t rtt;   /* SUCCEEDED: request to response, ms */
} pair;

typedef struct side {
	hp_candidate *c;
	size_t n;
} side;

struct hp_session {
	const ike_mem *mem;
	hp_callbacks cb;
	void *user;
	hp_role role;
	ike_ms pace_ms, rto_ms, nominate_wait_ms, relay_wait_ms;
	uint32_t max_retransmits, bg_max_retransmits;
	bool keep_checking;
	size_t max_endpoints, max_pairs;
	ike_log_level log_max;
	char tag[40];

	uint8_t cid[HP_CONNECT_ID_MAX];
	size_t cid_len;
	uint8_t key_i[HP_CONNECT_KEY_MAX], key_r[HP_CONNECT_KEY_MAX];
	size_t key_i_len, key_r_len;

	side local, remote; /* arrays of max_endpoints */
	pair *pairs;        /* max_pairs, sorted by priority, highest first */
	size_t n_pairs;
	uint32_t next_id;
	uint32_t *triggered; /* FIFO of pair ids, max_pairs */
	size_t n_triggered;
	hp_pair_info *info; /* scratch for events, max_pairs */

	bool sending; /* the paced sender is scheduled at next_send */
	ike_ms next_send;
	ike_ms nominate_at; /* initiator: IKE_NEVER until a pair succeeded */
	ike_ms fail_at;
	ike_ms fail_after_ms;
	bool done;
	bool bg; /* a relayed pair was chosen: direct pairs are checked in the background */
	hp_stats stats;
	ike_ms drop_window; /* start of the current one-second window of drop log lines */
	unsigned drop_logged, drop_suppressed;
};

#define DROP_LOG_PER_SEC 10

IKE_PRINTF(3, 4) static void slog(const hp_session *s, ike_log_level lvl, const char *fmt, ...)
{
	char msg[320];
	va_list ap;
	ike_log_rec rec;

	if (!s->cb.log || lvl > s->log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	rec = (ike_log_rec){.lvl = lvl, .sub = IKE_SUB_HP, .tag = s->tag, .msg = msg};
	s->cb.log(s->user, &rec);
}

/* One log line per dropped datagram, at most DROP_LOG_PER_SEC a second (STYLE 3.9). */
IKE_PRINTF(4, 5) static void log_drop(hp_session *s, ike_ms now, ike_log_level lvl, const char *fmt, ...)
{
	char msg[280];
	va_list ap;

	if (now >= s->drop_window + 1000 || now < s->drop_window) {
		if (s->drop_suppressed)
			slog(s, IKE_LOG_INFO, "%u more dropped datagrams were not logged",
			     s->drop_suppressed);
		s->drop_window = now;
		s->drop_logged = 0;
		s->drop_suppressed = 0;
	}
	if (s->drop_logged >= DROP_LOG_PER_SEC) {
		s->drop_suppressed++;
		return;
	}
	s->drop_logged++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	slog(s, lvl, "%s", msg);
}

/* Two address strings for one log line. */
typedef struct addr2 {
	char a[IKE_ADDR_STRLEN], b[IKE_ADDR_STRLEN];
} addr2;

static addr2 fmt_path(const ike_addr *a, const ike_addr *b)
{
	addr2 s;
	ike_addr_str(a, s.a, sizeof s.a);
	ike_addr_str(b, s.b, sizeof s.b);
	return s;
}

void hp_config_defaults(hp_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->role = HP_INITIATOR;
	cfg->pace_ms = 25;
	cfg->rto_ms = 25;
	cfg->max_retransmits = 13;
	cfg->nominate_wait_ms = 25;
	cfg->relay_wait_ms = 300;
	cfg->bg_max_retransmits = 6;
	cfg->fail_after_ms = 8000;
	cfg->max_endpoints = 16;
	cfg->max_pairs = 64;
	cfg->log_max = IKE_LOG_INFO;
}

/* Retransmission n (1-based) is due this long after the previous send: strongSwan's
 * queue_retransmission, rto * 1.8^(n - ME_BOOST) truncated, rto for the first two.
 * Computed by repeated multiplication: for rto 25 every value up to n = 14 is the
 * same as strongSwan's (uint32_t)(25 * pow(1.8, n - 2)) (none lies near an integer
 * except 45 and 81, which are exact). Clamped to one hour. */
static ike_ms rto_for(const hp_session *s, uint32_t n)
{
	double v = (double)s->rto_ms;

	for (uint32_t k = 2; k < n && v < 3600000.0; k++)
		v *= 1.8;
	if (v > 3600000.0)
		v = 3600000.0;
	return (ike_ms)(v + 1e-9);
}

static ike_ms add_ms(ike_ms now, ike_ms d)
{
	return d > IKE_NEVER - 1 - now ? IKE_NEVER - 1 : now + d;
}

static const ike_addr *cand_base(const hp_candidate *c)
{
	return c->base.family != IKE_AF_NONE ? &c->base : &c->addr;
}

static ike_slice my_key(const hp_session *s)
{
	return s->role == HP_INITIATOR ? IKE_SLICE(s->key_i, s->key_i_len)
	                               : IKE_SLICE(s->key_r, s->key_r_len);
}

static ike_slice peer_key(const hp_session *s)
{
	return s->role == HP_INITIATOR ? IKE_SLICE(s->key_r, s->key_r_len)
	                               : IKE_SLICE(s->key_i, s->key_i_len);
}

static pair *pair_by_id(hp_session *s, uint32_t id)
{
	for (size_t i = 0; i < s->n_pairs; i++)
		if (s->pairs[i].id == id)
			return &s->pairs[i];
	return NULL;
}

static pair *pair_by_path(hp_session *s, const ike_addr *local, const ike_addr *remote)
{
	for (size_t i = 0; i < s->n_pairs; i++)
		if (ike_addr_eq(&s->pairs[i].local, local) && ike_addr_eq(&s->pairs[i].remote, remote))
			return &s->pairs[i];
	return NULL;
}

static hp_candidate *cand_by_addr(side *sd, const ike_addr *a)
{
	for (size_t i = 0; i < sd->n; i++)
		if (ike_addr_eq(&sd->c[i].addr, a))
			return &sd->c[i];
	return NULL;
}

/* Adds a candidate to one side, refusing those without address and those over the limit. */
static bool add_cand(hp_session *s, side *sd, const hp_candidate *c, const char *which)
{
	char a[IKE_ADDR_STRLEN];

	ike_addr_str(&c->addr, a, sizeof a);
	if (hp__addr_len(c->addr.family) == 0 || c->type < HP_CAND_HOST || c->type > HP_CAND_RELAYED) {
		s->stats.refused_endpoints++;
		slog(s, IKE_LOG_INFO, "ignoring %s %s candidate %s: no address or bad type", which,
		     hp_cand_type_name(c->type), a);
		return false;
	}
	if (sd->n >= s->max_endpoints) {
		s->stats.refused_endpoints++;
		slog(s, IKE_LOG_WARN, "refusing %s %s candidate %s: limit of %zu endpoints reached", which,
		     hp_cand_type_name(c->type), a, s->max_endpoints);
		return false;
	}
	sd->c[sd->n++] = *c;
	return true;
}

/* Whether a TURN relay carries the path: its local end is our RELAYED candidate, or
 * its remote end is the peer's RELAYED candidate or on the same relay (same IP). */
static bool path_relayed(const hp_session *s, const ike_addr *local, const ike_addr *remote)
{
	for (size_t i = 0; i < s->local.n; i++)
		if (s->local.c[i].type == HP_CAND_RELAYED && ike_addr_eq(&s->local.c[i].addr, local))
			return true;
	for (size_t i = 0; i < s->remote.n; i++)
		if (s->remote.c[i].type == HP_CAND_RELAYED && ike_addr_ip_eq(&s->remote.c[i].addr, remote))
			return true;
	return false;
}

/* Inserts p after every pair of equal or higher priority (strongSwan's
 * insert_pair_by_priority), or refuses it when max_pairs is reached. */
static pair *insert_pair(hp_session *s, const pair *p)
{
	size_t at = 0;
	addr2 f;

	if (s->n_pairs >= s->max_pairs) {
		s->stats.refused_pairs++;
		f = fmt_path(&p->local, &p->remote);
		slog(s, IKE_LOG_WARN, "refusing pair %s - %s: limit of %zu pairs reached", f.a, f.b,
		     s->max_pairs);
		return NULL;
	}
	while (at < s->n_pairs && s->pairs[at].prio >= p->prio)
		at++;
	memmove(&s->pairs[at + 1], &s->pairs[at], (s->n_pairs - at) * sizeof *p);
	s->pairs[at] = *p;
	s->pairs[at].relayed = path_relayed(s, &p->local, &p->remote);
	s->n_pairs++;
	return &s->pairs[at];
}

static pair make_pair(const hp_session *s, const hp_candidate *l, const ike_addr *lbase,
                      const hp_candidate *r)
{
	pair p;
	uint32_t g = s->role == HP_INITIATOR ? l->priority : r->priority;
	uint32_t d = s->role == HP_INITIATOR ? r->priority : l->priority;

	memset(&p, 0, sizeof p);
	p.prio = hp_pair_priority(g, d);
	p.local = *lbase;
	p.remote = r->addr;
	p.state = HP_PAIR_WAITING;
	return p;
}

/* Forms the pairs of local x remote[first_remote..], as strongSwan's build_pairs: the
 * initiator's candidates in the outer loop, the responder's inside, only the same
 * family, ordered by priority (stable), then pruning pairs with the same local base
 * and remote address as a pair of higher priority (prune_pairs), then numbering. */
static int form_pairs(hp_session *s, size_t first_remote)
{
	size_t nl = s->local.n, nr = s->remote.n - first_remote, n = 0;
	size_t outer = s->role == HP_INITIATOR ? nl : nr, inner = s->role == HP_INITIATOR ? nr : nl;
	pair *tmp;

	if (nl == 0 || nr == 0)
		return IKE_OK;
	tmp = ike_mem_calloc(s->mem, nl * nr, sizeof *tmp);
	if (!tmp)
		return IKE_ERR_NOMEM;
	for (size_t o = 0; o < outer; o++) {
		for (size_t i = 0; i < inner; i++) {
			size_t li = s->role == HP_INITIATOR ? o : i,
			       ri = first_remote + (s->role == HP_INITIATOR ? i : o);
			const hp_candidate *l = &s->local.c[li], *r = &s->remote.c[ri];
			const ike_addr *lb = cand_base(l);
			size_t at = 0;
			pair p;

			if (lb->family != r->addr.family)
				continue;
			p = make_pair(s, l, lb, r);
			while (at < n && tmp[at].prio >= p.prio)
				at++;
			memmove(&tmp[at + 1], &tmp[at], (n - at) * sizeof p);
			tmp[at] = p;
			n++;
		}
	}
	for (size_t k = 0; k < n; k++) {
		bool dup = pair_by_path(s, &tmp[k].local, &tmp[k].remote) != NULL;
		addr2 f = fmt_path(&tmp[k].local, &tmp[k].remote);

		for (size_t j = 0; j < k && !dup; j++)
			dup = ike_addr_eq(&tmp[j].local, &tmp[k].local) &&
			      ike_addr_eq(&tmp[j].remote, &tmp[k].remote);
		if (dup) {
			slog(s, IKE_LOG_DEBUG, "pruning pair %s - %s (priority %llu)", f.a, f.b,
			     (unsigned long long)tmp[k].prio);
			/* Mark it so that later duplicates compare against the kept one only. */
			tmp[k].local.family = 0xff;
			continue;
		}
		tmp[k].id = s->next_id;
		if (insert_pair(s, &tmp[k])) {
			s->next_id++;
			slog(s, IKE_LOG_DEBUG, "pair %u: %s - %s (priority %llu)", tmp[k].id, f.a, f.b,
			     (unsigned long long)tmp[k].prio);
		}
	}
	ike_mem_free(s->mem, tmp);
	return IKE_OK;
}

static void start_sender(hp_session *s, ike_ms at)
{
	if (!s->sending && (!s->done || s->bg)) {
		s->sending = true;
		s->next_send = at;
	}
}

static void send_bytes(hp_session *s, const ike_path *path, const uint8_t *pkt, size_t len)
{
	if (s->cb.send(s->user, path, pkt, len) != 0) {
		addr2 f = fmt_path(&path->local, &path->remote);
		s->stats.send_errors++;
		slog(s, IKE_LOG_DEBUG, "sending %zu bytes %s -> %s failed", len, f.a, f.b);
	}
}

/* A request carries, like strongSwan's sender(), a PEER_REFLEXIVE ME_ENDPOINT without
 * address whose priority is what a peer-reflexive candidate of ours would get. */
static void send_request(hp_session *s, pair *p, ike_ms now)
{
	uint8_t pkt[HP_CHECK_MAX];
	size_t len;
	hp_candidate ep = {.type = HP_CAND_PEER_REFLEXIVE,
	                   .priority = hp_candidate_priority(HP_CAND_PEER_REFLEXIVE)};
	ike_path path = {p->local, p->remote};

	if (hp__check_encode(pkt, sizeof pkt, &len, p->id, false, IKE_SLICE(s->cid, s->cid_len), &ep,
	                     my_key(s)) != IKE_OK) {
		slog(s, IKE_LOG_ERROR, "cannot build check for pair %u", p->id);
		return;
	}
	p->sent++;
	p->last_tx = now;
	send_bytes(s, &path, pkt, len);
}

static void trigger(hp_session *s, pair *p, ike_ms now)
{
	p->state = HP_PAIR_WAITING;
	for (size_t i = 0; i < s->n_triggered; i++)
		if (s->triggered[i] == p->id)
			goto out;
	if (s->n_triggered < s->max_pairs)
		s->triggered[s->n_triggered++] = p->id;
out:
	/* strongSwan restarts an idle sender ME_INTERVAL later (queue_triggered_check). */
	start_sender(s, add_ms(now, s->pace_ms));
}

/* strongSwan's get_triggered_pair, then the first waiting pair by priority. */
static pair *next_to_check(hp_session *s)
{
	while (s->n_triggered) {
		pair *p = pair_by_id(s, s->triggered[0]);
		memmove(&s->triggered[0], &s->triggered[1], (s->n_triggered - 1) * sizeof *s->triggered);
		s->n_triggered--;
		if (p && p->state == HP_PAIR_WAITING && !(s->bg && p->relayed))
			return p;
	}
	for (size_t i = 0; i < s->n_pairs; i++)
		if (s->pairs[i].state == HP_PAIR_WAITING && !(s->bg && s->pairs[i].relayed))
			return &s->pairs[i];
	return NULL;
}

static void run_sender(hp_session *s, ike_ms now)
{
	pair *p = next_to_check(s);

	if (!p) {
		s->sending = false; /* strongSwan: "no pairs in waiting state, aborting" */
		return;
	}
	p->state = HP_PAIR_IN_PROGRESS;
	p->retransmitted = 0;
	p->rtx_at = add_ms(now, rto_for(s, 1));
	s->stats.checks_sent++;
	send_request(s, p, now);
	s->next_send = add_ms(now, s->pace_ms);
}

static size_t fill_info(const hp_session *s, hp_pair_info *out, size_t max)
{
	for (size_t i = 0; i < s->n_pairs && i < max; i++) {
		const pair *p = &s->pairs[i];
		out[i] = (hp_pair_info){.id = p->id,
		                        .priority = p->prio,
		                        .path = {p->local, p->remote},
		                        .state = p->state,
		                        .sent = p->sent,
		                        .answered = p->answered,
		                        .relayed = p->relayed,
		                        .rtt_ms = p->state == HP_PAIR_SUCCEEDED ? p->rtt : 0};
	}
	return s->n_pairs;
}

static void finish(hp_session *s, hp_event *ev)
{
	s->done = true;
	s->sending = false;
	s->n_triggered = 0;
	ev->n_pairs = fill_info(s, s->info, s->max_pairs);
	ev->pairs = s->info;
	s->cb.on_event(s->user, ev);
}

static void choose(hp_session *s, const ike_path *path, const pair *p, const char *how, ike_ms now)
{
	bool relayed = path_relayed(s, &path->local, &path->remote);
	hp_event ev = {.type = HP_EV_PAIR_CHOSEN,
	               .path = *path,
	               .priority = p ? p->prio : 0,
	               .relayed = relayed,
	               .rtt_ms = p && p->state == HP_PAIR_SUCCEEDED ? p->rtt : 0};
	addr2 f = fmt_path(&path->local, &path->remote);

	slog(s, IKE_LOG_INFO, "%s %spair %s - %s", how, relayed ? "relayed " : "", f.a, f.b);
	finish(s, &ev);
	if (relayed && s->keep_checking) {
		/* Make-before-break: the direct pairs go on in the background. */
		s->bg = true;
		start_sender(s, add_ms(now, s->pace_ms));
	}
}

static void fail(hp_session *s, int err, const char *reason)
{
	hp_event ev = {.type = HP_EV_FAILED, .err = err, .reason = reason};
	size_t waiting = 0, failed = 0, ok = 0;

	for (size_t i = 0; i < s->n_pairs; i++) {
		waiting += s->pairs[i].state == HP_PAIR_WAITING || s->pairs[i].state == HP_PAIR_IN_PROGRESS;
		failed += s->pairs[i].state == HP_PAIR_FAILED;
		ok += s->pairs[i].state == HP_PAIR_SUCCEEDED;
	}
	slog(s, IKE_LOG_WARN,
	     "connectivity checks failed: %s (%zu pairs: %zu succeeded, %zu failed, %zu unanswered)", reason,
	     s->n_pairs, ok, failed, waiting);
	for (size_t i = 0; i < s->n_pairs; i++) {
		addr2 f = fmt_path(&s->pairs[i].local, &s->pairs[i].remote);
		slog(s, IKE_LOG_INFO, "  pair %u %s - %s: %s after %u requests", s->pairs[i].id, f.a, f.b,
		     hp_pair_state_name(s->pairs[i].state), s->pairs[i].sent);
	}
	finish(s, &ev);
}

/* Initiator: nominate the best succeeded pair at once when no pair of higher priority
 * can still succeed, otherwise nominate_wait_ms after its success (relay_wait_ms for a
 * relayed pair) (strongSwan: 1000 ms, and only once no pair is waiting;
 * update_checklist_state and initiator_finish). */
static void consider_nomination(hp_session *s, ike_ms now)
{
	bool better_pending = false;

	if (s->role != HP_INITIATOR || s->done)
		return;
	for (size_t i = 0; i < s->n_pairs; i++) {
		pair *p = &s->pairs[i];
		if (p->state == HP_PAIR_SUCCEEDED) {
			ike_ms at = add_ms(p->ok_at, p->relayed ? s->relay_wait_ms : s->nominate_wait_ms);
			if (!better_pending || now >= at) {
				choose(s, &(ike_path){p->local, p->remote}, p, "nominating", now);
				return;
			}
			s->nominate_at = at;
			return;
		}
		if (p->state != HP_PAIR_FAILED)
			better_pending = true;
	}
}

/* Fails the session when no pair can succeed any more: every pair failed and nothing
 * is queued (only with a small max_retransmits: strongSwan's schedule takes 65 s). */
static void consider_failure(hp_session *s)
{
	if (s->done || s->n_pairs == 0 || s->sending)
		return;
	for (size_t i = 0; i < s->n_pairs; i++)
		if (s->pairs[i].state != HP_PAIR_FAILED)
			return;
	fail(s, IKE_ERR_NOT_FOUND, "every candidate pair failed");
}

static int copy_bytes(uint8_t *dst, size_t *dlen, const uint8_t *src, size_t len, size_t max)
{
	if (!src || len == 0 || len > max)
		return IKE_ERR_INVAL;
	memcpy(dst, src, len);
	*dlen = len;
	return IKE_OK;
}

static void make_tag(hp_session *s, const char *tag)
{
	size_t o;

	if (tag) {
		snprintf(s->tag, sizeof s->tag, "%s", tag);
		return;
	}
	o = (size_t)snprintf(s->tag, sizeof s->tag, "cid ");
	for (size_t i = 0; i < s->cid_len && o + 3 <= sizeof s->tag; i++, o += 2)
		snprintf(s->tag + o, sizeof s->tag - o, "%02x", s->cid[i]);
}

int hp_session_new(hp_session **out, const hp_config *cfg, const hp_callbacks *cb, void *user, ike_ms now)
{
	hp_session *s;
	int rc;

	*out = NULL;
	if (!cb || !cb->send || !cb->on_event || cfg->max_endpoints == 0 || cfg->max_pairs == 0 ||
	    cfg->pace_ms == 0 || cfg->rto_ms == 0 || (cfg->n_local && !cfg->local) ||
	    (cfg->n_remote && !cfg->remote) || (cfg->role != HP_INITIATOR && cfg->role != HP_RESPONDER))
		return IKE_ERR_INVAL;
	s = ike_mem_calloc(cfg->mem, 1, sizeof *s);
	if (!s)
		return IKE_ERR_NOMEM;
	s->mem = cfg->mem;
	s->cb = *cb;
	s->user = user;
	s->role = cfg->role;
	s->pace_ms = cfg->pace_ms;
	s->rto_ms = cfg->rto_ms;
	s->max_retransmits = cfg->max_retransmits;
	s->nominate_wait_ms = cfg->nominate_wait_ms;
	s->relay_wait_ms = cfg->relay_wait_ms;
	s->keep_checking = cfg->keep_checking;
	s->bg_max_retransmits = cfg->bg_max_retransmits;
	s->fail_after_ms = cfg->fail_after_ms;
	s->max_endpoints = cfg->max_endpoints;
	s->max_pairs = cfg->max_pairs;
	s->log_max = cfg->log_max;
	s->next_id = 1;
	s->nominate_at = IKE_NEVER;
	s->fail_at = cfg->fail_after_ms ? add_ms(now, cfg->fail_after_ms) : IKE_NEVER; /* 0: no bound */

	rc = copy_bytes(s->cid, &s->cid_len, cfg->connect_id, cfg->connect_id_len, HP_CONNECT_ID_MAX);
	if (rc == IKE_OK)
		rc = copy_bytes(s->key_i, &s->key_i_len, cfg->initiator_key, cfg->initiator_key_len,
		                HP_CONNECT_KEY_MAX);
	if (rc == IKE_OK)
		rc = copy_bytes(s->key_r, &s->key_r_len, cfg->responder_key, cfg->responder_key_len,
		                HP_CONNECT_KEY_MAX);
	if (rc != IKE_OK)
		goto out;
	make_tag(s, cfg->tag);
	rc = IKE_ERR_NOMEM;
	s->local.c = ike_mem_calloc(s->mem, s->max_endpoints, sizeof *s->local.c);
	s->remote.c = ike_mem_calloc(s->mem, s->max_endpoints, sizeof *s->remote.c);
	s->pairs = ike_mem_calloc(s->mem, s->max_pairs, sizeof *s->pairs);
	s->triggered = ike_mem_calloc(s->mem, s->max_pairs, sizeof *s->triggered);
	s->info = ike_mem_calloc(s->mem, s->max_pairs, sizeof *s->info);
	if (!s->local.c || !s->remote.c || !s->pairs || !s->triggered || !s->info)
		goto out;
	for (size_t i = 0; i < cfg->n_local; i++)
		add_cand(s, &s->local, &cfg->local[i], "local");
	for (size_t i = 0; i < cfg->n_remote; i++)
		add_cand(s, &s->remote, &cfg->remote[i], "remote");
	rc = form_pairs(s, 0);
	if (rc != IKE_OK)
		goto out;
	slog(s, IKE_LOG_INFO, "%s: %zu local and %zu remote candidates, %zu pairs",
	     s->role == HP_INITIATOR ? "initiator" : "responder", s->local.n, s->remote.n, s->n_pairs);
	if (s->n_pairs)
		start_sender(s, now); /* set_responder_data: "send the first check immediately" */
	*out = s;
	return IKE_OK;
out:
	hp_session_free(s);
	return rc;
}

void hp_session_free(hp_session *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s->key_i, sizeof s->key_i);
	OPENSSL_cleanse(s->key_r, sizeof s->key_r);
	ike_mem_free(s->mem, s->local.c);
	ike_mem_free(s->mem, s->remote.c);
	ike_mem_free(s->mem, s->pairs);
	ike_mem_free(s->mem, s->triggered);
	ike_mem_free(s->mem, s->info);
	ike_mem_free(s->mem, s);
}

int hp_session_add_remote(hp_session *s, const hp_candidate *c, size_t n, ike_ms now)
{
	size_t first = s->remote.n;
	int rc;

	if (s->done)
		return IKE_ERR_STATE;
	if (n && !c)
		return IKE_ERR_INVAL;
	for (size_t i = 0; i < n; i++)
		add_cand(s, &s->remote, &c[i], "remote");
	rc = form_pairs(s, first);
	if (rc == IKE_OK && s->n_pairs)
		start_sender(s, now);
	return rc;
}

/* A valid request: learn the sender as a peer-reflexive candidate, find or create the
 * pair, queue a triggered check, answer (strongSwan's process_request). */
static void on_request(hp_session *s, const ike_path *path, const hp__check *c, ike_ms now)
{
	uint8_t pkt[HP_CHECK_MAX];
	size_t len;
	hp_candidate ep = {
	    .type = HP_CAND_PEER_REFLEXIVE, .priority = c->endpoint.priority, .addr = path->remote};
	hp_candidate *rcand;
	pair *p;
	addr2 f = fmt_path(&path->local, &path->remote);

	s->stats.checks_received++;
	/* After the outcome only background checks of direct pairs go on. */
	if (!s->done || (s->bg && !path_relayed(s, &path->local, &path->remote))) {
		rcand = cand_by_addr(&s->remote, &path->remote);
		if (!rcand && add_cand(s, &s->remote, &ep, "peer-reflexive remote")) {
			rcand = &s->remote.c[s->remote.n - 1];
			s->stats.peer_reflexive_learned++;
			slog(s, IKE_LOG_INFO, "learned peer-reflexive remote candidate %s", f.b);
		}
		p = pair_by_path(s, &path->local, &path->remote);
		if (p) {
			switch (p->state) {
			case HP_PAIR_IN_PROGRESS: /* strongSwan stops the retransmissions and re-checks */
			case HP_PAIR_WAITING:
			case HP_PAIR_FAILED:
				trigger(s, p, now);
				break;
			default:
				break;
			}
		} else if (rcand) {
			/* strongSwan pairs a new HOST candidate for the address the check
			 * arrived at with the (possibly just learned) remote candidate; our
			 * own candidate there when we have one (a RELAYED one keeps its
			 * priority: a pair through the relay never outranks a direct one). */
			hp_candidate lh = {.type = HP_CAND_HOST,
			                   .priority = hp_candidate_priority(HP_CAND_HOST),
			                   .addr = path->local};
			const hp_candidate *lc = cand_by_addr(&s->local, &path->local);
			pair np = make_pair(s, lc ? lc : &lh, &path->local, rcand);

			np.id = s->next_id;
			p = insert_pair(s, &np);
			if (p) {
				s->next_id++;
				slog(s, IKE_LOG_DEBUG, "pair %u: %s - %s from a check (priority %llu)", p->id,
				     f.a, f.b, (unsigned long long)p->prio);
				trigger(s, p, now);
			}
		}
		if (p)
			p->answered = true;
	}
	if (hp__check_encode(pkt, sizeof pkt, &len, c->mid, true, IKE_SLICE(s->cid, s->cid_len), &ep,
	                     my_key(s)) != IKE_OK)
		return;
	s->stats.responses_sent++;
	send_bytes(s, path, pkt, len);
}

/* A valid response: the pair with this message ID succeeds if the response came back on
 * its exact path; the endpoint it carries is how the peer sees us (process_response). */
static int on_response(hp_session *s, const ike_path *path, const hp__check *c, ike_ms now)
{
	pair *p = pair_by_id(s, c->mid);
	addr2 f = fmt_path(&path->local, &path->remote);

	if (!p) {
		s->stats.dropped_other++;
		log_drop(s, now, IKE_LOG_INFO, "dropping check response from %s: no pair %u", f.b, c->mid);
		return IKE_ERR_NOT_FOUND;
	}
	s->stats.responses_received++;
	if (s->done && !(s->bg && !p->relayed))
		return IKE_OK;
	if (ike_addr_eq(&p->local, &path->local) && ike_addr_eq(&p->remote, &path->remote) &&
	    p->state != HP_PAIR_SUCCEEDED) {
		hp_event ev = {.type = s->bg ? HP_EV_DIRECT_VALID : HP_EV_PAIR_VALID,
		               .path = *path,
		               .priority = p->prio,
		               .relayed = p->relayed};

		p->state = HP_PAIR_SUCCEEDED;
		p->ok_at = now;
		/* at least 1: 0 means "not measured" (the clock counts whole ms) */
		p->rtt = now - p->last_tx >= UINT32_MAX ? UINT32_MAX
		         : now > p->last_tx            ? (uint32_t)(now - p->last_tx)
		                                       : 1;
		ev.rtt_ms = p->rtt;
		slog(s, IKE_LOG_INFO, "%spair %u is valid: %s - %s (%s, %u ms)", s->bg ? "background check: " : "",
		     p->id, f.a, f.b, p->relayed ? "relayed" : "direct", p->rtt);
		s->cb.on_event(s->user, &ev);
	}
	if (hp__addr_len(c->endpoint.addr.family) && !cand_by_addr(&s->local, &c->endpoint.addr)) {
		hp_candidate l = {.type = HP_CAND_PEER_REFLEXIVE,
		                  .priority = c->endpoint.priority,
		                  .addr = c->endpoint.addr,
		                  .base = p->local};
		char a[IKE_ADDR_STRLEN];

		if (add_cand(s, &s->local, &l, "peer-reflexive local")) {
			s->stats.peer_reflexive_learned++;
			slog(s, IKE_LOG_INFO, "learned peer-reflexive local candidate %s (base %s)",
			     ike_addr_str(&l.addr, a, sizeof a), f.a);
		}
	}
	consider_nomination(s, now);
	return IKE_OK;
}

int hp_session_recv(hp_session *s, const ike_path *path, const uint8_t *pkt, size_t len, ike_ms now)
{
	hp__check c;
	const char *why;
	uint8_t want[HP_CONNECTAUTH_LEN];
	addr2 f = fmt_path(&path->local, &path->remote);
	int rc = hp__check_decode(pkt, len, &c, &why);

	if (rc != IKE_OK) {
		s->stats.dropped_malformed++;
		log_drop(s, now, IKE_LOG_INFO, "dropping %zu bytes from %s: %s (%s)", len, f.b, why,
		         ike_strerror(rc));
		return rc;
	}
	if (c.connect_id.len != s->cid_len || memcmp(c.connect_id.ptr, s->cid, s->cid_len) != 0) {
		s->stats.dropped_other++;
		log_drop(s, now, IKE_LOG_INFO, "dropping check from %s: another connect ID", f.b);
		return IKE_ERR_NOT_FOUND;
	}
	rc = hp__check_auth(want, c.mid, c.connect_id, c.endpoint_raw, peer_key(s));
	if (rc != IKE_OK)
		return rc;
	if (c.auth.len != sizeof want || CRYPTO_memcmp(c.auth.ptr, want, sizeof want) != 0) {
		s->stats.auth_failures++;
		log_drop(s, now, IKE_LOG_WARN,
		         "dropping check %s mid %u from %s: ME_CONNECTAUTH does not verify",
		         c.response ? "response" : "request", c.mid, f.b);
		return IKE_ERR_AUTH;
	}
	if (c.response)
		return on_response(s, path, &c, now);
	on_request(s, path, &c, now);
	return IKE_OK;
}

/* Whether the tick still works on pair p: every pair before the outcome, only the
 * direct ones in the background. */
static bool pair_active(const hp_session *s, const pair *p)
{
	return !s->done || (s->bg && !p->relayed);
}

int hp_session_tick(hp_session *s, ike_ms now)
{
	uint32_t max = s->bg ? s->bg_max_retransmits : s->max_retransmits;

	if (s->done && !s->bg)
		return IKE_OK;
	for (size_t i = 0; i < s->n_pairs; i++) {
		pair *p = &s->pairs[i];

		if (p->state != HP_PAIR_IN_PROGRESS || p->rtx_at > now || !pair_active(s, p))
			continue;
		if (++p->retransmitted > max) {
			addr2 f = fmt_path(&p->local, &p->remote);
			p->state = HP_PAIR_FAILED;
			slog(s, IKE_LOG_DEBUG, "pair %u %s - %s failed after %u retransmissions", p->id, f.a,
			     f.b, max);
			continue;
		}
		s->stats.checks_retransmitted++;
		p->rtx_at = add_ms(now, rto_for(s, p->retransmitted + 1));
		send_request(s, p, now);
	}
	if (s->sending && s->next_send <= now)
		run_sender(s, now);
	if (s->done)
		return IKE_OK; /* background checks: no nomination, no failure */
	if (s->nominate_at != IKE_NEVER)
		consider_nomination(s, now);
	consider_failure(s);
	if (!s->done && s->fail_at <= now) {
		char reason[160];
		size_t ok = 0;

		for (size_t i = 0; i < s->n_pairs; i++)
			ok += s->pairs[i].state == HP_PAIR_SUCCEEDED;
		if (ok)
			snprintf(reason, sizeof reason,
			         "%zu pairs succeeded but the initiator chose none within %llu ms", ok,
			         (unsigned long long)s->fail_after_ms);
		else
			snprintf(reason, sizeof reason,
			         "no candidate pair answered within %llu ms (%zu pairs tried)",
			         (unsigned long long)s->fail_after_ms, s->n_pairs);
		fail(s, IKE_ERR_TIMEOUT, reason);
	}
	return IKE_OK;
}

ike_ms hp_session_next_deadline(const hp_session *s)
{
	ike_ms t;

	if (s->done && !s->bg)
		return IKE_NEVER;
	t = s->done ? IKE_NEVER : s->fail_at;
	if (s->sending && s->next_send < t)
		t = s->next_send;
	if (!s->done && s->nominate_at < t)
		t = s->nominate_at;
	for (size_t i = 0; i < s->n_pairs; i++)
		if (s->pairs[i].state == HP_PAIR_IN_PROGRESS && pair_active(s, &s->pairs[i]) &&
		    s->pairs[i].rtx_at < t)
			t = s->pairs[i].rtx_at;
	return t;
}

int hp_session_nominated(hp_session *s, const ike_path *path, ike_ms now)
{
	if (s->done)
		return IKE_ERR_STATE;
	choose(s, path, pair_by_path(s, &path->local, &path->remote), "peer chose", now);
	return IKE_OK;
}

int hp_session_recheck(hp_session *s, ike_ms now)
{
	size_t n = 0;

	if (!s->bg)
		return IKE_ERR_STATE;
	for (size_t i = 0; i < s->n_pairs; i++) {
		pair *p = &s->pairs[i];
		if (!p->relayed && p->state == HP_PAIR_FAILED) {
			p->state = HP_PAIR_WAITING;
			p->retransmitted = 0;
			n++;
		}
	}
	slog(s, IKE_LOG_DEBUG, "background check: %zu direct pairs again", n);
	start_sender(s, now);
	return IKE_OK;
}

bool hp_session_background(const hp_session *s)
{
	return s->bg;
}

bool hp_session_done(const hp_session *s)
{
	return s->done;
}

size_t hp_session_pairs(const hp_session *s, hp_pair_info *out, size_t max)
{
	return fill_info(s, out, max);
}

const hp_stats *hp_session_stats(const hp_session *s)
{
	return &s->stats;
}
