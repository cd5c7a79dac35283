/* SPDX-License-Identifier: MIT */
/*
 * The mediation extension (draft-brunner-ikev2-mediation as strongSwan 5.9 does
 * it, see /work/shared/mediation-protocol.md), registration part:
 *   IKE_SA_INIT: ME_MEDIATION both ways (xchg_init.c);
 *   IKE_AUTH: a client behind a NAT asks with ME_ENDPOINT(SERVER_REFLEXIVE, no
 *   address); the server answers with ME_ENDPOINT(SERVER_REFLEXIVE, the address
 *   and port it sees the client at). No CHILD_SA on mediation connections.
 * and the ME_CONNECT exchange (240) in both directions:
 *   HDR, SK {ID_PEER, N(ME_CONNECTID), N(ME_CONNECTKEY), [N(ME_CALLBACK)],
 *            [N(ME_RESPONSE)], N(ME_ENDPOINT)+} -->
 *                              <-- HDR, SK {} or SK {N(ME_CONNECT_FAILED)}
 * The engine only carries the messages; who relays what to whom is the
 * program's (medsrv's, medcli's) decision, through events.
 */
#include <string.h>

#include "ike/iana.h"
#include "ike/wire.h"
#include "xchg.h"
#include "xchg_int.h"

/* strongSwan: priority = 2^16 * type preference + 65535; SERVER_REFLEXIVE = 64. */
#define SRFLX_PRIORITY ((64u << 16) + 65535u)

static void add_endpoint(ike__mb *b, const ike_addr *addr)
{
	ike_me_endpoint ep;
	uint8_t data[32];
	ike_wr w = ike_wr_init(data, sizeof data);

	memset(&ep, 0, sizeof ep);
	ep.priority = SRFLX_PRIORITY;
	ep.type = IKE_ME_SERVER_REFLEXIVE;
	if (addr)
		ep.addr = *addr;
	if (ike_me_endpoint_encode(&w, &ep) != IKE_OK || w.bad) {
		b->w.bad = true;
		return;
	}
	ike__mb_notify(b, 0, IKE_ME_ENDPOINT, (ike_slice){NULL, 0}, IKE_SLICE(data, w.len));
}

void ike__me_auth_request_add(ike_engine *e, ike_sa *sa, ike__mb *b)
{
	(void)e;
	if (sa->peer.mediation && sa->nat_local)
		add_endpoint(b, NULL);
}

void ike__me_auth_response_add(ike_engine *e, ike_sa *sa, const ike__msg *m, ike__mb *b)
{
	ike_me_endpoint ep;
	ike_wire_err err;

	for (unsigned i = 0; i < m->n_notify; i++) {
		if (m->n[i].type != IKE_ME_ENDPOINT)
			continue;
		if (ike_me_endpoint_decode(m->n[i].data, &ep, &err) != IKE_OK) {
			IKE_LOG(e, INFO, ME, sa, "malformed ME_ENDPOINT request ignored (%s)",
			        err.field ? err.field : "?");
			continue;
		}
		/* strongSwan's server answers a SERVER_REFLEXIVE endpoint request with
		 * the address it sees, whatever the request carried. */
		if (ep.type == IKE_ME_SERVER_REFLEXIVE && sa->peer.mediation_server) {
			char a[IKE_ADDR_STRLEN];
			add_endpoint(b, &sa->path.remote);
			IKE_LOG(e, INFO, ME, sa, "server-reflexive endpoint %s",
			        ike_addr_str(&sa->path.remote, a, sizeof a));
			return;
		}
	}
}

/* A mediation server's INFORMATIONAL response to a client that moved (its NAT
 * gave it a new public port): the new server-reflexive endpoint, so that the
 * client can mediate again with it. strongSwan clients ignore the status notify. */
void ike__me_moved_add(ike_engine *e, ike_sa *sa, ike__mb *b)
{
	char a[IKE_ADDR_STRLEN];

	if (!sa->me_ep_moved)
		return;
	sa->me_ep_moved = false;
	add_endpoint(b, &sa->path.remote);
	IKE_LOG(e, INFO, ME, sa, "told the client its new endpoint %s",
	        ike_addr_str(&sa->path.remote, a, sizeof a));
}

