/* SPDX-License-Identifier: MIT */
/* Two sessions (alice initiates, bob responds) through simulated NAT routers. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <string.h>

#include "sim.h"

#define SERVER "198.51.100.100"

typedef struct lab {
	sim_net *net;
	sim_node *alice, *bob;
	ike_addr a_m, b_m; /* what the mediation server saw: the server-reflexive candidates */
} lab;

static lab lab_new(int nat_a, int nat_b, ike_ms latency, unsigned loss, uint32_t seed)
{
	lab l;
	int a = sim_nat_add(l.net = sim_new(latency, loss, seed), "198.51.100.1", nat_a);
	int b = sim_nat_add(l.net, "198.51.100.2", nat_b);

	l.alice = sim_node_add(l.net, "alice", "10.0.1.2", 4500, a);
	l.bob = sim_node_add(l.net, "bob", "10.0.2.2", 4500, b);
	l.a_m = sim_reflexive(l.net, l.alice, SERVER);
	l.b_m = sim_reflexive(l.net, l.bob, SERVER);
	return l;
}

/* strongSwan's order: bob (responder) starts checking when the server acknowledges his
 * ME_CONNECT response; alice when the relayed response reaches her, a little later. */
static void start_both(lab *l, bool alice_srflx, bool bob_srflx, const hp_config *ca, const hp_config *cb)
{
	hp_candidate a[2] = {sim_host(l->alice), sim_srflx(&l->a_m, l->alice)};
	hp_candidate b[2] = {sim_host(l->bob), sim_srflx(&l->b_m, l->bob)};
	size_t na = alice_srflx ? 2 : 1, nb = bob_srflx ? 2 : 1;

	sim_start(l->net, l->bob, false, b, nb, a, na, cb);
	sim_run(l->net, sim_now(l->net) + 12);
	sim_start(l->net, l->alice, true, a, na, b, nb, ca);
}

static bool pair_state(const sim_node *n, const ike_path *path, uint8_t *state, uint32_t *id)
{
	hp_pair_info p[64];
	size_t np = hp_session_pairs(n->s, p, 64);

	for (size_t i = 0; i < np; i++) {
		if (ike_addr_eq(&p[i].path.local, &path->local) &&
		    ike_addr_eq(&p[i].path.remote, &path->remote)) {
			*state = p[i].state;
			*id = p[i].id;
			return true;
		}
	}
	return false;
}

/* Both chose the same path: each one's remote is what the other's NAT maps it to. */
static void assert_agree(const lab *l)
{
	uint8_t st;
	uint32_t id;

	cr_assert(l->alice->chosen, "alice: %s", l->alice->reason);
	cr_assert(l->bob->chosen, "bob: %s", l->bob->reason);
	cr_assert(ike_addr_eq(&l->alice->chosen_path.local, &l->alice->addr));
	cr_assert(ike_addr_eq(&l->bob->chosen_path.local, &l->bob->addr));
	cr_assert(ike_addr_eq(&l->alice->chosen_path.remote, &l->b_m));
	cr_assert(pair_state(l->alice, &l->alice->chosen_path, &st, &id));
	cr_assert(eq(u8, st, HP_PAIR_SUCCEEDED));
	/* bob's chosen path is the one the IKE_SA_INIT came in on, and one of his valid pairs. */
	cr_assert(pair_state(l->bob, &l->bob->chosen_path, &st, &id), "bob has no pair for the chosen path");
	cr_assert(eq(u8, st, HP_PAIR_SUCCEEDED));
}

