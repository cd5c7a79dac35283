/* SPDX-License-Identifier: MIT */
/*
 * The mediation extension (draft-brunner-ikev2-mediation as strongSwan 5.9 does
 * it, see /work/shared/mediation-protocol.md), registration part:
 *   IKE_SA_INIT: ME_MEDIATION both ways (xchg_init.c);
 *   IKE_AUTH: a client behind a NAT asks with ME_ENDPOINT(SERVER_REFLEXIVE, no
 *   address); the server answers with ME_ENDPOINT(SERVER_REFLEXIVE, the address
 *   and port it sees the client at). No CHILD_SA on mediation connections.
 */
#include <string.h>

#include "ike/iana.h"
#include "ike/wire.h"
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
	ike__mb_notify(b, 0, IKE_ME_ENDPOINT, (ike_slice){ NULL, 0 }, IKE_SLICE(data, w.len));
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
			IKE_LOG(e, INFO, ME, sa, "malformed ME_ENDPOINT request ignored (%s)", err.field ? err.field : "?");
			continue;
		}
		if (ep.type == IKE_ME_SERVER_REFLEXIVE && ep.addr.family == IKE_AF_NONE && sa->peer.mediation_server) {
			char a[IKE_ADDR_STRLEN];
			add_endpoint(b, &sa->path.remote);
			IKE_LOG(e, INFO, ME, sa, "server-reflexive endpoint %s",
				ike_addr_str(&sa->path.remote, a, sizeof a));
			return;
		}
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
		if (ike_me_endpoint_decode(m->n[i].data, &ep, &err) != IKE_OK || ep.addr.family == IKE_AF_NONE) {
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
