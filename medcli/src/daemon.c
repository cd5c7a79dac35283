/* SPDX-License-Identifier: MIT */
/*
 * medcli/src/daemon.c - `medcli run`: the loop (one libuv loop: sockets 500/4500, one timer at the
 * earliest deadline of the engine, the check sessions and the connections, the
 * control socket, signals), the datagram dispatch, start and graceful stop.
 */
#include "mc_int.h"

/* The tunnel's packet counters for the supervisor's send-without-receive check. */
static bool traffic_of(mc_daemon *d, const conn *c, sup_traffic *tr)
{
#ifdef MEDCLI_HAVE_DP
	dp_stats st;

	if (c->spi_in && d->dp && dp_child_stats(d->dp, c->spi_in, &st) == IKE_OK) {
		tr->in = st.packets_in;
		tr->out = st.packets_out;
		return true;
	}
#else
	(void)d;
	(void)c;
	(void)tr;
#endif
	return false;
}

/* A liveness check of the direct IKE_SA, and of the registration: a tunnel that
 * sends without receiving may have lost its NAT mapping, and the server's answer
 * tells us our endpoint again. */
static void probe(mc_daemon *d, conn *c)
{
	c->probe_pending = false;
	mc__logc(d, IKE_LOG_INFO, c->alias, "sending without receiving: checking the path");
	if (ike_sa_ref_valid(c->sa))
		IGNORE_RC(ike_engine_dpd(d->eng, c->sa, mc__now(d)));
	if (d->registered)
		IGNORE_RC(ike_engine_dpd(d->eng, d->reg_sa, mc__now(d)));
}

static void housekeeping(mc_daemon *d)
{
	ike_ms t = mc__now(d);

	if (!d->registered && !ike_sa_ref_valid(d->reg_sa) && d->have_server && t >= d->reg_retry_at)
		mc__reg_start(d);
	for (size_t i = 0; i < d->nconns; i++) {
		conn *c = &d->conns[i];
		sup_traffic tr;

		if (!c->used)
			continue;
		/* After the outcome the session keeps answering a slower peer's checks
		 * until the tunnel is up (or the attempt has ended); a relayed tunnel's
		 * session goes on checking the direct pairs in the background. */
		if (c->hp &&
		    (c->hp_free || (c->hp_done && c->sup.st != SUP_CHECKING && c->sup.st != SUP_CONNECTING &&
		                    !(c->sup.st == SUP_UP && c->relayed && hp_session_background(c->hp)))))
			mc__conn_stop_checks(c);
		if (c->hp && c->recheck_at && t >= c->recheck_at) {
			if (c->sup.st == SUP_UP && c->relayed && hp_session_background(c->hp)) {
				IGNORE_RC(hp_session_recheck(c->hp, t));
				c->recheck_ms = c->recheck_ms * 2 > MC_RECHECK_MAX_MS ? MC_RECHECK_MAX_MS
				                                                       : c->recheck_ms * 2;
				c->recheck_at = t + c->recheck_ms;
			} else {
				c->recheck_at = 0;
			}
		}
		if (c->me_pending)
			mc__send_me_connect(c);
		if (c->probe_pending)
			probe(d, c);
		if (t >= sup_next_deadline(&c->sup))
			mc__conn_apply(
			    c, sup_tick(&c->sup, t, traffic_of(d, c, &tr) ? &tr : NULL, mc__rand32()));
		if (c->me_pending) /* a retry just asked for a mediation */
			mc__send_me_connect(c);
	}
}

/* The loop's next wake-up. Each term is a time that the tick moves or clears,
 * so a deadline in the past is always consumed (it cannot spin). */
