/* SPDX-License-Identifier: MIT */
/*
 * The SK layout contract with ike_crypto: a message built with the builder and
 * sealed by ike_sk_encrypt() at the builder's offsets opens with
 * ike_sk_decrypt() at the offsets ike_wire_sk_layout() computes from the
 * received bytes, and its inner payloads decode back. AES-GCM-16 and AES-CBC +
 * HMAC-SHA2-256-128; a flipped bit in the header (AAD / HMAC input) fails.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "ike/crypto.h"
#include "wire_samples.h"

static void seal_and_open(uint16_t encr, uint16_t integ, size_t ek_len, size_t ik_len)
{
	uint8_t ek[64], ik[64], pkt[1024];
	ike_sk_cipher *c = NULL;
	ike_hdr h = {
	    .spi_i = 11, .spi_r = 22, .version = IKE_VERSION_2, .exchange = IKE_INFORMATIONAL, .mid = 4};
	ike_msg_builder b;
	ike_sk_layout ls, lr;
	ike_msg m;
	ike_delete_pld d;
	size_t len;

	for (size_t i = 0; i < sizeof ek; i++) {
		ek[i] = (uint8_t)i;
		ik[i] = (uint8_t)(0x80 + i);
	}
	cr_assert(eq(int,
	             ike_sk_cipher_new(&c, NULL, encr, encr == IKE_ENCR_AES_CBC ? 128 : 128, integ,
	                               (ike_slice){ek, ek_len}, (ike_slice){ik, ik_len}),
	             IKE_OK));
	ike_mb_init(&b, pkt, sizeof pkt, &h);
	cr_assert(eq(int, ike_mb_begin_sk(&b, ike_sk_iv_len(c)), IKE_OK));
	cr_assert(eq(int,
	             ike_mb_add_delete(
	                 &b, &(ike_delete_pld){.proto = IKE_PROTO_ESP, .spi_len = 4, .n = 1, .spis = WS(4)}),
	             IKE_OK));
	cr_assert(eq(int, ike_mb_add_notify_simple(&b, IKE_ME_CONNECTID, WS(4)), IKE_OK));
	cr_assert(eq(int, ike_mb_finish_sk(&b, ike_sk_block_len(c), ike_sk_icv_len(c), &ls, &len), IKE_OK));
	cr_assert(eq(sz, len - ls.icv_off, ike_sk_icv_len(c)));
	cr_assert(eq(int, ike_sk_encrypt(c, pkt, len, &ls), IKE_OK));

	cr_assert(eq(int, ike_wire_decode(pkt, len, &m, NULL), IKE_OK));
	cr_assert(eq(
	    int, ike_wire_sk_layout(&m, ike_sk_iv_len(c), ike_sk_block_len(c), ike_sk_icv_len(c), &lr, NULL),
	    IKE_OK));
	cr_assert(eq(int, memcmp(&ls, &lr, sizeof ls), 0), "receiver layout differs from the sender's");
	cr_assert(eq(int, ike_sk_decrypt(c, pkt, len, &lr), IKE_OK));
	cr_assert(eq(int, ike_wire_decode_inner(&m, pkt + lr.data_off, lr.data_len, NULL), IKE_OK));
	cr_assert(eq(u32, m.inner.n, 2));
	cr_assert(eq(u8, m.inner.p[0].type, IKE_DELETE));
	cr_assert(eq(int, ike_delete_decode(m.inner.p[0].body, &d, NULL), IKE_OK));
	cr_assert(eq(u32, ike_delete_spi32(&d, 0), 0x01020304));

	/* Sealed again, then the message ID changed: the AAD / HMAC input differs. */
	ike_mb_init(&b, pkt, sizeof pkt, &h);
	cr_assert(eq(int, ike_mb_begin_sk(&b, ike_sk_iv_len(c)), IKE_OK));
	cr_assert(eq(int, ike_mb_finish_sk(&b, ike_sk_block_len(c), ike_sk_icv_len(c), &ls, &len), IKE_OK));
	cr_assert(eq(int, ike_sk_encrypt(c, pkt, len, &ls), IKE_OK));
	pkt[23] ^= 1;
	cr_assert(eq(int, ike_wire_decode(pkt, len, &m, NULL), IKE_OK));
	cr_assert(eq(
	    int, ike_wire_sk_layout(&m, ike_sk_iv_len(c), ike_sk_block_len(c), ike_sk_icv_len(c), &lr, NULL),
	    IKE_OK));
	cr_assert(eq(int, ike_sk_decrypt(c, pkt, len, &lr), IKE_ERR_INTEGRITY));
	ike_sk_cipher_free(c);
}

Test(ike_wire_sk, layout_matches_crypto_for_aes_gcm)
{
	seal_and_open(IKE_ENCR_AES_GCM_16, 0, 20, 0);
}

Test(ike_wire_sk, layout_matches_crypto_for_aes_cbc_hmac)
{
	seal_and_open(IKE_ENCR_AES_CBC, IKE_AUTH_HMAC_SHA2_256_128, 16, 32);
}
