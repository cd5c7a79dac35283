/* SPDX-License-Identifier: MIT */
/* The mediation server's shard: registration, relaying, callbacks, refusals,
 * with real engines on the in-memory network (net.h). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "net.h"

/* Registers clients 0..k-1 and runs until they are up. */
static void register_all(net *n, unsigned k)
{
	for (unsigned i = 0; i < k; i++)
		net_register(n, (int)i);
	net_run(n, 5000);
	for (unsigned i = 0; i < k; i++)
		cr_assert(eq(u32, n->node[i].ups, 1), "client %u did not register", i);
}

NET_TEST(ms_shard, registers_peer_and_reports_its_nat_endpoint)
{
	ms_reg r;
	ike_addr want;

	net_init(n, 1, 2, 1);
	register_all(n, 2);
	cr_assert(net_online(n, 1, &r));
	(void)ike_addr_parse(&want, "203.0.113.1", 24500);
	cr_assert(ike_addr_eq(&r.endpoint, &want));
	cr_assert(n->node[0].have_endpoint);
	cr_assert(ike_addr_eq(&n->node[0].endpoint, &want));
	cr_assert(eq(u32, r.shard, 0));
	cr_assert(eq(u64, net_counter(n, MS_CTR_REGISTRATIONS), 2));
	cr_assert(eq(sz, ms_registry_online(n->reg), 2));
	cr_assert(net_log_has(n, "registered from 203.0.113.1:24500"));
}

NET_TEST(ms_shard, answers_connect_failed_for_unknown_peer)
{
	uint8_t stranger[IKE_KEYID_LEN];

	net_init(n, 1, 2, 3);
	register_all(n, 2);
	memset(stranger, 0x5a, sizeof stranger);
	cr_assert(eq(int, net_connect_keyid(n, 0, stranger, true, false), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[0].nreplies, 1));
	cr_assert(eq(u16, n->node[0].replies[0], IKE_ME_CONNECT_FAILED));
	cr_assert(eq(u32, n->node[1].ngot, 0), "nothing may reach the other peer");
	cr_assert(eq(u64, net_counter(n, MS_CTR_CONNECT_FAILED), 1));
	cr_assert(eq(u64, net_counter(n, MS_CTR_RELAYED), 0));
	cr_assert(net_log_has(n, "ME_CONNECT to unknown peer 5a5a5a5a"));
	/* An unknown peer's interest is never remembered, even with ME_CALLBACK. */
	{
		ms_waiter *w;
		size_t nw;
		cr_assert(eq(int, ms_registry_waiter_list(n->reg, n->now, &w, &nw), IKE_OK));
		cr_assert(eq(sz, nw, 0));
	}
	cr_assert(ike_engine_sa_is_up(n->node[0].e, n->node[0].sa), "the registration stays up");
}

NET_TEST(ms_shard, answers_connect_failed_for_offline_peer_and_calls_back_when_it_registers)
{
	const net_key *bob = net_key_get(2);
	ms_waiter *w;
	size_t nw;

	net_init(n, 1, 2, 3);
	register_all(n, 1);
	cr_assert(eq(int, net_connect(n, 0, 1, true), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u16, n->node[0].replies[0], IKE_ME_CONNECT_FAILED));
	cr_assert(net_log_has(n, "offline, ME_CONNECT_FAILED, callback remembered"));
	cr_assert(eq(int, ms_registry_waiter_list(n->reg, n->now, &w, &nw), IKE_OK));
	cr_assert(eq(sz, nw, 1));
	cr_assert(eq(int, memcmp(w[0].target, bob->keyid, IKE_KEYID_LEN), 0));
	ms_registry_list_free(n->reg, w);

	net_register(n, 1);
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[1].ups, 1));
	/* alice hears, in an ME_CONNECT with ME_CALLBACK and bob's ID. */
	cr_assert(eq(u32, n->node[0].ngot, 1));
	cr_assert(n->node[0].got[0].callback);
	cr_assert(eq(u8, n->node[0].got[0].peer.type, IKE_ID_KEY_ID));
	cr_assert(eq(int, memcmp(n->node[0].got[0].peer.data, bob->keyid, IKE_KEYID_LEN), 0));
	cr_assert(eq(u64, net_counter(n, MS_CTR_CALLBACKS), 1));
	cr_assert(eq(int, ms_registry_waiter_list(n->reg, n->now, &w, &nw), IKE_OK));
	cr_assert(eq(sz, nw, 0), "a callback fires once");
	cr_assert(eq(u32, n->node[1].ngot, 0));
}

