/* SPDX-License-Identifier: MIT */
/* The STUN/TURN codec against the RFC 5769 vectors, round trips and rejects. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "turn/stun.h"
#include "vectors.h"

static ike_slice str_slice(const char *s)
{
	return (ike_slice){(const uint8_t *)s, strlen(s)};
}

static bool attr_is(const stun_msg *m, uint16_t type, const char *text)
{
	const stun_attr *a = stun_msg_find(m, type);
	return a && a->value.len == strlen(text) && memcmp(a->value.ptr, text, a->value.len) == 0;
}

Test(turn_stun, decodes_rfc5769_request_and_verifies_short_term_integrity)
{
	stun_msg m;

	cr_assert(eq(int, stun_decode(rfc5769_request, sizeof rfc5769_request, &m), IKE_OK));
	cr_assert(eq(u16, m.method, STUN_BINDING));
	cr_assert(eq(u8, m.cls, STUN_REQUEST));
	cr_assert(m.has_fingerprint);
	cr_assert(eq(sz, m.n_unknown, 0));
	cr_assert(attr_is(&m, STUN_A_SOFTWARE, "STUN test client"));
	cr_assert(attr_is(&m, STUN_A_USERNAME, "evtj:h6vY"));
	cr_assert(eq(
	    int,
	    stun_check_integrity(&m, (const uint8_t *)RFC5769_SHORT_PASSWORD, strlen(RFC5769_SHORT_PASSWORD)),
	    IKE_OK));
	cr_assert(eq(int, stun_check_integrity(&m, (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBT", 22),
	             IKE_ERR_INTEGRITY));
}

Test(turn_stun, reencodes_rfc5769_request_byte_exactly)
{
	static const uint8_t prio[] = {0x6e, 0x00, 0x01, 0xff};
	static const uint8_t tie[] = {0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36};
	uint8_t buf[256];
	stun_enc e;

	cr_assert(eq(int, stun_enc_init(&e, buf, sizeof buf, STUN_BINDING, STUN_REQUEST, rfc5769_request + 8),
	             IKE_OK));
	e.pad = 0x20;
	cr_assert(eq(int, stun_enc_attr(&e, STUN_A_SOFTWARE, "STUN test client", 16), IKE_OK));
	cr_assert(eq(int, stun_enc_attr(&e, STUN_A_PRIORITY, prio, sizeof prio), IKE_OK));
	cr_assert(eq(int, stun_enc_attr(&e, STUN_A_ICE_CONTROLLED, tie, sizeof tie), IKE_OK));
	cr_assert(eq(int, stun_enc_attr(&e, STUN_A_USERNAME, "evtj:h6vY", 9), IKE_OK));
	cr_assert(eq(
	    int,
	    stun_enc_integrity(&e, (const uint8_t *)RFC5769_SHORT_PASSWORD, strlen(RFC5769_SHORT_PASSWORD)),
	    IKE_OK));
	cr_assert(eq(int, stun_enc_fingerprint(&e), IKE_OK));
	cr_assert(eq(sz, e.len, sizeof rfc5769_request));
	cr_assert(eq(int, memcmp(buf, rfc5769_request, e.len), 0));
}

static void check_response(const uint8_t *vec, size_t len, const char *ip, uint16_t port)
{
	stun_msg m;
	ike_addr got, want;
	uint8_t buf[256];
	stun_enc e;

	cr_assert(eq(int, stun_decode(vec, len, &m), IKE_OK));
	cr_assert(eq(u16, m.method, STUN_BINDING));
	cr_assert(eq(u8, m.cls, STUN_SUCCESS));
	cr_assert(m.has_fingerprint);
	cr_assert(attr_is(&m, STUN_A_SOFTWARE, "test vector"));
	cr_assert(
	    eq(int, stun_attr_xor_addr(&m, stun_msg_find(&m, STUN_A_XOR_MAPPED_ADDRESS), &got), IKE_OK));
	cr_assert(eq(int, ike_addr_parse(&want, ip, port), IKE_OK));
	cr_assert(ike_addr_eq(&got, &want));
	cr_assert(eq(
	    int,
	    stun_check_integrity(&m, (const uint8_t *)RFC5769_SHORT_PASSWORD, strlen(RFC5769_SHORT_PASSWORD)),
	    IKE_OK));

	cr_assert(eq(int, stun_enc_init(&e, buf, sizeof buf, STUN_BINDING, STUN_SUCCESS, vec + 8), IKE_OK));
	e.pad = 0x20;
	cr_assert(eq(int, stun_enc_attr(&e, STUN_A_SOFTWARE, "test vector", 11), IKE_OK));
	cr_assert(eq(int, stun_enc_xor_addr(&e, STUN_A_XOR_MAPPED_ADDRESS, &want), IKE_OK));
	cr_assert(eq(
	    int,
	    stun_enc_integrity(&e, (const uint8_t *)RFC5769_SHORT_PASSWORD, strlen(RFC5769_SHORT_PASSWORD)),
	    IKE_OK));
	cr_assert(eq(int, stun_enc_fingerprint(&e), IKE_OK));
	cr_assert(eq(sz, e.len, len));
	cr_assert(eq(int, memcmp(buf, vec, len), 0));
}

Test(turn_stun, decodes_and_reencodes_rfc5769_ipv4_response)
{
	check_response(rfc5769_response_v4, sizeof rfc5769_response_v4, "192.0.2.1", 32853);
}

Test(turn_stun, decodes_and_reencodes_rfc5769_ipv6_response)
{
	check_response(rfc5769_response_v6, sizeof rfc5769_response_v6,
	               "2001:db8:1234:5678:11:2233:4455:6677", 32853);
}

Test(turn_stun, verifies_and_reencodes_rfc5769_long_term_request)
{
	uint8_t key[STUN_KEY_LEN], buf[256];
	stun_msg m;
	stun_enc e;

	cr_assert(eq(int, stun_decode(rfc5769_request_lt, sizeof rfc5769_request_lt, &m), IKE_OK));
	cr_assert(not(m.has_fingerprint));
	cr_assert(attr_is(&m, STUN_A_USERNAME, RFC5769_LT_USER));
	cr_assert(attr_is(&m, STUN_A_REALM, RFC5769_LT_REALM));
	cr_assert(attr_is(&m, STUN_A_NONCE, RFC5769_LT_NONCE));
	cr_assert(eq(
	    int, stun_long_term_key(RFC5769_LT_USER, str_slice(RFC5769_LT_REALM), RFC5769_LT_PASSWORD, key),
	    IKE_OK));
	cr_assert(eq(int, stun_check_integrity(&m, key, sizeof key), IKE_OK));

	cr_assert(eq(int,
	             stun_enc_init(&e, buf, sizeof buf, STUN_BINDING, STUN_REQUEST, rfc5769_request_lt + 8),
	             IKE_OK));
	cr_assert(
	    eq(int, stun_enc_attr(&e, STUN_A_USERNAME, RFC5769_LT_USER, strlen(RFC5769_LT_USER)), IKE_OK));
	cr_assert(
	    eq(int, stun_enc_attr(&e, STUN_A_NONCE, RFC5769_LT_NONCE, strlen(RFC5769_LT_NONCE)), IKE_OK));
	cr_assert(
	    eq(int, stun_enc_attr(&e, STUN_A_REALM, RFC5769_LT_REALM, strlen(RFC5769_LT_REALM)), IKE_OK));
	cr_assert(eq(int, stun_enc_integrity(&e, key, sizeof key), IKE_OK));
	cr_assert(eq(sz, e.len, sizeof rfc5769_request_lt));
	cr_assert(eq(int, memcmp(buf, rfc5769_request_lt, e.len), 0));

	cr_assert(eq(int, stun_long_term_key(RFC5769_LT_USER, str_slice(RFC5769_LT_REALM), "thematrix", key),
	             IKE_OK));
	cr_assert(eq(int, stun_check_integrity(&m, key, sizeof key), IKE_ERR_INTEGRITY));
}

Test(turn_stun, rejects_every_truncation)
{
	const uint8_t *vecs[] = {rfc5769_request, rfc5769_response_v4, rfc5769_response_v6,
	                         rfc5769_request_lt};
	size_t lens[] = {sizeof rfc5769_request, sizeof rfc5769_response_v4, sizeof rfc5769_response_v6,
	                 sizeof rfc5769_request_lt};
	stun_msg m;

	for (size_t v = 0; v < 4; v++)
		for (size_t n = 0; n < lens[v]; n++)
			cr_assert(lt(int, stun_decode(vecs[v], n, &m), 0),
			          "vector %zu accepted %zu of %zu bytes", v, n, lens[v]);
}

Test(turn_stun, rejects_header_length_past_end_and_short)
{
	uint8_t buf[sizeof rfc5769_response_v4];
	stun_msg m;

	memcpy(buf, rfc5769_response_v4, sizeof buf);
	buf[3] += 4;
	cr_assert(eq(int, stun_decode(buf, sizeof buf, &m), IKE_ERR_TRUNCATED));
	buf[3] -= 8;
	cr_assert(eq(int, stun_decode(buf, sizeof buf, &m), IKE_ERR_MALFORMED));
	buf[3] += 5; /* not a multiple of 4 */
	cr_assert(eq(int, stun_decode(buf, sizeof buf, &m), IKE_ERR_MALFORMED));
}

