/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "tst.h"

/* Both sides report SA_UP and one CHILD_UP, and their ESP keys mirror each other. */
static void assert_up_and_keys_agree(tst_pair *px)
{
	const tst_rec_event *a, *b;

	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 1));
	a = tst_events_last(px, ALICE, IKE_EV_CHILD_UP);
	b = tst_events_last(px, BOB, IKE_EV_CHILD_UP);
	cr_assert(a && b, "CHILD_UP missing");
	cr_assert(eq(u32, a->child.spi_in, b->child.spi_out));
	cr_assert(eq(u32, a->child.spi_out, b->child.spi_in));
	cr_assert(eq(u16, a->child.encr, b->child.encr));
	cr_assert(gt(u8, a->child.enc_key_len, 0));
	cr_assert(eq(int, memcmp(a->child.enc_out, b->child.enc_in, a->child.enc_key_len), 0));
	cr_assert(eq(int, memcmp(a->child.enc_in, b->child.enc_out, a->child.enc_key_len), 0));
	cr_assert(ne(int, memcmp(a->child.enc_in, a->child.enc_out, a->child.enc_key_len), 0));
	cr_assert(eq(int, memcmp(a->child.integ_out, b->child.integ_in, a->child.integ_key_len), 0));
	cr_assert(ike_engine_sa_is_up(px->side[ALICE].e, px->sa[ALICE]));
	cr_assert(ike_engine_sa_is_up(px->side[BOB].e, px->sa[BOB]));
}

ENGINE_TEST(ike_xchg_auth, establishes_with_rsa_key_ids)
{
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	assert_up_and_keys_agree(px);
	cr_assert(eq(int, px->side[BOB].lookup_id.type, IKE_ID_KEY_ID));
	cr_assert(ike_id_eq(&px->side[BOB].lookup_id, &px->side[ALICE].cfg.local_id));
	cr_assert(eq(sz, px->link.sent[ALICE], 2)); /* IKE_SA_INIT, IKE_AUTH: no retransmission */
	cr_assert(eq(sz, px->link.sent[BOB], 2));
}

ENGINE_TEST(ike_xchg_auth, establishes_with_psk)
{
	tst_pair_use_psk(px, "a fine pre-shared key");
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	assert_up_and_keys_agree(px);
}

ENGINE_TEST(ike_xchg_auth, establishes_with_cbc_and_sha2)
{
	for (int i = 0; i < 2; i++) {
		px->side[i].cfg.ike_proposals = "aes256-sha384-ecp384";
		px->side[i].peer.ike_proposals = "aes256-sha384-ecp384";
		px->side[i].peer.esp_proposals = "aes128-sha256";
	}
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	assert_up_and_keys_agree(px);
	cr_assert(
	    eq(u16, tst_events_last(px, ALICE, IKE_EV_CHILD_UP)->child.integ, IKE_AUTH_HMAC_SHA2_256_128));
	cr_assert(eq(u8, tst_events_last(px, ALICE, IKE_EV_CHILD_UP)->child.integ_key_len, 32));
}

static void run_group(tst_pair *px, const char *prop)
{
	for (int i = 0; i < 2; i++) {
		px->side[i].cfg.ike_proposals = prop;
		px->side[i].peer.ike_proposals = prop;
	}
	tst_pair_initiate(px);
	tst_pair_run(px, 5000);
	assert_up_and_keys_agree(px);
}

ENGINE_TEST(ike_xchg_auth, establishes_with_modp2048)
{
	run_group(px, "aes128gcm16-prfsha256-modp2048");
}

ENGINE_TEST(ike_xchg_auth, establishes_with_ecp256)
{
	run_group(px, "aes128gcm16-prfsha256-ecp256");
}

ENGINE_TEST(ike_xchg_auth, establishes_with_ecp384)
{
	run_group(px, "aes256gcm16-prfsha384-ecp384");
}

ENGINE_TEST(ike_xchg_auth, establishes_with_x25519)
{
	run_group(px, "aes128gcm16-prfsha256-x25519");
}

ENGINE_TEST(ike_xchg_auth, fails_both_sides_when_signature_key_is_wrong)
{
	/* bob believes alice's key is his own: alice's signature does not verify */
	px->side[BOB].peer.remote_pubkey = tst_key_public(BOB);
	tst_pair_initiate(px);
	tst_pair_run(px, 60000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 0));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 0));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_DOWN), 1));
	cr_assert(eq(int, tst_events_last(px, ALICE, IKE_EV_SA_DOWN)->ev.u.sa_down.reason, IKE_ERR_AUTH));
	cr_assert(eq(u16, tst_events_last(px, ALICE, IKE_EV_SA_DOWN)->ev.u.sa_down.notify,
	             IKE_AUTHENTICATION_FAILED));
	cr_assert(eq(u64, ike_engine_next_deadline(px->side[ALICE].e), IKE_NEVER));
	cr_assert(eq(u64, ike_engine_next_deadline(px->side[BOB].e), IKE_NEVER));
}

ENGINE_TEST(ike_xchg_auth, fails_when_identity_unknown)
{
	px->side[BOB].peer_known = false;
	tst_pair_initiate(px);
	tst_pair_run(px, 60000);
	cr_assert(eq(sz, px->side[BOB].lookups, 1));
	cr_assert(eq(int, tst_events_last(px, ALICE, IKE_EV_SA_DOWN)->ev.u.sa_down.reason, IKE_ERR_AUTH));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 0));
	cr_assert(eq(u64, ike_engine_next_deadline(px->side[BOB].e), IKE_NEVER));
}

ENGINE_TEST(ike_xchg_auth, initiator_refuses_responder_with_wrong_key)
{
	px->side[ALICE].peer.remote_pubkey = tst_key_public(ALICE);
	tst_pair_initiate(px);
	tst_pair_run(px, 60000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 0));
	cr_assert(eq(int, tst_events_last(px, ALICE, IKE_EV_SA_DOWN)->ev.u.sa_down.reason, IKE_ERR_AUTH));
	/* bob was told and is down too */
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_DOWN), 1));
	cr_assert(eq(u64, ike_engine_next_deadline(px->side[BOB].e), IKE_NEVER));
}

ENGINE_TEST(ike_xchg_auth, refuses_psk_mismatch)
{
	tst_pair_use_psk(px, "one secret");
	px->side[BOB].peer.psk = IKE_SLICE("another secret", 14);
	tst_pair_initiate(px);
	tst_pair_run(px, 60000);
	cr_assert(eq(int, tst_events_last(px, ALICE, IKE_EV_SA_DOWN)->ev.u.sa_down.reason, IKE_ERR_AUTH));
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 0));
}

ENGINE_TEST(ike_xchg_auth, initiator_looks_up_responder_key_by_its_key_id)
{
	ike_peer_cfg p;

	/* alice's lookup_peer answers with side[ALICE].peer, which carries bob's key;
	 * the config she initiates with has no key */
	tst_pair_start(px);
	p = px->side[ALICE].peer;
	p.remote_pubkey = (ike_slice){NULL, 0};
	cr_assert(eq(int, ike_engine_initiate(px->side[ALICE].e, &p, px->clock.now, &px->sa[ALICE]), IKE_OK));
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
	cr_assert(eq(u32, px->side[ALICE].lookups, 1));
	cr_assert(ike_id_eq(&px->side[ALICE].lookup_id, &px->side[BOB].cfg.local_id));
}
