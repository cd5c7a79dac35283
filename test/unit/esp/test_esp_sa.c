/* SPDX-License-Identifier: MIT */
/* ike_esp_sa: round trips, rejections, counters, lifetimes and sequence numbers. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "esp_int.h"
#include "esp_test.h"
#include "tst.h"

#define SPI 0x0badcafeu

static const size_t sizes[] = {1, 20, 21, 22, 23, 40, 63, 64, 65, 127, 512, 1399, 1400, 1500};

/* Seals an inner packet of len bytes (IP version v) with p->out into buf; returns the ESP length. */
static size_t seal_one(et_pair *p, uint8_t *buf, size_t cap, size_t len, int v, uint8_t seed)
{
	size_t out = 0;

	et_inner(buf + ike_esp_headroom(p->out), len, v, seed);
	cr_assert(eq(int, ike_esp_seal(p->out, buf, cap, len, &out), IKE_OK));
	return out;
}

Test(esp_sa, round_trips_every_algorithm_key_size_and_length)
{
	for (size_t a = 0; a < ET_NALGS; a++) {
		const et_alg *alg = et_alg_at(a);
		et_pair p;
		ike_esp_cfg cfg = et_cfg(&p, alg, SPI);
		uint64_t bytes = 0;

		cr_assert(eq(int, et_pair_new(&p, &cfg), IKE_OK), "%s", alg->name);
		for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
			for (int v = 4; v <= 6; v += 2) {
				uint8_t buf[1600], want[1600], nh = 0;
				size_t hl = ike_esp_headroom(p.out), len, off = 0, ilen = 0, plen;

				len = seal_one(&p, buf, sizeof buf, sizes[s], v, (uint8_t)s);
				memcpy(want, buf + hl, sizes[s]);
				et_inner(want, sizes[s], v, (uint8_t)s);
				cr_assert(eq(sz, len, ike_esp_sealed_len(p.out, sizes[s])));
				cr_assert(le(sz, hl, IKE_ESP_MAX_HEADROOM));
				cr_assert(le(sz, len - hl - sizes[s], IKE_ESP_MAX_TAILROOM));
				plen = len - hl - (alg->integ ? alg->integ_key_len / 2 : 16);
				cr_assert(eq(sz, plen % (alg->integ ? 16 : 4), 0), "%s: payload aligned",
				          alg->name);
				cr_assert(lt(sz, plen - sizes[s] - 2, alg->integ ? 16 : 4),
				          "%s: minimal padding", alg->name);
				cr_assert(eq(int, ike_esp_open(p.in, buf, len, &off, &ilen, &nh), IKE_OK),
				          "%s len %zu v%d", alg->name, sizes[s], v);
				cr_assert(eq(sz, off, hl));
				cr_assert(eq(sz, ilen, sizes[s]));
				cr_assert(eq(u8, nh, v == 4 ? IKE_ESP_NH_IPV4 : IKE_ESP_NH_IPV6));
				cr_assert(eq(int, memcmp(buf + off, want, ilen), 0), "%s len %zu", alg->name,
				          sizes[s]);
				bytes += sizes[s];
			}
		}
		cr_assert(eq(u64, ike_esp_sa_stats(p.out)->packets, 2 * sizeof sizes / sizeof sizes[0]));
		cr_assert(eq(u64, ike_esp_sa_stats(p.in)->packets, 2 * sizeof sizes / sizeof sizes[0]));
		cr_assert(eq(u64, ike_esp_sa_stats(p.out)->bytes, bytes));
		cr_assert(eq(u64, ike_esp_sa_stats(p.in)->bytes, bytes));
		cr_assert(eq(u64, ike_esp_sa_seq(p.in), 2 * sizeof sizes / sizeof sizes[0]));
		et_pair_free(&p);
	}
}

static void iv_from_user(void *user, uint8_t *out, size_t len)
{
	memset(out, *(const uint8_t *)user, len);
}

