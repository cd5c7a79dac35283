/* SPDX-License-Identifier: MIT */
/*
 * ike/crypto.h - IKEv2 cryptography over OpenSSL 3 EVP (library ike_crypto):
 * randomness, Diffie-Hellman, PRF and prf+, IKE_SA and CHILD_SA key material,
 * SK payload protection, AUTH payload computation and RSA signatures.
 * Keys and KEY_ID are in ike/crypto_key.h (included here).
 *
 * Sans-IO: no clock, no file access (except the *_file helpers of crypto_key.h).
 * Algorithms are named by their IANA numbers (ike/iana.h). Every function is
 * thread-safe on distinct objects; ike_dh and ike_sk_cipher objects must not be
 * used from two threads at once.
 *
 * Conventions: functions return IKE_OK or a negative ike_err. Inputs are borrowed
 * for the call. Output buffers are the caller's; a function writing secrets into
 * them leaves wiping them to the caller (OPENSSL_cleanse / ike_crypto_wipe). On
 * error, outputs hold no secret. Errors common to every function: IKE_ERR_INVAL
 * (NULL pointer, zero length where a value is needed), IKE_ERR_UNSUPPORTED
 * (algorithm number we do not implement), IKE_ERR_NOBUF (output too small),
 * IKE_ERR_NOMEM, IKE_ERR_CRYPTO (OpenSSL failed unexpectedly).
 *
 * Supported:
 *   DH     MODP_2048 (14), MODP_3072 (15), MODP_4096 (16), ECP_256 (19),
 *          ECP_384 (20), ECP_521 (21), CURVE25519 (31)
 *   PRF    PRF_HMAC_SHA1 (2), PRF_HMAC_SHA2_256/384/512 (5/6/7)
 *   INTEG  AUTH_HMAC_SHA1_96 (2), AUTH_HMAC_SHA2_256_128/384_192/512_256 (12/13/14)
 *   ENCR   ENCR_AES_CBC (12) 128/192/256, ENCR_AES_GCM_16 (20) 128/192/256,
 *          ENCR_CHACHA20_POLY1305 (28, 256 bits only)
 *   AUTH   RSA_SIG (1, PKCS#1 v1.5 SHA-1), SHARED_KEY (2), DIGITAL_SIGNATURE (14:
 *          RSA PKCS#1 v1.5 with SHA-256/384/512 signed; RSASSA-PSS also verified)
 */
#ifndef IKE_CRYPTO_H
#define IKE_CRYPTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/crypto_key.h"
#include "ike/err.h"
#include "ike/iana.h"
#include "ike/mem.h"
#include "ike/types.h"

/* ---- 0. helpers ------------------------------------------------------------ */

/* Fills buf with len bytes from OpenSSL's CSPRNG (RAND_bytes).
 * Errors: IKE_ERR_CRYPTO (the CSPRNG failed: buf is then zeroed). */
IKE_MUST_CHECK int ike_rand(void *buf, size_t len);

/* Wipes len bytes at p (OPENSSL_cleanse). NULL is ignored. */
void ike_crypto_wipe(void *p, size_t len);

/* Constant-time comparison (CRYPTO_memcmp): true when equal. */
bool ike_crypto_eq(const void *a, const void *b, size_t len);

/* Hashes for ike_hash(): IANA hash IDs of RFC 7427 (IKE_HASH_SHA1 ... _SHA2_512). */
#define IKE_HASH_MAX_LEN 64
/* Output length of hash id, 0 if unsupported. */
size_t ike_hash_len(uint16_t hash);
/* out = hash(parts[0] | parts[1] | ... | parts[n-1]); *len gets ike_hash_len(hash)
 * (len may be NULL). Used for NAT_DETECTION (SHA-1) and ME_CONNECTAUTH (SHA-1). */
IKE_MUST_CHECK int ike_hash(uint16_t hash, const ike_slice *parts, size_t n, uint8_t *out, size_t cap,
                            size_t *len);

