/* SPDX-License-Identifier: MIT */
/* SK payload protection: AES-GCM known answers (McGrew-Viega GCM spec test cases
 * 4 and 16), ChaCha20-Poly1305 (RFC 7539 2.8.2), AES-CBC + HMAC round trips, and
 * rejection of every single-bit change of AAD, IV, ciphertext and ICV. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "crypto_test.h"

static const char gcm_p[] = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
static const char gcm_a[] = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

/* Lays out AAD | IV | data | ICV in buf and returns the layout. */
static ike_sk_layout lay_out(const ike_sk_cipher *c, size_t aad_len, size_t data_len)
{
	ike_sk_layout l = {0};
	l.aad_off = 0;
	l.aad_len = aad_len;
	l.iv_off = aad_len;
	l.data_off = aad_len + ike_sk_iv_len(c);
	l.data_len = data_len;
	l.icv_off = l.data_off + data_len;
	return l;
}

static void gcm_case(const char *key_hex, uint16_t bits, const char *c_hex, const char *t_hex)
{
	uint8_t key[36], msg[200], p[60], a[20], expect_c[60], expect_t[16];
	size_t kl = tst_unhex(key_hex, key, sizeof key);
	/* The 12-byte GCM IV cafebabe facedbaddecaf888 = salt (end of key material) | 8-byte IV. */
	kl += tst_unhex("cafebabe", key + kl, sizeof key - kl);
	uint8_t iv[8];
	tst_unhex("facedbaddecaf888", iv, sizeof iv);
	tst_unhex(gcm_p, p, sizeof p);
	tst_unhex(gcm_a, a, sizeof a);
	tst_unhex(c_hex, expect_c, sizeof expect_c);
	tst_unhex(t_hex, expect_t, sizeof expect_t);

	ike_sk_cipher *c = NULL;
	cr_assert(eq(
	    int,
	    ike_sk_cipher_new(&c, NULL, IKE_ENCR_AES_GCM_16, bits, 0, IKE_SLICE(key, kl), IKE_SLICE(NULL, 0)),
	    IKE_OK));
	cr_assert(eq(sz, ike_sk_iv_len(c), 8));
	cr_assert(eq(sz, ike_sk_icv_len(c), 16));
	cr_assert(eq(sz, ike_sk_block_len(c), 1));
	ike_sk_layout l = lay_out(c, 20, 60);
	size_t total = l.icv_off + 16;
	memcpy(msg, a, 20);
	memcpy(msg + l.data_off, p, 60);
	cr_assert(eq(int, ike_sk_encrypt_with_iv(c, msg, total, &l, iv), IKE_OK));
	cr_assert(eq(u8[8], msg + l.iv_off, iv));
	cr_assert(eq(u8[60], msg + l.data_off, expect_c));
	cr_assert(eq(u8[16], msg + l.icv_off, expect_t));
	cr_assert(eq(int, ike_sk_decrypt(c, msg, total, &l), IKE_OK));
	cr_assert(eq(u8[60], msg + l.data_off, p));
	ike_sk_cipher_free(c);
}

Test(ike_crypto_sk, aes_gcm_128_matches_gcm_spec_case4)
{
	gcm_case("feffe9928665731c6d6a8f9467308308", 128,
	         "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac8"
	         "4aa051ba30b396a0aac973d58e091",
	         "5bc94fbc3221a5db94fae95ae7121a47");
}

Test(ike_crypto_sk, aes_gcm_256_matches_gcm_spec_case16)
{
	gcm_case("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", 256,
	         "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10568"
	         "28838c5f61e6393ba7a0abcc9f662",
	         "76fc6ece0f4e1768cddf8853bb2d551b");
}