Test(esp_sa, seal_to_writes_the_same_bytes_as_in_place)
{
	static const uint8_t ivbyte = 0x3c;

	for (size_t a = 0; a < ET_NALGS; a++) {
		et_pair p1, p2;
		ike_esp_cfg cfg = et_cfg(&p1, et_alg_at(a), SPI);
		uint8_t in[700], b1[800], b2[800];
		size_t l1 = 0, l2 = 0, hl;

		cfg.rand = iv_from_user;
		cfg.rand_user = (void *)&ivbyte;
		et_fill(p2.ek, sizeof p2.ek, 0x10);
		et_fill(p2.ik, sizeof p2.ik, 0x80);
		cr_assert(eq(int, et_pair_new(&p1, &cfg), IKE_OK));
		cr_assert(eq(int, et_pair_new(&p2, &cfg), IKE_OK));
		hl = ike_esp_headroom(p1.out);
		for (size_t len = 1; len < 600; len += 37) {
			et_inner(in, len, 4, (uint8_t)len);
			memcpy(b1 + hl, in, len);
			cr_assert(eq(int, ike_esp_seal(p1.out, b1, sizeof b1, len, &l1), IKE_OK));
			cr_assert(eq(int, ike_esp_seal_to(p2.out, in, len, b2, sizeof b2, &l2), IKE_OK));
			cr_assert(eq(sz, l1, l2));
			cr_assert(eq(int, memcmp(b1, b2, l1), 0), "%s len %zu", et_alg_at(a)->name, len);
		}
		et_pair_free(&p1);
		et_pair_free(&p2);
	}
}

