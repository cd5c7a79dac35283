/* SPDX-License-Identifier: MIT */
/* Several shards sharing one registry: relays, callbacks and replacements
 * travel between shards as messages on the bus (net.h); and the memory one
 * registration holds. */
#define _GNU_SOURCE /* mallinfo2 */
#include <criterion/criterion.h>
#include <malloc.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static void register_all(net *n, unsigned k)
{
	for (unsigned i = 0; i < k; i++)
		net_register(n, (int)i);
	net_run(n, 5000);
	for (unsigned i = 0; i < k; i++)
		cr_assert(eq(u32, n->node[i].ups, 1), "client %u did not register", i);
}

NET_TEST(ms_shards, relays_me_connect_between_peers_on_different_shards)
{
	const net_key *alice = net_key_get(1), *bob = net_key_get(2);
	ms_reg r;

	net_init(n, 2, 2, 3);
	n->node[1].shard = 1;
	register_all(n, 2);
	cr_assert(net_online(n, 2, &r));
	cr_assert(eq(u32, r.shard, 1));
	cr_assert(eq(int, net_connect(n, 0, 1, false), IKE_OK));
	n->hold_bus = true;
	net_run(n, 5000);
	cr_assert(eq(sz, n->nbus, 1), "the relay travels as a message to shard 1");
	cr_assert(eq(u32, n->bus[0].to_shard, 1));
	cr_assert(eq(u32, n->node[1].ngot, 0));
	n->hold_bus = false;
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[1].ngot, 1));
	cr_assert(eq(int, memcmp(n->node[1].got[0].peer.data, alice->keyid, IKE_KEYID_LEN), 0));
	cr_assert(eq(int, net_connect_keyid(n, 1, alice->keyid, false, true), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[0].ngot, 1));
	cr_assert(n->node[0].got[0].response);
	cr_assert(eq(int, memcmp(n->node[0].got[0].peer.data, bob->keyid, IKE_KEYID_LEN), 0));
}

NET_TEST(ms_shards, fires_callback_across_shards)
{
	net_init(n, 2, 2, 3);
	n->node[1].shard = 1;
	register_all(n, 1);
	cr_assert(eq(int, net_connect(n, 0, 1, true), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u16, n->node[0].replies[0], IKE_ME_CONNECT_FAILED));
	net_register(n, 1);
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[0].ngot, 1));
	cr_assert(n->node[0].got[0].callback);
}

NET_TEST(ms_shards, replacement_on_another_shard_deletes_the_old_sa_there)
{
	ms_reg r;

	net_init(n, 2, 2, 3);
	register_all(n, 2);
	ike_engine_free(n->node[1].e);
	n->node[1].e = NULL;
	n->node[1].ups = 0;
	n->node[1].shard = 1;
	net_register(n, 1);
	net_run(n, 2000);
	cr_assert(eq(u32, n->node[1].ups, 1));
	cr_assert(net_online(n, 2, &r));
	cr_assert(eq(u32, r.shard, 1));
	cr_assert(net_log_has(n, "deleting the replaced registration"));
	{
		ms_shard_stats st0, st1;
		net_run(n, 120000);
		ms_shard_get_stats(n->shard[0], &st0);
		ms_shard_get_stats(n->shard[1], &st1);
		cr_assert(eq(sz, st0.registered, 1), "only alice is left on shard 0");
		cr_assert(eq(sz, st1.registered, 1));
	}
	cr_assert(net_online(n, 2, &r));
	cr_assert(eq(u32, r.shard, 1));
}

/* With the engine's SPI sharding: every datagram after IKE_SA_INIT reaches the
 * wrong shard first and is routed by its responder SPI to the owner. */
NET_TEST(ms_shards, routes_datagrams_to_the_shard_named_in_the_spi)
{
#ifdef MEDSRV_HAVE_SPI_SHARD
	ms_reg r;

	net_init_spi_routing(n, 2, 3, 7);
	n->node[1].shard = 1;
	register_all(n, 3);
	cr_assert(gt(u32, n->forwarded, 0));
	for (int k = 1; k <= 3; k++) {
		cr_assert(net_online(n, k, &r));
		cr_assert(eq(u32, r.shard, (uint32_t)n->node[k - 1].shard),
		          "SA on the shard that took its IKE_SA_INIT");
	}
	cr_assert(eq(int, net_connect(n, 0, 1, false), IKE_OK));
	net_run(n, 5000);
	cr_assert(eq(u32, n->node[1].ngot, 1));
	cr_assert(eq(u16, n->node[0].replies[0], 0));
#else
	(void)n;
	cr_skip_test("the engine has no SPI sharding yet (ike_config.spi_shard_bits)");
#endif
}

