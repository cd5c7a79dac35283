/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "tst.h"

static void bring_up(tst_pair *px)
{
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_CHILD_UP), 1));
}

static void assert_rekeyed(tst_pair *px, uint32_t old_alice_in)
{
	const tst_rec_event *a = tst_events_last(px, ALICE, IKE_EV_CHILD_REKEYED);
	const tst_rec_event *b = tst_events_last(px, BOB, IKE_EV_CHILD_REKEYED);

	cr_assert(a && b, "no CHILD_REKEYED");
	cr_assert(eq(u32, a->ev.u.child.old_spi_in, old_alice_in));
	cr_assert(ne(u32, a->child.spi_in, old_alice_in));
	cr_assert(eq(u32, a->child.spi_in, b->child.spi_out));
	cr_assert(eq(u32, a->child.spi_out, b->child.spi_in));
	cr_assert(eq(int, memcmp(a->child.enc_out, b->child.enc_in, a->child.enc_key_len), 0));
	cr_assert(eq(int, memcmp(a->child.enc_in, b->child.enc_out, a->child.enc_key_len), 0));
	/* the old CHILD_SA went away on both sides */
	cr_assert(
	    eq(u32, tst_events_last(px, ALICE, IKE_EV_CHILD_DOWN)->ev.u.child_down.spi_in, old_alice_in));
	cr_assert(
	    eq(u32, tst_events_last(px, BOB, IKE_EV_CHILD_DOWN)->ev.u.child_down.spi_out, old_alice_in));
	cr_assert(ike_engine_sa_is_up(px->side[ALICE].e, px->sa[ALICE]));
}

ENGINE_TEST(ike_xchg_child, rekeys_child_sa_on_request)
{
	uint32_t old;
	const tst_rec_event *up0;

	bring_up(px);
	up0 = tst_events_last(px, ALICE, IKE_EV_CHILD_UP);
	old = up0->child.spi_in;
	cr_assert(eq(int, ike_engine_rekey(px->side[ALICE].e, px->sa[ALICE], old, px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	assert_rekeyed(px, old);
	/* fresh keys */
	cr_assert(ne(int,
	             memcmp(tst_events_last(px, ALICE, IKE_EV_CHILD_REKEYED)->child.enc_out,
	                    up0->child.enc_out, up0->child.enc_key_len),
	             0));
}

ENGINE_TEST(ike_xchg_child, responder_rekeys_child_sa_too)
{
	uint32_t old_bob;

	bring_up(px);
	old_bob = tst_events_last(px, BOB, IKE_EV_CHILD_UP)->child.spi_in;
	cr_assert(eq(int, ike_engine_rekey(px->side[BOB].e, px->sa[BOB], old_bob, px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	cr_assert(eq(u32, tst_events_last(px, BOB, IKE_EV_CHILD_REKEYED)->ev.u.child.old_spi_in, old_bob));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_REKEYED), 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_DOWN), 1));
}

ENGINE_TEST(ike_xchg_child, rekeys_child_sa_when_its_time_comes)
{
	uint32_t old;

	px->side[ALICE].cfg.child_rekey_ms = 60000;
	px->side[ALICE].cfg.dpd_interval_ms = 0;
	px->side[BOB].cfg.dpd_interval_ms = 0;
	bring_up(px);
	old = tst_events_last(px, ALICE, IKE_EV_CHILD_UP)->child.spi_in;
	tst_pair_advance(px, 59000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_REKEYED), 0));
	tst_pair_advance(px, 1000);
	tst_pair_run(px, 5000);
	assert_rekeyed(px, old);
}

ENGINE_TEST(ike_xchg_child, resolves_simultaneous_rekeys_with_one_new_child)
{
	uint32_t old_a, old_b;

	bring_up(px);
	old_a = tst_events_last(px, ALICE, IKE_EV_CHILD_UP)->child.spi_in;
	old_b = tst_events_last(px, BOB, IKE_EV_CHILD_UP)->child.spi_in;
	cr_assert(eq(int, ike_engine_rekey(px->side[ALICE].e, px->sa[ALICE], old_a, px->clock.now), IKE_OK));
	cr_assert(eq(int, ike_engine_rekey(px->side[BOB].e, px->sa[BOB], old_b, px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_REKEYED), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_CHILD_REKEYED), 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_DOWN), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_CHILD_DOWN), 1));
	cr_assert(eq(u32, tst_events_last(px, ALICE, IKE_EV_CHILD_REKEYED)->child.spi_in,
	             tst_events_last(px, BOB, IKE_EV_CHILD_REKEYED)->child.spi_out));
}

