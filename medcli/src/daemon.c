/* SPDX-License-Identifier: MIT */
/*
 * medcli/src/daemon.c - `medcli run`: one libuv loop with the IKE engine, the
 * connectivity-check sessions (holepunch/), the data plane (medcli/dp) and the
 * control socket.
 *
 * A connection (one configured peer) goes
 *   down -> mediating -> checking -> connecting -> up
 * through ME_CONNECT at the mediation server, ICE-style checks on the candidate
 * pairs, and the direct IKE_SA on the chosen pair; "waiting" when the peer is not
 * online at the server (it calls us back when the peer registers), "failed" with
 * a reason. The registration at the server is kept up and retried with back-off.
 * See docs/medcli.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <uv.h>

#include "db/db.h"
#include "holepunch/hp.h"
#include "ike/crypto_key.h"
#include "ike/engine.h"
#include "ike/iana.h"
#include "ikeio/ctl.h"
#include "ikeio/driver.h"
#include "ikeio/log.h"
#include "ikeio/signal.h"
#include "ikeio/udp.h"
#include "medcli/medcli.h"
#ifdef MEDCLI_HAVE_DP
#include "dp.h"
#endif

/* For calls whose failure changes nothing here (the SA is gone already, a
 * datagram is lost and retransmitted): IKE_MUST_CHECK is satisfied explicitly. */
#define IGNORE_RC(x)          \
	do {                  \
		if ((x) != IKE_OK) { \
		}             \
	} while (0)

#define MAX_CONNS 64
#define REG_BACKOFF_MAX_S 30
#define ME_RETRY_MS 20 /* ME_CONNECT blocked by another exchange: try again */

typedef enum cstate {
	C_DOWN,
	C_MEDIATING,
	C_WAITING,
	C_CHECKING,
	C_CONNECTING,
	C_UP,
	C_FAILED,
} cstate;

static const char *const state_names[] = {"down", "mediating", "waiting", "checking", "connecting", "up", "failed"};

struct mc_daemon;

typedef struct conn {
	struct mc_daemon *d;
	bool used;    /* slot in use (slots never move: sessions point to them) */
	bool present; /* still in the database */
	char alias[DB_ALIAS_MAX + 1];
	uint8_t keyid[IKE_KEYID_LEN];
	uint8_t *pubkey;
	size_t pubkey_len;
	char lts_text[DB_CIDR_MAX + 1], rts_text[DB_CIDR_MAX + 1];
	ike_tsel_list lts, rts;

	cstate st;
	bool want_up;   /* the user asked for it: re-mediate when the tunnel dies */
	bool initiator; /* we sent the ME_CONNECT request */
	bool me_pending; /* our ME_CONNECT (request or response) still has to go out */
	ike_ms me_retry_at;
	uint8_t cid[HP_CONNECT_ID_LEN];
	uint8_t key_i[HP_CONNECT_KEY_LEN], key_r[HP_CONNECT_KEY_LEN];
	hp_candidate local[MC_MAX_CAND];
	size_t n_local;
	hp_candidate remote[IKE_ME_EP_MAX];
	size_t n_remote;
	hp_session *hp;
	bool hp_done; /* outcome reported: free once the tunnel is up or failed */
	bool hp_free; /* free at the next housekeeping (asked from inside an hp callback) */
	uint64_t checks;
	ike_sa_ref sa;
	uint32_t spi_in;
	ike_path path;
	bool have_path;
	ike_ms started, deadline, retry_at, up_ms;
	char error[512];
} conn;

typedef struct mc_daemon {
	const mc_run_opts *o;
	uv_loop_t loop;
	ikeio_log_sink log;
	db *db;
	uint8_t *key_pem;
	size_t key_pem_len;
	uint8_t keyid[IKE_KEYID_LEN];
	ike_engine *eng;
	ikeio_driver *drv;
	ikeio_udp_pair socks;
	ikeio_ctl *ctl;
	ikeio_signals *sigs;
#ifdef MEDCLI_HAVE_DP
	dp *dp;
#endif
	bool in_engine; /* inside an engine call: defer ME_CONNECT sends */
	bool in_hp;     /* inside an hp_session call: defer freeing sessions */

	/* the mediation server and our registration */
	bool have_server;
	ike_addr srv;
	ike_id srv_id;
	uint8_t *srv_pubkey;
	size_t srv_pubkey_len;
	ike_sa_ref reg_sa;
	bool registered;
	ike_addr srflx, reg_local;
	bool have_srflx;
	ike_ms reg_retry_at, reg_since;
	unsigned reg_backoff_s;
	char reg_error[512];
	conn *me_inflight; /* whose ME_CONNECT awaits the server's answer */

	conn conns[MAX_CONNS];
	size_t nconns;
} mc_daemon;

/* ---- logging ---- */

static void logc(mc_daemon *d, ike_log_level lvl, const char *tag, const char *fmt, ...) IKE_PRINTF(4, 5);

static void logc(mc_daemon *d, ike_log_level lvl, const char *tag, const char *fmt, ...)
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

static void set_error(conn *c, const char *fmt, ...) IKE_PRINTF(2, 3);

static void set_error(conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof c->error, fmt, ap);
	va_end(ap);
}

static void log_rec(void *user, const ike_log_rec *rec)
{
	mc_daemon *d = user;
	ikeio_log_stderr(&d->log, rec);
}

static const char *addr_s(const ike_addr *a, char *buf, size_t len)
{
	return ike_addr_str(a, buf, len);
}

static ike_ms now(mc_daemon *d)
{
	return ikeio_now(&d->loop);
}

/* ---- connections ---- */

static conn *conn_by_alias(mc_daemon *d, const char *alias)
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
		if (d->conns[i].used && d->conns[i].present && memcmp(d->conns[i].keyid, keyid, IKE_KEYID_LEN) == 0)
			return &d->conns[i];
	return NULL;
}

static conn *conn_by_id(mc_daemon *d, const ike_id *id)
{
	return id->type == IKE_ID_KEY_ID ? conn_by_keyid(d, id->data, id->len) : NULL;
}

