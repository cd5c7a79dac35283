/* SPDX-License-Identifier: MIT */
/*
 * Every payload decoder and encoder: round trip, every truncation, the generic
 * payload length off by one, single-bit flips over a whole message holding the
 * payload; then payload-specific rejections and limits.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "../../fuzz/wire_walk.h"
#include "wire_samples.h"

/* ---- one valid body per payload type, made by its encoder ---- */

static ike_sa_pld g_sa;

static size_t mk_sa(ike_wr *w)
{
	ws_sa_ike(&g_sa, true);
	g_sa.prop[1].xf[0].n_attr = 2; /* TV key length and a TLV attribute, as given */
	g_sa.prop[1].xf[0].attr[0] = (ike_xf_attr){.type = IKE_ATTR_KEY_LENGTH, .tv = true, .value = 256};
	g_sa.prop[1].xf[0].attr[1] = (ike_xf_attr){.type = 300, .tv = false, .data = WS(3)};
	return ike_sa_encode(w, &g_sa) ? 0 : w->len;
}
static size_t mk_sa_esp(ike_wr *w)
{
	ws_sa_esp(&g_sa);
	return ike_sa_encode(w, &g_sa) ? 0 : w->len;
}
static size_t mk_ke(ike_wr *w)
{
	return ike_ke_encode(w, &(ike_ke_pld){.group = IKE_MODP_2048, .data = WS(256)}) ? 0 : w->len;
}
static size_t mk_id(ike_wr *w)
{
	return ike_id_encode(w, &(ike_id_pld){.type = IKE_ID_KEY_ID, .data = WS(20)}) ? 0 : w->len;
}
static size_t mk_cert(ike_wr *w)
{
	return ike_cert_encode(w, &(ike_cert_pld){.encoding = IKE_CERT_X509_SIGNATURE, .data = WS(64)})
	           ? 0
	           : w->len;
}
static size_t mk_certreq(ike_wr *w)
{
	return ike_certreq_encode(w, &(ike_cert_pld){.encoding = IKE_CERT_X509_SIGNATURE, .data = WS(40)})
	           ? 0
	           : w->len;
}
static size_t mk_auth(ike_wr *w)
{
	return ike_auth_encode(w, &(ike_auth_pld){.method = IKE_AUTH_SHARED_KEY, .data = WS(32)}) ? 0
	                                                                                          : w->len;
}
static size_t mk_nonce(ike_wr *w)
{
	return ike_nonce_encode(w, WS(32)) ? 0 : w->len;
}
static size_t mk_notify(ike_wr *w)
{
	return ike_notify_encode(w, &(ike_notify_pld){.proto = IKE_PROTO_ESP,
	                                              .spi = WS(4),
	                                              .type = IKE_REKEY_SA,
	                                              .data = WS(3)})
	           ? 0
	           : w->len;
}
static size_t mk_delete(ike_wr *w)
{
	return ike_delete_encode(
	           w, &(ike_delete_pld){.proto = IKE_PROTO_ESP, .spi_len = 4, .n = 3, .spis = WS(12)})
	           ? 0
	           : w->len;
}
static size_t mk_vendor(ike_wr *w)
{
	return ike_vendor_encode(w, WS(16)) ? 0 : w->len;
}
static size_t mk_ts(ike_wr *w)
{
	ike_ts_pld ts;
	ws_ts(&ts, true);
	return ike_ts_encode(w, &ts) ? 0 : w->len;
}
static size_t mk_cp(ike_wr *w)
{
	ike_cp_pld cp = {.type = IKE_CFG_REPLY, .n = 3};
	cp.attr[0] = (ike_cp_attr){.type = IKE_INTERNAL_IP4_ADDRESS, .value = WS(4)};
	cp.attr[1] = (ike_cp_attr){.type = IKE_INTERNAL_IP6_ADDRESS, .value = WS(17)};
	cp.attr[2] = (ike_cp_attr){.type = IKE_SUPPORTED_ATTRIBUTES, .value = WS(0)};
	return ike_cp_encode(w, &cp) ? 0 : w->len;
}
static size_t mk_eap(ike_wr *w)
{
	return ike_eap_encode(w, (ike_slice){(const uint8_t *)"\x02\x07\x00\x0a\x01peer", 10}) ? 0 : w->len;
}
/* Notify bodies carrying ME_ENDPOINT data. */
static size_t mk_me(ike_wr *w, uint8_t family)
{
	uint8_t d[32];
	ike_wr dw = ike_wr_init(d, sizeof d);
	ike_me_endpoint ep = ws_ep(family, IKE_ME_HOST);

	if (ike_me_endpoint_encode(&dw, &ep))
		return 0;
	return ike_notify_encode(w, &(ike_notify_pld){.type = IKE_ME_ENDPOINT, .data = {d, dw.len}}) ? 0
	                                                                                             : w->len;
}
static size_t mk_me4(ike_wr *w)
{
	return mk_me(w, IKE_AF_INET);
}
static size_t mk_me6(ike_wr *w)
{
	return mk_me(w, IKE_AF_INET6);
}
static size_t mk_me0(ike_wr *w)
{
	return mk_me(w, IKE_AF_NONE);
}

