/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "tst.h"

/* alice registers at a mediation server (bob) from behind a NAT. */
static void register_behind_nat(tst_pair *px)
{
	(void)ike_addr_parse(&px->side[ALICE].addr, "10.0.0.1", 500);
	px->side[ALICE].peer.local = px->side[ALICE].addr;
	px->link.nat[ALICE] = true;
	px->link.nat_private[ALICE] = px->side[ALICE].addr;
	(void)ike_addr_parse(&px->link.nat_public[ALICE], "198.51.100.100", 0);
	px->side[ALICE].peer.mediation = true;
	px->side[BOB].peer.mediation_server = true;
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
}

ENGINE_TEST(ike_xchg_me, server_reports_server_reflexive_endpoint)
{
	const tst_rec_event *epv;
	ike_addr want;

	register_behind_nat(px);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 1));
	epv = tst_events_last(px, ALICE, IKE_EV_ME_ENDPOINT);
	cr_assert(epv != NULL, "no ME_ENDPOINT event");
	(void)ike_addr_parse(&want, "198.51.100.100", 24500);
	cr_assert(ike_addr_eq(&epv->ev.u.me_endpoint.addr, &want));
	cr_assert(eq(u8, epv->ev.u.me_endpoint.type, IKE_ME_SERVER_REFLEXIVE));
	cr_assert(eq(u32, epv->ev.u.me_endpoint.priority, (64u << 16) + 65535u));
}

ENGINE_TEST(ike_xchg_me, negotiates_no_child_sa_on_mediation_connections)
{
	register_behind_nat(px);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_UP), 0));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_CHILD_UP), 0));
}

ENGINE_TEST(ike_xchg_me, asks_for_no_endpoint_without_nat)
{
	px->side[ALICE].peer.mediation = true;
	px->side[BOB].peer.mediation_server = true;
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_ENDPOINT), 0));
}

ENGINE_TEST(ike_xchg_me, ordinary_responder_ignores_endpoint_request)
{
	(void)ike_addr_parse(&px->side[ALICE].addr, "10.0.0.1", 500);
	px->side[ALICE].peer.local = px->side[ALICE].addr;
	px->link.nat[ALICE] = true;
	px->link.nat_private[ALICE] = px->side[ALICE].addr;
	(void)ike_addr_parse(&px->link.nat_public[ALICE], "198.51.100.100", 0);
	px->side[ALICE].peer.mediation = true;
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_ENDPOINT), 0));
}

static ike_me_connect connect_request(void)
{
	ike_me_connect c;

	memset(&c, 0, sizeof c);
	tst_key_id(BOB, &c.peer);
	c.peer.data[0] ^= 0x55; /* some third peer's KEY_ID */
	memcpy(c.connect_id, "\x01\x02\x03\x04", 4);
	c.connect_id_len = 4;
	memset(c.connect_key, 0xab, 16);
	c.connect_key_len = 16;
	c.callback = true;
	c.n_endpoints = 2;
	c.endpoints[0].type = IKE_ME_HOST;
	c.endpoints[0].priority = (255u << 16) + 65535u;
	(void)ike_addr_parse(&c.endpoints[0].addr, "10.0.0.1", 4500);
	c.endpoints[1].type = IKE_ME_SERVER_REFLEXIVE;
	c.endpoints[1].priority = (64u << 16) + 65535u;
	(void)ike_addr_parse(&c.endpoints[1].addr, "198.51.100.100", 24500);
	return c;
}

