/* SPDX-License-Identifier: MIT */
/*
 * The connection supervisor (medcli/sup) with a fake clock: every state, the
 * user's intent, retries that never end while wanted, the peer's requests, the
 * send-without-receive probe, and the rule that makes a loop unable to spin: a
 * tick at the deadline always changes the state or moves the deadline forward.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "sup.h"

static sup_cfg cfg_with(sup_start start)
{
	sup_cfg c;
	sup_cfg_defaults(&c);
	c.start = start;
	return c;
}

/* Ticks at each deadline until `until`, checking the no-spin rule on the way;
 * returns the OR of the actions. */
static unsigned run_until(sup *s, ike_ms *now, ike_ms until, const sup_traffic *tr)
{
	unsigned all = 0;

	for (int guard = 0; guard < 100000; guard++) {
		ike_ms dl = sup_next_deadline(s);
		sup_state before;
		if (dl == IKE_NEVER || dl > until)
			break;
		if (dl > *now)
			*now = dl;
		before = s->st;
		all |= sup_tick(s, *now, tr, 0x80000000u);
		cr_assert(s->st != before || sup_next_deadline(s) > *now,
		          "tick at %llu in %s left the deadline at %llu", (unsigned long long)*now,
		          sup_state_name(s->st), (unsigned long long)sup_next_deadline(s));
	}
	*now = until > *now ? until : *now;
	return all;
}

Test(sup, manual_rests_until_the_user_asks)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_MANUAL);
	ike_ms now = 1000;

	sup_init(&s, &c, now);
	cr_assert_eq(s.st, SUP_DOWN);
	cr_assert_eq(sup_next_deadline(&s), IKE_NEVER);
	cr_assert_not(sup_wanted(&s));
	cr_assert_eq(sup_event(&s, SUP_EV_USER_UP, NULL, now, 0), SUP_DO_ABORT | SUP_DO_MEDIATE);
	cr_assert_eq(s.st, SUP_MEDIATING);
	cr_assert(s.initiator);
	cr_assert_eq(sup_next_deadline(&s), now + c.attempt_ms);
}

Test(sup, always_starts_at_the_first_tick)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_ALWAYS);
	ike_ms now = 5;

	sup_init(&s, &c, now);
	cr_assert(sup_wanted(&s));
	cr_assert_eq(sup_next_deadline(&s), now);
	cr_assert_eq(sup_tick(&s, now, NULL, 0), SUP_DO_ABORT | SUP_DO_MEDIATE);
	cr_assert_eq(s.st, SUP_MEDIATING);
}

Test(sup, a_full_attempt_reaches_up_and_samples_traffic)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_MANUAL);
	ike_ms now = 0;

	sup_init(&s, &c, now);
	(void)sup_event(&s, SUP_EV_USER_UP, NULL, now, 0);
	cr_assert_eq(sup_event(&s, SUP_EV_ANSWERED, NULL, now += 2, 0), 0);
	cr_assert_eq(s.st, SUP_CHECKING);
	cr_assert_eq(sup_event(&s, SUP_EV_PAIR_CHOSEN, NULL, now += 40, 0), 0);
	cr_assert_eq(s.st, SUP_CONNECTING);
	cr_assert_eq(sup_event(&s, SUP_EV_TUNNEL_UP, NULL, now += 10, 0), 0);
	cr_assert_eq(s.st, SUP_UP);
	cr_assert_eq(s.up_at - s.started, 52);
	cr_assert_eq(sup_next_deadline(&s), now + c.sample_ms);
	cr_assert_str_eq(sup_state_name(s.st), "up");
}