/* strict: no proper prefix of the body is a valid body of this type. */
typedef struct pcase {
	uint8_t type;
	size_t (*make)(ike_wr *w);
	bool strict;
} pcase;

enum {
	C_SA,
	C_SA_ESP,
	C_KE,
	C_ID,
	C_CERT,
	C_CERTREQ,
	C_AUTH,
	C_NONCE,
	C_NOTIFY,
	C_DELETE,
	C_VENDOR,
	C_TS,
	C_CP,
	C_EAP,
	C_ME4,
	C_ME6,
	C_ME0
};
static const pcase cases[] = {
    [C_SA] = {IKE_SA, mk_sa, true},
    [C_SA_ESP] = {IKE_SA, mk_sa_esp, true},
    [C_KE] = {IKE_KE, mk_ke, false},
    [C_ID] = {IKE_IDI, mk_id, false},
    [C_CERT] = {IKE_CERT, mk_cert, false},
    [C_CERTREQ] = {IKE_CERTREQ, mk_certreq, false},
    [C_AUTH] = {IKE_AUTH, mk_auth, false},
    [C_NONCE] = {IKE_NONCE, mk_nonce, false},
    [C_NOTIFY] = {IKE_NOTIFY, mk_notify, false},
    [C_DELETE] = {IKE_DELETE, mk_delete, true},
    [C_VENDOR] = {IKE_VENDOR, mk_vendor, false},
    [C_TS] = {IKE_TSR, mk_ts, true},
    [C_CP] = {IKE_CP, mk_cp, false},
    [C_EAP] = {IKE_EAP, mk_eap, true},
    [C_ME4] = {IKE_NOTIFY, mk_me4, false},
    [C_ME6] = {IKE_NOTIFY, mk_me6, false},
    [C_ME0] = {IKE_NOTIFY, mk_me0, false},
};

static uint8_t body[4096];
static size_t body_len;

static void make_body(const pcase *c)
{
	ike_wr w = ike_wr_init(body, sizeof body);
	body_len = c->make(&w);
	cr_assert(gt(sz, body_len, 0), "encoder failed for %s", ike_payload_name(c->type));
}

/* A message: header, a nonce, then the payload under test last. */
static size_t make_msg(const pcase *c, uint8_t *buf, size_t cap)
{
	ike_hdr h = {
	    .spi_i = 1, .spi_r = 2, .version = IKE_VERSION_2, .exchange = IKE_INFORMATIONAL, .mid = 9};
	ike_msg_builder b;
	size_t len = 0;

	make_body(c);
	ike_mb_init(&b, buf, cap, &h);
	cr_assert(eq(int, ike_mb_add_nonce(&b, WS(16)), IKE_OK));
	cr_assert(eq(int, ike_mb_add_raw(&b, c->type, 0, (ike_slice){body, body_len}), IKE_OK));
	cr_assert(eq(int, ike_mb_finish(&b, &len), IKE_OK));
	return len;
}

static void check_round_trip(const pcase *c)
{
	uint8_t out[4096], msg[4200];
	ike_wr w = ike_wr_init(out, sizeof out);
	ike_msg m;
	size_t len = make_msg(c, msg, sizeof msg);

	cr_assert(eq(int, ww_dec_enc(c->type, 0, (ike_slice){body, body_len}, &w), IKE_OK));
	cr_assert(eq(sz, w.len, body_len));
	cr_assert(eq(int, memcmp(out, body, body_len), 0), "re-encoded %s differs",
	          ike_payload_name(c->type));
	cr_assert(eq(int, ike_wire_decode(msg, len, &m, NULL), IKE_OK));
	cr_assert(eq(u32, m.pl.n, 2));
	cr_assert(eq(u8, m.pl.p[1].type, c->type));
	cr_assert(eq(sz, m.pl.p[1].body.len, body_len));
	cr_assert(eq(int, memcmp(m.pl.p[1].body.ptr, body, body_len), 0));
	cr_assert(eq(int, ww_message(msg, len, NULL), 0));
}