/* ---- 1. Diffie-Hellman (RFC 7296 3.4, RFC 3526, RFC 5903, RFC 8031) ------- */

typedef struct ike_dh ike_dh;

#define IKE_DH_PUB_MAX 512 /* MODP-4096 */
#define IKE_DH_SECRET_MAX 512

/* True when we implement group. */
bool ike_dh_supported(uint16_t group);
/* Length of a KE payload's key exchange data for group (MODP: the prime's length;
 * ECP: 2 * coordinate length; Curve25519: 32); 0 if unsupported. */
size_t ike_dh_pub_len(uint16_t group);
/* Length of the shared secret g^ir for group (MODP: prime length; ECP: coordinate
 * length, the x coordinate per RFC 5903 section 7; Curve25519: 32); 0 if unsupported. */
size_t ike_dh_secret_len(uint16_t group);

/* Generates a fresh key pair for group. *out is freed with ike_dh_free (which
 * wipes the private key). Errors: IKE_ERR_UNSUPPORTED, IKE_ERR_CRYPTO, IKE_ERR_NOMEM. */
IKE_MUST_CHECK int ike_dh_new(ike_dh **out, const ike_mem *mem, uint16_t group);

/* FOR KNOWN-ANSWER TESTS ONLY: makes the key pair whose private key is priv
 * (MODP: big-endian exponent, at most the prime's length; ECP: big-endian scalar of
 * the coordinate length; Curve25519: the 32-byte scalar as in RFC 7748).
 * Errors: as ike_dh_new, IKE_ERR_INVAL (bad private key length or value). */
IKE_MUST_CHECK int ike_dh_new_from_private(ike_dh **out, const ike_mem *mem, uint16_t group, ike_slice priv);

/* Frees the key pair (wipes it). NULL is ignored. */
void ike_dh_free(ike_dh *dh);

/* The group of dh. */
uint16_t ike_dh_group(const ike_dh *dh);

/* Our public value in IKE's encoding (MODP: big-endian, left-padded with zeros to
 * the prime length; ECP: x | y, each padded to the coordinate length, no 0x04
 * prefix; Curve25519: 32 bytes). Valid until ike_dh_free(); length ike_dh_pub_len(). */
ike_slice ike_dh_public(const ike_dh *dh);

/* Computes the shared secret from the peer's public value into secret (cap >=
 * ike_dh_secret_len(group)); *len gets that length, left-padded with zeros.
 * The peer value is validated: exact length; MODP 1 < y < p-1; ECP: a point on
 * the curve (not infinity); Curve25519: an all-zero result is refused.
 * Errors: IKE_ERR_MALFORMED (wrong length), IKE_ERR_CRYPTO (invalid public value
 * or failed derivation), IKE_ERR_NOBUF. May be called more than once. */
IKE_MUST_CHECK int ike_dh_compute(ike_dh *dh, ike_slice peer_pub, uint8_t *secret, size_t cap, size_t *len);

/* ---- 2. PRF, prf+ (RFC 7296 2.13) ----------------------------------------- */

#define IKE_PRF_MAX_LEN 64
/* Output length of prf (also the preferred key length, RFC 7296 2.14), 0 if unsupported. */
size_t ike_prf_len(uint16_t prf);

/* out = prf(key, parts[0] | ... | parts[n-1]) (HMAC; any key length). Writes
 * ike_prf_len(prf) bytes; cap must be at least that. */
IKE_MUST_CHECK int ike_prf(uint16_t prf, ike_slice key, const ike_slice *parts, size_t n, uint8_t *out,
                           size_t cap);

/* prf+ (RFC 7296 2.13): fills out_len bytes of out with T1 | T2 | ..., where
 * T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), S = seed[0] | ... | seed[n-1].
 * Errors: IKE_ERR_LIMIT (out_len > 255 * ike_prf_len(prf)). */
