/* SPDX-License-Identifier: MIT */
/*
 * medcli/src/status.c - the control socket (DIR/medcli.ctl): the status object
 * (= `medcli status --json`), up, down and reload.
 */
#include "mc_int.h"

static json_t *conn_json(mc_daemon *d, const conn *c)
{
	char a[IKE_ADDR_STRLEN];
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:s}", "alias", c->alias, "state",
	                      sup_state_name(c->sup.st), "local", c->lts_text, "remote", c->rts_text,
	                      "checks", (json_int_t)c->checks, "initiator", c->sup.initiator, "wanted",
	                      sup_wanted(&c->sup), "start", db_start_name((db_start)c->sup.cfg.start));
	int64_t retry = sup_retry_in(&c->sup, mc__now(d));
	uint64_t bi = 0, bo = 0, pi = 0, po = 0;

	if (c->have_path) { /* the pair in use: direct, or through a TURN relay */
		char l[IKE_ADDR_STRLEN], pair[2 * IKE_ADDR_STRLEN + 8];
		snprintf(pair, sizeof pair, "%s -> %s", mc__addr_s(&c->path.local, l, sizeof l),
		         mc__addr_s(&c->path.remote, a, sizeof a));
		json_object_set_new(o, "path", json_string(c->relayed ? "relayed" : "direct"));
		json_object_set_new(o, "pair", json_string(pair));
		json_object_set_new(o, "path_local", json_string(l));
		json_object_set_new(o, "path_remote", json_string(a));
		json_object_set_new(o, "path_since_ms", json_integer((json_int_t)(mc__now(d) - c->path_since)));
		if (c->rtt_ms)
			json_object_set_new(o, "rtt_ms", json_integer((json_int_t)c->rtt_ms));
		if (c->relayed) {
			/* the relayed address that carries it: ours, or the peer's */
			json_object_set_new(o, "relay", json_string(mc__relay_owns(d, &c->path.local) ? l : a));
			if (c->direct_error[0])
				json_object_set_new(o, "direct_error", json_string(c->direct_error));
		}
	}
	json_object_set_new(o, "upgrades", json_integer((json_int_t)c->upgrades));
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
	if (c->sup.st == SUP_UP)
		json_object_set_new(o, "up_ms", json_integer((json_int_t)(c->sup.up_at - c->sup.started)));
	if (retry >= 0)
		json_object_set_new(o, "retry_in_ms", json_integer((json_int_t)retry));
	json_object_set_new(o, "attempts", json_integer((json_int_t)c->sup.attempts));
	if (c->sup.why[0])
		json_object_set_new(o, "error", json_string(c->sup.why));
	return o;
}

static json_t *status_json(mc_daemon *d)
{
	char a[IKE_ADDR_STRLEN], hex[IKE_KEYID_HEX_LEN + 1];
	json_t *o = json_object(), *arr = json_array();

	json_object_set_new(o, "registered", json_boolean(d->registered));
	json_object_set_new(o, "keyid", json_string(ike_keyid_format(d->keyid, hex)));
	if (d->have_srflx)
		json_object_set_new(o, "endpoint", json_string(mc__addr_s(&d->srflx, a, sizeof a)));
	else
		json_object_set_new(o, "endpoint", json_null());
	if (d->have_server)
		json_object_set_new(o, "server", json_string(mc__addr_s(&d->srv, a, sizeof a)));
	if (d->reg_error[0])
		json_object_set_new(o, "error", json_string(d->reg_error));
	if (d->have_turn) /* never the password */
		json_object_set_new(o, "turn", mc__relay_json(d));
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

	(void)mc__load_conns(d);
	c = mc__conn_by_alias(d, alias);
	if (!c)
		return err_json("no peer named %s (medcli peer add ...)", alias);
	if (!c->pubkey_len)
		return err_json("the public key of %s is not configured (only its KEY_ID): it is needed to "
		                "authenticate the tunnel",
		                alias);
	if (!d->have_server)
		return err_json("%s", d->reg_error);
	mc__logc(d, IKE_LOG_INFO, c->alias, "wanted up by the user");
	mc__conn_event(c, SUP_EV_USER_UP, NULL);
	mc__conn_keep_intent(c);
	ikeio_driver_rearm(d->drv);
	return json_pack("{s:b, s:s}", "ok", 1, "state", sup_state_name(c->sup.st));
}

static json_t *ctl_down(mc_daemon *d, const char *alias)
{
	conn *c = mc__conn_by_alias(d, alias);

	if (!c)
		return err_json("no peer named %s", alias);
	mc__logc(d, IKE_LOG_INFO, c->alias, "taken down by the user");
	mc__conn_event(c, SUP_EV_USER_DOWN, NULL);
	mc__conn_keep_intent(c);
	mc__relay_after_down(d);
	ikeio_driver_rearm(d->drv);
	return json_pack("{s:b}", "ok", 1);
}

json_t *mc__on_ctl(void *user, json_t *req)
{
	mc_daemon *d = user;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	const char *peer = json_string_value(json_object_get(req, "peer"));

	if (!cmd)
		return err_json("no \"cmd\"");
	if (strcmp(cmd, "status") == 0)
		return status_json(d);
	if (strcmp(cmd, "reload") == 0) {
		int rc = mc__load_conns(d);
		if (rc == IKE_OK)
			rc = mc__load_server(d);
		return rc == IKE_OK ? json_pack("{s:b}", "ok", 1)
		                    : err_json("reload failed: %s", ike_strerror(rc));
	}
	if ((strcmp(cmd, "up") == 0 || strcmp(cmd, "down") == 0) && !peer)
		return err_json("which peer? (\"peer\": ALIAS)");
	if (strcmp(cmd, "up") == 0)
		return ctl_up(d, peer);
	if (strcmp(cmd, "down") == 0)
		return ctl_down(d, peer);
	return err_json("unknown command %s", cmd);
}
