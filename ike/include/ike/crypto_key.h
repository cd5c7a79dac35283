/* SPDX-License-Identifier: MIT */
/*
 * ike/crypto_key.h - RSA keys and their KEY_ID fingerprints (library ike_crypto).
 *
 * An ike_key holds one RSA key, public only or private (a private key always
 * carries its public half). It is immutable after creation, so one key may be
 * shared by several engines or threads for signing and verifying.
 *
 * Input formats accepted by ike_key_load() (auto-detected):
 *   - PEM: "RSA PUBLIC KEY" (PKCS#1), "PUBLIC KEY" (SubjectPublicKeyInfo),
 *     "RSA PRIVATE KEY" (PKCS#1), "PRIVATE KEY" (unencrypted PKCS#8);
 *   - DER of any of those four;
 *   - an OpenSSH public key line "ssh-rsa AAAA... [comment]".
 * Encrypted private keys are refused (IKE_ERR_UNSUPPORTED): nothing here asks
 * for a passphrase.
 *
 * KEY_ID (ID_KEY_ID identities, see /work/shared/mediation-protocol.md):
 *   IKE_KEYID_SPK  = SHA-1 of the DER PKCS#1 RSAPublicKey (strongSwan's
 *                    `pki --keyid --id spk`, the form we show and send);
 *   IKE_KEYID_SPKI = SHA-1 of the DER SubjectPublicKeyInfo (strongSwan's
 *                    `--id spki` / "keyid"), which strongSwan also matches.
 *
 * Errors common to every function: IKE_ERR_INVAL (NULL or out-of-range argument),
 * IKE_ERR_NOMEM. Files are read or written only by the *_file functions.
 */
#ifndef IKE_CRYPTO_KEY_H
#define IKE_CRYPTO_KEY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/err.h"
#include "ike/mem.h"
#include "ike/types.h"

typedef struct ike_key ike_key;

/* The smallest RSA modulus ike_key_generate() accepts (and the web UI requires). */
#define IKE_KEY_MIN_BITS 2048
/* Largest key file ike_key_load_file() reads. */
#define IKE_KEY_FILE_MAX (64 * 1024)

/* Parses a key from data (borrowed; formats above). *out receives a new key, to be
 * freed with ike_key_free(); it is NULL on error. mem may be NULL (C library).
 * Errors: IKE_ERR_MALFORMED (not a recognised key, bad base64 or DER, ssh line
 * with trailing garbage), IKE_ERR_UNSUPPORTED (not RSA, or encrypted),
 * IKE_ERR_INVAL, IKE_ERR_NOMEM. Weak keys are loaded too: a public key from outside
 * must then pass ike_key_check_public(). */
IKE_MUST_CHECK int ike_key_load(ike_key **out, const ike_mem *mem, ike_slice data);

/* Same as ike_key_load() for the content of the file at path (at most
 * IKE_KEY_FILE_MAX bytes). The file buffer is wiped before it is freed.
 * Errors: those of ike_key_load(), IKE_ERR_IO (cannot open or read; errno kept),
 * IKE_ERR_LIMIT (file too large). */
IKE_MUST_CHECK int ike_key_load_file(ike_key **out, const ike_mem *mem, const char *path);

/* Why ike_key_load_file() failed, in words for a person: rc is what it returned,
 * err the errno it left (for IKE_ERR_IO), malformed what to say when the content
 * is not a key (e.g. "not a PEM or DER RSA public key"). A static string. */
const char *ike_key_load_error(int rc, int err, const char *malformed);

/* Generates a new RSA private key of `bits` bits (>= IKE_KEY_MIN_BITS, <= IKE_KEY_MAX_BITS,
 * exponent 65537). Errors: IKE_ERR_INVAL (size), IKE_ERR_CRYPTO, IKE_ERR_NOMEM. */
IKE_MUST_CHECK int ike_key_generate(ike_key **out, const ike_mem *mem, unsigned bits);

