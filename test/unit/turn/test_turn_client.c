/* SPDX-License-Identifier: MIT */
/* The TURN client state machine against the fake server, with a fake clock. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>
#include <string.h>

#include "fake_srv.h"

#define S 1000ull /* one second in ike_ms */

static fake_srv *srv_new(void)
{
	fake_srv *s = calloc(1, sizeof *s);
	cr_assert(s != NULL);
	fs_init(s);
	return s;
}

static void srv_free(fake_srv *s)
{
	turn_client_free(s->c);
	free(s);
}

/* A client allocated at time 0 (after the 401 round trip). */
static fake_srv *allocated(void)
{
	fake_srv *s = srv_new();
	turn_config cfg;

	fs_client_config(s, &cfg);
	fs_client_new(s, &cfg);
	cr_assert(eq(int, turn_client_allocate(s->c, 0), IKE_OK));
	fs_pump(s);
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_ALLOCATED));
	return s;
}

static ike_addr addr(const char *ip, uint16_t port)
{
	ike_addr a;
	cr_assert(eq(int, ike_addr_parse(&a, ip, port), IKE_OK));
	return a;
}

Test(turn_client, allocates_after_401_with_long_term_credentials)
{
	fake_srv *s = allocated();
	int i = fs_find_event(s, TURN_EV_ALLOCATED, 0);

	cr_assert(ge(int, i, 0));
	cr_assert(ike_addr_eq(&s->ev[i].relayed, &s->relayed));
	cr_assert(ike_addr_eq(&s->ev[i].mapped, &s->mapped));
	cr_assert(eq(u32, s->ev[i].lifetime_s, 600));
	cr_assert(eq(u32, s->n_req[STUN_ALLOCATE], 2), "one without and one with credentials");
	cr_assert(eq(u32, s->n_unauth, 1));
	cr_assert(ike_addr_eq(turn_client_relayed(s->c), &s->relayed));
	cr_assert(eq(u64, turn_client_stats(s->c)->requests_sent, 2));
	cr_assert(eq(sz, s->n_ev, 1));
	srv_free(s);
}

Test(turn_client, accepts_a_precomputed_key_instead_of_the_password)
{
	fake_srv *s = srv_new();
	turn_config cfg;

	fs_client_config(s, &cfg);
	cfg.password = NULL;
	cfg.key = s->key;
	fs_client_new(s, &cfg);
	cr_assert(eq(int, turn_client_allocate(s->c, 0), IKE_OK));
	fs_pump(s);
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_ALLOCATED));
	srv_free(s);
}

Test(turn_client, refuses_bad_configs)
{
	fake_srv *s = srv_new();
	turn_config cfg;
	turn_client *c = NULL;

	fs_client_config(s, &cfg);
	cfg.key = s->key; /* both password and key */
	cr_assert(eq(int, turn_client_new(&c, &cfg, &fs_callbacks, s, 0), IKE_ERR_INVAL));
	fs_client_config(s, &cfg);
	cfg.username = NULL;
	cr_assert(eq(int, turn_client_new(&c, &cfg, &fs_callbacks, s, 0), IKE_ERR_INVAL));
	fs_client_config(s, &cfg);
	cfg.server.family = IKE_AF_NONE;
	cr_assert(eq(int, turn_client_new(&c, &cfg, &fs_callbacks, s, 0), IKE_ERR_INVAL));
	/* waits that would be zero: retransmissions due at once */
	fs_client_config(s, &cfg);
	cfg.rto_max_ms = cfg.rto_ms - 1;
	cr_assert(eq(int, turn_client_new(&c, &cfg, &fs_callbacks, s, 0), IKE_ERR_INVAL));
	fs_client_config(s, &cfg);
	cfg.rm = 0;
	cr_assert(eq(int, turn_client_new(&c, &cfg, &fs_callbacks, s, 0), IKE_ERR_INVAL));
	cr_assert(c == NULL);
	srv_free(s);
}

