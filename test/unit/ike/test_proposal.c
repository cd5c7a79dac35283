/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "ike/engine.h"
#include "ike/iana.h"
#include "proposal.h"

Test(ike_proposal, parses_aead_ike_proposal)
{
	ike__prop_list l;

	cr_assert(eq(int, ike__prop_parse(&l, "aes128gcm16-prfsha256-x25519", false), IKE_OK));
	cr_assert(eq(u8, l.n, 1));
	cr_assert(eq(u16, l.p[0].encr[0], IKE_ENCR_AES_GCM_16));
	cr_assert(eq(u16, l.p[0].encr_bits[0], 128));
	cr_assert(eq(u8, l.p[0].n_integ, 0));
	cr_assert(eq(u16, l.p[0].prf[0], IKE_PRF_HMAC_SHA2_256));
	cr_assert(eq(u16, l.p[0].dh[0], IKE_CURVE25519));
}

Test(ike_proposal, derives_prf_from_integrity_for_cbc)
{
	ike__prop_list l;

	cr_assert(eq(int, ike__prop_parse(&l, "aes256-sha256-modp2048,aes128-sha384-ecp256", false), IKE_OK));
	cr_assert(eq(u8, l.n, 2));
	cr_assert(eq(u16, l.p[0].integ[0], IKE_AUTH_HMAC_SHA2_256_128));
	cr_assert(eq(u16, l.p[0].prf[0], IKE_PRF_HMAC_SHA2_256));
	cr_assert(eq(u16, l.p[1].prf[0], IKE_PRF_HMAC_SHA2_384));
	cr_assert(eq(u16, l.p[1].dh[0], IKE_ECP_256));
}

Test(ike_proposal, rejects_bad_strings)
{
	cr_assert(eq(int, ike_proposals_check("aes128gcm16-x25519", false), IKE_ERR_INVAL)); /* no PRF */
	cr_assert(
	    eq(int, ike_proposals_check("aes128-prfsha256-x25519", false), IKE_ERR_INVAL)); /* no integ */
	cr_assert(eq(int, ike_proposals_check("aes128gcm16-sha256", true), IKE_ERR_INVAL)); /* AEAD + integ */
	cr_assert(eq(int, ike_proposals_check("aes128-aes128gcm16-sha256", true), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_proposals_check("blowfish-sha256", true), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_proposals_check("aes128gcm16,", true), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_proposals_check("", true), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_proposals_check("aes128gcm16--x25519", true), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_proposals_check("aes128gcm16", true), IKE_OK));
	cr_assert(eq(int, ike_proposals_check("aes256-sha256-esn", true), IKE_OK));
}

Test(ike_proposal, selects_first_of_ours_the_peer_offers)
{
	ike__prop_list ours, theirs;
	ike__suite s;
	uint8_t num = 0;

	cr_assert(eq(int, ike__prop_parse(&ours, "aes256gcm16-prfsha384-ecp384-x25519", false), IKE_OK));
	cr_assert(eq(
	    int,
	    ike__prop_parse(
	        &theirs, "aes128-sha256-modp2048,aes256gcm16-aes128gcm16-prfsha256-prfsha384-x25519", false),
	    IKE_OK));
	cr_assert(ike__prop_select(&ours, &theirs, false, &s, &num));
	cr_assert(eq(u8, num, 2));
	cr_assert(eq(u16, s.encr, IKE_ENCR_AES_GCM_16));
	cr_assert(eq(u16, s.encr_bits, 256));
	cr_assert(eq(u16, s.prf, IKE_PRF_HMAC_SHA2_384));
	cr_assert(eq(u16, s.dh, IKE_CURVE25519));
	cr_assert(eq(u16, s.integ, 0));
	cr_assert(ike__prop_contains(&theirs, &s, false));
}

Test(ike_proposal, finds_nothing_when_key_sizes_differ)
{
	ike__prop_list ours, theirs;
	ike__suite s;

	cr_assert(eq(int, ike__prop_parse(&ours, "aes256gcm16", true), IKE_OK));
	cr_assert(eq(int, ike__prop_parse(&theirs, "aes128gcm16", true), IKE_OK));
	cr_assert(not(ike__prop_select(&ours, &theirs, true, &s, NULL)));
}

Test(ike_proposal, contains_refuses_unoffered_transform)
{
	ike__prop_list ours;
	ike__suite s = {IKE_ENCR_AES_CBC, 128, IKE_AUTH_HMAC_SHA2_512_256, 0, 0, 0};

	cr_assert(eq(int, ike__prop_parse(&ours, "aes128-sha256", true), IKE_OK));
	cr_assert(not(ike__prop_contains(&ours, &s, true)));
	s.integ = IKE_AUTH_HMAC_SHA2_256_128;
	cr_assert(ike__prop_contains(&ours, &s, true));
}
