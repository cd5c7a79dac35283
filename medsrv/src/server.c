/* SPDX-License-Identifier: MIT */
/*
 * The daemon: workers (thread + uv loop + shard + sockets + inbox), the main
 * thread's control socket and signals. See medsrv/server.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "ike/crypto_key.h"
#include "ikeio/addr.h"
#include "ikeio/ctl.h"
#include "ikeio/driver.h"
#include "ikeio/log.h"
#include "ikeio/signal.h"
#include "ikeio/udp.h"
#include "medsrv/route.h"
#include "medsrv/server.h"
#include "medsrv/shard.h"
#include "medsrv/status.h"

#define INBOX_MAX 8192 /* items waiting in one worker's inbox */
#define GRACE_MS 1000  /* for the DELETEs at shutdown */
#define IKE_HDR_LEN 28

typedef struct inbox_item {
	struct inbox_item *next;
	bool is_msg;
	ms_msg msg;
	ike_path path;
	size_t len;
	uint8_t data[];
} inbox_item;

typedef struct server server;

typedef struct listen_socks {
	ikeio_udp *ike, *natt;
} listen_socks;

typedef struct worker {
	server *srv;
	unsigned index;
	uv_thread_t thread;
	uv_sem_t ready;
	int setup_rc;
	uv_loop_t loop;
	uv_async_t async;
	uv_timer_t grace;
	bool loop_open, async_open, grace_open;
	ikeio_driver *timer;
	listen_socks socks[MS_LISTEN_MAX];
	ms_shard *shard;
	ms_shard_stats stats; /* under lock: published after each engine call, read by the status */
	db *db;
	db_peer peerbuf; /* the key find_key returned, valid until the next lookup */
	pthread_mutex_t lock;
	inbox_item *head, **tail;
	size_t ninbox;
	bool open;        /* under lock: the async handle takes inbox items */
	atomic_bool stop; /* set by the main thread */
	bool stopping;    /* worker thread: DELETEs sent, grace running */
	char tag[64];
} worker;

struct server {
	const ms_run_opts *o;
	char dir[4096];
	ikeio_log_sink sink;
	ms_registry *reg;
	uint8_t keyid[IKE_KEYID_LEN];
	uint8_t *key_pem;
	size_t key_pem_len;
	ike_addr listen[MS_LISTEN_MAX];
	unsigned nlisten;
	unsigned nworkers, shard_bits;
	worker *workers;
	uv_loop_t loop;
	ikeio_ctl *ctl;
	ikeio_signals *sigs;
	db *db; /* the main thread's, for status */
	time_t started;
};

/* ---- helpers ---- */

static ike_ms mono_ms(void)
{
	return uv_hrtime() / 1000000u;
}

static void logw(server *s, ike_log_level lvl, const char *fmt, ...) IKE_PRINTF(3, 4);

static void logw(server *s, ike_log_level lvl, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ikeio_logf(&s->sink, lvl, IKE_SUB_MAIN, NULL, "%s", msg);
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f)
		return errno == ENOENT ? IKE_ERR_NOT_FOUND : IKE_ERR_IO;
	buf = malloc(IKE_KEY_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return IKE_ERR_NOMEM;
	}
	n = fread(buf, 1, IKE_KEY_FILE_MAX + 1, f);
	fclose(f);
	if (n == 0 || n > IKE_KEY_FILE_MAX) {
		OPENSSL_cleanse(buf, IKE_KEY_FILE_MAX + 1);
		free(buf);
		return n ? IKE_ERR_LIMIT : IKE_ERR_IO;
	}
	*out = buf;
	*len = n;
	return IKE_OK;
}