Test(turn_stun, rejects_attribute_length_past_end)
{
	uint8_t buf[sizeof rfc5769_response_v4];
	stun_msg m;

	memcpy(buf, rfc5769_response_v4, sizeof buf);
	buf[20 + 3] = 0x40; /* SOFTWARE claims 64 bytes */
	cr_assert(eq(int, stun_decode(buf, sizeof buf, &m), IKE_ERR_TRUNCATED));
	memcpy(buf, rfc5769_response_v4, sizeof buf);
	buf[sizeof buf - 5] = 0x08; /* FINGERPRINT claims 8 bytes */
	cr_assert(eq(int, stun_decode(buf, sizeof buf, &m), IKE_ERR_TRUNCATED));
}

Test(turn_stun, rejects_missing_padding)
{
	/* USERNAME of 5 bytes with its 3 padding bytes cut off: the message length (28)
	 * is a multiple of 4 only because the attribute's padding is missing. */
	static const uint8_t tid[STUN_TID_LEN] = {1};
	uint8_t buf[64];
	stun_enc e;
	stun_msg m;

	cr_assert(eq(int, stun_enc_init(&e, buf, sizeof buf, STUN_BINDING, STUN_REQUEST, tid), IKE_OK));
	cr_assert(eq(int, stun_enc_attr(&e, STUN_A_USERNAME, "abcde", 5), IKE_OK));
	cr_assert(eq(int, stun_enc_attr(&e, STUN_A_USERNAME, "abcd", 4), IKE_OK));
	cr_assert(eq(sz, e.len, 20 + 12 + 8));
	/* Shift the second attribute into the first's padding: lengths now disagree. */
	memmove(buf + 20 + 4 + 5, buf + 20 + 12, 8);
	buf[3] = 20; /* 4+5+8 = 17 rounded: claims 20 */
	cr_assert(lt(int, stun_decode(buf, 20 + 20, &m), 0));
	buf[3] = 17;
	cr_assert(eq(int, stun_decode(buf, 20 + 17, &m), IKE_ERR_MALFORMED));
}