static conn *conn_by_cid(mc_daemon *d, const uint8_t *cid, size_t len)
{
	if (len != HP_CONNECT_ID_LEN)
		return NULL;
	for (size_t i = 0; i < d->nconns; i++) {
		conn *c = &d->conns[i];
		if (c->used && c->st >= C_MEDIATING && c->st != C_FAILED && memcmp(c->cid, cid, len) == 0)
			return c;
	}
	return NULL;
}

static conn *conn_by_sa(mc_daemon *d, ike_sa_ref sa)
{
	for (size_t i = 0; i < d->nconns; i++)
		if (d->conns[i].used && ike_sa_ref_valid(d->conns[i].sa) && ike_sa_ref_eq(d->conns[i].sa, sa))
			return &d->conns[i];
	return NULL;
}

static void conn_stop_checks(conn *c)
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

/* Ends whatever the connection is doing (keeps want_up as it is). */
static void conn_reset(conn *c, cstate st)
{
	mc_daemon *d = c->d;

	conn_stop_checks(c);
	if (d->me_inflight == c)
		d->me_inflight = NULL;
	c->me_pending = false;
	if (ike_sa_ref_valid(c->sa)) /* from an engine callback the engine queues it */
		IGNORE_RC(ike_engine_terminate(d->eng, c->sa, now(d)));
	c->sa = (ike_sa_ref){0, 0};
#ifdef MEDCLI_HAVE_DP
	if (c->spi_in && d->dp)
		IGNORE_RC(dp_child_del(d->dp, c->spi_in));
#endif
	c->spi_in = 0;
	c->have_path = false;
	c->deadline = 0;
	c->st = st;
}

static void conn_fail(conn *c, const char *why)
{
	logc(c->d, IKE_LOG_WARN, c->alias, "connection failed: %s", why);
	if (why != c->error)
		snprintf(c->error, sizeof c->error, "%s", why);
	conn_reset(c, C_FAILED);
	c->want_up = false;
}

/* Loads the configured peers from the database, keeping the state of the ones
 * that stay. */
static int load_conns(mc_daemon *d)
{
	db_cpeer *list = NULL;
	size_t n = 0;
	int rc = db_cpeer_list(d->db, &list, &n);

	if (rc != IKE_OK) {
		logc(d, IKE_LOG_ERROR, "config", "cannot read the peers: %s", db_errmsg(d->db));
		return rc;
	}
	for (size_t i = 0; i < d->nconns; i++)
		d->conns[i].present = false;
	for (size_t i = 0; i < n; i++) {
		const db_cpeer *p = &list[i];
		conn *c = conn_by_alias(d, p->alias);
		ike_tsel l, r;

		if (ike_tsel_parse(&l, p->local_ts) != IKE_OK || ike_tsel_parse(&r, p->remote_ts) != IKE_OK) {
			logc(d, IKE_LOG_WARN, p->alias, "ignored: bad traffic selector %s / %s", p->local_ts, p->remote_ts);
			continue;
		}
		if (!c) {
			for (size_t k = 0; k < d->nconns && !c; k++)
				if (!d->conns[k].used)
					c = &d->conns[k];
			if (!c && d->nconns == MAX_CONNS) {
				logc(d, IKE_LOG_WARN, p->alias, "ignored: more than %d peers", MAX_CONNS);
				continue;
			}
			if (!c)
				c = &d->conns[d->nconns++];
			memset(c, 0, sizeof *c);
			c->d = d;
			c->used = true;
			snprintf(c->alias, sizeof c->alias, "%s", p->alias);
		}
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
	}
	/* Peers deleted from the database: tear their tunnels down. */
	for (size_t i = 0; i < d->nconns; i++) {
		conn *c = &d->conns[i];
		if (!c->used || c->present || c->hp)
			continue; /* a session still running is freed first, then the slot */
		logc(d, IKE_LOG_INFO, c->alias, "removed from the configuration");
		conn_reset(c, C_DOWN);
		free(c->pubkey);
		c->pubkey = NULL;
		c->used = false;
	}
	db_free(list);
	return IKE_OK;
}

static int load_server(mc_daemon *d)
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
		snprintf(d->reg_error, sizeof d->reg_error, "the server address %.64s is not an IP address", s->address);
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

/* ---- registration ---- */

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

static void reg_start(mc_daemon *d)
{
	ike_peer_cfg p;
	char a[IKE_ADDR_STRLEN];
	int rc;

	if (!d->have_server || ike_sa_ref_valid(d->reg_sa))
		return;
	reg_peer_cfg(d, &p);
	rc = ike_engine_initiate(d->eng, &p, now(d), &d->reg_sa);
	if (rc != IKE_OK) {
		snprintf(d->reg_error, sizeof d->reg_error, "cannot start the registration: %s", ike_strerror(rc));
		logc(d, IKE_LOG_ERROR, "medsrv", "%s", d->reg_error);
		d->reg_retry_at = now(d) + 5000;
		return;
	}
	logc(d, IKE_LOG_INFO, "medsrv", "registering at %s", addr_s(&d->srv, a, sizeof a));
}