static bool is_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* "198.51.100.10" or "2001:db8::1": an address without its port. */
static const char *ip_str(const ike_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == IKE_AF_INET6 ? AF_INET6 : AF_INET, a->ip, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* ---- inbox ---- */

static int inbox_push(worker *w, inbox_item *it)
{
	pthread_mutex_lock(&w->lock);
	if (!w->open || w->ninbox >= INBOX_MAX) {
		pthread_mutex_unlock(&w->lock);
		free(it);
		return IKE_ERR_LIMIT;
	}
	it->next = NULL;
	*w->tail = it;
	w->tail = &it->next;
	w->ninbox++;
	uv_async_send(&w->async);
	pthread_mutex_unlock(&w->lock);
	return IKE_OK;
}

static int post_msg(void *user, const ms_msg *m)
{
	worker *w = user;
	inbox_item *it;

	if (m->to_shard >= w->srv->nworkers)
		return IKE_ERR_INVAL;
	it = malloc(sizeof *it);
	if (!it)
		return IKE_ERR_NOMEM;
	it->is_msg = true;
	it->msg = *m;
	it->len = 0;
	return inbox_push(&w->srv->workers[m->to_shard], it);
}

static void forward_dgram(worker *w, unsigned to, const ike_path *path, const uint8_t *pkt, size_t len)
{
	inbox_item *it = malloc(sizeof *it + len);

	if (!it) {
		ms_registry_count(w->srv->reg, MS_CTR_DROPS, 1);
		return;
	}
	it->is_msg = false;
	it->path = *path;
	it->len = len;
	memcpy(it->data, pkt, len);
	if (inbox_push(&w->srv->workers[to], it) != IKE_OK)
		ms_registry_count(w->srv->reg, MS_CTR_DROPS, 1);
	else
		ms_registry_count(w->srv->reg, MS_CTR_FORWARDED, 1);
}

/* ---- shard callbacks ---- */

static listen_socks *socks_for(worker *w, const ike_addr *local)
{
	listen_socks *any = NULL;

	for (unsigned i = 0; i < w->srv->nlisten; i++) {
		const ike_addr *l = &w->srv->listen[i];
		if (l->family != local->family)
			continue;
		if (ike_addr_ip_eq(l, local))
			return &w->socks[i];
		if (!any && ikeio_addr_is_any(l))
			any = &w->socks[i];
	}
	return any;
}

static int w_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	worker *w = user;
	listen_socks *ls = socks_for(w, &path->local);

	if (!ls)
		return IKE_ERR_INVAL;
	if (path->local.port == w->srv->o->natt_port)
		return ls->natt ? ikeio_udp_send_ike(ls->natt, path, pkt, len) : IKE_ERR_INVAL;
	return ls->ike ? ikeio_udp_send_ike(ls->ike, path, pkt, len) : IKE_ERR_INVAL;
}

static int w_find_key(void *user, const uint8_t *keyid, size_t len, ms_peer_key *out)
{
	worker *w = user;
	int rc = db_peer_find_keyid(w->db, keyid, len, &w->peerbuf);

	if (rc != IKE_OK) {
		if (rc != IKE_ERR_NOT_FOUND)
			ikeio_logf(&w->srv->sink, IKE_LOG_ERROR, IKE_SUB_DB, w->tag,
			           "key lookup failed: %s (%s)", ike_strerror(rc), db_errmsg(w->db));
		return rc;
	}
	memcpy(out->keyid, w->peerbuf.keyid, IKE_KEYID_LEN);
	out->pubkey = w->peerbuf.pubkey;
	out->pubkey_len = w->peerbuf.pubkey_len;
	return IKE_OK;
}

static void w_log(void *user, const ike_log_rec *rec)
{
	worker *w = user;
	ike_log_rec r = *rec;
	char tag[96];

	if (w->srv->nworkers > 1) {
		snprintf(tag, sizeof tag, "w%u%s%s", w->index, rec->tag ? " " : "", rec->tag ? rec->tag : "");
		r.tag = tag;
	}
	ikeio_log_stderr(&w->srv->sink, &r);
}

/* ---- worker ---- */

/* Copies the shard's counters where the main thread's status can read them. */
static void publish_stats(worker *w)
{
	ms_shard_stats st;

	ms_shard_get_stats(w->shard, &st);
	pthread_mutex_lock(&w->lock);
	w->stats = st;
	pthread_mutex_unlock(&w->lock);
}

static void process_dgram(worker *w, const ike_path *path, const uint8_t *pkt, size_t len)
{
	int rc = ms_shard_recv(w->shard, path, pkt, len, ikeio_now(&w->loop));

	if (ike_err_is_fatal(rc))
		ikeio_logf(&w->srv->sink, IKE_LOG_ERROR, IKE_SUB_IKE, w->tag, "engine: %s", ike_strerror(rc));
	ikeio_driver_rearm(w->timer);
	publish_stats(w);
}

