/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "tst.h"

static void assert_both_up(tst_pair *px)
{
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_CHILD_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_CHILD_UP), 1));
}

static void lose(tst_pair *px, int side, unsigned which)
{
	px->link.drop_mask[side] = 1u << which;
	tst_pair_initiate(px);
	tst_pair_run(px, 10000);
	assert_both_up(px);
}

ENGINE_TEST(ike_xchg_init, retransmits_request_when_init_request_lost)
{
	lose(px, ALICE, 0);
	cr_assert(eq(u64, px->link.sent[ALICE], 3));
	cr_assert(eq(u64, px->link.sent[BOB], 2));
}

ENGINE_TEST(ike_xchg_init, answers_from_cache_when_init_response_lost)
{
	ike_stats st;

	lose(px, BOB, 0);
	cr_assert(eq(u64, px->link.sent[ALICE], 3));
	cr_assert(eq(u64, px->link.sent[BOB], 3));
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u32, st.sas, 1)); /* the retransmission made no second SA */
}

ENGINE_TEST(ike_xchg_init, retransmits_request_when_auth_request_lost)
{
	lose(px, ALICE, 1);
	cr_assert(eq(u64, px->link.sent[ALICE], 3));
}

ENGINE_TEST(ike_xchg_init, answers_from_cache_when_auth_response_lost)
{
	lose(px, BOB, 1);
	cr_assert(eq(u64, px->link.sent[BOB], 3));
	/* bob authenticated once: one lookup, one SA_UP */
	cr_assert(eq(u32, px->side[BOB].lookups, 1));
}

ENGINE_TEST(ike_xchg_init, resends_identical_cached_response_once_per_copy)
{
	tst_dgram req, r1, r2;

	tst_pair_initiate(px);
	cr_assert(eq(int, tst_pair_deliver(px), IKE_OK)); /* INIT request to bob */
	cr_assert(eq(int, tst_pair_deliver(px), IKE_OK)); /* INIT response to alice, AUTH request out */
	cr_assert(eq(sz, px->link.n, 1));
	req = px->link.q[0];
	cr_assert(eq(int, tst_pair_deliver(px), IKE_OK)); /* bob answers IKE_AUTH */
	cr_assert(tst_link_take(&px->link, 0, &r1));
	/* the same request again: the same bytes again, and nothing else */
	tst_link_push(&px->link, ALICE, &req.path, req.data, req.len);
	cr_assert(eq(int, tst_pair_deliver(px), IKE_ERR_RETRANSMIT));
	cr_assert(eq(sz, px->link.n, 1));
	cr_assert(tst_link_take(&px->link, 0, &r2));
	cr_assert(eq(sz, r1.len, r2.len));
	cr_assert(eq(int, memcmp(r1.data, r2.data, r1.len), 0));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 1));
	tst_link_push(&px->link, BOB, &r1.path, r1.data, r1.len);
	tst_link_push(&px->link, BOB, &r2.path, r2.data, r2.len);
	cr_assert(eq(int, tst_pair_deliver(px), IKE_OK));
	cr_assert(eq(int, tst_pair_deliver(px), IKE_ERR_BAD_MID)); /* the duplicate answer is dropped */
	assert_both_up(px);
}

ENGINE_TEST(ike_xchg_init, survives_duplication_of_every_message)
{
	px->link.dup_next[ALICE] = 10;
	px->link.dup_next[BOB] = 10;
	tst_pair_initiate(px);
	tst_pair_run(px, 10000);
	assert_both_up(px);
}

ENGINE_TEST(ike_xchg_init, survives_reordered_retransmission)
{
	tst_pair_initiate(px);
	tst_pair_advance(px, 1000); /* alice retransmits IKE_SA_INIT: two copies queued */
	cr_assert(eq(sz, px->link.n, 2));
	tst_link_swap(&px->link, 0, 1);
	tst_pair_run(px, 10000);
	assert_both_up(px);
}

ENGINE_TEST(ike_xchg_init, gives_up_after_configured_tries)
{
	px->side[ALICE].cfg.retransmit_tries = 3;
	px->side[ALICE].cfg.retransmit_base_ms = 500;
	px->link.blackhole[BOB] = true;
	tst_pair_initiate(px);
	/* 500 + 1000 + 2000 ms after the first send */
	tst_pair_advance(px, 3499);
	cr_assert(eq(u64, px->link.sent[ALICE], 3));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_DOWN), 0));
	tst_pair_advance(px, 1);
	cr_assert(eq(u64, px->link.sent[ALICE], 3));
	cr_assert(eq(int, tst_events_last(px, ALICE, IKE_EV_SA_DOWN)->ev.u.sa_down.reason, IKE_ERR_TIMEOUT));
}

