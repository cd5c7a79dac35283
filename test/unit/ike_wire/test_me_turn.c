/* SPDX-License-Identifier: MIT */
/*
 * ME_TURN notify data (ours, 40970; docs/wire.md): round trips for IPv4 and
 * IPv6, the exact bytes, every truncation, lengths past the end, an unknown
 * version and each field the decoder refuses; bit flips never crash and never
 * yield a value the encoder would refuse.
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "ike/wire.h"

static ike_me_turn sample(uint8_t family)
{
	ike_me_turn t;

	memset(&t, 0, sizeof t);
	t.server.family = family;
	t.server.port = 3478;
	if (family == IKE_AF_INET) {
		memcpy(t.server.ip, (const uint8_t[]){198, 51, 100, 7}, 4);
	} else {
		t.server.ip[0] = 0x20;
		t.server.ip[1] = 0x01;
		t.server.ip[2] = 0x0d;
		t.server.ip[3] = 0xb8;
		t.server.ip[15] = 0x07;
	}
	t.expires = 1800000000u;
	strcpy(t.user, "1800000000:0123456789abcdef0123456789abcdef01234567");
	strcpy(t.pass, "YWJjZGVmZ2hpamtsbW5vcHFyc3Q=");
	return t;
}

static size_t enc(const ike_me_turn *t, uint8_t *buf, size_t cap)
{
	ike_wr w = ike_wr_init(buf, cap);

	cr_assert(eq(int, ike_me_turn_encode(&w, t), IKE_OK));
	return w.len;
}

static int dec(const uint8_t *b, size_t n, ike_me_turn *out, ike_wire_err *err)
{
	return ike_me_turn_decode((ike_slice){b, n}, out, err);
}

static void assert_same(const ike_me_turn *a, const ike_me_turn *b)
{
	cr_assert(eq(u8, a->server.family, b->server.family));
	cr_assert(eq(u16, a->server.port, b->server.port));
	cr_assert(eq(int, memcmp(a->server.ip, b->server.ip, sizeof a->server.ip), 0));
	cr_assert(eq(u64, a->expires, b->expires));
	cr_assert(eq(str, (char *)a->user, (char *)b->user));
	cr_assert(eq(str, (char *)a->pass, (char *)b->pass));
}

Test(ike_wire_me_turn, encodes_ipv4_exactly)
{
	ike_me_turn t = sample(IKE_AF_INET);
	uint8_t b[IKE_ME_TURN_DATA_MAX];
	size_t n = enc(&t, b, sizeof b), ul = strlen(t.user), pl = strlen(t.pass);
	const uint8_t head[] = {1, 1, 0x0d, 0x96, 198, 51, 100, 7, 0, 0, 0, 0, 0x6b, 0x49, 0xd2, 0x00};

	cr_assert(eq(sz, n, sizeof head + 1 + ul + 1 + pl));
	cr_assert(eq(int, memcmp(b, head, sizeof head), 0));
	cr_assert(eq(u8, b[16], ul));
	cr_assert(eq(int, memcmp(b + 17, t.user, ul), 0));
	cr_assert(eq(u8, b[17 + ul], pl));
	cr_assert(eq(int, memcmp(b + 18 + ul, t.pass, pl), 0));
}

Test(ike_wire_me_turn, round_trips_ipv4_and_ipv6)
{
	uint8_t fam[] = {IKE_AF_INET, IKE_AF_INET6};

	for (unsigned i = 0; i < 2; i++) {
		ike_me_turn t = sample(fam[i]), u;
		uint8_t b[IKE_ME_TURN_DATA_MAX], b2[IKE_ME_TURN_DATA_MAX];
		size_t n = enc(&t, b, sizeof b);

		cr_assert(eq(int, dec(b, n, &u, NULL), IKE_OK));
		assert_same(&t, &u);
		cr_assert(eq(sz, enc(&u, b2, sizeof b2), n));
		cr_assert(eq(int, memcmp(b, b2, n), 0));
	}
}

Test(ike_wire_me_turn, longest_values_fit_the_maximum)
{
	ike_me_turn t = sample(IKE_AF_INET6), u;
	uint8_t b[IKE_ME_TURN_DATA_MAX];

	memset(t.user, 'u', IKE_TURN_USER_MAX);
	t.user[IKE_TURN_USER_MAX] = '\0';
	memset(t.pass, 'p', IKE_TURN_PASS_MAX);
	t.pass[IKE_TURN_PASS_MAX] = '\0';
	cr_assert(eq(sz, enc(&t, b, sizeof b), sizeof b));
	cr_assert(eq(int, dec(b, sizeof b, &u, NULL), IKE_OK));
	assert_same(&t, &u);
}

Test(ike_wire_me_turn, rejects_every_truncation)
{
	ike_me_turn t = sample(IKE_AF_INET6), u;
	uint8_t b[IKE_ME_TURN_DATA_MAX];
	size_t n = enc(&t, b, sizeof b);

	for (size_t k = 0; k < n; k++) {
		int rc = dec(b, k, &u, NULL);
		cr_assert(eq(int, rc, IKE_ERR_TRUNCATED), "length %zu", k);
		cr_assert(eq(u8, u.pass[0], 0), "no password bytes left after a failure");
	}
}

Test(ike_wire_me_turn, rejects_lengths_past_the_end)
{
	ike_me_turn t = sample(IKE_AF_INET), u;
	uint8_t b[IKE_ME_TURN_DATA_MAX];
	size_t n = enc(&t, b, sizeof b), ul = strlen(t.user);
	ike_wire_err err;

	b[16] = (uint8_t)(ul + 30 + 1); /* user length runs over the password */
	cr_assert(eq(int, dec(b, n, &u, &err), IKE_ERR_TRUNCATED));
	cr_assert(eq(str, (char *)err.field, "ME_TURN user"));
	b[16] = (uint8_t)ul;
	b[17 + ul] = (uint8_t)(strlen(t.pass) + 1); /* password length one past the end */
	cr_assert(eq(int, dec(b, n, &u, &err), IKE_ERR_TRUNCATED));
	cr_assert(eq(str, (char *)err.field, "ME_TURN password"));
}