ENGINE_TEST(ike_xchg_child, refuses_rekey_of_unknown_child)
{
	bring_up(px);
	cr_assert(eq(int, ike_engine_rekey(px->side[ALICE].e, px->sa[ALICE], 12345, px->clock.now),
	             IKE_ERR_NOT_FOUND));
}

ENGINE_TEST(ike_xchg_child, narrows_traffic_selectors_in_ike_auth)
{
	const tst_rec_event *a, *b;
	ike_tsel want_local, want_remote;

	px->side[ALICE].peer.local_ts.n = 1;
	cr_assert(eq(int, ike_tsel_parse(&px->side[ALICE].peer.local_ts.ts[0], "10.1.0.0/16"), IKE_OK));
	px->side[ALICE].peer.remote_ts.n = 1;
	cr_assert(eq(int, ike_tsel_parse(&px->side[ALICE].peer.remote_ts.ts[0], "10.0.0.0/8"), IKE_OK));
	px->side[BOB].peer.local_ts.n = 1;
	cr_assert(eq(int, ike_tsel_parse(&px->side[BOB].peer.local_ts.ts[0], "10.2.0.0/16"), IKE_OK));
	px->side[BOB].peer.remote_ts.n = 1;
	cr_assert(eq(int, ike_tsel_parse(&px->side[BOB].peer.remote_ts.ts[0], "10.1.0.0/24"), IKE_OK));
	bring_up(px);
	cr_assert(eq(int, ike_tsel_parse(&want_local, "10.1.0.0/24"), IKE_OK));
	cr_assert(eq(int, ike_tsel_parse(&want_remote, "10.2.0.0/16"), IKE_OK));
	a = tst_events_last(px, ALICE, IKE_EV_CHILD_UP);
	b = tst_events_last(px, BOB, IKE_EV_CHILD_UP);
	cr_assert(eq(u8, a->child.local_ts.n, 1));
	cr_assert(eq(int, memcmp(&a->child.local_ts.ts[0], &want_local, sizeof want_local), 0));
	cr_assert(eq(int, memcmp(&a->child.remote_ts.ts[0], &want_remote, sizeof want_remote), 0));
	cr_assert(eq(int, memcmp(&b->child.remote_ts.ts[0], &want_local, sizeof want_local), 0));
	cr_assert(eq(int, memcmp(&b->child.local_ts.ts[0], &want_remote, sizeof want_remote), 0));
}

ENGINE_TEST(ike_xchg_child, refuses_child_with_disjoint_selectors_but_keeps_ike_sa)
{
	px->side[ALICE].peer.remote_ts.n = 1;
	cr_assert(eq(int, ike_tsel_parse(&px->side[ALICE].peer.remote_ts.ts[0], "192.168.0.0/16"), IKE_OK));
	px->side[BOB].peer.local_ts.n = 1;
	cr_assert(eq(int, ike_tsel_parse(&px->side[BOB].peer.local_ts.ts[0], "10.2.0.0/16"), IKE_OK));
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_UP), 0));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_CHILD_UP), 0));
	cr_assert(ike_engine_sa_is_up(px->side[ALICE].e, px->sa[ALICE]));
}

ENGINE_TEST(ike_xchg_child, refuses_child_without_common_esp_proposal)
{
	px->side[ALICE].peer.esp_proposals = "aes128gcm16";
	px->side[BOB].peer.esp_proposals = "aes256-sha512";
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_UP), 0));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_CHILD_UP), 0));
}