Test(esp_sa, aead_iv_is_the_sequence_number)
{
	et_pair p;
	ike_esp_cfg cfg = et_cfg(&p, et_alg_at(0), SPI);
	uint8_t buf[200];

	cr_assert(eq(int, et_pair_new(&p, &cfg), IKE_OK));
	for (uint32_t seq = 1; seq <= 3; seq++) {
		static const uint8_t zero4[4];
		size_t len = seal_one(&p, buf, sizeof buf, 40, 4, 1);

		cr_assert(eq(sz, len, 8 + 8 + 44 + 16));
		cr_assert(
		    eq(u32, (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | buf[2] << 8 | buf[3], SPI));
		cr_assert(eq(u8, buf[7], seq));
		cr_assert(eq(int, memcmp(buf + 8, zero4, 4), 0));
		cr_assert(eq(u8, buf[15], seq));
	}
	et_pair_free(&p);
}

Test(esp_sa, cbc_ivs_are_fresh_random_bytes)
{
	et_pair p;
	ike_esp_cfg cfg = et_cfg(&p, et_alg_at(4), SPI);
	uint8_t buf[200], seen[200][16];

	cr_assert(eq(int, et_pair_new(&p, &cfg), IKE_OK));
	for (size_t i = 0; i < 200; i++) { /* crosses the 64-IV pool refill three times */
		seal_one(&p, buf, sizeof buf, 40, 4, 1);
		memcpy(seen[i], buf + 8, 16);
		for (size_t j = 0; j < i; j++)
			cr_assert(ne(int, memcmp(seen[i], seen[j], 16), 0), "IV %zu repeats IV %zu", i, j);
	}
	et_pair_free(&p);
}

Test(esp_sa, rejects_every_truncation_without_moving_the_window)
{
	for (size_t a = 0; a < ET_NALGS; a++) {
		et_pair p;
		ike_esp_cfg cfg = et_cfg(&p, et_alg_at(a), SPI);
		uint8_t orig[300], buf[300], nh = 0;
		size_t len, off = 0, ilen = 0;

		cr_assert(eq(int, et_pair_new(&p, &cfg), IKE_OK));
		len = seal_one(&p, orig, sizeof orig, 100, 4, 9);
		for (size_t n = 0; n < len; n++) {
			int rc;

			memcpy(buf, orig, len);
			rc = ike_esp_open(p.in, buf, n, &off, &ilen, &nh);
			cr_assert(
			    rc == IKE_ERR_TRUNCATED || rc == IKE_ERR_MALFORMED || rc == IKE_ERR_INTEGRITY,
			    "%s: %zu of %zu bytes gave %s", et_alg_at(a)->name, n, len, ike_err_name(rc));
		}
		cr_assert(eq(u64, ike_esp_sa_seq(p.in), 0));
		cr_assert(eq(u64, ike_esp_sa_stats(p.in)->packets, 0));
		cr_assert(eq(u64,
		             ike_esp_sa_stats(p.in)->drop_truncated + ike_esp_sa_stats(p.in)->drop_integrity,
		             len));
		memcpy(buf, orig, len);
		cr_assert(eq(int, ike_esp_open(p.in, buf, len, &off, &ilen, &nh), IKE_OK));
		et_pair_free(&p);
	}
}

Test(esp_sa, rejects_every_single_byte_flip)
{
	for (size_t a = 0; a < ET_NALGS; a++) {
		et_pair p;
		ike_esp_cfg cfg = et_cfg(&p, et_alg_at(a), SPI);
		uint8_t orig[300], buf[300], nh = 0;
		size_t len, off = 0, ilen = 0;

		cr_assert(eq(int, et_pair_new(&p, &cfg), IKE_OK));
		len = seal_one(&p, orig, sizeof orig, 61, 6, 3);
		for (size_t i = 0; i < len; i++) {
			for (unsigned bit = 0; bit < 8; bit++) {
				int rc;

				memcpy(buf, orig, len);
				buf[i] ^= (uint8_t)(1u << bit);
				rc = ike_esp_open(p.in, buf, len, &off, &ilen, &nh);
				if (i < 4)
					cr_assert(eq(int, rc, IKE_ERR_UNKNOWN_SPI));
				else if (i == 7 && bit == 0)
					cr_assert(eq(int, rc, IKE_ERR_REPLAY)); /* seq 1 -> 0 */
				else
					cr_assert(eq(int, rc, IKE_ERR_INTEGRITY), "%s byte %zu bit %u: %s",
					          et_alg_at(a)->name, i, bit, ike_err_name(rc));
			}
		}
		cr_assert(eq(u64, ike_esp_sa_seq(p.in), 0), "no forgery moved the window");
		cr_assert(eq(u64, ike_esp_sa_stats(p.in)->drop_spi, 32));
		cr_assert(eq(u64, ike_esp_sa_stats(p.in)->drop_replay, 1));
		cr_assert(eq(u64, ike_esp_sa_stats(p.in)->drop_integrity, len * 8 - 33));
		memcpy(buf, orig, len);
		cr_assert(eq(int, ike_esp_open(p.in, buf, len, &off, &ilen, &nh), IKE_OK));
		et_pair_free(&p);
	}
}

/* Seals a hand-made ESP payload (inner || padding || trailer) with p->out. */
static size_t seal_payload(et_pair *p, uint8_t *out, size_t cap, const uint8_t *plain, size_t plen)
{
	uint8_t iv[16] = {1, 2, 3};
	size_t len = 0;

	cr_assert(
	    eq(int, esp_seal_raw(p->out, out, cap, ike_esp_sa_seq(p->out), iv, plain, plen, &len), IKE_OK));
	p->out->seq++;
	return len;
}

static int open_payload(size_t alg, const uint8_t *plain, size_t plen, ike_esp_sa **keep_in, uint64_t *top)
{
	et_pair p;
	ike_esp_cfg cfg = et_cfg(&p, et_alg_at(alg), SPI);
	uint8_t buf[300], nh = 0;
	size_t len, off = 0, ilen = 0;
	int rc;

	cr_assert(eq(int, et_pair_new(&p, &cfg), IKE_OK));
	len = seal_payload(&p, buf, sizeof buf, plain, plen);
	rc = ike_esp_open(p.in, buf, len, &off, &ilen, &nh);
	*top = ike_esp_sa_seq(p.in);
	if (keep_in) {
		*keep_in = p.in;
		p.in = NULL;
	}
	et_pair_free(&p);
	return rc;
}

Test(esp_sa, checks_padding_bytes_and_pad_length)
{
	for (size_t a = 0; a < ET_NALGS; a += 4) { /* GCM and CBC */
		uint8_t plain[32];
		uint64_t top = 0;
		ike_esp_sa *in = NULL;

		/* 27-byte IPv4 packet, padding 1 2 3, pad length 3, next header 4: accepted. */
		et_inner(plain, 27, 4, 1);
		memcpy(plain + 27, "\x01\x02\x03\x03\x04", 5);
		cr_assert(eq(int, open_payload(a, plain, 32, NULL, &top), IKE_OK));
		/* Padding 1 2 4. */
		plain[29] = 4;
		cr_assert(eq(int, open_payload(a, plain, 32, &in, &top), IKE_ERR_BAD_PADDING));
		cr_assert(eq(u64, top, 1), "authentic, so the window moved");
		cr_assert(eq(u64, ike_esp_sa_stats(in)->drop_padding, 1));
		cr_assert(eq(u64, ike_esp_sa_stats(in)->packets, 0));
		ike_esp_sa_free(in);
		/* Zero padding instead of 1 2 3. */
		memset(plain + 27, 0, 3);
		cr_assert(eq(int, open_payload(a, plain, 32, NULL, &top), IKE_ERR_BAD_PADDING));
		/* Pad length longer than the payload: 31 + 2 > 32. */
		et_inner(plain, 32, 4, 1);
		plain[30] = 31;
		plain[31] = 4;
		cr_assert(eq(int, open_payload(a, plain, 32, NULL, &top), IKE_ERR_BAD_PADDING));
		/* Pad length exactly the payload: 30 bytes of padding 1..30 and no packet. */
		for (int i = 0; i < 30; i++)
			plain[i] = (uint8_t)(i + 1);
		plain[30] = 30;
		cr_assert(eq(int, open_payload(a, plain, 32, NULL, &top), IKE_ERR_BAD_NEXT_HEADER));
	}
}

Test(esp_sa, accepts_only_ipv4_and_ipv6_next_headers_matching_the_packet)
{
	static const struct {
		int version;
		uint8_t nh;
		int rc;
	} cases[] = {
	    {4, 4, IKE_OK},
	    {6, 41, IKE_OK},
	    {4, 41, IKE_ERR_BAD_NEXT_HEADER},
	    {6, 4, IKE_ERR_BAD_NEXT_HEADER},
	    {4, 59, IKE_ERR_BAD_NEXT_HEADER}, /* RFC 4303 2.6 dummy */
	    {4, 6, IKE_ERR_BAD_NEXT_HEADER},
	    {4, 17, IKE_ERR_BAD_NEXT_HEADER},
	    {4, 0, IKE_ERR_BAD_NEXT_HEADER},
	};

	for (size_t a = 0; a < ET_NALGS; a += 4) {
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			uint8_t plain[48];
			uint64_t top = 0;

			et_inner(plain, 46, cases[i].version, 2);
			plain[46] = 0;
			plain[47] = cases[i].nh;
			cr_assert(eq(int, open_payload(a, plain, 48, NULL, &top), cases[i].rc), "case %zu",
			          i);
		}
	}
}