Test(turn_client, wrong_password_fails_with_a_clear_401)
{
	fake_srv *s = srv_new();
	turn_config cfg;
	int i;

	fs_client_config(s, &cfg);
	cfg.password = "not-the-password";
	fs_client_new(s, &cfg);
	cr_assert(eq(int, turn_client_allocate(s->c, 0), IKE_OK));
	fs_pump(s);
	i = fs_find_event(s, TURN_EV_ALLOC_FAILED, 0);
	cr_assert(ge(int, i, 0));
	cr_assert(eq(int, s->ev[i].code, 401));
	cr_assert(eq(int, s->ev[i].err, IKE_ERR_AUTH));
	cr_assert(strstr(s->ev[i].reason, "401 Unauthorized") != NULL, "reason: %s", s->ev[i].reason);
	cr_assert(strstr(s->ev[i].reason, "not-the-password") == NULL);
	cr_assert(strstr(s->ev[i].reason, "alice") == NULL);
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_CLOSED));
	cr_assert(eq(u64, turn_client_next_deadline(s->c), IKE_NEVER));
	cr_assert(eq(u32, s->n_req[STUN_ALLOCATE], 2), "no retry loop on a second 401");
	srv_free(s);
}

static void check_alloc_error(int code, int err, const char *text)
{
	fake_srv *s = srv_new();
	turn_config cfg;
	int i;

	s->alloc_error = code;
	fs_client_config(s, &cfg);
	fs_client_new(s, &cfg);
	cr_assert(eq(int, turn_client_allocate(s->c, 0), IKE_OK));
	fs_pump(s);
	i = fs_find_event(s, TURN_EV_ALLOC_FAILED, 0);
	cr_assert(ge(int, i, 0), "code %d", code);
	cr_assert(eq(int, s->ev[i].code, code));
	cr_assert(eq(int, s->ev[i].err, err), "code %d", code);
	cr_assert(strstr(s->ev[i].reason, text) != NULL, "reason: %s", s->ev[i].reason);
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_CLOSED));
	srv_free(s);
}

Test(turn_client, allocate_errors_give_clear_reasons)
{
	check_alloc_error(403, IKE_ERR_POLICY, "403 Forbidden");
	check_alloc_error(437, IKE_ERR_STATE, "437 Allocation Mismatch");
	check_alloc_error(441, IKE_ERR_AUTH, "441 Wrong Credentials");
	check_alloc_error(486, IKE_ERR_LIMIT, "486 Allocation Quota Reached");
	check_alloc_error(508, IKE_ERR_LIMIT, "508 Insufficient Capacity");
	check_alloc_error(500, IKE_ERR_POLICY, "500 Server Error");
}

Test(turn_client, retries_with_the_new_nonce_on_438)
{
	fake_srv *s = srv_new();
	turn_config cfg;

	s->stale_next = true;
	s->nonce_gen = 0;
	fs_client_config(s, &cfg);
	fs_client_new(s, &cfg);
	cr_assert(eq(int, turn_client_allocate(s->c, 0), IKE_OK));
	fs_pump(s);
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_ALLOCATED));
	cr_assert(eq(u32, s->n_req[STUN_ALLOCATE], 3), "unauthenticated, stale, fresh");
	/* Stale again on the Refresh. */
	s->stale_next = true;
	fs_run_until(s, 541 * S);
	cr_assert(eq(sz, fs_count_events(s, TURN_EV_REFRESHED), 1));
	cr_assert(eq(u32, s->n_req[STUN_REFRESH], 2));
	srv_free(s);
}

Test(turn_client, gives_up_after_repeated_stale_nonces)
{
	fake_srv *s = allocated();
	int i;

	s->always_stale = true;
	fs_run_until(s, 541 * S);
	cr_assert(eq(u32, s->n_req[STUN_REFRESH], 4), "the first and max_stale_nonce (3) retries");
	i = fs_find_event(s, TURN_EV_LOST, 0);
	cr_assert(ge(int, i, 0));
	cr_assert(eq(int, s->ev[i].code, 438));
	cr_assert(strstr(s->ev[i].reason, "438 Stale Nonce") != NULL, "reason: %s", s->ev[i].reason);
	srv_free(s);
}

Test(turn_client, retransmits_on_the_rfc8489_schedule_and_gives_up)
{
	static const ike_ms want[] = {0, 500, 1500, 3500, 7500, 15500, 31500};
	fake_srv *s = srv_new();
	turn_config cfg;
	int i;

	s->offline = true;
	fs_client_config(s, &cfg);
	fs_client_new(s, &cfg);
	cr_assert(eq(int, turn_client_allocate(s->c, 0), IKE_OK));
	fs_run_until(s, 39499);
	cr_assert(eq(u32, s->n_rx, 7));
	for (size_t k = 0; k < 7; k++)
		cr_assert(eq(u64, s->sent_at[k], want[k]), "transmission %zu", k);
	cr_assert(eq(sz, s->n_ev, 0));
	fs_run_until(s, 39500);
	i = fs_find_event(s, TURN_EV_ALLOC_FAILED, 0);
	cr_assert(ge(int, i, 0));
	cr_assert(eq(int, s->ev[i].err, IKE_ERR_TIMEOUT));
	cr_assert(eq(u64, s->ev[i].at, 39500));
	cr_assert(strstr(s->ev[i].reason, "no answer") != NULL);
	cr_assert(eq(u64, turn_client_stats(s->c)->retransmissions, 6));
	srv_free(s);
}