IKE_MUST_CHECK int ike_prf_plus(uint16_t prf, ike_slice key, const ike_slice *seed, size_t n, uint8_t *out,
                                size_t out_len);

/* ---- 3. key lengths -------------------------------------------------------- */

/* True for combined-mode ciphers (AES-GCM, ChaCha20-Poly1305): no INTEG transform. */
bool ike_encr_is_aead(uint16_t encr);
/* Bytes of key material an ENCR transform takes from prf+: the key (key_bits / 8,
 * key_bits 0 = the default: 256 for ChaCha20-Poly1305, required otherwise) plus the
 * 4-byte salt for AES-GCM and ChaCha20-Poly1305 (RFC 4106 8.1, RFC 7634 2);
 * 0 if unsupported or a bad key size. */
size_t ike_encr_keymat_len(uint16_t encr, uint16_t key_bits);
/* Key length of an INTEG transform (20, 32, 48, 64 bytes), 0 if unsupported. */
size_t ike_integ_key_len(uint16_t integ);
/* ICV length of an INTEG transform (12, 16, 24, 32 bytes), 0 if unsupported. */
size_t ike_integ_icv_len(uint16_t integ);

/* One negotiated transform set. Same fields as the engine's private ike__suite. */
typedef struct ike_crypto_suite {
	uint16_t encr, encr_bits; /* encr_bits = Key Length attribute (0 = default) */
	uint16_t integ;           /* 0 with AEAD */
	uint16_t prf;             /* IKE SA only */
	uint16_t dh;              /* not used by key derivation */
} ike_crypto_suite;

/* ---- 4. IKE SA keys (RFC 7296 2.14, 2.18) --------------------------------- */

#define IKE_SK_MAX 64 /* largest key: PRF/INTEG SHA-512 (64), ENCR AES-256-GCM + salt (36) */

/* The seven IKE SA keys. i = initiator's, r = responder's (SK_ei encrypts what the
 * original initiator sends). Wipe with ike_sa_keys_wipe(). */
typedef struct ike_sa_keys {
	uint16_t prf;                       /* the PRF they were made with (for SK_d, SK_p) */
	uint8_t d_len, a_len, e_len, p_len; /* SK_d, SK_a*, SK_e*, SK_p* lengths */
	uint8_t sk_d[IKE_SK_MAX];
	uint8_t sk_ai[IKE_SK_MAX], sk_ar[IKE_SK_MAX];
	uint8_t sk_ei[IKE_SK_MAX], sk_er[IKE_SK_MAX]; /* AEAD: key | 4-byte salt */
	uint8_t sk_pi[IKE_SK_MAX], sk_pr[IKE_SK_MAX];
} ike_sa_keys;

/* Initial IKE SA (IKE_SA_INIT): SKEYSEED = prf(Ni | Nr, g^ir);
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr |
 * SPIi | SPIr). SK_d and SK_p are ike_prf_len(prf) long, SK_a ike_integ_key_len
 * (0 with AEAD), SK_e ike_encr_keymat_len. Nonces are the Ni/Nr payload bodies;
 * spi_i/spi_r are the SPIs in host order (encoded big-endian, as on the wire).
 * Errors: IKE_ERR_UNSUPPORTED (suite), IKE_ERR_INVAL (AEAD with integ or
 * non-AEAD without integ). On error *out is zeroed. */
IKE_MUST_CHECK int ike_sa_keys_derive(ike_sa_keys *out, const ike_crypto_suite *suite, ike_slice g_ir,
                                      ike_slice ni, ike_slice nr, uint64_t spi_i, uint64_t spi_r);

/* Rekeyed IKE SA (RFC 7296 2.18): SKEYSEED = prf_old(SK_d(old), g^ir(new) | Ni | Nr),
 * with the OLD SA's PRF (old->prf, old->sk_d); then prf+ with the NEW suite's PRF
 * over Ni | Nr | SPIi | SPIr, where SPIs, nonces (Ni = the CREATE_CHILD_SA
 * request's, Nr = the response's) and suite are the new SA's. */