Test(sup, failures_retry_forever_with_capped_backoff_while_wanted)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_MANUAL);
	ike_ms now = 0, last_wait = 0;

	sup_init(&s, &c, now);
	(void)sup_event(&s, SUP_EV_USER_UP, NULL, now, 0);
	for (int i = 0; i < 40; i++) {
		ike_ms wait;
		cr_assert_eq(s.st, SUP_MEDIATING);
		/* the attempt's bound passes: never a final failure */
		now = sup_next_deadline(&s);
		cr_assert_eq(sup_tick(&s, now, NULL, 0x80000000u), SUP_DO_ABORT);
		cr_assert_eq(s.st, SUP_RETRYING, "attempt %d", i);
		cr_assert(strstr(s.why, "within 10 s"), "%s", s.why);
		wait = sup_next_deadline(&s) - now;
		cr_assert_geq(wait, last_wait > c.backoff_max_ms ? c.backoff_max_ms : last_wait);
		cr_assert_leq(wait, c.backoff_max_ms + c.backoff_max_ms / 5);
		last_wait = wait;
		now = sup_next_deadline(&s);
		cr_assert_eq(sup_tick(&s, now, NULL, 0), SUP_DO_ABORT | SUP_DO_MEDIATE);
	}
	cr_assert_eq(last_wait, c.backoff_max_ms, "middle jitter: the cap itself");
	cr_assert_eq(s.failures, 40);
}

Test(sup, jitter_stays_within_twenty_percent)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_MANUAL);

	sup_init(&s, &c, 0);
	(void)sup_event(&s, SUP_EV_USER_UP, NULL, 0, 0);
	(void)sup_event(&s, SUP_EV_FAILED, "no path", 0, 0);
	cr_assert_eq(sup_next_deadline(&s), 800);
	(void)sup_event(&s, SUP_EV_USER_UP, NULL, 0, 0); /* resets the back-off */
	(void)sup_event(&s, SUP_EV_FAILED, "no path", 0, 0xffffffffu);
	cr_assert_eq(sup_next_deadline(&s), 1200);
	cr_assert_str_eq(s.why, "no path");
}

Test(sup, unwanted_failure_rests)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_MANUAL);

	sup_init(&s, &c, 0);
	/* the peer asked; we only answer */
	cr_assert(sup_accepts(&s, false, 1));
	cr_assert_eq(sup_event(&s, SUP_EV_PEER_REQUEST, NULL, 0, 0), SUP_DO_ABORT | SUP_DO_ACCEPT);
	cr_assert_eq(s.st, SUP_CHECKING);
	cr_assert_not(s.initiator);
	cr_assert_not(sup_wanted(&s));
	cr_assert_eq(sup_event(&s, SUP_EV_FAILED, "checks failed", 5, 0), SUP_DO_ABORT);
	cr_assert_eq(s.st, SUP_DOWN);
	cr_assert_eq(sup_next_deadline(&s), IKE_NEVER);
}

Test(sup, down_stays_down_and_refuses_the_peer)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_ALWAYS);
	ike_ms now = 0;

	sup_init(&s, &c, now);
	(void)sup_tick(&s, now, NULL, 0);
	(void)sup_event(&s, SUP_EV_TUNNEL_UP, NULL, now, 0);
	cr_assert_eq(sup_event(&s, SUP_EV_USER_DOWN, NULL, now, 0), SUP_DO_ABORT);
	cr_assert_eq(s.st, SUP_DOWN);
	cr_assert_not(sup_wanted(&s));
	cr_assert_not(sup_accepts(&s, false, 1));
	cr_assert_not(sup_accepts(&s, true, 1));
	/* nothing brings it back by itself */
	cr_assert_eq(sup_event(&s, SUP_EV_PEER_DELETED, NULL, now, 0), 0);
	cr_assert_eq(sup_event(&s, SUP_EV_PEER_ONLINE, NULL, now, 0), 0);
	cr_assert_eq(sup_event(&s, SUP_EV_REGISTERED, NULL, now, 0), 0);
	cr_assert_eq(sup_event(&s, SUP_EV_ENDPOINT_CHANGED, NULL, now, 0), 0);
	cr_assert_eq(run_until(&s, &now, 3600000, NULL), 0);
	cr_assert_eq(s.st, SUP_DOWN);
	/* up again works at once */
	cr_assert_eq(sup_event(&s, SUP_EV_USER_UP, NULL, now, 0), SUP_DO_ABORT | SUP_DO_MEDIATE);
}

