/* SPDX-License-Identifier: MIT */
/* Anti-replay window (RFC 4303 3.4.3, Appendix A), directly and through an SA. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>

#include "esp_int.h"
#include "esp_test.h"

typedef struct win {
	esp_replay r;
	uint64_t bits[128];
} win;

static void win_init(win *w, uint32_t size)
{
	cr_assert(le(u32, esp_replay_words(size), 128));
	memset(w->bits, 0, sizeof w->bits);
	esp_replay_init(&w->r, size, w->bits);
}

/* Check, then update on success: what ike_esp_open does around a valid ICV. */
static int accept(win *w, uint64_t seq)
{
	int rc = esp_replay_check(&w->r, seq);

	if (rc == IKE_OK)
		esp_replay_update(&w->r, seq);
	return rc;
}

Test(esp_replay, accepts_first_packet_and_rejects_seq_zero)
{
	win w;

	win_init(&w, 64);
	cr_assert(eq(int, accept(&w, 0), IKE_ERR_REPLAY));
	cr_assert(eq(int, accept(&w, 1), IKE_OK));
	cr_assert(eq(u64, w.r.top, 1));
	cr_assert(eq(int, accept(&w, 0), IKE_ERR_REPLAY));
	win_init(&w, 1024);
	cr_assert(eq(int, accept(&w, 5000), IKE_OK), "a first packet far ahead is fine");
}

Test(esp_replay, rejects_duplicates)
{
	win w;

	win_init(&w, 64);
	for (uint64_t s = 1; s <= 200; s++)
		cr_assert(eq(int, accept(&w, s), IKE_OK));
	for (uint64_t s = 200 - 63; s <= 200; s++)
		cr_assert(eq(int, accept(&w, s), IKE_ERR_REPLAY), "seq %llu", (unsigned long long)s);
}

Test(esp_replay, window_edge_is_exact)
{
	static const uint32_t sizes[] = {64, 100, 1024, 4096};

	for (size_t i = 0; i < 4; i++) {
		uint32_t n = sizes[i];
		win w;

		win_init(&w, n);
		cr_assert(eq(int, accept(&w, 10000), IKE_OK));
		/* Numbers top - n + 1 .. top are inside; top - n is just outside. */
		cr_assert(eq(int, esp_replay_check(&w.r, 10000 - n), IKE_ERR_REPLAY), "size %u", n);
		cr_assert(eq(int, accept(&w, 10000 - n + 1), IKE_OK), "size %u", n);
		cr_assert(eq(int, accept(&w, 10000 - n + 1), IKE_ERR_REPLAY));
		cr_assert(eq(int, accept(&w, 10000 - 1), IKE_OK));
		/* Moving the edge by one pushes the oldest number out. */
		cr_assert(eq(int, accept(&w, 10001), IKE_OK));
		cr_assert(eq(int, esp_replay_check(&w.r, 10001 - n), IKE_ERR_REPLAY), "now outside");
		cr_assert(eq(int, esp_replay_check(&w.r, 10002 - n), IKE_OK), "new left edge, unseen");
		cr_assert(eq(int, esp_replay_check(&w.r, 9999), IKE_ERR_REPLAY), "received before");
		cr_assert(eq(int, esp_replay_check(&w.r, 10000), IKE_ERR_REPLAY), "received before");
	}
}

Test(esp_replay, far_jump_ahead_forgets_the_old_window)
{
	win w;

	win_init(&w, 1024);
	for (uint64_t s = 1; s <= 1000; s++)
		cr_assert(eq(int, accept(&w, s), IKE_OK));
	cr_assert(eq(int, accept(&w, 1000000), IKE_OK));
	for (uint64_t s = 1000000 - 1023; s < 1000000; s++)
		cr_assert(eq(int, esp_replay_check(&w.r, s), IKE_OK), "stale bit for %llu",
		          (unsigned long long)s);
	cr_assert(eq(int, esp_replay_check(&w.r, 1000000 - 1024), IKE_ERR_REPLAY));
	cr_assert(eq(int, esp_replay_check(&w.r, 1000), IKE_ERR_REPLAY));
	cr_assert(eq(int, esp_replay_check(&w.r, 1000000), IKE_ERR_REPLAY));
}

Test(esp_replay, jump_of_exactly_the_ring_clears_reused_words)
{
	win w;

	win_init(&w, 64); /* 2 words in the ring */
	cr_assert(eq(u32, w.r.nwords, 4));
	for (uint64_t s = 1; s <= 64; s++)
		cr_assert(eq(int, accept(&w, s), IKE_OK));
	/* 256 later lands in the same ring word as 0..63. */
	cr_assert(eq(int, accept(&w, 64 + 256), IKE_OK));
	for (uint64_t s = 64 + 256 - 63; s < 64 + 256; s++)
		cr_assert(eq(int, esp_replay_check(&w.r, s), IKE_OK));
}

/* Reference model: a plain set of received numbers, and the same rule. */
static int model_accept(uint8_t *seen, uint64_t *top, uint32_t size, uint64_t seq)
{
	if (seq == 0 || (seq <= *top && *top - seq >= size) || seen[seq])
		return IKE_ERR_REPLAY;
	seen[seq] = 1;
	if (seq > *top)
		*top = seq;
	return IKE_OK;
}