Test(ike_crypto_sk, chacha20_poly1305_matches_rfc7539)
{
	static const char text[] =
	    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
	    "the future, sunscreen would be it.";
	uint8_t key[36], msg[300], iv[8], expect[114 + 16];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	tst_unhex("07000000", key + 32, 4); /* nonce = 07000000 | 4041424344454647 */
	tst_unhex("4041424344454647", iv, 8);
	tst_unhex(
	    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
	    "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	    "3ff4def08e4b7a9de576d26586cec64b61161ae10b594f09e26a7e902ecbd0600691",
	    expect, sizeof expect);
	ike_sk_cipher *c = NULL;
	cr_assert(eq(int,
	             ike_sk_cipher_new(&c, NULL, IKE_ENCR_CHACHA20_POLY1305, 0, 0, IKE_SLICE(key, 36),
	                               IKE_SLICE(NULL, 0)),
	             IKE_OK));
	ike_sk_layout l = lay_out(c, 12, 114);
	tst_unhex("50515253c0c1c2c3c4c5c6c7", msg, 12);
	memcpy(msg + l.data_off, text, 114);
	cr_assert(eq(int, ike_sk_encrypt_with_iv(c, msg, l.icv_off + 16, &l, iv), IKE_OK));
	cr_assert(eq(u8[114], msg + l.data_off, expect));
	cr_assert(eq(u8[16], msg + l.icv_off, expect + 114));
	cr_assert(eq(int, ike_sk_decrypt(c, msg, l.icv_off + 16, &l), IKE_OK));
	cr_assert(eq(int, memcmp(msg + l.data_off, text, 114), 0));
	ike_sk_cipher_free(c);
}

/* Builds a cipher pair (sender, receiver) from the same keys. */
static void make_pair(uint16_t encr, uint16_t bits, uint16_t integ, ike_sk_cipher **tx, ike_sk_cipher **rx)
{
	uint8_t ek[36], ik[64];
	size_t el = ike_encr_keymat_len(encr, bits), il = integ ? ike_integ_key_len(integ) : 0;
	cr_assert(el > 0);
	for (size_t i = 0; i < sizeof ek; i++)
		ek[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof ik; i++)
		ik[i] = (uint8_t)(i * 13 + 5);
	cr_assert(eq(int,
	             ike_sk_cipher_new(tx, NULL, encr, bits, integ, IKE_SLICE(ek, el), IKE_SLICE(ik, il)),
	             IKE_OK));
	cr_assert(eq(int,
	             ike_sk_cipher_new(rx, NULL, encr, bits, integ, IKE_SLICE(ek, el), IKE_SLICE(ik, il)),
	             IKE_OK));
}

/* Encrypts a 28-byte IKE header + 4-byte SK header + 37 bytes of payloads, then
 * checks the round trip and that every one-bit change anywhere is rejected. */
static void round_trip_and_tamper(uint16_t encr, uint16_t bits, uint16_t integ, size_t icv_expect)
{
	ike_sk_cipher *tx, *rx;
	uint8_t msg[256], orig[256], plain[64];
	make_pair(encr, bits, integ, &tx, &rx);
	cr_assert(eq(sz, ike_sk_icv_len(tx), icv_expect));
	size_t inner = 37, pad = ike_sk_pad_len(tx, inner);
	size_t data_len = inner + pad + 1;
	cr_assert(eq(sz, data_len % ike_sk_block_len(tx), 0));
	cr_assert(eq(sz, ike_sk_overhead(tx, inner), ike_sk_iv_len(tx) + pad + 1 + icv_expect));
	ike_sk_layout l = lay_out(tx, 32, data_len);
	size_t total = l.icv_off + ike_sk_icv_len(tx);
	for (size_t i = 0; i < 32; i++)
		msg[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < inner; i++)
		msg[l.data_off + i] = (uint8_t)i;
	memset(msg + l.data_off + inner, 0, pad);
	msg[l.data_off + inner + pad] = (uint8_t)pad;
	memcpy(plain, msg + l.data_off, data_len);

	cr_assert(eq(int, ike_sk_encrypt(tx, msg, total, &l), IKE_OK));
	cr_assert(ne(int, memcmp(msg + l.data_off, plain, data_len), 0), "data not encrypted");
	memcpy(orig, msg, total);
	cr_assert(eq(int, ike_sk_decrypt(rx, msg, total, &l), IKE_OK));
	cr_assert(eq(int, memcmp(msg + l.data_off, plain, data_len), 0));

	for (size_t byte = 0; byte < total; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(msg, orig, total);
			msg[byte] ^= (uint8_t)(1u << bit);
			int rc = ike_sk_decrypt(rx, msg, total, &l);
			cr_assert(eq(int, rc, IKE_ERR_INTEGRITY), "flip of byte %zu bit %d accepted (%s)",
			          byte, bit, ike_err_name(rc));
		}
	}
	/* The original still decrypts after all those failures. */
	memcpy(msg, orig, total);
	cr_assert(eq(int, ike_sk_decrypt(rx, msg, total, &l), IKE_OK));
	ike_sk_cipher_free(tx);
	ike_sk_cipher_free(rx);
}