Test(esp_sa, refuses_to_wrap_the_sequence_number)
{
	et_pair p;
	ike_esp_cfg cfg = et_cfg(&p, et_alg_at(0), SPI);
	uint8_t buf[200], nh = 0;
	size_t len = 0, off = 0, ilen = 0;

	cfg.seq_margin = 10;
	cr_assert(eq(int, et_pair_new(&p, &cfg), IKE_OK));
	cr_assert(eq(u32, ike_esp_sa_status(p.out), 0));
	p.out->seq = UINT32_MAX - 10;
	cr_assert(eq(u32, ike_esp_sa_status(p.out), 0));
	p.out->seq = UINT32_MAX - 9;
	cr_assert(eq(u32, ike_esp_sa_status(p.out), IKE_ESP_ST_SEQ_NEAR_WRAP));
	p.out->seq = UINT32_MAX - 1;
	seal_one(&p, buf, sizeof buf, 30, 4, 1);
	len = seal_one(&p, buf, sizeof buf, 30, 4, 1);
	cr_assert(eq(u8, buf[4] & buf[5] & buf[6] & buf[7], 0xff), "the last number, 2^32 - 1, is used");
	cr_assert(eq(u32, ike_esp_sa_status(p.out), IKE_ESP_ST_SEQ_NEAR_WRAP | IKE_ESP_ST_SEQ_EXHAUSTED));
	et_inner(buf + 16, 30, 4, 1);
	cr_assert(eq(int, ike_esp_seal(p.out, buf, sizeof buf, 30, &off), IKE_ERR_LIMIT));
	cr_assert(eq(int, ike_esp_seal_to(p.out, buf + 16, 30, buf + 100, 100, &off), IKE_ERR_LIMIT));
	cr_assert(eq(u64, ike_esp_sa_stats(p.out)->packets, 2));
	/* The receiver takes the last number (resealed here on a reset copy of the state). */
	p.out->seq = UINT32_MAX;
	p.out->exhausted = false;
	len = seal_one(&p, buf, sizeof buf, 30, 4, 1);
	cr_assert(eq(int, ike_esp_open(p.in, buf, len, &off, &ilen, &nh), IKE_OK));
	cr_assert(eq(u64, ike_esp_sa_seq(p.in), UINT32_MAX));
	et_pair_free(&p);
}

