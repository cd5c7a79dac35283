/* SPDX-License-Identifier: MIT */
/*
 * Known-answer tests.
 * - AES-GCM: the ESP packets of draft-mcgrew-gcm-test-01 section 4 (key, salt,
 *   SPI, sequence number, IV, plaintext ESP payload and the full packet).
 *   Their payloads carry next header 1 (not tunnel mode), so the public
 *   ike_esp_open() must authenticate them, then refuse them with
 *   IKE_ERR_BAD_NEXT_HEADER; the raw layer is checked byte for byte both ways.
 * - ChaCha20-Poly1305: RFC 7634 Appendix A (a real tunnel-mode ICMP packet).
 * - AES-128-CBC + HMAC-SHA2-256-128: a vector made with the OpenSSL command line
 *   (see cbc_sha256_vector below for the exact commands).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "esp_int.h"
#include "esp_test.h"

typedef struct gcm_vec {
	const char *key; /* cipher key || 4-byte salt */
	uint32_t spi;
	uint64_t seq;
	bool esn;
	const char *iv, *plain, *packet;
} gcm_vec;

static const gcm_vec gcm_vecs[] = {
    /* Case 2: AES-128, 32-bit sequence number. */
    {"feffe9928665731c6d6a8f9467308308 cafebabe", 0x0000a5f8, 0x0a, false, "facedbaddecaf888",
     "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100"
     "0001000000000000037369700963796265726369747902646b00000100010001",
     "0000a5f80000000afacedbaddecaf888deb22cd9b07c72c16e3a65beeb8df304"
     "a5a5897d33ae530f1ba76d5d114d2a5c3de81827c10e9a4f51330d0eec416642"
     "cfbb85a5b47e48a4ec3b9ba95d918bd183b70d3aa8bc6ee4c309e9d85a41ad4a"},
    /* Case 3: AES-256. */
    {"abbccddef00112233445566778899aababbccddef00112233445566778899aab 11223344", 0x4a2cbfe3, 2, false,
     "0102030405060708",
     "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
     "7002400020bf0000020405b40101040201020201",
     "4a2cbfe3000000020102030405060708ff425c9b724599df7a3bcd510194e00d"
     "6a78107f1b0b1cbf06efae9d65a5d763748a637985771d347f0545659f14e99d"
     "ef842d8eb335f4eecfdbf831824b4c4915956c96"},
    /* Case 7: AES-192. */
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c cafebabe", 0x0000a5f8, 0x0a, false, "facedbaddecaf888",
     "45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e501016d075680001",
     "0000a5f80000000afacedbaddecaf888a5b1f8066029aea40e598b8122de0242"
     "0938b3ab33f828e687b8858b5bfbdbd0315b27452144cc7795457b9652037f53"
     "18027b5b4cd7a636"},
    /* Case 12: the last 32-bit sequence number, an empty payload. */
    {"7d773d00c144c525ac619d18c84a3f47 d9664267", 0x335467ae, 0xffffffff, false, "43457e9182443bc6",
     "01020201", "335467aeffffffff43457e9182443bc6437f866bcb3f699fe9b0822bac961c4504bef270"},
    /* Case 1: ESN, AES-128. */
    {"4c80cdefbb5d10da906ac73c3613a634 2e443b68", 0x00004321, UINT64_C(0x8765432100000000), true,
     "4956ed7e3b244cfe",
     "45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000"
     "00000000045f736970045f75647003736970096379626572636974790264"
     "6b0000210001 01020201",
     "00004321000000004956ed7e3b244cfefecf537e729d5b07dc30df528dd22b76"
     "8d1b98736696a6fd348509fa13ceac34cfa2436f14a3f3cf65925bf1f4a13c5d"
     "15b21e1884f5ff6247aeabb786b93bce61bc17d768fd9732459018148f6cbe72"
     "2fd04796562dfdb4"},
    /* Case 5: ESN. */
    {"3de09874b388e6491988d0c3607eae1f 57690e43", 0x42f67e3f, UINT64_C(0x1010101010101010), true,
     "4e280000a2fca1a3",
     "4500003c99c300008001cb7c40679318010101010800085c0200430061626364"
     "65666768696a6b6c6d6e6f70717273747576776162636465666768690102 0201",
     "42f67e3f101010104e280000a2fca1a3fba2caa4853cf9f0f22cb10d86dd83b0"
     "fec75691cf1a04b00d1138ec9c35791765acbd8701ad79845bf9fe3fba487bc9"
     "1755e6662b4c8d0d1f5e22739530320ae0d731cc978ecafaeae88f00e80d6e48"},
    /* Case 8: ESN with sequence number 1. */
    {"abbccddef00112233445566778899aab decaf888", 0x00000100, 1, true, "cafedebaceface74",
     "4500004933ba00007f119106c3fb1d10c2b1d326c02831ce0035dd7b800302d5"
     "00004e20001e8c18d75b81dc91baa0476b91b924b280389d92c963bac046ec95"
     "9b6266c04722b14923010101",
     "0000010000000001cafedebaceface7418a6fd42f72cbf4ab2a2ea901f73d814"
     "e3e7f243d95412e1c349c1d2fbec168f9190feebaf2cb01984e65863965d7472"
     "b79da345e0e780191f0d2f0e0f496c226f2127b27db35724e7845d68651f57e6"
     "5f354f75ff17015769623436"},
    /* Case 13: ESN, AES-256, the last 64-bit sequence number. */
    {"6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961 7475726e", 0x796b6963, UINT64_MAX,
     true, "333021696765746d",
     "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
     "65666768696a6b6c6d6e6f707172737401020201",
     "796b6963ffffffff333021696765746df97ab2aa356d8edce17644ac8c78e25d"
     "d24dedbb29ebf1b64a274b39b49c3a864cd3d78ca4ae68a32b42458fb57dbe82"
     "1dcc63b9d0937ba2945f669368661a329fb4c053"},
};