/* The smallest public exponent ike_key_check_public() accepts. */
#define IKE_KEY_MIN_EXPONENT 65537
/* The largest RSA modulus ike_key_check_public() accepts (and ike_key_generate() makes). */
#define IKE_KEY_MAX_BITS 16384
/* Room for a reason written by ike_key_check_public(). */
#define IKE_KEY_WHY_MAX 160

/* Checks that the public half of key can be trusted to verify signatures. Every
 * public key that comes from outside (a file, a paste, the database) goes
 * through here before it is stored or used, since ike_key_load() only parses.
 * Refused: a modulus n of fewer than IKE_KEY_MIN_BITS or more than
 * IKE_KEY_MAX_BITS bits, an even n, a public exponent e that is even, below
 * IKE_KEY_MIN_EXPONENT (e = 1 lets anyone forge signatures, e = 3 invites
 * low-exponent attacks) or not below n, and trivially factorable moduli: a
 * prime factor below 2^14, a perfect square, or two primes so close together
 * that a few steps of Fermat's method find them.
 * why (may be NULL) receives a one-line reason without a trailing period, such
 * as "the public exponent is 3 (at least 65537 is needed)" (cap bytes, always
 * NUL terminated when cap > 0; "" on success).
 * Errors: IKE_ERR_WEAK_KEY (refused, see why), IKE_ERR_INVAL (key is NULL),
 * IKE_ERR_CRYPTO (n or e could not be read), IKE_ERR_NOMEM. */
IKE_MUST_CHECK int ike_key_check_public(const ike_key *key, char *why, size_t cap);

/* The structural part of ike_key_check_public (sizes, parities, exponent), without
 * the factor search: a few microseconds instead of about 0.2 ms, for every use
 * of a key that was fully checked where it entered (the engine at each IKE_AUTH:
 * a key in the database was checked when it was added; one written by an older
 * version or by hand is caught here when its exponent or modulus is bad).
 * Same reasons and errors. */
IKE_MUST_CHECK int ike_key_check_shape(const ike_key *key, char *why, size_t cap);

/* Frees a key (NULL is ignored). OpenSSL wipes the private key material. */
void ike_key_free(ike_key *key);

/* True when the key holds a private key (can sign). */
bool ike_key_is_private(const ike_key *key);

/* The modulus size in bits (2048 for a 2048-bit key); 0 for NULL. */
unsigned ike_key_bits(const ike_key *key);

/* True when both keys have the same public key (private halves are ignored). */
bool ike_key_public_eq(const ike_key *a, const ike_key *b);

/* The key's public part as a new public-only key (*out, freed with ike_key_free).
 * Errors: IKE_ERR_CRYPTO, IKE_ERR_NOMEM. */
IKE_MUST_CHECK int ike_key_public_copy(const ike_key *key, ike_key **out);

/* Encodings of the public key. */
typedef enum ike_key_pub_form {
	IKE_KEY_PUB_PKCS1 = 0, /* DER RSAPublicKey { n, e } */
	IKE_KEY_PUB_SPKI = 1,  /* DER SubjectPublicKeyInfo (rsaEncryption) */
} ike_key_pub_form;

/* Writes the DER public key in `form` into out (cap bytes); *len gets its length.
 * With out == NULL only *len is set (the size needed). Errors: IKE_ERR_NOBUF
 * (*len still set to the size needed), IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int ike_key_public_der(const ike_key *key, ike_key_pub_form form, uint8_t *out, size_t cap,
                                      size_t *len);

/* Writes the public key as PEM "-----BEGIN PUBLIC KEY-----" (SPKI) into out, NUL
 * terminated; *len gets the length without the NUL. out == NULL: size query as
 * above (*len excludes the NUL, so cap must be at least *len + 1).
 * Errors: IKE_ERR_NOBUF, IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int ike_key_public_pem(const ike_key *key, char *out, size_t cap, size_t *len);

/* Writes the public key as an OpenSSH line "ssh-rsa AAAA... comment\n" (no comment
 * part if comment is NULL or empty; a comment must not contain a newline, else
 * IKE_ERR_INVAL). Size query and errors as ike_key_public_pem(). */