static void check_truncations(const pcase *c)
{
	uint8_t msg[4200], cut[4200];
	size_t len = make_msg(c, msg, sizeof msg);
	ike_msg m;

	/* The datagram cut short, header length patched to match: the payload
	 * lengths no longer fit. */
	for (size_t n = 0; n < len; n++) {
		memcpy(cut, msg, n);
		if (n >= 28)
			ike_put_u32(cut + 24, (uint32_t)n);
		cr_assert(lt(int, ike_wire_decode(cut, n, &m, NULL), 0), "accepted %zu of %zu bytes", n, len);
	}
	/* The body cut short: every prefix rejected by the typed decoder. */
	if (c->strict) {
		for (size_t n = 0; n < body_len; n++) {
			uint8_t out[4096];
			ike_wr w = ike_wr_init(out, sizeof out);
			cr_assert(lt(int, ww_dec_enc(c->type, 0, (ike_slice){body, n}, &w), 0),
			          "%s accepted %zu of %zu body bytes", ike_payload_name(c->type), n,
			          body_len);
		}
	}
}

static void check_len_pm1(const pcase *c)
{
	uint8_t msg[4200];
	size_t len = make_msg(c, msg, sizeof msg);
	size_t at = 28 + 4 + 16 + 2; /* length field of the payload under test */
	uint16_t l = ike_get_u16(msg + at);
	ike_msg m;
	ike_wire_err err;

	cr_assert(eq(u16, l, body_len + 4));
	ike_put_u16(msg + at, (uint16_t)(l + 1));
	cr_assert(eq(int, ike_wire_decode(msg, len, &m, &err), IKE_ERR_TRUNCATED));
	cr_assert(eq(sz, err.offset, at));
	ike_put_u16(msg + at, (uint16_t)(l - 1));
	cr_assert(eq(int, ike_wire_decode(msg, len, &m, &err), IKE_ERR_MALFORMED));
	cr_assert(eq(sz, err.offset, len - 1), "trailing byte reported at %zu", err.offset);
}

static void check_bit_flips(const pcase *c)
{
	uint8_t msg[4200], f[4200];
	size_t len = make_msg(c, msg, sizeof msg);
	ww_stats st = {0};

	for (size_t bit = 0; bit < len * 8; bit++) {
		memcpy(f, msg, len);
		f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert(eq(int, ww_message(f, len, &st), 0), "bit %zu: inconsistent", bit);
	}
	/* Flips in the body (values) leave a decodable message. */
	cr_assert(gt(u32, st.typed_ok, 0));
}

