/* SPDX-License-Identifier: MIT */
/*
 * test/support/tst_keys.h - RSA public keys with chosen weaknesses, for the
 * tests that check every place a public key enters refuses them.
 *
 * All are built from the two 1024-bit primes p and q of the fixed fixture key
 * test/data/crypto/rsa1.key.pem (n = p * q, 2048 bits), with OpenSSL's
 * EVP_PKEY_fromdata, so every run gets the same keys. Primes near p are found
 * by a deterministic search (the next prime after a fixed start).
 */
#ifndef TST_KEYS_H
#define TST_KEYS_H
#include <stddef.h>

typedef enum tst_rsa {
	TST_RSA_GOOD,         /* n = p * q, e = 65537: rsa1 itself */
	TST_RSA_GOOD_FAR,     /* p * next_prime(p + 2^700), e = 65537: accepted too */
	TST_RSA_E1,           /* n, e = 1: anyone can forge signatures */
	TST_RSA_E3,           /* n, e = 3 */
	TST_RSA_E_EVEN,       /* n, e = 65536 */
	TST_RSA_E_65535,      /* n, e = 65535: odd but below 65537 */
	TST_RSA_N_EVEN,       /* n + 1 (even), e = 65537 */
	TST_RSA_1024,         /* p (1024 bits), e = 65537 */
	TST_RSA_SMALL_FACTOR, /* 16381 * n, e = 65537 */
	TST_RSA_SQUARE,       /* p * p, e = 65537 */
	TST_RSA_CLOSE_PRIMES, /* p * next_prime(p + 2^200), e = 65537: Fermat finds it */
	TST_RSA_COUNT
} tst_rsa;

/* The key as PEM "-----BEGIN PUBLIC KEY-----" (SPKI), malloc'd, NUL terminated. */
char *tst_rsa_pem(tst_rsa kind);
/* The key as DER SPKI into out (cap bytes); returns its length (aborts if it does not fit). */
size_t tst_rsa_der(tst_rsa kind, unsigned char *out, size_t cap);
/* Writes the PEM to path (created or truncated, mode 0644); aborts on failure. */
void tst_rsa_write(tst_rsa kind, const char *path);
/* A short name for messages ("e=3", "even modulus", ...). */
const char *tst_rsa_name(tst_rsa kind);
/* The weak kinds run from TST_RSA_WEAK_FIRST to TST_RSA_COUNT - 1. For each, words
 * the refusal must contain wherever the key enters (CLI, web, database): the
 * reason ike_key_check_public gives, shortened; NULL for the sound kinds. */
#define TST_RSA_WEAK_FIRST TST_RSA_E1
const char *tst_rsa_refusal(tst_rsa kind);

#endif /* TST_KEYS_H */