static ike_ms drv_deadline(void *obj)
{
	mc_daemon *d = obj;
	ike_ms t = ike_engine_next_deadline(d->eng);

	if (!d->registered && !ike_sa_ref_valid(d->reg_sa) && d->have_server && d->reg_retry_at < t)
		t = d->reg_retry_at;
	for (size_t i = 0; i < d->nconns; i++) {
		const conn *c = &d->conns[i];
		ike_ms s;

		if (!c->used)
			continue;
		if (c->hp_free || c->probe_pending)
			t = 0;
		if (c->hp) {
			ike_ms h = hp_session_next_deadline(c->hp);
			if (h < t)
				t = h;
			if (c->recheck_at && c->recheck_at < t) /* consumed or cleared by housekeeping */
				t = c->recheck_at;
		}
		/* A pending ME_CONNECT goes out only when registered and the server is not
		 * answering another one (registration up and the answer arrive as events). */
		if (c->me_pending && d->registered && !d->me_inflight && c->me_retry_at < t)
			t = c->me_retry_at;
		if ((s = sup_next_deadline(&c->sup)) < t)
			t = s;
	}
	if (mc__relay_deadline(d) < t)
		t = mc__relay_deadline(d);
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
	if (t >= mc__relay_deadline(d))
		mc__relay_tick(d, t);
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
		conn *c = mc__conn_by_cid(d, cid.ptr, cid.len);
		if (c && c->hp && !c->hp_free) {
			d->in_hp = true;
			(void)hp_session_recv(c->hp, path, pkt, len, mc__now(d));
			d->in_hp = false;
		}
		housekeeping(d);
		ikeio_driver_rearm(d->drv);
		return;
	}
	d->in_engine = true;
	rc = ike_engine_recv(d->eng, path, pkt, len, mc__now(d));
	d->in_engine = false;
	if (ike_err_is_fatal(rc))
		mc__logc(d, IKE_LOG_ERROR, "ike", "engine failure: %s", ike_strerror(rc));
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
	return mc__xmit(user, path, MC_XMIT_RAW, pkt, len);
}

/* The peer's authenticated ESP came from a new place (its NAT moved it): the
 * data plane sends there already; the direct IKE_SA follows. */
static void on_esp_path(void *user, uint32_t spi_in, const ike_path *path)
{
	mc_daemon *d = user;

	for (size_t i = 0; i < d->nconns; i++)
		if (d->conns[i].used && d->conns[i].spi_in == spi_in) {
			mc__conn_moved(&d->conns[i], path, "ESP");
			return;
		}
}

/* On-demand: a packet for a peer's side with no tunnel (dp traps, at most once a
 * second per peer). */
static void on_trap(void *user, void *cookie)
{
	mc_daemon *d = user;
	conn *c = cookie;

	if (!c->used || sup_wanted(&c->sup) || c->sup.intent == SUP_INTENT_DOWN)
		return;
	mc__logc(d, IKE_LOG_INFO, c->alias, "on-demand: traffic for %s, bringing the tunnel up", c->rts_text);
	mc__conn_event(c, SUP_EV_TRAFFIC, NULL);
	ikeio_driver_rearm(d->drv);
}
#endif

/* ---- start and stop ---- */

static void on_stop(void *user, int signum)
{
	mc_daemon *d = user;

	mc__logc(d, IKE_LOG_INFO, "main", "signal %d: stopping", signum);
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
		mc__logc(d, IKE_LOG_ERROR, "main", "no private key in %s: run 'medcli keygen --dir %s'", path,
		         d->o->dir);
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
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || n > IKE_KEY_FILE_MAX ||
	    fseek(f, 0, SEEK_SET) != 0 || !(d->key_pem = malloc((size_t)n)) ||
	    fread(d->key_pem, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return IKE_ERR_IO;
	}
	fclose(f);
	d->key_pem_len = (size_t)n;
	return IKE_OK;
}

static int open_sockets(mc_daemon *d)
{
	ikeio_udp_cbs cb = {on_ike, NULL, NULL};
	ikeio_udp_cfg cfg;
	int rc;

#ifdef MEDCLI_HAVE_DP
	cb.on_esp = on_esp;
#endif
	cb.claim = mc__relay_claim; /* what the TURN server sends is STUN or ChannelData */
	memset(&cfg, 0, sizeof cfg);
	(void)ike_addr_parse(&cfg.bind, "0.0.0.0", d->o->port);
	rc = ikeio_udp_open(&d->loop, &cfg, &cb, d, &d->socks.ike);
	if (rc == IKE_OK) {
		cfg.bind.port = d->o->natt_port;
		cfg.natt = true;
		rc = ikeio_udp_open(&d->loop, &cfg, &cb, d, &d->socks.natt);
	}
	if (rc != IKE_OK)
		mc__logc(d, IKE_LOG_ERROR, "main", "cannot open UDP ports %u/%u: %s%s%s", d->o->port,
		         d->o->natt_port, ike_strerror(rc), rc == IKE_ERR_IO ? ": " : "",
		         rc == IKE_ERR_IO ? strerror(errno) : "");
	return rc;
}