ENGINE_TEST(ike_xchg_init, retries_with_group_the_responder_asks_for)
{
	px->side[ALICE].peer.ike_proposals = "aes128gcm16-prfsha256-x25519-ecp256";
	px->side[BOB].cfg.ike_proposals = "aes128gcm16-prfsha256-ecp256";
	tst_pair_initiate(px);
	tst_pair_run(px, 10000);
	assert_both_up(px);
	cr_assert(eq(u64, px->link.sent[ALICE], 3)); /* INIT(x25519), INIT(ecp256), AUTH */
}

ENGINE_TEST(ike_xchg_init, answers_cookie_then_completes)
{
	ike_stats st;

	px->side[BOB].cfg.cookie_threshold = 0; /* always demand a cookie */
	tst_pair_initiate(px);
	cr_assert(eq(int, tst_pair_deliver(px), IKE_ERR_COOKIE));
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u32, st.sas, 0)); /* stateless until the cookie comes back */
	tst_pair_run(px, 10000);
	assert_both_up(px);
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u64, st.cookies_sent, 1));
}

ENGINE_TEST(ike_xchg_init, fails_with_no_proposal_chosen)
{
	px->side[ALICE].peer.ike_proposals = "aes128gcm16-prfsha256-x25519";
	px->side[BOB].cfg.ike_proposals = "aes256-sha512-modp2048";
	tst_pair_initiate(px);
	tst_pair_run(px, 10000);
	cr_assert(
	    eq(int, tst_events_last(px, ALICE, IKE_EV_SA_DOWN)->ev.u.sa_down.reason, IKE_ERR_NO_PROPOSAL));
	cr_assert(
	    eq(u16, tst_events_last(px, ALICE, IKE_EV_SA_DOWN)->ev.u.sa_down.notify, IKE_NO_PROPOSAL_CHOSEN));
	cr_assert(eq(u64, ike_engine_next_deadline(px->side[BOB].e), IKE_NEVER));
}

ENGINE_TEST(ike_xchg_init, frees_half_open_sa_after_timeout)
{
	ike_stats st;

	px->side[BOB].cfg.half_open_timeout_ms = 5000;
	px->link.blackhole[ALICE] = false;
	px->link.drop_mask[ALICE] = ~1u; /* only the first IKE_SA_INIT reaches bob */
	tst_pair_initiate(px);
	tst_pair_run(px, 3000);
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u32, st.half_open, 1));
	tst_pair_run(px, 60000);
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u32, st.sas, 0));
	cr_assert(eq(u32, st.half_open, 0));
	cr_assert(eq(u32, st.half_open_srcs, 0));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_DOWN), 0)); /* never reported up */
}

ENGINE_TEST(ike_xchg_init, drops_garbage_with_one_log_line_each)
{
	uint8_t junk[40];
	ike_path p = {px->side[BOB].addr, px->side[ALICE].addr};
	unsigned before;

	tst_pair_start(px);
	memset(junk, 0x41, sizeof junk);
	before = px->side[BOB].drop_lines;
	cr_assert(eq(int, ike_engine_recv(px->side[BOB].e, &p, junk, 10, px->clock.now), IKE_ERR_TRUNCATED));
	cr_assert(lt(int, ike_engine_recv(px->side[BOB].e, &p, junk, sizeof junk, px->clock.now), 0));
	cr_assert(eq(u32, px->side[BOB].drop_lines, before + 2));
}

/* alice at 10.0.0.1:port behind a NAT whose public address is 198.51.100.100 */
static void alice_behind_nat(tst_pair *px, uint16_t port)
{
	(void)ike_addr_parse(&px->side[ALICE].addr, "10.0.0.1", port);
	px->side[ALICE].peer.local = px->side[ALICE].addr;
	px->link.nat[ALICE] = true;
	px->link.nat_private[ALICE] = px->side[ALICE].addr;
	(void)ike_addr_parse(&px->link.nat_public[ALICE], "198.51.100.100", 0);
}

