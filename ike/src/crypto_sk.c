/* SPDX-License-Identifier: MIT */
/*
 * crypto_sk.c - SK payload protection: AES-CBC + HMAC (RFC 7296 3.14), AES-GCM
 * (RFC 5282) and ChaCha20-Poly1305 (RFC 7634), in place on the message buffer.
 */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto_int.h"

#define SALT_LEN 4
#define AEAD_IV_LEN 8
#define CBC_BLOCK 16

struct ike_sk_cipher {
	const ike_mem *mem;
	uint16_t encr, integ;
	bool aead;
	EVP_CIPHER *cipher; /* OpenSSL's shared method object (reference counted) */
	const char *integ_md;
	size_t key_len, integ_key_len, iv_len, block_len, icv_len;
	uint8_t key[32];
	uint8_t salt[SALT_LEN];
	uint8_t integ_key[IKE_SK_MAX];
};

void ike_sk_cipher_free(ike_sk_cipher *c)
{
	if (!c)
		return;
	EVP_CIPHER_free(c->cipher);
	ike_mem_freezero(c->mem, c, sizeof *c);
}

static const char *cipher_name(uint16_t encr, size_t key_len)
{
	switch (encr) {
	case IKE_ENCR_AES_CBC:
		return key_len == 16 ? "AES-128-CBC" : key_len == 24 ? "AES-192-CBC" : "AES-256-CBC";
	case IKE_ENCR_AES_GCM_8:
	case IKE_ENCR_AES_GCM_12:
	case IKE_ENCR_AES_GCM_16:
		return key_len == 16 ? "AES-128-GCM" : key_len == 24 ? "AES-192-GCM" : "AES-256-GCM";
	case IKE_ENCR_CHACHA20_POLY1305:
		return "ChaCha20-Poly1305";
	default:
		return NULL;
	}
}

int ike_sk_cipher_new(ike_sk_cipher **out, const ike_mem *mem, uint16_t encr, uint16_t key_bits,
                      uint16_t integ, ike_slice enc_key, ike_slice integ_key)
{
	if (!out)
		return IKE_ERR_INVAL;
	*out = NULL;
	size_t km = ike_encr_keymat_len(encr, key_bits);
	if (!km)
		return encr == IKE_ENCR_AES_CBC || ike_encr_is_aead(encr) ? IKE_ERR_INVAL
		                                                          : IKE_ERR_UNSUPPORTED;
	bool aead = ike_encr_is_aead(encr);
	size_t icv = 0, ikey = 0;
	const char *md = NULL;
	if (aead) {
		if (integ != 0 || integ_key.len != 0)
			return IKE_ERR_INVAL;
		icv = encr == IKE_ENCR_AES_GCM_8 ? 8 : encr == IKE_ENCR_AES_GCM_12 ? 12 : 16;
	} else {
		md = crypto_integ_md_name(integ, &icv, &ikey);
		if (!md)
			return integ == 0 ? IKE_ERR_INVAL : IKE_ERR_UNSUPPORTED;
		if (integ_key.len != ikey || !integ_key.ptr)
			return IKE_ERR_INVAL;
	}
	if (enc_key.len != km || !enc_key.ptr)
		return IKE_ERR_INVAL;

	ike_sk_cipher *c = ike_mem_calloc(mem, 1, sizeof *c);
	if (!c)
		return IKE_ERR_NOMEM;
	c->mem = mem;
	c->encr = encr;
	c->integ = integ;
	c->aead = aead;
	c->key_len = aead ? km - SALT_LEN : km;
	memcpy(c->key, enc_key.ptr, c->key_len);
	if (aead)
		memcpy(c->salt, enc_key.ptr + c->key_len, SALT_LEN);
	if (!aead) {
		memcpy(c->integ_key, integ_key.ptr, ikey);
		c->integ_key_len = ikey;
		c->integ_md = md;
	}
	c->icv_len = icv;
	c->iv_len = aead ? AEAD_IV_LEN : CBC_BLOCK;
	c->block_len = aead ? 1 : CBC_BLOCK;
	/* No EVP_CIPHER_CTX is kept: a context with its key schedule costs about
	 * 1.2 KB, twice per IKE_SA, for the few messages an SA carries. Each message
	 * gets a fresh context (see aead_crypt/cbc_crypt). */
	c->cipher = EVP_CIPHER_fetch(NULL, cipher_name(encr, c->key_len), NULL);
	if (!c->cipher) {
		ike_sk_cipher_free(c);
		return IKE_ERR_CRYPTO;
	}
	*out = c;
	return IKE_OK;
}

size_t ike_sk_iv_len(const ike_sk_cipher *c)
{
	return c ? c->iv_len : 0;
}

size_t ike_sk_block_len(const ike_sk_cipher *c)
{
	return c ? c->block_len : 0;
}

size_t ike_sk_icv_len(const ike_sk_cipher *c)
{
	return c ? c->icv_len : 0;
}