static void reg_down(mc_daemon *d, const char *why)
{
	d->registered = false;
	d->have_srflx = false;
	d->reg_sa = (ike_sa_ref){0, 0};
	d->me_inflight = NULL;
	d->reg_backoff_s = d->reg_backoff_s ? d->reg_backoff_s * 2 : 1;
	if (d->reg_backoff_s > REG_BACKOFF_MAX_S)
		d->reg_backoff_s = REG_BACKOFF_MAX_S;
	d->reg_retry_at = now(d) + (ike_ms)d->reg_backoff_s * 1000;
	snprintf(d->reg_error, sizeof d->reg_error, "%s", why);
	logc(d, IKE_LOG_WARN, "medsrv", "not registered: %s; retrying in %u s", why, d->reg_backoff_s);
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
static void send_me_connect(conn *c)
{
	mc_daemon *d = c->d;
	ike_me_connect m;
	int rc;

	if (!c->me_pending || !d->registered || d->in_engine || d->me_inflight || now(d) < c->me_retry_at)
		return;
	fill_me_connect(c, &m);
	rc = ike_engine_me_connect(d->eng, d->reg_sa, &m, now(d));
	if (rc == IKE_ERR_STATE) {
		c->me_retry_at = now(d) + ME_RETRY_MS;
		return;
	}
	if (rc != IKE_OK) {
		set_error(c, "could not send ME_CONNECT to the mediation server: %s", ike_strerror(rc));
		conn_fail(c, c->error);
		return;
	}
	c->me_pending = false;
	d->me_inflight = c;
	logc(d, IKE_LOG_INFO, c->alias, "ME_CONNECT %s sent with %zu candidates",
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
	rc = ike_engine_initiate(d->eng, &p, now(d), &c->sa);
	if (rc != IKE_OK) {
		set_error(c, "cannot start the direct IKE_SA: %s", ike_strerror(rc));
		conn_fail(c, c->error);
		return;
	}
	logc(d, IKE_LOG_INFO, c->alias, "direct IKE_SA %s -> %s", addr_s(&path->local, a, sizeof a),
	     addr_s(&path->remote, b, sizeof b));
}

static void describe_pairs(conn *c, const hp_pair_info *pairs, size_t n)
{
	size_t off = strlen(c->error);

	off += (size_t)snprintf(c->error + off, off < sizeof c->error ? sizeof c->error - off : 0, "; tried");
	for (size_t i = 0; i < n && off < sizeof c->error; i++) {
		char a[IKE_ADDR_STRLEN], b[IKE_ADDR_STRLEN];
		off += (size_t)snprintf(c->error + off, sizeof c->error - off, "%s %s->%s (%s, %u sent)",
		                        i ? "," : "", addr_s(&pairs[i].path.local, a, sizeof a),
		                        addr_s(&pairs[i].path.remote, b, sizeof b), hp_pair_state_name(pairs[i].state),
		                        pairs[i].sent);
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
		logc(d, IKE_LOG_DEBUG, c->alias, "pair valid %s -> %s", addr_s(&ev->path.local, a, sizeof a),
		     addr_s(&ev->path.remote, b, sizeof b));
		break;
	case HP_EV_PAIR_CHOSEN:
		c->path = ev->path;
		c->have_path = true;
		c->hp_done = true;
		logc(d, IKE_LOG_INFO, c->alias, "pair chosen %s -> %s after %llu ms",
		     addr_s(&ev->path.local, a, sizeof a), addr_s(&ev->path.remote, b, sizeof b),
		     (unsigned long long)(now(d) - c->started));
		c->st = C_CONNECTING;
		if (c->initiator)
			start_direct_sa(c, &ev->path);
		break;
	case HP_EV_FAILED:
		c->hp_done = true;
		set_error(c, "no path through the NATs to %s: %s", c->alias, ev->reason ? ev->reason : "checks failed");
		describe_pairs(c, ev->pairs, ev->n_pairs);
		c->st = C_FAILED;
		c->want_up = false;
		logc(d, IKE_LOG_WARN, c->alias, "%s", c->error);
		break;
	}
}

static int start_checks(conn *c)
{
	mc_daemon *d = c->d;
	hp_callbacks cb = {hp_send, hp_event_cb, log_rec};
	hp_config cfg;
	int rc;

	conn_stop_checks(c);
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
	rc = hp_session_new(&c->hp, &cfg, &cb, c, now(d));
	if (rc != IKE_OK) {
		set_error(c, "cannot start the connectivity checks: %s", ike_strerror(rc));
		conn_fail(c, c->error);
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
static void conn_start(conn *c)
{
	mc_daemon *d = c->d;

	conn_reset(c, C_MEDIATING);
	c->error[0] = '\0';
	c->initiator = true;
	c->checks = 0;
	c->started = now(d);
	c->deadline = c->started + (ike_ms)d->o->up_timeout_s * 1000;
	c->up_ms = 0;
	if (RAND_bytes(c->cid, sizeof c->cid) != 1 || RAND_bytes(c->key_i, sizeof c->key_i) != 1) {
		conn_fail(c, "no random numbers");
		return;
	}
	memset(c->key_r, 0, sizeof c->key_r);
	gather_local(c);
	c->me_pending = true;
	c->me_retry_at = 0;
	send_me_connect(c);
}

/* An ME_CONNECT request relayed by the server: a peer wants to reach us. */
static void on_peer_request(mc_daemon *d, const ike_me_connect *req, uint16_t *reply)
{
	conn *c = conn_by_id(d, &req->peer);
	char hex[IKE_KEYID_HEX_LEN + 1] = "?";

	if (req->peer.type == IKE_ID_KEY_ID && req->peer.len == IKE_KEYID_LEN)
		ike_keyid_format(req->peer.data, hex);
	if (!c) {
		logc(d, IKE_LOG_WARN, "medsrv", "refused a mediated connection from unknown KEY_ID %s", hex);
		*reply = IKE_ME_CONNECT_FAILED;
		return;
	}
	if (!c->pubkey_len) {
		logc(d, IKE_LOG_WARN, c->alias, "refused a mediated connection: no public key configured for it");
		*reply = IKE_ME_CONNECT_FAILED;
		return;
	}
	if (req->connect_id_len != HP_CONNECT_ID_LEN || req->connect_key_len != HP_CONNECT_KEY_LEN) {
		logc(d, IKE_LOG_WARN, c->alias, "refused ME_CONNECT with a %u-byte connect ID and a %u-byte key",
		     req->connect_id_len, req->connect_key_len);
		*reply = IKE_ME_CONNECT_FAILED;
		return;
	}
	/* A new request replaces whatever we had with this peer (it may have restarted). */
	conn_reset(c, C_CHECKING);
	c->error[0] = '\0';
	c->initiator = false;
	c->want_up = true;
	c->checks = 0;
	c->started = now(d);
	c->deadline = c->started + (ike_ms)d->o->up_timeout_s * 1000;
	memcpy(c->cid, req->connect_id, HP_CONNECT_ID_LEN);
	memcpy(c->key_i, req->connect_key, HP_CONNECT_KEY_LEN);
	if (RAND_bytes(c->key_r, sizeof c->key_r) != 1) {
		conn_fail(c, "no random numbers");
		return;
	}
	copy_remote(c, req);
	gather_local(c);
	logc(d, IKE_LOG_INFO, c->alias, "mediated connection requested by the peer (%zu candidates)", c->n_remote);
	if (start_checks(c) != IKE_OK)
		return;
	c->me_pending = true; /* our response goes out after this engine call */
	c->me_retry_at = 0;
}

static void on_me_connect(mc_daemon *d, const ike_event *ev)
{
	const ike_me_connect *req = ev->u.me_connect.req;
	conn *c;

	if (!ike_sa_ref_eq(ev->sa, d->reg_sa)) {
		*ev->u.me_connect.reply = IKE_ME_CONNECT_FAILED; /* only the server mediates */
		return;
	}
	if (req->response) {
		c = conn_by_cid(d, req->connect_id, req->connect_id_len);
		if (!c || !c->initiator || c->st != C_MEDIATING || req->connect_key_len != HP_CONNECT_KEY_LEN) {
			logc(d, IKE_LOG_WARN, "medsrv", "ME_CONNECT response for no request of ours: ignored");
			return;
		}
		memcpy(c->key_r, req->connect_key, HP_CONNECT_KEY_LEN);
		copy_remote(c, req);
		logc(d, IKE_LOG_INFO, c->alias, "peer answered with %zu candidates after %llu ms", c->n_remote,
		     (unsigned long long)(now(d) - c->started));
		(void)start_checks(c);
		return;
	}
	if (req->callback && req->connect_id_len == 0) {
		c = conn_by_id(d, &req->peer);
		if (c && c->st == C_WAITING && c->want_up) {
			logc(d, IKE_LOG_INFO, c->alias, "the peer came online: connecting");
			c->retry_at = now(d); /* conn_start after this engine call */
		}
		return;
	}
	on_peer_request(d, req, ev->u.me_connect.reply);
}

static void on_me_reply(mc_daemon *d, const ike_event *ev)
{
	conn *c = d->me_inflight;
	char hex[IKE_KEYID_HEX_LEN + 1];

	d->me_inflight = NULL;
	if (!c || !ike_sa_ref_eq(ev->sa, d->reg_sa))
		return;
	if (ev->u.me_reply.notify == 0)
		return;
	if (!c->initiator) {
		set_error(c, "the server refused our ME_CONNECT response (notify %u)", ev->u.me_reply.notify);
		conn_fail(c, c->error);
		return;
	}
	if (ev->u.me_reply.notify == IKE_ME_CONNECT_FAILED) {
		conn_reset(c, C_WAITING);
		set_error(c, "peer %s (KEY_ID %s) is not online at the mediation server; waiting for it to register",
		          c->alias, ike_keyid_format(c->keyid, hex));
		logc(d, IKE_LOG_INFO, c->alias, "%s", c->error);
		return;
	}
	set_error(c, "the mediation server refused ME_CONNECT (%s)", ike_notify_name(ev->u.me_reply.notify));
	conn_fail(c, c->error);
}

/* ---- engine callbacks ---- */

static int eng_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	mc_daemon *d = user;
	return ikeio_udp_pair_send(&d->socks, path, pkt, len);
}

static int eng_lookup(void *user, const ike_id *peer_id, const ike_path *path, ike_peer_cfg *out)
{
	mc_daemon *d = user;
	conn *c;

	(void)path;
	if (d->have_server && peer_id->type == d->srv_id.type && peer_id->len == d->srv_id.len &&
	    memcmp(peer_id->data, d->srv_id.data, peer_id->len) == 0) {
		out->remote_pubkey = (ike_slice){d->srv_pubkey, d->srv_pubkey_len};
		return IKE_OK;
	}
	c = conn_by_id(d, peer_id);
	if (!c || !c->pubkey_len)
		return IKE_ERR_NOT_FOUND;
	out->name = c->alias;
	out->remote_id = *peer_id;
	out->local_auth = out->remote_auth = IKE_AUTHBY_PUBKEY;
	out->remote_pubkey = (ike_slice){c->pubkey, c->pubkey_len};
	out->local_ts = c->lts;
	out->remote_ts = c->rts;
	return IKE_OK;
}

static void on_child_up(mc_daemon *d, conn *c, const ike_event *ev)
{
	const ike_child_info *info = ev->u.child.info;
	char a[IKE_ADDR_STRLEN];

	if (!c) {
		logc(d, IKE_LOG_WARN, "child", "CHILD_SA for an unknown connection ignored");
		return;
	}
#ifdef MEDCLI_HAVE_DP
	{
		int rc = d->dp ? dp_child_add(d->dp, info) : IKE_ERR_STATE;
		if (rc != IKE_OK) {
			set_error(c, "the data plane refused the CHILD_SA: %s", ike_strerror(rc));
			logc(d, IKE_LOG_ERROR, c->alias, "%s", c->error);
			c->st = C_FAILED;
			IGNORE_RC(ike_engine_terminate(d->eng, ev->sa, now(d)));
			return;
		}
	}
#endif
	c->spi_in = info->spi_in;
	c->path = info->path;
	c->have_path = true;
	c->st = C_UP;
	c->up_ms = now(d);
	c->error[0] = '\0';
	logc(d, IKE_LOG_INFO, c->alias, "tunnel up via %s, %llu ms after the start",
	     addr_s(&info->path.remote, a, sizeof a), (unsigned long long)(c->up_ms - c->started));
}

static void eng_event(void *user, const ike_event *ev)
{
	mc_daemon *d = user;
	conn *c;
	char a[IKE_ADDR_STRLEN];

	switch (ev->type) {
	case IKE_EV_SA_UP:
		if (ike_sa_ref_eq(ev->sa, d->reg_sa)) {
			d->registered = true;
			d->reg_backoff_s = 0;
			d->reg_since = now(d);
			d->reg_error[0] = '\0';
			logc(d, IKE_LOG_INFO, "medsrv", "registered at %s%s", addr_s(&ev->u.sa_up.path.remote, a, sizeof a),
			     ev->u.sa_up.nat_local ? " (behind a NAT)" : "");
			break;
		}
		c = conn_by_sa(d, ev->sa);
		if (!c && !ev->u.sa_up.initiator) {
			c = conn_by_id(d, &ev->u.sa_up.remote_id);
			if (c) {
				if (ike_sa_ref_valid(c->sa) && !ike_sa_ref_eq(c->sa, ev->sa))
					IGNORE_RC(ike_engine_terminate(d->eng, c->sa, now(d)));
				c->sa = ev->sa;
			}
		}
		if (c)
			logc(d, IKE_LOG_INFO, c->alias, "direct IKE_SA up");
		break;
	case IKE_EV_SA_DOWN:
		if (ike_sa_ref_eq(ev->sa, d->reg_sa)) {
			char why[160];
			snprintf(why, sizeof why, "%s%s%s",
			         ev->u.sa_down.reason == IKE_OK ? "the server closed the registration"
			                                        : ike_strerror(ev->u.sa_down.reason),
			         ev->u.sa_down.notify ? ", notify " : "",
			         ev->u.sa_down.notify ? ike_notify_name(ev->u.sa_down.notify) : "");
			reg_down(d, why);
			break;
		}
		c = conn_by_sa(d, ev->sa);
		if (!c)
			break;
		c->sa = (ike_sa_ref){0, 0};
		if (c->st == C_UP && c->want_up) {
			set_error(c, "the direct tunnel went down (%s); mediating again",
			          ev->u.sa_down.reason == IKE_OK ? "deleted by the peer" : ike_strerror(ev->u.sa_down.reason));
			logc(d, IKE_LOG_WARN, c->alias, "%s", c->error);
			conn_reset(c, C_DOWN);
			c->retry_at = now(d) + 1000;
		} else if (c->st == C_CONNECTING) {
			set_error(c, "the direct IKE_SA failed: %s%s%s", ike_strerror(ev->u.sa_down.reason),
			          ev->u.sa_down.notify ? ", notify " : "",
			          ev->u.sa_down.notify ? ike_notify_name(ev->u.sa_down.notify) : "");
			conn_fail(c, c->error);
		} else if (c->st == C_UP) {
			conn_reset(c, C_DOWN);
		}
		break;
	case IKE_EV_SA_REKEYED:
		if (ike_sa_ref_eq(ev->u.sa_rekeyed.old_sa, d->reg_sa))
			d->reg_sa = ev->sa;
		else if ((c = conn_by_sa(d, ev->u.sa_rekeyed.old_sa)))
			c->sa = ev->sa;
		break;
	case IKE_EV_CHILD_UP:
		on_child_up(d, conn_by_sa(d, ev->sa), ev);
		break;
	case IKE_EV_CHILD_REKEYED:
		c = conn_by_sa(d, ev->sa);
#ifdef MEDCLI_HAVE_DP
		if (d->dp && dp_child_rekey(d->dp, ev->u.child.old_spi_in, ev->u.child.info) != IKE_OK)
			logc(d, IKE_LOG_ERROR, c ? c->alias : "child", "the data plane refused the rekeyed CHILD_SA");
#endif
		if (c)
			c->spi_in = ev->u.child.info->spi_in;
		break;
	case IKE_EV_CHILD_DOWN:
#ifdef MEDCLI_HAVE_DP
		if (d->dp)
			IGNORE_RC(dp_child_del(d->dp, ev->u.child_down.spi_in));
#endif
		for (size_t i = 0; i < d->nconns; i++)
			if (d->conns[i].spi_in == ev->u.child_down.spi_in)
				d->conns[i].spi_in = 0;
		break;
	case IKE_EV_KEEPALIVE:
		IGNORE_RC(ikeio_udp_send_keepalive(d->socks.natt, &ev->u.keepalive.path));
		break;
	case IKE_EV_ME_ENDPOINT:
		d->srflx = ev->u.me_endpoint.addr;
		d->have_srflx = true;
		logc(d, IKE_LOG_INFO, "medsrv", "public endpoint %s", addr_s(&d->srflx, a, sizeof a));
		break;
	case IKE_EV_ME_CONNECT:
		on_me_connect(d, ev);
		break;
	case IKE_EV_ME_CONNECT_REPLY:
		on_me_reply(d, ev);
		break;
	case IKE_EV_ME_CONNECTID:
		c = conn_by_cid(d, ev->u.me_connectid.id, ev->u.me_connectid.len);
		if (c && c->hp && !c->hp_free && !c->initiator) {
			d->in_hp = true;
			IGNORE_RC(hp_session_nominated(c->hp, &ev->u.me_connectid.path, now(d)));
			d->in_hp = false;
		}
		break;
	}
}

/* ---- the loop: timers, datagrams, housekeeping ---- */

static void housekeeping(mc_daemon *d)
{
	ike_ms t = now(d);

	if (!d->registered && !ike_sa_ref_valid(d->reg_sa) && d->have_server && t >= d->reg_retry_at)
		reg_start(d);
	for (size_t i = 0; i < d->nconns; i++) {
		conn *c = &d->conns[i];

		if (!c->used)
			continue;
		/* After the outcome the session keeps answering a slower peer's checks
		 * until the tunnel is up (or has failed). */
		if (c->hp && (c->hp_free || (c->hp_done && (c->st == C_UP || c->st == C_FAILED || c->st == C_DOWN))))
			conn_stop_checks(c);
		if (c->me_pending)
			send_me_connect(c);
		if ((c->st == C_DOWN || c->st == C_WAITING) && c->want_up && c->retry_at && t >= c->retry_at) {
			c->retry_at = 0;
			conn_start(c);
		}
		if (c->deadline && t >= c->deadline && c->st >= C_MEDIATING && c->st <= C_CONNECTING &&
		    c->st != C_WAITING) {
			if (c->st == C_MEDIATING)
				set_error(c, "%s within %u s", d->registered ? "the peer did not answer through the mediation server"
				                                           : "not registered at the mediation server",
				          d->o->up_timeout_s);
			else if (c->st == C_CONNECTING)
				set_error(c, "the direct IKE_SA did not come up within %u s", d->o->up_timeout_s);
			else
				set_error(c, "no path through the NATs within %u s", d->o->up_timeout_s);
			if (c->st == C_MEDIATING && !d->registered && d->reg_error[0]) {
				size_t n = strlen(c->error);
				snprintf(c->error + n, sizeof c->error - n, " (%s)", d->reg_error);
			}
			conn_fail(c, c->error);
		}
	}
}

static ike_ms drv_deadline(void *obj)
{
	mc_daemon *d = obj;
	ike_ms t = ike_engine_next_deadline(d->eng);

	if (!d->registered && !ike_sa_ref_valid(d->reg_sa) && d->have_server && d->reg_retry_at < t)
		t = d->reg_retry_at;
	for (size_t i = 0; i < d->nconns; i++) {
		const conn *c = &d->conns[i];
		if (!c->used)
			continue;
		if (c->hp_free)
			t = 0;
		if (c->hp) {
			ike_ms h = hp_session_next_deadline(c->hp);
			if (h < t)
				t = h;
		}
		if (c->me_pending && c->me_retry_at < t)
			t = c->me_retry_at;
		if (c->retry_at && c->want_up && c->retry_at < t)
			t = c->retry_at;
		if (c->deadline && c->st >= C_MEDIATING && c->st <= C_CONNECTING && c->deadline < t)
			t = c->deadline;
	}
	return t;
}

static int drv_tick(void *obj, ike_ms t)
{
	mc_daemon *d = obj;
	int rc;

	d->in_engine = true;
	rc = ike_engine_tick(d->eng, t);
	d->in_engine = false;
	d->in_hp = true;
	for (size_t i = 0; i < d->nconns; i++)
		if (d->conns[i].used && d->conns[i].hp && !d->conns[i].hp_free)
			(void)hp_session_tick(d->conns[i].hp, t);
	d->in_hp = false;
	housekeeping(d);
	return rc;
}

static void on_ike(void *user, ikeio_udp *sock, const ike_path *path, const uint8_t *pkt, size_t len)
{
	mc_daemon *d = user;
	uint64_t si, sr;
	ike_slice cid;
	int rc;

	(void)sock;
	if (ike_msg_peek_spis(pkt, len, &si, &sr, NULL) == IKE_OK && si == 0 && sr == 0 &&
	    hp_check_connect_id(pkt, len, &cid) == IKE_OK) {
		conn *c = conn_by_cid(d, cid.ptr, cid.len);
		if (c && c->hp && !c->hp_free) {
			d->in_hp = true;
			(void)hp_session_recv(c->hp, path, pkt, len, now(d));
			d->in_hp = false;
		}
		housekeeping(d);
		ikeio_driver_rearm(d->drv);
		return;
	}
	d->in_engine = true;
	rc = ike_engine_recv(d->eng, path, pkt, len, now(d));
	d->in_engine = false;
	if (ike_err_is_fatal(rc))
		logc(d, IKE_LOG_ERROR, "ike", "engine failure: %s", ike_strerror(rc));
	housekeeping(d);
	ikeio_driver_rearm(d->drv);
}

#ifdef MEDCLI_HAVE_DP
static void on_esp(void *user, ikeio_udp *sock, const ike_path *path, const uint8_t *pkt, size_t len)
{
	mc_daemon *d = user;

	(void)sock;
	if (d->dp)
		dp_esp_input(d->dp, path, pkt, len);
}

static int dp_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	mc_daemon *d = user;
	return ikeio_udp_send_raw(d->socks.natt, path, pkt, len);
}
#endif

/* ---- control socket ---- */

static json_t *conn_json(mc_daemon *d, const conn *c)
{
	char a[IKE_ADDR_STRLEN];
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b}", "alias", c->alias, "state", state_names[c->st], "local",
	                      c->lts_text, "remote", c->rts_text, "checks", (json_int_t)c->checks, "initiator",
	                      c->initiator);
	uint64_t bi = 0, bo = 0, pi = 0, po = 0;

	if (c->have_path)
		json_object_set_new(o, "path", json_string(addr_s(&c->path.remote, a, sizeof a)));
	if (c->have_path)
		json_object_set_new(o, "path_local", json_string(addr_s(&c->path.local, a, sizeof a)));
#ifdef MEDCLI_HAVE_DP
	if (c->spi_in && d->dp) {
		dp_stats st;
		if (dp_child_stats(d->dp, c->spi_in, &st) == IKE_OK) {
			bi = st.bytes_in;
			bo = st.bytes_out;
			pi = st.packets_in;
			po = st.packets_out;
		}
	}
#else
	(void)d;
#endif
	json_object_set_new(o, "bytes_in", json_integer((json_int_t)bi));
	json_object_set_new(o, "bytes_out", json_integer((json_int_t)bo));
	json_object_set_new(o, "packets_in", json_integer((json_int_t)pi));
	json_object_set_new(o, "packets_out", json_integer((json_int_t)po));
	if (c->up_ms && c->st == C_UP)
		json_object_set_new(o, "up_ms", json_integer((json_int_t)(c->up_ms - c->started)));
	if (c->error[0])
		json_object_set_new(o, "error", json_string(c->error));
	return o;
}