Test(turn_stun, rejects_bad_fingerprint_and_every_bit_flip)
{
	uint8_t buf[sizeof rfc5769_response_v4];
	stun_msg m;

	memcpy(buf, rfc5769_response_v4, sizeof buf);
	buf[sizeof buf - 1] ^= 1;
	cr_assert(eq(int, stun_decode(buf, sizeof buf, &m), IKE_ERR_INTEGRITY));
	for (size_t bit = 0; bit < 8 * sizeof buf; bit++) {
		int rc;
		memcpy(buf, rfc5769_response_v4, sizeof buf);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = stun_decode(buf, sizeof buf, &m);
		cr_assert(rc < 0 || !m.has_fingerprint ||
		              stun_check_integrity(&m, (const uint8_t *)RFC5769_SHORT_PASSWORD, 22) != IKE_OK,
		          "bit %zu flipped and still accepted", bit);
	}
}

Test(turn_stun, rejects_bad_cookie_top_bits_trailing_bytes_and_attribute_after_fingerprint)
{
	uint8_t buf[sizeof rfc5769_response_v4 + 8];
	stun_msg m;

	memcpy(buf, rfc5769_response_v4, sizeof rfc5769_response_v4);
	buf[4] ^= 0x01;
	cr_assert(eq(int, stun_decode(buf, sizeof rfc5769_response_v4, &m), IKE_ERR_MALFORMED));
	memcpy(buf, rfc5769_response_v4, sizeof rfc5769_response_v4);
	buf[0] |= 0x80;
	cr_assert(eq(int, stun_decode(buf, sizeof rfc5769_response_v4, &m), IKE_ERR_MALFORMED));
	memcpy(buf, rfc5769_response_v4, sizeof rfc5769_response_v4);
	cr_assert(eq(int, stun_decode(buf, sizeof rfc5769_response_v4 + 4, &m), IKE_ERR_MALFORMED));
	/* An attribute after FINGERPRINT, the header length updated to cover it. */
	memcpy(buf + sizeof rfc5769_response_v4,
	       "\x80\x22\x00\x04"
	       "abcd",
	       8);
	buf[3] += 8;
	cr_assert(lt(int, stun_decode(buf, sizeof buf, &m), 0));
}