Test(ike_crypto_sk, aes_cbc_sha256_round_trip_and_rejects_every_bit_flip)
{
	round_trip_and_tamper(IKE_ENCR_AES_CBC, 128, IKE_AUTH_HMAC_SHA2_256_128, 16);
}

Test(ike_crypto_sk, aes_cbc_sha384_round_trip_and_rejects_every_bit_flip)
{
	round_trip_and_tamper(IKE_ENCR_AES_CBC, 256, IKE_AUTH_HMAC_SHA2_384_192, 24);
}

Test(ike_crypto_sk, aes_cbc_sha512_round_trip_and_rejects_every_bit_flip)
{
	round_trip_and_tamper(IKE_ENCR_AES_CBC, 256, IKE_AUTH_HMAC_SHA2_512_256, 32);
}

Test(ike_crypto_sk, aes_cbc_sha1_round_trip_and_rejects_every_bit_flip)
{
	round_trip_and_tamper(IKE_ENCR_AES_CBC, 128, IKE_AUTH_HMAC_SHA1_96, 12);
}

Test(ike_crypto_sk, aes_gcm_round_trip_and_rejects_every_bit_flip)
{
	round_trip_and_tamper(IKE_ENCR_AES_GCM_16, 256, 0, 16);
	round_trip_and_tamper(IKE_ENCR_AES_GCM_16, 128, 0, 16);
}

Test(ike_crypto_sk, chacha20_poly1305_round_trip_and_rejects_every_bit_flip)
{
	round_trip_and_tamper(IKE_ENCR_CHACHA20_POLY1305, 0, 0, 16);
}

Test(ike_crypto_sk, gcm_failure_leaves_no_plaintext)
{
	ike_sk_cipher *tx, *rx;
	uint8_t msg[128];
	make_pair(IKE_ENCR_AES_GCM_16, 128, 0, &tx, &rx);
	ike_sk_layout l = lay_out(tx, 32, 40);
	size_t total = l.icv_off + 16;
	memset(msg, 0x41, sizeof msg);
	cr_assert(eq(int, ike_sk_encrypt(tx, msg, total, &l), IKE_OK));
	msg[l.icv_off] ^= 1;
	cr_assert(eq(int, ike_sk_decrypt(rx, msg, total, &l), IKE_ERR_INTEGRITY));
	for (size_t i = 0; i < 40; i++)
		cr_assert(ne(u8, msg[l.data_off + i], 0x41), "plaintext byte %zu left in the buffer", i);
	ike_sk_cipher_free(tx);
	ike_sk_cipher_free(rx);
}

Test(ike_crypto_sk, ivs_are_fresh_for_each_message)
{
	ike_sk_cipher *tx, *rx;
	uint8_t a[128] = {0}, b[128] = {0};
	make_pair(IKE_ENCR_AES_GCM_16, 128, 0, &tx, &rx);
	ike_sk_layout l = lay_out(tx, 32, 16);
	size_t total = l.icv_off + 16;
	cr_assert(eq(int, ike_sk_encrypt(tx, a, total, &l), IKE_OK));
	cr_assert(eq(int, ike_sk_encrypt(tx, b, total, &l), IKE_OK));
	cr_assert(ne(u8[8], a + l.iv_off, b + l.iv_off));
	ike_sk_cipher_free(tx);
	ike_sk_cipher_free(rx);
}

