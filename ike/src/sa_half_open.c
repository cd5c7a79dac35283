/* SPDX-License-Identifier: MIT */
/*
 * Half-open responder SAs (RFC 7296 2.6), in total and per source IP: the
 * per-source count is strongSwan's block_threshold, which stops one address
 * that answers cookies from taking every half-open slot. An IPv6 source counts
 * by its /64: one host or home network usually has a whole /64 to pick
 * addresses from (strongSwan counts each address).
 *
 * The table is chained hashing with a fixed bucket array, sized from
 * half_open_max when the engine is made. An entry exists only while its
 * address has half-open SAs, so there are never more entries than half-open
 * SAs, and an entry is allocated only together with an SA: a request that costs
 * no SA (no cookie under pressure, over a limit) costs no entry either. The
 * hash is keyed with a random value so that addresses cannot be picked to fall
 * into one bucket; even so a chain is at most as long as the half-open count.
 */
#include <string.h>

#include "engine_int.h"

#define BUCKETS_MIN 16u
#define BUCKETS_MAX 65536u

typedef struct ike__ho_src {
	struct ike__ho_src *next;
	uint8_t family;
	uint8_t ip[16];
	uint32_t count;
} ike__ho_src;

/* The bytes of the address that name the source: IPv4 all, IPv6 the /64. */
static size_t ip_len(uint8_t family)
{
	return family == IKE_AF_INET6 ? 8 : 4;
}

static uint32_t bucket_of(const ike_engine *e, const ike_addr *a)
{
	uint64_t h = e->ho_key ^ a->family;
	size_t n = ip_len(a->family);

	/* FNV-1a from a secret start, then a 64-bit finalizer (MurmurHash3 fmix64). */
	for (size_t i = 0; i < n; i++) {
		h ^= a->ip[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h & (e->ho_nbuckets - 1);
}

static bool same_ip(const ike__ho_src *s, const ike_addr *a)
{
	return s->family == a->family && memcmp(s->ip, a->ip, ip_len(a->family)) == 0;
}

int ike__half_open_init(ike_engine *e)
{
	uint32_t want = e->cfg.half_open_max / 2, n = BUCKETS_MIN;

	while (n < want && n < BUCKETS_MAX)
		n *= 2;
	e->ho_buckets = ike_mem_calloc(e->mem, n, sizeof *e->ho_buckets);
	if (!e->ho_buckets)
		return IKE_ERR_NOMEM;
	e->ho_nbuckets = n;
	e->ho_n = 0;
	ike__rand(e, &e->ho_key, sizeof e->ho_key);
	return IKE_OK;
}

void ike__half_open_free(ike_engine *e)
{
	if (!e->ho_buckets)
		return;
	for (uint32_t b = 0; b < e->ho_nbuckets; b++) {
		ike__ho_src *s = e->ho_buckets[b], *next;
		for (; s; s = next) {
			next = s->next;
			ike_mem_free(e->mem, s);
		}
	}
	ike_mem_free(e->mem, e->ho_buckets);
	e->ho_buckets = NULL;
	e->ho_nbuckets = e->ho_n = 0;
}

unsigned ike__half_open_count(const ike_engine *e, const ike_addr *src)
{
	const ike__ho_src *s;

	if (!e->ho_buckets)
		return 0;
	for (s = e->ho_buckets[bucket_of(e, src)]; s; s = s->next)
		if (same_ip(s, src))
			return s->count;
	return 0;
}

int ike__half_open_add(ike_engine *e, ike_sa *sa, const ike_addr *src)
{
	ike__ho_src **head, *s;

	if (sa->half_open)
		return IKE_OK;
	head = &e->ho_buckets[bucket_of(e, src)];
	for (s = *head; s; s = s->next)
		if (same_ip(s, src))
			break;
	if (!s) {
		s = ike_mem_calloc(e->mem, 1, sizeof *s);
		if (!s)
			return IKE_ERR_NOMEM;
		s->family = src->family;
		memcpy(s->ip, src->ip, ip_len(src->family));
		s->next = *head;
		*head = s;
		e->ho_n++;
	}
	s->count++;
	sa->ho_src = s;
	sa->half_open = true;
	e->stats.half_open++;
	return IKE_OK;
}

void ike__half_open_end(ike_engine *e, ike_sa *sa)
{
	ike__ho_src *s = sa->ho_src, **pp;
	ike_addr a;

	if (!sa->half_open)
		return;
	sa->half_open = false;
	sa->ho_src = NULL;
	if (e->stats.half_open)
		e->stats.half_open--;
	if (!s || --s->count)
		return;
	memset(&a, 0, sizeof a);
	a.family = s->family;
	memcpy(a.ip, s->ip, sizeof a.ip);
	for (pp = &e->ho_buckets[bucket_of(e, &a)]; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	ike_mem_free(e->mem, s);
	e->ho_n--;
}