/* ---- N(ME_TURN): a TURN relay and credential for registered clients ----
 * The server asks the program (IKE_EV_ME_TURN_WANTED) while it builds the
 * IKE_AUTH response of a client that sent ME_MEDIATION, and again when
 * TMR_ME_TURN fires (refresh, in an INFORMATIONAL request of ours, which also
 * serves as a liveness check). The client reports what it gets (IKE_EV_ME_TURN).
 * Passwords are wiped once encoded or reported and never logged. */

/* Asks the program for sa's credential and encodes it into data (*len bytes);
 * arms or clears the refresh timer. False when there is none to send. */
static bool turn_ask(ike_engine *e, ike_sa *sa, bool refresh, ike_ms now, uint8_t *data, size_t cap,
                     size_t *len)
{
	ike_me_turn t;
	ike_addr server;
	ike_ms again = 0;
	ike_event ev;
	ike_id peer;
	ike_wr w = ike_wr_init(data, cap);
	char a[IKE_ADDR_STRLEN];
	int rc;

	memset(&t, 0, sizeof t);
	ike__cid_get(&sa->remote_id, &peer);
	memset(&ev, 0, sizeof ev);
	ev.type = IKE_EV_ME_TURN_WANTED;
	ev.sa = ike__sa_ref(e, sa);
	ev.name = sa->peer.name ? sa->peer.name : "";
	ev.u.me_turn_wanted.peer = &peer;
	ev.u.me_turn_wanted.refresh = refresh;
	ev.u.me_turn_wanted.turn = &t;
	ev.u.me_turn_wanted.refresh_in = &again;
	ike__emit(e, &ev);
	if (again && sa->state != SA_DEAD)
		(void)ike__timer_set(e, sa, TMR_ME_TURN, ike__ms_add(now, again));
	else
		ike__timer_clear(e, sa, TMR_ME_TURN);
	if (!t.server.family)
		return false;
	server = t.server;
	rc = ike_me_turn_encode(&w, &t);
	ike_crypto_wipe(&t, sizeof t);
	if (rc != IKE_OK || w.bad) {
		IKE_LOG(e, WARN, ME, sa, "TURN credential not sent: %s",
		        ike_strerror(rc ? rc : IKE_ERR_NOBUF));
		ike_crypto_wipe(data, cap);
		return false;
	}
	*len = w.len;
	IKE_LOG(e, INFO, ME, sa, "%s TURN credential for relay %s", refresh ? "refreshed the" : "handed a",
	        ike_addr_str(&server, a, sizeof a));
	return true;
}

void ike__me_turn_auth_add(ike_engine *e, ike_sa *sa, ike__mb *b, ike_ms now)
{
	uint8_t data[IKE_ME_TURN_DATA_MAX];
	size_t len = 0;

	if (!sa->peer.mediation_server || !sa->me_requested)
		return;
	if (turn_ask(e, sa, false, now, data, sizeof data, &len))
		ike__mb_notify(b, 0, IKE_ME_TURN, (ike_slice){NULL, 0}, IKE_SLICE(data, len));
	ike_crypto_wipe(data, sizeof data);
}

int ike__me_turn_refresh(ike_engine *e, ike_sa *sa, ike_ms now)
{
	uint8_t data[IKE_ME_TURN_DATA_MAX];
	size_t len = 0;
	ike__mb b;
	int rc;

	if (sa->state != SA_ESTABLISHED || !sa->peer.mediation_server)
		return IKE_OK;
	if (sa->req) /* window size 1: after the exchange that runs */
		return ike__timer_set(e, sa, TMR_ME_TURN, ike__ms_add(now, 1000));
	if (!turn_ask(e, sa, true, now, data, sizeof data, &len) || sa->state != SA_ESTABLISHED) {
		ike_crypto_wipe(data, sizeof data);
		return IKE_OK;
	}
	if ((rc = ike__xchg_new(e, sa, IKE_INFORMATIONAL)) != IKE_OK) {
		ike_crypto_wipe(data, sizeof data);
		return rc;
	}
	sa->x->kind = INFO_DPD; /* answered like a liveness check */
	ike__mb_begin(&b, sa, IKE_INFORMATIONAL, false, sa->mid_out, sa->keys->out);
	ike__mb_notify(&b, 0, IKE_ME_TURN, (ike_slice){NULL, 0}, IKE_SLICE(data, len));
	ike_crypto_wipe(data, sizeof data);
	return ike__send_request(e, sa, &b, now);
}