Test(ike_crypto_sk, rejects_bad_layouts_and_keys)
{
	ike_sk_cipher *tx, *rx, *c = NULL;
	uint8_t msg[128] = {0}, key[64] = {0};
	make_pair(IKE_ENCR_AES_CBC, 128, IKE_AUTH_HMAC_SHA2_256_128, &tx, &rx);
	ike_sk_layout l = lay_out(tx, 32, 32);
	size_t total = l.icv_off + 16;
	ike_sk_layout bad = l;
	bad.data_len = 31; /* not a multiple of the block */
	bad.icv_off = bad.data_off + 31;
	cr_assert(eq(int, ike_sk_encrypt(tx, msg, total, &bad), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_sk_decrypt(rx, msg, total, &bad), IKE_ERR_INVAL));
	bad = l;
	bad.iv_off += 1; /* not contiguous */
	cr_assert(eq(int, ike_sk_encrypt(tx, msg, total, &bad), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_sk_encrypt(tx, msg, total - 1, &l), IKE_ERR_INVAL)); /* ICV out of the buffer */
	bad = l;
	bad.aad_len = SIZE_MAX; /* overflow attempt */
	cr_assert(eq(int, ike_sk_decrypt(rx, msg, total, &bad), IKE_ERR_INVAL));
	ike_sk_cipher_free(tx);
	ike_sk_cipher_free(rx);

	/* Key material of the wrong size, AEAD with integrity, CBC without. */
	cr_assert(eq(
	    int,
	    ike_sk_cipher_new(&c, NULL, IKE_ENCR_AES_GCM_16, 128, 0, IKE_SLICE(key, 16), IKE_SLICE(NULL, 0)),
	    IKE_ERR_INVAL));
	cr_assert(eq(int,
	             ike_sk_cipher_new(&c, NULL, IKE_ENCR_AES_GCM_16, 128, IKE_AUTH_HMAC_SHA2_256_128,
	                               IKE_SLICE(key, 20), IKE_SLICE(key, 32)),
	             IKE_ERR_INVAL));
	cr_assert(
	    eq(int,
	       ike_sk_cipher_new(&c, NULL, IKE_ENCR_AES_CBC, 128, 0, IKE_SLICE(key, 16), IKE_SLICE(NULL, 0)),
	       IKE_ERR_INVAL));
	cr_assert(eq(int,
	             ike_sk_cipher_new(&c, NULL, IKE_ENCR_AES_CBC, 128, IKE_AUTH_HMAC_SHA2_256_128,
	                               IKE_SLICE(key, 16), IKE_SLICE(key, 31)),
	             IKE_ERR_INVAL));
	cr_assert(eq(int,
	             ike_sk_cipher_new(&c, NULL, 3 /* 3DES */, 192, IKE_AUTH_HMAC_SHA2_256_128,
	                               IKE_SLICE(key, 24), IKE_SLICE(key, 32)),
	             IKE_ERR_UNSUPPORTED));
	cr_assert(eq(ptr, c, NULL));
}

Test(ike_crypto_sk, cbc_padding_fills_the_block)
{
	ike_sk_cipher *tx, *rx;
	make_pair(IKE_ENCR_AES_CBC, 128, IKE_AUTH_HMAC_SHA2_256_128, &tx, &rx);
	cr_assert(eq(sz, ike_sk_pad_len(tx, 15), 0));
	cr_assert(eq(sz, ike_sk_pad_len(tx, 16), 15));
	cr_assert(eq(sz, ike_sk_pad_len(tx, 0), 15));
	cr_assert(eq(sz, ike_sk_overhead(tx, 15), 16 + 0 + 1 + 16));
	ike_sk_cipher_free(tx);
	ike_sk_cipher_free(rx);
}

