/* SPDX-License-Identifier: MIT */
/* Diffie-Hellman: RFC 7748 6.1 (X25519), RFC 5903 8.1/8.2 (ECP), MODP agreement
 * and rejection of invalid public values. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "crypto_test.h"

static ike_dh *from_private(uint16_t group, const char *hex)
{
	uint8_t priv[512];
	size_t n = tst_unhex(hex, priv, sizeof priv);
	ike_dh *dh = NULL;
	int rc = ike_dh_new_from_private(&dh, NULL, group, IKE_SLICE(priv, n));
	cr_assert(eq(int, rc, IKE_OK), "%s", ike_err_name(rc));
	return dh;
}

static void check_public(const ike_dh *dh, const char *hex)
{
	uint8_t expect[512];
	size_t n = tst_unhex(hex, expect, sizeof expect);
	ike_slice pub = ike_dh_public(dh);
	cr_assert(eq(sz, pub.len, n));
	cr_assert(eq(int, memcmp(pub.ptr, expect, n), 0), "public value differs");
}

static void check_shared(ike_dh *dh, ike_slice peer, const char *hex)
{
	uint8_t expect[512], out[512];
	size_t n = tst_unhex(hex, expect, sizeof expect), len = 0;
	cr_assert(eq(int, ike_dh_compute(dh, peer, out, sizeof out, &len), IKE_OK));
	cr_assert(eq(sz, len, n));
	cr_assert(eq(int, memcmp(out, expect, n), 0), "shared secret differs");
}

Test(ike_crypto_dh, x25519_matches_rfc7748)
{
	ike_dh *a =
	    from_private(IKE_CURVE25519, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	ike_dh *b =
	    from_private(IKE_CURVE25519, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	check_public(a, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	check_public(b, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	const char *k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
	check_shared(a, ike_dh_public(b), k);
	check_shared(b, ike_dh_public(a), k);
	ike_dh_free(a);
	ike_dh_free(b);
}

Test(ike_crypto_dh, x25519_refuses_low_order_point)
{
	ike_dh *a = NULL;
	uint8_t zero[32] = {0}, one[32] = {1}, out[32];
	size_t len = 99;
	cr_assert(eq(int, ike_dh_new(&a, NULL, IKE_CURVE25519), IKE_OK));
	/* u = 0 and u = 1 are of small order: the result would be all zero. */
	cr_assert(eq(int, ike_dh_compute(a, IKE_SLICE(zero, 32), out, sizeof out, &len), IKE_ERR_CRYPTO));
	cr_assert(eq(sz, len, 0));
	cr_assert(eq(int, ike_dh_compute(a, IKE_SLICE(one, 32), out, sizeof out, &len), IKE_ERR_CRYPTO));
	cr_assert(eq(int, ike_dh_compute(a, IKE_SLICE(one, 31), out, sizeof out, &len), IKE_ERR_MALFORMED));
	ike_dh_free(a);
}

Test(ike_crypto_dh, ecp256_matches_rfc5903)
{
	ike_dh *i = from_private(IKE_ECP_256,
	                         "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433");
	ike_dh *r = from_private(IKE_ECP_256,
	                         "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53");
	check_public(i, "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180"
	                "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3");
	check_public(r, "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63"
	                "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB");
	const char *girx = "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE";
	check_shared(i, ike_dh_public(r), girx);
	check_shared(r, ike_dh_public(i), girx);
	ike_dh_free(i);
	ike_dh_free(r);
}

Test(ike_crypto_dh, ecp384_matches_rfc5903)
{
	ike_dh *i = from_private(IKE_ECP_384,
	                         "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655"
	                         "E35B5380 41E649EE 3FAEF896 783AB194");
	ike_dh *r = from_private(IKE_ECP_384,
	                         "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942"
	                         "E0308312 916B8ED2 960E4BD5 5A7448FC");
	check_public(
	    i, "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6 DE3AC808 ACB4BDB4"
	       "C88732AE E95F41AA 9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E"
	       "EB9FCFF3 C2C947DA E69B4C63 4573A81C");
	const char *girx =
	    "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4 D6031355 69B9E9D0"
	    "9CF5D4A2 70F59746";
	check_shared(i, ike_dh_public(r), girx);
	check_shared(r, ike_dh_public(i), girx);
	ike_dh_free(i);
	ike_dh_free(r);
}