ENGINE_TEST(ike_xchg_init, floats_to_4500_behind_nat)
{
	const tst_rec_event *a, *b;

	alice_behind_nat(px, 500);
	tst_pair_initiate(px);
	tst_pair_run(px, 10000);
	assert_both_up(px);
	a = tst_events_last(px, ALICE, IKE_EV_SA_UP);
	b = tst_events_last(px, BOB, IKE_EV_SA_UP);
	cr_assert(a->ev.u.sa_up.nat_local);
	cr_assert(not(a->ev.u.sa_up.nat_remote));
	cr_assert(b->ev.u.sa_up.nat_remote);
	cr_assert(eq(u16, a->ev.u.sa_up.path.local.port, 4500));
	cr_assert(eq(u16, a->ev.u.sa_up.path.remote.port, 4500));
	cr_assert(eq(u16, b->ev.u.sa_up.path.local.port, 4500));
	cr_assert(eq(u16, b->ev.u.sa_up.path.remote.port, 24500)); /* the NAT's mapping of 4500 */
	cr_assert(tst_events_last(px, ALICE, IKE_EV_CHILD_UP)->child.encap_udp);
	cr_assert(tst_events_last(px, BOB, IKE_EV_CHILD_UP)->child.encap_udp);
	/* alice, behind the NAT, keeps the mapping alive; bob does not */
	tst_pair_advance(px, 21000);
	cr_assert(ge(sz, tst_events_count(px, ALICE, IKE_EV_KEEPALIVE), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_KEEPALIVE), 0));
}

/* A mediated IKE_SA runs on the pair the checks proved, e.g. from our relayed address on
 * a TURN relay (port 49200): NAT detected or not, it does not float to 4500. */
ENGINE_TEST(ike_xchg_init, mediated_sa_keeps_its_checked_path)
{
	static const uint8_t cid[4] = {1, 2, 3, 4};
	const tst_rec_event *a;
	uint16_t bob_port = px->side[BOB].addr.port;

	alice_behind_nat(px, 49200);
	px->side[ALICE].peer.me_connect_id = cid;
	px->side[ALICE].peer.me_connect_id_len = sizeof cid;
	tst_pair_initiate(px);
	tst_pair_run(px, 10000);
	assert_both_up(px);
	a = tst_events_last(px, ALICE, IKE_EV_SA_UP);
	cr_assert(a->ev.u.sa_up.nat_local);
	cr_assert(eq(u16, a->ev.u.sa_up.path.local.port, 49200));
	cr_assert(eq(u16, a->ev.u.sa_up.path.remote.port, bob_port));
}

/* ---- responder protection: cookies, half-open limits (RFC 7296 2.6) ---- */

#define XCHG_OFF 18 /* exchange type in the IKE header */

/* Delivers what is queued, but drops every message alice sends from `echoer`
 * other than IKE_SA_INIT: that source answers cookies and never authenticates.
 * No timers run. Returns the number of datagrams delivered. */
static unsigned deliver_with_echoer(tst_pair *px, const ike_addr *echoer)
{
	tst_dgram d;
	unsigned n = 0;

	for (unsigned i = 0; i < 10000 && tst_link_take(&px->link, 0, &d); i++) {
		ike_path p = {d.path.remote, d.path.local};
		if (d.from == ALICE && ike_addr_ip_eq(&d.path.local, echoer) &&
		    d.data[XCHG_OFF] != IKE_IKE_SA_INIT)
			continue;
		int rc = ike_engine_recv(px->side[1 - d.from].e, &p, d.data, d.len, px->clock.now);
		cr_assert(not(ike_err_is_fatal(rc)), "%s", ike_strerror(rc));
		n++;
	}
	cr_assert(eq(sz, px->link.n, 0), "the link did not drain");
	return n;
}

/* alice starts an IKE_SA to bob from address `from` (port 500). */
static void initiate_from(tst_pair *px, const char *from)
{
	ike_peer_cfg peer = px->side[ALICE].peer;
	ike_sa_ref ref;

	cr_assert(eq(int, ike_addr_parse(&peer.local, from, IKE_PORT), IKE_OK));
	cr_assert(eq(int, ike_engine_initiate(px->side[ALICE].e, &peer, px->clock.now, &ref), IKE_OK));
}