NET_TEST(ms_shard, remembers_nothing_without_callback_flag)
{
	net_init(n, 1, 2, 3);
	register_all(n, 1);
	cr_assert(eq(int, net_connect(n, 0, 1, false), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u16, n->node[0].replies[0], IKE_ME_CONNECT_FAILED));
	net_register(n, 1);
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[1].ups, 1));
	cr_assert(eq(u32, n->node[0].ngot, 0));
}

NET_TEST(ms_shard, forgets_callback_interest_after_its_lifetime)
{
	net_init(n, 1, 2, 3);
	register_all(n, 1);
	cr_assert(eq(int, net_connect(n, 0, 1, true), IKE_OK));
	net_run(n, 5000);
	net_run(n, 601000); /* DPD keeps alice's registration alive meanwhile */
	cr_assert(ike_engine_sa_is_up(n->node[0].e, n->node[0].sa));
	net_register(n, 1);
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[1].ups, 1));
	cr_assert(eq(u32, n->node[0].ngot, 0));
}

/* Both online: alice's request reaches bob with alice's ID, connect ID, key and
 * endpoints; bob's response reaches alice. */
NET_TEST(ms_shard, relays_me_connect_and_response_between_online_peers)
{
	const net_key *alice = net_key_get(1), *bob = net_key_get(2);
	const ike_me_connect *got;

	net_init(n, 1, 2, 3);
	register_all(n, 2);
	cr_assert(eq(int, net_connect(n, 0, 1, false), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[0].nreplies, 1));
	cr_assert(eq(u16, n->node[0].replies[0], 0), "acknowledged");
	cr_assert(eq(u32, n->node[1].ngot, 1));
	got = &n->node[1].got[0];
	cr_assert(eq(int, memcmp(got->peer.data, alice->keyid, IKE_KEYID_LEN), 0));
	cr_assert(eq(u8, got->connect_id_len, 4));
	cr_assert(eq(u8, got->connect_id[0], 0xc0));
	cr_assert(eq(u8, got->connect_key_len, 16));
	cr_assert(eq(u8, got->connect_key[0], 0x30));
	cr_assert(not(got->response));
	cr_assert(not(got->callback));
	cr_assert(eq(u8, got->n_endpoints, 1));
	cr_assert(ike_addr_ip_eq(&got->endpoints[0].addr, &n->node[0].addr));
	cr_assert(eq(u32, n->node[1].nreplies, 0));

	/* bob answers through the server */
	cr_assert(eq(int, net_connect_keyid(n, 1, alice->keyid, false, true), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u16, n->node[1].replies[0], 0));
	cr_assert(eq(u32, n->node[0].ngot, 1));
	got = &n->node[0].got[0];
	cr_assert(got->response);
	cr_assert(eq(int, memcmp(got->peer.data, bob->keyid, IKE_KEYID_LEN), 0));
	cr_assert(eq(u8, got->connect_key[0], 0x31));
	cr_assert(ike_addr_ip_eq(&got->endpoints[0].addr, &n->node[1].addr));
	cr_assert(eq(u64, net_counter(n, MS_CTR_RELAYED), 2));
	cr_assert(net_log_has(n, "relaying"));
}