Test(turn_stun, reports_unknown_comprehension_required_attributes_only)
{
	static const uint8_t tid[STUN_TID_LEN] = {9, 8, 7};
	uint8_t buf[128];
	stun_enc e;
	stun_msg m;

	cr_assert(eq(int, stun_enc_init(&e, buf, sizeof buf, STUN_ALLOCATE, STUN_REQUEST, tid), IKE_OK));
	cr_assert(eq(int, stun_enc_attr(&e, 0x7F01, "x", 1), IKE_OK));
	cr_assert(eq(int, stun_enc_attr(&e, 0xC001, "y", 1), IKE_OK));
	cr_assert(eq(int, stun_enc_u32(&e, STUN_A_LIFETIME, 600), IKE_OK));
	cr_assert(eq(int, stun_enc_fingerprint(&e), IKE_OK));
	cr_assert(eq(int, stun_decode(buf, e.len, &m), IKE_OK));
	cr_assert(eq(sz, m.n_unknown, 1));
	cr_assert(eq(u16, m.unknown[0], 0x7F01));
	cr_assert(eq(u16, m.method, STUN_ALLOCATE));
}

Test(turn_stun, ignores_attributes_after_message_integrity)
{
	static const uint8_t tid[STUN_TID_LEN] = {3};
	static const uint8_t key[4] = {1, 2, 3, 4};
	uint8_t buf[128];
	stun_enc e;
	stun_msg m;

	cr_assert(eq(int, stun_enc_init(&e, buf, sizeof buf, STUN_REFRESH, STUN_SUCCESS, tid), IKE_OK));
	cr_assert(eq(int, stun_enc_u32(&e, STUN_A_LIFETIME, 600), IKE_OK));
	cr_assert(eq(int, stun_enc_integrity(&e, key, sizeof key), IKE_OK));
	cr_assert(eq(int, stun_enc_u32(&e, STUN_A_LIFETIME, 1), IKE_OK));
	cr_assert(eq(int, stun_decode(buf, e.len, &m), IKE_OK));
	cr_assert(eq(sz, m.n_attrs, 2));
	cr_assert(eq(u16, m.attrs[0].type, STUN_A_LIFETIME));
	cr_assert(eq(u8, m.attrs[0].value.ptr[3], 600 & 0xff));
	/* Verified with the length as it was up to MESSAGE-INTEGRITY (RFC 8489 14.5). */
	cr_assert(eq(int, stun_check_integrity(&m, key, sizeof key), IKE_OK));
}