IKE_MUST_CHECK int ike_sa_keys_derive_rekey(ike_sa_keys *out, const ike_crypto_suite *suite,
                                            const ike_sa_keys *old, ike_slice g_ir, ike_slice ni,
                                            ike_slice nr, uint64_t spi_i, uint64_t spi_r);

/* Wipes *keys (NULL is ignored). */
void ike_sa_keys_wipe(ike_sa_keys *keys);

/* ---- 5. CHILD_SA keys (RFC 7296 2.17) -------------------------------------- */

/* ESP keys, by direction: "ir" = initiator to responder (the initiator encrypts
 * with enc_ir, the responder decrypts with it), "ri" = the reverse. "Initiator"
 * is the initiator of the exchange that created the CHILD_SA (RFC 7296 2.17). */
typedef struct ike_child_keys {
	uint8_t enc_len, integ_len; /* enc_len includes the AEAD salt */
	uint8_t enc_ir[IKE_SK_MAX], integ_ir[IKE_SK_MAX];
	uint8_t enc_ri[IKE_SK_MAX], integ_ri[IKE_SK_MAX];
} ike_child_keys;

/* KEYMAT = prf+(SK_d, [g^ir (new)] | Ni | Nr), taken in this order: enc_ir,
 * integ_ir, enc_ri, integ_ri (sizes from the ESP suite; suite->prf is ignored, the
 * IKE SA's PRF sa->prf and sa->sk_d are used). g_ir is empty without PFS.
 * Ni/Nr are the nonces of the exchange that created the CHILD_SA (IKE_AUTH: those of
 * IKE_SA_INIT). On error *out is zeroed. */
IKE_MUST_CHECK int ike_child_keys_derive(ike_child_keys *out, const ike_crypto_suite *esp_suite,
                                         const ike_sa_keys *sa, ike_slice g_ir, ike_slice ni, ike_slice nr);

/* Wipes *keys (NULL is ignored). */
void ike_child_keys_wipe(ike_child_keys *keys);

/* ---- 6. SK payload protection (RFC 7296 3.14, RFC 5282, RFC 7634) ---------- */

/* One direction's SK protection: an encryption key and, for AES-CBC, an
 * integrity key. Make one for SK_ei/SK_ai and one for SK_er/SK_ar. */
typedef struct ike_sk_cipher ike_sk_cipher;

/* Where the pieces of an SK (or SKF) payload are in a message buffer, as offsets
 * from msg. They must be contiguous and in this order:
 *
 *   msg + aad_off: IKE header .. SK generic payload header (aad_len bytes)
 *   msg + iv_off  = aad_off + aad_len:   IV (ike_sk_iv_len bytes)
 *   msg + data_off = iv_off + iv_len:    data_len bytes: plaintext (inner payloads,
 *                                        padding, pad length byte) or ciphertext
 *   msg + icv_off = data_off + data_len: ICV (ike_sk_icv_len bytes)
 *
 * AES-GCM / ChaCha20-Poly1305: AAD = the aad range, nonce = salt | IV.
 * AES-CBC + HMAC: ICV = truncated HMAC over [aad_off, icv_off) (IKE header through
 * the encrypted data). aad_off is normally 0 (the IKE header starts the buffer). */
typedef struct ike_sk_layout {
	size_t aad_off, aad_len;
	size_t iv_off;
	size_t data_off, data_len;
	size_t icv_off;
} ike_sk_layout;