Test(turn_client, retransmission_cap_is_honoured)
{
	fake_srv *s = srv_new();
	turn_config cfg;

	s->offline = true;
	fs_client_config(s, &cfg);
	cfg.rto_max_ms = 2000;
	fs_client_new(s, &cfg);
	cr_assert(eq(int, turn_client_allocate(s->c, 0), IKE_OK));
	fs_run_until(s, 100 * S);
	/* 0, 500, 1500, 3500, 5500, 7500, 9500; give up at 9500 + 16 * 500 */
	cr_assert(eq(u64, s->sent_at[4], 5500));
	cr_assert(eq(u64, s->sent_at[6], 9500));
	cr_assert(eq(u64, s->ev[0].at, 17500));
	srv_free(s);
}

Test(turn_client, recovers_when_responses_are_lost)
{
	fake_srv *s = srv_new();
	turn_config cfg;

	s->drop_next = 2;
	fs_client_config(s, &cfg);
	fs_client_new(s, &cfg);
	cr_assert(eq(int, turn_client_allocate(s->c, 0), IKE_OK));
	fs_pump(s);
	fs_run_until(s, 5 * S);
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_ALLOCATED));
	cr_assert(eq(u64, s->ev[0].at, 1500), "answered after the second retransmission");
	srv_free(s);
}

Test(turn_client, refreshes_a_minute_before_expiry)
{
	fake_srv *s = allocated();

	fs_run_until(s, 539 * S);
	cr_assert(eq(u32, s->n_req[STUN_REFRESH], 0));
	fs_run_until(s, 540 * S);
	cr_assert(eq(u32, s->n_req[STUN_REFRESH], 1));
	cr_assert(eq(u32, s->last_lifetime_req, 600));
	cr_assert(eq(sz, fs_count_events(s, TURN_EV_REFRESHED), 1));
	cr_assert(eq(u64, s->ev[fs_find_event(s, TURN_EV_REFRESHED, 0)].at, 540 * S));
	fs_run_until(s, 1080 * S);
	cr_assert(eq(sz, fs_count_events(s, TURN_EV_REFRESHED), 2));
	srv_free(s);
}

Test(turn_client, refreshes_at_half_life_when_short)
{
	fake_srv *s = srv_new();
	turn_config cfg;

	s->lifetime_max = 90;
	fs_client_config(s, &cfg);
	fs_client_new(s, &cfg);
	cr_assert(eq(int, turn_client_allocate(s->c, 0), IKE_OK));
	fs_pump(s);
	cr_assert(eq(u64, turn_client_next_deadline(s->c), 45 * S));
	fs_run_until(s, 45 * S);
	cr_assert(eq(u32, s->n_req[STUN_REFRESH], 1));
	srv_free(s);
}

Test(turn_client, reports_lost_when_refresh_gets_437)
{
	fake_srv *s = allocated();
	int i;

	s->allocated = false; /* the server restarted */
	fs_run_until(s, 540 * S);
	i = fs_find_event(s, TURN_EV_LOST, 0);
	cr_assert(ge(int, i, 0));
	cr_assert(eq(int, s->ev[i].code, 437));
	cr_assert(strstr(s->ev[i].reason, "437") != NULL);
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_CLOSED));
	srv_free(s);
}

/* Only 401 and 438 may come without MESSAGE-INTEGRITY: an unsigned 437 (anyone on
 * the path can send one) does not end the allocation. */
Test(turn_client, ignores_unsigned_errors_to_authenticated_requests)
{
	fake_srv *s = allocated();
	uint64_t dropped = turn_client_stats(s->c)->dropped;

	s->allocated = false;
	s->forged_errors = true;
	fs_run_until(s, 545 * S); /* the refresh went out at 540 s */
	cr_assert(ge(u32, s->n_req[STUN_REFRESH], 1));
	cr_assert(gt(u64, turn_client_stats(s->c)->dropped, dropped));
	cr_assert(lt(int, fs_find_event(s, TURN_EV_LOST, 0), 0), "not lost on an unsigned 437");
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_ALLOCATED));
	srv_free(s);
}

