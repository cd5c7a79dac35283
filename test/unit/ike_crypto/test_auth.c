/* SPDX-License-Identifier: MIT */
/* AUTH payload: signed octets and PSK against values computed independently
 * (Python hmac/hashlib one-off, recorded as constants), RSA signatures of
 * methods 1 and 14 both ways, signatures made by `openssl dgst` (fixtures),
 * RSASSA-PSS verification, and the SIGNATURE_HASH_ALGORITHMS helpers. */
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "crypto_test.h"

Test(ike_crypto_auth, octets_end_with_prf_of_id)
{
	uint8_t skp[32], out[128], expect[32];
	size_t len = 0;
	ike_id id = {.type = IKE_ID_KEY_ID, .len = 20};
	memset(skp, 0x77, sizeof skp);
	for (int i = 0; i < 20; i++)
		id.data[i] = (uint8_t)i;
	tst_unhex("37283d65ee15d76043883f8899da82200ba61d019916b4c93c67af9181076852", expect, sizeof expect);
	ike_slice msg = IKE_SLICE("message-bytes", 13), nonce = IKE_SLICE("peer-nonce", 10);
	cr_assert(eq(sz, ike_auth_octets_len(IKE_PRF_HMAC_SHA2_256, 13, 10), 55));
	cr_assert(eq(
	    int, ike_auth_octets(IKE_PRF_HMAC_SHA2_256, IKE_SLICE(skp, 32), msg, nonce, &id, out, 54, &len),
	    IKE_ERR_NOBUF));
	cr_assert(eq(int,
	             ike_auth_octets(IKE_PRF_HMAC_SHA2_256, IKE_SLICE(skp, 32), msg, nonce, &id, out,
	                             sizeof out, &len),
	             IKE_OK));
	cr_assert(eq(sz, len, 55));
	cr_assert(eq(int, memcmp(out, "message-bytespeer-nonce", 23), 0));
	cr_assert(eq(u8[32], out + 23, expect));
	/* The raw ID payload body gives the same octets. */
	uint8_t body[24] = {IKE_ID_KEY_ID, 0, 0, 0}, raw[128];
	memcpy(body + 4, id.data, 20);
	size_t rlen = 0;
	cr_assert(eq(int,
	             ike_auth_octets_raw_id(IKE_PRF_HMAC_SHA2_256, IKE_SLICE(skp, 32), msg, nonce,
	                                    IKE_SLICE(body, 24), raw, sizeof raw, &rlen),
	             IKE_OK));
	cr_assert(eq(sz, rlen, 55));
	cr_assert(eq(u8[55], raw, out));
	body[2] = 1; /* a non-zero RESERVED byte changes the MAC */
	cr_assert(eq(int,
	             ike_auth_octets_raw_id(IKE_PRF_HMAC_SHA2_256, IKE_SLICE(skp, 32), msg, nonce,
	                                    IKE_SLICE(body, 24), raw, sizeof raw, &rlen),
	             IKE_OK));
	cr_assert(ne(u8[32], raw + 23, out + 23));
	cr_assert(eq(int,
	             ike_auth_octets_raw_id(IKE_PRF_HMAC_SHA2_256, IKE_SLICE(skp, 32), msg, nonce,
	                                    IKE_SLICE(body, 3), raw, sizeof raw, &rlen),
	             IKE_ERR_INVAL));
}

