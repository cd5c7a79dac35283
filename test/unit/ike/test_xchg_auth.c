/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ike/crypto_key.h"
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

/* Anyone who completes an IKE_SA_INIT can fail IKE_AUTH as often as they like:
 * the responder's lines about it are rate-limited, with a summary. */
ENGINE_TEST(ike_xchg_auth, limits_lines_about_failed_authentications)
{
	px->side[BOB].peer_known = false;
	px->side[BOB].cfg.log_level = IKE_LOG_WARN;
	tst_pair_start(px);
	for (int i = 0; i < 25; i++) {
		tst_pair_initiate(px);
		tst_pair_run(px, 100);
	}
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_DOWN), 25));
	cr_assert(eq(u32, px->side[BOB].log_lines, 20));
	cr_assert(eq(u64, ike_engine_next_deadline(px->side[BOB].e), 1000000 + 10000));
	tst_pair_advance(px, 10000);
	cr_assert(eq(u32, px->side[BOB].log_lines, 21));
	cr_assert(eq(str, px->side[BOB].last_log, "failed authentications (5 more in the last 10 s)"));
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

/* An RSA-2048 private key with public exponent 3 (PEM into pem, DER SPKI into der). */
static void make_e3_key(char *pem, size_t pem_cap, size_t *pem_len, uint8_t *der, size_t der_cap,
                        size_t *der_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	size_t bits = 2048;
	unsigned int e = 3;
	OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &bits),
	                       OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_E, &e),
	                       OSSL_PARAM_construct_end()};
	EVP_PKEY *k = NULL;
	BIO *b = BIO_new(BIO_s_mem());
	unsigned char *p = der;
	char *mem;
	long n;

	cr_assert(ctx && b && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_params(ctx, params) == 1 &&
	          EVP_PKEY_generate(ctx, &k) == 1);
	cr_assert(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL));
	n = BIO_get_mem_data(b, &mem);
	cr_assert(n > 0 && (size_t)n < pem_cap);
	memcpy(pem, mem, (size_t)n);
	*pem_len = (size_t)n;
	cr_assert(i2d_PUBKEY(k, NULL) > 0 && (size_t)i2d_PUBKEY(k, NULL) <= der_cap);
	*der_len = (size_t)i2d_PUBKEY(k, &p);
	BIO_free(b);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
}

/* alice signs with a key whose exponent is 3, and bob has exactly that key
 * configured for her (as if stored before keys were checked): her signature
 * would verify, but bob refuses the key itself, says why in his log, and prints
 * her KEY_ID as hex. */
ENGINE_TEST(ike_xchg_auth, responder_refuses_a_configured_key_that_is_weak)
{
	static char pem[4096];
	static uint8_t der[1024];
	char path[] = "/tmp/test_ike_logXXXXXX", hex[IKE_KEYID_HEX_LEN + 1], log[8192];
	size_t pem_len, der_len, n;
	ike_key *k = NULL;
	ike_id id;
	int fd, saved;

	make_e3_key(pem, sizeof pem, &pem_len, der, sizeof der, &der_len);
	cr_assert(eq(int, ike_key_load(&k, NULL, IKE_SLICE(der, der_len)), IKE_OK));
	cr_assert(eq(int, ike_key_id(k, IKE_KEYID_SPK, &id), IKE_OK));
	ike_keyid_format(id.data, hex);
	ike_key_free(k);
	px->side[ALICE].cfg.private_key = IKE_SLICE(pem, pem_len);
	px->side[ALICE].cfg.local_id = id;
	px->side[BOB].peer.remote_pubkey = IKE_SLICE(der, der_len);
	px->side[BOB].peer.remote_id = id;
	/* The fixture prints every log line to stderr with TST_LOG: catch them in a file. */
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	setenv("TST_LOG", "1", 1);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	tst_pair_initiate(px);
	tst_pair_run(px, 60000);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	unsetenv("TST_LOG");
	n = (size_t)pread(fd, log, sizeof log - 1, 0);
	log[n < sizeof log ? n : 0] = '\0';
	close(fd);
	unlink(path);
	cr_assert(eq(sz, tst_events_count(px, BOB, IKE_EV_SA_UP), 0));
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 0));
	cr_assert(eq(int, tst_events_last(px, ALICE, IKE_EV_SA_DOWN)->ev.u.sa_down.reason, IKE_ERR_AUTH));
	cr_assert(strstr(log, "public key is refused: the public exponent is 3") != NULL, "log:\n%s", log);
	char want[128];
	snprintf(want, sizeof want, "peer %s not authenticated", hex);
	cr_assert(strstr(log, want) != NULL, "no \"%s\" in the log:\n%s", want, log);
}
