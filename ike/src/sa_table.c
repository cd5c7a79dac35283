/* SPDX-License-Identifier: MIT */
/*
 * The SA table: slots with generation counters (so a stale ike_sa_ref is
 * detected), a free list, and two intrusive hash chains keyed by SPI: our own
 * SPI for every SA, and the initiator's SPI for responders' half-open SAs (to
 * recognise IKE_SA_INIT retransmissions before the initiator knows our SPI).
 */
#include <string.h>

#include "engine_int.h"

#define MIN_BUCKETS 64u

static uint32_t hash_spi(uint64_t spi, uint32_t n)
{
	spi ^= spi >> 33;
	spi *= 0xff51afd7ed558ccdULL;
	spi ^= spi >> 33;
	return (uint32_t)(spi & (n - 1));
}

int ike__sa_table_init(ike_engine *e)
{
	sa_table *t = &e->sas;

	memset(t, 0, sizeof *t);
	t->n_buckets = MIN_BUCKETS;
	t->by_local = ike_mem_calloc(e->mem, t->n_buckets, sizeof *t->by_local);
	t->by_remote = ike_mem_calloc(e->mem, t->n_buckets, sizeof *t->by_remote);
	if (!t->by_local || !t->by_remote)
		return IKE_ERR_NOMEM;
	/* Slot 0 is never used, so {0,0} stays the "no SA" reference. */
	t->cap_slots = 16;
	t->slots = ike_mem_calloc(e->mem, t->cap_slots, sizeof *t->slots);
	t->free_list = ike_mem_calloc(e->mem, t->cap_slots, sizeof *t->free_list);
	if (!t->slots || !t->free_list)
		return IKE_ERR_NOMEM;
	t->n_slots = 1;
	return IKE_OK;
}

void ike__sa_table_free(ike_engine *e)
{
	sa_table *t = &e->sas;

	ike_mem_free(e->mem, t->slots);
	ike_mem_free(e->mem, t->free_list);
	ike_mem_free(e->mem, t->by_local);
	ike_mem_free(e->mem, t->by_remote);
	memset(t, 0, sizeof *t);
}