size_t ike_sk_pad_len(const ike_sk_cipher *c, size_t inner_len)
{
	if (!c || c->block_len <= 1)
		return 0;
	size_t rem = (inner_len + 1) % c->block_len;
	return rem ? c->block_len - rem : 0;
}

size_t ike_sk_overhead(const ike_sk_cipher *c, size_t inner_len)
{
	if (!c)
		return 0;
	return c->iv_len + ike_sk_pad_len(c, inner_len) + 1 + c->icv_len;
}

/* Checks that the layout's ranges are contiguous and inside msg_len. */
static bool layout_ok(const ike_sk_cipher *c, size_t msg_len, const ike_sk_layout *l)
{
	if (l->aad_off > msg_len || l->aad_len > msg_len - l->aad_off)
		return false;
	if (l->iv_off != l->aad_off + l->aad_len || c->iv_len > msg_len - l->iv_off)
		return false;
	if (l->data_off != l->iv_off + c->iv_len || l->data_len > msg_len - l->data_off)
		return false;
	if (l->icv_off != l->data_off + l->data_len || c->icv_len > msg_len - l->icv_off)
		return false;
	if (l->data_len > INT_MAX || l->aad_len > INT_MAX)
		return false;
	if (!c->aead && (l->data_len == 0 || l->data_len % CBC_BLOCK != 0))
		return false;
	return true;
}

/* AEAD in place; on decrypt the tag at icv_off is checked. */
static int aead_crypt(ike_sk_cipher *c, uint8_t *msg, const ike_sk_layout *l, bool enc)
{
	uint8_t nonce[SALT_LEN + AEAD_IV_LEN];
	int outl = 0;
	int rc = IKE_ERR_CRYPTO;
	uint8_t *data = msg + l->data_off;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx)
		return IKE_ERR_NOMEM;

	/* RFC 5282 4 / RFC 7634 2: nonce = salt (from the key material) | IV. */
	memcpy(nonce, c->salt, SALT_LEN);
	memcpy(nonce + SALT_LEN, msg + l->iv_off, AEAD_IV_LEN);
	if (EVP_CipherInit_ex2(ctx, c->cipher, NULL, NULL, enc ? 1 : 0, NULL) != 1)
		goto out;
	size_t ivlen = sizeof nonce;
	OSSL_PARAM ivp[2] = {OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &ivlen),
	                     OSSL_PARAM_construct_end()};
	if (EVP_CIPHER_CTX_set_params(ctx, ivp) != 1 ||
	    EVP_CipherInit_ex2(ctx, NULL, c->key, nonce, enc ? 1 : 0, NULL) != 1)
		goto out;
	if (!enc) {
		OSSL_PARAM tp[2] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
		                                                      msg + l->icv_off, c->icv_len),
		                    OSSL_PARAM_construct_end()};
		if (EVP_CIPHER_CTX_set_params(ctx, tp) != 1)
			goto out;
	}
	if (l->aad_len && EVP_CipherUpdate(ctx, NULL, &outl, msg + l->aad_off, (int)l->aad_len) != 1)
		goto out;
	if (l->data_len && EVP_CipherUpdate(ctx, data, &outl, data, (int)l->data_len) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, data + l->data_len, &outl) != 1) {
		if (!enc) {
			/* Never leave unauthenticated plaintext behind. */
			OPENSSL_cleanse(data, l->data_len);
			rc = IKE_ERR_INTEGRITY;
		}
		goto out;
	}
	if (enc) {
		OSSL_PARAM tp[2] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
		                                                      msg + l->icv_off, c->icv_len),
		                    OSSL_PARAM_construct_end()};
		if (EVP_CIPHER_CTX_get_params(ctx, tp) != 1)
			goto out;
	}
	rc = IKE_OK;
out:
	if (rc == IKE_ERR_CRYPTO && !enc)
		OPENSSL_cleanse(data, l->data_len);
	OPENSSL_cleanse(nonce, sizeof nonce);
	EVP_CIPHER_CTX_free(ctx); /* wipes the key schedule */
	return rc;
}

/* HMAC over [aad_off, icv_off), truncated to icv_len, into icv. */
static int cbc_icv(const ike_sk_cipher *c, const uint8_t *msg, const ike_sk_layout *l, uint8_t *icv)
{
	uint8_t full[IKE_PRF_MAX_LEN];
	ike_slice covered = IKE_SLICE(msg + l->aad_off, l->icv_off - l->aad_off);
	int rc = crypto_hmac(c->integ_md, IKE_SLICE(c->integ_key, c->integ_key_len), &covered, 1, full,
	                     sizeof full, NULL);
	if (rc == IKE_OK)
		memcpy(icv, full, c->icv_len);
	OPENSSL_cleanse(full, sizeof full);
	return rc;
}