ENGINE_TEST(ike_xchg_me, carries_me_connect_to_the_server)
{
	ike_me_connect c = connect_request();
	const ike_me_connect *got = &px->side[BOB].last_me_connect;

	register_behind_nat(px);
	cr_assert(
	    eq(int, ike_engine_me_connect(px->side[ALICE].e, px->sa[ALICE], &c, px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	cr_assert(ike_id_eq(&got->peer, &c.peer));
	cr_assert(eq(u8, got->connect_id_len, 4));
	cr_assert(eq(int, memcmp(got->connect_id, c.connect_id, 4), 0));
	cr_assert(eq(u8, got->connect_key_len, 16));
	cr_assert(eq(int, memcmp(got->connect_key, c.connect_key, 16), 0));
	cr_assert(got->callback);
	cr_assert(not(got->response));
	cr_assert(eq(u8, got->n_endpoints, 2));
	cr_assert(ike_addr_eq(&got->endpoints[1].addr, &c.endpoints[1].addr));
	cr_assert(eq(u8, got->endpoints[0].type, IKE_ME_HOST));
	cr_assert(eq(u32, got->endpoints[0].priority, c.endpoints[0].priority));
	cr_assert(eq(u16, tst_events_last(px, ALICE, IKE_EV_ME_CONNECT_REPLY)->ev.u.me_reply.notify, 0));
}

ENGINE_TEST(ike_xchg_me, reports_connect_failed_from_the_server)
{
	ike_me_connect c = connect_request();

	register_behind_nat(px);
	px->side[BOB].me_reply = IKE_ME_CONNECT_FAILED; /* the peer is not online */
	cr_assert(
	    eq(int, ike_engine_me_connect(px->side[ALICE].e, px->sa[ALICE], &c, px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	cr_assert(eq(u16, tst_events_last(px, ALICE, IKE_EV_ME_CONNECT_REPLY)->ev.u.me_reply.notify,
	             IKE_ME_CONNECT_FAILED));
	cr_assert(ike_engine_sa_is_up(px->side[ALICE].e, px->sa[ALICE]));
}

ENGINE_TEST(ike_xchg_me, server_relays_me_connect_to_a_client)
{
	ike_me_connect c = connect_request();

	register_behind_nat(px);
	c.callback = false;
	c.response = true;
	cr_assert(eq(int, ike_engine_me_connect(px->side[BOB].e, px->sa[BOB], &c, px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	cr_assert(px->side[ALICE].last_me_connect.response);
	cr_assert(eq(u8, px->side[ALICE].last_me_connect.n_endpoints, 2));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_ME_CONNECT_REPLY), 1));
}

ENGINE_TEST(ike_xchg_me, refuses_incomplete_me_connect_requests)
{
	ike_me_connect c = connect_request();

	register_behind_nat(px);
	c.callback = false;
	c.n_endpoints = IKE_ME_EP_MAX + 1;
	cr_assert(eq(int, ike_engine_me_connect(px->side[ALICE].e, px->sa[ALICE], &c, px->clock.now),
	             IKE_ERR_INVAL));
	c.n_endpoints = 1;
	c.connect_key_len = 0;
	cr_assert(eq(int, ike_engine_me_connect(px->side[ALICE].e, px->sa[ALICE], &c, px->clock.now),
	             IKE_ERR_INVAL));
	c = connect_request();
	cr_assert(
	    eq(int, ike_engine_me_connect(px->side[ALICE].e, px->sa[ALICE], &c, px->clock.now), IKE_OK));
	/* window size 1: a second request waits for the first answer */
	cr_assert(eq(int, ike_engine_me_connect(px->side[ALICE].e, px->sa[ALICE], &c, px->clock.now),
	             IKE_ERR_STATE));
	tst_pair_run(px, 5000);
}

/* A mediated connection's direct IKE_SA: alice's IKE_SA_INIT ends with
 * N(ME_CONNECTID) (strongSwan's ike_init.c adds it last), and bob reports the
 * connect ID before he answers, then the SA comes up with its CHILD_SA. */
ENGINE_TEST(ike_xchg_me, direct_sa_carries_connect_id_in_ike_sa_init)
{
	static const uint8_t cid[4] = {0xde, 0xad, 0xbe, 0xef};
	static const uint8_t tail[] = {0xa0, 0x05, 0xde, 0xad, 0xbe, 0xef}; /* type 40965, data */
	const tst_rec_event *r;
	const tst_dgram *d;
	size_t i_cid = SIZE_MAX, i_up = SIZE_MAX;

	px->side[ALICE].peer.me_connect_id = cid;
	px->side[ALICE].peer.me_connect_id_len = sizeof cid;
	tst_pair_initiate(px);
	cr_assert(ge(sz, px->link.n, 1));
	d = &px->link.q[0];
	cr_assert(ge(sz, d->len, sizeof tail));
	cr_assert(eq(int, memcmp(d->data + d->len - sizeof tail, tail, sizeof tail), 0),
	          "ME_CONNECTID is not the last payload of IKE_SA_INIT");
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_ME_CONNECTID), 1));
	r = tst_events_last(px, BOB, IKE_EV_ME_CONNECTID);
	cr_assert(eq(u8, r->ev.u.me_connectid.len, 4));
	cr_assert(eq(int, memcmp(r->ev.u.me_connectid.id, cid, 4), 0));
	cr_assert(ike_addr_eq(&r->ev.u.me_connectid.path.remote, &px->side[ALICE].addr));
	for (size_t k = 0; k < px->side[BOB].events.n; k++) {
		if (px->side[BOB].events.ev[k].ev.type == IKE_EV_ME_CONNECTID && i_cid == SIZE_MAX)
			i_cid = k;
		if (px->side[BOB].events.ev[k].ev.type == IKE_EV_SA_UP && i_up == SIZE_MAX)
			i_up = k;
	}
	cr_assert(lt(sz, i_cid, i_up), "ME_CONNECTID must be reported before the SA is up");
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_CONNECTID), 0));
}

ENGINE_TEST(ike_xchg_me, no_connect_id_without_mediation_and_bad_lengths_refused)
{
	static uint8_t big[IKE_ME_ID_MAX + 1];
	ike_sa_ref ref;

	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_ME_CONNECTID), 0));
	px->side[ALICE].peer.me_connect_id = big;
	px->side[ALICE].peer.me_connect_id_len = sizeof big;
	cr_assert(eq(int, ike_engine_initiate(px->side[ALICE].e, &px->side[ALICE].peer, px->clock.now, &ref),
	             IKE_ERR_INVAL));
	px->side[ALICE].peer.me_connect_id = NULL;
	px->side[ALICE].peer.me_connect_id_len = 4;
	cr_assert(eq(int, ike_engine_initiate(px->side[ALICE].e, &px->side[ALICE].peer, px->clock.now, &ref),
	             IKE_ERR_INVAL));
}