void ike__me_turn_recv(ike_engine *e, ike_sa *sa, const ike__msg *m)
{
	ike_me_turn t;
	ike_wire_err err;
	ike_event ev;
	int rc;

	if (!sa->peer.mediation || sa->peer.mediation_server)
		return;
	for (unsigned i = 0; i < m->n_notify; i++) {
		if (m->n[i].type != IKE_ME_TURN)
			continue;
		if ((rc = ike_me_turn_decode(m->n[i].data, &t, &err)) != IKE_OK) {
			IKE_LOG(e, INFO, ME, sa, "ME_TURN ignored: %s (%s)", ike_strerror(rc),
			        err.field ? err.field : "?");
			continue;
		}
		memset(&ev, 0, sizeof ev);
		ev.type = IKE_EV_ME_TURN;
		ev.sa = ike__sa_ref(e, sa);
		ev.name = sa->peer.name ? sa->peer.name : "";
		ev.u.me_turn.turn = &t;
		ike__emit(e, &ev);
		ike_crypto_wipe(&t, sizeof t);
		return;
	}
}

void ike__me_auth_response_recv(ike_engine *e, ike_sa *sa, const ike__msg *m)
{
	ike_me_endpoint ep;
	ike_wire_err err;
	ike_event ev;

	if (!sa->peer.mediation)
		return;
	for (unsigned i = 0; i < m->n_notify; i++) {
		if (m->n[i].type != IKE_ME_ENDPOINT)
			continue;
		if (ike_me_endpoint_decode(m->n[i].data, &ep, &err) != IKE_OK ||
		    ep.addr.family == IKE_AF_NONE) {
			IKE_LOG(e, INFO, ME, sa, "ME_ENDPOINT without a usable address ignored");
			continue;
		}
		memset(&ev, 0, sizeof ev);
		ev.type = IKE_EV_ME_ENDPOINT;
		ev.sa = ike__sa_ref(e, sa);
		ev.name = sa->peer.name ? sa->peer.name : "";
		ev.u.me_endpoint.addr = ep.addr;
		ev.u.me_endpoint.type = ep.type;
		ev.u.me_endpoint.priority = ep.priority;
		ike__emit(e, &ev);
		return;
	}
}

static void add_ep(ike__mb *b, const ike_me_ep *ep)
{
	ike_me_endpoint w_ep;
	uint8_t data[32];
	ike_wr w = ike_wr_init(data, sizeof data);

	memset(&w_ep, 0, sizeof w_ep);
	w_ep.priority = ep->priority;
	w_ep.type = ep->type;
	w_ep.addr = ep->addr;
	if (ike_me_endpoint_encode(&w, &w_ep) != IKE_OK || w.bad) {
		b->w.bad = true;
		return;
	}
	ike__mb_notify(b, 0, IKE_ME_ENDPOINT, (ike_slice){NULL, 0}, IKE_SLICE(data, w.len));
}

int ike__me_connect_start(ike_engine *e, ike_sa *sa, const ike_me_connect *req, ike_ms now)
{
	ike__mb b;
	int rc;

	if ((rc = ike__xchg_new(e, sa, IKE_ME_CONNECT)) != IKE_OK)
		return rc;
	ike__mb_begin(&b, sa, IKE_ME_CONNECT, false, sa->mid_out, sa->keys->out);
	ike__mb_id(&b, PLD_ID_PEER, &req->peer);
	if (req->response)
		ike__mb_notify(&b, 0, IKE_ME_RESPONSE, (ike_slice){NULL, 0}, (ike_slice){NULL, 0});
	if (req->callback)
		ike__mb_notify(&b, 0, IKE_ME_CALLBACK, (ike_slice){NULL, 0}, (ike_slice){NULL, 0});
	if (req->connect_id_len)
		ike__mb_notify(&b, 0, IKE_ME_CONNECTID, (ike_slice){NULL, 0},
		               IKE_SLICE(req->connect_id, req->connect_id_len));
	if (req->connect_key_len)
		ike__mb_notify(&b, 0, IKE_ME_CONNECTKEY, (ike_slice){NULL, 0},
		               IKE_SLICE(req->connect_key, req->connect_key_len));
	for (unsigned i = 0; i < req->n_endpoints; i++)
		add_ep(&b, &req->endpoints[i]);
	IKE_LOG(e, INFO, ME, sa, "send ME_CONNECT%s%s with %u endpoints", req->callback ? " (callback)" : "",
	        req->response ? " (response)" : "", req->n_endpoints);
	return ike__send_request(e, sa, &b, now);
}

