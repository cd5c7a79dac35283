/* SPDX-License-Identifier: MIT */
/*
 * Relayed candidates (issue 10): two sessions through simulated NAT routers, each
 * with a relayed address on a simulated TURN relay. Relayed pairs come last, so a
 * direct pair wins whenever one works; when none does, the relayed pair is chosen
 * relay_wait_ms after it succeeded; with keep_checking the direct pairs go on in the
 * background and a later success is reported as HP_EV_DIRECT_VALID.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "sim.h"

#define SERVER "198.51.100.100"
#define RELAY "198.51.100.40"

typedef struct rlab {
	sim_net *net;
	sim_node *alice, *bob;
	hp_candidate a[3], b[3];
} rlab;

static rlab rlab_new(int nat_a, int nat_b)
{
	rlab l;
	int a = sim_nat_add(l.net = sim_new(10, 0, 1), "198.51.100.1", nat_a);
	int b = sim_nat_add(l.net, "198.51.100.2", nat_b);
	ike_addr am, bm;

	l.alice = sim_node_add(l.net, "alice", "10.0.1.2", 4500, a);
	l.bob = sim_node_add(l.net, "bob", "10.0.2.2", 4500, b);
	am = sim_reflexive(l.net, l.alice, SERVER);
	bm = sim_reflexive(l.net, l.bob, SERVER);
	sim_relay(l.net, l.alice, RELAY);
	sim_relay(l.net, l.bob, RELAY);
	l.a[0] = sim_host(l.alice);
	l.a[1] = sim_srflx(&am, l.alice);
	l.a[2] = sim_relayed(l.alice);
	l.b[0] = sim_host(l.bob);
	l.b[1] = sim_srflx(&bm, l.bob);
	l.b[2] = sim_relayed(l.bob);
	return l;
}

static hp_config relay_cfg(void)
{
	hp_config c;
	hp_config_defaults(&c);
	c.keep_checking = true;
	return c;
}

static void rstart(rlab *l, const hp_config *cfg)
{
	sim_start(l->net, l->bob, false, l->b, 3, l->a, 3, cfg);
	sim_run(l->net, sim_now(l->net) + 12);
	sim_start(l->net, l->alice, true, l->a, 3, l->b, 3, cfg);
}

static bool path_is_relayed(const sim_node *n, const ike_path *p)
{
	hp_pair_info info[64];
	size_t np = hp_session_pairs(n->s, info, 64);

	for (size_t i = 0; i < np; i++)
		if (ike_addr_eq(&info[i].path.local, &p->local) && ike_addr_eq(&info[i].path.remote, &p->remote))
			return info[i].relayed;
	cr_assert(false, "%s has no pair for its chosen path", n->name);
	return false;
}

Test(hp_relay, priorities_put_every_relayed_pair_below_every_direct_one)
{
	uint64_t worst_direct = hp_pair_priority(hp_candidate_priority(HP_CAND_SERVER_REFLEXIVE),
	                                         hp_candidate_priority(HP_CAND_SERVER_REFLEXIVE));
	uint64_t best_relayed =
	    hp_pair_priority(hp_candidate_priority(HP_CAND_HOST), hp_candidate_priority(HP_CAND_RELAYED));

	cr_assert(gt(u64, worst_direct, best_relayed));
}

Test(hp_relay, both_symmetric_choose_a_relayed_pair_within_a_second)
{
	rlab l = rlab_new(SIM_SYMMETRIC, SIM_SYMMETRIC);
	hp_config cfg = relay_cfg();

	rstart(&l, &cfg);
	sim_run(l.net, sim_now(l.net) + 3000);
	cr_assert(l.alice->chosen, "alice: %s", l.alice->reason);
	cr_assert(l.bob->chosen, "bob: %s", l.bob->reason);
	cr_assert(l.alice->chosen_relayed);
	cr_assert(l.bob->chosen_relayed, "bob's path (from the IKE_SA_INIT) is relayed too");
	cr_assert(path_is_relayed(l.alice, &l.alice->chosen_path));
	/* relay_wait_ms (300) after the relayed success, well within a second */
	cr_assert(lt(u64, l.alice->t_done - l.alice->t_start, 1000), "took %llu ms",
	          (unsigned long long)(l.alice->t_done - l.alice->t_start));
	cr_assert(ge(u64, l.alice->t_done - l.alice->t_first_valid, 300));
	/* one relay hop is enough: alice's host to bob's relayed address outranks relay to relay */
	cr_assert(ike_addr_eq(&l.alice->chosen_path.remote, &l.bob->relayed) ||
	              ike_addr_eq(&l.alice->chosen_path.local, &l.alice->relayed),
	          "the chosen path has no relay end");
	/* the sessions stay in the background (keep_checking) */
	cr_assert(hp_session_background(l.alice->s));
	cr_assert(hp_session_background(l.bob->s));
	cr_assert(eq(u32, l.alice->n_direct_valid, 0), "no direct pair can work between symmetric NATs");
	sim_free(l.net);
}

