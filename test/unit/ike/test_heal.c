/* SPDX-License-Identifier: MIT */
/*
 * What the engine does for peers that heal themselves (issue 9): a mediation
 * server tells a client that moved its new endpoint; a request for an SA the
 * responder does not know (it restarted) gets an unprotected INVALID_IKE_SPI
 * (RFC 7296 2.21.4), which the requester reports as a hint without changing its
 * SA; a peer config can have its own DPD interval.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "tst.h"

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
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_ENDPOINT), 1));
}

ENGINE_TEST(ike_heal, server_tells_a_moved_client_its_new_endpoint)
{
	const tst_rec_event *ep;
	ike_addr want;

	register_behind_nat(px);
	/* the NAT reboots: alice's flows get new public ports */
	px->link.nat_shift[ALICE] = 30000;
	cr_assert(eq(int, ike_engine_dpd(px->side[ALICE].e, px->sa[ALICE], px->clock.now), IKE_OK));
	tst_pair_run(px, 1000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_ENDPOINT), 2));
	ep = tst_events_last(px, ALICE, IKE_EV_ME_ENDPOINT);
	(void)ike_addr_parse(&want, "198.51.100.100", 34500); /* NAT-T port 4500 + the new shift */
	cr_assert(ike_addr_eq(&ep->ev.u.me_endpoint.addr, &want));
	cr_assert(eq(u8, ep->ev.u.me_endpoint.type, IKE_ME_SERVER_REFLEXIVE));
	/* told once: the next liveness check carries nothing */
	cr_assert(eq(int, ike_engine_dpd(px->side[ALICE].e, px->sa[ALICE], px->clock.now), IKE_OK));
	tst_pair_run(px, 1000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_ENDPOINT), 2));
	cr_assert(ike_engine_sa_is_up(px->side[ALICE].e, px->sa[ALICE]));
}

ENGINE_TEST(ike_heal, an_ordinary_responder_says_nothing_when_the_peer_moves)
{
	/* no mediation: the path follows the peer, no notify is added */
	(void)ike_addr_parse(&px->side[ALICE].addr, "10.0.0.1", 500);
	px->side[ALICE].peer.local = px->side[ALICE].addr;
	px->link.nat[ALICE] = true;
	px->link.nat_private[ALICE] = px->side[ALICE].addr;
	(void)ike_addr_parse(&px->link.nat_public[ALICE], "198.51.100.100", 0);
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	px->link.nat_shift[ALICE] = 30000;
	cr_assert(eq(int, ike_engine_dpd(px->side[ALICE].e, px->sa[ALICE], px->clock.now), IKE_OK));
	tst_pair_run(px, 1000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_ME_ENDPOINT), 0));
	cr_assert(ike_engine_sa_is_up(px->side[ALICE].e, px->sa[ALICE]));
	/* the responder reports that it follows (the program moves the ESP too) */
	{
		const tst_rec_event *pc = tst_events_last(px, BOB, IKE_EV_PATH_CHANGED);
		ike_addr want;
		(void)ike_addr_parse(&want, "198.51.100.100", 34500);
		cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_PATH_CHANGED), 1));
		cr_assert(ike_addr_eq(&pc->ev.u.path_changed.path.remote, &want));
		cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_PATH_CHANGED), 0));
	}
}

/* The program learned from authenticated ESP where the peer is now: the IKE_SA
 * is moved there, and its requests reach the peer again. */
ENGINE_TEST(ike_heal, the_program_moves_an_sa_to_where_the_peer_is_now)
{
	ike_path p;
	ike_stats st;

	(void)ike_addr_parse(&px->side[ALICE].addr, "10.0.0.1", 500);
	px->side[ALICE].peer.local = px->side[ALICE].addr;
	px->link.nat[ALICE] = true;
	px->link.nat_private[ALICE] = px->side[ALICE].addr;
	(void)ike_addr_parse(&px->link.nat_public[ALICE], "198.51.100.100", 0);
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(ike_engine_sa_is_up(px->side[BOB].e, px->sa[BOB]));
	px->link.nat_shift[ALICE] = 30000;
	cr_assert(eq(int, ike_engine_set_path(px->side[BOB].e, px->sa[BOB], NULL), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_engine_set_path(px->side[BOB].e, (ike_sa_ref){0, 0}, &p), IKE_ERR_STALE_SA));
	p.local = px->side[BOB].addr;
	p.local.port = 4500;
	(void)ike_addr_parse(&p.remote, "198.51.100.100", 34500);
	cr_assert(eq(int, ike_engine_set_path(px->side[BOB].e, px->sa[BOB], &p), IKE_OK));
	cr_assert(eq(int, ike_engine_dpd(px->side[BOB].e, px->sa[BOB], px->clock.now), IKE_OK));
	cr_assert(eq(sz, px->link.n, 1));
	cr_assert(ike_addr_eq(&px->link.q[0].path.remote, &p.remote), "the request goes to the new path");
	tst_pair_run(px, 3000);
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u64, st.retransmits, 0), "answered at once on the new path");
	cr_assert(ike_engine_sa_is_up(px->side[BOB].e, px->sa[BOB]));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_DOWN), 0));
}