Test(turn_client, reports_lost_when_the_server_stops_answering)
{
	fake_srv *s = allocated();
	int i;

	s->offline = true;
	fs_run_until(s, 700 * S);
	i = fs_find_event(s, TURN_EV_LOST, 0);
	cr_assert(ge(int, i, 0));
	cr_assert(eq(int, s->ev[i].err, IKE_ERR_TIMEOUT));
	cr_assert(eq(u64, s->ev[i].at, 540 * S + 39500));
	srv_free(s);
}

/* keepalive_ms: a Refresh at least that often keeps the NAT mapping to the server, and a
 * server that stops answering is reported within keepalive_ms and one give-up time. */
Test(turn_client, keepalive_refreshes_often_and_notices_a_dead_server)
{
	fake_srv *s = srv_new();
	turn_config cfg;
	int i;

	fs_client_config(s, &cfg);
	cfg.keepalive_ms = 25 * S;
	fs_client_new(s, &cfg);
	cr_assert(eq(int, turn_client_allocate(s->c, 0), IKE_OK));
	fs_pump(s);
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_ALLOCATED));
	cr_assert(eq(u64, turn_client_next_deadline(s->c), 25 * S));
	fs_run_until(s, 50 * S);
	cr_assert(eq(u32, s->n_req[STUN_REFRESH], 2), "refreshed at 25 s and 50 s");
	cr_assert(eq(u32, s->last_lifetime_req, 600), "the lifetime asked is unchanged");
	s->offline = true;
	fs_run_until(s, 200 * S);
	i = fs_find_event(s, TURN_EV_LOST, 0);
	cr_assert(ge(int, i, 0));
	cr_assert(eq(int, s->ev[i].err, IKE_ERR_TIMEOUT));
	cr_assert(eq(u64, s->ev[i].at, 75 * S + 39500), "the refresh at 75 s gave up after 39.5 s");
	srv_free(s);
}

Test(turn_client, permission_is_refreshed_while_used_and_lapses_when_not)
{
	fake_srv *s = allocated();
	ike_addr peer = addr("203.0.113.5", 5000);

	cr_assert(eq(int, turn_client_send(s->c, &peer, (const uint8_t *)"x", 1, s->now), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, turn_client_permit(s->c, &peer, s->now), IKE_OK));
	fs_pump(s);
	cr_assert(eq(sz, fs_count_events(s, TURN_EV_PERMISSION_OK), 1));
	cr_assert(eq(u32, s->n_req[STUN_CREATE_PERMISSION], 1));
	fs_run_until(s, 100 * S);
	cr_assert(eq(int, turn_client_send(s->c, &peer, (const uint8_t *)"hi", 2, s->now), IKE_OK));
	fs_pump(s);
	cr_assert(eq(u32, s->n_send_ind, 1));
	cr_assert(eq(sz, fs_count_events(s, TURN_EV_DATA), 1), "the echo came back as a Data indication");
	cr_assert(eq(u16, s->ev[fs_find_event(s, TURN_EV_DATA, 0)].channel, 0));
	fs_run_until(s, 240 * S);
	cr_assert(eq(u32, s->n_req[STUN_CREATE_PERMISSION], 2), "refreshed at 4 minutes");
	cr_assert(eq(sz, fs_count_events(s, TURN_EV_PERMISSION_OK), 1), "reported once");
	fs_run_until(s, 480 * S);
	cr_assert(eq(u32, s->n_req[STUN_CREATE_PERMISSION], 2), "unused since: not refreshed");
	cr_assert(eq(int, turn_client_send(s->c, &peer, (const uint8_t *)"x", 1, s->now), IKE_ERR_NOT_FOUND));
	srv_free(s);
}

Test(turn_client, permission_failure_is_reported)
{
	fake_srv *s = allocated();
	ike_addr peer = addr("203.0.113.5", 0);
	int i;

	s->perm_error = 403;
	cr_assert(eq(int, turn_client_permit(s->c, &peer, s->now), IKE_OK));
	fs_pump(s);
	i = fs_find_event(s, TURN_EV_PERMISSION_FAILED, 0);
	cr_assert(ge(int, i, 0));
	cr_assert(eq(int, s->ev[i].code, 403));
	cr_assert(ike_addr_ip_eq(&s->ev[i].peer, &peer));
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_ALLOCATED), "the allocation stays");
	srv_free(s);
}

