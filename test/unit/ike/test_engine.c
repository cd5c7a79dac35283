/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <string.h>

#include "engine_int.h"
#include "tst.h"

static int no_send(void *u, const ike_path *p, const uint8_t *pkt, size_t len)
{
	(void)u, (void)p, (void)pkt, (void)len;
	return 0;
}

static void no_event(void *u, const ike_event *ev)
{
	(void)u, (void)ev;
}

Test(ike_engine, refuses_config_without_required_callbacks)
{
	ike_config cfg;
	ike_callbacks cb = {0};
	ike_engine *e = (ike_engine *)1;

	ike_config_defaults(&cfg);
	cfg.mem = tst_mem();
	cr_assert(eq(int, ike_engine_new(&e, &cfg, &cb, NULL, 0), IKE_ERR_INVAL));
	cr_assert(eq(ptr, e, NULL));
	cb.send = no_send;
	cb.on_event = no_event;
	cfg.ike_proposals = "nonsense";
	cr_assert(eq(int, ike_engine_new(&e, &cfg, &cb, NULL, 0), IKE_ERR_INVAL));
	cfg.ike_proposals = NULL;
	cfg.private_key = IKE_SLICE("not a key", 9);
	cr_assert(eq(int, ike_engine_new(&e, &cfg, &cb, NULL, 0), IKE_ERR_CRYPTO));
	cr_assert(eq(sz, tst_mem_live(), 0));
	cfg.private_key = (ike_slice){NULL, 0};
	cr_assert(eq(int, ike_engine_new(&e, &cfg, &cb, NULL, 0), IKE_OK));
	cr_assert(eq(u64, ike_engine_next_deadline(e), IKE_NEVER));
	ike_engine_free(e);
	ike_engine_free(NULL);
	cr_assert(eq(sz, tst_mem_live(), 0));
}

/* The timer heap keeps the earliest deadline on top through sets, moves and clears. */
Test(ike_engine, timer_heap_orders_deadlines)
{
	ike_config cfg;
	ike_callbacks cb = {.send = no_send, .on_event = no_event};
	ike_engine *e;
	ike_sa *sa[20];
	uint32_t slot;
	tmr_kind kind;
	ike_ms last = 0;

	ike_config_defaults(&cfg);
	cfg.mem = tst_mem();
	cr_assert(eq(int, ike_engine_new(&e, &cfg, &cb, NULL, 0), IKE_OK));
	for (int i = 0; i < 20; i++) {
		cr_assert(eq(int, ike__sa_alloc(e, &sa[i]), IKE_OK));
		cr_assert(
		    eq(int, ike__timer_set(e, sa[i], TMR_DPD, (ike_ms)((i * 7919) % 101 + 10)), IKE_OK));
		cr_assert(
		    eq(int, ike__timer_set(e, sa[i], TMR_RETRANSMIT, (ike_ms)((i * 31) % 53 + 5)), IKE_OK));
	}
	cr_assert(eq(int, ike__timer_set(e, sa[3], TMR_DPD, 1), IKE_OK)); /* moved to the front */
	ike__timer_clear(e, sa[5], TMR_RETRANSMIT);
	cr_assert(eq(u64, ike_engine_next_deadline(e), 1));
	for (int n = 0; n < 39; n++) {
		ike_ms at = ike_engine_next_deadline(e);
		cr_assert(ike__timer_pop_due(e, IKE_NEVER - 1, &slot, &kind), "pop %d", n);
		cr_assert(ge(u64, at, last));
		last = at;
	}
	cr_assert(not(ike__timer_pop_due(e, IKE_NEVER - 1, &slot, &kind)));
	for (int i = 0; i < 20; i++)
		ike__sa_release(e, sa[i]);
	ike_engine_free(e);
	cr_assert(eq(sz, tst_mem_live(), 0));
}

Test(ike_engine, sa_table_finds_by_spi_and_detects_stale_refs)
{
	ike_config cfg;
	ike_callbacks cb = {.send = no_send, .on_event = no_event};
	ike_engine *e;
	ike_sa *sa[300];
	ike_sa_ref r0;

	ike_config_defaults(&cfg);
	cfg.mem = tst_mem();
	cr_assert(eq(int, ike_engine_new(&e, &cfg, &cb, NULL, 0), IKE_OK));
	for (int i = 0; i < 300; i++) { /* enough to grow the buckets twice */
		cr_assert(eq(int, ike__sa_alloc(e, &sa[i]), IKE_OK));
		sa[i]->initiator = true;
		sa[i]->spi_i = 0x1000 + (uint64_t)i * 0x10001;
		ike__sa_index_local(e, sa[i]);
	}
	for (int i = 0; i < 300; i++)
		cr_assert(eq(ptr, ike__sa_find_local(e, 0x1000 + (uint64_t)i * 0x10001), sa[i]));
	cr_assert(eq(ptr, ike__sa_find_local(e, 0x999), NULL));
	r0 = ike__sa_ref(e, sa[0]);
	cr_assert(eq(ptr, ike__sa_get(e, r0), sa[0]));
	ike__sa_release(e, sa[0]);
	cr_assert(eq(ptr, ike__sa_get(e, r0), NULL));
	cr_assert(eq(ptr, ike__sa_find_local(e, 0x1000), NULL));
	cr_assert(eq(int, ike__sa_alloc(e, &sa[0]), IKE_OK)); /* reuses the slot, new generation */
	cr_assert(eq(u32, sa[0]->slot, r0.slot));
	cr_assert(eq(ptr, ike__sa_get(e, r0), NULL));
	ike_engine_free(e);
	cr_assert(eq(sz, tst_mem_live(), 0));
}

