/* SPDX-License-Identifier: MIT */
/*
 * medcli/src/conn.c - logging helpers, connection lookup (by alias, KEY_ID, connect
 * ID, SA), ending a connection, and loading the peers and the server from the database.
 */
#include "mc_int.h"

void mc__logc(mc_daemon *d, ike_log_level lvl, const char *tag, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (lvl > d->log.max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ikeio_logf(&d->log, lvl, IKE_SUB_MAIN, tag, "%s", msg);
}

void mc__set_error(conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->sup.why, sizeof c->sup.why, fmt, ap);
	va_end(ap);
}

uint32_t mc__rand32(void)
{
	uint32_t r = 0x9e3779b9u;

	if (RAND_bytes((uint8_t *)&r, sizeof r) != 1) /* only the back-off's jitter is less random */
		r ^= (uint32_t)clock();
	return r;
}

void mc__log_rec(void *user, const ike_log_rec *rec)
{
	mc_daemon *d = user;
	ikeio_log_stderr(&d->log, rec);
}

const char *mc__addr_s(const ike_addr *a, char *buf, size_t len)
{
	return ike_addr_str(a, buf, len);
}

ike_ms mc__now(mc_daemon *d)
{
	return ikeio_now(&d->loop);
}

/* ---- connections ---- */

conn *mc__conn_by_alias(mc_daemon *d, const char *alias)
{
	for (size_t i = 0; i < d->nconns; i++)
		if (d->conns[i].used && strcmp(d->conns[i].alias, alias) == 0)
			return &d->conns[i];
	return NULL;
}

static conn *conn_by_keyid(mc_daemon *d, const uint8_t *keyid, size_t len)
{
	if (len != IKE_KEYID_LEN)
		return NULL;
	for (size_t i = 0; i < d->nconns; i++)
		if (d->conns[i].used && d->conns[i].present &&
		    memcmp(d->conns[i].keyid, keyid, IKE_KEYID_LEN) == 0)
			return &d->conns[i];
	return NULL;
}

conn *mc__conn_by_id(mc_daemon *d, const ike_id *id)
{
	return id->type == IKE_ID_KEY_ID ? conn_by_keyid(d, id->data, id->len) : NULL;
}

conn *mc__conn_by_cid(mc_daemon *d, const uint8_t *cid, size_t len)
{
	if (len != HP_CONNECT_ID_LEN)
		return NULL;
	for (size_t i = 0; i < d->nconns; i++) {
		conn *c = &d->conns[i];
		if (c->used && c->sup.st != SUP_DOWN && c->sup.st != SUP_RETRYING &&
		    memcmp(c->cid, cid, len) == 0)
			return c;
	}
	return NULL;
}

conn *mc__conn_by_sa(mc_daemon *d, ike_sa_ref sa)
{
	for (size_t i = 0; i < d->nconns; i++)
		if (d->conns[i].used && ike_sa_ref_valid(d->conns[i].sa) && ike_sa_ref_eq(d->conns[i].sa, sa))
			return &d->conns[i];
	return NULL;
}

void mc__conn_stop_checks(conn *c)
{
	if (!c->hp)
		return;
	if (c->d->in_hp) { /* hp functions may not be called from hp callbacks */
		c->hp_free = true;
		return;
	}
	hp_session_free(c->hp);
	c->hp = NULL;
	c->hp_done = false;
	c->hp_free = false;
}

/* Ends whatever the connection runs: checks, a pending ME_CONNECT, the direct
 * IKE_SA and its CHILD_SA in the data plane. The supervisor's state is its own. */
void mc__conn_abort(conn *c)
{
	mc_daemon *d = c->d;

	mc__conn_stop_checks(c);
	if (d->me_inflight == c)
		d->me_inflight = NULL;
	c->me_pending = false;
	if (ike_sa_ref_valid(c->sa)) /* from an engine callback the engine queues it */
		IGNORE_RC(ike_engine_terminate(d->eng, c->sa, mc__now(d)));
	c->sa = (ike_sa_ref){0, 0};
#ifdef MEDCLI_HAVE_DP
	if (c->spi_in && d->dp)
		IGNORE_RC(dp_child_del(d->dp, c->spi_in));
#endif
	c->spi_in = 0;
	c->have_path = false;
	c->probe_pending = false;
	c->relayed = false;
	c->recheck_at = 0;
	c->have_direct_found = false;
}