Test(esp_replay, matches_a_reference_model_across_bitmap_word_wraps)
{
	static const uint32_t sizes[] = {64, 65, 127, 128, 1000, 1024, 4096};
	enum { MAXSEQ = 60000 };

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t *seen = calloc(MAXSEQ + 10000, 1);
		uint64_t top = 0, x = 88172645463325252ull, seq = 1;
		win w;

		cr_assert(not(eq(ptr, seen, NULL)));
		win_init(&w, sizes[i]);
		for (int k = 0; k < 200000; k++) {
			uint64_t r;
			int a, b;

			x ^= x << 13; /* xorshift64: reproducible reordering, duplicates and jumps */
			x ^= x >> 7;
			x ^= x << 17;
			r = x % 1000;
			if (r < 600)
				seq += 1;
			else if (r < 990)
				seq = seq > 2 * sizes[i] ? seq - (x >> 20) % (2 * sizes[i]) : seq + 1;
			else
				seq += (x >> 30) % (3 * sizes[i]);
			if (seq >= MAXSEQ)
				break;
			a = accept(&w, seq);
			b = model_accept(seen, &top, sizes[i], seq);
			cr_assert(eq(int, a, b), "size %u step %d seq %llu", sizes[i], k,
			          (unsigned long long)seq);
			if (seq < top - 1) /* return to the front now and then */
				seq = top + (r & 1);
		}
		cr_assert(eq(u64, w.r.top, top));
		free(seen);
	}
}

Test(esp_replay, infers_the_high_half_of_esn_numbers)
{
	win w;
	uint64_t s = 0;

	win_init(&w, 64);
	cr_assert(esp_replay_infer(&w.r, 1, &s));
	cr_assert(eq(u64, s, 1));
	cr_assert(not(esp_replay_infer(&w.r, 0xfffffff0u, &s)), "before sequence number 0");
	esp_replay_update(&w.r, UINT64_C(0x100000005));
	cr_assert(esp_replay_infer(&w.r, 3, &s));
	cr_assert(eq(u64, s, UINT64_C(0x100000003)));
	cr_assert(esp_replay_infer(&w.r, 0xfffffff0u, &s));
	cr_assert(eq(u64, s, UINT64_C(0xfffffff0)), "inside the window across the boundary");
	cr_assert(esp_replay_infer(&w.r, 0x80000000u, &s));
	cr_assert(eq(u64, s, UINT64_C(0x180000000)), "far below the window: the next block");
	win_init(&w, 64);
	esp_replay_update(&w.r, UINT64_C(0x2fffffff0));
	cr_assert(esp_replay_infer(&w.r, 0xffffffc0u, &s));
	cr_assert(eq(u64, s, UINT64_C(0x2ffffffc0)));
	cr_assert(esp_replay_infer(&w.r, 2, &s));
	cr_assert(eq(u64, s, UINT64_C(0x300000002)));
}

Test(esp_replay, forged_packets_leave_the_sa_window_unchanged)
{
	for (size_t a = 0; a < ET_NALGS; a += 4) {
		et_pair p;
		ike_esp_cfg cfg = et_cfg(&p, et_alg_at(a), 0x1000);
		uint8_t pkts[12][200], forged[200], nh = 0;
		size_t lens[12], off = 0, ilen = 0, hl;

		cfg.replay_window = 64;
		cr_assert(eq(int, et_pair_new(&p, &cfg), IKE_OK));
		hl = ike_esp_headroom(p.out);
		for (int i = 0; i < 12; i++) {
			et_inner(pkts[i] + hl, 40, 4, (uint8_t)i);
			cr_assert(
			    eq(int, ike_esp_seal(p.out, pkts[i], sizeof pkts[i], 40, &lens[i]), IKE_OK));
		}
		cr_assert(
		    eq(int, ike_esp_open(p.in, pkts[4], lens[4], &off, &ilen, &nh), IKE_OK)); /* seq 5 */
		/* A forgery far ahead (seq 100000, bad ICV) must not slide the window. */
		memcpy(forged, pkts[9], lens[9]);
		forged[4] = 0x00, forged[5] = 0x01, forged[6] = 0x86, forged[7] = 0xa0;
		cr_assert(eq(int, ike_esp_open(p.in, forged, lens[9], &off, &ilen, &nh), IKE_ERR_INTEGRITY));
		cr_assert(eq(u64, ike_esp_sa_seq(p.in), 5));
		/* A forgery of an unseen number inside the window must not mark it. */
		memcpy(forged, pkts[2], lens[2]);
		forged[lens[2] - 1] ^= 0x40;
		cr_assert(eq(int, ike_esp_open(p.in, forged, lens[2], &off, &ilen, &nh), IKE_ERR_INTEGRITY));
		for (int i = 0; i < 12; i++) {
			if (i == 4)
				continue;
			cr_assert(eq(int, ike_esp_open(p.in, pkts[i], lens[i], &off, &ilen, &nh), IKE_OK),
			          "seq %d", i + 1);
		}
		cr_assert(eq(int, ike_esp_open(p.in, pkts[4], lens[4], &off, &ilen, &nh), IKE_ERR_REPLAY));
		cr_assert(eq(u64, ike_esp_sa_stats(p.in)->drop_replay, 1));
		cr_assert(eq(u64, ike_esp_sa_stats(p.in)->drop_integrity, 2));
		cr_assert(eq(u64, ike_esp_sa_seq(p.in), 12));
		et_pair_free(&p);
	}
}