Test(sup, peer_delete_of_an_unwanted_tunnel_is_final_of_a_wanted_one_retried)
{
	sup a, b;
	sup_cfg c = cfg_with(SUP_START_MANUAL);

	/* b answered a's request: a DELETE from a (a's user said down) ends it at b */
	sup_init(&b, &c, 0);
	(void)sup_event(&b, SUP_EV_PEER_REQUEST, NULL, 0, 0);
	(void)sup_event(&b, SUP_EV_TUNNEL_UP, NULL, 1, 0);
	cr_assert_eq(sup_event(&b, SUP_EV_PEER_DELETED, NULL, 2, 0), SUP_DO_ABORT);
	cr_assert_eq(b.st, SUP_DOWN);
	/* a wanted it: the peer's DELETE (its restart) is retried after a moment */
	sup_init(&a, &c, 0);
	(void)sup_event(&a, SUP_EV_USER_UP, NULL, 0, 0);
	(void)sup_event(&a, SUP_EV_TUNNEL_UP, NULL, 1, 0);
	cr_assert_eq(sup_event(&a, SUP_EV_PEER_DELETED, NULL, 2, 0x80000000u), SUP_DO_ABORT);
	cr_assert_eq(a.st, SUP_RETRYING);
	cr_assert_eq(sup_next_deadline(&a), 2 + c.backoff_min_ms);
}

Test(sup, a_dead_tunnel_is_mediated_again_at_once)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_MANUAL);

	sup_init(&s, &c, 0);
	(void)sup_event(&s, SUP_EV_USER_UP, NULL, 0, 0);
	(void)sup_event(&s, SUP_EV_TUNNEL_UP, NULL, 1, 0);
	cr_assert_eq(sup_event(&s, SUP_EV_TUNNEL_DEAD, "DPD", 50, 0), SUP_DO_ABORT | SUP_DO_MEDIATE);
	cr_assert_eq(s.st, SUP_MEDIATING);
	cr_assert_eq(s.attempts, 2);
}

Test(sup, waiting_for_the_peer_then_its_callback)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_MANUAL);
	ike_ms now = 0;

	sup_init(&s, &c, now);
	(void)sup_event(&s, SUP_EV_USER_UP, NULL, now, 0);
	cr_assert_eq(sup_event(&s, SUP_EV_PEER_OFFLINE, NULL, now += 3, 0), SUP_DO_ABORT);
	cr_assert_eq(s.st, SUP_WAITING);
	cr_assert_str_eq(sup_state_name(s.st), "waiting");
	cr_assert_eq(sup_next_deadline(&s), now + c.recheck_ms, "asks again anyway, slowly");
	/* the peer registers an hour later: the callback starts an attempt at once */
	now += 3600000;
	cr_assert_eq(sup_event(&s, SUP_EV_PEER_ONLINE, NULL, now, 0), SUP_DO_ABORT | SUP_DO_MEDIATE);
	cr_assert_eq(s.st, SUP_MEDIATING);
}

Test(sup, a_new_registration_asks_again_for_waiting_and_retrying)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_MANUAL);

	sup_init(&s, &c, 0);
	(void)sup_event(&s, SUP_EV_USER_UP, NULL, 0, 0);
	(void)sup_event(&s, SUP_EV_PEER_OFFLINE, NULL, 1, 0);
	cr_assert_eq(sup_event(&s, SUP_EV_REGISTERED, NULL, 2, 0), SUP_DO_ABORT | SUP_DO_MEDIATE);
	(void)sup_event(&s, SUP_EV_FAILED, "x", 3, 0);
	cr_assert_eq(s.st, SUP_RETRYING);
	cr_assert_eq(sup_event(&s, SUP_EV_REGISTERED, NULL, 4, 0), SUP_DO_ABORT | SUP_DO_MEDIATE);
	/* in an attempt or up: the registration's return changes nothing here */
	cr_assert_eq(sup_event(&s, SUP_EV_REGISTERED, NULL, 5, 0), 0);
}

