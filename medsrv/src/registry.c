/* SPDX-License-Identifier: MIT */
/*
 * The shared registry: a chained hash table of registrations keyed by the
 * canonical KEY_ID, a flat array of callback interests, atomic counters.
 * KEY_IDs are SHA-1 values of keys an operator accepted, so their first bytes
 * are a good hash and cannot be steered by a stranger (lookups by arbitrary
 * KEY_IDs only read).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "medsrv/registry.h"

typedef struct reg_node {
	struct reg_node *next;
	ms_reg reg;
} reg_node;

struct ms_registry {
	const ike_mem *mem;
	ms_limits lim;
	pthread_mutex_t lock;
	reg_node **buckets;
	size_t nbuckets; /* power of two */
	size_t n;
	ms_waiter *waiters;
	size_t nwaiters, capwaiters;
	_Atomic uint64_t ctr[MS_CTR_COUNT];
};

static const char *const counter_names[] = {
#define MS_CTR_X(n, s) s,
    MS_COUNTERS(MS_CTR_X)
#undef MS_CTR_X
};

const char *ms_counter_name(ms_counter c)
{
	if ((unsigned)c >= MS_CTR_COUNT)
		return NULL;
	return counter_names[c];
}

static size_t hash_keyid(const uint8_t *k)
{
	uint32_t h;

	memcpy(&h, k, sizeof h);
	return h;
}

int ms_registry_new(ms_registry **out, const ike_mem *mem, const ms_limits *lim)
{
	ms_registry *r;

	*out = NULL;
	r = ike_mem_calloc(mem, 1, sizeof *r);
	if (!r)
		return IKE_ERR_NOMEM;
	r->mem = mem;
	if (lim)
		r->lim = *lim;
	if (!r->lim.max_waiters)
		r->lim.max_waiters = 4096;
	if (!r->lim.max_waiters_per_peer)
		r->lim.max_waiters_per_peer = 16;
	if (!r->lim.waiter_ttl_ms)
		r->lim.waiter_ttl_ms = 600000;
	r->nbuckets = 64;
	r->buckets = ike_mem_calloc(mem, r->nbuckets, sizeof *r->buckets);
	if (!r->buckets || pthread_mutex_init(&r->lock, NULL) != 0) {
		ike_mem_free(mem, r->buckets);
		ike_mem_free(mem, r);
		return IKE_ERR_NOMEM;
	}
	for (unsigned i = 0; i < MS_CTR_COUNT; i++)
		atomic_init(&r->ctr[i], 0);
	*out = r;
	return IKE_OK;
}

void ms_registry_free(ms_registry *r)
{
	if (!r)
		return;
	for (size_t b = 0; b < r->nbuckets; b++) {
		reg_node *n = r->buckets[b];
		while (n) {
			reg_node *next = n->next;
			ike_mem_free(r->mem, n);
			n = next;
		}
	}
	ike_mem_free(r->mem, r->buckets);
	ike_mem_free(r->mem, r->waiters);
	pthread_mutex_destroy(&r->lock);
	ike_mem_free(r->mem, r);
}

static reg_node **find_slot(ms_registry *r, const uint8_t *keyid)
{
	reg_node **pp = &r->buckets[hash_keyid(keyid) & (r->nbuckets - 1)];

	while (*pp && memcmp((*pp)->reg.keyid, keyid, IKE_KEYID_LEN) != 0)
		pp = &(*pp)->next;
	return pp;
}

/* Doubles the table when the load passes 1; a failed allocation just keeps
 * the longer chains. */
static void grow(ms_registry *r)
{
	size_t nb = r->nbuckets * 2;
	reg_node **b;

	if (r->n <= r->nbuckets || nb > SIZE_MAX / sizeof *b)
		return;
	b = ike_mem_calloc(r->mem, nb, sizeof *b);
	if (!b)
		return;
	for (size_t i = 0; i < r->nbuckets; i++) {
		reg_node *n = r->buckets[i];
		while (n) {
			reg_node *next = n->next;
			size_t h = hash_keyid(n->reg.keyid) & (nb - 1);
			n->next = b[h];
			b[h] = n;
			n = next;
		}
	}
	ike_mem_free(r->mem, r->buckets);
	r->buckets = b;
	r->nbuckets = nb;
}

