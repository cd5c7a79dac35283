/* SPDX-License-Identifier: MIT */
/* Check messages: exact bytes, ME_CONNECTAUTH known answers, decoding and its rejects. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "hp_internal.h"

static const uint8_t cid[4] = {0xde, 0xad, 0xbe, 0xef};
static const uint8_t key16[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* A request as strongSwan's sender() builds it: mid = pair id 1, PEER_REFLEXIVE endpoint
 * without address. ME_CONNECTAUTH computed independently in the shell:
 *   printf '\x00\x00\x00\x01\xde\xad\xbe\xef\x00\x80\xff\xff\x00\x02\x00\x00'\
 *          '\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f' | openssl sha1
 *   = 4ccd44239690d18fad7883bdfb6fc61257395bbc */
/* clang-format off */
static const uint8_t request1[84] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                 /* SPIs zero */
	41, 0x20, 37, 0x08, 0, 0, 0, 1, 0, 0, 0, 84,                    /* N, v2, INFORMATIONAL, I, mid 1, len */
	41, 0, 0, 12, 0, 0, 0xa0, 0x05, 0xde, 0xad, 0xbe, 0xef,         /* N(ME_CONNECTID) */
	41, 0, 0, 16, 0, 0, 0xa0, 0x03, 0x00, 0x80, 0xff, 0xff, 0, 2, 0, 0, /* N(ME_ENDPOINT) */
	0, 0, 0, 28, 0, 0, 0xa0, 0x07,                                  /* N(ME_CONNECTAUTH) */
	0x4c, 0xcd, 0x44, 0x23, 0x96, 0x90, 0xd1, 0x8f, 0xad, 0x78,
	0x83, 0xbd, 0xfb, 0x6f, 0xc6, 0x12, 0x57, 0x39, 0x5b, 0xbc,
};
/* clang-format on */

static hp_candidate prflx_request_endpoint(void)
{
	return (hp_candidate){.type = HP_CAND_PEER_REFLEXIVE,
	                      .priority = hp_candidate_priority(HP_CAND_PEER_REFLEXIVE)};
}

Test(hp_msg, builds_request_byte_for_byte)
{
	uint8_t buf[HP_CHECK_MAX];
	size_t len = 0;
	hp_candidate ep = prflx_request_endpoint();

	cr_assert(eq(
	    int,
	    hp__check_encode(buf, sizeof buf, &len, 1, false, IKE_SLICE(cid, 4), &ep, IKE_SLICE(key16, 16)),
	    IKE_OK));
	cr_assert(eq(sz, len, sizeof request1));
	cr_assert(eq(int, memcmp(buf, request1, len), 0));
}

/* Response endpoint 198.51.100.7:4500 PEER_REFLEXIVE, mid 7, key a0..af:
 *   printf '\x00\x00\x00\x07\xde\xad\xbe\xef\x00\x80\xff\xff\x01\x02\x11\x94\xc6\x33\x64\x07'\
 *          '\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\xac\xad\xae\xaf' | openssl sha1
 *   = ce44e6a9f9ee71fd461a22155c82bed0be3c4f0d */
Test(hp_msg, connectauth_matches_known_answer)
{
	const uint8_t ep[] = {0x00, 0x80, 0xff, 0xff, 1, 2, 0x11, 0x94, 198, 51, 100, 7};
	const uint8_t want[20] = {0xce, 0x44, 0xe6, 0xa9, 0xf9, 0xee, 0x71, 0xfd, 0x46, 0x1a,
	                          0x22, 0x15, 0x5c, 0x82, 0xbe, 0xd0, 0xbe, 0x3c, 0x4f, 0x0d};
	uint8_t key[16], out[20];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(0xa0 + i);
	cr_assert(eq(int,
	             hp__check_auth(out, 7, IKE_SLICE(cid, 4), IKE_SLICE(ep, sizeof ep), IKE_SLICE(key, 16)),
	             IKE_OK));
	cr_assert(eq(int, memcmp(out, want, 20), 0));
}

Test(hp_msg, response_sets_r_flag_and_carries_address)
{
	uint8_t buf[HP_CHECK_MAX];
	size_t len = 0;
	hp_candidate ep = prflx_request_endpoint();
	hp__check c;
	const char *why;

	cr_assert(eq(int, ike_addr_parse(&ep.addr, "198.51.100.7", 4500), IKE_OK));
	cr_assert(
	    eq(int,
	       hp__check_encode(buf, sizeof buf, &len, 7, true, IKE_SLICE(cid, 4), &ep, IKE_SLICE(key16, 16)),
	       IKE_OK));
	cr_assert(eq(u8, buf[19], 0x20));
	cr_assert(eq(int, hp__check_decode(buf, len, &c, &why), IKE_OK));
	cr_assert(c.response);
	cr_assert(eq(u32, c.mid, 7));
	cr_assert(ike_addr_eq(&c.endpoint.addr, &ep.addr));
	cr_assert(eq(sz, c.endpoint_raw.len, 12));
	cr_assert(eq(sz, c.auth.len, 20));
}