Test(hp_relay, cone_nats_stay_direct_with_relays_available)
{
	rlab l = rlab_new(SIM_CONE, SIM_CONE);
	hp_config cfg = relay_cfg();

	rstart(&l, &cfg);
	sim_run(l.net, sim_now(l.net) + 3000);
	cr_assert(l.alice->chosen && l.bob->chosen);
	cr_assert(not(l.alice->chosen_relayed));
	cr_assert(not(l.bob->chosen_relayed));
	cr_assert(not(hp_session_background(l.alice->s)));
	{ /* the round trip of the chosen pair's check: twice the 10 ms latency */
		hp_pair_info info[64];
		size_t np = hp_session_pairs(l.alice->s, info, 64);
		bool found = false;
		for (size_t i = 0; i < np; i++)
			if (ike_addr_eq(&info[i].path.remote, &l.alice->chosen_path.remote) &&
			    ike_addr_eq(&info[i].path.local, &l.alice->chosen_path.local)) {
				cr_assert(eq(u32, info[i].rtt_ms, 20));
				found = true;
			}
		cr_assert(found);
	}
	cr_assert(lt(u64, l.alice->t_done - l.alice->t_start, 200), "took %llu ms",
	          (unsigned long long)(l.alice->t_done - l.alice->t_start));
	sim_free(l.net);
}

Test(hp_relay, a_pair_made_from_a_check_on_the_relayed_address_keeps_relayed_priority)
{
	/* Symmetric NATs: bob's checks reach alice's relayed address from new ports
	 * (peer-reflexive); the pairs made for them must stay below the direct ones. */
	rlab l = rlab_new(SIM_SYMMETRIC, SIM_SYMMETRIC);
	hp_config cfg = relay_cfg();
	hp_pair_info info[64];
	size_t np;
	uint64_t relay_max = hp_pair_priority(hp_candidate_priority(HP_CAND_HOST),
	                                      hp_candidate_priority(HP_CAND_RELAYED)) +
	                     1;

	rstart(&l, &cfg);
	sim_run(l.net, sim_now(l.net) + 3000);
	np = hp_session_pairs(l.alice->s, info, 64);
	for (size_t i = 0; i < np; i++)
		if (info[i].relayed)
			cr_assert(le(u64, info[i].priority, relay_max), "relayed pair %u has priority %llu", info[i].id,
			          (unsigned long long)info[i].priority);
	sim_free(l.net);
}

Test(hp_relay, blocked_direct_path_goes_relayed_then_upgrades_after_recheck)
{
	rlab l = rlab_new(SIM_CONE, SIM_CONE);
	hp_config cfg = relay_cfg();
	ike_ms t_unblock;

	sim_block_direct(l.net, true);
	rstart(&l, &cfg);
	sim_run(l.net, sim_now(l.net) + 5000);
	cr_assert(l.alice->chosen && l.alice->chosen_relayed);
	cr_assert(l.bob->chosen && l.bob->chosen_relayed);
	cr_assert(eq(u32, l.alice->n_direct_valid, 0));
	/* the background checks gave up on every direct pair by now */
	cr_assert(eq(u64, hp_session_next_deadline(l.alice->s), IKE_NEVER));
	/* the path opens; each side re-checks on its own timer, bob 2 s after alice */
	sim_block_direct(l.net, false);
	t_unblock = sim_now(l.net);
	cr_assert(eq(int, hp_session_recheck(l.alice->s, sim_now(l.net)), IKE_OK));
	sim_run(l.net, sim_now(l.net) + 2000);
	cr_assert(eq(int, hp_session_recheck(l.bob->s, sim_now(l.net)), IKE_OK));
	sim_run(l.net, sim_now(l.net) + 3000);
	cr_assert(ge(u32, l.alice->n_direct_valid, 1), "alice found no direct pair after the unblock");
	cr_assert(ge(u32, l.bob->n_direct_valid, 1), "bob found no direct pair after the unblock");
	cr_assert(not(path_is_relayed(l.alice, &l.alice->direct_path)));
	cr_assert(ike_addr_eq(&l.alice->direct_path.local, &l.alice->addr));
	/* bob's window opened alice's filter: found when bob re-checked */
	cr_assert(lt(u64, l.alice->t_direct - t_unblock, 2500), "took %llu ms",
	          (unsigned long long)(l.alice->t_direct - t_unblock));
	sim_free(l.net);
}

Test(hp_relay, without_keep_checking_there_is_no_background)
{
	rlab l = rlab_new(SIM_SYMMETRIC, SIM_SYMMETRIC);

	rstart(&l, NULL);
	sim_run(l.net, sim_now(l.net) + 3000);
	cr_assert(l.alice->chosen && l.alice->chosen_relayed);
	cr_assert(not(hp_session_background(l.alice->s)));
	cr_assert(eq(int, hp_session_recheck(l.alice->s, sim_now(l.net)), IKE_ERR_STATE));
	cr_assert(eq(u64, hp_session_next_deadline(l.alice->s), IKE_NEVER));
	sim_free(l.net);
}

Test(hp_relay, recheck_refused_while_checking_and_after_a_direct_choice)
{
	rlab l = rlab_new(SIM_CONE, SIM_CONE);
	hp_config cfg = relay_cfg();

	rstart(&l, &cfg);
	cr_assert(eq(int, hp_session_recheck(l.alice->s, sim_now(l.net)), IKE_ERR_STATE));
	sim_run(l.net, sim_now(l.net) + 3000);
	cr_assert(l.alice->chosen && !l.alice->chosen_relayed);
	cr_assert(eq(int, hp_session_recheck(l.alice->s, sim_now(l.net)), IKE_ERR_STATE));
	sim_free(l.net);
}