Test(ike_wire_me_turn, rejects_unknown_version)
{
	ike_me_turn t = sample(IKE_AF_INET), u;
	uint8_t b[IKE_ME_TURN_DATA_MAX];
	size_t n = enc(&t, b, sizeof b);

	b[0] = 2;
	cr_assert(eq(int, dec(b, n, &u, NULL), IKE_ERR_UNSUPPORTED));
	b[0] = 0;
	cr_assert(eq(int, dec(b, n, &u, NULL), IKE_ERR_UNSUPPORTED));
}

Test(ike_wire_me_turn, rejects_bad_fields)
{
	ike_me_turn t = sample(IKE_AF_INET), u;
	uint8_t b[IKE_ME_TURN_DATA_MAX + 1], c[sizeof b];
	size_t n = enc(&t, b, sizeof b), ul = strlen(t.user);
	ike_wire_err err;

	memcpy(c, b, n);
	c[1] = 0; /* family */
	cr_assert(eq(int, dec(c, n, &u, NULL), IKE_ERR_MALFORMED));
	c[1] = 3;
	cr_assert(eq(int, dec(c, n, &u, NULL), IKE_ERR_MALFORMED));
	memcpy(c, b, n);
	c[2] = c[3] = 0; /* port 0 */
	cr_assert(eq(int, dec(c, n, &u, NULL), IKE_ERR_MALFORMED));
	memcpy(c, b, n);
	c[16] = 0; /* empty user */
	cr_assert(eq(int, dec(c, n, &u, NULL), IKE_ERR_MALFORMED));
	memcpy(c, b, n);
	c[17 + ul] = 0; /* empty password */
	cr_assert(eq(int, dec(c, n, &u, NULL), IKE_ERR_MALFORMED));
	memcpy(c, b, n);
	c[17] = ' '; /* a space (and so any control byte or NUL) in the user */
	cr_assert(eq(int, dec(c, n, &u, &err), IKE_ERR_MALFORMED));
	cr_assert(eq(sz, err.offset, 17));
	memcpy(c, b, n);
	c[n - 1] = 0; /* NUL inside the password */
	cr_assert(eq(int, dec(c, n, &u, NULL), IKE_ERR_MALFORMED));
	memcpy(c, b, n);
	c[n] = 'x'; /* trailing byte */
	cr_assert(eq(int, dec(c, n + 1, &u, &err), IKE_ERR_MALFORMED));
	cr_assert(eq(sz, err.offset, n));
}