static json_t *status_json(mc_daemon *d)
{
	char a[IKE_ADDR_STRLEN], hex[IKE_KEYID_HEX_LEN + 1];
	json_t *o = json_object(), *arr = json_array();

	json_object_set_new(o, "registered", json_boolean(d->registered));
	json_object_set_new(o, "keyid", json_string(ike_keyid_format(d->keyid, hex)));
	if (d->have_srflx)
		json_object_set_new(o, "endpoint", json_string(addr_s(&d->srflx, a, sizeof a)));
	else
		json_object_set_new(o, "endpoint", json_null());
	if (d->have_server)
		json_object_set_new(o, "server", json_string(addr_s(&d->srv, a, sizeof a)));
	if (d->reg_error[0])
		json_object_set_new(o, "error", json_string(d->reg_error));
	for (size_t i = 0; i < d->nconns; i++)
		if (d->conns[i].used)
			json_array_append_new(arr, conn_json(d, &d->conns[i]));
	json_object_set_new(o, "connections", arr);
	return o;
}

static json_t *err_json(const char *fmt, ...) IKE_PRINTF(1, 2);

static json_t *err_json(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return json_pack("{s:s}", "error", msg);
}

static json_t *ctl_up(mc_daemon *d, const char *alias)
{
	conn *c;

	(void)load_conns(d);
	c = conn_by_alias(d, alias);
	if (!c)
		return err_json("no peer named %s (medcli peer add ...)", alias);
	if (!c->pubkey_len)
		return err_json("the public key of %s is not configured (only its KEY_ID): it is needed to "
		                "authenticate the tunnel",
		                alias);
	if (!d->have_server)
		return err_json("%s", d->reg_error);
	c->want_up = true;
	if (c->st == C_UP || (c->st >= C_MEDIATING && c->st <= C_CONNECTING && c->st != C_WAITING))
		return json_pack("{s:b, s:s}", "ok", 1, "state", state_names[c->st]);
	conn_start(c);
	ikeio_driver_rearm(d->drv);
	return json_pack("{s:b, s:s}", "ok", 1, "state", state_names[c->st]);
}

