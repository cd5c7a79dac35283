/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "tst.h"

static void bring_up(tst_pair *px)
{
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 1));
}

ENGINE_TEST(ike_xchg_info, deletes_sa_from_initiator)
{
	bring_up(px);
	cr_assert(eq(int, ike_engine_terminate(px->side[ALICE].e, px->sa[ALICE], px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	cr_assert(eq(int, tst_events_last(px, ALICE, IKE_EV_SA_DOWN)->ev.u.sa_down.reason, IKE_OK));
	cr_assert(eq(int, tst_events_last(px, BOB, IKE_EV_SA_DOWN)->ev.u.sa_down.reason, IKE_OK));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_DOWN), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_CHILD_DOWN), 1));
	cr_assert(eq(u64, ike_engine_next_deadline(px->side[ALICE].e), IKE_NEVER));
	cr_assert(eq(u64, ike_engine_next_deadline(px->side[BOB].e), IKE_NEVER));
	/* the handle is stale now */
	cr_assert(
	    eq(int, ike_engine_terminate(px->side[ALICE].e, px->sa[ALICE], px->clock.now), IKE_ERR_STALE_SA));
}

ENGINE_TEST(ike_xchg_info, deletes_sa_from_responder)
{
	ike_stats st;

	bring_up(px);
	cr_assert(eq(int, ike_engine_terminate(px->side[BOB].e, px->sa[BOB], px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_DOWN), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_DOWN), 1));
	ike_engine_stats(px->side[ALICE].e, &st);
	cr_assert(eq(u32, st.sas, 0));
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u32, st.sas, 0));
}

ENGINE_TEST(ike_xchg_info, answers_liveness_check)
{
	bring_up(px);
	px->link.sent[ALICE] = px->link.sent[BOB] = 0;
	cr_assert(eq(int, ike_engine_dpd(px->side[ALICE].e, px->sa[ALICE], px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	cr_assert(eq(u64, px->link.sent[ALICE], 1));
	cr_assert(eq(u64, px->link.sent[BOB], 1));
	cr_assert(ike_engine_sa_is_up(px->side[ALICE].e, px->sa[ALICE]));
}

ENGINE_TEST(ike_xchg_info, sends_dpd_only_when_idle)
{
	bring_up(px);
	px->link.sent[ALICE] = px->link.sent[BOB] = 0;
	tst_pair_advance(px, 29000);
	cr_assert(eq(u64, px->link.sent[ALICE] + px->link.sent[BOB], 0));
	tst_pair_advance(px, 2000);
	tst_pair_run(px, 100);
	cr_assert(ge(u64, px->link.sent[ALICE] + px->link.sent[BOB], 1));
	cr_assert(ike_engine_sa_is_up(px->side[ALICE].e, px->sa[ALICE]));
}

ENGINE_TEST(ike_xchg_info, takes_sa_down_when_peer_stops_answering)
{
	bring_up(px);
	px->link.blackhole[BOB] = true;
	tst_pair_advance(px, 30000 + 31000 + 1000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_DOWN), 1));
	cr_assert(eq(int, tst_events_last(px, ALICE, IKE_EV_SA_DOWN)->ev.u.sa_down.reason, IKE_ERR_TIMEOUT));
	cr_assert(tst_events_last(px, ALICE, IKE_EV_SA_DOWN)->ev.u.sa_down.was_up);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_DOWN), 1));
	cr_assert(not(ike_engine_sa_is_up(px->side[ALICE].e, px->sa[ALICE])));
}

ENGINE_TEST(ike_xchg_info, terminate_from_callback_is_deferred)
{
	px->side[BOB].terminate_on_up = true;
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(eq(int, px->side[BOB].reentry_rc, IKE_OK));
	/* bob answered IKE_AUTH first, then deleted: alice came up and went down */
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_DOWN), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_DOWN), 1));
	cr_assert(eq(u64, ike_engine_next_deadline(px->side[BOB].e), IKE_NEVER));
}

ENGINE_TEST(ike_xchg_info, refuses_stale_handles)
{
	tst_pair_start(px);
	cr_assert(eq(int, ike_engine_terminate(px->side[ALICE].e, (ike_sa_ref){7, 1}, px->clock.now),
	             IKE_ERR_STALE_SA));
	bring_up(px);
	cr_assert(
	    eq(int,
	       ike_engine_terminate(px->side[ALICE].e,
	                            (ike_sa_ref){px->sa[ALICE].slot, px->sa[ALICE].gen + 1}, px->clock.now),
	       IKE_ERR_STALE_SA));
}

ENGINE_TEST(ike_xchg_info, initiate_from_callback_starts_after_the_call)
{
	bring_up(px);
	px->side[ALICE].initiate_on_down = true;
	cr_assert(eq(int, ike_engine_terminate(px->side[ALICE].e, px->sa[ALICE], px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	cr_assert(eq(int, px->side[ALICE].reentry_rc, IKE_OK));
	/* the new SA came up after the old one went down */
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_DOWN), 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 2));
	cr_assert(ike_engine_sa_is_up(px->side[ALICE].e, px->sa[ALICE]));
}
