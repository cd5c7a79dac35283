/* SPDX-License-Identifier: MIT */
/*
 * crypto_util.c - randomness, wiping, constant-time compare, hashes, HMAC, hex.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto_int.h"

int ike_rand(void *buf, size_t len)
{
	if (!buf && len)
		return IKE_ERR_INVAL;
	/* RAND_bytes takes an int: feed large requests in chunks. */
	uint8_t *p = buf;
	while (len > 0) {
		int n = len > (1u << 30) ? (1 << 30) : (int)len;
		if (RAND_bytes(p, n) != 1) {
			OPENSSL_cleanse(buf, (size_t)(p - (uint8_t *)buf));
			memset(p, 0, len);
			return IKE_ERR_CRYPTO;
		}
		p += n;
		len -= (size_t)n;
	}
	return IKE_OK;
}

void ike_crypto_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

bool ike_crypto_eq(const void *a, const void *b, size_t len)
{
	if (len == 0)
		return true;
	return CRYPTO_memcmp(a, b, len) == 0;
}

const char *crypto_hash_md_name(uint16_t hash)
{
	switch (hash) {
	case IKE_HASH_SHA1:
		return "SHA1";
	case IKE_HASH_SHA2_256:
		return "SHA2-256";
	case IKE_HASH_SHA2_384:
		return "SHA2-384";
	case IKE_HASH_SHA2_512:
		return "SHA2-512";
	default:
		return NULL;
	}
}

const char *crypto_prf_md_name(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA1:
		return "SHA1";
	case IKE_PRF_HMAC_SHA2_256:
		return "SHA2-256";
	case IKE_PRF_HMAC_SHA2_384:
		return "SHA2-384";
	case IKE_PRF_HMAC_SHA2_512:
		return "SHA2-512";
	default:
		return NULL;
	}
}

const char *crypto_integ_md_name(uint16_t integ, size_t *icv_len, size_t *key_len)
{
	const char *md;
	size_t icv, key;

	switch (integ) {
	case IKE_AUTH_HMAC_SHA1_96:
		md = "SHA1", icv = 12, key = 20;
		break;
	case IKE_AUTH_HMAC_SHA2_256_128:
		md = "SHA2-256", icv = 16, key = 32;
		break;
	case IKE_AUTH_HMAC_SHA2_384_192:
		md = "SHA2-384", icv = 24, key = 48;
		break;
	case IKE_AUTH_HMAC_SHA2_512_256:
		md = "SHA2-512", icv = 32, key = 64;
		break;
	default:
		return NULL;
	}
	if (icv_len)
		*icv_len = icv;
	if (key_len)
		*key_len = key;
	return md;
}

size_t ike_hash_len(uint16_t hash)
{
	switch (hash) {
	case IKE_HASH_SHA1:
		return 20;
	case IKE_HASH_SHA2_256:
		return 32;
	case IKE_HASH_SHA2_384:
		return 48;
	case IKE_HASH_SHA2_512:
		return 64;
	default:
		return 0;
	}
}

int ike_hash(uint16_t hash, const ike_slice *parts, size_t n, uint8_t *out, size_t cap, size_t *len)
{
	const char *name = crypto_hash_md_name(hash);
	size_t hlen = ike_hash_len(hash);
	int rc = IKE_ERR_CRYPTO;

	if (!name)
		return IKE_ERR_UNSUPPORTED;
	if (!out || (n && !parts))
		return IKE_ERR_INVAL;
	if (cap < hlen)
		return IKE_ERR_NOBUF;
	EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!md || !ctx) {
		rc = IKE_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (parts[i].len && (!parts[i].ptr || EVP_DigestUpdate(ctx, parts[i].ptr, parts[i].len) != 1))
			goto out;
	}
	unsigned int olen = 0;
	if (EVP_DigestFinal_ex(ctx, out, &olen) != 1 || olen != hlen)
		goto out;
	if (len)
		*len = hlen;
	rc = IKE_OK;
out:
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return rc;
}

int crypto_hmac(const char *md_name, ike_slice key, const ike_slice *parts, size_t n, uint8_t *out,
                size_t cap, size_t *len)
{
	int rc = IKE_ERR_CRYPTO;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	/* HMAC accepts an empty key; OpenSSL wants a non-NULL pointer for it. */
	static const uint8_t empty[1];

	if (!mac || !ctx) {
		rc = IKE_ERR_NOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md_name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key.len ? key.ptr : empty, key.len, params) != 1)
		goto out;
	if (EVP_MAC_CTX_get_mac_size(ctx) > cap) {
		rc = IKE_ERR_NOBUF;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (parts[i].len && (!parts[i].ptr || EVP_MAC_update(ctx, parts[i].ptr, parts[i].len) != 1))
			goto out;
	}
	size_t olen = 0;
	if (EVP_MAC_final(ctx, out, &olen, cap) != 1)
		goto out;
	if (len)
		*len = olen;
	rc = IKE_OK;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