Test(ike_wire_me_turn, rejects_overlong_lengths)
{
	uint8_t b[400];
	ike_me_turn u;
	size_t n = 0;

	b[n++] = 1;
	b[n++] = 1;
	b[n++] = 0x0d;
	b[n++] = 0x96;
	memset(b + n, 1, 12); /* address and expiry */
	n += 12;
	b[n++] = IKE_TURN_USER_MAX + 1;
	memset(b + n, 'a', IKE_TURN_USER_MAX + 1);
	n += IKE_TURN_USER_MAX + 1;
	b[n++] = 4;
	memset(b + n, 'b', 4);
	n += 4;
	cr_assert(eq(int, dec(b, n, &u, NULL), IKE_ERR_MALFORMED));
}

Test(ike_wire_me_turn, encoder_refuses_what_the_decoder_rejects)
{
	uint8_t b[IKE_ME_TURN_DATA_MAX];
	ike_me_turn t;
	ike_wr w;

	t = sample(IKE_AF_INET);
	t.server.family = IKE_AF_NONE;
	w = ike_wr_init(b, sizeof b);
	cr_assert(eq(int, ike_me_turn_encode(&w, &t), IKE_ERR_INVAL));
	t = sample(IKE_AF_INET);
	t.server.port = 0;
	cr_assert(eq(int, ike_me_turn_encode(&w, &t), IKE_ERR_INVAL));
	t = sample(IKE_AF_INET);
	t.user[0] = '\0';
	cr_assert(eq(int, ike_me_turn_encode(&w, &t), IKE_ERR_INVAL));
	t = sample(IKE_AF_INET);
	t.pass[3] = '\n';
	cr_assert(eq(int, ike_me_turn_encode(&w, &t), IKE_ERR_INVAL));
	t = sample(IKE_AF_INET);
	memset(t.user, 'u', sizeof t.user); /* not terminated: one over the maximum */
	cr_assert(eq(int, ike_me_turn_encode(&w, &t), IKE_ERR_INVAL));
	t = sample(IKE_AF_INET);
	w = ike_wr_init(b, 20);
	cr_assert(eq(int, ike_me_turn_encode(&w, &t), IKE_ERR_NOBUF));
}

Test(ike_wire_me_turn, bit_flips_decode_to_encodable_values)
{
	ike_me_turn t = sample(IKE_AF_INET6), u;
	uint8_t b[IKE_ME_TURN_DATA_MAX], c[IKE_ME_TURN_DATA_MAX], d[IKE_ME_TURN_DATA_MAX];
	size_t n = enc(&t, b, sizeof b);

	for (size_t bit = 0; bit < n * 8; bit++) {
		memcpy(c, b, n);
		c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (dec(c, n, &u, NULL) != IKE_OK)
			continue;
		cr_assert(eq(sz, enc(&u, d, sizeof d), n), "bit %zu", bit);
		cr_assert(eq(int, memcmp(c, d, n), 0), "bit %zu", bit);
	}
}