Test(ike_crypto_dh, ecp_refuses_point_off_curve)
{
	ike_dh *a = NULL, *b = NULL;
	uint8_t bad[64], out[32];
	size_t len;
	cr_assert(eq(int, ike_dh_new(&a, NULL, IKE_ECP_256), IKE_OK));
	cr_assert(eq(int, ike_dh_new(&b, NULL, IKE_ECP_256), IKE_OK));
	memcpy(bad, ike_dh_public(b).ptr, 64);
	bad[63] ^= 1; /* y changed: no longer on the curve */
	cr_assert(eq(int, ike_dh_compute(a, IKE_SLICE(bad, 64), out, sizeof out, &len), IKE_ERR_CRYPTO));
	memset(bad, 0, sizeof bad); /* (0, 0): no encoding of infinity is accepted */
	cr_assert(eq(int, ike_dh_compute(a, IKE_SLICE(bad, 64), out, sizeof out, &len), IKE_ERR_CRYPTO));
	cr_assert(eq(int, ike_dh_compute(a, IKE_SLICE(bad, 65), out, sizeof out, &len), IKE_ERR_MALFORMED));
	cr_assert(eq(int, ike_dh_compute(a, ike_dh_public(b), out, 31, &len), IKE_ERR_NOBUF));
	ike_dh_free(a);
	ike_dh_free(b);
}

static void agree(uint16_t group)
{
	ike_dh *a = NULL, *b = NULL;
	uint8_t sa[512], sb[512];
	size_t la = 0, lb = 0;
	cr_assert(eq(int, ike_dh_new(&a, NULL, group), IKE_OK));
	cr_assert(eq(int, ike_dh_new(&b, NULL, group), IKE_OK));
	cr_assert(eq(u16, ike_dh_group(a), group));
	cr_assert(eq(sz, ike_dh_public(a).len, ike_dh_pub_len(group)));
	cr_assert(eq(int, ike_dh_compute(a, ike_dh_public(b), sa, sizeof sa, &la), IKE_OK));
	cr_assert(eq(int, ike_dh_compute(b, ike_dh_public(a), sb, sizeof sb, &lb), IKE_OK));
	cr_assert(eq(sz, la, ike_dh_secret_len(group)));
	cr_assert(eq(sz, la, lb));
	cr_assert(eq(int, memcmp(sa, sb, la), 0), "group %u: the two sides disagree", group);
	ike_dh_free(a);
	ike_dh_free(b);
}

Test(ike_crypto_dh, both_sides_agree_in_every_group)
{
	agree(IKE_MODP_2048);
	agree(IKE_MODP_3072);
	agree(IKE_ECP_256);
	agree(IKE_ECP_384);
	agree(IKE_ECP_521);
	agree(IKE_CURVE25519);
}

Test(ike_crypto_dh, modp_from_private_is_self_consistent)
{
	/* y = g^x mod p with g = 2: x = 1 gives y = 2 (padded); x = 2 gives 4. */
	ike_dh *one = from_private(IKE_MODP_2048, "01");
	ike_dh *two = from_private(IKE_MODP_2048, "02");
	ike_slice p1 = ike_dh_public(one), p2 = ike_dh_public(two);
	cr_assert(eq(sz, p1.len, 256));
	for (size_t i = 0; i < 255; i++)
		cr_assert(eq(u8, p1.ptr[i], 0));
	cr_assert(eq(u8, p1.ptr[255], 2));
	cr_assert(eq(u8, p2.ptr[255], 4));
	/* (g^1)^2 == (g^2)^1 == 4, padded to 256 bytes. */
	uint8_t s[256], expect[256] = {0};
	size_t len;
	expect[255] = 4;
	cr_assert(eq(int, ike_dh_compute(two, p1, s, sizeof s, &len), IKE_OK));
	cr_assert(eq(u8[256], s, expect));
	cr_assert(eq(int, ike_dh_compute(one, p2, s, sizeof s, &len), IKE_OK));
	cr_assert(eq(u8[256], s, expect));
	ike_dh_free(one);
	ike_dh_free(two);
}