NET_TEST(ms_shard, relays_both_ways_when_peers_connect_to_each_other_at_once)
{
	const net_key *alice = net_key_get(1), *bob = net_key_get(2);

	net_init(n, 1, 2, 3);
	register_all(n, 2);
	cr_assert(eq(int, net_connect(n, 0, 1, false), IKE_OK));
	cr_assert(eq(int, net_connect(n, 1, 0, false), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u16, n->node[0].replies[0], 0));
	cr_assert(eq(u16, n->node[1].replies[0], 0));
	cr_assert(eq(u32, n->node[0].ngot, 1));
	cr_assert(eq(u32, n->node[1].ngot, 1));
	cr_assert(eq(int, memcmp(n->node[0].got[0].peer.data, bob->keyid, IKE_KEYID_LEN), 0));
	cr_assert(eq(int, memcmp(n->node[1].got[0].peer.data, alice->keyid, IKE_KEYID_LEN), 0));
	cr_assert(eq(u8, n->node[0].got[0].connect_id[0], 0xc1));
	cr_assert(eq(u8, n->node[1].got[0].connect_id[0], 0xc0));
	cr_assert(eq(u64, net_counter(n, MS_CTR_RELAYED), 2));
}

/* Two requests for bob at the same time: the engine runs one exchange of ours
 * per SA, so the second waits in bob's queue and follows the first's answer. */
NET_TEST(ms_shard, queues_second_relay_until_the_first_is_answered)
{
	ms_shard_stats st;

	net_init(n, 1, 3, 7);
	register_all(n, 3);
	cr_assert(eq(int, net_connect(n, 0, 1, false), IKE_OK));
	cr_assert(eq(int, net_connect(n, 2, 1, false), IKE_OK));
	/* deliver both requests to the server, nothing else */
	cr_assert(eq(int, net_deliver_one(n), IKE_OK));
	cr_assert(eq(int, net_deliver_one(n), IKE_OK));
	ms_shard_get_stats(n->shard[0], &st);
	cr_assert(eq(sz, st.queued, 1), "the second relay waits");
	net_run(n, 5000);
	ms_shard_get_stats(n->shard[0], &st);
	cr_assert(eq(sz, st.queued, 0));
	cr_assert(eq(u32, n->node[1].ngot, 2));
	cr_assert(eq(u8, n->node[1].got[0].connect_id[0], 0xc0));
	cr_assert(eq(u8, n->node[1].got[1].connect_id[0], 0xc2));
}

NET_TEST(ms_shard, new_registration_replaces_old_and_deletes_its_sa)
{
	ms_reg before, after;
	ike_addr want;

	net_init(n, 1, 2, 3);
	register_all(n, 2);
	cr_assert(net_online(n, 2, &before));
	/* bob reboots behind a new NAT mapping: the old engine is gone silently */
	ike_engine_free(n->node[1].e);
	n->node[1].e = NULL;
	(void)ike_addr_parse(&n->node[1].nat_public, "203.0.113.77", 0);
	n->node[1].ups = 0;
	net_register(n, 1);
	net_run(n, 3000);
	cr_assert(eq(u32, n->node[1].ups, 1));
	cr_assert(net_online(n, 2, &after));
	cr_assert(not(ike_sa_ref_eq(before.sa, after.sa)));
	(void)ike_addr_parse(&want, "203.0.113.77", 24500);
	cr_assert(ike_addr_eq(&after.endpoint, &want));
	cr_assert(eq(u64, net_counter(n, MS_CTR_REPLACED), 1));
	cr_assert(net_log_has(n, "replacing its previous registration"));
	/* the old SA is deleted (its DELETE goes unanswered and times out) */
	net_run(n, 120000);
	cr_assert(net_log_has(n, "previous registration gone"));
	cr_assert(net_online(n, 2, &after), "the old SA's end must not remove the new registration");
	cr_assert(eq(sz, ms_registry_online(n->reg), 2));
	/* mediation reaches the new SA */
	cr_assert(eq(int, net_connect(n, 0, 1, false), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u16, n->node[0].replies[0], 0));
	cr_assert(eq(u32, n->node[1].ngot, 1));
}

NET_TEST(ms_shard, unregisters_peer_that_deletes_its_sa)
{
	net_init(n, 1, 2, 3);
	register_all(n, 2);
	cr_assert(eq(int, ike_engine_terminate(n->node[1].e, n->node[1].sa, n->now), IKE_OK));
	net_run(n, 5000);
	cr_assert(not(net_online(n, 2, NULL)));
	cr_assert(net_online(n, 1, NULL));
	cr_assert(net_log_has(n, "unregistered (deleted)"));
	cr_assert(eq(u64, net_counter(n, MS_CTR_UNREGISTRATIONS), 1));
	cr_assert(eq(int, net_connect(n, 0, 1, false), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u16, n->node[0].replies[0], IKE_ME_CONNECT_FAILED));
}