/* Parses an ME_CONNECT request; false when it is malformed (INVALID_SYNTAX). */
static bool parse_connect(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_me_connect *c)
{
	memset(c, 0, sizeof *c);
	if (!m->has_idp)
		return false;
	c->peer = m->idp;
	for (unsigned i = 0; i < m->n_notify; i++) {
		const ike__notify *n = &m->n[i];
		switch (n->type) {
		case IKE_ME_CALLBACK:
			c->callback = true;
			break;
		case IKE_ME_RESPONSE:
			c->response = true;
			break;
		case IKE_ME_CONNECTID:
			if (!n->data.len || n->data.len > IKE_ME_ID_MAX)
				return false;
			memcpy(c->connect_id, n->data.ptr, n->data.len);
			c->connect_id_len = (uint8_t)n->data.len;
			break;
		case IKE_ME_CONNECTKEY:
			if (!n->data.len || n->data.len > IKE_ME_KEY_MAX)
				return false;
			memcpy(c->connect_key, n->data.ptr, n->data.len);
			c->connect_key_len = (uint8_t)n->data.len;
			break;
		case IKE_ME_ENDPOINT: {
			ike_me_endpoint ep;
			ike_wire_err err;
			if (ike_me_endpoint_decode(n->data, &ep, &err) != IKE_OK ||
			    ep.addr.family == IKE_AF_NONE)
				return false;
			/* Bounded: strongSwan does not limit endpoints, we must (mediation-protocol.md). */
			if (c->n_endpoints >= IKE_ME_EP_MAX) {
				IKE_LOG(e, INFO, ME, sa, "ME_CONNECT: endpoints beyond %u ignored",
				        IKE_ME_EP_MAX);
				break;
			}
			c->endpoints[c->n_endpoints].priority = ep.priority;
			c->endpoints[c->n_endpoints].type = ep.type;
			c->endpoints[c->n_endpoints].addr = ep.addr;
			c->n_endpoints++;
			break;
		}
		default:
			break;
		}
	}
	/* A callback carries only the peer's ID; otherwise ID, key and endpoints are required. */
	return c->callback || (c->connect_id_len && c->connect_key_len && c->n_endpoints);
}

int ike__me_recv_request(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now)
{
	ike_me_connect *c;
	uint16_t reply = 0;
	ike_event ev;
	ike__mb b;

	(void)now;
	if (sa->state != SA_ESTABLISHED)
		return ike__drop(e, sa, &sa->path, IKE_ERR_STATE, "ME_CONNECT before the SA is up");
	c = ike_mem_calloc(e->mem, 1, sizeof *c);
	if (!c)
		return IKE_ERR_NOMEM;
	if (!parse_connect(e, sa, m, c)) {
		IKE_LOG(e, INFO, ME, sa, "malformed ME_CONNECT, answering INVALID_SYNTAX");
		reply = IKE_INVALID_SYNTAX;
	} else {
		memset(&ev, 0, sizeof ev);
		ev.type = IKE_EV_ME_CONNECT;
		ev.sa = ike__sa_ref(e, sa);
		ev.name = sa->peer.name ? sa->peer.name : "";
		ev.u.me_connect.req = c;
		ev.u.me_connect.reply = &reply;
		ike__emit(e, &ev);
	}
	ike_mem_free(e->mem, c);
	ike__mb_begin(&b, sa, IKE_ME_CONNECT, true, m->mid, sa->keys->out);
	if (reply)
		ike__mb_notify(&b, 0, reply, (ike_slice){NULL, 0}, (ike_slice){NULL, 0});
	return ike__send_response(e, sa, &b);
}

int ike__me_recv_response(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now)
{
	const ike__notify *n = ike__msg_error(m);
	ike_event ev;

	(void)now;
	if (!n)
		n = ike__msg_notify(m, IKE_ME_CONNECT_FAILED);
	ike__xchg_free(e, sa);
	memset(&ev, 0, sizeof ev);
	ev.type = IKE_EV_ME_CONNECT_REPLY;
	ev.sa = ike__sa_ref(e, sa);
	ev.name = sa->peer.name ? sa->peer.name : "";
	ev.u.me_reply.notify = n ? n->type : 0;
	ike__emit(e, &ev);
	return IKE_OK;
}