static uint64_t local_spi(const ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

static void chain_insert(uint32_t *buckets, uint32_t n, uint64_t spi, ike_sa *sa, bool remote)
{
	uint32_t b = hash_spi(spi, n);
	if (remote)
		sa->next_remote = buckets[b];
	else
		sa->next_local = buckets[b];
	buckets[b] = sa->slot + 1;
}

/* Doubles the bucket arrays when the load passes 1 and rehashes every SA. */
static int maybe_grow(ike_engine *e)
{
	sa_table *t = &e->sas;
	uint32_t n = t->n_buckets * 2, *bl, *br;

	if (t->count < t->n_buckets)
		return IKE_OK;
	bl = ike_mem_calloc(e->mem, n, sizeof *bl);
	br = ike_mem_calloc(e->mem, n, sizeof *br);
	if (!bl || !br) {
		ike_mem_free(e->mem, bl);
		ike_mem_free(e->mem, br);
		return IKE_ERR_NOMEM;
	}
	for (uint32_t s = 1; s < t->n_slots; s++) {
		ike_sa *sa = t->slots[s].sa;
		if (!sa)
			continue;
		if (local_spi(sa))
			chain_insert(bl, n, local_spi(sa), sa, false);
		if (sa->in_remote_map)
			chain_insert(br, n, sa->spi_i, sa, true);
	}
	ike_mem_free(e->mem, t->by_local);
	ike_mem_free(e->mem, t->by_remote);
	t->by_local = bl;
	t->by_remote = br;
	t->n_buckets = n;
	return IKE_OK;
}

int ike__sa_alloc(ike_engine *e, ike_sa **out)
{
	sa_table *t = &e->sas;
	uint32_t slot;
	ike_sa *sa;

	*out = NULL;
	if (maybe_grow(e))
		return IKE_ERR_NOMEM;
	sa = ike_mem_calloc(e->mem, 1, sizeof *sa);
	if (!sa)
		return IKE_ERR_NOMEM;
	if (t->n_free) {
		slot = t->free_list[--t->n_free];
	} else {
		if (t->n_slots == t->cap_slots) {
			uint32_t cap = t->cap_slots * 2;
			sa_slot *s = ike_mem_realloc(e->mem, t->slots, cap * sizeof *s);
			uint32_t *fl;
			if (!s) {
				ike_mem_free(e->mem, sa);
				return IKE_ERR_NOMEM;
			}
			t->slots = s;
			memset(s + t->cap_slots, 0, (cap - t->cap_slots) * sizeof *s);
			fl = ike_mem_realloc(e->mem, t->free_list, cap * sizeof *fl);
			if (!fl) {
				ike_mem_free(e->mem, sa);
				return IKE_ERR_NOMEM;
			}
			t->free_list = fl;
			t->cap_slots = cap;
		}
		slot = t->n_slots++;
	}
	t->slots[slot].sa = sa;
	if (++t->slots[slot].gen == 0)
		t->slots[slot].gen = 1;
	sa->slot = slot;
	for (int k = 0; k < TMR_COUNT; k++)
		sa->tmr[k] = -1;
	t->count++;
	*out = sa;
	return IKE_OK;
}

static void chain_remove(uint32_t *buckets, uint32_t n, uint64_t spi, ike_sa *sa, bool remote, sa_table *t)
{
	uint32_t *link = &buckets[hash_spi(spi, n)];

	while (*link) {
		ike_sa *cur = t->slots[*link - 1].sa;
		if (cur == sa) {
			*link = remote ? sa->next_remote : sa->next_local;
			return;
		}
		link = remote ? &cur->next_remote : &cur->next_local;
	}
}

void ike__sa_unindex_remote(ike_engine *e, ike_sa *sa)
{
	sa_table *t = &e->sas;

	if (!sa->in_remote_map)
		return;
	chain_remove(t->by_remote, t->n_buckets, sa->spi_i, sa, true, t);
	sa->in_remote_map = false;
}

void ike__sa_release(ike_engine *e, ike_sa *sa)
{
	sa_table *t = &e->sas;

	if (!sa)
		return;
	ike__timer_clear_all(e, sa);
	if (local_spi(sa))
		chain_remove(t->by_local, t->n_buckets, local_spi(sa), sa, false, t);
	ike__sa_unindex_remote(e, sa);
	t->slots[sa->slot].sa = NULL;
	t->free_list[t->n_free++] = sa->slot;
	t->count--;
	ike__sa_free_mem(e, sa);
	ike_mem_free(e->mem, sa);
}

ike_sa *ike__sa_get(const ike_engine *e, ike_sa_ref ref)
{
	const sa_table *t = &e->sas;

	if (ref.slot == 0 || ref.slot >= t->n_slots || t->slots[ref.slot].gen != ref.gen)
		return NULL;
	return t->slots[ref.slot].sa;
}

ike_sa_ref ike__sa_ref(const ike_engine *e, const ike_sa *sa)
{
	return (ike_sa_ref){sa->slot, e->sas.slots[sa->slot].gen};
}

ike_sa *ike__sa_by_slot(const ike_engine *e, uint32_t slot)
{
	return slot && slot < e->sas.n_slots ? e->sas.slots[slot].sa : NULL;
}

int ike__sa_index_local(ike_engine *e, ike_sa *sa)
{
	chain_insert(e->sas.by_local, e->sas.n_buckets, local_spi(sa), sa, false);
	return IKE_OK;
}

ike_sa *ike__sa_find_local(const ike_engine *e, uint64_t spi)
{
	const sa_table *t = &e->sas;
	uint32_t s = t->by_local[hash_spi(spi, t->n_buckets)];

	while (s) {
		ike_sa *sa = t->slots[s - 1].sa;
		if (local_spi(sa) == spi)
			return sa;
		s = sa->next_local;
	}
	return NULL;
}

int ike__sa_index_remote(ike_engine *e, ike_sa *sa)
{
	chain_insert(e->sas.by_remote, e->sas.n_buckets, sa->spi_i, sa, true);
	sa->in_remote_map = true;
	return IKE_OK;
}

ike_sa *ike__sa_find_remote(const ike_engine *e, uint64_t spi_i, const ike_addr *from)
{
	const sa_table *t = &e->sas;
	uint32_t s = t->by_remote[hash_spi(spi_i, t->n_buckets)];

	while (s) {
		ike_sa *sa = t->slots[s - 1].sa;
		if (sa->spi_i == spi_i && ike_addr_eq(&sa->path.remote, from))
			return sa;
		s = sa->next_remote;
	}
	return NULL;
}

uint64_t ike__sa_new_spi(ike_engine *e)
{
	uint64_t spi;

	unsigned bits = e->cfg.spi_shard_bits;

	do {
		ike__rand(e, &spi, sizeof spi);
		if (bits)
			spi = (spi >> bits) | ((uint64_t)e->cfg.spi_shard << (64 - bits));
	} while (spi == 0 || ike__sa_find_local(e, spi));
	return spi;
}

unsigned ike_spi_shard(uint64_t spi, unsigned bits)
{
	if (bits == 0 || bits > 8)
		return 0;
	return (unsigned)(spi >> (64 - bits));
}
