/* SPDX-License-Identifier: MIT */
/* Candidate priorities and the ME_ENDPOINT notify data (strongSwan endpoint_notify.c). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "holepunch/hp.h"

Test(hp_cand, type_preferences_match_strongswan)
{
	cr_assert(eq(u32, hp_type_preference(HP_CAND_HOST), 255));
	cr_assert(eq(u32, hp_type_preference(HP_CAND_PEER_REFLEXIVE), 128));
	cr_assert(eq(u32, hp_type_preference(HP_CAND_SERVER_REFLEXIVE), 64));
	cr_assert(eq(u32, hp_type_preference(HP_CAND_RELAYED), 0));
	cr_assert(eq(u32, hp_type_preference(0), 0));
}

Test(hp_cand, priority_is_type_preference_shifted_plus_65535)
{
	/* 2^16 * 255 + 65535 etc., written out as the values strongSwan sends. */
	cr_assert(eq(u32, hp_candidate_priority(HP_CAND_HOST), 0x00ffffffu));
	cr_assert(eq(u32, hp_candidate_priority(HP_CAND_PEER_REFLEXIVE), 0x0080ffffu));
	cr_assert(eq(u32, hp_candidate_priority(HP_CAND_SERVER_REFLEXIVE), 0x0040ffffu));
	cr_assert(eq(u32, hp_candidate_priority(HP_CAND_RELAYED), 0x0000ffffu));
}

/* Values computed independently with Python: (1<<32)*min(g,d) + 2*max(g,d) + (g>d). */
Test(hp_cand, pair_priority_matches_formula_known_values)
{
	const uint32_t H = 16777215, P = 8454143, S = 4259839, R = 65535;

	cr_assert(eq(u64, hp_pair_priority(H, H), 72057589776515070ull));
	cr_assert(eq(u64, hp_pair_priority(H, S), 18295869224779775ull));
	cr_assert(eq(u64, hp_pair_priority(S, H), 18295869224779774ull));
	cr_assert(eq(u64, hp_pair_priority(S, S), 18295869199745022ull));
	cr_assert(eq(u64, hp_pair_priority(H, P), 36310267734261759ull));
	cr_assert(eq(u64, hp_pair_priority(P, H), 36310267734261758ull));
	cr_assert(eq(u64, hp_pair_priority(R, H), 281470715297790ull));
}

Test(hp_cand, pair_priority_saturates_instead_of_wrapping)
{
	cr_assert(eq(u64, hp_pair_priority(UINT32_MAX, UINT32_MAX), UINT64_MAX));
	cr_assert(eq(u64, hp_pair_priority(0x7fffffffu, 0x7fffffffu),
	             ((uint64_t)0x7fffffff << 32) + 2 * (uint64_t)0x7fffffff));
}

Test(hp_cand, encodes_ipv4_endpoint_like_strongswan)
{
	uint8_t buf[32];
	ike_wr w = ike_wr_init(buf, sizeof buf);
	hp_candidate c = {.type = HP_CAND_SERVER_REFLEXIVE, .priority = 0x0040ffff};
	const uint8_t want[] = {0x00, 0x40, 0xff, 0xff, 1, 3, 0x11, 0x94, 198, 51, 100, 7};

	cr_assert(eq(int, ike_addr_parse(&c.addr, "198.51.100.7", 4500), IKE_OK));
	cr_assert(eq(int, hp_endpoint_encode(&w, &c), IKE_OK));
	cr_assert(eq(sz, w.len, sizeof want));
	cr_assert(eq(int, memcmp(buf, want, sizeof want), 0));
}