static json_t *ctl_down(mc_daemon *d, const char *alias)
{
	conn *c = conn_by_alias(d, alias);

	if (!c)
		return err_json("no peer named %s", alias);
	c->want_up = false;
	c->retry_at = 0;
	logc(d, IKE_LOG_INFO, c->alias, "taken down by the user");
	conn_reset(c, C_DOWN);
	c->error[0] = '\0';
	ikeio_driver_rearm(d->drv);
	return json_pack("{s:b}", "ok", 1);
}

static json_t *on_ctl(void *user, json_t *req)
{
	mc_daemon *d = user;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	const char *peer = json_string_value(json_object_get(req, "peer"));

	if (!cmd)
		return err_json("no \"cmd\"");
	if (strcmp(cmd, "status") == 0)
		return status_json(d);
	if (strcmp(cmd, "reload") == 0) {
		int rc = load_conns(d);
		if (rc == IKE_OK)
			rc = load_server(d);
		return rc == IKE_OK ? json_pack("{s:b}", "ok", 1) : err_json("reload failed: %s", ike_strerror(rc));
	}
	if ((strcmp(cmd, "up") == 0 || strcmp(cmd, "down") == 0) && !peer)
		return err_json("which peer? (\"peer\": ALIAS)");
	if (strcmp(cmd, "up") == 0)
		return ctl_up(d, peer);
	if (strcmp(cmd, "down") == 0)
		return ctl_down(d, peer);
	return err_json("unknown command %s", cmd);
}