/* Creates an SK cipher. encr: ENCR_AES_GCM_16, ENCR_AES_CBC or
 * ENCR_CHACHA20_POLY1305 (ENCR_AES_GCM_8/_12 work too, with 8/12-byte ICVs); key_bits the Key Length
 * attribute (0 = default where the cipher has one); integ: 0 for AEAD, else an AUTH_HMAC_* id. enc_key must
 * be exactly ike_encr_keymat_len(encr, key_bits) bytes (AEAD: key | salt), integ_key exactly
 * ike_integ_key_len(integ) (empty for AEAD). Keys are copied. Errors: IKE_ERR_UNSUPPORTED, IKE_ERR_INVAL (key
 * lengths, AEAD with integ or CBC without), IKE_ERR_NOMEM, IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int ike_sk_cipher_new(ike_sk_cipher **out, const ike_mem *mem, uint16_t encr,
                                     uint16_t key_bits, uint16_t integ, ike_slice enc_key,
                                     ike_slice integ_key);

/* Frees (and wipes) the cipher. NULL is ignored. */
void ike_sk_cipher_free(ike_sk_cipher *c);

/* IV length: 16 for AES-CBC, 8 for AES-GCM and ChaCha20-Poly1305. */
size_t ike_sk_iv_len(const ike_sk_cipher *c);
/* Block size the plaintext (payloads + padding + pad length byte) must be a
 * multiple of: 16 for AES-CBC, 1 for the AEADs (RFC 5282 3: no alignment). */
size_t ike_sk_block_len(const ike_sk_cipher *c);
/* ICV length: the INTEG truncation for CBC (16, 24, 32, 12), 16 for the AEADs
 * (8 / 12 for AES-GCM-8 / -12). */
size_t ike_sk_icv_len(const ike_sk_cipher *c);
/* Padding bytes to add after inner_len bytes of payloads so that inner_len +
 * padding + 1 (the Pad Length byte) is a multiple of the block size. */
size_t ike_sk_pad_len(const ike_sk_cipher *c, size_t inner_len);
/* Total bytes an SK payload body adds around inner_len bytes of payloads:
 * IV + padding + pad length byte + ICV (without the 4-byte generic header). */
size_t ike_sk_overhead(const ike_sk_cipher *c, size_t inner_len);

/* Encrypts in place: generates the IV with ike_rand() (random 8 bytes for the
 * AEADs, random 16 for CBC: never a counter, so two ciphers made from the same key
 * cannot repeat a nonce in practice) and writes it at iv_off, encrypts
 * [data_off, data_off + data_len), writes the ICV at icv_off. The caller has
 * written the plaintext with its padding and pad length byte, and the IKE header
 * and SK header with their final lengths (they are authenticated).
 * Errors: IKE_ERR_INVAL (layout out of msg_len, not contiguous, data_len not a
 * multiple of the block size), IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int ike_sk_encrypt(ike_sk_cipher *c, uint8_t *msg, size_t msg_len, const ike_sk_layout *l);

/* FOR KNOWN-ANSWER TESTS ONLY: ike_sk_encrypt() with the given IV (iv_len bytes)
 * instead of a random one. Reusing an IV with one key breaks AES-GCM. */
IKE_MUST_CHECK int ike_sk_encrypt_with_iv(ike_sk_cipher *c, uint8_t *msg, size_t msg_len,
                                          const ike_sk_layout *l, const uint8_t *iv);

/* Verifies the ICV and decrypts [data_off, data_off + data_len) in place. CBC: the
 * HMAC is checked (CRYPTO_memcmp) before anything is decrypted. AEAD: the tag is
 * checked by OpenSSL; on a mismatch the data range is wiped, so no unverified
 * plaintext is left in msg. The padding is not removed or checked: read the pad
 * length byte at data_off + data_len - 1 yourself.
 * Errors: IKE_ERR_INTEGRITY (bad ICV or tag), IKE_ERR_INVAL (layout; CBC data_len
 * not a positive multiple of 16), IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int ike_sk_decrypt(ike_sk_cipher *c, uint8_t *msg, size_t msg_len, const ike_sk_layout *l);

/* After ike_sk_decrypt(): checks the Pad Length byte (the last of data_len bytes at
 * data) and gives the length of the inner payloads, data_len - pad_len - 1.
 * Padding content is not checked (RFC 7296 3.14: any value). Errors:
 * IKE_ERR_MALFORMED (data_len 0, or pad length + 1 > data_len). */