ENGINE_TEST(ike_xchg_init, limits_cookie_echoing_source_and_still_serves_another)
{
	ike_addr echoer;
	ike_stats st;

	px->side[BOB].cfg.cookie_threshold = 2;
	px->side[BOB].cfg.half_open_per_src = 5;
	px->side[BOB].cfg.half_open_timeout_ms = 10000;
	tst_pair_start(px);
	(void)ike_addr_parse(&echoer, "198.51.100.1", IKE_PORT);
	/* 20 IKE_SA_INITs from one address that echoes every COOKIE */
	for (int i = 0; i < 20; i++)
		initiate_from(px, "198.51.100.1");
	deliver_with_echoer(px, &echoer);
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u32, st.half_open, 5));
	cr_assert(eq(u32, st.half_open_srcs, 1));
	cr_assert(eq(u32, st.sas, 5));
	cr_assert(eq(u64, st.cookies_sent, 18)); /* all but the first two, under pressure */
	cr_assert(eq(u64, st.src_limited, 15));  /* each with a valid cookie, over the limit */
	cr_assert(eq(u64, st.half_open_limited, 0));

	/* another client, from another address, still gets its SA */
	initiate_from(px, "198.51.100.9");
	deliver_with_echoer(px, &echoer);
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 1));
	cr_assert(eq(u16, tst_events_last(px, BOB, IKE_EV_SA_UP)->ev.u.sa_up.path.remote.ip[3], 9));
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u32, st.half_open, 5)); /* its SA left the half-open count when it came up */
	cr_assert(eq(u32, st.half_open_srcs, 1));
	cr_assert(eq(u64, st.cookies_sent, 19));

	/* the echoer's SAs time out: the counts return to 0 and it may try again */
	tst_pair_advance(px, 10001);
	px->link.n = 0;
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u32, st.half_open, 0));
	cr_assert(eq(u32, st.half_open_srcs, 0));
	initiate_from(px, "198.51.100.1");
	deliver_with_echoer(px, &echoer);
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u32, st.half_open, 1));
	cr_assert(eq(u32, st.half_open_srcs, 1));
}

ENGINE_TEST(ike_xchg_init, limits_one_source_without_cookie_pressure)
{
	ike_addr echoer;
	ike_stats st;

	px->side[BOB].cfg.half_open_per_src = 3;
	tst_pair_start(px);
	(void)ike_addr_parse(&echoer, "198.51.100.1", IKE_PORT);
	for (int i = 0; i < 6; i++)
		initiate_from(px, "198.51.100.1");
	deliver_with_echoer(px, &echoer);
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u32, st.half_open, 3));
	cr_assert(eq(u64, st.src_limited, 3));
	cr_assert(eq(u64, st.cookies_sent, 0));
}

ENGINE_TEST(ike_xchg_init, counts_half_open_limit_only_after_a_valid_cookie)
{
	ike_addr echoer;
	ike_stats st;

	px->side[BOB].cfg.half_open_max = 2;
	px->side[BOB].cfg.cookie_threshold = 100; /* the full table alone demands cookies */
	tst_pair_start(px);
	(void)ike_addr_parse(&echoer, "198.51.100.1", IKE_PORT);
	initiate_from(px, "198.51.100.1");
	initiate_from(px, "198.51.100.1");
	deliver_with_echoer(px, &echoer);
	/* the table is full: a request without a cookie gets one, not a drop */
	initiate_from(px, "198.51.100.1");
	cr_assert(eq(int, tst_pair_deliver(px), IKE_ERR_COOKIE));
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u64, st.half_open_limited, 0));
	cr_assert(eq(u64, st.cookies_sent, 1));
	/* the same request with the cookie is counted, and over the limit */
	cr_assert(eq(int, tst_pair_deliver(px), IKE_OK)); /* alice repeats with the cookie */
	cr_assert(eq(int, tst_pair_deliver(px), IKE_ERR_LIMIT));
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u64, st.half_open_limited, 1));
	cr_assert(eq(u32, st.half_open, 2));
	cr_assert(eq(u32, st.sas, 2));
}