/* ---- start and stop ---- */

static void on_stop(void *user, int signum)
{
	mc_daemon *d = user;

	logc(d, IKE_LOG_INFO, "main", "signal %d: stopping", signum);
	uv_stop(&d->loop);
}

static int read_key(mc_daemon *d)
{
	char path[4096];
	ike_key *key = NULL;
	FILE *f;
	long n;
	int rc;

	snprintf(path, sizeof path, "%s/medcli.key", d->o->dir);
	rc = ike_key_load_file(&key, NULL, path);
	if (rc != IKE_OK || !ike_key_is_private(key)) {
		logc(d, IKE_LOG_ERROR, "main", "no private key in %s: run 'medcli keygen --dir %s'", path, d->o->dir);
		ike_key_free(key);
		return IKE_ERR_NOT_FOUND;
	}
	rc = ike_key_keyid(key, IKE_KEYID_SPK, d->keyid);
	ike_key_free(key);
	if (rc != IKE_OK)
		return rc;
	f = fopen(path, "rb");
	if (!f)
		return IKE_ERR_IO;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || n > IKE_KEY_FILE_MAX || fseek(f, 0, SEEK_SET) != 0 ||
	    !(d->key_pem = malloc((size_t)n)) || fread(d->key_pem, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return IKE_ERR_IO;
	}
	fclose(f);
	d->key_pem_len = (size_t)n;
	return IKE_OK;
}