Test(ike_crypto_auth, psk_matches_independent_value)
{
	uint8_t octets[55], out[64], expect[32];
	size_t len = 0;
	memcpy(octets, "message-bytespeer-nonce", 23);
	memset(octets + 23, 'x', 32);
	tst_unhex("27afff9e22817e79d569e336be19b625a52900bb38369464cb12a70d0cd0a664", expect, sizeof expect);
	ike_slice psk = IKE_SLICE("very secret psk", 15), oct = IKE_SLICE(octets, 55);
	cr_assert(eq(int, ike_auth_psk(IKE_PRF_HMAC_SHA2_256, psk, oct, out, sizeof out, &len), IKE_OK));
	cr_assert(eq(sz, len, 32));
	cr_assert(eq(u8[32], out, expect));
	cr_assert(
	    eq(int, ike_auth_psk_verify(IKE_PRF_HMAC_SHA2_256, psk, oct, IKE_SLICE(expect, 32)), IKE_OK));
	for (size_t i = 0; i < 32; i++) {
		expect[i] ^= 0x80;
		cr_assert(eq(int, ike_auth_psk_verify(IKE_PRF_HMAC_SHA2_256, psk, oct, IKE_SLICE(expect, 32)),
		             IKE_ERR_AUTH),
		          "flip in byte %zu accepted", i);
		expect[i] ^= 0x80;
	}
	cr_assert(eq(int, ike_auth_psk_verify(IKE_PRF_HMAC_SHA2_256, psk, oct, IKE_SLICE(expect, 31)),
	             IKE_ERR_AUTH));
	cr_assert(eq(int,
	             ike_auth_psk_verify(IKE_PRF_HMAC_SHA2_256, IKE_SLICE("very secret psK", 15), oct,
	                                 IKE_SLICE(expect, 32)),
	             IKE_ERR_AUTH));
}

static void sign_verify(uint8_t method, uint16_t hash)
{
	ike_key *priv = tst_load_key("rsa1.key.pem"), *pub = tst_load_key("rsa1.pub.ssh");
	ike_key *other = tst_load_key("rsa2.pub.pem");
	uint8_t octets[100], sig[600];
	size_t len = 0;
	uint16_t used = 0;
	for (size_t i = 0; i < sizeof octets; i++)
		octets[i] = (uint8_t)(i * 3);
	ike_slice oct = IKE_SLICE(octets, sizeof octets);
	cr_assert(le(sz, 256 + 16, ike_auth_sign_max(priv)));
	cr_assert(eq(int, ike_auth_sign(priv, method, hash, oct, sig, sizeof sig, &len), IKE_OK));
	cr_assert(eq(sz, len, method == IKE_AUTH_RSA_SIG ? 256u : 256u + 16u));
	cr_assert(eq(int, ike_auth_verify(pub, method, oct, IKE_SLICE(sig, len), &used), IKE_OK));
	cr_assert(eq(u16, used, method == IKE_AUTH_RSA_SIG ? IKE_HASH_SHA1 : hash));
	/* The private key verifies too (its public half is used). */
	cr_assert(eq(int, ike_auth_verify(priv, method, oct, IKE_SLICE(sig, len), NULL), IKE_OK));
	cr_assert(eq(int, ike_auth_verify(other, method, oct, IKE_SLICE(sig, len), NULL), IKE_ERR_AUTH));
	octets[5] ^= 1;
	cr_assert(eq(int, ike_auth_verify(pub, method, oct, IKE_SLICE(sig, len), NULL), IKE_ERR_AUTH));
	octets[5] ^= 1;
	sig[len - 1] ^= 1;
	cr_assert(eq(int, ike_auth_verify(pub, method, oct, IKE_SLICE(sig, len), NULL), IKE_ERR_AUTH));
	sig[len - 1] ^= 1;
	cr_assert(eq(int, ike_auth_verify(pub, method, oct, IKE_SLICE(sig, len - 1), NULL), IKE_ERR_AUTH));
	/* A public key cannot sign. */
	cr_assert(eq(int, ike_auth_sign(pub, method, hash, oct, sig, sizeof sig, &len), IKE_ERR_INVAL));
	ike_key_free(priv);
	ike_key_free(pub);
	ike_key_free(other);
}

Test(ike_crypto_auth, rsa_method1_signs_and_verifies)
{
	sign_verify(IKE_AUTH_RSA_SIG, 0);
}

Test(ike_crypto_auth, rsa_method14_signs_and_verifies_sha2)
{
	sign_verify(IKE_AUTH_DIGITAL_SIGNATURE, IKE_HASH_SHA2_256);
	sign_verify(IKE_AUTH_DIGITAL_SIGNATURE, IKE_HASH_SHA2_384);
	sign_verify(IKE_AUTH_DIGITAL_SIGNATURE, IKE_HASH_SHA2_512);
}