Test(ike_crypto_sk, sa_ciphers_pair_initiator_with_responder)
{
	uint8_t g[32] = {9}, ni[16] = {1}, nr[16] = {2}, msg[128];
	ike_sa_keys keys;
	ike_crypto_suite s = {IKE_ENCR_AES_CBC, 256, IKE_AUTH_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256, 0};
	ike_sk_cipher *i_tx, *i_rx, *r_tx, *r_rx;
	cr_assert(eq(
	    int, ike_sa_keys_derive(&keys, &s, IKE_SLICE(g, 32), IKE_SLICE(ni, 16), IKE_SLICE(nr, 16), 1, 2),
	    IKE_OK));
	cr_assert(eq(int, ike_sa_sk_ciphers(&keys, &s, true, NULL, &i_tx, &i_rx), IKE_OK));
	cr_assert(eq(int, ike_sa_sk_ciphers(&keys, &s, false, NULL, &r_tx, &r_rx), IKE_OK));
	ike_sk_layout l = lay_out(i_tx, 32, 32);
	size_t total = l.icv_off + ike_sk_icv_len(i_tx);
	memset(msg, 0x5a, sizeof msg);
	msg[l.data_off + 31] = 3; /* pad length */
	/* initiator -> responder works; initiator's own rx key does not open it. */
	cr_assert(eq(int, ike_sk_encrypt(i_tx, msg, total, &l), IKE_OK));
	uint8_t copy[128];
	memcpy(copy, msg, sizeof copy);
	cr_assert(eq(int, ike_sk_decrypt(i_rx, copy, total, &l), IKE_ERR_INTEGRITY));
	cr_assert(eq(int, ike_sk_decrypt(r_rx, msg, total, &l), IKE_OK));
	size_t inner = 0;
	cr_assert(eq(int, ike_sk_strip_padding(msg + l.data_off, l.data_len, &inner), IKE_OK));
	cr_assert(eq(sz, inner, 28));
	/* responder -> initiator. */
	cr_assert(eq(int, ike_sk_encrypt(r_tx, msg, total, &l), IKE_OK));
	cr_assert(eq(int, ike_sk_decrypt(i_rx, msg, total, &l), IKE_OK));
	/* Suite that does not fit the keys. */
	ike_crypto_suite other = {IKE_ENCR_AES_GCM_16, 128, 0, IKE_PRF_HMAC_SHA2_256, 0};
	ike_sk_cipher *x = (ike_sk_cipher *)1, *y = (ike_sk_cipher *)1;
	cr_assert(eq(int, ike_sa_sk_ciphers(&keys, &other, true, NULL, &x, &y), IKE_ERR_INVAL));
	cr_assert(eq(ptr, x, NULL));
	cr_assert(eq(ptr, y, NULL));
	ike_sk_cipher_free(i_tx);
	ike_sk_cipher_free(i_rx);
	ike_sk_cipher_free(r_tx);
	ike_sk_cipher_free(r_rx);
}

Test(ike_crypto_sk, strip_padding_checks_pad_length)
{
	uint8_t d[8] = {1, 2, 3, 4, 0, 0, 0, 3};
	size_t inner = 99;
	cr_assert(eq(int, ike_sk_strip_padding(d, 8, &inner), IKE_OK));
	cr_assert(eq(sz, inner, 4));
	d[7] = 7;
	cr_assert(eq(int, ike_sk_strip_padding(d, 8, &inner), IKE_OK));
	cr_assert(eq(sz, inner, 0));
	d[7] = 8;
	cr_assert(eq(int, ike_sk_strip_padding(d, 8, &inner), IKE_ERR_MALFORMED));
	cr_assert(eq(int, ike_sk_strip_padding(d, 0, &inner), IKE_ERR_MALFORMED));
}

Test(ike_crypto_sk, aes_gcm_8_and_12_use_shorter_icvs)
{
	round_trip_and_tamper(IKE_ENCR_AES_GCM_8, 128, 0, 8);
	round_trip_and_tamper(IKE_ENCR_AES_GCM_12, 256, 0, 12);
}