NET_TEST(ms_shard, dpd_reaps_registration_of_vanished_peer)
{
	net_init(n, 1, 2, 3);
	register_all(n, 2);
	ike_engine_free(n->node[1].e); /* gone without a word */
	n->node[1].e = NULL;
	net_run(n, 5 * 60000);
	cr_assert(not(net_online(n, 2, NULL)));
	cr_assert(net_online(n, 1, NULL), "alice answers DPD and stays");
	cr_assert(net_log_has(n, "unregistered"));
}

NET_TEST(ms_shard, refuses_unregistered_key_with_authentication_failed)
{
	net_init(n, 1, 3, 7);
	n->enrolled[3] = false; /* carol's key is not in the database */
	net_register(n, 0);
	net_register(n, 1);
	net_register(n, 2);
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[2].ups, 0));
	cr_assert(eq(u32, n->node[2].downs, 1));
	cr_assert(eq(u16, n->node[2].down_notify, IKE_AUTHENTICATION_FAILED));
	cr_assert(net_log_has(n, "is not registered in the database"));
	cr_assert(eq(u64, net_counter(n, MS_CTR_AUTH_FAILED), 1));
	cr_assert(eq(sz, ms_registry_online(n->reg), 2), "the others stay registered");
	/* and keep being served */
	cr_assert(eq(int, net_connect(n, 0, 1, false), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[1].ngot, 1));
	/* added to the database while the server runs: registers at once */
	n->enrolled[3] = true;
	n->node[2].downs = 0;
	net_register(n, 2);
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[2].ups, 1));
}

NET_TEST(ms_shard, refuses_bad_signature_with_authentication_failed)
{
	const net_key *k4 = net_key_get(4);

	net_init(n, 1, 3, 7);
	/* mallory claims bob's KEY_ID but signs with her own key */
	n->node[2].cfg.local_id = n->node[1].cfg.local_id;
	n->node[2].cfg.private_key = (ike_slice){(const uint8_t *)k4->pem, k4->pem_len};
	register_all(n, 2);
	net_register(n, 2);
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[2].ups, 0));
	cr_assert(eq(u16, n->node[2].down_notify, IKE_AUTHENTICATION_FAILED));
	cr_assert(net_log_has(n, "authentication failed"));
	cr_assert(eq(u64, net_counter(n, MS_CTR_AUTH_FAILED), 1));
	/* bob's real registration is untouched */
	{
		ms_reg r;
		cr_assert(net_online(n, 2, &r));
		cr_assert(ike_addr_ip_eq(&r.endpoint, &n->node[1].nat_public));
	}
	cr_assert(eq(u64, net_counter(n, MS_CTR_REPLACED), 0));
}

NET_TEST(ms_shard, answers_invalid_syntax_to_malformed_me_connect_and_keeps_serving)
{
	const net_key *bob = net_key_get(2);
	ike_me_connect c;

	net_init(n, 1, 2, 3);
	register_all(n, 2);
	/* no endpoint */
	memset(&c, 0, sizeof c);
	c.peer.type = IKE_ID_KEY_ID;
	c.peer.len = IKE_KEYID_LEN;
	memcpy(c.peer.data, bob->keyid, IKE_KEYID_LEN);
	c.connect_id_len = 4;
	c.connect_key_len = 16;
	cr_assert(eq(int, ike_engine_me_connect(n->node[0].e, n->node[0].sa, &c, n->now), IKE_OK));
	net_run(n, 5000);
	/* an endpoint without an address */
	c.n_endpoints = 1;
	c.endpoints[0].type = IKE_ME_HOST;
	cr_assert(eq(int, ike_engine_me_connect(n->node[0].e, n->node[0].sa, &c, n->now), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[0].nreplies, 2));
	cr_assert(eq(u16, n->node[0].replies[0], IKE_INVALID_SYNTAX));
	cr_assert(eq(u16, n->node[0].replies[1], IKE_INVALID_SYNTAX));
	cr_assert(eq(u32, n->node[1].ngot, 0));
	/* everyone is still served, the sender too */
	cr_assert(eq(int, net_connect(n, 0, 1, false), IKE_OK));
	cr_assert(eq(int, net_connect(n, 1, 0, false), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u16, n->node[0].replies[2], 0));
	cr_assert(eq(u32, n->node[1].ngot, 1));
	cr_assert(eq(u32, n->node[0].ngot, 1));
	cr_assert(eq(sz, ms_registry_online(n->reg), 2));
}

