/* SPDX-License-Identifier: MIT */
/*
 * The IKE header, the payload chain, critical-bit handling, the SK/SKF layout,
 * the message builder, and whole sample messages (truncations, bit flips).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "../../fuzz/wire_walk.h"
#include "wire_samples.h"

static uint8_t buf[8192];

static size_t sample(int i)
{
	size_t len = ws_build(i, buf, sizeof buf);
	cr_assert(gt(sz, len, 0), "sample %d did not build", i);
	return len;
}

/* A header followed by raw bytes: the caller patches the chain by hand. */
static size_t hand_msg(uint8_t next, const uint8_t *rest, size_t n)
{
	ike_wr w = ike_wr_init(buf, sizeof buf);
	ike_hdr h = {.spi_i = 7,
	             .version = IKE_VERSION_2,
	             .exchange = IKE_IKE_SA_INIT,
	             .flags = IKE_FLAG_INITIATOR,
	             .next = next,
	             .length = (uint32_t)(28 + n)};

	cr_assert(eq(int, ike_hdr_encode(&w, &h), IKE_OK));
	cr_assert(ike_wr_bytes(&w, rest, n));
	return w.len;
}

Test(ike_wire_hdr, decodes_every_field)
{
	size_t len = sample(9);
	ike_hdr h;

	cr_assert(eq(int, ike_hdr_decode(buf, len, &h, NULL), IKE_OK));
	cr_assert(eq(u64, h.spi_i, 0x0123456789abcdefULL));
	cr_assert(eq(u64, h.spi_r, 0xfedcba9876543210ULL));
	cr_assert(eq(u8, h.next, IKE_SK));
	cr_assert(eq(u8, h.version, 0x20));
	cr_assert(eq(u8, h.exchange, IKE_ME_CONNECT));
	cr_assert(eq(u8, h.flags, IKE_FLAG_INITIATOR));
	cr_assert(eq(u32, h.mid, 2));
	cr_assert(eq(u32, h.length, len));
}

Test(ike_wire_hdr, rejects_length_not_equal_to_datagram)
{
	size_t len = sample(2);
	ike_msg m;
	ike_wire_err err;

	ike_put_u32(buf + 24, (uint32_t)len + 1);
	cr_assert(eq(int, ike_wire_decode(buf, len, &m, &err), IKE_ERR_TRUNCATED));
	cr_assert(eq(sz, err.offset, 24));
	ike_put_u32(buf + 24, (uint32_t)len - 1);
	cr_assert(eq(int, ike_wire_decode(buf, len, &m, &err), IKE_ERR_MALFORMED));
	ike_put_u32(buf + 24, 27);
	cr_assert(eq(int, ike_wire_decode(buf, len, &m, &err), IKE_ERR_MALFORMED));
	cr_assert(eq(int, ike_wire_decode(buf, 27, &m, &err), IKE_ERR_TRUNCATED));
	cr_assert(eq(str, (char *)err.field, "IKE header"));
}

Test(ike_wire_hdr, reports_major_version_with_header_filled)
{
	size_t len = sample(0);
	ike_msg m;
	ike_wire_err err;

	buf[17] = 0x30;
	cr_assert(eq(int, ike_wire_decode(buf, len, &m, &err), IKE_ERR_VERSION));
	cr_assert(eq(sz, err.offset, 17));
	cr_assert(eq(u64, m.hdr.spi_i, 0x0123456789abcdefULL));
	buf[17] = 0x2f; /* minor versions are ignored (RFC 7296 2.5) */
	cr_assert(eq(int, ike_wire_decode(buf, len, &m, &err), IKE_OK));
	buf[17] = 0x10;
	ike_put_u32(buf + 24, 5); /* version is checked before the length */
	cr_assert(eq(int, ike_wire_decode(buf, len, &m, &err), IKE_ERR_VERSION));
}

Test(ike_wire_chain, rejects_unknown_critical_payload_with_its_type)
{
	static const uint8_t p[] = {0, 0x80, 0, 8, 1, 2, 3, 4};
	size_t len = hand_msg(222, p, sizeof p);
	ike_msg m;
	ike_wire_err err;

	cr_assert(eq(int, ike_wire_decode(buf, len, &m, &err), IKE_ERR_CRITICAL));
	cr_assert(eq(u8, err.payload, 222));
	cr_assert(eq(sz, err.offset, 28));
}