static ike_esp_sa *vec_sa(const gcm_vec *v, ike_esp_dir dir, uint8_t *key, size_t *klen)
{
	ike_esp_sa *sa = NULL;
	ike_esp_cfg cfg;

	*klen = et_unhex(v->key, key, 40);
	cfg = (ike_esp_cfg){
	    .spi = v->spi, .encr = IKE_ENCR_AES_GCM_16, .encr_key = {key, *klen}, .esn = v->esn};
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, dir, NULL), IKE_OK));
	return sa;
}

Test(esp_vectors, gcm_draft_packets_seal_byte_for_byte)
{
	for (size_t i = 0; i < sizeof gcm_vecs / sizeof gcm_vecs[0]; i++) {
		const gcm_vec *v = &gcm_vecs[i];
		uint8_t key[40], iv[8], plain[128], want[256], got[256];
		size_t klen, plen = et_unhex(v->plain, plain, sizeof plain);
		size_t wlen = et_unhex(v->packet, want, sizeof want), glen = 0;
		ike_esp_sa *sa = vec_sa(v, IKE_ESP_OUT, key, &klen);

		et_unhex(v->iv, iv, sizeof iv);
		cr_assert(eq(int, esp_seal_raw(sa, got, sizeof got, v->seq, iv, plain, plen, &glen), IKE_OK),
		          "vector %zu", i);
		cr_assert(eq(sz, glen, wlen), "vector %zu", i);
		cr_assert(eq(int, memcmp(got, want, wlen), 0), "vector %zu differs", i);
		ike_esp_sa_free(sa);
	}
}