/* A peer that registered with the SPKI form of its KEY_ID is found by the SPK
 * form, and relayed messages name it as it named itself. */
NET_TEST(ms_shard, matches_both_key_id_forms)
{
	const net_key *alice = net_key_get(1), *bob = net_key_get(2);

	net_init(n, 1, 2, 3);
	memcpy(n->node[1].cfg.local_id.data, bob->keyid_spki, IKE_KEYID_LEN);
	register_all(n, 2);
	cr_assert(net_online(n, 2, NULL), "indexed by the canonical (SPK) form");
	cr_assert(eq(int, net_connect(n, 0, 1, false), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u16, n->node[0].replies[0], 0));
	cr_assert(eq(int, net_connect_keyid(n, 1, alice->keyid_spki, false, true), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u16, n->node[1].replies[0], 0), "asked by alice's SPKI form");
	cr_assert(eq(u32, n->node[0].ngot, 1));
	cr_assert(eq(int, memcmp(n->node[0].got[0].peer.data, bob->keyid_spki, IKE_KEYID_LEN), 0));
}

NET_TEST(ms_shard, refuses_me_connect_to_itself)
{
	net_init(n, 1, 1, 1);
	register_all(n, 1);
	cr_assert(eq(int, net_connect(n, 0, 0, false), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u16, n->node[0].replies[0], IKE_ME_CONNECT_FAILED));
	cr_assert(eq(u32, n->node[0].ngot, 0));
}

/* A client rekeys its registration's IKE_SA (strongSwan does every few hours):
 * the registration follows the new SA and relays keep reaching it. */
NET_TEST(ms_shard, keeps_registration_across_ike_sa_rekey)
{
	ms_reg before, after;

	net_init(n, 1, 2, 3);
	register_all(n, 2);
	cr_assert(net_online(n, 2, &before));
	cr_assert(eq(int, ike_engine_rekey(n->node[1].e, n->node[1].sa, 0, n->now), IKE_OK));
	net_run(n, 5000);
	cr_assert(net_online(n, 2, &after), "still registered");
	cr_assert(not(ike_sa_ref_eq(before.sa, after.sa)), "on the new SA");
	cr_assert(net_log_has(n, "registration rekeyed"));
	cr_assert(eq(u64, net_counter(n, MS_CTR_UNREGISTRATIONS), 0));
	cr_assert(eq(int, net_connect(n, 0, 1, false), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u16, n->node[0].replies[0], 0));
	cr_assert(eq(u32, n->node[1].ngot, 1), "the relay reaches the rekeyed SA");
}

/* Strangers decide how many refusals happen; the log must not grow with them. */
NET_TEST(ms_shard, limits_refusal_log_lines_and_counts_them_all)
{
	net_init(n, 1, 1, 1);
	n->enrolled[1] = false;
	for (int r = 0; r < 25; r++) {
		ike_engine_free(n->node[0].e);
		n->node[0].e = NULL;
		net_register(n, 0);
		net_run(n, 100);
	}
	cr_assert(eq(u64, net_counter(n, MS_CTR_AUTH_FAILED), 25));
	cr_assert(eq(u32, n->refused_lines, 20), "at most 20 refusal lines in 10 s");
	n->now += 10000;
	ike_engine_free(n->node[0].e);
	n->node[0].e = NULL;
	net_register(n, 0);
	net_run(n, 100);
	cr_assert(net_log_has(n, "refusals (5 more in the last 10 s)"));
	cr_assert(eq(u32, n->refused_lines, 21), "a new window, a new line");
}