static void assert_ike_rekeyed(tst_pair *px, ike_sa_ref old_a, ike_sa_ref old_b)
{
	const tst_rec_event *a = tst_events_last(px, ALICE, IKE_EV_SA_REKEYED);
	const tst_rec_event *b = tst_events_last(px, BOB, IKE_EV_SA_REKEYED);
	uint32_t child_in;

	cr_assert(a && b, "no SA_REKEYED");
	cr_assert(ike_sa_ref_eq(a->ev.u.sa_rekeyed.old_sa, old_a));
	cr_assert(ike_sa_ref_eq(b->ev.u.sa_rekeyed.old_sa, old_b));
	cr_assert(ike_engine_sa_is_up(px->side[ALICE].e, a->ev.sa));
	cr_assert(ike_engine_sa_is_up(px->side[BOB].e, b->ev.sa));
	/* the old SAs are gone without SA_DOWN or CHILD_DOWN */
	cr_assert(not(ike_engine_sa_is_up(px->side[ALICE].e, old_a)));
	cr_assert(not(ike_engine_sa_is_up(px->side[BOB].e, old_b)));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_DOWN), 0));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_DOWN), 0));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_DOWN), 0));
	/* the CHILD_SA moved to the new IKE_SA: it can be rekeyed there */
	child_in = tst_events_last(px, ALICE, IKE_EV_CHILD_UP)->child.spi_in;
	cr_assert(eq(int, ike_engine_rekey(px->side[ALICE].e, a->ev.sa, child_in, px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_REKEYED), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_CHILD_REKEYED), 1));
	/* and the new IKE_SA can be deleted cleanly */
	cr_assert(eq(int, ike_engine_terminate(px->side[ALICE].e, a->ev.sa, px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_DOWN), 1));
	cr_assert(eq(u64, ike_engine_next_deadline(px->side[ALICE].e), IKE_NEVER));
	cr_assert(eq(u64, ike_engine_next_deadline(px->side[BOB].e), IKE_NEVER));
}

ENGINE_TEST(ike_xchg_child, rekeys_ike_sa_and_moves_children)
{
	ike_sa_ref a, b;

	bring_up(px);
	a = px->sa[ALICE];
	b = px->sa[BOB];
	cr_assert(eq(int, ike_engine_rekey(px->side[ALICE].e, a, 0, px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	assert_ike_rekeyed(px, a, b);
}

ENGINE_TEST(ike_xchg_child, responder_rekeys_ike_sa)
{
	ike_sa_ref a, b;

	bring_up(px);
	a = px->sa[ALICE];
	b = px->sa[BOB];
	cr_assert(eq(int, ike_engine_rekey(px->side[BOB].e, b, 0, px->clock.now), IKE_OK));
	tst_pair_run(px, 5000);
	assert_ike_rekeyed(px, a, b);
}

ENGINE_TEST(ike_xchg_child, rekeys_ike_sa_when_its_time_comes)
{
	ike_sa_ref a, b;

	px->side[ALICE].cfg.ike_rekey_ms = 100000;
	px->side[ALICE].cfg.dpd_interval_ms = 0; /* tst_pair_advance only ticks */
	px->side[BOB].cfg.dpd_interval_ms = 0;
	bring_up(px);
	a = px->sa[ALICE];
	b = px->sa[BOB];
	tst_pair_advance(px, 100000);
	tst_pair_run(px, 5000);
	assert_ike_rekeyed(px, a, b);
}

ENGINE_TEST(ike_xchg_child, rekeys_child_sa_when_response_lost)
{
	uint32_t old;

	bring_up(px);
	old = tst_events_last(px, ALICE, IKE_EV_CHILD_UP)->child.spi_in;
	px->link.drop_mask[BOB] = 1u << px->link.sent[BOB]; /* bob's next datagram: the rekey response */
	cr_assert(eq(int, ike_engine_rekey(px->side[ALICE].e, px->sa[ALICE], old, px->clock.now), IKE_OK));
	tst_pair_run(px, 10000);
	assert_rekeyed(px, old);
	/* bob installed the new CHILD_SA once: the retransmission got the cached answer */
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_CHILD_REKEYED), 1));
}

ENGINE_TEST(ike_xchg_child, rekeys_ike_sa_when_request_lost)
{
	ike_sa_ref a, b;

	bring_up(px);
	a = px->sa[ALICE];
	b = px->sa[BOB];
	px->link.drop_mask[ALICE] = 1u << px->link.sent[ALICE];
	cr_assert(eq(int, ike_engine_rekey(px->side[ALICE].e, a, 0, px->clock.now), IKE_OK));
	tst_pair_run(px, 10000);
	assert_ike_rekeyed(px, a, b);
}

ENGINE_TEST(ike_xchg_child, rekeys_ike_sa_when_response_lost)
{
	ike_sa_ref a, b;

	bring_up(px);
	a = px->sa[ALICE];
	b = px->sa[BOB];
	px->link.drop_mask[BOB] = 1u << px->link.sent[BOB];
	cr_assert(eq(int, ike_engine_rekey(px->side[ALICE].e, a, 0, px->clock.now), IKE_OK));
	tst_pair_run(px, 10000);
	assert_ike_rekeyed(px, a, b);
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_REKEYED), 1));
}
