/* SPDX-License-Identifier: MIT */
/*
 * crypto_int.h - private helpers shared by the crypto_*.c files.
 */
#ifndef IKE_CRYPTO_INT_H
#define IKE_CRYPTO_INT_H
#include <openssl/evp.h>

#include "ike/crypto.h"

/* The OpenSSL digest name for an IANA hash ID (RFC 7427), NULL if unsupported. */
const char *crypto_hash_md_name(uint16_t hash);
/* The digest name for a PRF ID, NULL if unsupported. */
const char *crypto_prf_md_name(uint16_t prf);
/* The digest name and ICV length for an INTEG ID; NULL if unsupported. */
const char *crypto_integ_md_name(uint16_t integ, size_t *icv_len, size_t *key_len);

/* One-shot HMAC over parts with digest md_name into out (cap >= digest size);
 * *len gets the full MAC length. */
int crypto_hmac(const char *md_name, ike_slice key, const ike_slice *parts, size_t n, uint8_t *out,
                size_t cap, size_t *len);

/* The EVP_PKEY of a key (borrowed). */
EVP_PKEY *crypto_key_pkey(const ike_key *key);

#endif