int ms_registry_put(ms_registry *r, const ms_reg *reg, ms_reg *old, bool *replaced)
{
	reg_node **pp, *n;

	if (replaced)
		*replaced = false;
	pthread_mutex_lock(&r->lock);
	pp = find_slot(r, reg->keyid);
	if (*pp) {
		if (old)
			*old = (*pp)->reg;
		if (replaced)
			*replaced = true;
		(*pp)->reg = *reg;
		pthread_mutex_unlock(&r->lock);
		return IKE_OK;
	}
	n = ike_mem_malloc(r->mem, sizeof *n);
	if (!n) {
		pthread_mutex_unlock(&r->lock);
		return IKE_ERR_NOMEM;
	}
	n->reg = *reg;
	n->next = NULL;
	*pp = n;
	r->n++;
	grow(r);
	pthread_mutex_unlock(&r->lock);
	return IKE_OK;
}

bool ms_registry_remove(ms_registry *r, const uint8_t keyid[IKE_KEYID_LEN], uint16_t shard, ike_sa_ref sa)
{
	reg_node **pp, *n;
	bool removed = false;

	pthread_mutex_lock(&r->lock);
	pp = find_slot(r, keyid);
	n = *pp;
	if (n && n->reg.shard == shard && ike_sa_ref_eq(n->reg.sa, sa)) {
		*pp = n->next;
		r->n--;
		ike_mem_free(r->mem, n);
		removed = true;
	}
	pthread_mutex_unlock(&r->lock);
	return removed;
}

bool ms_registry_move(ms_registry *r, const uint8_t keyid[IKE_KEYID_LEN], uint16_t shard, ike_sa_ref old_sa,
                      ike_sa_ref new_sa)
{
	reg_node *n;
	bool moved = false;

	pthread_mutex_lock(&r->lock);
	n = *find_slot(r, keyid);
	if (n && n->reg.shard == shard && ike_sa_ref_eq(n->reg.sa, old_sa)) {
		n->reg.sa = new_sa;
		moved = true;
	}
	pthread_mutex_unlock(&r->lock);
	return moved;
}

int ms_registry_get(ms_registry *r, const uint8_t keyid[IKE_KEYID_LEN], ms_reg *out)
{
	reg_node *n;

	pthread_mutex_lock(&r->lock);
	n = *find_slot(r, keyid);
	if (n)
		*out = n->reg;
	pthread_mutex_unlock(&r->lock);
	return n ? IKE_OK : IKE_ERR_NOT_FOUND;
}

size_t ms_registry_online(ms_registry *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->n;
	pthread_mutex_unlock(&r->lock);
	return n;
}

int ms_registry_list(ms_registry *r, ms_reg **out, size_t *n)
{
	ms_reg *list = NULL;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&r->lock);
	if (r->n) {
		list = ike_mem_malloc(r->mem, r->n * sizeof *list);
		if (!list) {
			pthread_mutex_unlock(&r->lock);
			return IKE_ERR_NOMEM;
		}
		for (size_t b = 0; b < r->nbuckets; b++)
			for (reg_node *p = r->buckets[b]; p; p = p->next)
				list[k++] = p->reg;
	}
	pthread_mutex_unlock(&r->lock);
	*out = list;
	*n = k;
	return IKE_OK;
}

void ms_registry_list_free(ms_registry *r, void *list)
{
	ike_mem_free(r->mem, list);
}

/* Drops expired interests, keeping the order of the others. Lock held. */
static void purge_waiters(ms_registry *r, ike_ms now)
{
	size_t k = 0;

	for (size_t i = 0; i < r->nwaiters; i++)
		if (r->waiters[i].expires > now)
			r->waiters[k++] = r->waiters[i];
	r->nwaiters = k;
}