Test(ike_crypto_auth, method14_header_is_rfc7427_and_bound_to_the_hash)
{
	ike_key *priv = tst_load_key("rsa1.key.pem");
	uint8_t sig[600], expect[16];
	size_t len = 0;
	ike_slice oct = IKE_SLICE("octets", 6);
	tst_unhex("0f 300d06092a864886f70d01010b0500", expect, sizeof expect); /* sha256WithRSAEncryption */
	cr_assert(
	    eq(int,
	       ike_auth_sign(priv, IKE_AUTH_DIGITAL_SIGNATURE, IKE_HASH_SHA2_256, oct, sig, sizeof sig, &len),
	       IKE_OK));
	cr_assert(eq(u8[16], sig, expect));
	/* Claiming sha384 for a sha256 signature fails. */
	sig[13] = 0x0c;
	cr_assert(eq(int, ike_auth_verify(priv, IKE_AUTH_DIGITAL_SIGNATURE, oct, IKE_SLICE(sig, len), NULL),
	             IKE_ERR_AUTH));
	/* Length byte beyond the data, zero, unknown algorithm. */
	sig[13] = 0x0b;
	sig[0] = 0xff;
	cr_assert(eq(int, ike_auth_verify(priv, IKE_AUTH_DIGITAL_SIGNATURE, oct, IKE_SLICE(sig, 10), NULL),
	             IKE_ERR_MALFORMED));
	sig[0] = 0;
	cr_assert(eq(int, ike_auth_verify(priv, IKE_AUTH_DIGITAL_SIGNATURE, oct, IKE_SLICE(sig, len), NULL),
	             IKE_ERR_MALFORMED));
	sig[0] = 0x0f;
	sig[13] = 0x04; /* md5WithRSAEncryption */
	cr_assert(eq(int, ike_auth_verify(priv, IKE_AUTH_DIGITAL_SIGNATURE, oct, IKE_SLICE(sig, len), NULL),
	             IKE_ERR_UNSUPPORTED));
	cr_assert(eq(
	    int,
	    ike_auth_sign(priv, IKE_AUTH_DIGITAL_SIGNATURE, IKE_HASH_SHA1 + 10, oct, sig, sizeof sig, &len),
	    IKE_ERR_INVAL));
	cr_assert(eq(int,
	             ike_auth_sign(priv, IKE_AUTH_DIGITAL_SIGNATURE, IKE_HASH_SHA2_256, oct, sig, 100, &len),
	             IKE_ERR_NOBUF));
	ike_key_free(priv);
}

/* Verifies a signature file made by `openssl dgst` over msg.bin, behind an
 * RFC 7427 header given in hex (or none for method 1). */
static int verify_external(uint8_t method, const char *header_hex, const char *sig_file, const char *key_file)
{
	size_t mlen, slen;
	uint8_t *msg = tst_read_fixture("msg.bin", &mlen), *raw = tst_read_fixture(sig_file, &slen);
	uint8_t data[700];
	size_t hl = header_hex ? tst_unhex(header_hex, data, sizeof data) : 0;
	cr_assert(hl + slen <= sizeof data);
	memcpy(data + hl, raw, slen);
	ike_key *pub = tst_load_key(key_file);
	int rc = ike_auth_verify(pub, method, IKE_SLICE(msg, mlen), IKE_SLICE(data, hl + slen), NULL);
	ike_key_free(pub);
	free(msg);
	free(raw);
	return rc;
}

#define PSS256_HDR(salt)                                                                                     \
	"43 3041 06092a864886f70d01010a 3034 a00f300d0609608648016503040201 0500"                            \
	"a11c301a06092a864886f70d010108300d0609608648016503040201 0500 a203 0201" salt