Test(ike_crypto_dh, modp_refuses_invalid_public_values)
{
	ike_dh *a = NULL;
	uint8_t v[256], out[256];
	size_t len;
	/* The RFC 3526 2048-bit prime. */
	static const char prime[] =
	    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
	    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
	    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
	    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
	    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
	    "15728E5A8AACAA68FFFFFFFFFFFFFFFF";
	cr_assert(eq(int, ike_dh_new(&a, NULL, IKE_MODP_2048), IKE_OK));
	memset(v, 0, sizeof v); /* 0 */
	cr_assert(eq(int, ike_dh_compute(a, IKE_SLICE(v, 256), out, sizeof out, &len), IKE_ERR_CRYPTO));
	v[255] = 1; /* 1 */
	cr_assert(eq(int, ike_dh_compute(a, IKE_SLICE(v, 256), out, sizeof out, &len), IKE_ERR_CRYPTO));
	cr_assert(eq(sz, tst_unhex(prime, v, sizeof v), 256));
	cr_assert(
	    eq(int, ike_dh_compute(a, IKE_SLICE(v, 256), out, sizeof out, &len), IKE_ERR_CRYPTO)); /* p */
	v[255] -= 1;                                                                               /* p - 1 */
	cr_assert(eq(int, ike_dh_compute(a, IKE_SLICE(v, 256), out, sizeof out, &len), IKE_ERR_CRYPTO));
	memset(v, 0xff, sizeof v); /* > p */
	cr_assert(eq(int, ike_dh_compute(a, IKE_SLICE(v, 256), out, sizeof out, &len), IKE_ERR_CRYPTO));
	memset(v, 0, sizeof v);
	v[255] = 2; /* 2 is fine */
	cr_assert(eq(int, ike_dh_compute(a, IKE_SLICE(v, 256), out, sizeof out, &len), IKE_OK));
	/* Wrong lengths: the value must be padded to exactly the prime's length. */
	cr_assert(
	    eq(int, ike_dh_compute(a, IKE_SLICE(v + 1, 255), out, sizeof out, &len), IKE_ERR_MALFORMED));
	ike_dh_free(a);
}

Test(ike_crypto_dh, unsupported_group_is_refused)
{
	ike_dh *a = (ike_dh *)1;
	cr_assert(eq(int, ike_dh_new(&a, NULL, 2 /* MODP-1024 */), IKE_ERR_UNSUPPORTED));
	cr_assert(eq(ptr, a, NULL));
	cr_assert(not(ike_dh_supported(IKE_CURVE448)));
	cr_assert(eq(sz, ike_dh_pub_len(IKE_ECP_521), 132));
	cr_assert(eq(sz, ike_dh_secret_len(IKE_ECP_521), 66));
	uint8_t k[33] = {1};
	cr_assert(
	    eq(int, ike_dh_new_from_private(&a, NULL, IKE_CURVE25519, IKE_SLICE(k, 33)), IKE_ERR_INVAL));
}

/* Values computed with Python's pow() over the RFC 3526 prime (x and y chosen so
 * that g^x and g^xy have a leading zero byte, to check the padding). */
