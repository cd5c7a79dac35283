/* SPDX-License-Identifier: MIT */
/*
 * medcli/src/events.c - the IKE engine's callbacks: sending, the peer lookup of
 * a responder, and the events (SA and CHILD_SA up/down/rekeyed, keepalives,
 * ME_ENDPOINT, ME_CONNECT, ME_CONNECTID) that drive the connections.
 */
#include "mc_int.h"

int mc__eng_send(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	return mc__xmit(user, path, MC_XMIT_IKE, pkt, len);
}

int mc__eng_lookup(void *user, const ike_id *peer_id, const ike_path *path, ike_peer_cfg *out)
{
	mc_daemon *d = user;
	conn *c;

	(void)path;
	if (d->have_server && peer_id->type == d->srv_id.type && peer_id->len == d->srv_id.len &&
	    memcmp(peer_id->data, d->srv_id.data, peer_id->len) == 0) {
		out->remote_pubkey = (ike_slice){d->srv_pubkey, d->srv_pubkey_len};
		return IKE_OK;
	}
	c = mc__conn_by_id(d, peer_id);
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
		mc__logc(d, IKE_LOG_WARN, "child", "CHILD_SA for an unknown connection ignored");
		return;
	}
#ifdef MEDCLI_HAVE_DP
	{
		int rc = d->dp ? dp_child_add(d->dp, info) : IKE_ERR_STATE;
		if (rc != IKE_OK) {
			mc__set_error(c, "the data plane refused the CHILD_SA: %s", ike_strerror(rc));
			mc__logc(d, IKE_LOG_ERROR, c->alias, "%s", c->sup.why);
			mc__conn_fail(c, c->sup.why); /* its abort ends the IKE_SA */
			return;
		}
	}
#endif
	c->spi_in = info->spi_in;
	if (!c->have_path || !ike_addr_eq(&c->path.remote, &info->path.remote) ||
	    !ike_addr_eq(&c->path.local, &info->path.local)) {
		c->relayed = mc__path_relayed(c, &info->path);
		c->path_since = mc__now(d);
	}
	c->path = info->path;
	c->have_path = true;
	mc__conn_event(c, SUP_EV_TUNNEL_UP, NULL);
	mc__logc(d, IKE_LOG_INFO, c->alias, "tunnel up via %s%s, %llu ms after the start",
	         mc__addr_s(&info->path.remote, a, sizeof a), c->relayed ? " (relayed)" : "",
	         (unsigned long long)(c->sup.up_at - c->sup.started));
	if (c->relayed) {
		mc__relay_bind(d, &c->path);
		/* the direct pairs are checked again in the background, backing off */
		c->recheck_ms = MC_RECHECK_FIRST_MS;
		c->recheck_at = mc__now(d) + c->recheck_ms;
		if (c->have_direct_found) /* one worked while the tunnel came up */
			mc__conn_upgrade(c, &c->direct_found);
	}
}

/* The server handed us a TURN relay and credential (at registration, then
 * before the previous one expires): kept in memory for the relayed candidate. */
static void on_turn(mc_daemon *d, const ike_me_turn *t)
{
	char a[IKE_ADDR_STRLEN];
	time_t now = time(NULL);

	OPENSSL_cleanse(&d->turn, sizeof d->turn);
	d->turn = *t;
	d->have_turn = true;
	mc__logc(d, IKE_LOG_INFO, "medsrv", "TURN relay %s, user %s, credential valid for %lld s",
	         mc__addr_s(&t->server, a, sizeof a), t->user,
	         (long long)((int64_t)t->expires - (int64_t)now));
	mc__relay_credential(d);
}

