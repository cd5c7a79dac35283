/* SPDX-License-Identifier: MIT */
/*
 * N(ME_TURN): a mediation server (bob) hands its registered client (alice) a
 * TURN relay and credential in the IKE_AUTH response and refreshes it in an
 * INFORMATIONAL request before it expires; only a client that sent
 * ME_MEDIATION is offered one, and only when the program gives one.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "tst.h"

#define LIFETIME_S 120 /* the credential's lifetime in the tests */

static void give_turn(tst_pair *px, ike_ms refresh_ms)
{
	ike_me_turn *t = &px->side[BOB].turn_give;

	memset(t, 0, sizeof *t);
	(void)ike_addr_parse(&t->server, "203.0.113.5", 3478);
	t->expires = 1800000000u;
	strcpy(t->user, "1800000000:00112233445566778899aabbccddeeff00112233");
	strcpy(t->pass, "c2VjcmV0LXBhc3N3b3JkLWZvci10ZXN0cw==");
	px->side[BOB].turn_refresh_ms = refresh_ms;
}

/* Runs everything due up to time t, and leaves the clock at t. */
static void run_to(tst_pair *px, ike_ms t)
{
	if (t > px->clock.now)
		tst_pair_run(px, t - px->clock.now);
	if (px->clock.now < t)
		px->clock.now = t;
}

static void run_for(tst_pair *px, ike_ms ms)
{
	run_to(px, px->clock.now + ms);
}

static void register_at_server(tst_pair *px)
{
	px->side[ALICE].peer.mediation = true;
	px->side[BOB].peer.mediation_server = true;
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
}

static void assert_turn(const ike_me_turn *got, const ike_me_turn *want, uint64_t expires)
{
	cr_assert(ike_addr_eq(&got->server, &want->server));
	cr_assert(eq(u64, got->expires, expires));
	cr_assert(eq(str, (char *)got->user, (char *)want->user));
	cr_assert(eq(str, (char *)got->pass, (char *)want->pass));
}

ENGINE_TEST(ike_me_turn, registration_delivers_the_credential)
{
	const tst_rec_event *w, *got;
	ike_id alice_id;

	give_turn(px, 0);
	register_at_server(px);
	w = tst_events_last(px, BOB, IKE_EV_ME_TURN_WANTED);
	cr_assert(w != NULL, "the server was not asked");
	cr_assert(not(w->ev.u.me_turn_wanted.refresh));
	tst_key_id(ALICE, &alice_id);
	cr_assert(ike_id_eq(w->ev.u.me_turn_wanted.peer, &alice_id), "asked for the authenticated client");
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_TURN), 1));
	got = tst_events_last(px, ALICE, IKE_EV_ME_TURN);
	assert_turn(got->ev.u.me_turn.turn, &px->side[BOB].turn_give, 1800000000u);
	/* no refresh asked for: none comes */
	run_for(px, 10 * 60 * 1000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_TURN), 1));
	cr_assert(eq(u32, px->side[BOB].turn_asks, 1));
}

ENGINE_TEST(ike_me_turn, refresh_arrives_before_expiry)
{
	const ike_ms half = LIFETIME_S * 1000 / 2;
	ike_ms up_at;
	const tst_rec_event *got;

	give_turn(px, half);
	register_at_server(px);
	up_at = tst_events_last(px, ALICE, IKE_EV_ME_TURN)->at;
	run_to(px, up_at + half - 1000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_TURN), 1),
	          "no refresh before half the lifetime");
	run_to(px, up_at + half + 1500);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_TURN), 2));
	got = tst_events_last(px, ALICE, IKE_EV_ME_TURN);
	/* at half the lifetime, or 1 s later when a liveness check was running then */
	cr_assert(le(u64, got->at - up_at, half + 1000), "refreshed at half the lifetime");
	assert_turn(got->ev.u.me_turn.turn, &px->side[BOB].turn_give, 1800000100u);
	cr_assert(tst_events_last(px, BOB, IKE_EV_ME_TURN_WANTED)->ev.u.me_turn_wanted.refresh);
	/* and again, each before the previous one expires; the SAs stay up */
	run_to(px, up_at + 3 * half + 5000); /* each refresh may slip 1 s behind a liveness check */
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_TURN), 4));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_DOWN), 0));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_DOWN), 0));
}

ENGINE_TEST(ike_me_turn, refresh_survives_an_ike_sa_rekey)
{
	const ike_ms half = LIFETIME_S * 1000 / 2;

	give_turn(px, half);
	register_at_server(px);
	cr_assert(eq(int, ike_engine_rekey(px->side[ALICE].e, px->sa[ALICE], 0, px->clock.now), IKE_OK));
	run_for(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_REKEYED), 1));
	run_for(px, half);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_TURN), 2));
}

ENGINE_TEST(ike_me_turn, server_stops_when_the_program_declines)
{
	give_turn(px, 30000);
	register_at_server(px);
	memset(&px->side[BOB].turn_give, 0, sizeof px->side[BOB].turn_give); /* no longer registered */
	run_for(px, 31000);
	cr_assert(eq(u32, px->side[BOB].turn_asks, 2));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_TURN), 1));
	run_for(px, 120000);
	cr_assert(eq(u32, px->side[BOB].turn_asks, 2), "not asked again");
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_DOWN), 0));
}

ENGINE_TEST(ike_me_turn, none_for_a_client_without_me_mediation)
{
	give_turn(px, 30000);
	px->side[BOB].peer.mediation_server = true; /* alice's connection is no mediation connection */
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(u32, px->side[BOB].turn_asks, 0));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_TURN), 0));
}

ENGINE_TEST(ike_me_turn, none_from_an_ordinary_responder)
{
	give_turn(px, 30000);
	px->side[ALICE].peer.mediation = true; /* bob is no mediation server */
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(u32, px->side[BOB].turn_asks, 0));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_TURN), 0));
}

ENGINE_TEST(ike_me_turn, server_declining_sends_nothing)
{
	register_at_server(px); /* turn_give left empty */
	cr_assert(eq(u32, px->side[BOB].turn_asks, 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_TURN), 0));
}

ENGINE_TEST(ike_me_turn, invalid_credential_is_not_sent)
{
	give_turn(px, 0);
	px->side[BOB].turn_give.user[3] = ' '; /* the encoder refuses it */
	register_at_server(px);
	cr_assert(eq(u32, px->side[BOB].turn_asks, 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_TURN), 0));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 1), "the registration itself succeeds");
}