void mc__conn_apply(conn *c, unsigned act)
{
	if (act & SUP_DO_ABORT)
		mc__conn_abort(c);
	if (act & SUP_DO_MEDIATE)
		mc__mediate(c);
	if (act & SUP_DO_PROBE)
		c->probe_pending = true; /* housekeeping, outside engine calls */
}

void mc__conn_event(conn *c, sup_ev_type ev, const char *why)
{
	sup_state before = c->sup.st;
	unsigned act = sup_event(&c->sup, ev, why, mc__now(c->d), mc__rand32());

	if (before != c->sup.st && c->sup.st == SUP_RETRYING)
		mc__logc(c->d, IKE_LOG_WARN, c->alias, "%s; trying again in %lld ms", c->sup.why,
		         (long long)sup_retry_in(&c->sup, mc__now(c->d)));
	mc__conn_apply(c, act);
}

/* This attempt failed with why: the supervisor decides what follows. */
void mc__conn_fail(conn *c, const char *why)
{
	mc__logc(c->d, IKE_LOG_WARN, c->alias, "attempt failed: %s", why);
	mc__conn_event(c, SUP_EV_FAILED, why);
}

/* The supervisor's start actions are the database's, value for value. */
_Static_assert((int)SUP_START_MANUAL == (int)DB_START_MANUAL &&
                   (int)SUP_START_ALWAYS == (int)DB_START_ALWAYS &&
                   (int)SUP_START_ON_DEMAND == (int)DB_START_ON_DEMAND,
               "sup_start and db_start agree");

static sup_start start_of(const db_cpeer *p)
{
	return (sup_start)p->start;
}

static sup_intent intent_of(db_intent i)
{
	return i == DB_INTENT_UP ? SUP_INTENT_UP : i == DB_INTENT_DOWN ? SUP_INTENT_DOWN : SUP_INTENT_NONE;
}

/* The IKE_SA and the CHILD_SA's ESP both use path from now on. */
static void use_path(conn *c, const ike_path *path)
{
	c->path = *path;
	if (ike_sa_ref_valid(c->sa))
		IGNORE_RC(ike_engine_set_path(c->d->eng, c->sa, path));
#ifdef MEDCLI_HAVE_DP
	if (c->d->dp && c->spi_in)
		IGNORE_RC(dp_child_set_path(c->d->dp, c->spi_in, path));
#endif
}

/* The peer is at path now (its NAT moved it, or it moved our tunnel off the
 * relay), as its authenticated IKE or ESP (what) showed: the direct IKE_SA and
 * the CHILD_SA's ESP both go there. A direct tunnel never follows onto a relay:
 * that is a late packet from before the move (only a new attempt goes back). */
void mc__conn_moved(conn *c, const ike_path *path, const char *what)
{
	char a[IKE_ADDR_STRLEN], b[IKE_ADDR_STRLEN];
	bool relayed = mc__path_relayed(c, path);

	if (c->have_path && !c->relayed && relayed) {
		use_path(c, &c->path); /* the engine and the data plane moved already: back */
		mc__logc(c->d, IKE_LOG_DEBUG, c->alias,
		         "authenticated %s from the relay (%s) after the move to a direct path: stays direct",
		         what, mc__addr_s(&path->remote, a, sizeof a));
		return;
	}
	use_path(c, path);
	if (c->relayed && !relayed) { /* the peer moved the tunnel off the relay */
		c->upgrades++;
		c->direct_error[0] = '\0';
		c->recheck_at = 0;
		mc__conn_stop_checks(c);
	}
	if (c->relayed != relayed || !c->have_path)
		c->path_since = mc__now(c->d);
	c->relayed = relayed;
	c->have_path = true;
	mc__logc(c->d, IKE_LOG_INFO, c->alias, "the peer moved to %s -> %s%s (authenticated %s)",
	         mc__addr_s(&path->local, b, sizeof b), mc__addr_s(&path->remote, a, sizeof a),
	         relayed ? ", relayed" : "", what);
}

/* Make-before-break: a background check proved the direct pair path while the
 * tunnel runs through the relay. The IKE_SA and the ESP move there; an
 * authenticated INFORMATIONAL on the new path makes the peer follow at once
 * (RFC 7296 2.23), its ESP follows ours. Packets already on the relay still
 * arrive and are accepted. */
