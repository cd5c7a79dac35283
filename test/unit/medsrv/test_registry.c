/* SPDX-License-Identifier: MIT */
/* The shared registry on its own: registrations, callback interests, counters. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "medsrv/registry.h"
#include "tst.h"

static ms_reg make_reg(uint8_t k, uint16_t shard, uint32_t slot)
{
	ms_reg r;

	memset(&r, 0, sizeof r);
	memset(r.keyid, k, sizeof r.keyid);
	memset(r.id, k, sizeof r.id);
	r.shard = shard;
	r.sa = (ike_sa_ref){slot, 1};
	return r;
}

static uint8_t kid[IKE_KEYID_LEN];
static const uint8_t *key(uint8_t k)
{
	memset(kid, k, sizeof kid);
	return kid;
}

#define REG_TEST(name)                                                                                       \
	static void ms_registry_##name##_body(ms_registry *r);                                               \
	Test(ms_registry, name)                                                                              \
	{                                                                                                    \
		ms_registry *r;                                                                              \
		cr_assert(eq(int, ms_registry_new(&r, tst_mem(), &(ms_limits){8, 2, 1000}), IKE_OK));        \
		ms_registry_##name##_body(r);                                                                \
		ms_registry_free(r);                                                                         \
		cr_assert(eq(sz, tst_mem_live(), 0), "%zu bytes still allocated", tst_mem_live());           \
	}                                                                                                    \
	static void ms_registry_##name##_body(ms_registry *r)

REG_TEST(replaces_registration_of_same_key_id)
{
	ms_reg a = make_reg(1, 0, 5), b = make_reg(1, 1, 9), old, got;
	bool replaced;

	cr_assert(eq(int, ms_registry_put(r, &a, &old, &replaced), IKE_OK));
	cr_assert(not(replaced));
	cr_assert(eq(int, ms_registry_put(r, &b, &old, &replaced), IKE_OK));
	cr_assert(replaced);
	cr_assert(eq(u32, old.sa.slot, 5));
	cr_assert(eq(u32, old.shard, 0));
	cr_assert(eq(int, ms_registry_get(r, key(1), &got), IKE_OK));
	cr_assert(eq(u32, got.sa.slot, 9));
	cr_assert(eq(sz, ms_registry_online(r), 1));
}

REG_TEST(removes_only_the_registration_still_held_by_that_sa)
{
	ms_reg a = make_reg(1, 0, 5), b = make_reg(1, 0, 6), got;

	cr_assert(eq(int, ms_registry_put(r, &a, NULL, NULL), IKE_OK));
	cr_assert(eq(int, ms_registry_put(r, &b, NULL, NULL), IKE_OK));
	cr_assert(not(ms_registry_remove(r, key(1), 0, a.sa)), "the replaced SA's end removes nothing");
	cr_assert(not(ms_registry_remove(r, key(1), 1, b.sa)), "same slot on another shard is another SA");
	cr_assert(eq(int, ms_registry_get(r, key(1), &got), IKE_OK));
	cr_assert(ms_registry_remove(r, key(1), 0, b.sa));
	cr_assert(eq(int, ms_registry_get(r, key(1), &got), IKE_ERR_NOT_FOUND));
	cr_assert(eq(sz, ms_registry_online(r), 0));
}

REG_TEST(moves_registration_to_rekeyed_sa)
{
	ms_reg a = make_reg(3, 1, 5), got;

	cr_assert(eq(int, ms_registry_put(r, &a, NULL, NULL), IKE_OK));
	cr_assert(not(ms_registry_move(r, key(3), 0, a.sa, (ike_sa_ref){7, 2})));
	cr_assert(ms_registry_move(r, key(3), 1, a.sa, (ike_sa_ref){7, 2}));
	cr_assert(eq(int, ms_registry_get(r, key(3), &got), IKE_OK));
	cr_assert(eq(u32, got.sa.slot, 7));
	cr_assert(not(ms_registry_remove(r, key(3), 1, a.sa)));
}

REG_TEST(keeps_many_registrations_through_table_growth)
{
	ms_reg *list;
	size_t n;

	for (unsigned i = 0; i < 1000; i++) {
		ms_reg a = make_reg(0, 0, i + 1);
		memcpy(a.keyid, &i, sizeof i);
		cr_assert(eq(int, ms_registry_put(r, &a, NULL, NULL), IKE_OK));
	}
	cr_assert(eq(sz, ms_registry_online(r), 1000));
	for (unsigned i = 0; i < 1000; i++) {
		ms_reg a = make_reg(0, 0, 0), got;
		memcpy(a.keyid, &i, sizeof i);
		cr_assert(eq(int, ms_registry_get(r, a.keyid, &got), IKE_OK));
		cr_assert(eq(u32, got.sa.slot, i + 1));
	}
	cr_assert(eq(int, ms_registry_list(r, &list, &n), IKE_OK));
	cr_assert(eq(sz, n, 1000));
	ms_registry_list_free(r, list);
}

REG_TEST(bounds_callback_interests_per_requester_and_in_all)
{
	uint8_t t[IKE_KEYID_LEN], q[IKE_KEYID_LEN];

	memset(q, 0xaa, sizeof q);
	for (uint8_t i = 1; i <= 2; i++) {
		memset(t, i, sizeof t);
		cr_assert(eq(int, ms_registry_waiter_add(r, t, t, q, 0), IKE_OK));
	}
	memset(t, 3, sizeof t);
	cr_assert(eq(int, ms_registry_waiter_add(r, t, t, q, 0), IKE_ERR_LIMIT), "2 per requester");
	memset(t, 1, sizeof t);
	cr_assert(eq(int, ms_registry_waiter_add(r, t, t, q, 0), IKE_OK), "the same interest only refreshes");
	/* 8 in all */
	for (uint8_t i = 0; i < 3; i++) {
		memset(q, 0x10 + i, sizeof q);
		for (uint8_t j = 1; j <= 2; j++) {
			memset(t, j, sizeof t);
			cr_assert(eq(int, ms_registry_waiter_add(r, t, t, q, 0), IKE_OK));
		}
	}
	memset(q, 0x77, sizeof q);
	cr_assert(eq(int, ms_registry_waiter_add(r, t, t, q, 0), IKE_ERR_LIMIT));
}