IKE_MUST_CHECK int ike_sk_strip_padding(const uint8_t *data, size_t data_len, size_t *inner_len);

/* Makes the two SK ciphers of an IKE SA from its keys: *tx protects what we send,
 * *rx checks what we receive. initiator = we are the ORIGINAL initiator of the IKE
 * SA (then tx uses SK_ei/SK_ai, rx SK_er/SK_ar; the reverse for the responder).
 * suite gives encr, encr_bits and integ. On error both are NULL. Errors: those of
 * ike_sk_cipher_new(), IKE_ERR_INVAL (keys not made for this suite). */
IKE_MUST_CHECK int ike_sa_sk_ciphers(const ike_sa_keys *keys, const ike_crypto_suite *suite, bool initiator,
                                     const ike_mem *mem, ike_sk_cipher **tx, ike_sk_cipher **rx);

/* ---- 7. AUTH payload (RFC 7296 2.15, RFC 7427) ------------------------------ */

/* Length of the octets ike_auth_octets() builds. */
size_t ike_auth_octets_len(uint16_t prf, size_t message_len, size_t peer_nonce_len);

/* Builds the octets to sign or MAC (RFC 7296 2.15):
 *   message (the sender's IKE_SA_INIT message as sent, from the IKE header; no
 *   non-ESP marker) | peer_nonce (the other side's Nonce Data) |
 *   prf(SK_p, IDType | RESERVED(3) = 0 | ID data)
 * where sk_p is SK_pi for the initiator's AUTH and SK_pr for the responder's, and id
 * the sender's own IDi/IDr. *len gets ike_auth_octets_len(). */
IKE_MUST_CHECK int ike_auth_octets(uint16_t prf, ike_slice sk_p, ike_slice message, ike_slice peer_nonce,
                                   const ike_id *id, uint8_t *out, size_t cap, size_t *len);

/* Same as ike_auth_octets() with the ID payload body exactly as on the wire
 * (IDType | RESERVED(3) | ID data, id_body.len >= 4), so RESERVED bytes a peer
 * set are MACed as received (strongSwan does the same). */
IKE_MUST_CHECK int ike_auth_octets_raw_id(uint16_t prf, ike_slice sk_p, ike_slice message,
                                          ike_slice peer_nonce, ike_slice id_body, uint8_t *out, size_t cap,
                                          size_t *len);

/* PSK (method 2): AUTH = prf(prf(psk, "Key Pad for IKEv2"), octets); writes
 * ike_prf_len(prf) bytes, *len gets that. */
IKE_MUST_CHECK int ike_auth_psk(uint16_t prf, ike_slice psk, ike_slice octets, uint8_t *out, size_t cap,
                                size_t *len);

/* Recomputes the PSK AUTH and compares in constant time.
 * Errors: IKE_ERR_AUTH (mismatch or wrong length). */
IKE_MUST_CHECK int ike_auth_psk_verify(uint16_t prf, ike_slice psk, ike_slice octets, ike_slice auth_data);

/* Largest AUTH data ike_auth_sign() or ike_auth_sign_pss() writes for key
 * (signature + the longest method 14 header). */
size_t ike_auth_sign_max(const ike_key *key);

/* Signs octets with the private key for the AUTH payload's data.
 *   method IKE_AUTH_RSA_SIG (1): RSASSA-PKCS1-v1_5 with SHA-1, hash ignored.
 *   method IKE_AUTH_DIGITAL_SIGNATURE (14): hash IKE_HASH_SHA2_256/384/512;
 *     data = ASN.1 length (1 byte) | AlgorithmIdentifier DER (shaXXXWithRSAEncryption,
 *     NULL parameters) | RSASSA-PKCS1-v1_5 signature.
 * Errors: IKE_ERR_INVAL (not a private key, bad method or hash), IKE_ERR_NOBUF,
 * IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int ike_auth_sign(const ike_key *key, uint8_t method, uint16_t hash, ike_slice octets,
                                 uint8_t *out, size_t cap, size_t *len);

/* Method 14 data with RSASSA-PSS instead of PKCS#1 v1.5 (what strongSwan sends
 * with charon.rsa_pss = yes): hash SHA2-256/384/512, MGF1 with the same hash, salt
 * length = hash length, parameters explicit. Errors as ike_auth_sign(). */