Test(esp_vectors, gcm_draft_packets_open_to_their_plaintext)
{
	for (size_t i = 0; i < sizeof gcm_vecs / sizeof gcm_vecs[0]; i++) {
		const gcm_vec *v = &gcm_vecs[i];
		uint8_t key[40], plain[128], pkt[256];
		size_t klen, plen = et_unhex(v->plain, plain, sizeof plain);
		size_t len = et_unhex(v->packet, pkt, sizeof pkt), got = 0;
		ike_esp_sa *sa = vec_sa(v, IKE_ESP_IN, key, &klen);

		cr_assert(eq(int, esp_open_raw(sa, pkt, len, v->seq, &got), IKE_OK), "vector %zu", i);
		cr_assert(eq(sz, got, plen), "vector %zu", i);
		cr_assert(eq(int, memcmp(pkt + 16, plain, plen), 0), "vector %zu", i);
		ike_esp_sa_free(sa);
	}
}

Test(esp_vectors, gcm_draft_packets_authenticate_then_fail_tunnel_next_header)
{
	/* Through the public API: seq inference (ESN ones with a fresh window
	 * only where the high half is 0), ICV, window update, then next header 1. */
	for (size_t i = 0; i < sizeof gcm_vecs / sizeof gcm_vecs[0]; i++) {
		const gcm_vec *v = &gcm_vecs[i];
		uint8_t key[40], pkt[256], nh = 0;
		size_t klen, len = et_unhex(v->packet, pkt, sizeof pkt), off = 0, ilen = 0;
		ike_esp_sa *sa;

		if (v->seq >> 32)
			continue; /* a fresh window infers high half 0 */
		sa = vec_sa(v, IKE_ESP_IN, key, &klen);
		cr_assert(eq(int, ike_esp_open(sa, pkt, len, &off, &ilen, &nh), IKE_ERR_BAD_NEXT_HEADER),
		          "vector %zu", i);
		cr_assert(eq(u64, ike_esp_sa_seq(sa), v->seq), "authentic: the window moved");
		cr_assert(eq(u64, ike_esp_sa_stats(sa)->drop_next_header, 1));
		cr_assert(eq(u64, ike_esp_sa_stats(sa)->packets, 0));
		ike_esp_sa_free(sa);
	}
}

Test(esp_vectors, gcm_draft_packet_with_one_bit_changed_fails_integrity)
{
	const gcm_vec *v = &gcm_vecs[0];
	uint8_t key[40], pkt[256], nh = 0;
	size_t klen, len = et_unhex(v->packet, pkt, sizeof pkt), off = 0, ilen = 0;
	ike_esp_sa *sa = vec_sa(v, IKE_ESP_IN, key, &klen);

	pkt[len - 1] ^= 1;
	cr_assert(eq(int, ike_esp_open(sa, pkt, len, &off, &ilen, &nh), IKE_ERR_INTEGRITY));
	cr_assert(eq(u64, ike_esp_sa_seq(sa), 0));
	ike_esp_sa_free(sa);
}

/* RFC 7634 Appendix A: ESP with ChaCha20-Poly1305 in tunnel mode. */
static const char chacha_key[] = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f a0a1a2a3";
static const char chacha_plain[] =
    "4500 0054 a6f2 0000 4001 e778 c633 6405 c000 0205 0800 5b7a 3a08 0000 553b ec10"
    "0007 3627 0809 0a0b 0c0d 0e0f 1011 1213 1415 1617 1819 1a1b 1c1d 1e1f 2021 2223"
    "2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435 3637 0102 0204";
static const char chacha_packet[] =
    "01020304 00000005 1011121314151617"
    "24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6"
    "14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3"
    "cbec163fac469b502773f6fb94e664da9165b82829f641e0 76aaa8266b7fb0f7b11b369907e1ad43";