Test(hp_nat, cone_nats_agree_on_reflexive_pair_quickly)
{
	lab l = lab_new(SIM_CONE, SIM_CONE, 10, 0, 1);

	start_both(&l, true, true, NULL, NULL);
	sim_run(l.net, sim_now(l.net) + 10000);
	assert_agree(&l);
	cr_assert(ike_addr_eq(&l.bob->chosen_path.remote, &l.a_m));
	/* host-host (higher priority) never answers, so alice waits nominate_wait_ms (25). */
	cr_assert(eq(u64, l.alice->t_done - l.alice->t_first_valid, 25));
	cr_assert(lt(u64, l.alice->t_done - l.alice->t_start, 150), "took %llu ms",
	          (unsigned long long)(l.alice->t_done - l.alice->t_start));
	cr_assert(eq(u64, hp_session_stats(l.alice->s)->auth_failures, 0));
	cr_assert(gt(u64, hp_session_stats(l.bob->s)->checks_received, 0));
	cr_assert(gt(u64, hp_session_stats(l.alice->s)->responses_received, 0));
	sim_free(l.net);
}

Test(hp_nat, same_lan_nominates_host_pair_at_once)
{
	sim_net *net = sim_new(1, 0, 1);
	int nat = sim_nat_add(net, "198.51.100.1", SIM_CONE);
	sim_node *alice = sim_node_add(net, "alice", "10.0.1.2", 4500, nat);
	sim_node *bob = sim_node_add(net, "bob", "10.0.1.3", 4500, nat);
	ike_addr a_m = sim_reflexive(net, alice, SERVER), b_m = sim_reflexive(net, bob, SERVER);
	hp_candidate a[2] = {sim_host(alice), sim_srflx(&a_m, alice)};
	hp_candidate b[2] = {sim_host(bob), sim_srflx(&b_m, bob)};

	sim_start(net, bob, false, b, 2, a, 2, NULL);
	sim_start(net, alice, true, a, 2, b, 2, NULL);
	sim_run(net, sim_now(net) + 10000);
	cr_assert(alice->chosen && bob->chosen);
	cr_assert(ike_addr_eq(&alice->chosen_path.remote, &bob->addr));
	cr_assert(ike_addr_eq(&bob->chosen_path.remote, &alice->addr));
	/* The best pair succeeded: no waiting. */
	cr_assert(eq(u64, alice->t_done, alice->t_first_valid));
	sim_free(net);
}

Test(hp_nat, learns_peer_reflexive_candidates_and_agrees_on_them)
{
	/* alice does not know her public address (sends only her host candidate); bob's
	 * NAT does not filter, so alice's check reaches him from an unknown address. */
	lab l = lab_new(SIM_CONE, SIM_FULLCONE, 10, 0, 1);
	uint8_t st;
	uint32_t id;

	start_both(&l, false, true, NULL, NULL);
	sim_run(l.net, sim_now(l.net) + 10000);
	assert_agree(&l);
	/* bob's chosen remote is alice's mapping, which he only learned from her check. */
	cr_assert(ike_addr_eq(&l.bob->chosen_path.remote, &l.a_m));
	cr_assert(pair_state(l.bob, &l.bob->chosen_path, &st, &id));
	cr_assert(gt(u32, id, 1), "the pair was created from a check, after the initial ones");
	cr_assert(ge(u64, hp_session_stats(l.bob->s)->peer_reflexive_learned, 1));
	/* alice learned her own mapping from bob's response. */
	cr_assert(ge(u64, hp_session_stats(l.alice->s)->peer_reflexive_learned, 1));
	sim_free(l.net);
}

Test(hp_nat, symmetric_nat_against_full_cone_works_through_peer_reflexive)
{
	lab l = lab_new(SIM_SYMMETRIC, SIM_FULLCONE, 10, 0, 1);

	start_both(&l, true, true, NULL, NULL);
	sim_run(l.net, sim_now(l.net) + 10000);
	assert_agree(&l);
	/* alice's NAT used a new port towards bob: not her server-reflexive address. */
	cr_assert(not(ike_addr_eq(&l.bob->chosen_path.remote, &l.a_m)));
	cr_assert(ge(u64, hp_session_stats(l.bob->s)->peer_reflexive_learned, 1));
	sim_free(l.net);
}