Test(sup, unregistered_attempt_times_out_with_that_reason)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_MANUAL);

	sup_init(&s, &c, 0);
	(void)sup_event(&s, SUP_EV_UNREGISTERED, NULL, 0, 0);
	(void)sup_event(&s, SUP_EV_USER_UP, NULL, 0, 0);
	(void)sup_tick(&s, c.attempt_ms, NULL, 0);
	cr_assert_eq(s.st, SUP_RETRYING);
	cr_assert(strstr(s.why, "not registered"), "%s", s.why);
}

Test(sup, both_asking_at_once_the_smaller_keyid_goes_on)
{
	sup a, b;
	sup_cfg c = cfg_with(SUP_START_MANUAL);

	sup_init(&a, &c, 0);
	sup_init(&b, &c, 0);
	(void)sup_event(&a, SUP_EV_USER_UP, NULL, 0, 0);
	(void)sup_event(&b, SUP_EV_USER_UP, NULL, 0, 0);
	(void)sup_event(&a, SUP_EV_ASKED, NULL, 0, 0);
	(void)sup_event(&b, SUP_EV_ASKED, NULL, 0, 0);
	/* a has the smaller KEY_ID: it refuses b's request, b accepts a's */
	cr_assert_not(sup_accepts(&a, true, 1));
	cr_assert(sup_accepts(&b, false, 1));
	cr_assert_eq(sup_event(&b, SUP_EV_PEER_REQUEST, NULL, 1, 0), SUP_DO_ABORT | SUP_DO_ACCEPT);
	cr_assert_eq(b.st, SUP_CHECKING);
	cr_assert(sup_wanted(&b), "b still wants it");
	/* once up, a request from the peer (it restarted) is accepted by either */
	(void)sup_event(&a, SUP_EV_TUNNEL_UP, NULL, 2, 0);
	cr_assert(sup_accepts(&a, true, 1));
}

/* The peer refused our request (it was down then) and asks itself later: our
 * unanswered request does not outrank it. A request not sent yet cannot cross. */
Test(sup, a_stale_unanswered_request_yields_to_the_peers)
{
	sup a;
	sup_cfg c = cfg_with(SUP_START_MANUAL);

	sup_init(&a, &c, 0);
	(void)sup_event(&a, SUP_EV_USER_UP, NULL, 100, 0);
	cr_assert_eq(a.st, SUP_MEDIATING);
	cr_assert(sup_accepts(&a, true, 150), "ours has not gone out: nothing to cross");
	(void)sup_event(&a, SUP_EV_ASKED, NULL, 200, 0);
	cr_assert_not(sup_accepts(&a, true, 200), "at once");
	cr_assert_not(sup_accepts(&a, true, 200 + c.cross_ms - 1), "still at once");
	cr_assert(sup_accepts(&a, true, 200 + c.cross_ms), "ours went unanswered: the peer's goes on");
	cr_assert(sup_accepts(&a, false, 200), "the peer's wins anyway");
	cr_assert_eq(sup_event(&a, SUP_EV_PEER_REQUEST, NULL, 200 + c.cross_ms, 0),
	             SUP_DO_ABORT | SUP_DO_ACCEPT);
	cr_assert_eq(a.st, SUP_CHECKING);
	cr_assert(sup_wanted(&a), "still wanted");
	/* a fresh attempt forgets when the old request went out */
	(void)sup_event(&a, SUP_EV_FAILED, "no path", 5000, 0);
	cr_assert_eq(a.asked_at, 200, "kept until the next attempt");
	cr_assert_eq(a.st, SUP_RETRYING);
	(void)sup_tick(&a, sup_next_deadline(&a), NULL, 0);
	cr_assert_eq(a.st, SUP_MEDIATING);
	cr_assert_eq(a.asked_at, 0);
}