IKE_MUST_CHECK int ike_key_public_ssh(const ike_key *key, const char *comment, char *out, size_t cap,
                                      size_t *len);

/* Writes the private key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----")
 * into a new buffer *out (NUL terminated, *len without the NUL) allocated with mem;
 * free it with ike_mem_freezero(mem, *out, *len + 1). Errors: IKE_ERR_INVAL (not a
 * private key), IKE_ERR_CRYPTO, IKE_ERR_NOMEM. */
IKE_MUST_CHECK int ike_key_private_pem(const ike_key *key, const ike_mem *mem, char **out, size_t *len);

/* Creates the file at path (which must not exist: O_CREAT|O_EXCL, mode 0600,
 * then fchmod 0600 so the umask cannot widen or narrow it) and writes the private
 * key as PKCS#8 PEM. On a write error the partial file is removed.
 * Errors: IKE_ERR_EXISTS (path exists), IKE_ERR_IO (errno kept), IKE_ERR_INVAL
 * (not a private key), IKE_ERR_CRYPTO, IKE_ERR_NOMEM. */
IKE_MUST_CHECK int ike_key_write_private_file(const ike_key *key, const ike_mem *mem, const char *path);

/* Like ike_key_write_private_file() for the public key as SPKI PEM, mode 0644. */
IKE_MUST_CHECK int ike_key_write_public_file(const ike_key *key, const char *path);

/* ---- KEY_ID ---------------------------------------------------------------- */

#define IKE_KEYID_LEN 20     /* SHA-1 */
#define IKE_KEYID_HEX_LEN 40 /* lowercase hex, no separators */

typedef enum ike_keyid_form {
	IKE_KEYID_SPK = 0,  /* SHA-1(DER RSAPublicKey): `pki --keyid --id spk`, shown and sent */
	IKE_KEYID_SPKI = 1, /* SHA-1(DER SubjectPublicKeyInfo): the other form strongSwan matches */
} ike_keyid_form;

/* Computes the key's KEY_ID in `form` into out. Errors: IKE_ERR_INVAL, IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int ike_key_keyid(const ike_key *key, ike_keyid_form form, uint8_t out[IKE_KEYID_LEN]);

/* Fills *id with an ID_KEY_ID identity holding the key's KEY_ID in `form`
 * (IKE_KEYID_SPK for what we send). Errors: those of ike_key_keyid(). */
IKE_MUST_CHECK int ike_key_id(const ike_key *key, ike_keyid_form form, ike_id *id);

/* True when id is an ID_KEY_ID equal to either KEY_ID form of key (how strongSwan
 * finds a raw public key for a peer's IDi/IDr). False for other ID types. */
bool ike_key_matches_id(const ike_key *key, const ike_id *id);

/* Lowercase hex of len bytes into out, which must hold 2 * len + 1 chars; always
 * NUL terminates. No locale, no ctype.h. */
void ike_hex_encode(const uint8_t *in, size_t len, char *out);

/* Parses hex text (upper or lower case; pairs may be separated by ':' as
 * strongSwan prints them, but then every pair must be) of text_len chars into out.
 * *len gets the byte count. Errors: IKE_ERR_MALFORMED (odd digits, bad character,
 * misplaced separator, empty), IKE_ERR_NOBUF (more than cap bytes). */
IKE_MUST_CHECK int ike_hex_decode(const char *text, size_t text_len, uint8_t *out, size_t cap, size_t *len);

/* Parses a KEY_ID as shown ("0123...cdef", 40 hex digits, or the colon form),
 * NUL-terminated text. Errors: IKE_ERR_MALFORMED (not exactly 20 bytes of hex). */
IKE_MUST_CHECK int ike_keyid_parse(const char *text, uint8_t out[IKE_KEYID_LEN]);

/* Formats a KEY_ID as 40 lowercase hex digits plus NUL. Returns out. */
const char *ike_keyid_format(const uint8_t keyid[IKE_KEYID_LEN], char out[IKE_KEYID_HEX_LEN + 1]);

#endif /* IKE_CRYPTO_KEY_H */