static int cbc_crypt(ike_sk_cipher *c, uint8_t *data, size_t len, const uint8_t *iv, bool enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int outl = 0, rc = IKE_OK;

	if (!ctx)
		return IKE_ERR_NOMEM;
	if (EVP_CipherInit_ex2(ctx, c->cipher, c->key, iv, enc ? 1 : 0, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 || EVP_CipherUpdate(ctx, data, &outl, data, (int)len) != 1 ||
	    (size_t)outl != len || EVP_CipherFinal_ex(ctx, data + len, &outl) != 1 || outl != 0)
		rc = IKE_ERR_CRYPTO;
	EVP_CIPHER_CTX_free(ctx); /* wipes the key schedule */
	return rc;
}

static int sk_encrypt(ike_sk_cipher *c, uint8_t *msg, size_t msg_len, const ike_sk_layout *l,
                      const uint8_t *iv)
{
	if (!c || !msg || !l)
		return IKE_ERR_INVAL;
	if (!layout_ok(c, msg_len, l))
		return IKE_ERR_INVAL;
	if (iv) {
		memmove(msg + l->iv_off, iv, c->iv_len);
	} else {
		int rc = ike_rand(msg + l->iv_off, c->iv_len);
		if (rc != IKE_OK)
			return rc;
	}
	if (c->aead)
		return aead_crypt(c, msg, l, true);
	int rc = cbc_crypt(c, msg + l->data_off, l->data_len, msg + l->iv_off, true);
	if (rc == IKE_OK)
		rc = cbc_icv(c, msg, l, msg + l->icv_off);
	return rc;
}

int ike_sk_encrypt(ike_sk_cipher *c, uint8_t *msg, size_t msg_len, const ike_sk_layout *l)
{
	return sk_encrypt(c, msg, msg_len, l, NULL);
}

int ike_sk_encrypt_with_iv(ike_sk_cipher *c, uint8_t *msg, size_t msg_len, const ike_sk_layout *l,
                           const uint8_t *iv)
{
	if (!iv)
		return IKE_ERR_INVAL;
	return sk_encrypt(c, msg, msg_len, l, iv);
}

int ike_sk_decrypt(ike_sk_cipher *c, uint8_t *msg, size_t msg_len, const ike_sk_layout *l)
{
	if (!c || !msg || !l)
		return IKE_ERR_INVAL;
	if (!layout_ok(c, msg_len, l))
		return IKE_ERR_INVAL;
	if (c->aead)
		return aead_crypt(c, msg, l, false);
	/* Encrypt-then-MAC: authenticate before touching the ciphertext. */
	uint8_t icv[IKE_PRF_MAX_LEN];
	int rc = cbc_icv(c, msg, l, icv);
	if (rc == IKE_OK && CRYPTO_memcmp(icv, msg + l->icv_off, c->icv_len) != 0)
		rc = IKE_ERR_INTEGRITY;
	OPENSSL_cleanse(icv, sizeof icv);
	if (rc != IKE_OK)
		return rc;
	return cbc_crypt(c, msg + l->data_off, l->data_len, msg + l->iv_off, false);
}

int ike_sk_strip_padding(const uint8_t *data, size_t data_len, size_t *inner_len)
{
	if (!inner_len || (data_len && !data))
		return IKE_ERR_INVAL;
	*inner_len = 0;
	if (data_len == 0)
		return IKE_ERR_MALFORMED;
	size_t pad = data[data_len - 1];
	if (pad + 1 > data_len)
		return IKE_ERR_MALFORMED;
	*inner_len = data_len - pad - 1;
	return IKE_OK;
}

int ike_sa_sk_ciphers(const ike_sa_keys *keys, const ike_crypto_suite *suite, bool initiator,
                      const ike_mem *mem, ike_sk_cipher **tx, ike_sk_cipher **rx)
{
	if (!tx || !rx)
		return IKE_ERR_INVAL;
	*tx = *rx = NULL;
	if (!keys || !suite)
		return IKE_ERR_INVAL;
	if (keys->e_len != ike_encr_keymat_len(suite->encr, suite->encr_bits) ||
	    keys->a_len != (suite->integ ? ike_integ_key_len(suite->integ) : 0) || keys->e_len > IKE_SK_MAX ||
	    keys->a_len > IKE_SK_MAX)
		return IKE_ERR_INVAL;
	const uint8_t *ek_tx = initiator ? keys->sk_ei : keys->sk_er,
	              *ek_rx = initiator ? keys->sk_er : keys->sk_ei;
	const uint8_t *ak_tx = initiator ? keys->sk_ai : keys->sk_ar,
	              *ak_rx = initiator ? keys->sk_ar : keys->sk_ai;
	int rc = ike_sk_cipher_new(tx, mem, suite->encr, suite->encr_bits, suite->integ,
	                           IKE_SLICE(ek_tx, keys->e_len), IKE_SLICE(ak_tx, keys->a_len));
	if (rc == IKE_OK)
		rc = ike_sk_cipher_new(rx, mem, suite->encr, suite->encr_bits, suite->integ,
		                       IKE_SLICE(ek_rx, keys->e_len), IKE_SLICE(ak_rx, keys->a_len));
	if (rc != IKE_OK) {
		ike_sk_cipher_free(*tx);
		*tx = NULL;
	}
	return rc;
}