static void on_ike(void *user, ikeio_udp *sock, const ike_path *path, const uint8_t *pkt, size_t len)
{
	worker *w = user;
	unsigned to = ms_route_shard(pkt, len, w->srv->shard_bits, w->srv->nworkers, w->index);

	(void)sock;
	if (w->stopping && len >= IKE_HDR_LEN && is_zero(pkt + 8, 8))
		return; /* shutting down: no new registrations */
	if (to != w->index) {
		forward_dgram(w, to, path, pkt, len);
		return;
	}
	process_dgram(w, path, pkt, len);
}

static void close_worker_handles(worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->open = false;
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < MS_LISTEN_MAX; i++) {
		ikeio_udp_close(w->socks[i].ike);
		ikeio_udp_close(w->socks[i].natt);
		w->socks[i].ike = w->socks[i].natt = NULL;
	}
	ikeio_driver_free(w->timer);
	w->timer = NULL;
	if (w->async_open) {
		uv_close((uv_handle_t *)&w->async, NULL);
		w->async_open = false;
	}
	if (w->grace_open) {
		uv_close((uv_handle_t *)&w->grace, NULL);
		w->grace_open = false;
	}
}

static void on_grace(uv_timer_t *t)
{
	close_worker_handles(t->data);
}

static void drain_inbox(worker *w)
{
	inbox_item *it;

	pthread_mutex_lock(&w->lock);
	it = w->head;
	w->head = NULL;
	w->tail = &w->head;
	w->ninbox = 0;
	pthread_mutex_unlock(&w->lock);
	while (it) {
		inbox_item *next = it->next;
		if (w->timer) {
			if (it->is_msg) {
				/* Refusals (a stale SA, a full queue) are logged and counted by the shard. */
				int rc = ms_shard_deliver(w->shard, &it->msg, ikeio_now(&w->loop));
				publish_stats(w);
				if (ike_err_is_fatal(rc))
					ikeio_logf(&w->srv->sink, IKE_LOG_ERROR, IKE_SUB_ME, w->tag,
					           "message: %s", ike_strerror(rc));
				ikeio_driver_rearm(w->timer);
			} else {
				process_dgram(w, &it->path, it->data, it->len);
			}
		}
		if (it->is_msg)
			OPENSSL_cleanse(it->msg.req.connect_key, sizeof it->msg.req.connect_key);
		free(it);
		it = next;
	}
}

static void on_async(uv_async_t *a)
{
	worker *w = a->data;

	drain_inbox(w);
	if (atomic_load(&w->stop) && !w->stopping && w->timer) {
		ms_shard_stats st;
		w->stopping = true;
		ms_shard_get_stats(w->shard, &st);
		if (!st.registered) {
			close_worker_handles(w);
			return;
		}
		ms_shard_terminate_all(w->shard, ikeio_now(&w->loop));
		ikeio_driver_rearm(w->timer);
		uv_timer_start(&w->grace, on_grace, GRACE_MS, 0);
	}
}

static ike_ms drv_deadline(void *obj)
{
	return ms_shard_next_deadline(((worker *)obj)->shard);
}

static int drv_tick(void *obj, ike_ms now)
{
	worker *w = obj;
	int rc = ms_shard_tick(w->shard, now);

	publish_stats(w);
	return rc;
}