IKE_MUST_CHECK int ike_auth_sign_pss(const ike_key *key, uint16_t hash, ike_slice octets, uint8_t *out,
                                     size_t cap, size_t *len);

/* Verifies the AUTH data of method 1 or 14 over octets with (the public part of)
 * key. Method 14 accepts sha1/sha256/sha384/sha512WithRSAEncryption and
 * RSASSA-PSS (id-RSASSA-PSS with SHA-256/384/512, MGF1 with the same hash, any
 * salt length as encoded) AlgorithmIdentifiers. *hash_used (may be NULL) gets the
 * IANA hash of the signature. Errors: IKE_ERR_AUTH (bad signature),
 * IKE_ERR_MALFORMED (method 14 header), IKE_ERR_UNSUPPORTED (method or algorithm). */
IKE_MUST_CHECK int ike_auth_verify(const ike_key *key, uint8_t method, ike_slice octets, ike_slice auth_data,
                                   uint16_t *hash_used);

/* ---- 8. SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 4) ----------------------- */

/* A set of hash IDs as a bit mask: bit h set = IANA hash h (1..15; higher IDs are
 * ignored when parsing). */
#define IKE_HASH_BIT(h) (1u << (h))

/* The hashes we sign and verify with: SHA2-256, SHA2-384, SHA2-512. */
uint32_t ike_sig_hashes_ours(void);

/* Notify data: a list of 2-byte hash IDs in ascending order, for the bits of mask.
 * *len gets 2 * (number of bits). */
IKE_MUST_CHECK int ike_sig_hashes_encode(uint32_t mask, uint8_t *out, size_t cap, size_t *len);

/* Parses notify data into *mask (unknown IDs ignored).
 * Errors: IKE_ERR_MALFORMED (odd length). */
IKE_MUST_CHECK int ike_sig_hashes_parse(ike_slice data, uint32_t *mask);

/* The hash we sign with, given the peer's set: the first of SHA2-256, SHA2-384,
 * SHA2-512 (strongSwan 5.9's order for RSA keys) in peer_mask; 0 if none (then
 * use AUTH method 1). */
uint16_t ike_sig_hash_choose(uint32_t peer_mask);

/* ---- 9. NAT detection and mediation hashes --------------------------------- */

#define IKE_NATD_LEN 20
/* NAT_DETECTION_*_IP data (RFC 7296 2.23): SHA-1(SPIi | SPIr | IP address | port),
 * SPIs in host order (encoded big-endian; SPIr 0 in the IKE_SA_INIT request), the
 * address 4 or 16 bytes as in addr->ip, the port addr->port big-endian.
 * Errors: IKE_ERR_INVAL (NULL, family not IPv4/IPv6), IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const ike_addr *addr,
                                 uint8_t out[IKE_NATD_LEN]);

#define IKE_ME_CONNECTAUTH_LEN 20
/* ME_CONNECTAUTH data (draft-brunner-ikev2-mediation, as strongSwan computes it):
 * SHA-1(message ID (4 bytes, big-endian) | connect ID | ME_ENDPOINT notify data as
 * sent | key), key = the ME_CONNECTKEY of the side sending the check.
 * Errors: IKE_ERR_INVAL, IKE_ERR_CRYPTO. Compare with ike_crypto_eq(). */
IKE_MUST_CHECK int ike_me_connectauth(uint32_t message_id, ike_slice connect_id, ike_slice endpoint,
                                      ike_slice key, uint8_t out[IKE_ME_CONNECTAUTH_LEN]);

#endif /* IKE_CRYPTO_H */