Test(sup, endpoint_change_remediates_what_was_up_even_unwanted)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_MANUAL);

	sup_init(&s, &c, 0);
	(void)sup_event(&s, SUP_EV_PEER_REQUEST, NULL, 0, 0);
	(void)sup_event(&s, SUP_EV_TUNNEL_UP, NULL, 1, 0);
	cr_assert_eq(sup_event(&s, SUP_EV_ENDPOINT_CHANGED, NULL, 2, 0), SUP_DO_ABORT | SUP_DO_MEDIATE);
	cr_assert(s.initiator);
	cr_assert(s.restoring);
	/* the restore attempt failing is final, as the tunnel was not ours to want */
	cr_assert_eq(sup_event(&s, SUP_EV_FAILED, "no path", 3, 0), SUP_DO_ABORT);
	cr_assert_eq(s.st, SUP_DOWN);
	/* a resting, unwanted connection ignores endpoint changes */
	cr_assert_eq(sup_event(&s, SUP_EV_ENDPOINT_CHANGED, NULL, 4, 0), 0);
}

Test(sup, sending_without_receiving_is_probed_once)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_MANUAL);
	sup_traffic tr = {100, 100};
	ike_ms now = 0;
	unsigned act;

	sup_init(&s, &c, now);
	(void)sup_event(&s, SUP_EV_USER_UP, NULL, now, 0);
	(void)sup_event(&s, SUP_EV_TUNNEL_UP, NULL, now, 0);
	/* both ways for 5 s: nothing */
	for (int i = 0; i < 5; i++) {
		tr.in += 5;
		tr.out += 5;
		cr_assert_eq(run_until(&s, &now, now + c.sample_ms, &tr), 0);
	}
	/* only out now: a probe after probe_after_ms, once */
	act = 0;
	for (int i = 0; i < 6; i++) {
		tr.out += 5;
		act |= run_until(&s, &now, now + c.sample_ms, &tr);
		if (act)
			break;
	}
	cr_assert_eq(act, SUP_DO_PROBE);
	tr.out += 5;
	cr_assert_eq(run_until(&s, &now, now + 10 * c.sample_ms, &tr), 0, "one probe per silence");
	/* replies again, then silence again: another probe */
	tr.in += 1;
	(void)run_until(&s, &now, now + c.sample_ms, &tr);
	act = 0;
	for (int i = 0; i < 6 && !act; i++) {
		tr.out += 5;
		act |= run_until(&s, &now, now + c.sample_ms, &tr);
	}
	cr_assert_eq(act, SUP_DO_PROBE);
	/* idle (nothing either way): never probed */
	sup_init(&s, &c, now);
	(void)sup_event(&s, SUP_EV_TUNNEL_UP, NULL, now, 0);
	cr_assert_eq(run_until(&s, &now, now + 60000, &tr), 0);
}

Test(sup, no_state_spins_a_loop)
{
	/* Every state and intent, ticked at its deadline for a simulated day: the
	 * helper asserts each tick changes the state or moves the deadline. */
	static const sup_start starts[] = {SUP_START_MANUAL, SUP_START_ALWAYS, SUP_START_ON_DEMAND};
	static const sup_ev_type evs[] = {SUP_EV_USER_UP,     SUP_EV_USER_DOWN,    SUP_EV_TRAFFIC,
	                                  SUP_EV_REGISTERED,  SUP_EV_UNREGISTERED, SUP_EV_PEER_OFFLINE,
	                                  SUP_EV_PEER_ONLINE, SUP_EV_PEER_REQUEST, SUP_EV_ANSWERED,
	                                  SUP_EV_PAIR_CHOSEN, SUP_EV_TUNNEL_UP,    SUP_EV_PEER_DELETED,
	                                  SUP_EV_TUNNEL_DEAD, SUP_EV_FAILED,       SUP_EV_ENDPOINT_CHANGED};
	const size_t nev = sizeof evs / sizeof evs[0];

	for (size_t st = 0; st < 3; st++)
		for (size_t e1 = 0; e1 < nev; e1++)
			for (size_t e2 = 0; e2 < nev; e2++) {
				sup s;
				sup_cfg c = cfg_with(starts[st]);
				sup_traffic tr = {1, 1};
				ike_ms now = 10;

				sup_init(&s, &c, now);
				(void)sup_event(&s, evs[e1], NULL, now, 7);
				(void)run_until(&s, &now, now + 500, &tr);
				(void)sup_event(&s, evs[e2], NULL, now, 7);
				tr.out += 3; /* send without receive while up */
				(void)run_until(&s, &now, now + 86400000, &tr);
				if (sup_wanted(&s))
					cr_assert_neq(s.st, SUP_DOWN, "wanted but resting after %d,%d",
					              (int)evs[e1], (int)evs[e2]);
			}
}