REG_TEST(takes_interests_in_one_target_and_expires_old_ones)
{
	uint8_t t[IKE_KEYID_LEN], q[IKE_KEYID_LEN];
	ms_waiter w[4];
	ms_waiter *list;
	size_t n;

	memset(t, 1, sizeof t);
	memset(q, 0xa1, sizeof q);
	cr_assert(eq(int, ms_registry_waiter_add(r, t, t, q, 0), IKE_OK));
	memset(q, 0xa2, sizeof q);
	cr_assert(eq(int, ms_registry_waiter_add(r, t, t, q, 500), IKE_OK));
	memset(t, 2, sizeof t);
	cr_assert(eq(int, ms_registry_waiter_add(r, t, t, q, 500), IKE_OK));
	/* at 1200 the first interest (ttl 1000) is gone */
	memset(t, 1, sizeof t);
	cr_assert(eq(sz, ms_registry_waiters_take(r, t, 1200, w, 4), 1));
	cr_assert(eq(u8, w[0].requester[0], 0xa2));
	cr_assert(eq(u64, w[0].expires, 1500));
	cr_assert(eq(sz, ms_registry_waiters_take(r, t, 1200, w, 4), 0), "taken once");
	cr_assert(eq(int, ms_registry_waiter_list(r, 1200, &list, &n), IKE_OK));
	cr_assert(eq(sz, n, 1));
	cr_assert(eq(u8, list[0].target[0], 2));
	ms_registry_list_free(r, list);
	cr_assert(eq(int, ms_registry_waiter_list(r, 1500, &list, &n), IKE_OK));
	cr_assert(eq(sz, n, 0));
}

REG_TEST(drops_one_answered_interest)
{
	uint8_t t[IKE_KEYID_LEN], q[IKE_KEYID_LEN], q2[IKE_KEYID_LEN];
	ms_waiter *list;
	size_t n;

	memset(t, 1, sizeof t);
	memset(q, 0xa1, sizeof q);
	memset(q2, 0xa2, sizeof q2);
	cr_assert(eq(int, ms_registry_waiter_add(r, t, t, q, 0), IKE_OK));
	cr_assert(eq(int, ms_registry_waiter_add(r, t, t, q2, 0), IKE_OK));
	cr_assert(ms_registry_waiter_drop(r, t, q));
	cr_assert(not(ms_registry_waiter_drop(r, t, q)), "dropped once");
	cr_assert(not(ms_registry_waiter_drop(r, q, t)), "target and requester are not swapped");
	cr_assert(eq(int, ms_registry_waiter_list(r, 0, &list, &n), IKE_OK));
	cr_assert(eq(sz, n, 1));
	cr_assert(eq(u8, list[0].requester[0], 0xa2), "the other requester's interest stays");
	ms_registry_list_free(r, list);
}