Test(turn_client, channel_carries_data_and_is_refreshed)
{
	fake_srv *s = allocated();
	ike_addr peer = addr("203.0.113.7", 4500);
	uint16_t ch = 0;
	int i;

	cr_assert(eq(int, turn_client_bind_channel(s->c, &peer, &ch, s->now), IKE_OK));
	cr_assert(eq(u16, ch, 0x4000));
	fs_pump(s);
	i = fs_find_event(s, TURN_EV_CHANNEL_BOUND, 0);
	cr_assert(ge(int, i, 0));
	cr_assert(eq(u16, s->ev[i].channel, 0x4000));
	cr_assert(ike_addr_eq(&s->ev[i].peer, &peer));
	cr_assert(eq(int, turn_client_send(s->c, &peer, (const uint8_t *)"esp!", 4, s->now), IKE_OK));
	fs_pump(s);
	cr_assert(eq(u32, s->n_chandata, 1));
	cr_assert(eq(u32, s->n_send_ind, 0));
	i = fs_find_event(s, TURN_EV_DATA, 0);
	cr_assert(ge(int, i, 0));
	cr_assert(eq(u16, s->ev[i].channel, 0x4000));
	cr_assert(ike_addr_eq(&s->ev[i].peer, &peer));
	cr_assert(eq(sz, s->ev[i].len, 4));
	cr_assert(eq(int, memcmp(s->ev[i].data, "esp!", 4), 0));
	/* The channel's permission (300 s on the server) is refreshed every 4 minutes,
	 * the channel itself every 9. */
	fs_run_until(s, 240 * S);
	cr_assert(eq(u32, s->n_req[STUN_CREATE_PERMISSION], 1));
	fs_run_until(s, 480 * S);
	cr_assert(eq(u32, s->n_req[STUN_CREATE_PERMISSION], 2));
	cr_assert(eq(u32, s->n_req[STUN_CHANNEL_BIND], 1));
	fs_run_until(s, 540 * S);
	cr_assert(eq(u32, s->n_req[STUN_CHANNEL_BIND], 2));
	cr_assert(eq(sz, fs_count_events(s, TURN_EV_CHANNEL_BOUND), 1), "reported once");
	cr_assert(eq(int, turn_client_bind_channel(s->c, &peer, &ch, s->now), IKE_OK));
	cr_assert(eq(u16, ch, 0x4000), "binding again returns the same channel");
	srv_free(s);
}

Test(turn_client, delivers_data_indications_and_drops_strangers)
{
	fake_srv *s = allocated();
	ike_addr peer = addr("2001:db8::5", 777), other = addr("192.0.2.99", 3478);
	static const uint8_t junk[] = {0xff, 0xee, 0xdd, 0xcc, 1, 2, 3};
	int i;

	fs_data_indication(s, &peer, "v6 data", 7);
	fs_pump(s);
	i = fs_find_event(s, TURN_EV_DATA, 0);
	cr_assert(ge(int, i, 0));
	cr_assert(ike_addr_eq(&s->ev[i].peer, &peer));
	cr_assert(eq(int, turn_client_recv(s->c, &other, junk, sizeof junk, s->now), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, turn_client_recv(s->c, &s->addr, junk, sizeof junk, s->now), IKE_ERR_MALFORMED));
	/* ChannelData on a channel never bound */
	cr_assert(eq(int, turn_client_recv(s->c, &s->addr, (const uint8_t *)"\x40\x05\x00\x00", 4, s->now),
	             IKE_ERR_NOT_FOUND));
	cr_assert(eq(u64, turn_client_stats(s->c)->dropped, 3));
	srv_free(s);
}

Test(turn_client, drops_success_without_valid_integrity)
{
	fake_srv *s = srv_new();
	turn_config cfg;

	s->no_integrity = true;
	fs_client_config(s, &cfg);
	fs_client_new(s, &cfg);
	cr_assert(eq(int, turn_client_allocate(s->c, 0), IKE_OK));
	fs_pump(s);
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_ALLOCATING));
	cr_assert(ge(u64, turn_client_stats(s->c)->dropped, 1));
	srv_free(s);
}

