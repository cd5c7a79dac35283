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