REG_TEST(counts_atomically_and_names_counters)
{
	uint64_t v[MS_CTR_COUNT];

	ms_registry_count(r, MS_CTR_RELAYED, 2);
	ms_registry_count(r, MS_CTR_DROPS, 1);
	ms_registry_count(r, MS_CTR_COUNT, 1); /* ignored */
	ms_registry_counters(r, v);
	cr_assert(eq(u64, v[MS_CTR_RELAYED], 2));
	cr_assert(eq(u64, v[MS_CTR_DROPS], 1));
	cr_assert(eq(u64, v[MS_CTR_REGISTRATIONS], 0));
	cr_assert(eq(str, (char *)ms_counter_name(MS_CTR_RELAYED), "mediations_relayed"));
	cr_assert(ms_counter_name(MS_CTR_COUNT) == NULL);
}

/* Shards on several threads share one registry: each thread registers,
 * replaces, reads and removes its own keys and some common ones, and adds
 * callback interests; nothing is lost or torn. */
typedef struct hammer_arg {
	ms_registry *r;
	uint8_t t;
} hammer_arg;

static void *hammer(void *p)
{
	hammer_arg *a = p;

	for (uint32_t i = 0; i < 2000; i++) {
		ms_reg reg = make_reg(0, a->t, i + 1), got;
		uint8_t common[IKE_KEYID_LEN];
		memcpy(reg.keyid, &i, sizeof i);
		reg.keyid[19] = a->t;
		if (ms_registry_put(a->r, &reg, NULL, NULL) != IKE_OK ||
		    ms_registry_get(a->r, reg.keyid, &got) != IKE_OK || got.sa.slot != i + 1 ||
		    got.shard != a->t)
			return "own registration lost";
		memset(common, 0xee, sizeof common);
		memcpy(reg.keyid, common, sizeof common);
		if (ms_registry_put(a->r, &reg, NULL, NULL) != IKE_OK)
			return "put";
		(void)ms_registry_remove(a->r, common, a->t, reg.sa);
		ms_registry_count(a->r, MS_CTR_RELAYED, 1);
		int rc = ms_registry_waiter_add(a->r, common, common, reg.keyid, i);
		if (rc != IKE_OK && rc != IKE_ERR_LIMIT)
			return "waiter";
		if (i % 2) {
			memset(reg.keyid, 0, sizeof reg.keyid);
			memcpy(reg.keyid, &i, sizeof i);
			reg.keyid[19] = a->t;
			if (!ms_registry_remove(a->r, reg.keyid, a->t, reg.sa))
				return "own remove";
		}
	}
	return NULL;
}

Test(ms_registry, stays_consistent_under_concurrent_shards)
{
	ms_registry *r;
	pthread_t th[4];
	hammer_arg args[4];
	uint64_t v[MS_CTR_COUNT];

	cr_assert(eq(int, ms_registry_new(&r, NULL, NULL), IKE_OK));
	for (int i = 0; i < 4; i++) {
		args[i] = (hammer_arg){r, (uint8_t)i};
		cr_assert(eq(int, pthread_create(&th[i], NULL, hammer, &args[i]), 0));
	}
	for (int i = 0; i < 4; i++) {
		void *res;
		cr_assert(eq(int, pthread_join(th[i], &res), 0));
		cr_assert(res == NULL, "%s", (const char *)res);
	}
	ms_registry_counters(r, v);
	cr_assert(eq(u64, v[MS_CTR_RELAYED], 8000));
	/* each thread keeps its 1000 even-numbered keys; the common key may remain once */
	cr_assert(ge(sz, ms_registry_online(r), 4000));
	cr_assert(le(sz, ms_registry_online(r), 4001));
	ms_registry_free(r);
}