Test(esp_vectors, chacha20_poly1305_rfc7634_opens_to_icmp_packet)
{
	uint8_t key[36], pkt[256], plain[128], nh = 0;
	size_t len = et_unhex(chacha_packet, pkt, sizeof pkt),
	       plen = et_unhex(chacha_plain, plain, sizeof plain);
	size_t off = 0, ilen = 0;
	ike_esp_sa *sa = NULL;
	ike_esp_cfg cfg = {.spi = 0x01020304,
	                   .encr = IKE_ENCR_CHACHA20_POLY1305,
	                   .encr_key = {key, et_unhex(chacha_key, key, sizeof key)}};

	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_OK));
	cr_assert(eq(int, ike_esp_open(sa, pkt, len, &off, &ilen, &nh), IKE_OK));
	cr_assert(eq(u8, nh, IKE_ESP_NH_IPV4));
	cr_assert(eq(sz, off, 16));
	cr_assert(eq(sz, ilen, 84)); /* the IPv4 total length */
	cr_assert(eq(sz, plen, 88)); /* 84 + padding 1 2, pad length, next header */
	cr_assert(eq(int, memcmp(pkt + off, plain, ilen), 0));
	cr_assert(eq(u64, ike_esp_sa_seq(sa), 5));
	cr_assert(eq(u64, ike_esp_sa_stats(sa)->bytes, 84));
	ike_esp_sa_free(sa);
}

Test(esp_vectors, chacha20_poly1305_rfc7634_seals_byte_for_byte)
{
	uint8_t key[36], iv[8], plain[128], want[256], got[256];
	size_t plen = et_unhex(chacha_plain, plain, sizeof plain),
	       wlen = et_unhex(chacha_packet, want, sizeof want);
	size_t glen = 0;
	ike_esp_sa *sa = NULL;
	ike_esp_cfg cfg = {.spi = 0x01020304,
	                   .encr = IKE_ENCR_CHACHA20_POLY1305,
	                   .encr_key = {key, et_unhex(chacha_key, key, sizeof key)}};

	et_unhex("1011121314151617", iv, sizeof iv);
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_OUT, NULL), IKE_OK));
	cr_assert(eq(int, esp_seal_raw(sa, got, sizeof got, 5, iv, plain, plen, &glen), IKE_OK));
	cr_assert(eq(sz, glen, wlen));
	cr_assert(eq(int, memcmp(got, want, wlen), 0));
	ike_esp_sa_free(sa);
}

/*
 * cbc_sha256_vector: made independently with the OpenSSL 3.0 command line:
 *   INNER=4500001b00010000400100000a0000010a0000020800f7fe000000   (27 bytes, IPv4)
 *   PT=${INNER}0102030304        (padding 1 2 3, pad length 3, next header 4)
 *   echo -n $PT | xxd -r -p > pt.bin
 *   openssl enc -aes-128-cbc -K 000102030405060708090a0b0c0d0e0f \
 *       -iv f0e0d0c0b0a090807060504030201000 -nopad -in pt.bin -out ct.bin
 *   (echo -n 1234abcd00000001f0e0d0c0b0a090807060504030201000 | xxd -r -p; cat ct.bin) > auth.bin
 *   openssl dgst -sha256 -mac HMAC -macopt \
 *       hexkey:202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f auth.bin
 * The ICV is the first 16 bytes of that HMAC (RFC 4868 2.1).
 */
static const char cbc_inner[] = "4500001b00010000400100000a0000010a0000020800f7fe000000";
static const char cbc_packet[] = "1234abcd 00000001 f0e0d0c0b0a090807060504030201000"
                                 "e35f5685f1f53916e226ad143eb14342cbf6a2d37b50c38daccd19dd053d6e57"
                                 "f3b3cb8d3e313c1f32acbe8a48dca9e6";

static void fixed_iv(void *user, uint8_t *out, size_t len)
{
	et_unhex((const char *)user, out, len);
}

static ike_esp_cfg cbc_cfg(uint8_t *ek, uint8_t *ik)
{
	et_fill(ek, 16, 0x00);
	et_fill(ik, 32, 0x20);
	return (ike_esp_cfg){.spi = 0x1234abcd,
	                     .encr = IKE_ENCR_AES_CBC,
	                     .integ = IKE_AUTH_HMAC_SHA2_256_128,
	                     .encr_key = {ek, 16},
	                     .integ_key = {ik, 32},
	                     .rand = fixed_iv,
	                     .rand_user = (void *)"f0e0d0c0b0a090807060504030201000"};
}

