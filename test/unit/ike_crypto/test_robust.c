/* SPDX-License-Identifier: MIT */
/* Robustness: truncated key inputs, allocation failures through ike_mem, NULLs. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "crypto_test.h"

Test(ike_crypto_robust, every_truncated_der_key_is_refused)
{
	static const char *files[] = {"rsa1.pub.der", "rsa1.pub.pkcs1.der", "rsa1.key.der",
	                              "rsa1.key.pkcs8.der"};
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		size_t len;
		uint8_t *der = tst_read_fixture(files[f], &len);
		for (size_t n = 1; n < len; n++) {
			ike_key *k = NULL;
			/* A copy of exactly n bytes, so ASan sees any read past the end. */
			uint8_t *cut = malloc(n);
			memcpy(cut, der, n);
			int rc = ike_key_load(&k, NULL, IKE_SLICE(cut, n));
			free(cut);
			cr_assert(ne(int, rc, IKE_OK), "%s: %zu of %zu bytes accepted", files[f], n, len);
			cr_assert(eq(ptr, k, NULL));
		}
		free(der);
	}
}

Test(ike_crypto_robust, every_truncated_pem_key_is_refused)
{
	static const char *files[] = {"rsa2.pub.pem", "rsa2.key.pem"};
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		size_t len;
		uint8_t *pem = tst_read_fixture(files[f], &len);
		/* Everything shorter than the complete "-----END ...-----" line fails. */
		for (size_t n = 1; n + 1 < len; n++) {
			ike_key *k = NULL;
			uint8_t *cut = malloc(n);
			memcpy(cut, pem, n);
			int rc = ike_key_load(&k, NULL, IKE_SLICE(cut, n));
			free(cut);
			cr_assert(ne(int, rc, IKE_OK), "%s: %zu of %zu bytes accepted", files[f], n, len);
		}
		free(pem);
	}
}

Test(ike_crypto_robust, truncated_ssh_line_fails_inside_the_blob_only)
{
	size_t len;
	uint8_t *line = tst_read_fixture("rsa1.pub.ssh", &len);
	ike_key *ref = tst_load_key("rsa1.pub.pem");
	size_t blob_end = (size_t)((uint8_t *)strchr((char *)line + 8, ' ') - line);
	for (size_t n = 1; n < len; n++) {
		ike_key *k = NULL;
		uint8_t *cut = malloc(n);
		memcpy(cut, line, n);
		int rc = ike_key_load(&k, NULL, IKE_SLICE(cut, n));
		free(cut);
		if (n < blob_end) {
			cr_assert(ne(int, rc, IKE_OK), "%zu of %zu bytes accepted", n, len);
		} else {
			/* Only the comment is cut: still the same key. */
			cr_assert(eq(int, rc, IKE_OK), "%zu bytes: %s", n, ike_err_name(rc));
			cr_assert(ike_key_public_eq(k, ref));
			ike_key_free(k);
		}
	}
	free(line);
	ike_key_free(ref);
}

/* An allocator that fails after `budget` successful allocations and counts live blocks. */
typedef struct counting {
	int budget;
	int live;
} counting;

static void *c_malloc(void *user, size_t size)
{
	counting *c = user;
	if (c->budget-- <= 0)
		return NULL;
	c->live++;
	return malloc(size);
}

static void *c_calloc(void *user, size_t n, size_t size)
{
	counting *c = user;
	if (c->budget-- <= 0)
		return NULL;
	c->live++;
	return calloc(n, size);
}

static void *c_realloc(void *user, void *p, size_t size)
{
	(void)user;
	return realloc(p, size);
}

static void c_free(void *user, void *p)
{
	counting *c = user;
	if (p)
		c->live--;
	free(p);
}

Test(ike_crypto_robust, allocation_failures_are_reported_without_leaks)
{
	counting c;
	ike_mem mem = {&c, c_malloc, c_free, c_calloc, c_realloc};
	size_t len;
	uint8_t *ssh = tst_read_fixture("rsa1.pub.ssh", &len);
	uint8_t key[36] = {0};

	for (int budget = 0; budget < 4; budget++) {
		c.budget = budget, c.live = 0;
		ike_dh *dh = NULL;
		int rc = ike_dh_new(&dh, &mem, IKE_CURVE25519);
		cr_assert(rc == IKE_OK || rc == IKE_ERR_NOMEM, "%s", ike_err_name(rc));
		cr_assert(eq(int, rc == IKE_OK, budget >= 1));
		ike_dh_free(dh);
		cr_assert(eq(int, c.live, 0));

		c.budget = budget, c.live = 0;
		ike_sk_cipher *sk = NULL;
		rc = ike_sk_cipher_new(&sk, &mem, IKE_ENCR_AES_GCM_16, 256, 0, IKE_SLICE(key, 36),
		                       IKE_SLICE(NULL, 0));
		cr_assert(eq(int, rc == IKE_OK, budget >= 1));
		ike_sk_cipher_free(sk);
		cr_assert(eq(int, c.live, 0));

		c.budget = budget, c.live = 0;
		ike_key *k = NULL;
		rc = ike_key_load(&k, &mem, IKE_SLICE(ssh, len));
		cr_assert(rc == IKE_OK || rc == IKE_ERR_NOMEM, "%s", ike_err_name(rc));
		ike_key_free(k);
		cr_assert(eq(int, c.live, 0), "budget %d: %d blocks leaked", budget, c.live);
	}
	free(ssh);
}

Test(ike_crypto_robust, free_functions_accept_null)
{
	ike_dh_free(NULL);
	ike_sk_cipher_free(NULL);
	ike_key_free(NULL);
	ike_sa_keys_wipe(NULL);
	ike_child_keys_wipe(NULL);
	ike_crypto_wipe(NULL, 10);
	cr_assert(eq(u32, ike_key_bits(NULL), 0));
	cr_assert(eq(sz, ike_dh_public(NULL).len, 0));
	cr_assert(eq(sz, ike_sk_iv_len(NULL), 0));
	cr_assert(not(ike_key_matches_id(NULL, NULL)));
}

Test(ike_crypto_robust, rand_fills_and_eq_compares)
{
	uint8_t a[64] = {0}, b[64] = {0};
	cr_assert(eq(int, ike_rand(a, sizeof a), IKE_OK));
	cr_assert(eq(int, ike_rand(b, sizeof b), IKE_OK));
	cr_assert(not(ike_crypto_eq(a, b, sizeof a)));
	memcpy(b, a, sizeof a);
	cr_assert(ike_crypto_eq(a, b, sizeof a));
	cr_assert(eq(int, ike_rand(NULL, 0), IKE_OK));
	cr_assert(eq(int, ike_rand(NULL, 1), IKE_ERR_INVAL));
}