ENGINE_TEST(ike_xchg_init, keeps_no_state_for_requests_without_a_valid_cookie)
{
	tst_dgram first, second;
	ike_stats st;
	size_t blocks;
	unsigned lines;

	px->side[BOB].cfg.cookie_threshold = 0; /* always under pressure */
	tst_pair_initiate(px);
	cr_assert(tst_link_take(&px->link, 0, &first));
	tst_link_push(&px->link, ALICE, &first.path, first.data, first.len);
	cr_assert(eq(int, tst_pair_deliver(px), IKE_ERR_COOKIE));
	cr_assert(eq(int, tst_pair_deliver(px), IKE_OK)); /* alice repeats with the cookie */
	cr_assert(tst_link_take(&px->link, 0, &second));
	blocks = tst_mem_live_blocks();
	lines = px->side[BOB].log_lines;
	/* a spoofed flood: the request without a cookie, and the one with alice's
	 * cookie (bound to her address), from 1000 other addresses */
	for (unsigned i = 0; i < 1000; i++) {
		ike_path p = {px->side[BOB].addr, px->side[ALICE].addr};
		p.remote.ip[2] = (uint8_t)(i >> 8);
		p.remote.ip[3] = (uint8_t)(i + 3);
		cr_assert(eq(int, ike_engine_recv(px->side[BOB].e, &p, first.data, first.len, px->clock.now),
		             IKE_ERR_COOKIE));
		cr_assert(eq(int,
		             ike_engine_recv(px->side[BOB].e, &p, second.data, second.len, px->clock.now),
		             IKE_ERR_COOKIE));
		px->link.n = 0; /* the COOKIE answers go nowhere */
	}
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u32, st.sas, 0));
	cr_assert(eq(u32, st.half_open, 0));
	cr_assert(eq(u32, st.half_open_srcs, 0));
	cr_assert(eq(u64, st.cookies_sent, 2001));
	cr_assert(eq(sz, tst_mem_live_blocks(), blocks), "the flood allocated memory");
	/* 2000 drops, 19 lines (the window began with alice's first request);
	 * the summary follows when the window ends */
	cr_assert(eq(u32, px->side[BOB].log_lines, lines + 19));
	cr_assert(eq(u64, ike_engine_next_deadline(px->side[BOB].e), px->clock.now + 10000));
	tst_pair_advance(px, 10000);
	cr_assert(eq(u32, px->side[BOB].log_lines, lines + 20));
	cr_assert(eq(str, px->side[BOB].last_log, "dropped datagrams (1981 more in the last 10 s)"));
	cr_assert(eq(u64, ike_engine_next_deadline(px->side[BOB].e), IKE_NEVER));
	/* alice's own request, from her address, still passes */
	tst_link_push(&px->link, ALICE, &second.path, second.data, second.len);
	tst_pair_run(px, 10000);
	assert_both_up(px);
}

ENGINE_TEST(ike_xchg_init, limits_failed_send_lines)
{
	tst_dgram d;
	ike_stats st;
	unsigned lines;

	px->side[BOB].cfg.cookie_threshold = 0;
	tst_pair_initiate(px);
	cr_assert(tst_link_take(&px->link, 0, &d));
	lines = px->side[BOB].log_lines;
	px->side[BOB].fail_send = true; /* answers to spoofed sources fail */
	for (int i = 0; i < 50; i++) {
		tst_link_push(&px->link, ALICE, &d.path, d.data, d.len);
		cr_assert(eq(int, tst_pair_deliver(px), IKE_ERR_COOKIE));
	}
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u64, st.tx_failed, 50));
	/* 20 drop lines and 20 send lines, then nothing until the windows end */
	cr_assert(eq(u32, px->side[BOB].log_lines, lines + 40));
	tst_pair_advance(px, 10000);
	cr_assert(eq(u32, px->side[BOB].log_lines, lines + 42));
	cr_assert(eq(str, px->side[BOB].last_log, "failed sends (30 more in the last 10 s)"));
}

ENGINE_TEST(ike_xchg_init, counts_an_ipv6_source_by_its_64)
{
	static const char *const from[] = {"2001:db8::1", "2001:db8::2", "2001:db8::3:4", "2001:db8::ffff",
	                                   "2001:db8::a:b:c"};
	tst_dgram init;
	ike_path p = {px->side[BOB].addr, px->side[ALICE].addr};
	ike_stats st;

	px->side[BOB].cfg.half_open_per_src = 4;
	tst_pair_initiate(px);
	cr_assert(tst_link_take(&px->link, 0, &init));
	/* the same request from five addresses of one /64: four SAs, then the limit */
	for (int i = 0; i < 5; i++) {
		cr_assert(eq(int, ike_addr_parse(&p.remote, from[i], IKE_PORT), IKE_OK));
		cr_assert(eq(int, ike_engine_recv(px->side[BOB].e, &p, init.data, init.len, px->clock.now),
		             i < 4 ? IKE_OK : IKE_ERR_LIMIT));
		px->link.n = 0;
	}
	/* another /64 is another source */
	cr_assert(eq(int, ike_addr_parse(&p.remote, "2001:db8:0:1::1", IKE_PORT), IKE_OK));
	cr_assert(eq(int, ike_engine_recv(px->side[BOB].e, &p, init.data, init.len, px->clock.now), IKE_OK));
	ike_engine_stats(px->side[BOB].e, &st);
	cr_assert(eq(u32, st.half_open, 5));
	cr_assert(eq(u32, st.half_open_srcs, 2));
	cr_assert(eq(u64, st.src_limited, 1));
}