Test(turn_stun, round_trips_turn_attributes)
{
	static const uint8_t tid[STUN_TID_LEN] = {0xaa, 0xbb, 0xcc, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	uint8_t buf[256];
	stun_enc e;
	stun_msg m;
	ike_addr peer4, peer6, got;
	uint32_t v;
	uint16_t ch;
	int code;
	ike_slice reason;

	cr_assert(eq(int, ike_addr_parse(&peer4, "203.0.113.9", 4500), IKE_OK));
	cr_assert(eq(int, ike_addr_parse(&peer6, "2001:db8::77", 1), IKE_OK));
	cr_assert(eq(int, stun_enc_init(&e, buf, sizeof buf, STUN_CHANNEL_BIND, STUN_ERROR, tid), IKE_OK));
	cr_assert(eq(int, stun_enc_channel(&e, 0x4001), IKE_OK));
	cr_assert(eq(int, stun_enc_xor_addr(&e, STUN_A_XOR_PEER_ADDRESS, &peer4), IKE_OK));
	cr_assert(eq(int, stun_enc_xor_addr(&e, STUN_A_XOR_RELAYED_ADDRESS, &peer6), IKE_OK));
	cr_assert(eq(int, stun_enc_u32(&e, STUN_A_REQUESTED_TRANSPORT, STUN_PROTO_UDP << 24), IKE_OK));
	cr_assert(eq(int, stun_enc_error_code(&e, 438, "Stale Nonce"), IKE_OK));
	cr_assert(eq(int, stun_enc_fingerprint(&e), IKE_OK));
	cr_assert(eq(int, stun_decode(buf, e.len, &m), IKE_OK));
	cr_assert(eq(u16, m.method, STUN_CHANNEL_BIND));
	cr_assert(eq(u8, m.cls, STUN_ERROR));
	cr_assert(eq(int, stun_attr_channel(stun_msg_find(&m, STUN_A_CHANNEL_NUMBER), &ch), IKE_OK));
	cr_assert(eq(u16, ch, 0x4001));
	cr_assert(eq(int, stun_attr_xor_addr(&m, stun_msg_find(&m, STUN_A_XOR_PEER_ADDRESS), &got), IKE_OK));
	cr_assert(ike_addr_eq(&got, &peer4));
	cr_assert(
	    eq(int, stun_attr_xor_addr(&m, stun_msg_find(&m, STUN_A_XOR_RELAYED_ADDRESS), &got), IKE_OK));
	cr_assert(ike_addr_eq(&got, &peer6));
	cr_assert(eq(int, stun_attr_u32(stun_msg_find(&m, STUN_A_REQUESTED_TRANSPORT), &v), IKE_OK));
	cr_assert(eq(u32, v >> 24, STUN_PROTO_UDP));
	cr_assert(
	    eq(int, stun_attr_error_code(stun_msg_find(&m, STUN_A_ERROR_CODE), &code, &reason), IKE_OK));
	cr_assert(eq(int, code, 438));
	cr_assert(eq(sz, reason.len, 11));
	cr_assert(eq(int, stun_attr_u32(stun_msg_find(&m, STUN_A_LIFETIME), &v), IKE_ERR_NOT_FOUND));
}

Test(turn_stun, rejects_bad_attribute_values)
{
	stun_msg m = {0};
	ike_addr a;
	uint16_t ch;
	int code;
	ike_slice reason;
	uint8_t bad_fam[8] = {0, 3, 0, 0, 1, 2, 3, 4};
	uint8_t short6[8] = {0, 2, 0, 0, 1, 2, 3, 4};
	uint8_t chan[4] = {0x3f, 0xff, 0, 0};
	uint8_t err[4] = {0, 0, 7, 1};
	stun_attr at = {STUN_A_XOR_PEER_ADDRESS, {bad_fam, 8}, 0};

	cr_assert(eq(int, stun_attr_xor_addr(&m, &at, &a), IKE_ERR_MALFORMED));
	at.value = (ike_slice){short6, 8};
	cr_assert(eq(int, stun_attr_xor_addr(&m, &at, &a), IKE_ERR_MALFORMED));
	at.value = (ike_slice){short6, 7};
	cr_assert(eq(int, stun_attr_addr(&at, &a), IKE_ERR_MALFORMED));
	at.value = (ike_slice){chan, 4};
	cr_assert(eq(int, stun_attr_channel(&at, &ch), IKE_ERR_MALFORMED));
	at.value = (ike_slice){err, 4};
	cr_assert(eq(int, stun_attr_error_code(&at, &code, &reason), IKE_ERR_MALFORMED));
	at.value = (ike_slice){err, 3};
	cr_assert(eq(int, stun_attr_error_code(&at, &code, &reason), IKE_ERR_MALFORMED));
}

Test(turn_stun, encoder_reports_short_buffer)
{
	static const uint8_t tid[STUN_TID_LEN] = {0};
	uint8_t buf[32];
	stun_enc e;

	cr_assert(eq(int, stun_enc_init(&e, buf, 19, STUN_BINDING, STUN_REQUEST, tid), IKE_ERR_NOBUF));
	cr_assert(eq(int, stun_enc_init(&e, buf, sizeof buf, STUN_BINDING, STUN_REQUEST, tid), IKE_OK));
	cr_assert(eq(int, stun_enc_attr(&e, STUN_A_SOFTWARE, "12345678", 8), IKE_OK));
	cr_assert(eq(int, stun_enc_attr(&e, STUN_A_SOFTWARE, "1", 1), IKE_ERR_NOBUF));
	cr_assert(eq(int, stun_enc_fingerprint(&e), IKE_ERR_NOBUF), "errors are sticky");
	cr_assert(eq(int, stun_enc_init(&e, buf, sizeof buf, 0x1000, STUN_REQUEST, tid), IKE_ERR_INVAL));
}

Test(turn_stun, message_type_maps_method_and_class)
{
	uint16_t meth;
	uint8_t cls;

	cr_assert(eq(u16, stun_msg_type(STUN_BINDING, STUN_REQUEST), 0x0001));
	cr_assert(eq(u16, stun_msg_type(STUN_BINDING, STUN_SUCCESS), 0x0101));
	cr_assert(eq(u16, stun_msg_type(STUN_ALLOCATE, STUN_ERROR), 0x0113));
	cr_assert(eq(u16, stun_msg_type(STUN_DATA, STUN_INDICATION), 0x0017));
	cr_assert(eq(u16, stun_msg_type(STUN_SEND, STUN_INDICATION), 0x0016));
	for (uint16_t mm = 0; mm < 0x1000; mm += 7)
		for (uint8_t c = 0; c < 4; c++) {
			stun_msg_type_split(stun_msg_type(mm, c), &meth, &cls);
			cr_assert(eq(u16, meth, mm));
			cr_assert(eq(u8, cls, c));
		}
}

Test(turn_stun, channel_data_round_trip_and_rejects)
{
	uint8_t buf[64];
	size_t n;
	uint16_t ch;
	ike_slice d;

	cr_assert(eq(int, stun_channel_data_encode(buf, sizeof buf, 0x4000, (const uint8_t *)"hello", 5, &n),
	             IKE_OK));
	cr_assert(eq(sz, n, 9));
	cr_assert(eq(int, stun_channel_data_decode(buf, n, &ch, &d), IKE_OK));
	cr_assert(eq(u16, ch, 0x4000));
	cr_assert(eq(sz, d.len, 5));
	cr_assert(eq(int, memcmp(d.ptr, "hello", 5), 0));
	cr_assert(eq(int, stun_classify(buf, n), STUN_KIND_CHANNEL_DATA));
	cr_assert(eq(int, stun_channel_data_decode(buf, n + 3, &ch, &d), IKE_OK), "UDP may carry padding");
	cr_assert(eq(int, stun_channel_data_decode(buf, n + 4, &ch, &d), IKE_ERR_MALFORMED));
	for (size_t k = 0; k < n; k++)
		cr_assert(eq(int, stun_channel_data_decode(buf, k, &ch, &d), IKE_ERR_TRUNCATED));
	buf[0] = 0x50;
	cr_assert(eq(int, stun_channel_data_decode(buf, n, &ch, &d), IKE_ERR_MALFORMED));
	cr_assert(eq(int, stun_classify(buf, n), STUN_KIND_OTHER));
	cr_assert(eq(int, stun_channel_data_encode(buf, sizeof buf, 0x5000, NULL, 0, &n), IKE_ERR_INVAL));
	cr_assert(eq(int, stun_channel_data_encode(buf, 8, 0x4000, (const uint8_t *)"hello", 5, &n),
	             IKE_ERR_NOBUF));
}

Test(turn_stun, classifies_stun_channel_data_and_other)
{
	static const uint8_t esp[] = {0x01, 0x02, 0x03, 0x04, 0, 0, 0, 1, 9, 9, 9, 9};

	cr_assert(eq(int, stun_classify(rfc5769_request, sizeof rfc5769_request), STUN_KIND_STUN));
	cr_assert(eq(int, stun_classify(rfc5769_response_v6, sizeof rfc5769_response_v6), STUN_KIND_STUN));
	cr_assert(
	    eq(int, stun_classify(rfc5769_response_v6, sizeof rfc5769_response_v6 - 4), STUN_KIND_OTHER));
	cr_assert(eq(int, stun_classify(esp, sizeof esp), STUN_KIND_OTHER));
	cr_assert(eq(int, stun_classify(esp, 2), STUN_KIND_OTHER));
	cr_assert(eq(int, stun_classify(NULL, 0), STUN_KIND_OTHER));
}

Test(turn_stun, names_and_error_texts)
{
	cr_assert(eq(str, (char *)stun_method_name(STUN_CREATE_PERMISSION), "CreatePermission"));
	cr_assert(eq(str, (char *)stun_attr_name(STUN_A_XOR_RELAYED_ADDRESS), "XOR-RELAYED-ADDRESS"));
	cr_assert(stun_attr_name(0x7777) == NULL);
	cr_assert(eq(str, (char *)stun_class_name(STUN_ERROR), "error response"));
	cr_assert(strstr(stun_error_text(401), "Unauthorized") != NULL);
	cr_assert(strstr(stun_error_text(508), "Insufficient Capacity") != NULL);
	cr_assert(eq(u32, stun_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u));
}