Test(ike_crypto_auth, verifies_signatures_made_by_openssl)
{
	cr_assert(eq(int, verify_external(IKE_AUTH_RSA_SIG, NULL, "msg.sig.sha1", "rsa1.pub.pem"), IKE_OK));
	cr_assert(eq(int,
	             verify_external(IKE_AUTH_DIGITAL_SIGNATURE, "0f 300d06092a864886f70d01010b0500",
	                             "msg.sig.sha256", "rsa1.pub.der"),
	             IKE_OK));
	/* AlgorithmIdentifier without the NULL parameters is accepted too. */
	cr_assert(eq(int,
	             verify_external(IKE_AUTH_DIGITAL_SIGNATURE, "0d 300b06092a864886f70d01010b",
	                             "msg.sig.sha256", "rsa1.pub.der"),
	             IKE_OK));
	cr_assert(eq(
	    int,
	    verify_external(IKE_AUTH_DIGITAL_SIGNATURE, PSS256_HDR("20"), "msg.sig.pss256", "rsa1.pub.ssh"),
	    IKE_OK));
	/* Wrong key; PSS with another salt length; a PKCS#1 signature labelled PSS. */
	cr_assert(
	    eq(int, verify_external(IKE_AUTH_RSA_SIG, NULL, "msg.sig.sha1", "rsa2.pub.pem"), IKE_ERR_AUTH));
	cr_assert(eq(
	    int,
	    verify_external(IKE_AUTH_DIGITAL_SIGNATURE, PSS256_HDR("40"), "msg.sig.pss256", "rsa1.pub.ssh"),
	    IKE_ERR_AUTH));
	cr_assert(eq(
	    int,
	    verify_external(IKE_AUTH_DIGITAL_SIGNATURE, PSS256_HDR("20"), "msg.sig.sha256", "rsa1.pub.ssh"),
	    IKE_ERR_AUTH));
	/* The SHA-1 signature presented as method 14 sha256. */
	cr_assert(eq(int,
	             verify_external(IKE_AUTH_DIGITAL_SIGNATURE, "0f 300d06092a864886f70d01010b0500",
	                             "msg.sig.sha1", "rsa1.pub.pem"),
	             IKE_ERR_AUTH));
}

Test(ike_crypto_auth, pss_params_are_parsed_strictly)
{
	/* MGF1 hash different from the message hash (sha384), and a truncated SEQUENCE. */
	cr_assert(
	    eq(int,
	       verify_external(IKE_AUTH_DIGITAL_SIGNATURE,
	                       "43 3041 06092a864886f70d01010a 3034 a00f300d0609608648016503040201 0500"
	                       "a11c301a06092a864886f70d010108300d0609608648016503040202 0500 a203 020120",
	                       "msg.sig.pss256", "rsa1.pub.pem"),
	       IKE_ERR_UNSUPPORTED));
	cr_assert(eq(int,
	             verify_external(IKE_AUTH_DIGITAL_SIGNATURE, "0e 3041 06092a864886f70d01010a 3034 a00f",
	                             "msg.sig.pss256", "rsa1.pub.pem"),
	             IKE_ERR_MALFORMED));
	/* PSS without parameters is refused. */
	cr_assert(eq(int,
	             verify_external(IKE_AUTH_DIGITAL_SIGNATURE, "0d 300b 06092a864886f70d01010a",
	                             "msg.sig.pss256", "rsa1.pub.pem"),
	             IKE_ERR_MALFORMED));
}

Test(ike_crypto_auth, signature_hash_notify_helpers)
{
	uint8_t out[16], expect[6];
	size_t len = 0;
	uint32_t mask = 0;
	tst_unhex("0002 0003 0004", expect, sizeof expect);
	cr_assert(eq(int, ike_sig_hashes_encode(ike_sig_hashes_ours(), out, sizeof out, &len), IKE_OK));
	cr_assert(eq(sz, len, 6));
	cr_assert(eq(u8[6], out, expect));
	cr_assert(eq(int, ike_sig_hashes_encode(ike_sig_hashes_ours(), out, 5, &len), IKE_ERR_NOBUF));

	/* strongSwan 5.9 sends SHA2-256/384/512 and IDENTITY (hasher_algorithm_for_ikev2);
	 * SHA1 and an unknown 0x1234 added. */
	uint8_t theirs[12];
	tst_unhex("0001 0002 0003 0004 0005 1234", theirs, sizeof theirs);
	cr_assert(eq(int, ike_sig_hashes_parse(IKE_SLICE(theirs, 12), &mask), IKE_OK));
	cr_assert(
	    eq(u32, mask,
	       IKE_HASH_BIT(1) | IKE_HASH_BIT(2) | IKE_HASH_BIT(3) | IKE_HASH_BIT(4) | IKE_HASH_BIT(5)));
	cr_assert(eq(u16, ike_sig_hash_choose(mask), IKE_HASH_SHA2_256));
	cr_assert(eq(u16, ike_sig_hash_choose(IKE_HASH_BIT(IKE_HASH_SHA2_512)), IKE_HASH_SHA2_512));
	cr_assert(eq(u16, ike_sig_hash_choose(IKE_HASH_BIT(IKE_HASH_SHA1)), 0));
	cr_assert(eq(int, ike_sig_hashes_parse(IKE_SLICE(theirs, 11), &mask), IKE_ERR_MALFORMED));
	cr_assert(eq(int, ike_sig_hashes_parse(IKE_SLICE(NULL, 0), &mask), IKE_OK));
	cr_assert(eq(u32, mask, 0));
}