Test(esp_sa, esn_carries_on_past_two_to_the_32_in_any_order)
{
	et_pair p;
	ike_esp_cfg cfg = et_cfg(&p, et_alg_at(4), SPI);
	uint8_t pkts[6][200], nh = 0;
	size_t lens[6], off = 0, ilen = 0;
	static const int order[] = {0, 2, 1, 4, 3, 5};

	for (int esn_alg = 0; esn_alg < 2; esn_alg++) {
		cfg = et_cfg(&p, et_alg_at(esn_alg ? 4 : 2), SPI);
		cfg.esn = true;
		cr_assert(eq(int, et_pair_new(&p, &cfg), IKE_OK));
		p.out->seq = UINT64_C(0xfffffffd);
		for (int i = 0; i < 6; i++)
			lens[i] = seal_one(&p, pkts[i], sizeof pkts[i], 50, 4, (uint8_t)i);
		cr_assert(eq(u64, ike_esp_sa_seq(p.out), UINT64_C(0x100000003)));
		cr_assert(eq(u8, pkts[3][7], 0), "low half of 2^32 on the wire");
		esp_replay_update(&p.in->replay, UINT64_C(0xfffffff0)); /* as if earlier packets came */
		for (int k = 0; k < 6; k++) {
			int i = order[k];

			cr_assert(eq(int, ike_esp_open(p.in, pkts[i], lens[i], &off, &ilen, &nh), IKE_OK),
			          "pkt %d", i);
		}
		cr_assert(eq(u64, ike_esp_sa_seq(p.in), UINT64_C(0x100000002)));
		et_pair_free(&p);
	}
}