int ms_registry_waiter_add(ms_registry *r, const uint8_t target[IKE_KEYID_LEN],
                           const uint8_t asked[IKE_KEYID_LEN], const uint8_t requester[IKE_KEYID_LEN],
                           ike_ms now)
{
	unsigned mine = 0;
	ms_waiter *w;
	int rc = IKE_OK;

	pthread_mutex_lock(&r->lock);
	purge_waiters(r, now);
	for (size_t i = 0; i < r->nwaiters; i++) {
		w = &r->waiters[i];
		if (memcmp(w->requester, requester, IKE_KEYID_LEN) != 0)
			continue;
		if (memcmp(w->target, target, IKE_KEYID_LEN) == 0) {
			memcpy(w->asked, asked, IKE_KEYID_LEN);
			w->expires = now + r->lim.waiter_ttl_ms;
			goto out;
		}
		mine++;
	}
	if (mine >= r->lim.max_waiters_per_peer || r->nwaiters >= r->lim.max_waiters) {
		rc = IKE_ERR_LIMIT;
		goto out;
	}
	if (r->nwaiters == r->capwaiters) {
		size_t cap = r->capwaiters ? r->capwaiters * 2 : 16;
		if (cap > r->lim.max_waiters)
			cap = r->lim.max_waiters;
		w = ike_mem_realloc(r->mem, r->waiters, cap * sizeof *w);
		if (!w) {
			rc = IKE_ERR_NOMEM;
			goto out;
		}
		r->waiters = w;
		r->capwaiters = cap;
	}
	w = &r->waiters[r->nwaiters++];
	memcpy(w->target, target, IKE_KEYID_LEN);
	memcpy(w->asked, asked, IKE_KEYID_LEN);
	memcpy(w->requester, requester, IKE_KEYID_LEN);
	w->expires = now + r->lim.waiter_ttl_ms;
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

size_t ms_registry_waiters_take(ms_registry *r, const uint8_t target[IKE_KEYID_LEN], ike_ms now,
                                ms_waiter *out, size_t cap)
{
	size_t k = 0, got = 0;

	pthread_mutex_lock(&r->lock);
	purge_waiters(r, now);
	for (size_t i = 0; i < r->nwaiters; i++) {
		if (got < cap && memcmp(r->waiters[i].target, target, IKE_KEYID_LEN) == 0)
			out[got++] = r->waiters[i];
		else
			r->waiters[k++] = r->waiters[i];
	}
	r->nwaiters = k;
	pthread_mutex_unlock(&r->lock);
	return got;
}

bool ms_registry_waiter_drop(ms_registry *r, const uint8_t target[IKE_KEYID_LEN],
                             const uint8_t requester[IKE_KEYID_LEN])
{
	size_t k = 0;
	bool found = false;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->nwaiters; i++) {
		if (memcmp(r->waiters[i].target, target, IKE_KEYID_LEN) == 0 &&
		    memcmp(r->waiters[i].requester, requester, IKE_KEYID_LEN) == 0)
			found = true;
		else
			r->waiters[k++] = r->waiters[i];
	}
	r->nwaiters = k;
	pthread_mutex_unlock(&r->lock);
	return found;
}

int ms_registry_waiter_list(ms_registry *r, ike_ms now, ms_waiter **out, size_t *n)
{
	ms_waiter *list = NULL;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&r->lock);
	purge_waiters(r, now);
	if (r->nwaiters) {
		list = ike_mem_malloc(r->mem, r->nwaiters * sizeof *list);
		if (!list) {
			pthread_mutex_unlock(&r->lock);
			return IKE_ERR_NOMEM;
		}
		memcpy(list, r->waiters, r->nwaiters * sizeof *list);
		*n = r->nwaiters;
	}
	pthread_mutex_unlock(&r->lock);
	*out = list;
	return IKE_OK;
}

void ms_registry_count(ms_registry *r, ms_counter c, uint64_t n)
{
	if ((unsigned)c < MS_CTR_COUNT)
		atomic_fetch_add_explicit(&r->ctr[c], n, memory_order_relaxed);
}

void ms_registry_counters(ms_registry *r, uint64_t out[MS_CTR_COUNT])
{
	for (unsigned i = 0; i < MS_CTR_COUNT; i++)
		out[i] = atomic_load_explicit(&r->ctr[i], memory_order_relaxed);
}