NET_TEST(ms_shards, drops_relay_for_a_registration_gone_meanwhile)
{
	net_init(n, 2, 2, 3);
	n->node[1].shard = 1;
	register_all(n, 2);
	n->hold_bus = true;
	cr_assert(eq(int, net_connect(n, 0, 1, false), IKE_OK));
	net_run(n, 1000);
	cr_assert(eq(sz, n->nbus, 1));
	cr_assert(eq(int, ike_engine_terminate(n->node[1].e, n->node[1].sa, n->now), IKE_OK));
	net_run(n, 1000);
	cr_assert(not(net_online(n, 2, NULL)));
	cr_assert(net_bus_one(n));
	cr_assert(eq(int, n->last_deliver_rc, IKE_ERR_STALE_SA));
	cr_assert(eq(u64, net_counter(n, MS_CTR_DROPS), 1));
	cr_assert(net_log_has(n, "registration is gone"));
}

/* The memory budget: bytes the server holds per registered peer (engine SA,
 * registry entry, shard slot), counted with the server's own allocator after
 * every exchange is over. Printed for docs/medsrv.md. */
NET_TEST(ms_shards, measures_bytes_per_registration)
{
	size_t base, per;
	const unsigned k = NET_NODES;

	net_init(n, 1, k, (1u << k) - 1);
	net_run(n, 1000);
	base = n->srv_live;
	register_all(n, k);
	net_run(n, 60000); /* half-open timeouts, DPD rounds: all per-exchange state gone */
	per = (n->srv_live - base) / k;
	fprintf(stderr, "medsrv: %zu bytes per registration (%u registrations: %zu -> %zu bytes)\n", per, k,
	        base, n->srv_live);
	cr_assert(lt(sz, per, 2048), "over the 2 KB budget: %zu", per);
}

/* The same with every byte the C library hands out, OpenSSL's cipher contexts
 * included (OpenSSL's AES-GCM contexts are about 1.2 KB per direction). Two registrations first warm
 * OpenSSL's global caches up; then the clients of the measured registrations are freed, so what is left above
 * the base is the server's. (Not meaningful under ASan, which replaces malloc.) */
NET_TEST(ms_shards, measures_heap_bytes_per_registration_including_openssl)
{
	const unsigned warm = 2, k = NET_NODES - 2;
	size_t base, after, per;
	const char *tun = getenv("GLIBC_TUNABLES");

	for (int i = 0; i <= NET_NODES; i++)
		(void)net_key_get(i);
	net_init(n, 1, NET_NODES, (1u << NET_NODES) - 1);
	register_all(n, warm);
	net_run(n, 60000);
	base = mallinfo2().uordblks;
	for (unsigned i = warm; i < warm + k; i++)
		net_register(n, (int)i);
	net_run(n, 60000);
	for (unsigned i = warm; i < warm + k; i++) {
		cr_assert(eq(u32, n->node[i].ups, 1));
		ike_engine_free(n->node[i].e);
		n->node[i].e = NULL;
	}
	n->nq = 0;
	after = mallinfo2().uordblks;
	cr_assert(eq(sz, ms_registry_online(n->reg), warm + k));
	if (!base || after < base)
		return; /* an allocator without glibc's accounting */
	per = (after - base) / k;
	fprintf(
	    stderr, "medsrv: %zu heap bytes per registration with OpenSSL's (%u registrations)%s\n", per, k,
	    tun && strstr(tun, "tcache_count=0") ? ""
	                                         : " (run with GLIBC_TUNABLES=glibc.malloc.tcache_count=0: "
	                                           "tcache'd chunks count as used)");
	/* Only exact without glibc's thread cache, whose freed chunks count as used. */
	if (tun && strstr(tun, "tcache_count=0"))
		cr_assert(lt(sz, per, 4096));
}

/* What one registration costs the server in CPU (IKE_SA_INIT with X25519,
 * IKE_AUTH with an RSA-2048 signature made and one verified, the database-free
 * key lookup), timed around the shard's calls; printed for docs/medsrv.md. The
 * same clients register again and again (each time replacing their previous
 * registration, which costs the server the same work). */
NET_TEST(ms_shards, measures_server_time_per_registration)
{
	const unsigned rounds = 5;
	unsigned regs = 0;
	double per_ms;

	net_init(n, 1, NET_NODES, (1u << NET_NODES) - 1);
	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < NET_NODES; i++) {
			ike_engine_free(n->node[i].e);
			n->node[i].e = NULL;
			n->node[i].ups = 0;
			net_register(n, (int)i);
		}
		net_run(n, 3000);
		for (unsigned i = 0; i < NET_NODES; i++)
			regs += n->node[i].ups;
	}
	cr_assert(eq(u32, regs, rounds * NET_NODES));
	per_ms = (double)n->srv_ns / 1e6 / regs;
	fprintf(
	    stderr,
	    "medsrv: %.2f ms of server time per registration (%u registrations), %.0f per second per core\n",
	    per_ms, regs, 1000.0 / per_ms);
}