void mc__conn_upgrade(conn *c, const ike_path *path)
{
	mc_daemon *d = c->d;
	char a[IKE_ADDR_STRLEN], b[IKE_ADDR_STRLEN];
	ike_ms was = mc__now(d) - c->path_since;

	use_path(c, path);
	c->relayed = false;
	c->upgrades++;
	c->path_since = mc__now(d);
	c->direct_error[0] = '\0';
	c->recheck_at = 0;
	c->have_direct_found = false;
	if (ike_sa_ref_valid(c->sa))
		IGNORE_RC(ike_engine_dpd(d->eng, c->sa, mc__now(d)));
	mc__conn_stop_checks(c);
	mc__logc(d, IKE_LOG_INFO, c->alias, "moved the tunnel off the relay to the direct path %s -> %s (after %llu ms relayed)",
	         mc__addr_s(&path->local, a, sizeof a), mc__addr_s(&path->remote, b, sizeof b),
	         (unsigned long long)was);
}

/* Keeps the user's up/down across restarts; a failure only costs that. */
void mc__conn_keep_intent(conn *c)
{
	db_intent i = c->sup.intent == SUP_INTENT_UP     ? DB_INTENT_UP
	              : c->sup.intent == SUP_INTENT_DOWN ? DB_INTENT_DOWN
	                                                 : DB_INTENT_NONE;

	if (c->db_id && db_cpeer_set_intent(c->d->db, c->db_id, i, (int64_t)time(NULL)) != IKE_OK)
		mc__logc(c->d, IKE_LOG_WARN, c->alias, "cannot keep the user's %s across restarts: %s",
		         i == DB_INTENT_DOWN ? "down" : "up", db_errmsg(c->d->db));
}

/* On-demand: the peer's side is routed into the data plane before the tunnel
 * exists, so that traffic for it brings the tunnel up (SUP_EV_TRAFFIC). */
void mc__conn_sync_trap(conn *c)
{
#ifdef MEDCLI_HAVE_DP
	mc_daemon *d = c->d;
	char key[sizeof c->trap_ts];
	bool want = d->dp && c->used && c->present && c->sup.cfg.start == SUP_START_ON_DEMAND;
	int rc;

	snprintf(key, sizeof key, "%s|%s", c->lts_text, c->rts_text);
	if (c->trapped && (!want || strcmp(key, c->trap_ts) != 0)) {
		(void)dp_trap_del(d->dp, c);
		c->trapped = false;
	}
	if (!want || c->trapped)
		return;
	rc = dp_trap_add(d->dp, &c->lts.ts[0], &c->rts.ts[0], c);
	if (rc != IKE_OK) {
		mc__logc(d, IKE_LOG_WARN, c->alias, "on-demand: cannot route %s into the tunnel device: %s",
		         c->rts_text, ike_strerror(rc));
		return;
	}
	c->trapped = true;
	snprintf(c->trap_ts, sizeof c->trap_ts, "%s", key);
	mc__logc(d, IKE_LOG_INFO, c->alias, "on-demand: traffic to %s brings the tunnel up", c->rts_text);
#else
	(void)c;
#endif
}

/* Loads the configured peers from the database, keeping the state of the ones
 * that stay. */