Test(ike_wire_chain, keeps_unknown_non_critical_payload_flagged)
{
	static const uint8_t p[] = {IKE_NONCE, 0x00, 0, 6, 1, 2, 0,  0,  0,  20, 1,  2,  3,
	                            4,         5,    6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	size_t len = hand_msg(222, p, sizeof p);
	ike_msg m;

	cr_assert(eq(int, ike_wire_decode(buf, len, &m, NULL), IKE_OK));
	cr_assert(eq(u32, m.pl.n, 2));
	cr_assert(not(m.pl.p[0].known));
	cr_assert(eq(u8, m.pl.p[0].type, 222));
	cr_assert(eq(sz, m.pl.p[0].body.len, 2));
	cr_assert(m.pl.p[1].known);
	cr_assert(eq(sz, m.pl.p[1].body_off, 28 + 6 + 4));
	cr_assert(eq(ptr, (void *)ike_pld_find(&m.pl, IKE_NONCE, NULL), (void *)&m.pl.p[1]));
	cr_assert(eq(ptr, (void *)ike_pld_find(&m.pl, IKE_NONCE, &m.pl.p[1]), NULL));
}

Test(ike_wire_chain, ignores_critical_bit_and_reserved_bits_of_known_payloads)
{
	uint8_t p[20] = {0, 0xff, 0, 20};
	size_t len = hand_msg(IKE_NONCE, p, sizeof p);
	ike_msg m;
	uint8_t out[256];
	size_t olen;

	cr_assert(eq(int, ike_wire_decode(buf, len, &m, NULL), IKE_OK));
	cr_assert(m.pl.p[0].critical);
	cr_assert(eq(u8, m.pl.p[0].flags, 0xff));
	cr_assert(eq(int, ike_wire_reencode(&m, out, sizeof out, &olen), IKE_OK));
	cr_assert(eq(sz, olen, len));
	cr_assert(eq(int, memcmp(out, buf, len), 0));
}

Test(ike_wire_chain, rejects_payload_length_below_four_and_trailing_bytes)
{
	uint8_t p[8] = {0, 0, 0, 3};
	ike_msg m;
	ike_wire_err err;
	size_t len = hand_msg(IKE_VENDOR, p, sizeof p);

	cr_assert(eq(int, ike_wire_decode(buf, len, &m, &err), IKE_ERR_MALFORMED));
	cr_assert(eq(sz, err.offset, 30));
	cr_assert(eq(str, (char *)err.field, "payload length below 4"));
	p[3] = 5;
	len = hand_msg(IKE_VENDOR, p, sizeof p);
	cr_assert(eq(int, ike_wire_decode(buf, len, &m, &err), IKE_ERR_MALFORMED));
	cr_assert(eq(str, (char *)err.field, "bytes after last payload"));
	cr_assert(eq(sz, err.offset, 33));
	p[0] = IKE_VENDOR; /* next payload announced but only 3 bytes left */
	cr_assert(eq(int, ike_wire_decode(hand_msg(IKE_VENDOR, p, sizeof p) ? buf : buf, len, &m, &err),
	             IKE_ERR_TRUNCATED));
	cr_assert(eq(str, (char *)err.field, "generic payload header"));
}

Test(ike_wire_chain, limits_payload_count)
{
	uint8_t p[(IKE_WIRE_MAX_PAYLOADS + 1) * 5];
	ike_msg m;
	ike_wire_err err;

	for (unsigned i = 0; i <= IKE_WIRE_MAX_PAYLOADS; i++) {
		uint8_t *q = p + i * 5;
		q[0] = i == IKE_WIRE_MAX_PAYLOADS ? 0 : IKE_VENDOR;
		q[1] = 0;
		ike_put_u16(q + 2, 5);
		q[4] = 0x42;
	}
	cr_assert(eq(int,
	             ike_wire_decode(buf, hand_msg(IKE_VENDOR, p, (IKE_WIRE_MAX_PAYLOADS - 1) * 5), &m, &err),
	             IKE_ERR_TRUNCATED)); /* the 63rd announces a 64th that is not there */
	p[(IKE_WIRE_MAX_PAYLOADS - 1) * 5] = 0;
	cr_assert(eq(int, ike_wire_decode(buf, hand_msg(IKE_VENDOR, p, IKE_WIRE_MAX_PAYLOADS * 5), &m, &err),
	             IKE_OK));
	cr_assert(eq(u32, m.pl.n, IKE_WIRE_MAX_PAYLOADS));
	p[(IKE_WIRE_MAX_PAYLOADS - 1) * 5] = IKE_VENDOR;
	cr_assert(eq(int, ike_wire_decode(buf, hand_msg(IKE_VENDOR, p, sizeof p), &m, &err), IKE_ERR_LIMIT));
	cr_assert(eq(str, (char *)err.field, "payload count"));
}

Test(ike_wire_chain, rejects_payload_after_sk)
{
	static const uint8_t p[] = {IKE_VENDOR, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 5, 1};
	ike_msg m;
	ike_wire_err err;

	cr_assert(eq(int, ike_wire_decode(buf, hand_msg(IKE_SK, p, sizeof p), &m, &err), IKE_ERR_MALFORMED));
	cr_assert(eq(str, (char *)err.field, "bytes after encrypted payload"));
}

Test(ike_wire_sk, aead_layout_offsets)
{
	size_t len = sample(9), inner_len;
	ike_msg m;
	ike_sk_layout l, lb;
	ike_msg_builder b;
	ike_hdr h = {.version = IKE_VERSION_2, .exchange = IKE_INFORMATIONAL};
	uint8_t out[256];

	cr_assert(eq(int, ike_wire_decode(buf, len, &m, NULL), IKE_OK));
	cr_assert(m.sk.present);
	cr_assert(eq(u8, m.sk.first, IKE_IDR));
	cr_assert(eq(sz, m.sk.hdr_off, 28));
	cr_assert(eq(int, ike_wire_sk_layout(&m, 8, 1, 16, &l, NULL), IKE_OK));
	cr_assert(eq(sz, l.aad_off, 0));
	cr_assert(eq(sz, l.aad_len, 32));
	cr_assert(eq(sz, l.iv_off, 32));
	cr_assert(eq(sz, l.data_off, 40));
	cr_assert(eq(sz, l.icv_off, len - 16));
	cr_assert(eq(sz, l.data_len, len - 16 - 40));
	/* AEAD: no padding, the pad length byte is 0. */
	cr_assert(eq(u8, buf[l.icv_off - 1], 0));
	cr_assert(eq(int, ike_wire_decode_inner(&m, buf + l.data_off, l.data_len, NULL), IKE_OK));
	cr_assert(eq(u32, m.inner.n, 6));
	cr_assert(eq(u8, m.inner.p[5].type, IKE_NOTIFY));
	inner_len = l.data_len - 1;
	cr_assert(eq(sz, m.inner.p[5].body_off + m.inner.p[5].body.len, inner_len));

	/* The builder's layout for a header-only SK message. */
	ike_mb_init(&b, out, sizeof out, &h);
	cr_assert(eq(int, ike_mb_begin_sk(&b, 8), IKE_OK));
	cr_assert(eq(int, ike_mb_add_notify_simple(&b, IKE_ME_CONNECTID, WS(4)), IKE_OK));
	cr_assert(eq(int, ike_mb_finish_sk(&b, 1, 16, &lb, &len), IKE_OK));
	cr_assert(eq(sz, len, 28 + 4 + 8 + 12 + 1 + 16));
	cr_assert(eq(sz, lb.data_len, 13));
	cr_assert(eq(sz, lb.icv_off, 28 + 4 + 8 + 13));
	cr_assert(eq(u8, out[16], IKE_SK));
	cr_assert(eq(u8, out[28], IKE_NOTIFY)); /* SK's Next Payload = first inner */
	cr_assert(eq(u16, ike_get_u16(out + 30), len - 28));
	cr_assert(eq(u32, ike_get_u32(out + 24), len));
}

Test(ike_wire_sk, cbc_layout_pads_to_block_with_pad_length_last)
{
	size_t len = sample(5);
	ike_msg m;
	ike_sk_layout l;
	ike_wire_err err;

	cr_assert(eq(int, ike_wire_decode(buf, len, &m, NULL), IKE_OK));
	cr_assert(eq(int, ike_wire_sk_layout(&m, 16, 16, 16, &l, NULL), IKE_OK));
	cr_assert(eq(sz, l.data_len % 16, 0));
	cr_assert(eq(sz, l.iv_off, 32));
	cr_assert(eq(sz, l.data_off, 48));
	cr_assert(eq(sz, l.icv_off + 16, len));
	cr_assert(lt(u8, buf[l.icv_off - 1], 16));
	cr_assert(eq(int, ike_wire_decode_inner(&m, buf + l.data_off, l.data_len, NULL), IKE_OK));
	cr_assert(eq(u32, m.inner.n, 4));
	/* A data range that is not whole blocks. */
	cr_assert(eq(int, ike_wire_sk_layout(&m, 16, 16, 12, &l, &err), IKE_ERR_MALFORMED));
	/* A body too short for IV and ICV. */
	cr_assert(eq(int, ike_wire_sk_layout(&m, 16, 1, len, &l, &err), IKE_ERR_TRUNCATED));
}

Test(ike_wire_sk, skf_layout_covers_fragment_fields)
{
	size_t len = sample(12);
	ike_msg m;
	ike_sk_layout l;

	cr_assert(eq(int, ike_wire_decode(buf, len, &m, NULL), IKE_OK));
	cr_assert(eq(u8, m.sk.type, IKE_SKF));
	cr_assert(eq(u16, m.sk.frag_num, 1));
	cr_assert(eq(u16, m.sk.frag_total, 2));
	cr_assert(eq(int, ike_wire_sk_layout(&m, 8, 1, 16, &l, NULL), IKE_OK));
	cr_assert(eq(sz, l.aad_len, 36));
	buf[33] = 3; /* fragment 3 of 2 */
	cr_assert(eq(int, ike_wire_decode(buf, len, &m, NULL), IKE_ERR_MALFORMED));
}

Test(ike_wire_sk, rejects_bad_pad_length_and_nested_sk)
{
	size_t len = sample(7);
	ike_msg m;
	ike_sk_layout l;
	uint8_t nested[] = {0, 0, 0, 4};

	cr_assert(eq(int, ike_wire_decode(buf, len, &m, NULL), IKE_OK));
	cr_assert(eq(int, ike_wire_sk_layout(&m, 16, 16, 12, &l, NULL), IKE_OK));
	buf[l.data_off + l.data_len - 1] = (uint8_t)l.data_len;
	cr_assert(eq(int, ike_wire_decode_inner(&m, buf + l.data_off, l.data_len, NULL), IKE_ERR_MALFORMED));
	{
		ike_pld_list pl;
		cr_assert(eq(int, ike_wire_decode_chain(nested, sizeof nested, IKE_SK, &pl, NULL),
		             IKE_ERR_MALFORMED));
	}
	m.sk.present = false;
	cr_assert(eq(int, ike_wire_sk_layout(&m, 16, 16, 12, &l, NULL), IKE_ERR_STATE));
}

Test(ike_wire_builder, enforces_call_order_and_buffer_size)
{
	uint8_t small[40];
	ike_msg_builder b;
	ike_hdr h = {.version = IKE_VERSION_2, .exchange = IKE_INFORMATIONAL};
	ike_wr *w;
	size_t len;
	ike_sk_layout l;

	ike_mb_init(&b, buf, sizeof buf, &h);
	cr_assert(eq(int, ike_mb_open(&b, IKE_SK, 0, &w), IKE_ERR_STATE));
	ike_mb_init(&b, buf, sizeof buf, &h);
	cr_assert(eq(int, ike_mb_finish_sk(&b, 1, 16, &l, &len), IKE_ERR_STATE));
	ike_mb_init(&b, buf, sizeof buf, &h);
	cr_assert(eq(int, ike_mb_open(&b, IKE_VENDOR, 0, &w), IKE_OK));
	cr_assert(eq(int, ike_mb_finish(&b, &len), IKE_ERR_STATE));
	ike_mb_init(&b, buf, sizeof buf, &h);
	cr_assert(eq(int, ike_mb_begin_sk(&b, 8), IKE_OK));
	cr_assert(eq(int, ike_mb_finish(&b, &len), IKE_ERR_STATE));
	ike_mb_init(&b, buf, sizeof buf, &h);
	cr_assert(eq(int, ike_mb_add_nonce(&b, WS(8)), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_mb_add_vendor(&b, WS(4)), IKE_ERR_INVAL)); /* sticky */
	ike_mb_init(&b, small, sizeof small, &h);
	cr_assert(eq(int, ike_mb_add_nonce(&b, WS(16)), IKE_ERR_NOBUF));
	cr_assert(eq(int, ike_mb_finish(&b, &len), IKE_ERR_NOBUF));
	ike_mb_init(&b, small, 20, &h);
	cr_assert(eq(int, ike_mb_finish(&b, &len), IKE_ERR_NOBUF));
}

Test(ike_wire_msg, samples_round_trip_byte_exact)
{
	for (int i = 0; i < WS_COUNT; i++) {
		size_t len = sample(i), olen;
		ike_msg m;
		uint8_t out[8192];
		ike_wire_err err = {0};

		cr_assert(eq(int, ike_wire_decode(buf, len, &m, &err), IKE_OK), "sample %d: %s at %zu", i,
		          err.field ? err.field : "?", err.offset);
		cr_assert(eq(int, ike_wire_reencode(&m, out, sizeof out, &olen), IKE_OK));
		cr_assert(eq(sz, olen, len));
		cr_assert(eq(int, memcmp(out, buf, len), 0), "sample %d", i);
		cr_assert(eq(int, ww_message(buf, len, NULL), 0), "sample %d", i);
	}
}

Test(ike_wire_msg, samples_reject_every_truncation)
{
	for (int i = 0; i < WS_COUNT; i++) {
		size_t len = sample(i);
		ike_msg m;
		for (size_t n = 0; n < len; n++) {
			uint8_t cut[8192];
			memcpy(cut, buf, n);
			if (n >= 28)
				ike_put_u32(cut + 24, (uint32_t)n);
			cr_assert(lt(int, ike_wire_decode(cut, n, &m, NULL), 0),
			          "sample %d accepted %zu of %zu", i, n, len);
		}
	}
}

Test(ike_wire_msg, samples_survive_every_single_bit_flip)
{
	for (int i = 0; i < WS_COUNT; i++) {
		size_t len = sample(i);
		uint8_t f[8192];
		ww_stats st = {0};
		for (size_t bit = 0; bit < len * 8; bit++) {
			memcpy(f, buf, len);
			f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			cr_assert(eq(int, ww_message(f, len, &st), 0), "sample %d bit %zu", i, bit);
		}
		cr_assert(gt(u32, st.msgs, 0));
	}
}

Test(ike_wire_msg, finds_notifies_and_formats_errors)
{
	size_t len = sample(0);
	ike_msg m;
	ike_notify_pld n;
	ike_wire_err err;
	char line[128];
	const ike_pld *p;

	cr_assert(eq(int, ike_wire_decode(buf, len, &m, NULL), IKE_OK));
	p = ike_pld_find_notify(&m.pl, IKE_NAT_DETECTION_DESTINATION_IP, NULL, &n);
	cr_assert(not(eq(ptr, (void *)p, NULL)));
	cr_assert(eq(sz, n.data.len, 20));
	cr_assert(eq(ptr, (void *)ike_pld_find_notify(&m.pl, IKE_NAT_DETECTION_DESTINATION_IP, p, &n), NULL));
	cr_assert(eq(ptr, (void *)ike_pld_find_notify(&m.pl, IKE_COOKIE, NULL, &n), NULL));

	ike_put_u16(buf + 28 + 2, 3);
	cr_assert(eq(int, ike_wire_decode(buf, len, &m, &err), IKE_ERR_MALFORMED));
	cr_assert(eq(str, (char *)ike_wire_err_str(IKE_ERR_MALFORMED, &err, 0, line, sizeof line),
	             "MALFORMED in SA at byte 30: payload length below 4"));
	cr_assert(eq(str, (char *)ike_wire_err_str(IKE_ERR_NOBUF, NULL, 0, line, sizeof line), "NOBUF"));
}

Test(ike_wire_builder, rejects_invalid_arguments)
{
	ike_msg_builder b;
	ike_hdr h = {.version = IKE_VERSION_2, .exchange = IKE_IKE_AUTH};
	ike_sk_layout l;
	size_t len;

	ike_mb_init(&b, buf, sizeof buf, &h);
	cr_assert(eq(int, ike_mb_add_id(&b, IKE_AUTH, &(ike_id_pld){.type = IKE_ID_FQDN, .data = WS(3)}),
	             IKE_ERR_INVAL));
	ike_mb_init(&b, buf, sizeof buf, &h);
	cr_assert(eq(int, ike_mb_add_ts(&b, IKE_TSI, &(ike_ts_pld){.n = 0}), IKE_ERR_INVAL));
	ike_mb_init(&b, buf, sizeof buf, &h);
	cr_assert(eq(int, ike_mb_begin_skf(&b, 3, 2, 8), IKE_ERR_INVAL));
	ike_mb_init(&b, buf, sizeof buf, &h);
	cr_assert(eq(int, ike_mb_begin_skf(&b, 0, 2, 8), IKE_ERR_INVAL));
	ike_mb_init(&b, buf, sizeof buf, &h);
	cr_assert(eq(int, ike_mb_begin_sk(&b, 8), IKE_OK));
	cr_assert(eq(int, ike_mb_begin_sk(&b, 8), IKE_ERR_STATE));
	ike_mb_init(&b, buf, sizeof buf, &h);
	cr_assert(eq(int, ike_mb_begin_sk(&b, 8), IKE_OK));
	cr_assert(eq(int, ike_mb_finish_sk(&b, 0, 16, &l, &len), IKE_ERR_INVAL));
	ike_mb_init(&b, buf, sizeof buf, &h);
	cr_assert(eq(int, ike_mb_add_sk_raw(&b, IKE_IDI, WS(40)), IKE_OK));
	cr_assert(eq(int, ike_mb_add_nonce(&b, WS(16)), IKE_ERR_STATE)); /* nothing after SK */
}

Test(ike_wire_builder, patches_every_length_and_chains_next_payload)
{
	ike_msg_builder b;
	ike_hdr h = {
	    .spi_i = 5, .version = IKE_VERSION_2, .exchange = IKE_IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR};
	size_t len;
	ike_wr *w;

	ike_mb_init(&b, buf, sizeof buf, &h);
	cr_assert(eq(int, ike_mb_add_nonce(&b, WS(16)), IKE_OK));
	cr_assert(eq(int, ike_mb_open(&b, IKE_VENDOR, IKE_PAYLOAD_CRITICAL, &w), IKE_OK));
	cr_assert(ike_wr_bytes(w, "abc", 3));
	cr_assert(eq(int, ike_mb_close(&b), IKE_OK));
	cr_assert(eq(int, ike_mb_finish(&b, &len), IKE_OK));
	cr_assert(eq(sz, len, 28 + 20 + 7));
	cr_assert(eq(u8, buf[16], IKE_NONCE));
	cr_assert(eq(u32, ike_get_u32(buf + 24), len));
	cr_assert(eq(u8, buf[28], IKE_VENDOR));
	cr_assert(eq(u16, ike_get_u16(buf + 30), 20));
	cr_assert(eq(u8, buf[48], 0));
	cr_assert(eq(u8, buf[49], IKE_PAYLOAD_CRITICAL));
	cr_assert(eq(u16, ike_get_u16(buf + 50), 7));
	cr_assert(eq(int, memcmp(buf + 52, "abc", 3), 0));
}