Test(turn_client, release_sends_lifetime_zero)
{
	fake_srv *s = allocated();
	ike_addr peer = addr("203.0.113.7", 4500);
	uint16_t ch;

	cr_assert(eq(int, turn_client_bind_channel(s->c, &peer, &ch, s->now), IKE_OK));
	fs_pump(s);
	cr_assert(eq(int, turn_client_release(s->c, 10 * S), IKE_OK));
	s->now = 10 * S;
	fs_pump(s);
	cr_assert(eq(u32, s->last_lifetime_req, 0));
	cr_assert(not(s->allocated));
	cr_assert(eq(sz, fs_count_events(s, TURN_EV_RELEASED), 1));
	cr_assert(eq(int, s->ev[fs_find_event(s, TURN_EV_RELEASED, 0)].err, IKE_OK));
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_CLOSED));
	cr_assert(eq(u64, turn_client_next_deadline(s->c), IKE_NEVER));
	cr_assert(eq(int, turn_client_release(s->c, 11 * S), IKE_ERR_STATE));
	cr_assert(eq(int, turn_client_send(s->c, &peer, (const uint8_t *)"x", 1, s->now), IKE_ERR_STATE));
	srv_free(s);
}

Test(turn_client, release_unanswered_reports_timeout)
{
	fake_srv *s = allocated();
	int i;

	s->offline = true;
	cr_assert(eq(int, turn_client_release(s->c, 0), IKE_OK));
	fs_run_until(s, 60 * S);
	i = fs_find_event(s, TURN_EV_RELEASED, 0);
	cr_assert(ge(int, i, 0));
	cr_assert(eq(int, s->ev[i].err, IKE_ERR_TIMEOUT));
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_CLOSED));
	srv_free(s);
}

/* A tick at the deadline always changes something: it sends, reports, or moves the
 * deadline later. Run a busy life (allocation, permission, channel, traffic, lost
 * answers, stale nonces, release) and check every step. */
Test(turn_client, tick_at_the_deadline_always_makes_progress)
{
	fake_srv *s = allocated();
	ike_addr p1 = addr("203.0.113.5", 1), p2 = addr("203.0.113.6", 2);
	uint16_t ch;
	unsigned steps = 0;

	cr_assert(eq(int, turn_client_permit(s->c, &p1, s->now), IKE_OK));
	cr_assert(eq(int, turn_client_bind_channel(s->c, &p2, &ch, s->now), IKE_OK));
	fs_pump(s);
	while (s->now < 3600 * S) {
		ike_ms d = turn_client_next_deadline(s->c);
		unsigned rx;
		size_t ev;
		if (d == IKE_NEVER)
			break;
		cr_assert(ge(u64, d, s->now), "deadline in the past");
		s->now = d;
		if (steps % 5 == 1)
			s->drop_next = 1;
		if (steps % 7 == 3)
			s->stale_next = true;
		/* p1 is used all along, so its permission is refreshed, never left to lapse */
		cr_assert(eq(int, turn_client_send(s->c, &p1, (const uint8_t *)"a", 1, s->now), IKE_OK));
		fs_pump(s);
		rx = s->n_rx;
		ev = s->n_ev;
		cr_assert(eq(int, turn_client_tick(s->c, s->now), IKE_OK));
		cr_assert(s->n_rx != rx || s->n_ev != ev || turn_client_next_deadline(s->c) > d,
		          "tick at %llu changed nothing", (unsigned long long)d);
		fs_pump(s);
		steps++;
	}
	cr_assert(gt(u32, steps, 10));
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_ALLOCATED));
	cr_assert(eq(int, turn_client_release(s->c, s->now), IKE_OK));
	fs_pump(s);
	cr_assert(eq(int, turn_client_state(s->c), TURN_ST_CLOSED));
	srv_free(s);
}

Test(turn_client, credentials_never_appear_in_logs_or_events)
{
	fake_srv *s = srv_new();
	turn_config cfg;
	ike_addr peer = addr("203.0.113.5", 1);
	uint16_t ch;

	s->stale_next = true;
	s->drop_next = 1;
	fs_client_config(s, &cfg);
	fs_client_new(s, &cfg);
	cr_assert(eq(int, turn_client_allocate(s->c, 0), IKE_OK));
	fs_run_until(s, 10 * S);
	cr_assert(eq(int, turn_client_permit(s->c, &peer, s->now), IKE_OK));
	cr_assert(eq(int, turn_client_bind_channel(s->c, &peer, &ch, s->now), IKE_OK));
	s->perm_error = 403;
	fs_run_until(s, 1200 * S);
	s->allocated = false;
	fs_run_until(s, 3000 * S);
	cr_assert(gt(sz, s->log_len, 100));
	cr_assert(strstr(s->log, s->password) == NULL);
	cr_assert(strstr(s->log, s->username) == NULL);
	cr_assert(strstr(s->log, "alice") == NULL);
	for (size_t i = 0; i < s->n_ev; i++) {
		cr_assert(strstr(s->ev[i].reason, s->password) == NULL);
		cr_assert(strstr(s->ev[i].reason, "alice") == NULL);
	}
	srv_free(s);
}