int mc__load_conns(mc_daemon *d)
{
	db_cpeer *list = NULL;
	size_t n = 0;
	int rc = db_cpeer_list(d->db, &list, &n);

	if (rc != IKE_OK) {
		mc__logc(d, IKE_LOG_ERROR, "config", "cannot read the peers: %s", db_errmsg(d->db));
		return rc;
	}
	for (size_t i = 0; i < d->nconns; i++)
		d->conns[i].present = false;
	for (size_t i = 0; i < n; i++) {
		const db_cpeer *p = &list[i];
		conn *c = mc__conn_by_alias(d, p->alias);
		ike_tsel l, r;

		if (ike_tsel_parse(&l, p->local_ts) != IKE_OK || ike_tsel_parse(&r, p->remote_ts) != IKE_OK) {
			mc__logc(d, IKE_LOG_WARN, p->alias, "ignored: bad traffic selector %s / %s",
			         p->local_ts, p->remote_ts);
			continue;
		}
		if (!c) {
			for (size_t k = 0; k < d->nconns && !c; k++)
				if (!d->conns[k].used)
					c = &d->conns[k];
			if (!c && d->nconns == MAX_CONNS) {
				mc__logc(d, IKE_LOG_WARN, p->alias, "ignored: more than %d peers", MAX_CONNS);
				continue;
			}
			if (!c)
				c = &d->conns[d->nconns++];
			memset(c, 0, sizeof *c);
			c->d = d;
			c->used = true;
			snprintf(c->alias, sizeof c->alias, "%s", p->alias);
			{
				sup_cfg sc;
				sup_cfg_defaults(&sc);
				sc.attempt_ms = (ike_ms)d->o->up_timeout_s * 1000;
				sc.start = start_of(p);
				sup_init(&c->sup, &sc, mc__now(d));
				/* the user's word from before a restart */
				sup_set_intent(&c->sup, intent_of(p->intent), mc__now(d));
				if (p->intent != DB_INTENT_NONE)
					mc__logc(d, IKE_LOG_INFO, p->alias,
					         "kept from before: the user wants it %s",
					         p->intent == DB_INTENT_UP ? "up" : "down");
			}
		}
		c->db_id = p->id;
		sup_set_start(&c->sup, start_of(p), mc__now(d)); /* a reload may change it */
		c->present = true;
		memcpy(c->keyid, p->keyid, IKE_KEYID_LEN);
		free(c->pubkey);
		c->pubkey = NULL;
		c->pubkey_len = 0;
		if (p->pubkey_len && (c->pubkey = malloc(p->pubkey_len))) {
			memcpy(c->pubkey, p->pubkey, p->pubkey_len);
			c->pubkey_len = p->pubkey_len;
		}
		snprintf(c->lts_text, sizeof c->lts_text, "%s", p->local_ts);
		snprintf(c->rts_text, sizeof c->rts_text, "%s", p->remote_ts);
		c->lts.n = 1;
		c->lts.ts[0] = l;
		c->rts.n = 1;
		c->rts.ts[0] = r;
		mc__conn_sync_trap(c);
	}
	/* Peers deleted from the database: tear their tunnels down. */
	for (size_t i = 0; i < d->nconns; i++) {
		conn *c = &d->conns[i];
		if (!c->used || c->present || c->hp)
			continue; /* a session still running is freed first, then the slot */
		mc__logc(d, IKE_LOG_INFO, c->alias, "removed from the configuration");
		mc__conn_abort(c);
		mc__conn_sync_trap(c);
		free(c->pubkey);
		c->pubkey = NULL;
		c->used = false;
	}
	db_free(list);
	return IKE_OK;
}

int mc__load_server(mc_daemon *d)
{
	db_medserver *s = calloc(1, sizeof *s);
	int rc;

	if (!s)
		return IKE_ERR_NOMEM;
	rc = db_medserver_get(d->db, s);
	d->have_server = false;
	if (rc == IKE_ERR_NOT_FOUND) {
		snprintf(d->reg_error, sizeof d->reg_error,
		         "no mediation server configured (medcli server set --address IP --pubkey FILE)");
	} else if (rc != IKE_OK) {
		snprintf(d->reg_error, sizeof d->reg_error, "cannot read the server: %s", db_errmsg(d->db));
	} else if (ike_addr_parse(&d->srv, s->address, s->port) != IKE_OK) {
		snprintf(d->reg_error, sizeof d->reg_error, "the server address %.64s is not an IP address",
		         s->address);
	} else if (!s->pubkey_len) {
		snprintf(d->reg_error, sizeof d->reg_error,
		         "only the server's KEY_ID is known; its public key is needed to authenticate it "
		         "(medcli server set --pubkey FILE)");
	} else {
		free(d->srv_pubkey);
		d->srv_pubkey = malloc(s->pubkey_len);
		if (!d->srv_pubkey) {
			free(s);
			return IKE_ERR_NOMEM;
		}
		memcpy(d->srv_pubkey, s->pubkey, s->pubkey_len);
		d->srv_pubkey_len = s->pubkey_len;
		d->srv_id.type = IKE_ID_KEY_ID;
		d->srv_id.len = IKE_KEYID_LEN;
		memcpy(d->srv_id.data, s->keyid, IKE_KEYID_LEN);
		d->have_server = true;
		d->reg_error[0] = '\0';
	}
	free(s);
	return IKE_OK;
}