static int worker_setup(worker *w)
{
	server *s = w->srv;
	const ms_run_opts *o = s->o;
	ms_shard_callbacks cb = {w_send, w_find_key, post_msg, w_log, NULL};
	ikeio_udp_cbs ucb = {on_ike, NULL, NULL};
	ikeio_driver_ops dops = {drv_deadline, drv_tick, NULL};
	ms_shard_config cfg;
	int rc;

	if (uv_loop_init(&w->loop) != 0)
		return IKE_ERR_NOMEM;
	w->loop_open = true;
	if (uv_async_init(&w->loop, &w->async, on_async) != 0)
		return IKE_ERR_IO;
	w->async.data = w;
	w->async_open = true;
	pthread_mutex_lock(&w->lock);
	w->open = true;
	pthread_mutex_unlock(&w->lock);
	uv_timer_init(&w->loop, &w->grace);
	w->grace.data = w;
	w->grace_open = true;

	ms_shard_config_defaults(&cfg);
	cfg.engine.log_level = o->log_level;
	cfg.engine.name = "medsrv";
	cfg.engine.private_key = (ike_slice){s->key_pem, s->key_pem_len};
	cfg.engine.local_id.type = IKE_ID_KEY_ID;
	cfg.engine.local_id.len = IKE_KEYID_LEN;
	memcpy(cfg.engine.local_id.data, s->keyid, IKE_KEYID_LEN);
	cfg.engine.port = o->port;
	cfg.engine.natt_port = o->natt_port;
	cfg.engine.dpd_interval_ms = (ike_ms)(o->dpd_s ? o->dpd_s : 30) * 1000;
	/* 1, 2, 4, 4, 4 s: a client gone without a goodbye is noticed within 15 s. */
	cfg.engine.retransmit_max_ms = 4000;
#ifdef MEDSRV_HAVE_SPI_SHARD
	cfg.engine.spi_shard_bits = s->shard_bits;
	cfg.engine.spi_shard = w->index;
#endif
	cfg.index = (uint16_t)w->index;
	cfg.registry = s->reg;
	cfg.turn = o->turn;
	rc = ms_shard_new(&w->shard, &cfg, &cb, w, ikeio_now(&w->loop));
	if (rc != IKE_OK) {
		logw(s, IKE_LOG_ERROR, "worker %u: cannot create the engine: %s", w->index, ike_strerror(rc));
		return rc;
	}
	for (unsigned i = 0; i < s->nlisten; i++) {
		ikeio_udp_cfg ucfg = {s->listen[i], false, s->nworkers > 1};
		char a[IKE_ADDR_STRLEN];
		ucfg.bind.port = o->port;
		rc = ikeio_udp_open(&w->loop, &ucfg, &ucb, w, &w->socks[i].ike);
		if (rc == IKE_OK) {
			ucfg.bind.port = o->natt_port;
			ucfg.natt = true;
			rc = ikeio_udp_open(&w->loop, &ucfg, &ucb, w, &w->socks[i].natt);
		}
		if (rc != IKE_OK) {
			logw(s, IKE_LOG_ERROR, "cannot listen on %s: %s%s%s",
			     ike_addr_str(&ucfg.bind, a, sizeof a), ike_strerror(rc),
			     rc == IKE_ERR_IO ? ": " : "", rc == IKE_ERR_IO ? strerror(errno) : "");
			return rc;
		}
	}
	return ikeio_driver_new(&w->loop, &dops, w, &w->timer);
}

static void worker_main(void *arg)
{
	worker *w = arg;

	w->setup_rc = worker_setup(w);
	uv_sem_post(&w->ready);
	if (!w->loop_open)
		return;
	if (w->setup_rc != IKE_OK)
		close_worker_handles(w);
	else
		uv_run(&w->loop, UV_RUN_DEFAULT);
	/* Every handle is closed: let their close callbacks run. */
	uv_run(&w->loop, UV_RUN_DEFAULT);
	drain_inbox(w);
	ms_shard_free(w->shard);
	w->shard = NULL;
	if (uv_loop_close(&w->loop) != 0)
		logw(w->srv, IKE_LOG_WARN, "worker %u: loop closed with open handles", w->index);
}

/* ---- main thread ---- */

static json_t *on_ctl(void *user, json_t *req)
{
	server *s = user;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	ms_shard_stats shards[MS_WORKERS_MAX];
	ms_status_info info;
	json_t *st;
	int err;

	if (!cmd || strcmp(cmd, "status") != 0)
		return json_pack("{s:s}", "error", "unknown command (medsrv knows \"status\")");
	for (unsigned i = 0; i < s->nworkers; i++) {
		pthread_mutex_lock(&s->workers[i].lock);
		shards[i] = s->workers[i].stats;
		pthread_mutex_unlock(&s->workers[i].lock);
	}
	info.shards = shards;
	info.server_keyid = s->keyid;
	info.workers = s->nworkers;
	info.uptime_s = (int64_t)(time(NULL) - s->started);
	st = ms_status_json(s->db, s->reg, &info, mono_ms(), (int64_t)time(NULL), &err);
	if (!st) {
		logw(s, IKE_LOG_ERROR, "status: %s (%s)", ike_strerror(err), db_errmsg(s->db));
		return json_pack("{s:s}", "error", "cannot read the peer database");
	}
	return st;
}