Test(esp_sa, counts_soft_and_hard_lifetimes)
{
	et_pair p;
	ike_esp_cfg cfg = et_cfg(&p, et_alg_at(0), SPI);
	uint8_t buf[200], copy[200], nh = 0;
	size_t len = 0, off = 0, ilen = 0;

	cfg.soft_packets = 3;
	cfg.hard_packets = 5;
	cfg.soft_bytes = 1000; /* not reached */
	cr_assert(eq(int, et_pair_new(&p, &cfg), IKE_OK));
	for (int i = 1; i <= 5; i++) {
		len = seal_one(&p, buf, sizeof buf, 100, 4, 1);
		memcpy(copy, buf, len);
		cr_assert(eq(int, ike_esp_open(p.in, buf, len, &off, &ilen, &nh), IKE_OK));
		cr_assert(eq(u32, ike_esp_sa_status(p.out) & IKE_ESP_ST_SOFT, i >= 3 ? IKE_ESP_ST_SOFT : 0));
		cr_assert(eq(u32, ike_esp_sa_status(p.in) & IKE_ESP_ST_HARD, i >= 5 ? IKE_ESP_ST_HARD : 0));
	}
	et_inner(buf + 16, 100, 4, 1);
	cr_assert(eq(int, ike_esp_seal(p.out, buf, sizeof buf, 100, &len), IKE_ERR_LIMIT));
	cr_assert(eq(u64, ike_esp_sa_seq(p.out), 6), "a refused seal uses no number");
	cr_assert(eq(int, ike_esp_open(p.in, copy, len, &off, &ilen, &nh), IKE_ERR_LIMIT));
	cr_assert(eq(u64, ike_esp_sa_stats(p.in)->drop_limit, 1));
	et_pair_free(&p);

	cfg = et_cfg(&p, et_alg_at(4), SPI);
	cfg.soft_bytes = 150;
	cfg.hard_bytes = 300;
	cr_assert(eq(int, et_pair_new(&p, &cfg), IKE_OK));
	seal_one(&p, buf, sizeof buf, 100, 4, 1);
	cr_assert(eq(u32, ike_esp_sa_status(p.out), 0));
	seal_one(&p, buf, sizeof buf, 100, 4, 1);
	cr_assert(eq(u32, ike_esp_sa_status(p.out), IKE_ESP_ST_SOFT));
	seal_one(&p, buf, sizeof buf, 100, 4, 1);
	cr_assert(eq(u32, ike_esp_sa_status(p.out), IKE_ESP_ST_SOFT | IKE_ESP_ST_HARD));
	et_pair_free(&p);
}

Test(esp_sa, validates_its_configuration)
{
	et_pair p;
	ike_esp_cfg good = et_cfg(&p, et_alg_at(4), SPI), cfg;
	ike_esp_sa *sa = NULL;

	cfg = good;
	cfg.spi = 255;
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_ERR_INVAL));
	cfg = good;
	cfg.integ = 0;
	cfg.integ_key.len = 0;
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_ERR_INVAL));
	cfg = good;
	cfg.integ_key.len = 31;
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_ERR_INVAL));
	cfg = good;
	cfg.encr_key.len = 20;
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_ERR_INVAL));
	cfg = good;
	cfg.integ = IKE_AUTH_HMAC_SHA1_96;
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_ERR_UNSUPPORTED));
	cfg = good;
	cfg.encr = IKE_ENCR_AES_CTR;
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_ERR_UNSUPPORTED));
	cfg = good;
	cfg.replay_window = 63;
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_ERR_INVAL));
	cfg.replay_window = 4097;
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_ERR_INVAL));
	cfg = et_cfg(&p, et_alg_at(0), SPI);
	cfg.integ = IKE_AUTH_HMAC_SHA2_256_128; /* an AEAD takes no integrity transform */
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_ERR_INVAL));
	cfg = et_cfg(&p, et_alg_at(0), SPI);
	cfg.encr_key.len = 16; /* salt missing: 12 bytes of key */
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_ERR_INVAL));
	cfg = et_cfg(&p, et_alg_at(3), SPI);
	cfg.encr_key.len = 20; /* ChaCha20 takes 256-bit keys only */
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_ERR_INVAL));
	cr_assert(eq(ptr, sa, NULL));

	cfg = good;
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL), IKE_OK));
	cr_assert(eq(u32, ike_esp_sa_replay_window(sa), IKE_ESP_REPLAY_DEFAULT));
	cr_assert(eq(u32, ike_esp_sa_spi(sa), SPI));
	cr_assert(eq(int, ike_esp_sa_dir(sa), IKE_ESP_IN));
	ike_esp_sa_free(sa);
	ike_esp_sa_free(NULL);
}