Test(ike_crypto_auth, hashes_for_nat_detection_and_connectauth)
{
	/* SHA-1("abc") (FIPS 180-2 B.1) in two parts. */
	uint8_t out[20], expect[20];
	size_t len;
	tst_unhex("a9993e364706816aba3e25717850c26c9cd0d89d", expect, sizeof expect);
	ike_slice parts[2] = {IKE_SLICE("a", 1), IKE_SLICE("bc", 2)};
	cr_assert(eq(int, ike_hash(IKE_HASH_SHA1, parts, 2, out, sizeof out, &len), IKE_OK));
	cr_assert(eq(sz, len, 20));
	cr_assert(eq(u8[20], out, expect));
	cr_assert(eq(int, ike_hash(IKE_HASH_SHA1, parts, 2, out, 19, &len), IKE_ERR_NOBUF));
	cr_assert(eq(int, ike_hash(IKE_HASH_IDENTITY, parts, 2, out, 20, &len), IKE_ERR_UNSUPPORTED));
}

/* Our method 14 and method 1 signatures, checked by `openssl dgst -verify`. */
Test(ike_crypto_auth, openssl_verifies_our_signatures)
{
	if (system("openssl version >/dev/null 2>&1") != 0)
		cr_skip_test("openssl command not installed");
	ike_key *priv = tst_load_key("rsa1.key.pkcs8.der");
	char dir[] = "/tmp/ike_crypto_sigXXXXXX", path[128], cmd[512];
	cr_assert(mkdtemp(dir) != NULL);
	static const uint8_t octets[] = "octets to be signed by ike_crypto";
	snprintf(path, sizeof path, "%s/msg", dir);
	FILE *f = fopen(path, "wb");
	cr_assert(f != NULL);
	fwrite(octets, 1, sizeof octets, f);
	fclose(f);
	struct {
		uint8_t method;
		uint16_t hash;
		const char *dgst;
	} cases[] = {{IKE_AUTH_RSA_SIG, 0, "sha1"},
	             {IKE_AUTH_DIGITAL_SIGNATURE, IKE_HASH_SHA2_256, "sha256"},
	             {IKE_AUTH_DIGITAL_SIGNATURE, IKE_HASH_SHA2_512, "sha512"}};
	for (size_t i = 0; i < 3; i++) {
		uint8_t sig[600];
		size_t len = 0, hdr = cases[i].method == IKE_AUTH_RSA_SIG ? 0 : 16;
		cr_assert(eq(int,
		             ike_auth_sign(priv, cases[i].method, cases[i].hash,
		                           IKE_SLICE(octets, sizeof octets), sig, sizeof sig, &len),
		             IKE_OK));
		snprintf(path, sizeof path, "%s/sig", dir);
		f = fopen(path, "wb");
		cr_assert(f != NULL);
		fwrite(sig + hdr, 1, len - hdr, f);
		fclose(f);
		snprintf(cmd, sizeof cmd,
		         "openssl dgst -%s -verify %s/crypto/rsa1.pub.pem -signature %s/sig %s/msg "
		         ">/dev/null 2>&1",
		         cases[i].dgst, TEST_DATA_DIR, dir, dir);
		cr_assert(eq(int, system(cmd), 0), "openssl rejected case %zu", i);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/msg", dir);
	unlink(path);
	rmdir(dir);
	ike_key_free(priv);
}

/* The expected SHA-256 header is the one strongSwan 5.9's signature_params tests
 * build for RSA-PSS SHA-256 (RFC 7427 with the errata: no trailerField). */
Test(ike_crypto_auth, pss_signatures_round_trip_with_strongswan_encoding)
{
	ike_key *priv = tst_load_key("rsa1.key.pem"), *pub = tst_load_key("rsa1.pub.pem");
	ike_key *other = tst_load_key("rsa2.pub.pem");
	static const uint16_t hashes[] = {IKE_HASH_SHA2_256, IKE_HASH_SHA2_384, IKE_HASH_SHA2_512};
	uint8_t sig[700], hdr[68];
	size_t len = 0;
	ike_slice oct = IKE_SLICE("octets", 6);
	cr_assert(eq(sz, tst_unhex(PSS256_HDR("20"), hdr, sizeof hdr), 68));
	for (size_t i = 0; i < 3; i++) {
		uint16_t used = 0;
		cr_assert(eq(int, ike_auth_sign_pss(priv, hashes[i], oct, sig, sizeof sig, &len), IKE_OK));
		cr_assert(eq(sz, len, 68 + 256));
		cr_assert(le(sz, len, ike_auth_sign_max(priv)));
		if (hashes[i] == IKE_HASH_SHA2_256)
			cr_assert(eq(u8[68], sig, hdr),
			          "PSS header differs from strongSwan's (RFC 7427 errata form)");
		cr_assert(
		    eq(int, ike_auth_verify(pub, IKE_AUTH_DIGITAL_SIGNATURE, oct, IKE_SLICE(sig, len), &used),
		       IKE_OK));
		cr_assert(eq(u16, used, hashes[i]));
		cr_assert(eq(
		    int, ike_auth_verify(other, IKE_AUTH_DIGITAL_SIGNATURE, oct, IKE_SLICE(sig, len), NULL),
		    IKE_ERR_AUTH));
		sig[100] ^= 4;
		cr_assert(eq(int,
		             ike_auth_verify(pub, IKE_AUTH_DIGITAL_SIGNATURE, oct, IKE_SLICE(sig, len), NULL),
		             IKE_ERR_AUTH));
	}
	cr_assert(eq(int, ike_auth_sign_pss(priv, IKE_HASH_SHA1, oct, sig, sizeof sig, &len), IKE_ERR_INVAL));
	cr_assert(
	    eq(int, ike_auth_sign_pss(pub, IKE_HASH_SHA2_256, oct, sig, sizeof sig, &len), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_auth_sign_pss(priv, IKE_HASH_SHA2_256, oct, sig, 100, &len), IKE_ERR_NOBUF));
	ike_key_free(priv);
	ike_key_free(pub);
	ike_key_free(other);
}

/* Expected values: Python hashlib.sha1 over the concatenations, recorded here. */
Test(ike_crypto_auth, natd_and_connectauth_hashes)
{
	uint8_t out[20], expect[20];
	ike_addr a4 = {.family = IKE_AF_INET, .ip = {198, 51, 100, 7}, .port = 4500};
	ike_addr a6 = {.family = IKE_AF_INET6, .port = 500};
	tst_unhex("20010db8000000000000000000000001", a6.ip, 16);
	cr_assert(eq(int, ike_natd_hash(0x0102030405060708ull, 0x1112131415161718ull, &a4, out), IKE_OK));
	tst_unhex("09aefdcb65602faed1067c64e3e64e39122f5e3f", expect, 20);
	cr_assert(eq(u8[20], out, expect));
	cr_assert(eq(int, ike_natd_hash(0x0102030405060708ull, 0, &a6, out), IKE_OK));
	tst_unhex("7fa12a60a3a27ef1b3fed26cc6d5b8fbf553292f", expect, 20);
	cr_assert(eq(u8[20], out, expect));
	a4.family = 0;
	cr_assert(eq(int, ike_natd_hash(1, 2, &a4, out), IKE_ERR_INVAL));

	uint8_t cid[4], ep[14], key[16];
	tst_unhex("deadbeef", cid, 4);
	tst_unhex("00ffffff01030101c63364071194", ep, 14);
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	cr_assert(eq(int,
	             ike_me_connectauth(7, IKE_SLICE(cid, 4), IKE_SLICE(ep, 14), IKE_SLICE(key, 16), out),
	             IKE_OK));
	tst_unhex("a93e5b2f69fc5cde88f0417687e26f98f037d9f2", expect, 20);
	cr_assert(eq(u8[20], out, expect));
}