static void stop_workers(server *s)
{
	for (unsigned i = 0; i < s->nworkers; i++) {
		worker *w = &s->workers[i];
		atomic_store(&w->stop, true);
		pthread_mutex_lock(&w->lock);
		if (w->open)
			uv_async_send(&w->async);
		pthread_mutex_unlock(&w->lock);
	}
}

static void on_stop(void *user, int signum)
{
	server *s = user;

	logw(s, IKE_LOG_INFO, "%s: deleting registrations and stopping",
	     signum == SIGINT ? "SIGINT" : "SIGTERM");
	stop_workers(s);
	ikeio_ctl_close(s->ctl);
	s->ctl = NULL;
	ikeio_signals_free(s->sigs);
	s->sigs = NULL;
}

static unsigned count_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

static int open_db(server *s, db **out)
{
	char path[4200], err[256];
	db_opts dbo = {0};
	int rc;

	dbo.must_exist = true;
	snprintf(path, sizeof path, "%s/medsrv.db", s->dir);
	rc = db_open(out, path, DB_KIND_SERVER, &dbo, err, sizeof err);
	if (rc != IKE_OK)
		fprintf(stderr, "medsrv: %s: %s%s\n", path, err,
		        rc == IKE_ERR_NOT_FOUND ? " (run `medsrv init` first)" : "");
	return rc;
}

static int prepare(server *s)
{
	const ms_run_opts *o = s->o;
	char path[4200];
	ike_key *key = NULL;
	int rc;

	snprintf(s->dir, sizeof s->dir, "%s", o->dir);
	snprintf(path, sizeof path, "%s/medsrv.key", s->dir);
	rc = read_file(path, &s->key_pem, &s->key_pem_len);
	if (rc == IKE_OK)
		rc = ike_key_load(&key, NULL, (ike_slice){s->key_pem, s->key_pem_len});
	if (rc == IKE_OK && !ike_key_is_private(key))
		rc = IKE_ERR_INVAL;
	if (rc == IKE_OK)
		rc = ike_key_keyid(key, IKE_KEYID_SPK, s->keyid);
	ike_key_free(key);
	if (rc != IKE_OK) {
		fprintf(stderr, "medsrv: %s: %s%s\n", path, ike_strerror(rc),
		        rc == IKE_ERR_NOT_FOUND ? " (run `medsrv init` first)" : "");
		return rc;
	}
	if ((rc = open_db(s, &s->db)) != IKE_OK)
		return rc;
	for (unsigned i = 0; i < o->nlisten || (i == 0 && !o->nlisten); i++) {
		const char *a = o->nlisten ? o->listen[i] : "0.0.0.0";
		if (ike_addr_parse(&s->listen[i], a, 0) != IKE_OK) {
			fprintf(stderr, "medsrv: --listen %s: not an IP address\n", a);
			return IKE_ERR_INVAL;
		}
		s->nlisten = i + 1;
	}
	s->nworkers = o->workers ? o->workers : count_cpus();
	if (s->nworkers > MS_WORKERS_MAX)
		s->nworkers = MS_WORKERS_MAX;
#ifndef MEDSRV_HAVE_SPI_SHARD
	if (s->nworkers > 1) {
		logw(s, IKE_LOG_WARN, "this build's engine has no SPI sharding: running 1 worker, not %u",
		     s->nworkers);
		s->nworkers = 1;
	}
#endif
	while ((1u << s->shard_bits) < s->nworkers)
		s->shard_bits++;
	return ms_registry_new(&s->reg, NULL, NULL);
}

static void cleanup(server *s)
{
	if (s->workers) {
		for (unsigned i = 0; i < s->nworkers; i++) {
			worker *w = &s->workers[i];
			db_close(w->db);
			pthread_mutex_destroy(&w->lock);
			uv_sem_destroy(&w->ready);
		}
		free(s->workers);
	}
	db_close(s->db);
	ms_registry_free(s->reg);
	if (s->key_pem) {
		OPENSSL_cleanse(s->key_pem, s->key_pem_len);
		free(s->key_pem);
	}
}

