/* SPDX-License-Identifier: MIT */
/*
 * PRF, prf+ and key derivation. HMAC vectors are RFC 4231's. The prf+ and key
 * derivation constants were computed independently with a Python one-off using
 * only the standard library's hmac/hashlib (prf+ written from RFC 7296 2.13,
 * SKEYSEED and the splits from 2.14, 2.17, 2.18), recorded here as constants.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "crypto_test.h"

static void check_prf(uint16_t prf, const char *key_hex, const char *data_hex, const char *expect_hex)
{
	uint8_t key[256], data[256], expect[64], out[64];
	size_t kl = tst_unhex(key_hex, key, sizeof key), dl = tst_unhex(data_hex, data, sizeof data);
	size_t el = tst_unhex(expect_hex, expect, sizeof expect);
	ike_slice part = IKE_SLICE(data, dl);

	cr_assert(eq(sz, ike_prf_len(prf), el));
	cr_assert(eq(int, ike_prf(prf, IKE_SLICE(key, kl), &part, 1, out, sizeof out), IKE_OK));
	cr_assert(eq(u8[el], out, expect));
}

/* RFC 4231 test case 1: key 0x0b * 20, data "Hi There". */
Test(ike_crypto_prf, matches_rfc4231_case1)
{
	const char *k = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", *d = "4869205468657265";
	check_prf(IKE_PRF_HMAC_SHA2_256, k, d,
	          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	check_prf(IKE_PRF_HMAC_SHA2_384, k, d,
	          "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2"
	          "fa9cb6");
	check_prf(IKE_PRF_HMAC_SHA2_512, k, d,
	          "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	          "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
}

/* RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?". */
Test(ike_crypto_prf, matches_rfc4231_case2)
{
	const char *k = "4a656665", *d = "7768617420646f2079612077616e7420666f72206e6f7468696e673f";
	check_prf(IKE_PRF_HMAC_SHA2_256, k, d,
	          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	check_prf(IKE_PRF_HMAC_SHA2_384, k, d,
	          "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfa"
	          "b21649");
	check_prf(IKE_PRF_HMAC_SHA2_512, k, d,
	          "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	          "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}

/* RFC 4231 test case 6: a 131-byte key (longer than the block) is hashed first. */
Test(ike_crypto_prf, matches_rfc4231_case6_long_key)
{
	char key[2 * 131 + 1];
	for (int i = 0; i < 131; i++)
		memcpy(key + 2 * i, "aa", 2);
	key[262] = 0;
	const char *d = "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a"
	                "65204b6579202d2048617368204b6579204669727374";
	check_prf(IKE_PRF_HMAC_SHA2_256, key, d,
	          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	check_prf(IKE_PRF_HMAC_SHA2_512, key, d,
	          "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	          "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
}

Test(ike_crypto_prf, prf_plus_matches_independent_sha256)
{
	uint8_t key[32], out[100], expect[100];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	tst_unhex(
	    "9c715364ce0efc75cc921cbaaf3aeca27abebf26593091a41b6a2cb5dd477fd6d70c9540d5cdbe3060f32930b7a03ad2"
	    "73f63bc5ed24fd15b6fc6eedb214337d7774d6b8c6c95a8059b42aa6c526381204e7d1d700887e0870c5c5a3d25771a7"
	    "3e96cd6b",
	    expect, sizeof expect);
	/* The seed in two parts must equal the concatenation "seed-Aseed-B". */
	ike_slice seed[2] = {IKE_SLICE("seed-A", 6), IKE_SLICE("seed-B", 6)};
	cr_assert(
	    eq(int, ike_prf_plus(IKE_PRF_HMAC_SHA2_256, IKE_SLICE(key, 32), seed, 2, out, 100), IKE_OK));
	cr_assert(eq(u8[100], out, expect));
	/* A shorter output is a prefix of the longer one. */
	uint8_t short_out[33];
	cr_assert(
	    eq(int, ike_prf_plus(IKE_PRF_HMAC_SHA2_256, IKE_SLICE(key, 32), seed, 2, short_out, 33), IKE_OK));
	cr_assert(eq(u8[33], short_out, expect));
}

Test(ike_crypto_prf, prf_plus_matches_independent_sha1)
{
	uint8_t key[20], out[45], expect[45];
	memset(key, 'k', sizeof key);
	tst_unhex(
	    "ade92c8bf5ed9d1a9cc0d2d4d1dd29342dbc2fe8cc89dd77878616e94f76039a852d62de2460e19e8e3371c9a0",
	    expect, sizeof expect);
	ike_slice seed = IKE_SLICE("seed-Aseed-B", 12);
	cr_assert(eq(int, ike_prf_plus(IKE_PRF_HMAC_SHA1, IKE_SLICE(key, 20), &seed, 1, out, 45), IKE_OK));
	cr_assert(eq(u8[45], out, expect));
}

Test(ike_crypto_prf, prf_plus_refuses_more_than_255_blocks)
{
	static uint8_t out[255 * 32 + 1];
	ike_slice seed = IKE_SLICE("s", 1);
	cr_assert(
	    eq(int, ike_prf_plus(IKE_PRF_HMAC_SHA2_256, IKE_SLICE("k", 1), &seed, 1, out, 255 * 32), IKE_OK));
	cr_assert(eq(int, ike_prf_plus(IKE_PRF_HMAC_SHA2_256, IKE_SLICE("k", 1), &seed, 1, out, sizeof out),
	             IKE_ERR_LIMIT));
}

Test(ike_crypto_prf, rejects_unknown_prf)
{
	uint8_t out[64];
	ike_slice d = IKE_SLICE("x", 1);
	cr_assert(eq(sz, ike_prf_len(1 /* PRF_HMAC_MD5 */), 0));
	cr_assert(eq(int, ike_prf(1, IKE_SLICE("k", 1), &d, 1, out, sizeof out), IKE_ERR_UNSUPPORTED));
	cr_assert(eq(int, ike_prf(IKE_PRF_HMAC_SHA2_256, IKE_SLICE("k", 1), &d, 1, out, 31), IKE_ERR_NOBUF));
}

/* Common inputs of the derivation tests (same as the Python one-off). */
static uint8_t ni[32], nr[32], gir[256];
static void init_inputs(void)
{
	memset(ni, 0x11, sizeof ni);
	memset(nr, 0x22, sizeof nr);
	for (int i = 0; i < 256; i++)
		gir[i] = (uint8_t)i;
}

static const char sa_km_hex[] =
    "509d146ed04131d2fcdca1e7f5edbe5d34fe795b406e711f2a3fb54b9d9b1725b06a1c894d4b52fa5ba4fe7966a0a9a0"
    "5672839ebaaed1c061da37d9eee03debd78732853b51f8aba468614b71761c31f2d3f6e07ac5a68f62af6497d208e343"
    "ec368d94a855431020c6f3b1c47fa6ba1f92213c708428a2452d6ed9b6d9ce337e3d0d71ae6f3cce90428340184b928f"
    "9b091fbee4fbf5044fac6da7db6153bf2b7c86391f17ac2d1cf3694b3789609ea92174beee17e3d484dfca161e599d17";

Test(ike_crypto_keys, ike_sa_keys_match_independent_derivation)
{
	uint8_t km[224];
	ike_sa_keys k;
	ike_crypto_suite s = {.encr = IKE_ENCR_AES_CBC,
	                      .encr_bits = 128,
	                      .integ = IKE_AUTH_HMAC_SHA2_256_128,
	                      .prf = IKE_PRF_HMAC_SHA2_256,
	                      .dh = IKE_MODP_2048};
	init_inputs();
	cr_assert(eq(sz, tst_unhex(sa_km_hex, km, sizeof km), 192));
	cr_assert(eq(int,
	             ike_sa_keys_derive(&k, &s, IKE_SLICE(gir, 256), IKE_SLICE(ni, 32), IKE_SLICE(nr, 32),
	                                0x0102030405060708ull, 0x1112131415161718ull),
	             IKE_OK));
	/* SK_d(32) SK_ai(32) SK_ar(32) SK_ei(16) SK_er(16) SK_pi(32) SK_pr(32). */
	cr_assert(eq(u8, k.d_len, 32));
	cr_assert(eq(u8, k.a_len, 32));
	cr_assert(eq(u8, k.e_len, 16));
	cr_assert(eq(u8, k.p_len, 32));
	cr_assert(eq(u8[32], k.sk_d, km));
	cr_assert(eq(u8[32], k.sk_ai, km + 32));
	cr_assert(eq(u8[32], k.sk_ar, km + 64));
	cr_assert(eq(u8[16], k.sk_ei, km + 96));
	cr_assert(eq(u8[16], k.sk_er, km + 112));
	cr_assert(eq(u8[32], k.sk_pi, km + 128));
	cr_assert(eq(u8[32], k.sk_pr, km + 160));
	ike_sa_keys_wipe(&k);
	cr_assert(eq(u8, k.d_len, 0));
}

Test(ike_crypto_keys, split_sizes_follow_the_suite)
{
	ike_sa_keys k;
	uint8_t g[32] = {1};
	init_inputs();
	struct {
		ike_crypto_suite s;
		uint8_t d, a, e;
	} cases[] = {
	    {{IKE_ENCR_AES_GCM_16, 256, 0, IKE_PRF_HMAC_SHA2_256, 0}, 32, 0, 36},
	    {{IKE_ENCR_AES_GCM_16, 128, 0, IKE_PRF_HMAC_SHA2_512, 0}, 64, 0, 20},
	    {{IKE_ENCR_AES_CBC, 256, IKE_AUTH_HMAC_SHA2_384_192, IKE_PRF_HMAC_SHA2_384, 0}, 48, 48, 32},
	    {{IKE_ENCR_AES_CBC, 128, IKE_AUTH_HMAC_SHA2_512_256, IKE_PRF_HMAC_SHA2_512, 0}, 64, 64, 16},
	    {{IKE_ENCR_AES_CBC, 128, IKE_AUTH_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1, 0}, 20, 20, 16},
	    {{IKE_ENCR_CHACHA20_POLY1305, 0, 0, IKE_PRF_HMAC_SHA2_256, 0}, 32, 0, 36},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert(eq(int,
		             ike_sa_keys_derive(&k, &cases[i].s, IKE_SLICE(g, 32), IKE_SLICE(ni, 32),
		                                IKE_SLICE(nr, 32), 1, 2),
		             IKE_OK),
		          "case %zu", i);
		cr_assert(eq(u8, k.d_len, cases[i].d), "case %zu", i);
		cr_assert(eq(u8, k.p_len, cases[i].d), "case %zu", i);
		cr_assert(eq(u8, k.a_len, cases[i].a), "case %zu", i);
		cr_assert(eq(u8, k.e_len, cases[i].e), "case %zu", i);
		/* The two directions' keys differ. */
		cr_assert(ne(u8[16], k.sk_ei, k.sk_er), "case %zu", i);
	}
}

Test(ike_crypto_keys, rejects_inconsistent_suites)
{
	ike_sa_keys k;
	uint8_t g[32] = {1};
	init_inputs();
	ike_crypto_suite aead_with_integ = {IKE_ENCR_AES_GCM_16, 128, IKE_AUTH_HMAC_SHA2_256_128,
	                                    IKE_PRF_HMAC_SHA2_256, 0};
	ike_crypto_suite cbc_without_integ = {IKE_ENCR_AES_CBC, 128, 0, IKE_PRF_HMAC_SHA2_256, 0};
	ike_crypto_suite bad_keylen = {IKE_ENCR_AES_CBC, 64, IKE_AUTH_HMAC_SHA2_256_128,
	                               IKE_PRF_HMAC_SHA2_256, 0};
	cr_assert(eq(int,
	             ike_sa_keys_derive(&k, &aead_with_integ, IKE_SLICE(g, 32), IKE_SLICE(ni, 32),
	                                IKE_SLICE(nr, 32), 1, 2),
	             IKE_ERR_INVAL));
	cr_assert(eq(int,
	             ike_sa_keys_derive(&k, &cbc_without_integ, IKE_SLICE(g, 32), IKE_SLICE(ni, 32),
	                                IKE_SLICE(nr, 32), 1, 2),
	             IKE_ERR_INVAL));
	cr_assert(eq(
	    int,
	    ike_sa_keys_derive(&k, &bad_keylen, IKE_SLICE(g, 32), IKE_SLICE(ni, 32), IKE_SLICE(nr, 32), 1, 2),
	    IKE_ERR_UNSUPPORTED));
	cr_assert(eq(u8, k.d_len, 0));
}

Test(ike_crypto_keys, rekeyed_sa_uses_old_prf_for_skeyseed)
{
	uint8_t km[224], expect[216], g2[32], ni2[32], nr2[32];
	ike_sa_keys old, k;
	ike_crypto_suite s1 = {IKE_ENCR_AES_CBC, 128, IKE_AUTH_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256, 0};
	ike_crypto_suite s2 = {IKE_ENCR_AES_GCM_16, 256, 0, IKE_PRF_HMAC_SHA2_384, 0};
	init_inputs();
	tst_unhex(sa_km_hex, km, sizeof km);
	memset(g2, 0x33, 32), memset(ni2, 0x44, 32), memset(nr2, 0x55, 32);
	cr_assert(eq(int,
	             ike_sa_keys_derive(&old, &s1, IKE_SLICE(gir, 256), IKE_SLICE(ni, 32), IKE_SLICE(nr, 32),
	                                0x0102030405060708ull, 0x1112131415161718ull),
	             IKE_OK));
	cr_assert(
	    eq(int,
	       ike_sa_keys_derive_rekey(&k, &s2, &old, IKE_SLICE(g2, 32), IKE_SLICE(ni2, 32),
	                                IKE_SLICE(nr2, 32), 0xa1a2a3a4a5a6a7a8ull, 0xb1b2b3b4b5b6b7b8ull),
	       IKE_OK));
	tst_unhex(
	    "642ec6bd94c99b618c923d86218a46a6d6e667990a188004d72c7c7d1d764990c280dc5d6ec99a8681bf02000374bb3a"
	    "8e3f34b74fcbb6a47fe646419d1d2ec3604ca2d68f0043eae053c3eac6d18987308ae14324eac34ce8e99954034b21e4"
	    "18e4bfebd0e50b4498829355c9bd3f80f151f01ace965dc0c352b765fa10013b78003a5dd9580a2c2bcec221769fb910"
	    "224948540d102a9d5fa0590125e235111008245ac65e9cbcc8d39f5af4013272598b70a3b57db7e7f883c856aabbf52f"
	    "420054ec2c32686b3cd7cad9c7e7146b8c003b29824726fc",
	    expect, sizeof expect);
	cr_assert(eq(u16, k.prf, IKE_PRF_HMAC_SHA2_384));
	cr_assert(eq(u8, k.d_len, 48));
	cr_assert(eq(u8, k.e_len, 36));
	cr_assert(eq(u8, k.a_len, 0));
	cr_assert(eq(u8[48], k.sk_d, expect));
	cr_assert(eq(u8[36], k.sk_ei, expect + 48));
	cr_assert(eq(u8[36], k.sk_er, expect + 84));
	cr_assert(eq(u8[48], k.sk_pi, expect + 120));
	cr_assert(eq(u8[48], k.sk_pr, expect + 168));
}

Test(ike_crypto_keys, child_keys_match_independent_derivation)
{
	uint8_t expect[128];
	ike_sa_keys sa;
	ike_child_keys ck;
	ike_crypto_suite s1 = {IKE_ENCR_AES_CBC, 128, IKE_AUTH_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256, 0};
	ike_crypto_suite esp = {IKE_ENCR_AES_CBC, 256, IKE_AUTH_HMAC_SHA2_256_128, 0, 0};
	init_inputs();
	cr_assert(eq(int,
	             ike_sa_keys_derive(&sa, &s1, IKE_SLICE(gir, 256), IKE_SLICE(ni, 32), IKE_SLICE(nr, 32),
	                                0x0102030405060708ull, 0x1112131415161718ull),
	             IKE_OK));
	cr_assert(eq(
	    int,
	    ike_child_keys_derive(&ck, &esp, &sa, IKE_SLICE(NULL, 0), IKE_SLICE(ni, 32), IKE_SLICE(nr, 32)),
	    IKE_OK));
	tst_unhex(
	    "04fb2d6b95601de06bdeaa94475122838159cd048619b910fcf9402ed17dbf725f169577f62994ad71893c3c6d95ed1a"
	    "4658b9298da0fc10199dc70a7db9c3cf8dc638a45134ad4a2a05ef91a84b44c39be4aba2fe22359565a5fb2dda739f1e"
	    "d2c726acb14cac225ee9c492033e2979e50dd89dc1ed5a9de3f53a96d74d6bf5",
	    expect, sizeof expect);
	/* RFC 7296 2.17 order: enc i->r, integ i->r, enc r->i, integ r->i. */
	cr_assert(eq(u8, ck.enc_len, 32));
	cr_assert(eq(u8, ck.integ_len, 32));
	cr_assert(eq(u8[32], ck.enc_ir, expect));
	cr_assert(eq(u8[32], ck.integ_ir, expect + 32));
	cr_assert(eq(u8[32], ck.enc_ri, expect + 64));
	cr_assert(eq(u8[32], ck.integ_ri, expect + 96));
	ike_child_keys_wipe(&ck);
}

Test(ike_crypto_keys, child_keys_with_pfs_and_gcm_salt)
{
	uint8_t expect[40], g2[32];
	ike_sa_keys sa;
	ike_child_keys ck;
	ike_crypto_suite s1 = {IKE_ENCR_AES_CBC, 128, IKE_AUTH_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256, 0};
	ike_crypto_suite esp = {IKE_ENCR_AES_GCM_16, 128, 0, 0, 0};
	init_inputs();
	memset(g2, 0x33, sizeof g2);
	cr_assert(eq(int,
	             ike_sa_keys_derive(&sa, &s1, IKE_SLICE(gir, 256), IKE_SLICE(ni, 32), IKE_SLICE(nr, 32),
	                                0x0102030405060708ull, 0x1112131415161718ull),
	             IKE_OK));
	cr_assert(
	    eq(int,
	       ike_child_keys_derive(&ck, &esp, &sa, IKE_SLICE(g2, 32), IKE_SLICE(ni, 32), IKE_SLICE(nr, 32)),
	       IKE_OK));
	tst_unhex("eb9ebd22361565daf3baf7182f350585c915192226c0042331bafb9a05aa69f325a2b356918b6aec", expect,
	          sizeof expect);
	/* AES-GCM-128: 16-byte key + 4-byte salt per direction, no integrity key. */
	cr_assert(eq(u8, ck.enc_len, 20));
	cr_assert(eq(u8, ck.integ_len, 0));
	cr_assert(eq(u8[20], ck.enc_ir, expect));
	cr_assert(eq(u8[20], ck.enc_ri, expect + 20));
}

Test(ike_crypto_keys, key_lengths_of_transforms)
{
	cr_assert(eq(sz, ike_encr_keymat_len(IKE_ENCR_AES_GCM_16, 256), 36));
	cr_assert(eq(sz, ike_encr_keymat_len(IKE_ENCR_AES_GCM_16, 128), 20));
	cr_assert(eq(sz, ike_encr_keymat_len(IKE_ENCR_AES_CBC, 256), 32));
	cr_assert(eq(sz, ike_encr_keymat_len(IKE_ENCR_AES_CBC, 0), 0));
	cr_assert(eq(sz, ike_encr_keymat_len(IKE_ENCR_CHACHA20_POLY1305, 0), 36));
	cr_assert(eq(sz, ike_encr_keymat_len(3 /* 3DES */, 192), 0));
	cr_assert(eq(sz, ike_integ_key_len(IKE_AUTH_HMAC_SHA2_384_192), 48));
	cr_assert(eq(sz, ike_integ_icv_len(IKE_AUTH_HMAC_SHA2_384_192), 24));
	cr_assert(eq(sz, ike_integ_icv_len(IKE_AUTH_HMAC_SHA1_96), 12));
	cr_assert(ike_encr_is_aead(IKE_ENCR_AES_GCM_16));
	cr_assert(not(ike_encr_is_aead(IKE_ENCR_AES_CBC)));
}