Test(esp_vectors, aes_cbc_hmac_sha256_seals_openssl_cli_vector)
{
	uint8_t ek[16], ik[32], buf[128], want[128];
	size_t wlen = et_unhex(cbc_packet, want, sizeof want), ilen, out = 0;
	ike_esp_sa *sa = NULL;
	ike_esp_cfg cfg = cbc_cfg(ek, ik);

	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_OUT, NULL), IKE_OK));
	cr_assert(eq(sz, ike_esp_headroom(sa), 24));
	ilen = et_unhex(cbc_inner, buf + 24, sizeof buf - 24);
	cr_assert(eq(sz, ilen, 27));
	cr_assert(eq(int, ike_esp_seal(sa, buf, sizeof buf, ilen, &out), IKE_OK));
	cr_assert(eq(sz, out, wlen));
	cr_assert(eq(int, memcmp(buf, want, wlen), 0));
	ike_esp_sa_free(sa);
}

Test(esp_vectors, aes_cbc_hmac_sha256_opens_openssl_cli_vector)
{
	uint8_t ek[16], ik[32], pkt[128], inner[64], nh = 0;
	size_t len = et_unhex(cbc_packet, pkt, sizeof pkt), ilen = et_unhex(cbc_inner, inner, sizeof inner);
	size_t off = 0, got = 0;
	ike_esp_sa *sa = NULL;
	ike_esp_cfg cfg = cbc_cfg(ek, ik);

	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_OK));
	cr_assert(eq(int, ike_esp_open(sa, pkt, len, &off, &got, &nh), IKE_OK));
	cr_assert(eq(sz, off, 24));
	cr_assert(eq(sz, got, ilen));
	cr_assert(eq(u8, nh, 4));
	cr_assert(eq(int, memcmp(pkt + off, inner, ilen), 0));
	ike_esp_sa_free(sa);
}

/* The HMAC context is re-initialised per packet with its stored key: every packet's
 * ICV must equal a one-shot HMAC computed independently. */
Test(esp_vectors, cbc_icv_of_every_packet_matches_one_shot_hmac)
{
	static const struct {
		uint16_t integ;
		const char *md;
		size_t key, icv;
	} macs[] = {{IKE_AUTH_HMAC_SHA2_256_128, "SHA256", 32, 16},
	            {IKE_AUTH_HMAC_SHA2_384_192, "SHA384", 48, 24},
	            {IKE_AUTH_HMAC_SHA2_512_256, "SHA512", 64, 32}};

	for (size_t m = 0; m < 3; m++) {
		uint8_t ek[16], ik[64], buf[256], full[64];
		ike_esp_cfg cfg = {.spi = 0x4242,
		                   .encr = IKE_ENCR_AES_CBC,
		                   .integ = macs[m].integ,
		                   .encr_key = {ek, 16},
		                   .integ_key = {ik, macs[m].key}};
		ike_esp_sa *sa = NULL;

		et_fill(ek, sizeof ek, 3);
		et_fill(ik, sizeof ik, 77);
		cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_OUT, NULL), IKE_OK));
		for (int i = 0; i < 3; i++) {
			size_t len = 0, n = 0;

			et_inner(buf + 24, 50 + (size_t)i * 30, 4, (uint8_t)i);
			cr_assert(
			    eq(int, ike_esp_seal(sa, buf, sizeof buf, 50 + (size_t)i * 30, &len), IKE_OK));
			cr_assert(not(eq(ptr,
			                 EVP_Q_mac(NULL, "HMAC", NULL, macs[m].md, NULL, ik, macs[m].key, buf,
			                           len - macs[m].icv, full, sizeof full, &n),
			                 NULL)));
			cr_assert(eq(int, memcmp(buf + len - macs[m].icv, full, macs[m].icv), 0),
			          "%s packet %d", macs[m].md, i);
		}
		ike_esp_sa_free(sa);
	}
}