#define PAYLOAD_TESTS(unit, idx)                                                                             \
	Test(ike_wire_##unit, round_trips)                                                                   \
	{                                                                                                    \
		check_round_trip(&cases[idx]);                                                               \
	}                                                                                                    \
	Test(ike_wire_##unit, rejects_every_truncation)                                                      \
	{                                                                                                    \
		check_truncations(&cases[idx]);                                                              \
	}                                                                                                    \
	Test(ike_wire_##unit, rejects_payload_length_plus_minus_one)                                         \
	{                                                                                                    \
		check_len_pm1(&cases[idx]);                                                                  \
	}                                                                                                    \
	Test(ike_wire_##unit, bit_flips_fail_cleanly_or_reencode_consistently)                               \
	{                                                                                                    \
		check_bit_flips(&cases[idx]);                                                                \
	}

PAYLOAD_TESTS(sa, C_SA)
PAYLOAD_TESTS(sa_esp, C_SA_ESP)
PAYLOAD_TESTS(ke, C_KE)
PAYLOAD_TESTS(id, C_ID)
PAYLOAD_TESTS(cert, C_CERT)
PAYLOAD_TESTS(certreq, C_CERTREQ)
PAYLOAD_TESTS(auth, C_AUTH)
PAYLOAD_TESTS(nonce, C_NONCE)
PAYLOAD_TESTS(notify, C_NOTIFY)
PAYLOAD_TESTS(delete, C_DELETE)
PAYLOAD_TESTS(vendor, C_VENDOR)
PAYLOAD_TESTS(ts, C_TS)
PAYLOAD_TESTS(cp, C_CP)
PAYLOAD_TESTS(eap, C_EAP)
PAYLOAD_TESTS(me_endpoint_ipv4, C_ME4)
PAYLOAD_TESTS(me_endpoint_ipv6, C_ME6)
PAYLOAD_TESTS(me_endpoint_none, C_ME0)

/* ---- payload-specific ---- */

static int sa_decode_bytes(const uint8_t *b, size_t n, ike_wire_err *err)
{
	return ike_sa_decode((ike_slice){b, n}, &g_sa, err);
}

Test(ike_wire_sa, decodes_fields_and_key_length)
{
	make_body(&cases[C_SA]);
	cr_assert(eq(int, sa_decode_bytes(body, body_len, NULL), IKE_OK));
	cr_assert(eq(u8, g_sa.n, 2));
	cr_assert(eq(u8, g_sa.prop[0].num, 1));
	cr_assert(eq(u8, g_sa.prop[1].num, 2));
	cr_assert(eq(u8, g_sa.prop[0].n_xf, 6));
	cr_assert(eq(u16, g_sa.prop[0].xf[1].key_bits, 256));
	cr_assert(eq(u8, g_sa.prop[0].xf[1].n_attr, 1));
	cr_assert(eq(u16, g_sa.prop[0].xf[4].id, IKE_CURVE25519));
	cr_assert(eq(u16, g_sa.prop[1].xf[0].key_bits, 256));
	cr_assert(eq(u8, g_sa.prop[1].xf[0].n_attr, 2));
	cr_assert(eq(u16, g_sa.prop[1].xf[0].attr[1].type, 300));
	cr_assert(eq(sz, g_sa.prop[1].xf[0].attr[1].data.len, 3));
}

Test(ike_wire_sa, rejects_inner_length_fields_off_by_one)
{
	/* Offsets in the ESP body: proposal length at 2, first transform length at
	 * 8 + 4 (SPI) + 2, the key length attribute of transform 1 is TV. */
	size_t fields[] = {2, 14};

	make_body(&cases[C_SA_ESP]);
	for (size_t i = 0; i < 2; i++) {
		for (int d = -1; d <= 1; d += 2) {
			uint8_t b[512];
			memcpy(b, body, body_len);
			ike_put_u16(b + fields[i], (uint16_t)(ike_get_u16(b + fields[i]) + d));
			cr_assert(lt(int, sa_decode_bytes(b, body_len, NULL), 0), "field %zu %+d accepted",
			          fields[i], d);
		}
	}
}

Test(ike_wire_sa, rejects_bad_numbering_spi_size_and_substructure_flags)
{
	uint8_t b[4096];
	ike_wire_err err;

	make_body(&cases[C_SA]);
	memcpy(b, body, body_len);
	b[4] = 0; /* proposal numbers start at 1 */
	cr_assert(eq(int, sa_decode_bytes(b, body_len, &err), IKE_ERR_MALFORMED));
	cr_assert(eq(str, (char *)err.field, "proposal number"));
	b[4] = 2; /* proposal 2 followed by proposal 2: allowed */
	cr_assert(eq(int, sa_decode_bytes(b, body_len, &err), IKE_OK));
	b[4] = 1;
	b[ike_get_u16(b + 2) + 4] = 3; /* 1 then 3 */
	cr_assert(eq(int, sa_decode_bytes(b, body_len, &err), IKE_ERR_MALFORMED));
	cr_assert(eq(str, (char *)err.field, "proposal number"));
	memcpy(b, body, body_len);
	memcpy(b, body, body_len);
	b[0] = 0; /* first proposal claims to be last */
	cr_assert(eq(int, sa_decode_bytes(b, body_len, &err), IKE_ERR_MALFORMED));
	cr_assert(eq(str, (char *)err.field, "bytes after last proposal"));
	memcpy(b, body, body_len);
	b[0] = 3;
	cr_assert(eq(int, sa_decode_bytes(b, body_len, &err), IKE_ERR_MALFORMED));
	memcpy(b, body, body_len);
	b[8] = 0; /* first transform claims to be last */
	cr_assert(eq(int, sa_decode_bytes(b, body_len, &err), IKE_ERR_MALFORMED));
	cr_assert(eq(str, (char *)err.field, "transform last substructure"));
	memcpy(b, body, body_len);
	b[7] = 5; /* transform count below the transforms present */
	cr_assert(eq(int, sa_decode_bytes(b, body_len, &err), IKE_ERR_MALFORMED));
	memcpy(b, body, body_len);
	b[7] = 7; /* above */
	cr_assert(lt(int, sa_decode_bytes(b, body_len, &err), 0));

	make_body(&cases[C_SA_ESP]);
	memcpy(b, body, body_len);
	b[6] = 8; /* ESP with an 8-byte SPI */
	cr_assert(eq(int, sa_decode_bytes(b, body_len, &err), IKE_ERR_MALFORMED));
	cr_assert(eq(str, (char *)err.field, "SPI size"));
	cr_assert(eq(sz, err.offset, 6));
	cr_assert(eq(int, sa_decode_bytes(b, 0, &err), IKE_ERR_MALFORMED));
}

Test(ike_wire_sa, enforces_proposal_and_transform_limits)
{
	static ike_sa_pld big;
	uint8_t b[65536];
	ike_wr w = ike_wr_init(b, sizeof b);

	memset(&big, 0, sizeof big);
	big.n = IKE_WIRE_MAX_PROPOSALS;
	for (unsigned i = 0; i < big.n; i++) {
		big.prop[i] = (ike_proposal){
		    .num = (uint8_t)(i + 1), .proto = IKE_PROTO_IKE, .n_xf = IKE_WIRE_MAX_TRANSFORMS};
		for (unsigned j = 0; j < IKE_WIRE_MAX_TRANSFORMS; j++)
			big.prop[i].xf[j] = (ike_transform){.type = IKE_ENCR, .id = 12, .key_bits = 128};
	}
	cr_assert(eq(int, ike_sa_encode(&w, &big), IKE_OK));
	cr_assert(eq(int, sa_decode_bytes(b, w.len, NULL), IKE_OK));
	cr_assert(eq(u8, g_sa.n, IKE_WIRE_MAX_PROPOSALS));
	/* One more proposal: the first again, appended with the same number as the last. */
	{
		size_t first_len = ike_get_u16(b + 2), total = w.len;
		ike_wire_err err;
		b[total - (total / IKE_WIRE_MAX_PROPOSALS)] = 2; /* the last proposal is no longer last */
		memcpy(b + total, b, first_len);
		b[total + 4] = IKE_WIRE_MAX_PROPOSALS;
		b[total] = 0;
		cr_assert(eq(int, sa_decode_bytes(b, total + first_len, &err), IKE_ERR_LIMIT));
		cr_assert(eq(str, (char *)err.field, "proposal count"));
	}
	w = ike_wr_init(b, sizeof b);
	big.prop[0].n_xf = IKE_WIRE_MAX_TRANSFORMS + 1;
	cr_assert(eq(int, ike_sa_encode(&w, &big), IKE_ERR_INVAL));
	/* A wire proposal announcing 33 transforms. */
	{
		uint8_t p[8 + 33 * 8];
		ike_wire_err err;
		memset(p, 0, sizeof p);
		ike_put_u16(p + 2, sizeof p);
		p[4] = 1;
		p[5] = IKE_PROTO_IKE;
		p[7] = 33;
		for (unsigned j = 0; j < 33; j++) {
			uint8_t *x = p + 8 + j * 8;
			x[0] = j + 1 < 33 ? 3 : 0;
			ike_put_u16(x + 2, 8);
			x[4] = IKE_ENCR;
			ike_put_u16(x + 6, 12);
		}
		cr_assert(eq(int, sa_decode_bytes(p, sizeof p, &err), IKE_ERR_LIMIT));
		cr_assert(eq(str, (char *)err.field, "transform count"));
	}
}

Test(ike_wire_nonce, rejects_sizes_outside_16_to_256)
{
	uint8_t n[300] = {0};
	ike_slice out;
	uint8_t b[400];
	ike_wr w = ike_wr_init(b, sizeof b);

	cr_assert(eq(int, ike_nonce_decode((ike_slice){n, 15}, &out, NULL), IKE_ERR_TRUNCATED));
	cr_assert(eq(int, ike_nonce_decode((ike_slice){n, 16}, &out, NULL), IKE_OK));
	cr_assert(eq(int, ike_nonce_decode((ike_slice){n, 256}, &out, NULL), IKE_OK));
	cr_assert(eq(int, ike_nonce_decode((ike_slice){n, 257}, &out, NULL), IKE_ERR_MALFORMED));
	cr_assert(eq(int, ike_nonce_encode(&w, (ike_slice){n, 15}), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_nonce_encode(&w, (ike_slice){n, 257}), IKE_ERR_INVAL));
}

Test(ike_wire_id, checks_address_lengths_and_converts_to_ike_id)
{
	uint8_t b[300] = {IKE_ID_IPV4_ADDR, 0, 0, 0, 198, 51, 100, 7, 1};
	ike_id_pld p;
	ike_id id;

	cr_assert(eq(int, ike_id_decode((ike_slice){b, 8}, &p, NULL), IKE_OK));
	cr_assert(eq(int, ike_id_decode((ike_slice){b, 9}, &p, NULL), IKE_ERR_MALFORMED));
	b[0] = IKE_ID_KEY_ID;
	cr_assert(eq(int, ike_id_decode((ike_slice){b, 9}, &p, NULL), IKE_OK));
	cr_assert(eq(int, ike_id_to_ike_id(&p, &id), IKE_OK));
	cr_assert(eq(u8, id.type, IKE_ID_KEY_ID));
	cr_assert(eq(u8, id.len, 5));
	cr_assert(eq(u8, id.data[0], 198));
	p = ike_id_pld_of(&id);
	cr_assert(eq(sz, p.data.len, 5));
	p.data.len = 256;
	p.data.ptr = b;
	cr_assert(eq(int, ike_id_to_ike_id(&p, &id), IKE_ERR_LIMIT));
	cr_assert(eq(int, ike_id_decode((ike_slice){b, 4}, &p, NULL), IKE_ERR_TRUNCATED));
}

Test(ike_wire_notify, decodes_spi_and_data)
{
	ike_notify_pld n;

	make_body(&cases[C_NOTIFY]);
	cr_assert(eq(int, ike_notify_decode((ike_slice){body, body_len}, &n, NULL), IKE_OK));
	cr_assert(eq(u8, n.proto, IKE_PROTO_ESP));
	cr_assert(eq(u16, n.type, IKE_REKEY_SA));
	cr_assert(eq(sz, n.spi.len, 4));
	cr_assert(eq(sz, n.data.len, 3));
	body[1] = 9; /* SPI size above 8 */
	cr_assert(eq(int, ike_notify_decode((ike_slice){body, body_len}, &n, NULL), IKE_ERR_MALFORMED));
	body[1] = 8; /* SPI longer than the body */
	cr_assert(eq(int, ike_notify_decode((ike_slice){body, body_len}, &n, NULL), IKE_ERR_TRUNCATED));
}

Test(ike_wire_delete, checks_spi_size_count_and_protocol)
{
	ike_delete_pld d;
	uint8_t b[64];

	make_body(&cases[C_DELETE]);
	cr_assert(eq(int, ike_delete_decode((ike_slice){body, body_len}, &d, NULL), IKE_OK));
	cr_assert(eq(u16, d.n, 3));
	cr_assert(eq(u32, ike_delete_spi32(&d, 1), 0x05060708));
	cr_assert(eq(u32, ike_delete_spi32(&d, 3), 0));
	for (int dl = -1; dl <= 1; dl += 2) {
		memcpy(b, body, body_len);
		ike_put_u16(b + 2, (uint16_t)(3 + dl));
		cr_assert(lt(int, ike_delete_decode((ike_slice){b, body_len}, &d, NULL), 0));
	}
	memcpy(b, body, body_len);
	b[1] = 8;
	cr_assert(eq(int, ike_delete_decode((ike_slice){b, body_len}, &d, NULL), IKE_ERR_MALFORMED));
	memcpy(b, (const uint8_t[]){IKE_PROTO_IKE, 0, 0, 0}, 4);
	cr_assert(eq(int, ike_delete_decode((ike_slice){b, 4}, &d, NULL), IKE_OK));
	b[3] = 1;
	cr_assert(eq(int, ike_delete_decode((ike_slice){b, 4}, &d, NULL), IKE_ERR_MALFORMED));
	b[3] = 0;
	b[0] = 9;
	cr_assert(eq(int, ike_delete_decode((ike_slice){b, 4}, &d, NULL), IKE_ERR_MALFORMED));
}

Test(ike_wire_ts, decodes_ipv4_and_ipv6_ranges)
{
	ike_ts_pld ts;

	make_body(&cases[C_TS]);
	cr_assert(eq(int, ike_ts_decode((ike_slice){body, body_len}, &ts, NULL), IKE_OK));
	cr_assert(eq(u8, ts.n, 2));
	cr_assert(eq(u8, ts.ts[0].type, IKE_TS_IPV4_ADDR_RANGE));
	cr_assert(eq(u16, ts.ts[0].end_port, 65535));
	cr_assert(eq(u8, ts.ts[0].start[1], 91));
	cr_assert(eq(u8, ts.ts[1].ip_proto, 17));
	cr_assert(eq(u8, ts.ts[1].end[15], 0xff));
	cr_assert(eq(u16, ts.ts[1].start_port, 500));
}

Test(ike_wire_ts, rejects_selector_length_count_and_type)
{
	ike_ts_pld ts;
	uint8_t b[256];
	ike_wire_err err;

	make_body(&cases[C_TS]);
	for (int d = -1; d <= 1; d += 2) {
		memcpy(b, body, body_len);
		ike_put_u16(b + 6, (uint16_t)(16 + d));
		cr_assert(eq(int, ike_ts_decode((ike_slice){b, body_len}, &ts, NULL), IKE_ERR_MALFORMED));
		memcpy(b, body, body_len);
		b[0] = (uint8_t)(2 + d);
		cr_assert(lt(int, ike_ts_decode((ike_slice){b, body_len}, &ts, NULL), 0));
	}
	memcpy(b, body, body_len);
	b[0] = 0;
	cr_assert(eq(int, ike_ts_decode((ike_slice){b, body_len}, &ts, NULL), IKE_ERR_MALFORMED));
	b[0] = IKE_WIRE_MAX_TS + 1;
	cr_assert(eq(int, ike_ts_decode((ike_slice){b, body_len}, &ts, NULL), IKE_ERR_LIMIT));
	memcpy(b, body, body_len);
	b[4] = 9;
	cr_assert(eq(int, ike_ts_decode((ike_slice){b, body_len}, &ts, &err), IKE_ERR_UNSUPPORTED));
	cr_assert(eq(sz, err.offset, 4));
}

Test(ike_wire_cp, enforces_attribute_limit_and_lengths)
{
	uint8_t b[4 + 33 * 4] = {IKE_CFG_REQUEST};
	ike_cp_pld cp;
	ike_wire_err err;

	for (unsigned i = 0; i < 33; i++)
		ike_put_u16(b + 4 + i * 4, IKE_INTERNAL_IP4_DNS);
	cr_assert(eq(int, ike_cp_decode((ike_slice){b, 4 + 32 * 4}, &cp, NULL), IKE_OK));
	cr_assert(eq(u8, cp.n, 32));
	cr_assert(eq(int, ike_cp_decode((ike_slice){b, sizeof b}, &cp, &err), IKE_ERR_LIMIT));
	cr_assert(eq(sz, err.offset, 4 + 32 * 4));
	make_body(&cases[C_CP]);
	ike_put_u16(body + 6, 5); /* first attribute's length + 1 */
	cr_assert(lt(int, ike_cp_decode((ike_slice){body, body_len}, &cp, NULL), 0));
}

Test(ike_wire_eap, rejects_length_off_by_one)
{
	ike_slice e;

	make_body(&cases[C_EAP]);
	cr_assert(eq(int, ike_eap_decode((ike_slice){body, body_len}, &e, NULL), IKE_OK));
	body[3]++;
	cr_assert(eq(int, ike_eap_decode((ike_slice){body, body_len}, &e, NULL), IKE_ERR_TRUNCATED));
	body[3] -= 2;
	cr_assert(eq(int, ike_eap_decode((ike_slice){body, body_len}, &e, NULL), IKE_ERR_MALFORMED));
}

/* ---- ME_ENDPOINT ---- */

Test(ike_wire_me_endpoint, encodes_ipv4_exactly)
{
	uint8_t b[32];
	ike_wr w = ike_wr_init(b, sizeof b);
	ike_me_endpoint ep = ws_ep(IKE_AF_INET, IKE_ME_SERVER_REFLEXIVE), back;
	static const uint8_t want[] = {0x00, 0x40, 0xff, 0xff, 1, 3, 0x11, 0x94, 198, 51, 100, 21};

	cr_assert(eq(int, ike_me_endpoint_encode(&w, &ep), IKE_OK));
	cr_assert(eq(sz, w.len, sizeof want));
	cr_assert(eq(int, memcmp(b, want, sizeof want), 0));
	cr_assert(eq(int, ike_me_endpoint_decode((ike_slice){b, w.len}, &back, NULL), IKE_OK));
	cr_assert(eq(u32, back.priority, 64u << 16 | 65535));
	cr_assert(eq(u8, back.type, IKE_ME_SERVER_REFLEXIVE));
	cr_assert(ike_addr_eq(&back.addr, &ep.addr));
}

Test(ike_wire_me_endpoint, encodes_ipv6_and_no_address)
{
	uint8_t b[32];
	ike_wr w = ike_wr_init(b, sizeof b);
	ike_me_endpoint ep = ws_ep(IKE_AF_INET6, IKE_ME_HOST), back;

	cr_assert(eq(int, ike_me_endpoint_encode(&w, &ep), IKE_OK));
	cr_assert(eq(sz, w.len, 24));
	cr_assert(eq(int, ike_me_endpoint_decode((ike_slice){b, w.len}, &back, NULL), IKE_OK));
	cr_assert(ike_addr_eq(&back.addr, &ep.addr));
	cr_assert(eq(u16, back.addr.port, 4500));
	w = ike_wr_init(b, sizeof b);
	ep = ws_ep(IKE_AF_NONE, IKE_ME_SERVER_REFLEXIVE);
	cr_assert(eq(int, ike_me_endpoint_encode(&w, &ep), IKE_OK));
	/* strongSwan 5.9 writes the port even without an address: 8 bytes */
	cr_assert(eq(sz, w.len, 8));
	cr_assert(eq(int, ike_me_endpoint_decode((ike_slice){b, 8}, &back, NULL), IKE_OK));
	cr_assert(eq(u8, back.addr.family, IKE_AF_NONE));
	cr_assert(not(back.no_port));
	/* the draft's 6-byte form (no port) is accepted too, and re-encodes to 6 bytes */
	cr_assert(eq(int, ike_me_endpoint_decode((ike_slice){b, 6}, &back, NULL), IKE_OK));
	cr_assert(eq(u8, back.addr.family, IKE_AF_NONE));
	cr_assert(eq(u8, back.type, IKE_ME_SERVER_REFLEXIVE));
	cr_assert(back.no_port);
	w = ike_wr_init(b, sizeof b);
	cr_assert(eq(int, ike_me_endpoint_encode(&w, &back), IKE_OK));
	cr_assert(eq(sz, w.len, 6));
}

Test(ike_wire_me_endpoint, decodes_strongswans_server_reflexive_request)
{
	/* as charon 5.9.8 sends it in IKE_AUTH (captured in the lab): priority
	 * 2^16 * 64 + 65535, family 0, type SERVER_REFLEXIVE, port 0 */
	static const uint8_t sw[] = {0x00, 0x40, 0xff, 0xff, 0x00, 0x03, 0x00, 0x00};
	ike_me_endpoint back;

	cr_assert(eq(int, ike_me_endpoint_decode((ike_slice){sw, sizeof sw}, &back, NULL), IKE_OK));
	cr_assert(eq(u32, back.priority, 64u * 65536u + 65535u));
	cr_assert(eq(u8, back.addr.family, IKE_AF_NONE));
	cr_assert(eq(u8, back.type, IKE_ME_SERVER_REFLEXIVE));
}

Test(ike_wire_me_endpoint, rejects_every_truncation_and_bad_family_or_type)
{
	uint8_t b[32];
	ike_me_endpoint back;
	static const uint8_t fam[] = {IKE_AF_NONE, IKE_AF_INET, IKE_AF_INET6};

	for (size_t f = 0; f < 3; f++) {
		ike_wr w = ike_wr_init(b, sizeof b);
		ike_me_endpoint ep = ws_ep(fam[f], IKE_ME_HOST);
		cr_assert(eq(int, ike_me_endpoint_encode(&w, &ep), IKE_OK));
		for (size_t n = 0; n < w.len; n++) {
			if (fam[f] == IKE_AF_NONE && n == 6)
				continue; /* the 6-byte form without port is valid */
			cr_assert(lt(int, ike_me_endpoint_decode((ike_slice){b, n}, &back, NULL), 0));
		}
		b[w.len] = 0;
		cr_assert(eq(int, ike_me_endpoint_decode((ike_slice){b, w.len + 1}, &back, NULL),
		             IKE_ERR_MALFORMED));
	}
	b[4] = 3;
	cr_assert(eq(int, ike_me_endpoint_decode((ike_slice){b, 24}, &back, NULL), IKE_ERR_MALFORMED));
	b[4] = 2;
	b[5] = 5;
	cr_assert(eq(int, ike_me_endpoint_decode((ike_slice){b, 24}, &back, NULL), IKE_ERR_MALFORMED));
	b[5] = 0;
	cr_assert(eq(int, ike_me_endpoint_decode((ike_slice){b, 24}, &back, NULL), IKE_ERR_MALFORMED));
}

Test(ike_wire_sa, accepts_a_response_with_the_chosen_proposal_number)
{
	uint8_t b[512];
	ike_wr w = ike_wr_init(b, sizeof b);

	ws_sa_esp(&g_sa);
	g_sa.prop[0].num = 3;
	cr_assert(eq(int, ike_sa_encode(&w, &g_sa), IKE_OK));
	cr_assert(eq(int, sa_decode_bytes(b, w.len, NULL), IKE_OK));
	cr_assert(eq(u8, g_sa.prop[0].num, 3));
}