Test(hp_cand, encodes_addressless_endpoint_with_zero_port)
{
	uint8_t buf[32];
	ike_wr w = ike_wr_init(buf, sizeof buf);
	hp_candidate c = {.type = HP_CAND_PEER_REFLEXIVE,
	                  .priority = hp_candidate_priority(HP_CAND_PEER_REFLEXIVE)};
	const uint8_t want[] = {0x00, 0x80, 0xff, 0xff, 0, 2, 0, 0};

	cr_assert(eq(int, hp_endpoint_encode(&w, &c), IKE_OK));
	cr_assert(eq(sz, w.len, sizeof want));
	cr_assert(eq(int, memcmp(buf, want, sizeof want), 0));
}

Test(hp_cand, round_trips_ipv6_endpoint)
{
	uint8_t buf[32];
	ike_wr w = ike_wr_init(buf, sizeof buf);
	hp_candidate c = {.type = HP_CAND_HOST, .priority = 0x00ffffff}, d;

	cr_assert(eq(int, ike_addr_parse(&c.addr, "2001:db8::42", 4500), IKE_OK));
	cr_assert(eq(int, hp_endpoint_encode(&w, &c), IKE_OK));
	cr_assert(eq(sz, w.len, 24));
	cr_assert(eq(int, hp_endpoint_decode(IKE_SLICE(buf, w.len), &d), IKE_OK));
	cr_assert(eq(u8, d.type, HP_CAND_HOST));
	cr_assert(eq(u32, d.priority, 0x00ffffff));
	cr_assert(ike_addr_eq(&d.addr, &c.addr));
}

Test(hp_cand, rejects_every_truncation_of_ipv4_endpoint)
{
	const uint8_t data[] = {0x00, 0x40, 0xff, 0xff, 1, 3, 0x11, 0x94, 198, 51, 100, 7};
	hp_candidate d;

	for (size_t n = 0; n < sizeof data; n++)
		cr_assert(eq(int, hp_endpoint_decode(IKE_SLICE(data, n), &d), IKE_ERR_TRUNCATED),
		          "accepted %zu bytes", n);
	cr_assert(eq(int, hp_endpoint_decode(IKE_SLICE(data, sizeof data), &d), IKE_OK));
}

Test(hp_cand, rejects_bad_family_and_type)
{
	uint8_t data[] = {0, 0x40, 0xff, 0xff, 3, 3, 0, 0};
	hp_candidate d;

	cr_assert(eq(int, hp_endpoint_decode(IKE_SLICE(data, sizeof data), &d), IKE_ERR_MALFORMED));
	data[4] = 0;
	data[5] = 0;
	cr_assert(eq(int, hp_endpoint_decode(IKE_SLICE(data, sizeof data), &d), IKE_ERR_MALFORMED));
	data[5] = 5;
	cr_assert(eq(int, hp_endpoint_decode(IKE_SLICE(data, sizeof data), &d), IKE_ERR_MALFORMED));
	data[5] = 4;
	cr_assert(eq(int, hp_endpoint_decode(IKE_SLICE(data, sizeof data), &d), IKE_OK));
	cr_assert(eq(u8, d.addr.family, IKE_AF_NONE));
}

Test(hp_cand, ignores_bytes_after_the_address_like_strongswan)
{
	const uint8_t data[] = {0x00, 0x40, 0xff, 0xff, 1, 3, 0x11, 0x94, 198, 51, 100, 7, 0xaa, 0xbb};
	hp_candidate d;

	cr_assert(eq(int, hp_endpoint_decode(IKE_SLICE(data, sizeof data), &d), IKE_OK));
	cr_assert(eq(u16, d.addr.port, 4500));
}

Test(hp_cand, accepts_six_byte_addressless_endpoint_too)
{
	/* strongSwan sends 8 bytes (with a zero port) but reads only 6 for family 0. */
	const uint8_t data[] = {0x00, 0x40, 0xff, 0xff, 0, 3};
	hp_candidate d;

	cr_assert(eq(int, hp_endpoint_decode(IKE_SLICE(data, sizeof data), &d), IKE_OK));
	cr_assert(eq(u8, d.type, HP_CAND_SERVER_REFLEXIVE));
	cr_assert(eq(u8, d.addr.family, IKE_AF_NONE));
}