void mc__eng_event(void *user, const ike_event *ev)
{
	mc_daemon *d = user;
	conn *c;
	char a[IKE_ADDR_STRLEN];
	bool suspect;

	switch (ev->type) {
	case IKE_EV_SA_UP:
		if (ike_sa_ref_eq(ev->sa, d->reg_sa) || ike_sa_ref_eq(ev->sa, d->reg_next)) {
			mc__logc(d, IKE_LOG_INFO, "medsrv", "registered at %s%s",
			         mc__addr_s(&ev->u.sa_up.path.remote, a, sizeof a),
			         ev->u.sa_up.nat_local ? " (behind a NAT)" : "");
			mc__reg_up(d, ev->sa);
			break;
		}
		c = mc__conn_by_sa(d, ev->sa);
		if (!c && !ev->u.sa_up.initiator) {
			c = mc__conn_by_id(d, &ev->u.sa_up.remote_id);
			if (c) {
				if (ike_sa_ref_valid(c->sa) && !ike_sa_ref_eq(c->sa, ev->sa))
					IGNORE_RC(ike_engine_terminate(d->eng, c->sa, mc__now(d)));
				c->sa = ev->sa;
			}
		}
		if (c)
			mc__logc(d, IKE_LOG_INFO, c->alias, "direct IKE_SA up");
		break;
	case IKE_EV_SA_DOWN:
		if (ike_sa_ref_eq(ev->sa, d->reg_next)) {
			d->reg_next = (ike_sa_ref){0, 0}; /* the old registration stays as it was */
			break;
		}
		if (ike_sa_ref_eq(ev->sa, d->reg_sa)) {
			char why[160];
			snprintf(why, sizeof why, "%s%s%s",
			         ev->u.sa_down.reason == IKE_OK ? "the server closed the registration"
			                                        : ike_strerror(ev->u.sa_down.reason),
			         ev->u.sa_down.notify ? ", notify " : "",
			         ev->u.sa_down.notify ? ike_notify_name(ev->u.sa_down.notify) : "");
			mc__reg_down(d, why, ev->u.sa_down.reason == IKE_ERR_TIMEOUT);
			break;
		}
		c = mc__conn_by_sa(d, ev->sa);
		if (!c)
			break;
		c->sa = (ike_sa_ref){0, 0};
		suspect = c->have_path && c->relayed && ev->u.sa_down.reason != IKE_OK &&
		          mc__relay_owns(d, &c->path.local);
		if (c->sup.st == SUP_UP) {
			bool deleted = ev->u.sa_down.reason == IKE_OK;
			mc__set_error(c, "the direct tunnel went down (%s)",
			              deleted ? "deleted by the peer" : ike_strerror(ev->u.sa_down.reason));
			mc__logc(d, IKE_LOG_WARN, c->alias, "%s", c->sup.why);
			mc__conn_event(c, deleted ? SUP_EV_PEER_DELETED : SUP_EV_TUNNEL_DEAD, c->sup.why);
		} else if (c->sup.st == SUP_CONNECTING) {
			mc__set_error(c, "the direct IKE_SA failed: %s%s%s",
			              ike_strerror(ev->u.sa_down.reason),
			              ev->u.sa_down.notify ? ", notify " : "",
			              ev->u.sa_down.notify ? ike_notify_name(ev->u.sa_down.notify) : "");
			mc__conn_fail(c, c->sup.why);
		}
		if (suspect) /* after the connection took its own failure */
			mc__relay_suspect(d, "a tunnel through the TURN relay died");
		break;
	case IKE_EV_SA_REKEYED:
		if (ike_sa_ref_eq(ev->u.sa_rekeyed.old_sa, d->reg_sa))
			d->reg_sa = ev->sa;
		else if ((c = mc__conn_by_sa(d, ev->u.sa_rekeyed.old_sa)))
			c->sa = ev->sa;
		break;
	case IKE_EV_CHILD_UP:
		on_child_up(d, mc__conn_by_sa(d, ev->sa), ev);
		break;
	case IKE_EV_CHILD_REKEYED:
		c = mc__conn_by_sa(d, ev->sa);
#ifdef MEDCLI_HAVE_DP
		if (d->dp && dp_child_rekey(d->dp, ev->u.child.old_spi_in, ev->u.child.info) != IKE_OK)
			mc__logc(d, IKE_LOG_ERROR, c ? c->alias : "child",
			         "the data plane refused the rekeyed CHILD_SA");
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
		IGNORE_RC(mc__xmit(d, &ev->u.keepalive.path, MC_XMIT_KEEPALIVE, NULL, 0));
		break;
	case IKE_EV_ME_ENDPOINT:
		if (ike_sa_ref_eq(ev->sa, d->reg_sa) || ike_sa_ref_eq(ev->sa, d->reg_next))
			mc__endpoint(d, &ev->u.me_endpoint.addr);
		break;
	case IKE_EV_PEER_LOST_SA:
		if (ike_sa_ref_eq(ev->sa, d->reg_sa))
			mc__reg_lost(d);
		else if ((c = mc__conn_by_sa(d, ev->sa)))
			mc__logc(d, IKE_LOG_INFO, c->alias,
			         "the peer does not know our IKE_SA (it restarted?)");
		break;
	case IKE_EV_PATH_CHANGED:
		/* the peer's NAT moved it; the IKE_SA follows its authenticated
		 * requests, the ESP follows the IKE_SA */
		if ((c = mc__conn_by_sa(d, ev->sa)))
			mc__conn_moved(c, &ev->u.path_changed.path, "IKE");
		break;
	case IKE_EV_ME_TURN:
		if (ike_sa_ref_eq(ev->sa, d->reg_sa) || ike_sa_ref_eq(ev->sa, d->reg_next))
			on_turn(d, ev->u.me_turn.turn);
		break;
	case IKE_EV_ME_TURN_WANTED: /* a server's event */
		break;
	case IKE_EV_ME_CONNECT:
		mc__on_me_connect(d, ev);
		break;
	case IKE_EV_ME_CONNECT_REPLY:
		mc__on_me_reply(d, ev);
		break;
	case IKE_EV_ME_CONNECTID:
		c = mc__conn_by_cid(d, ev->u.me_connectid.id, ev->u.me_connectid.len);
		if (c && c->hp && !c->hp_free && !c->sup.initiator) {
			d->in_hp = true;
			IGNORE_RC(hp_session_nominated(c->hp, &ev->u.me_connectid.path, mc__now(d)));
			d->in_hp = false;
		}
		break;
	}
}