/* The memory one established IKE_SA holds (DESIGN: 2 KB per registered peer on
 * medsrv), measured on the responder with the counting allocator. The two empty
 * engines are the same size, so bob's is half of both. */
static size_t measure(tst_pair *px, bool no_child)
{
	size_t empty_both, bob_with_sa;

	px->side[ALICE].peer.no_child = no_child;
	px->side[BOB].peer.no_child = no_child;
	tst_pair_start(px);
	empty_both = tst_mem_live();
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 1));
	ike_engine_free(px->side[ALICE].e);
	px->side[ALICE].e = NULL;
	bob_with_sa = tst_mem_live();
	return bob_with_sa - empty_both / 2;
}

ENGINE_TEST(ike_engine, measures_bytes_per_established_sa)
{
	size_t with_child, without_child;

	with_child = measure(px, false);
	tst_pair_free(px);
	tst_pair_init(px);
	without_child = measure(px, true);
	printf("bytes per established IKE_SA (responder): %zu with a CHILD_SA, %zu without\n", with_child,
	       without_child);
	cr_assert(lt(sz, without_child, 2048), "over the 2 KB budget");
	cr_assert(gt(sz, without_child, 0));
}

/* Sharding: every SPI an engine picks names its shard in the top bits, as
 * written on the wire; ike_msg_peek_spis reads them back from a datagram. */
ENGINE_TEST(ike_engine, spis_carry_the_shard_and_peek_reads_them)
{
	uint64_t spi_i = 0, spi_r = 0;
	bool resp = true;
	const tst_dgram *d;

	px->side[ALICE].cfg.spi_shard_bits = 3;
	px->side[ALICE].cfg.spi_shard = 5;
	px->side[BOB].cfg.spi_shard_bits = 3;
	px->side[BOB].cfg.spi_shard = 2;
	tst_pair_start(px);
	for (int k = 0; k < 8; k++) {
		ike_sa_ref ref;
		cr_assert(eq(int, ike_engine_initiate(px->side[ALICE].e, &px->side[ALICE].peer, px->clock.now, &ref),
		             IKE_OK));
		d = &px->link.q[px->link.n - 1];
		cr_assert(eq(int, ike_msg_peek_spis(d->data, d->len, &spi_i, &spi_r, &resp), IKE_OK));
		cr_assert(eq(u32, ike_spi_shard(spi_i, 3), 5));
		cr_assert(eq(u64, spi_r, 0));
		cr_assert(not(resp));
	}
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 8));
	for (size_t i = 0; i < px->side[BOB].events.n; i++) {
		const ike_event *ev = &px->side[BOB].events.ev[i].ev;
		if (ev->type != IKE_EV_SA_UP)
			continue;
		cr_assert(eq(u32, ike_spi_shard(ev->u.sa_up.spi_r, 3), 2));
		cr_assert(eq(u32, ike_spi_shard(ev->u.sa_up.spi_i, 3), 5));
	}
}

Test(ike_engine, peek_spis_rejects_runts_and_other_versions)
{
	uint8_t h[28] = {0};
	uint64_t a, b;
	bool r;

	for (size_t n = 0; n < sizeof h; n++)
		cr_assert(eq(int, ike_msg_peek_spis(h, n, &a, &b, &r), IKE_ERR_TRUNCATED));
	h[17] = 0x20;
	h[27] = 28;
	h[0] = 0x81;
	h[15] = 7;
	h[19] = IKE_FLAG_RESPONSE;
	cr_assert(eq(int, ike_msg_peek_spis(h, sizeof h, &a, &b, &r), IKE_OK));
	cr_assert(eq(u64, a, 0x8100000000000000ull));
	cr_assert(eq(u64, b, 7));
	cr_assert(r);
	cr_assert(eq(u32, ike_spi_shard(a, 1), 1));
	cr_assert(eq(u32, ike_spi_shard(a, 0), 0));
	h[17] = 0x10; /* IKEv1 */
	cr_assert(eq(int, ike_msg_peek_spis(h, sizeof h, &a, &b, &r), IKE_ERR_MALFORMED));
	h[17] = 0x20;
	h[27] = 27; /* length below the header */
	cr_assert(eq(int, ike_msg_peek_spis(h, sizeof h, &a, &b, &r), IKE_ERR_MALFORMED));
}

Test(ike_engine, refuses_bad_shard_config)
{
	ike_config cfg;
	ike_callbacks cb = {0};
	ike_engine *e;

	ike_config_defaults(&cfg);
	cb.send = no_send;
	cb.on_event = no_event;
	cfg.spi_shard_bits = 9;
	cr_assert(eq(int, ike_engine_new(&e, &cfg, &cb, NULL, 0), IKE_ERR_INVAL));
	cfg.spi_shard_bits = 2;
	cfg.spi_shard = 4;
	cr_assert(eq(int, ike_engine_new(&e, &cfg, &cb, NULL, 0), IKE_ERR_INVAL));
	cfg.spi_shard = 3;
	cr_assert(eq(int, ike_engine_new(&e, &cfg, &cb, NULL, 0), IKE_OK));
	ike_engine_free(e);
}