static int setup(mc_daemon *d)
{
	char path[4096], err[256] = "";
	db_opts dbo = {.must_exist = true};
	ike_callbacks cb = {mc__eng_send, mc__eng_lookup, mc__eng_event, mc__log_rec, NULL};
	ikeio_driver_ops dops = {drv_deadline, drv_tick, NULL};
	ike_config cfg;
	int rc;

	snprintf(path, sizeof path, "%s/medcli.db", d->o->dir);
	rc = db_open(&d->db, path, DB_KIND_CLIENT, &dbo, err, sizeof err);
	if (rc != IKE_OK) {
		mc__logc(d, IKE_LOG_ERROR, "main", "cannot open %s: %s (run 'medcli init --dir %s')", path,
		         err[0] ? err : ike_strerror(rc), d->o->dir);
		return rc;
	}
	if ((rc = read_key(d)) != IKE_OK || (rc = mc__load_server(d)) != IKE_OK ||
	    (rc = mc__load_conns(d)) != IKE_OK)
		return rc;
	if (!d->have_server)
		mc__logc(d, IKE_LOG_WARN, "medsrv", "%s", d->reg_error);
	ike_config_defaults(&cfg);
	cfg.log_level = d->o->log_level;
	cfg.name = "medcli";
	cfg.local_id.type = IKE_ID_KEY_ID;
	cfg.local_id.len = IKE_KEYID_LEN;
	memcpy(cfg.local_id.data, d->keyid, IKE_KEYID_LEN);
	cfg.private_key = (ike_slice){d->key_pem, d->key_pem_len};
	cfg.port = d->o->port;
	cfg.natt_port = d->o->natt_port;
	cfg.dpd_interval_ms = (ike_ms)(d->o->dpd_s ? d->o->dpd_s : 10) * 1000;
	/* 0, 0.5, 1.5, 3.5, 5.5 s, given up at 7.5 s: a dead path or server is
	 * noticed within seconds, and a restarted server sees us at most 2 s after. */
	cfg.retransmit_base_ms = 500;
	cfg.retransmit_max_ms = 2000;
	cfg.retransmit_tries = 5;
	rc = ike_engine_new(&d->eng, &cfg, &cb, d, mc__now(d));
	OPENSSL_cleanse(d->key_pem, d->key_pem_len);
	if (rc != IKE_OK) {
		mc__logc(d, IKE_LOG_ERROR, "main", "cannot create the IKE engine: %s", ike_strerror(rc));
		return rc;
	}
	if ((rc = open_sockets(d)) != IKE_OK)
		return rc;
#ifdef MEDCLI_HAVE_DP
	{
		dp_cfg dc = {d->o->xfrm ? DP_BACKEND_XFRM : DP_BACKEND_TUN, d->o->ifname, 0, 0};
		rc = dp_new(&d->loop, &dc, dp_send, d, &d->dp);
		if (rc != IKE_OK) {
			mc__logc(d, IKE_LOG_ERROR, "main", "cannot start the data plane (%s): %s%s%s",
			         d->o->xfrm ? "xfrm" : "tun", ike_strerror(rc), rc == IKE_ERR_IO ? ": " : "",
			         rc == IKE_ERR_IO ? strerror(errno) : "");
			return rc;
		}
		dp_set_trap_cb(d->dp, on_trap);
		dp_set_path_cb(d->dp, on_esp_path);
		for (size_t i = 0; i < d->nconns; i++)
			if (d->conns[i].used)
				mc__conn_sync_trap(&d->conns[i]);
	}
#endif
	snprintf(path, sizeof path, "%s/medcli.ctl", d->o->dir);
	rc = ikeio_ctl_listen(&d->loop, path, mc__on_ctl, d, &d->ctl);
	if (rc != IKE_OK) {
		mc__logc(d, IKE_LOG_ERROR, "main", "cannot listen on %s: %s", path,
		         rc == IKE_ERR_EXISTS ? "another medcli runs on this directory" : ike_strerror(rc));
		return rc;
	}
	if ((rc = ikeio_signals_new(&d->loop, on_stop, d, &d->sigs)) != IKE_OK)
		return rc;
	return ikeio_driver_new(&d->loop, &dops, d, &d->drv);
}

static void teardown(mc_daemon *d)
{
	mc__relay_stop(d); /* frees the allocation on the relay while the socket is open */
	for (size_t i = 0; i < d->nconns; i++) {
		mc__conn_stop_checks(&d->conns[i]);
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
	OPENSSL_cleanse(&d->turn, sizeof d->turn);
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
			IGNORE_RC(ike_engine_terminate(d->eng, d->conns[i].sa, mc__now(d)));
	if (ike_sa_ref_valid(d->reg_sa))
		IGNORE_RC(ike_engine_terminate(d->eng, d->reg_sa, mc__now(d)));
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
		mc__logc(d, IKE_LOG_INFO, "main", "medcli %s running in %s (%zu peers, UDP %u/%u)",
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