Test(hp_msg, decodes_known_request)
{
	hp__check c;
	const char *why;
	ike_slice id;

	cr_assert(eq(int, hp__check_decode(request1, sizeof request1, &c, &why), IKE_OK));
	cr_assert(not(c.response));
	cr_assert(eq(u32, c.mid, 1));
	cr_assert(eq(sz, c.connect_id.len, 4));
	cr_assert(eq(int, memcmp(c.connect_id.ptr, cid, 4), 0));
	cr_assert(eq(u8, c.endpoint.type, HP_CAND_PEER_REFLEXIVE));
	cr_assert(eq(u8, c.endpoint.addr.family, IKE_AF_NONE));
	cr_assert(eq(int, hp_check_connect_id(request1, sizeof request1, &id), IKE_OK));
	cr_assert(eq(ptr, (void *)id.ptr, (void *)(request1 + 36)));
}

Test(hp_msg, rejects_every_truncation)
{
	hp__check c;
	const char *why;

	for (size_t n = 0; n < sizeof request1; n++)
		cr_assert(lt(int, hp__check_decode(request1, n, &c, &why), 0), "accepted %zu of %zu bytes", n,
		          sizeof request1);
}

Test(hp_msg, rejects_nonzero_spi_other_exchange_and_bad_length)
{
	uint8_t m[sizeof request1];
	hp__check c;
	const char *why;

	memcpy(m, request1, sizeof m);
	m[7] = 1;
	cr_assert(eq(int, hp__check_decode(m, sizeof m, &c, &why), IKE_ERR_MALFORMED));
	memcpy(m, request1, sizeof m);
	m[18] = 34;
	cr_assert(eq(int, hp__check_decode(m, sizeof m, &c, &why), IKE_ERR_MALFORMED));
	memcpy(m, request1, sizeof m);
	m[27] = 83;
	cr_assert(eq(int, hp__check_decode(m, sizeof m, &c, &why), IKE_ERR_MALFORMED));
	memcpy(m, request1, sizeof m);
	m[17] = 0x10;
	cr_assert(eq(int, hp__check_decode(m, sizeof m, &c, &why), IKE_ERR_MALFORMED));
}

Test(hp_msg, rejects_payload_length_one_too_big_or_too_small)
{
	uint8_t m[sizeof request1];
	hp__check c;
	const char *why;

	/* The ME_CONNECTAUTH notify starts at offset 56; its length (28) is at 58..59. */
	memcpy(m, request1, sizeof m);
	m[59] = 29;
	cr_assert(eq(int, hp__check_decode(m, sizeof m, &c, &why), IKE_ERR_TRUNCATED));
	m[59] = 27;
	cr_assert(eq(int, hp__check_decode(m, sizeof m, &c, &why), IKE_ERR_MALFORMED));
	memcpy(m, request1, sizeof m);
	m[31] = 3; /* ME_CONNECTID payload shorter than a payload header */
	cr_assert(eq(int, hp__check_decode(m, sizeof m, &c, &why), IKE_ERR_MALFORMED));
}

Test(hp_msg, rejects_check_missing_connectauth)
{
	uint8_t m[56];
	hp__check c;
	const char *why;

	memcpy(m, request1, sizeof m);
	m[27] = 56;
	m[40] = 0; /* the ME_ENDPOINT notify becomes the last payload */
	cr_assert(eq(int, hp__check_decode(m, sizeof m, &c, &why), IKE_ERR_MALFORMED));
	cr_assert(not(eq(ptr, (void *)why, NULL)));
}

Test(hp_msg, keeps_first_of_duplicate_notifies)
{
	uint8_t m[sizeof request1 + 12];
	hp__check c;
	const char *why;

	/* Insert a second ME_CONNECTID (data 01020304) after the first. */
	memcpy(m, request1, 40);
	memcpy(m + 40, (const uint8_t[]){41, 0, 0, 12, 0, 0, 0xa0, 0x05, 1, 2, 3, 4}, 12);
	memcpy(m + 52, request1 + 40, sizeof request1 - 40);
	m[27] = sizeof m;
	cr_assert(eq(int, hp__check_decode(m, sizeof m, &c, &why), IKE_OK));
	cr_assert(eq(int, memcmp(c.connect_id.ptr, cid, 4), 0));
	cr_assert(eq(u32, c.ignored, 1));
}

Test(hp_msg, rejects_first_payload_that_is_not_a_notify)
{
	uint8_t m[sizeof request1];
	hp__check c;
	const char *why;

	memcpy(m, request1, sizeof m);
	m[16] = 43; /* vendor ID */
	cr_assert(eq(int, hp__check_decode(m, sizeof m, &c, &why), IKE_ERR_MALFORMED));
}