static int open_sockets(mc_daemon *d)
{
	ikeio_udp_cbs cb = {on_ike, NULL};
	ikeio_udp_cfg cfg;
	int rc;

#ifdef MEDCLI_HAVE_DP
	cb.on_esp = on_esp;
#endif
	memset(&cfg, 0, sizeof cfg);
	(void)ike_addr_parse(&cfg.bind, "0.0.0.0", d->o->port);
	rc = ikeio_udp_open(&d->loop, &cfg, &cb, d, &d->socks.ike);
	if (rc == IKE_OK) {
		cfg.bind.port = d->o->natt_port;
		cfg.natt = true;
		rc = ikeio_udp_open(&d->loop, &cfg, &cb, d, &d->socks.natt);
	}
	if (rc != IKE_OK)
		logc(d, IKE_LOG_ERROR, "main", "cannot open UDP ports %u/%u: %s%s%s", d->o->port, d->o->natt_port,
		     ike_strerror(rc), rc == IKE_ERR_IO ? ": " : "", rc == IKE_ERR_IO ? strerror(errno) : "");
	return rc;
}

static int setup(mc_daemon *d)
{
	char path[4096], err[256] = "";
	db_opts dbo = {.must_exist = true};
	ike_callbacks cb = {eng_send, eng_lookup, eng_event, log_rec, NULL};
	ikeio_driver_ops dops = {drv_deadline, drv_tick, NULL};
	ike_config cfg;
	int rc;

	snprintf(path, sizeof path, "%s/medcli.db", d->o->dir);
	rc = db_open(&d->db, path, DB_KIND_CLIENT, &dbo, err, sizeof err);
	if (rc != IKE_OK) {
		logc(d, IKE_LOG_ERROR, "main", "cannot open %s: %s (run 'medcli init --dir %s')", path,
		     err[0] ? err : ike_strerror(rc), d->o->dir);
		return rc;
	}
	if ((rc = read_key(d)) != IKE_OK || (rc = load_server(d)) != IKE_OK || (rc = load_conns(d)) != IKE_OK)
		return rc;
	if (!d->have_server)
		logc(d, IKE_LOG_WARN, "medsrv", "%s", d->reg_error);
	ike_config_defaults(&cfg);
	cfg.log_level = d->o->log_level;
	cfg.name = "medcli";
	cfg.local_id.type = IKE_ID_KEY_ID;
	cfg.local_id.len = IKE_KEYID_LEN;
	memcpy(cfg.local_id.data, d->keyid, IKE_KEYID_LEN);
	cfg.private_key = (ike_slice){d->key_pem, d->key_pem_len};
	cfg.port = d->o->port;
	cfg.natt_port = d->o->natt_port;
	cfg.dpd_interval_ms = (ike_ms)(d->o->dpd_s ? d->o->dpd_s : 30) * 1000;
	cfg.retransmit_base_ms = 500;
	cfg.retransmit_tries = 5;
	rc = ike_engine_new(&d->eng, &cfg, &cb, d, now(d));
	OPENSSL_cleanse(d->key_pem, d->key_pem_len);
	if (rc != IKE_OK) {
		logc(d, IKE_LOG_ERROR, "main", "cannot create the IKE engine: %s", ike_strerror(rc));
		return rc;
	}
	if ((rc = open_sockets(d)) != IKE_OK)
		return rc;
#ifdef MEDCLI_HAVE_DP
	{
		dp_cfg dc = {d->o->xfrm ? DP_BACKEND_XFRM : DP_BACKEND_TUN, d->o->ifname, 0, 0};
		rc = dp_new(&d->loop, &dc, dp_send, d, &d->dp);
		if (rc != IKE_OK) {
			logc(d, IKE_LOG_ERROR, "main", "cannot start the data plane (%s): %s%s%s",
			     d->o->xfrm ? "xfrm" : "tun", ike_strerror(rc), rc == IKE_ERR_IO ? ": " : "",
			     rc == IKE_ERR_IO ? strerror(errno) : "");
			return rc;
		}
	}
#endif
	snprintf(path, sizeof path, "%s/medcli.ctl", d->o->dir);
	rc = ikeio_ctl_listen(&d->loop, path, on_ctl, d, &d->ctl);
	if (rc != IKE_OK) {
		logc(d, IKE_LOG_ERROR, "main", "cannot listen on %s: %s", path,
		     rc == IKE_ERR_EXISTS ? "another medcli runs on this directory" : ike_strerror(rc));
		return rc;
	}
	if ((rc = ikeio_signals_new(&d->loop, on_stop, d, &d->sigs)) != IKE_OK)
		return rc;
	return ikeio_driver_new(&d->loop, &dops, d, &d->drv);
}