Test(turn_client, permit_after_bind_reports_the_permission_itself)
{
	fake_srv *s = allocated();
	ike_addr peer = addr("203.0.113.9", 9);
	uint16_t ch;

	s->drop_next = 1; /* the ChannelBind is lost: its permission is still pending */
	cr_assert(eq(int, turn_client_bind_channel(s->c, &peer, &ch, s->now), IKE_OK));
	cr_assert(eq(int, turn_client_permit(s->c, &peer, s->now), IKE_OK));
	fs_pump(s);
	cr_assert(eq(sz, fs_count_events(s, TURN_EV_PERMISSION_OK), 1));
	cr_assert(eq(u32, s->n_req[STUN_CREATE_PERMISSION], 1));
	fs_run_until(s, 2 * S);
	cr_assert(eq(sz, fs_count_events(s, TURN_EV_CHANNEL_BOUND), 1), "bound after a retransmission");
	srv_free(s);
}

Test(turn_client, accepts_channel_data_that_overtakes_the_bind_answer)
{
	fake_srv *s = allocated();
	ike_addr peer = addr("203.0.113.9", 9);
	uint16_t ch;
	int i;

	s->drop_next = 1;
	cr_assert(eq(int, turn_client_bind_channel(s->c, &peer, &ch, s->now), IKE_OK));
	cr_assert(eq(int, turn_client_recv(s->c, &s->addr, (const uint8_t *)"\x40\x00\x00\x02hi", 6, s->now),
	             IKE_OK));
	i = fs_find_event(s, TURN_EV_DATA, 0);
	cr_assert(ge(int, i, 0));
	cr_assert(ike_addr_eq(&s->ev[i].peer, &peer));
	cr_assert(eq(u16, s->ev[i].channel, ch));
	srv_free(s);
}

/* A counting allocator that fails after `budget` allocations. */
typedef struct cmem {
	long live;
	int budget;
} cmem;

static void *cm_malloc(void *user, size_t n)
{
	cmem *m = user;
	if (m->budget-- <= 0)
		return NULL;
	m->live++;
	return malloc(n);
}

static void *cm_calloc(void *user, size_t k, size_t n)
{
	cmem *m = user;
	if (m->budget-- <= 0)
		return NULL;
	m->live++;
	return calloc(k, n);
}

static void *cm_realloc(void *user, void *p, size_t n)
{
	(void)user;
	return realloc(p, n);
}

static void cm_free(void *user, void *p)
{
	cmem *m = user;
	if (p)
		m->live--;
	free(p);
}

Test(turn_client, survives_allocation_failures_and_frees_everything)
{
	for (int budget = 0; budget < 40; budget++) {
		fake_srv *s = srv_new();
		cmem cm = {0, budget};
		ike_mem mem = {&cm, cm_malloc, cm_free, cm_calloc, cm_realloc};
		turn_config cfg;
		turn_client *c = NULL;
		ike_addr peer = addr("203.0.113.5", 1);
		uint16_t ch;

		fs_client_config(s, &cfg);
		cfg.mem = &mem;
		if (turn_client_new(&c, &cfg, &fs_callbacks, s, 0) == IKE_OK) {
			s->c = c;
			if (turn_client_allocate(c, 0) == IKE_OK) {
				fs_pump(s);
				(void)!turn_client_permit(c, &peer, 0);
				(void)!turn_client_bind_channel(c, &peer, &ch, 0);
				fs_pump(s);
				fs_run_until(s, 1200 * S);
				(void)!turn_client_release(c, s->now);
				fs_pump(s);
			}
		}
		turn_client_free(c);
		s->c = NULL;
		cr_assert(eq(long, cm.live, 0), "budget %d: %ld allocations not freed", budget, cm.live);
		srv_free(s);
	}
}
