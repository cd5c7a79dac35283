/* SPDX-License-Identifier: MIT */
/* Anti-replay window, RFC 4303 3.4.3 and Appendix A; ring layout as in RFC 6479. */
#include "esp_int.h"

uint32_t esp_replay_words(uint32_t size)
{
	uint32_t need = size / 64u + 2u, n = 1;

	while (n < need)
		n <<= 1;
	return n;
}

void esp_replay_init(esp_replay *r, uint32_t size, uint64_t *bits)
{
	r->top = 0;
	r->size = size;
	r->nwords = esp_replay_words(size);
	r->bits = bits;
}

static uint64_t *word_of(const esp_replay *r, uint64_t seq)
{
	return &r->bits[(seq >> 6) & (r->nwords - 1u)];
}

int esp_replay_check(const esp_replay *r, uint64_t seq)
{
	if (seq == 0)
		return IKE_ERR_REPLAY; /* RFC 4303 3.3.3: the first packet carries 1 */
	if (seq > r->top)
		return IKE_OK;
	if (r->top - seq >= r->size)
		return IKE_ERR_REPLAY; /* left of the window */
	if (*word_of(r, seq) & (UINT64_C(1) << (seq & 63u)))
		return IKE_ERR_REPLAY;
	return IKE_OK;
}

void esp_replay_update(esp_replay *r, uint64_t seq)
{
	if (seq > r->top) {
		uint64_t from = r->top >> 6, to = seq >> 6;

		if (to - from >= r->nwords) {
			for (uint32_t i = 0; i < r->nwords; i++)
				r->bits[i] = 0;
		} else {
			for (uint64_t w = from + 1; w <= to; w++)
				r->bits[w & (r->nwords - 1u)] = 0;
		}
		r->top = seq;
	}
	*word_of(r, seq) |= UINT64_C(1) << (seq & 63u);
}

bool esp_replay_infer(const esp_replay *r, uint32_t seq_lo, uint64_t *seq)
{
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	uint32_t bottom = tl - (r->size - 1u); /* wraps below 0 on purpose */
	uint64_t hi;

	if (tl >= r->size - 1u) {
		/* The window lies within one 2^32 block: below its bottom means the next block. */
		hi = seq_lo >= bottom ? th : (uint64_t)th + 1u;
	} else {
		/* The window straddles a block boundary: high values belong to the previous block. */
		if (seq_lo >= bottom) {
			if (th == 0)
				return false;
			hi = th - 1u;
		} else {
			hi = th;
		}
	}
	if (hi > UINT32_MAX)
		return false; /* the 64-bit space is exhausted */
	*seq = hi << 32 | seq_lo;
	return true;
}