static void assert_failed_in_time(const sim_node *n)
{
	cr_assert(n->failed, "%s did not fail", n->name);
	cr_assert(eq(int, n->fail_err, IKE_ERR_TIMEOUT));
	cr_assert(le(u64, n->t_done - n->t_start, 10000), "%s failed after %llu ms", n->name,
	          (unsigned long long)(n->t_done - n->t_start));
	cr_assert(eq(u64, n->t_done - n->t_start, 8000)); /* the default bound */
	cr_assert(ge(sz, n->n_pairs, 2), "the failure lists the pairs tried");
	for (size_t i = 0; i < n->n_pairs; i++) {
		cr_assert(not(eq(u8, n->pairs[i].state, HP_PAIR_SUCCEEDED)));
		cr_assert(gt(u32, n->pairs[i].sent, 1), "pair %u was not tried", n->pairs[i].id);
	}
	cr_assert(not(eq(int, n->reason[0], 0)));
}

Test(hp_nat, symmetric_nats_both_fail_within_bound_listing_pairs)
{
	lab l = lab_new(SIM_SYMMETRIC, SIM_SYMMETRIC, 10, 0, 1);

	start_both(&l, true, true, NULL, NULL);
	sim_run(l.net, sim_now(l.net) + 60000);
	assert_failed_in_time(l.alice);
	assert_failed_in_time(l.bob);
	cr_assert(gt(u64, sim_dropped_nat(l.net), 10));
	cr_assert(eq(u64, hp_session_next_deadline(l.alice->s), IKE_NEVER));
	sim_free(l.net);
}

Test(hp_nat, lossy_link_still_converges)
{
	for (uint32_t seed = 1; seed <= 12; seed++) {
		lab l = lab_new(SIM_CONE, SIM_CONE, 15, 30, seed);

		start_both(&l, true, true, NULL, NULL);
		sim_run(l.net, sim_now(l.net) + 10000);
		cr_assert(gt(u64, sim_dropped_loss(l.net), 0));
		cr_assert(l.alice->chosen, "seed %u: alice %s", seed, l.alice->reason);
		cr_assert(l.bob->chosen, "seed %u: bob %s", seed, l.bob->reason);
		cr_assert(ike_addr_eq(&l.alice->chosen_path.remote, &l.b_m), "seed %u", seed);
		cr_assert(ike_addr_eq(&l.bob->chosen_path.remote, &l.a_m), "seed %u", seed);
		cr_assert(gt(u64, hp_session_stats(l.alice->s)->checks_retransmitted, 0));
		sim_free(l.net);
	}
}

Test(hp_nat, responder_accepts_strongswan_pace)
{
	/* An initiator that waits like strongSwan (1000 ms after the first success). */
	lab l = lab_new(SIM_CONE, SIM_CONE, 10, 0, 1);
	hp_config ss;

	hp_config_defaults(&ss);
	ss.nominate_wait_ms = 1000;
	start_both(&l, true, true, &ss, NULL);
	sim_run(l.net, sim_now(l.net) + 10000);
	assert_agree(&l);
	cr_assert(eq(u64, l.alice->t_done - l.alice->t_first_valid, 1000));
	cr_assert(gt(u64, l.bob->t_done - l.bob->t_start, 1000));
	sim_free(l.net);
}

Test(hp_nat, responder_without_nomination_fails_saying_so)
{
	/* alice's session never starts: bob's checks get no answer and nobody nominates. */
	lab l = lab_new(SIM_CONE, SIM_CONE, 10, 0, 1);
	hp_candidate a[2] = {sim_host(l.alice), sim_srflx(&l.a_m, l.alice)};
	hp_candidate b[2] = {sim_host(l.bob), sim_srflx(&l.b_m, l.bob)};
	hp_config cfg;

	hp_config_defaults(&cfg);
	cfg.fail_after_ms = 3000;
	sim_start(l.net, l.bob, false, b, 2, a, 2, &cfg);
	sim_run(l.net, sim_now(l.net) + 20000);
	cr_assert(l.bob->failed);
	cr_assert(eq(u64, l.bob->t_done - l.bob->t_start, 3000));
	cr_assert(not(eq(ptr, strstr(l.bob->reason, "no candidate pair answered"), NULL)), "%s",
	          l.bob->reason);
	sim_free(l.net);
}