/* bob restarts: a new engine that knows no SA. */
static void restart_bob(tst_pair *px)
{
	ike_engine_free(px->side[BOB].e);
	px->side[BOB].e = NULL;
	tst_pair_start(px);
}

ENGINE_TEST(ike_heal, a_restarted_responder_answers_invalid_ike_spi_and_the_sa_stays)
{
	const tst_rec_event *ev;
	ike_stats st;

	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(ike_engine_sa_is_up(px->side[ALICE].e, px->sa[ALICE]));
	restart_bob(px);
	cr_assert(eq(int, ike_engine_dpd(px->side[ALICE].e, px->sa[ALICE], px->clock.now), IKE_OK));
	cr_assert(eq(int, tst_pair_deliver(px), IKE_ERR_UNKNOWN_SPI)); /* bob: unknown, answered */
	cr_assert(eq(sz, px->link.n, 1));
	cr_assert(eq(u8, px->link.q[0].data[18], IKE_INFORMATIONAL));
	cr_assert(ne(int, px->link.q[0].data[19] & IKE_FLAG_RESPONSE, 0));
	{
		int rc = tst_pair_deliver(px);
		cr_assert(eq(int, rc, IKE_ERR_UNKNOWN_SPI), "alice: %s (%s)", ike_strerror(rc),
		          px->side[ALICE].last_log); /* alice: a hint */
	}
	ev = tst_events_last(px, ALICE, IKE_EV_PEER_LOST_SA);
	cr_assert(ev != NULL, "no hint reported");
	cr_assert(ike_sa_ref_eq(ev->ev.sa, px->sa[ALICE]));
	/* MUST NOT change the SA (2.21.4): still up, its request still out */
	cr_assert(ike_engine_sa_is_up(px->side[ALICE].e, px->sa[ALICE]));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_DOWN), 0));
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u32, st.sas, 0));
}

ENGINE_TEST(ike_heal, invalid_ike_spi_answers_are_rate_limited_and_responses_never_answered)
{
	uint8_t pkt[64];
	ike_path path;
	unsigned answered = 0;

	tst_pair_start(px);
	memset(pkt, 0, sizeof pkt);
	pkt[0] = 1;   /* SPI_i */
	pkt[15] = 2;  /* SPI_r */
	pkt[16] = 46; /* SK */
	pkt[17] = 0x20;
	pkt[18] = IKE_INFORMATIONAL;
	pkt[19] = IKE_FLAG_INITIATOR;
	pkt[23] = 1;
	pkt[27] = 28 + 8;
	pkt[28 + 2] = 0;
	pkt[28 + 3] = 8;
	path.local = px->side[BOB].addr;
	(void)ike_addr_parse(&path.remote, "198.51.100.7", 500);
	for (int i = 0; i < 100; i++) {
		size_t before = px->link.n;
		cr_assert(eq(int, ike_engine_recv(px->side[BOB].e, &path, pkt, 28 + 8, px->clock.now),
		             IKE_ERR_UNKNOWN_SPI));
		if (px->link.n > before)
			answered++;
		while (px->link.n)
			(void)tst_link_take(&px->link, 0, &(tst_dgram){0});
	}
	cr_assert(eq(u32, answered, 20), "at most 20 a second");
	/* a second later: answered again */
	px->clock.now += 1000;
	cr_assert(eq(int, ike_engine_recv(px->side[BOB].e, &path, pkt, 28 + 8, px->clock.now),
	             IKE_ERR_UNKNOWN_SPI));
	cr_assert(eq(sz, px->link.n, 1));
	(void)tst_link_take(&px->link, 0, &(tst_dgram){0});
	/* a response with unknown SPIs is never answered */
	pkt[19] = IKE_FLAG_INITIATOR | IKE_FLAG_RESPONSE;
	px->clock.now += 1000;
	cr_assert(eq(int, ike_engine_recv(px->side[BOB].e, &path, pkt, 28 + 8, px->clock.now),
	             IKE_ERR_UNKNOWN_SPI));
	cr_assert(eq(sz, px->link.n, 0));
}

ENGINE_TEST(ike_heal, a_peer_config_has_its_own_dpd_interval)
{
	px->side[ALICE].cfg.dpd_interval_ms = 30000;
	px->side[BOB].cfg.dpd_interval_ms = 0;
	px->side[ALICE].peer.dpd_interval_ms = 3000;
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	{
		uint64_t sent = px->link.sent[ALICE];
		tst_pair_advance(px, 2900);
		cr_assert(eq(u64, px->link.sent[ALICE], sent), "nothing before 3 s");
		tst_pair_advance(px, 200);
		cr_assert(eq(u64, px->link.sent[ALICE], sent + 1), "a liveness check at 3 s");
	}
}
