/* SPDX-License-Identifier: MIT */
/* web/core/src/keys.h - private: RSA public keys as the managers see them, on top of
 * ike_crypto's ike_key (ike/crypto_key.h). */
#ifndef WEB_KEYS_H
#define WEB_KEYS_H
#include <stddef.h>

#include "ike/err.h"

#define WEB_PRIV_KEY_FILE "medcli.key"
#define WEB_PUB_KEY_FILE "medcli.pub"

typedef struct web__pubkey {
	unsigned bits;
	char keyid[41];        /* SHA-1 of the PKCS#1 RSAPublicKey, hex (pki --keyid --id spk) */
	char keyid_spki[41];   /* SHA-1 of the SubjectPublicKeyInfo, hex (pki --id spki) */
	char keyid_pretty[60]; /* keyid with colons, as pki prints it */
	char *pem;             /* SubjectPublicKeyInfo as PEM, owned */
	unsigned char *der;    /* SubjectPublicKeyInfo DER, owned */
	size_t der_len;
	char why[200]; /* the reason a key was refused, when it needs more than a fixed sentence */
} web__pubkey;

/* Parses a pasted key: PEM "PUBLIC KEY", PEM "RSA PUBLIC KEY" or an OpenSSH "ssh-rsa"
 * line, and checks it with ike_key_check_public(). *why gets a plain sentence on
 * failure (static, or out->why: valid while out is). Errors: IKE_ERR_MALFORMED (not
 * a key), IKE_ERR_UNSUPPORTED (not RSA), IKE_ERR_POLICY (a weak key: fewer than 2048
 * bits, an exponent below 65537 or even, an even or trivially factorable modulus; or
 * a private key pasted by mistake), IKE_ERR_NOMEM. */
int web__pubkey_parse(const char *text, web__pubkey *out, const char **why);
void web__pubkey_clear(web__pubkey *k);

/* Generates an RSA 2048 key pair: DIR/medcli.key (PKCS#8 PEM, mode 0600) and
 * DIR/medcli.pub (PEM), each written as *.new and renamed over the old; fills *pub.
 * Errors: IKE_ERR_CRYPTO, IKE_ERR_IO, IKE_ERR_NOMEM. */
int web__keypair_generate(const char *dir, web__pubkey *pub);
/* Loads DIR/medcli.pub into *pub. IKE_ERR_NOT_FOUND when there is no key yet. */
int web__keypair_load(const char *dir, web__pubkey *pub);

/* Normalizes a KEY_ID typed by a person (hex, with or without colons, any case) into
 * 40 lowercase hex chars. IKE_ERR_MALFORMED otherwise. */
int web__keyid_normalize(const char *text, char out[41]);
/* "aabb.." -> "aa:bb:..". */
void web__keyid_pretty(const char *hex, char out[60]);

#endif /* WEB_KEYS_H */