Test(esp_sa, seal_checks_direction_buffer_and_packet)
{
	et_pair p;
	ike_esp_cfg cfg = et_cfg(&p, et_alg_at(0), SPI);
	uint8_t buf[200], nh = 0;
	size_t len = 0, off = 0, ilen = 0, need;

	cr_assert(eq(int, et_pair_new(&p, &cfg), IKE_OK));
	need = ike_esp_sealed_len(p.out, 100);
	et_inner(buf + 16, 100, 4, 1);
	cr_assert(eq(int, ike_esp_seal(p.out, buf, need - 1, 100, &len), IKE_ERR_NOBUF));
	cr_assert(eq(int, ike_esp_seal(p.out, buf, 10, 100, &len), IKE_ERR_NOBUF));
	cr_assert(eq(int, ike_esp_seal(p.in, buf, sizeof buf, 100, &len), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_esp_seal(p.out, buf, sizeof buf, 0, &len), IKE_ERR_INVAL));
	buf[16] = 0x15; /* not IP */
	cr_assert(eq(int, ike_esp_seal(p.out, buf, sizeof buf, 100, &len), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_esp_open(p.out, buf, sizeof buf, &off, &ilen, &nh), IKE_ERR_INVAL));
	cr_assert(eq(u64, ike_esp_sa_seq(p.out), 1), "refused seals use no number");
	buf[16] = 0x45;
	cr_assert(eq(int, ike_esp_seal(p.out, buf, need, 100, &len), IKE_OK));
	cr_assert(eq(sz, len, need));
	et_pair_free(&p);
}

Test(esp_sa, reads_the_spi)
{
	uint8_t pkt[8] = {0xc0, 0x01, 0xd0, 0x0d, 0, 0, 0, 1};
	uint32_t spi = 0;

	cr_assert(eq(int, ike_esp_read_spi(pkt, 8, &spi), IKE_OK));
	cr_assert(eq(u32, spi, 0xc001d00d));
	cr_assert(eq(int, ike_esp_read_spi(pkt, 7, &spi), IKE_ERR_TRUNCATED));
}

Test(esp_sa, open_rejects_another_sas_packet_as_unknown_spi)
{
	et_pair a, b;
	ike_esp_cfg ca = et_cfg(&a, et_alg_at(0), SPI), cb = et_cfg(&b, et_alg_at(0), SPI + 1);
	uint8_t buf[200], nh = 0;
	size_t len, off = 0, ilen = 0;

	cr_assert(eq(int, et_pair_new(&a, &ca), IKE_OK));
	cr_assert(eq(int, et_pair_new(&b, &cb), IKE_OK));
	len = seal_one(&a, buf, sizeof buf, 60, 4, 1);
	cr_assert(eq(int, ike_esp_open(b.in, buf, len, &off, &ilen, &nh), IKE_ERR_UNKNOWN_SPI));
	cr_assert(eq(u64, ike_esp_sa_stats(b.in)->drop_spi, 1));
	et_pair_free(&a);
	et_pair_free(&b);
}

Test(esp_sa, allocates_through_ike_mem_and_fails_cleanly)
{
	et_pair p;
	ike_esp_cfg cfg = et_cfg(&p, et_alg_at(0), SPI);
	ike_esp_sa *sa = NULL;

	cfg.replay_window = 4096;
	cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, tst_mem()), IKE_OK));
	cr_assert(eq(sz, tst_mem_live_blocks(), 2), "the SA and its window");
	cr_assert(le(sz, tst_mem_live(), sizeof(struct ike_esp_sa) + 128 * 8));
	ike_esp_sa_free(sa);
	cr_assert(eq(sz, tst_mem_live(), 0));
	for (size_t n = 1; n <= 2; n++) {
		sa = NULL;
		tst_mem_fail_after(n);
		cr_assert(eq(int, ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, tst_mem()), IKE_ERR_NOMEM),
		          "failure %zu", n);
		cr_assert(eq(ptr, sa, NULL));
		cr_assert(eq(sz, tst_mem_live(), 0), "failure %zu leaks", n);
	}
	tst_mem_fail_after(0);
}