static void teardown(mc_daemon *d)
{
	for (size_t i = 0; i < d->nconns; i++) {
		conn_stop_checks(&d->conns[i]);
		free(d->conns[i].pubkey);
	}
	ike_engine_free(d->eng);
	ikeio_driver_free(d->drv);
	ikeio_ctl_close(d->ctl);
	ikeio_signals_free(d->sigs);
	ikeio_udp_close(d->socks.ike);
	ikeio_udp_close(d->socks.natt);
#ifdef MEDCLI_HAVE_DP
	dp_free(d->dp);
#endif
	uv_run(&d->loop, UV_RUN_NOWAIT); /* close callbacks */
	uv_run(&d->loop, UV_RUN_NOWAIT);
	db_close(d->db);
	free(d->key_pem);
	free(d->srv_pubkey);
	(void)uv_loop_close(&d->loop);
}

static void on_goodbye_timeout(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Graceful stop: DELETE the tunnels and the registration, wait up to 1 s for answers. */
static void say_goodbye(mc_daemon *d)
{
	uv_timer_t t;

	for (size_t i = 0; i < d->nconns; i++)
		if (ike_sa_ref_valid(d->conns[i].sa))
			IGNORE_RC(ike_engine_terminate(d->eng, d->conns[i].sa, now(d)));
	if (ike_sa_ref_valid(d->reg_sa))
		IGNORE_RC(ike_engine_terminate(d->eng, d->reg_sa, now(d)));
	ikeio_driver_rearm(d->drv);
	uv_timer_init(&d->loop, &t);
	uv_timer_start(&t, on_goodbye_timeout, 1000, 0);
	{
		/* stop early once nothing is left to say */
		for (int k = 0; k < 100; k++) {
			ike_stats st;
			uv_run(&d->loop, UV_RUN_ONCE);
			ike_engine_stats(d->eng, &st);
			if (st.sas == 0 || !uv_is_active((uv_handle_t *)&t))
				break;
		}
	}
	uv_timer_stop(&t);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&d->loop, UV_RUN_NOWAIT);
}

int mc_run(const mc_run_opts *o)
{
	mc_daemon *d = calloc(1, sizeof *d);
	int rc;

	if (!d)
		return 1;
	d->o = o;
	d->log.max = o->log_level;
	if (uv_loop_init(&d->loop) != 0) {
		free(d);
		return 1;
	}
	rc = setup(d);
	if (rc == IKE_OK) {
		char hex[IKE_KEYID_HEX_LEN + 1];
		logc(d, IKE_LOG_INFO, "main", "medcli %s running in %s (%zu peers, UDP %u/%u)",
		     ike_keyid_format(d->keyid, hex), o->dir, d->nconns, o->port, o->natt_port);
		housekeeping(d);
		ikeio_driver_rearm(d->drv);
		uv_run(&d->loop, UV_RUN_DEFAULT);
		say_goodbye(d);
	}
	teardown(d);
	free(d);
	return rc == IKE_OK ? 0 : 1;
}
