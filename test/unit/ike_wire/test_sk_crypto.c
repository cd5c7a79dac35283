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
#include <stdio.h>
#include <string.h>

#include "../../fuzz/wire_walk.h"
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

/* ---- real strongSwan IKE_AUTH messages, decrypted with the keys charon logged ---- */

static size_t load_fixture(const char *name, uint8_t *out, size_t cap)
{
	char path[1024], line[256];
	const char *slash = strrchr(__FILE__, '/');
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%.*s/%s", slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".",
	         name);
	f = fopen(path, "r");
	cr_assert(not(eq(ptr, f, NULL)), "cannot open %s", path);
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#')
			continue;
		for (char *p = line; p[0] && p[1] && p[0] != '\n'; p += 2) {
			unsigned v;
			cr_assert(eq(int, sscanf(p, "%2x", &v), 1));
			cr_assert(lt(sz, n, cap));
			out[n++] = (uint8_t)v;
		}
	}
	fclose(f);
	return n;
}

static void open_charon(const char *fixture, const uint8_t key[20], const uint8_t *want, size_t n_want)
{
	static uint8_t pkt[2048], orig[2048], out[2048];
	size_t len = load_fixture(fixture, pkt, sizeof pkt), olen;
	ike_sk_cipher *c = NULL;
	ike_sk_layout l;
	ike_msg m;

	memcpy(orig, pkt, len);
	cr_assert(eq(int,
	             ike_sk_cipher_new(&c, NULL, IKE_ENCR_AES_GCM_16, 128, 0, (ike_slice){key, 20}, WS(0)),
	             IKE_OK));
	cr_assert(eq(int, ike_wire_decode(pkt, len, &m, NULL), IKE_OK));
	cr_assert(eq(u8, m.hdr.exchange, IKE_IKE_AUTH));
	cr_assert(m.sk.present);
	cr_assert(eq(u32, m.pl.n, 1));
	cr_assert(eq(int, ike_wire_reencode(&m, out, sizeof out, &olen), IKE_OK));
	cr_assert(eq(int, memcmp(out, orig, len), 0));
	cr_assert(eq(
	    int, ike_wire_sk_layout(&m, ike_sk_iv_len(c), ike_sk_block_len(c), ike_sk_icv_len(c), &l, NULL),
	    IKE_OK));
	cr_assert(eq(int, ike_sk_decrypt(c, pkt, len, &l), IKE_OK),
	          "charon's ICV did not verify at our offsets");
	cr_assert(eq(int, ike_wire_decode_inner(&m, pkt + l.data_off, l.data_len, NULL), IKE_OK));
	cr_assert(eq(u32, m.inner.n, n_want));
	for (unsigned i = 0; i < m.inner.n; i++) {
		ike_wr w = ike_wr_init(out, sizeof out);
		cr_assert(eq(u8, m.inner.p[i].type, want[i]), "inner payload %u", i);
		cr_assert(eq(int, ww_dec_enc(m.inner.p[i].type, 0, m.inner.p[i].body, &w), IKE_OK),
		          "inner %u", i);
		cr_assert(eq(sz, w.len, m.inner.p[i].body.len));
		cr_assert(eq(int, memcmp(out, m.inner.p[i].body.ptr, w.len), 0),
		          "inner %u re-encodes differently", i);
	}
	ike_sk_cipher_free(c);
}

Test(ike_wire_strongswan, opens_charon_ike_auth_request)
{
	/* [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr N(MOBIKE_SUP) N(NO_ADD_ADDR) N(MULT_AUTH) N(EAP_ONLY)
	 *   N(MSG_ID_SYN_SUP) ] */
	static const uint8_t sk_ei[20] = {0x4c, 0x37, 0xe3, 0x4e, 0x18, 0x9a, 0x43, 0xc1, 0x80, 0x12,
	                                  0x6b, 0xd6, 0xc2, 0x25, 0x60, 0x88, 0x18, 0x62, 0x80, 0x39};
	static const uint8_t want[] = {IKE_IDI, IKE_NOTIFY, IKE_IDR,    IKE_AUTH,   IKE_SA,     IKE_TSI,
	                               IKE_TSR, IKE_NOTIFY, IKE_NOTIFY, IKE_NOTIFY, IKE_NOTIFY, IKE_NOTIFY};
	open_charon("strongswan_ike_auth_req.hex", sk_ei, want, sizeof want);
}

Test(ike_wire_strongswan, opens_charon_ike_auth_response)
{
	/* [ IDr AUTH N(MOBIKE_SUP) N(NO_ADD_ADDR) N(NO_PROP) ] */
	static const uint8_t sk_er[20] = {0x51, 0x3e, 0x3b, 0x84, 0x44, 0xa3, 0x98, 0x52, 0x08, 0x4d,
	                                  0xf6, 0x85, 0xc8, 0x79, 0xa4, 0xff, 0xc2, 0x1a, 0xef, 0x92};
	static const uint8_t want[] = {IKE_IDR, IKE_AUTH, IKE_NOTIFY, IKE_NOTIFY, IKE_NOTIFY};
	open_charon("strongswan_ike_auth_resp.hex", sk_er, want, sizeof want);
}