int ms_run(const ms_run_opts *o)
{
	server s;
	char ctl[4200], kid[IKE_KEYID_HEX_LEN + 1];
	unsigned started = 0;
	int rc;

	memset(&s, 0, sizeof s);
	s.o = o;
	s.sink.max = o->log_level;
	s.started = time(NULL);
	/* One malloc arena for all workers: glibc otherwise gives each worker thread its
	 * own, and the memory a registration's exchanges free stays in the arena of the
	 * worker that freed it. Measured with bench/medsrv/bench_medsrv.sh (256 peers
	 * held): 3.5 KB of RSS per registration with an arena per worker, 1.8 KB with
	 * one; the CPU time per registration did not change (0.63 vs 0.65 ms). */
	if (mallopt(M_ARENA_MAX, 1) != 1)
		ikeio_logf(&s.sink, IKE_LOG_WARN, IKE_SUB_MAIN, "main", "mallopt(M_ARENA_MAX) refused");
	if ((rc = prepare(&s)) != IKE_OK)
		goto out;
	s.workers = calloc(s.nworkers, sizeof *s.workers);
	if (!s.workers) {
		rc = IKE_ERR_NOMEM;
		goto out;
	}
	for (unsigned i = 0; i < s.nworkers; i++) {
		worker *w = &s.workers[i];
		w->srv = &s;
		w->index = i;
		w->tail = &w->head;
		pthread_mutex_init(&w->lock, NULL);
		uv_sem_init(&w->ready, 0);
		atomic_init(&w->stop, false);
		snprintf(w->tag, sizeof w->tag, "w%u", i);
		if ((rc = open_db(&s, &w->db)) != IKE_OK)
			goto out;
	}
	if (uv_loop_init(&s.loop) != 0) {
		rc = IKE_ERR_NOMEM;
		goto out;
	}
	snprintf(ctl, sizeof ctl, "%s", o->ctl ? o->ctl : "");
	if (!o->ctl)
		snprintf(ctl, sizeof ctl, "%s/medsrv.ctl", s.dir);
	rc = ikeio_ctl_listen(&s.loop, ctl, on_ctl, &s, &s.ctl);
	if (rc != IKE_OK) {
		fprintf(stderr, "medsrv: control socket %s: %s%s\n", ctl, ike_strerror(rc),
		        rc == IKE_ERR_EXISTS ? " (another medsrv is running there)" : "");
		goto stop_loop;
	}
	if ((rc = ikeio_signals_new(&s.loop, on_stop, &s, &s.sigs)) != IKE_OK) {
		fprintf(stderr, "medsrv: cannot watch signals: %s\n", ike_strerror(rc));
		ikeio_ctl_close(s.ctl);
		s.ctl = NULL;
		goto stop_loop;
	}
	for (; started < s.nworkers; started++) {
		worker *w = &s.workers[started];
		if (uv_thread_create(&w->thread, worker_main, w) != 0) {
			rc = IKE_ERR_NOMEM;
			break;
		}
		uv_sem_wait(&w->ready);
		if ((rc = w->setup_rc) != IKE_OK) {
			started++;
			break;
		}
	}
	if (rc != IKE_OK) {
		stop_workers(&s);
		ikeio_ctl_close(s.ctl);
		ikeio_signals_free(s.sigs);
		s.ctl = NULL;
		s.sigs = NULL;
	} else {
		char a[IKE_ADDR_STRLEN];
		for (unsigned i = 0; i < s.nlisten; i++)
			logw(&s, IKE_LOG_INFO, "listening on %s ports %u and %u",
			     ip_str(&s.listen[i], a, sizeof a), o->port, o->natt_port);
		logw(&s, IKE_LOG_INFO, "medsrv %s running with %u worker%s, control socket %s",
		     ike_keyid_format(s.keyid, kid), s.nworkers, s.nworkers == 1 ? "" : "s", ctl);
		if (o->turn && o->turn->server.family)
			logw(&s, IKE_LOG_INFO, "TURN relay %s for registered peers, credentials valid %u s",
			     ike_addr_str(&o->turn->server, a, sizeof a), o->turn->ttl_s);
	}
stop_loop:
	uv_run(&s.loop, UV_RUN_DEFAULT);
	for (unsigned i = 0; i < started; i++)
		uv_thread_join(&s.workers[i].thread);
	if (uv_loop_close(&s.loop) != 0)
		fprintf(stderr, "medsrv: main loop closed with open handles\n");
	if (rc == IKE_OK)
		logw(&s, IKE_LOG_INFO, "stopped");
out:
	cleanup(&s);
	return rc;
}