Test(sup, on_demand_starts_on_traffic_until_down)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_ON_DEMAND);

	sup_init(&s, &c, 0);
	cr_assert_eq(s.st, SUP_DOWN);
	cr_assert_eq(sup_event(&s, SUP_EV_TRAFFIC, NULL, 1, 0), SUP_DO_ABORT | SUP_DO_MEDIATE);
	cr_assert(sup_wanted(&s));
	(void)sup_event(&s, SUP_EV_USER_DOWN, NULL, 2, 0);
	cr_assert_eq(sup_event(&s, SUP_EV_TRAFFIC, NULL, 3, 0), 0, "down ends the demand too");
	/* a manual peer ignores traffic */
	c = cfg_with(SUP_START_MANUAL);
	sup_init(&s, &c, 0);
	cr_assert_eq(sup_event(&s, SUP_EV_TRAFFIC, NULL, 1, 0), 0);
}

Test(sup, reconfigured_to_always_starts)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_MANUAL);

	sup_init(&s, &c, 0);
	sup_set_start(&s, SUP_START_ALWAYS, 100);
	cr_assert_eq(sup_next_deadline(&s), 100);
	cr_assert_eq(sup_tick(&s, 100, NULL, 0), SUP_DO_ABORT | SUP_DO_MEDIATE);
	/* back to manual while retrying: rests at the next tick */
	(void)sup_event(&s, SUP_EV_FAILED, "x", 200, 0);
	sup_set_start(&s, SUP_START_MANUAL, 300);
	(void)sup_tick(&s, sup_next_deadline(&s), NULL, 0);
	cr_assert_eq(s.st, SUP_DOWN);
}

/* The user's word kept across a restart: up starts at the first tick, down
 * refuses the peer and outranks start = always. */
Test(sup, a_kept_intent_is_restored_at_start)
{
	sup s;
	sup_cfg c = cfg_with(SUP_START_MANUAL);

	sup_init(&s, &c, 1000);
	sup_set_intent(&s, SUP_INTENT_UP, 1000);
	cr_assert(sup_wanted(&s));
	cr_assert_eq(sup_next_deadline(&s), 1000);
	cr_assert_eq(sup_tick(&s, 1000, NULL, 0), SUP_DO_ABORT | SUP_DO_MEDIATE);
	cr_assert_eq(s.st, SUP_MEDIATING);

	c = cfg_with(SUP_START_ALWAYS);
	sup_init(&s, &c, 1000);
	sup_set_intent(&s, SUP_INTENT_DOWN, 1000);
	cr_assert_not(sup_wanted(&s));
	cr_assert_not(sup_accepts(&s, false, 1000));
	cr_assert_eq(sup_tick(&s, 1000, NULL, 0), SUP_DO_ABORT, "the retry start = always queued rests");
	cr_assert_eq(s.st, SUP_DOWN);
	cr_assert_eq(sup_next_deadline(&s), IKE_NEVER);

	/* on-demand: traffic wants it, down forgets that */
	c = cfg_with(SUP_START_ON_DEMAND);
	sup_init(&s, &c, 0);
	cr_assert_not(sup_wanted(&s));
	cr_assert_eq(sup_event(&s, SUP_EV_TRAFFIC, NULL, 5, 0), SUP_DO_ABORT | SUP_DO_MEDIATE);
	cr_assert(sup_wanted(&s));
	(void)sup_event(&s, SUP_EV_USER_DOWN, NULL, 6, 0);
	cr_assert_not(sup_wanted(&s));
	cr_assert_eq(sup_event(&s, SUP_EV_TRAFFIC, NULL, 7, 0), 0, "down: traffic does not bring it back");
}