/* ---- hex, without ctype.h or locale ---- */

void ike_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	if (!out)
		return;
	for (size_t i = 0; in && i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[in ? 2 * len : 0] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ike_hex_decode(const char *text, size_t text_len, uint8_t *out, size_t cap, size_t *len)
{
	if (!text || !len || (cap && !out))
		return IKE_ERR_INVAL;
	*len = 0;
	if (text_len == 0)
		return IKE_ERR_MALFORMED;
	/* With separators the text is "xx:xx:...:xx": 3 * n - 1 characters. */
	bool colons = text_len > 2 && text[2] == ':';
	size_t n;
	if (colons) {
		if ((text_len + 1) % 3 != 0)
			return IKE_ERR_MALFORMED;
		n = (text_len + 1) / 3;
	} else {
		if (text_len % 2 != 0)
			return IKE_ERR_MALFORMED;
		n = text_len / 2;
	}
	size_t step = colons ? 3 : 2;
	for (size_t i = 0; i < n; i++) {
		const char *p = text + i * step;
		if (colons && i + 1 < n && p[2] != ':')
			return IKE_ERR_MALFORMED;
		int hi = hex_value(p[0]), lo = hex_value(p[1]);
		if (hi < 0 || lo < 0)
			return IKE_ERR_MALFORMED;
		if (i >= cap)
			return IKE_ERR_NOBUF;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n;
	return IKE_OK;
}

int ike_keyid_parse(const char *text, uint8_t out[IKE_KEYID_LEN])
{
	uint8_t tmp[IKE_KEYID_LEN];
	size_t n = 0;

	if (!text || !out)
		return IKE_ERR_INVAL;
	size_t tl = strnlen(text, 3 * IKE_KEYID_LEN + 1);
	if (tl > 3 * IKE_KEYID_LEN)
		return IKE_ERR_MALFORMED;
	int rc = ike_hex_decode(text, tl, tmp, sizeof tmp, &n);
	if (rc == IKE_ERR_NOBUF || (rc == IKE_OK && n != IKE_KEYID_LEN))
		return IKE_ERR_MALFORMED;
	if (rc != IKE_OK)
		return rc;
	memcpy(out, tmp, IKE_KEYID_LEN);
	return IKE_OK;
}

const char *ike_keyid_format(const uint8_t keyid[IKE_KEYID_LEN], char out[IKE_KEYID_HEX_LEN + 1])
{
	ike_hex_encode(keyid, IKE_KEYID_LEN, out);
	return out;
}

int ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const ike_addr *addr, uint8_t out[IKE_NATD_LEN])
{
	uint8_t spis[16], port[2];

	if (!addr || !out || (addr->family != IKE_AF_INET && addr->family != IKE_AF_INET6))
		return IKE_ERR_INVAL;
	for (int i = 0; i < 8; i++) {
		spis[i] = (uint8_t)(spi_i >> (56 - 8 * i));
		spis[8 + i] = (uint8_t)(spi_r >> (56 - 8 * i));
	}
	port[0] = (uint8_t)(addr->port >> 8);
	port[1] = (uint8_t)addr->port;
	ike_slice parts[3] = {IKE_SLICE(spis, 16),
	                      IKE_SLICE(addr->ip, addr->family == IKE_AF_INET ? 4u : 16u),
	                      IKE_SLICE(port, 2)};
	return ike_hash(IKE_HASH_SHA1, parts, 3, out, IKE_NATD_LEN, NULL);
}

int ike_me_connectauth(uint32_t message_id, ike_slice connect_id, ike_slice endpoint, ike_slice key,
                       uint8_t out[IKE_ME_CONNECTAUTH_LEN])
{
	uint8_t mid[4] = {(uint8_t)(message_id >> 24), (uint8_t)(message_id >> 16),
	                  (uint8_t)(message_id >> 8), (uint8_t)message_id};

	if (!out || (connect_id.len && !connect_id.ptr) || (endpoint.len && !endpoint.ptr) ||
	    (key.len && !key.ptr))
		return IKE_ERR_INVAL;
	ike_slice parts[4] = {IKE_SLICE(mid, 4), connect_id, endpoint, key};
	return ike_hash(IKE_HASH_SHA1, parts, 4, out, IKE_ME_CONNECTAUTH_LEN, NULL);
}