Test(ike_crypto_dh, modp2048_matches_independent_values_with_leading_zeros)
{
	ike_dh *i =
	    from_private(IKE_MODP_2048, "98e798415b892cbb3e4e24368fcebec72164e167e1088d95babc3fdefcc4f163");
	ike_dh *r =
	    from_private(IKE_MODP_2048, "88cdc20acea0ab300363c4b81a02ad397089599b5dce6d71e92b07bec960ac3a");
	check_public(
	    i,
	    "0025a742ec125c21e3f5c1c18b5346636243dfe9b966dc7b23cc25a5e2bd7676d0e0af58568cc5bacc5ba7698766a29a"
	    "fb1098e5e147fbc02f32706765b11f6c3f7c496ba1b169865726143df3e24a43f05e71ab3602b233b75fa2fa4651b0c2"
	    "1db2e1db61675a3c557ca0a340a06f9dc307c23f6962fb25e634d5e69952e267ce441db3b4938e36816b503aeae97790"
	    "52f5c376850c6c4a7e7eda9ada67edb3e39be567043b8661b5deaedaa32d4c1de61549ef464b537b781b33c6dcd496db"
	    "74588d5df9e45b262859d10dcd075e38df148bf6473e650f2046ab9c0bf786be665b6a9edf768ac068b33e6a0ce3d0c1"
	    "6b5b6a6cc8779fb1516acb0c9c273723");
	const char *s =
	    "00f2c3875e935be4116276a6d8045deae5989f24595bd70e2409cd5b7361db59708be865a7aa504a11e2f36bf25ba0e1"
	    "4498311863d9757b382df0ee87c52b6e6e819b80084613b9018cd1b58bf3abb9466f38b65204c844d04ae47e9965598d"
	    "936f45b8f59569c154a8e2245f5ecc12c0f9cc3dbe5ff16efc645ba7cfeb41b9e4a01fae8957a6adb4d8f091f6e69246"
	    "a9c516dda3ae3ae20e76b6204787e6da6cfccba66a05ad5ccbf8e920cf40e8781941348be0e63c287444e92d593cfdb6"
	    "3590d2fa629f822774f0065c76294a843f5ef0fffb337cdf4b20b343f4ed6265edccc4e0b1f25ffb0c7c74dc8714a4f1"
	    "9d79511a588a276fe347d0493af51b8d";
	check_shared(i, ike_dh_public(r), s);
	check_shared(r, ike_dh_public(i), s);
	ike_dh_free(i);
	ike_dh_free(r);
}

/* ECP-521 values computed with Python's `cryptography` package (a separate
 * implementation), private keys derived from SHA-512 of fixed seeds. Coordinates
 * and the secret are padded to 66 bytes (the secret starts with 0x00 here). */
Test(ike_crypto_dh, ecp521_matches_independent_values)
{
	ike_dh *i = from_private(
	    IKE_ECP_521, "00507b553b106b1b9963b7affb34e5ed14bc1160bbdea24c094405b306bdcb2520823a0c7db7d"
	                 "a4b51cf45cbdbad519eeca9affd7103b131d1e65a4974ba56b18db9");
	ike_dh *r = from_private(
	    IKE_ECP_521, "00a882f0ac848b0b6b4ca7b42bfa1d266afd0ddeba9204ae57a984a69376d59816b1ef3f4d442"
	                 "ea8a70396067ff5b70e0ae8eab3935b617b8e366d8e35c3bfe14c34");
	check_public(
	    i,
	    "01efe8332a9c7d1bf4d5021a0a50cad5372a8634d4514a0ce001b0933e2fcb5e72138e715261b58baa3f4c21cb08bc"
	    "285f66dc28740176e4c3dd52b9a8af99db188901bcbe87f14db85ff0ca802859249628828baf657f80e3bf6e96005c"
	    "3fd527ed55bcf4c091900ea0e39c997f6dc5ab9d89a6eb08b5e83405dd147e9fcae85cc613be");
	const char *s =
	    "00eb9ebca21ed3f8a769e4110e88f589d131a36eed3ce35f356b2cf9a0fb8ee8241a34cae78118328b8e1c7d0e35b067"
	    "8f2a5b47309b00c7651eb06c44bb517a27c1";
	check_shared(i, ike_dh_public(r), s);
	check_shared(r, ike_dh_public(i), s);
	ike_dh_free(i);
	ike_dh_free(r);
}
