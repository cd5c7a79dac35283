/* SPDX-License-Identifier: MIT */
/*
 * STUN message codec (RFC 8489 5, 14), the TURN attributes (RFC 8656 18) and
 * ChannelData framing (RFC 8656 12).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |0 0|     STUN Message Type     |         Message Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Magic Cookie                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Transaction ID (96 bits)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Type                  |            Length             |  attributes,
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  each padded
 * |                         Value (variable)                ....     to 4 bytes
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "ike/buf.h"
#include "turn/stun.h"

#define ERROR_REASON_MAX 763 /* RFC 8489 14.8: fewer than 128 characters, 763 bytes */

const char *stun_method_name(uint16_t method)
{
	switch (method) {
#define STUN_METHOD_X(n, v, s)                                                                               \
	case v:                                                                                              \
		return s;
		STUN_METHODS(STUN_METHOD_X)
#undef STUN_METHOD_X
	}
	return "(unknown)";
}

const char *stun_class_name(uint8_t cls)
{
	static const char *const names[] = {"request", "indication", "success response", "error response"};
	return cls < 4 ? names[cls] : "(unknown)";
}

const char *stun_attr_name(uint16_t type)
{
	switch (type) {
#define STUN_ATTR_X(n, v, s)                                                                                 \
	case v:                                                                                              \
		return s;
		STUN_ATTRS(STUN_ATTR_X)
#undef STUN_ATTR_X
	}
	return NULL;
}

const char *stun_error_text(int code)
{
	switch (code) {
	case 300:
		return "Try Alternate (the server redirects to another one)";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized (wrong username or password, or missing credentials)";
	case 403:
		return "Forbidden (the credentials are valid but not allowed this request)";
	case 420:
		return "Unknown Attribute";
	case 437:
		return "Allocation Mismatch (no allocation, or one already exists, for this address)";
	case 438:
		return "Stale Nonce";
	case 440:
		return "Address Family not Supported";
	case 441:
		return "Wrong Credentials (not the credentials of this allocation)";
	case 442:
		return "Unsupported Transport Protocol";
	case 443:
		return "Peer Address Family Mismatch";
	case 486:
		return "Allocation Quota Reached (too many allocations for this user)";
	case 500:
		return "Server Error";
	case 508:
		return "Insufficient Capacity (the server has no relay address left)";
	}
	return "error";
}

uint16_t stun_msg_type(uint16_t method, uint8_t cls)
{
	/* M11..M7 C1 M6..M4 C0 M3..M0 (RFC 8489 5) */
	return (uint16_t)((method & 0x000F) | (method & 0x0070) << 1 | (method & 0x0F80) << 2 |
	                  (cls & 1) << 4 | (cls & 2) << 7);
}

void stun_msg_type_split(uint16_t type, uint16_t *method, uint8_t *cls)
{
	*method = (uint16_t)((type & 0x000F) | (type & 0x00E0) >> 1 | (type & 0x3E00) >> 2);
	*cls = (uint8_t)((type >> 4 & 1) | (type >> 7 & 2));
}

static bool known_attr(uint16_t type)
{
	return stun_attr_name(type) != NULL;
}

uint32_t stun_crc32(const uint8_t *data, size_t len)
{
	uint32_t crc = 0xFFFFFFFFu;

	for (size_t i = 0; i < len; i++) {
		crc ^= data[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* The CRC-32 of the message's first n bytes with the header length field replaced
 * by hdr_len (the length as it was when the attribute was added). */
static uint32_t crc_with_len(const uint8_t *msg, size_t n, uint16_t hdr_len)
{
	uint8_t hdr[4] = {msg[0], msg[1], (uint8_t)(hdr_len >> 8), (uint8_t)hdr_len};
	uint32_t crc = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		crc ^= i < 4 ? hdr[i] : msg[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* HMAC-SHA1 of the message's first n bytes with the header length set to hdr_len. */
static int hmac_sha1(const uint8_t *msg, size_t n, uint16_t hdr_len, const uint8_t *key, size_t key_len,
                     uint8_t out[STUN_MI_LEN])
{
	static const uint8_t empty[1];
	uint8_t hdr[4] = {msg[0], msg[1], (uint8_t)(hdr_len >> 8), (uint8_t)hdr_len};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	size_t got = 0;
	int rc = IKE_ERR_CRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_MAC_init(ctx, key_len ? key : empty, key_len, params) != 1)
		goto out;
	if (EVP_MAC_update(ctx, hdr, 4) != 1 || EVP_MAC_update(ctx, msg + 4, n - 4) != 1)
		goto out;
	if (EVP_MAC_final(ctx, out, &got, STUN_MI_LEN) != 1 || got != STUN_MI_LEN)
		goto out;
	rc = IKE_OK;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

stun_kind stun_classify(const uint8_t *pkt, size_t len)
{
	if (!pkt || len < 4)
		return STUN_KIND_OTHER;
	if (pkt[0] < 0x40) {
		uint16_t mlen = ike_get_u16(pkt + 2);
		if (len >= STUN_HDR_LEN && (mlen & 3) == 0 && (size_t)mlen + STUN_HDR_LEN == len &&
		    ike_get_u32(pkt + 4) == STUN_COOKIE)
			return STUN_KIND_STUN;
		return STUN_KIND_OTHER;
	}
	if (pkt[0] <= 0x4F) {
		uint16_t dlen = ike_get_u16(pkt + 2);
		if ((size_t)dlen + STUN_CHANNEL_HDR_LEN <= len && len - STUN_CHANNEL_HDR_LEN - dlen <= 3)
			return STUN_KIND_CHANNEL_DATA;
	}
	return STUN_KIND_OTHER;
}

int stun_decode(const uint8_t *pkt, size_t len, stun_msg *out)
{
	ike_rd r = ike_rd_init(pkt, len);
	uint16_t type, mlen;
	uint32_t cookie;
	bool after_mi = false;

	if (!pkt || !out)
		return IKE_ERR_INVAL;
	memset(out, 0, sizeof *out);
	out->mi_off = SIZE_MAX;
	ike_rd_u16(&r, &type);
	ike_rd_u16(&r, &mlen);
	ike_rd_u32(&r, &cookie);
	ike_rd_copy(&r, out->tid, STUN_TID_LEN);
	if (r.bad)
		return IKE_ERR_TRUNCATED;
	if (type & 0xC000 || cookie != STUN_COOKIE || mlen & 3)
		return IKE_ERR_MALFORMED;
	if (mlen > r.left)
		return IKE_ERR_TRUNCATED;
	if (mlen < r.left)
		return IKE_ERR_MALFORMED; /* trailing bytes: not one STUN message */
	stun_msg_type_split(type, &out->method, &out->cls);
	out->raw = (ike_slice){pkt, len};

	while (r.left > 0) {
		size_t off = len - r.left;
		uint16_t at, alen;
		size_t padded;
		ike_slice val;

		ike_rd_u16(&r, &at);
		ike_rd_u16(&r, &alen);
		if (r.bad)
			return IKE_ERR_TRUNCATED;
		padded = ((size_t)alen + 3) & ~(size_t)3;
		if (padded > r.left)
			return IKE_ERR_TRUNCATED; /* value or its padding runs past the message */
		ike_rd_bytes(&r, alen, &val);
		r.p += padded - alen;
		r.left -= padded - alen;

		if (out->has_fingerprint)
			return IKE_ERR_MALFORMED; /* FINGERPRINT must be last */
		if (after_mi && at != STUN_A_FINGERPRINT)
			continue; /* RFC 8489 14.5: ignored after MESSAGE-INTEGRITY */
		if (at == STUN_A_MESSAGE_INTEGRITY) {
			if (alen != STUN_MI_LEN)
				return IKE_ERR_MALFORMED;
			out->mi_off = off;
			after_mi = true;
		} else if (at == STUN_A_FINGERPRINT) {
			if (alen != 4)
				return IKE_ERR_MALFORMED;
			if (stun_crc32(pkt, off) ^ STUN_FP_XOR ^ ike_get_u32(val.ptr))
				return IKE_ERR_INTEGRITY;
			out->has_fingerprint = true;
		} else if (at < 0x8000 && !known_attr(at)) {
			if (out->n_unknown < STUN_MAX_UNKNOWN)
				out->unknown[out->n_unknown++] = at;
		}
		if (out->n_attrs == STUN_MAX_ATTRS)
			return IKE_ERR_LIMIT;
		out->attrs[out->n_attrs++] = (stun_attr){at, val, off};
	}
	return IKE_OK;
}

const stun_attr *stun_msg_find(const stun_msg *m, uint16_t type)
{
	for (size_t i = 0; i < m->n_attrs; i++)
		if (m->attrs[i].type == type)
			return &m->attrs[i];
	return NULL;
}

/* Family, port and address of a (possibly XORed) address value; xor = NULL for plain. */
static int addr_value(const stun_attr *a, const uint8_t * xor, ike_addr *out)
{
	ike_rd r;
	uint8_t zero, fam;
	uint16_t port;
	size_t alen;

	if (!a)
		return IKE_ERR_NOT_FOUND;
	r = ike_rd_init(a->value.ptr, a->value.len);
	ike_rd_u8(&r, &zero);
	ike_rd_u8(&r, &fam);
	ike_rd_u16(&r, &port);
	if (r.bad)
		return IKE_ERR_MALFORMED;
	if (fam == 1)
		alen = 4;
	else if (fam == 2)
		alen = 16;
	else
		return IKE_ERR_MALFORMED;
	if (r.left != alen)
		return IKE_ERR_MALFORMED;
	memset(out, 0, sizeof *out);
	out->family = fam == 1 ? IKE_AF_INET : IKE_AF_INET6;
	memcpy(out->ip, r.p, alen);
	out->port = port;
	if (xor) {
		out->port ^= (uint16_t)(STUN_COOKIE >> 16);
		for (size_t i = 0; i < alen; i++)
			out->ip[i] ^= xor[i];
	}
	return IKE_OK;
}

/* The XOR mask: the magic cookie then the transaction ID (RFC 8489 14.2). */
static void xor_mask(const uint8_t tid[STUN_TID_LEN], uint8_t mask[16])
{
	ike_put_u32(mask, STUN_COOKIE);
	memcpy(mask + 4, tid, STUN_TID_LEN);
}

int stun_attr_xor_addr(const stun_msg *m, const stun_attr *a, ike_addr *out)
{
	uint8_t mask[16];

	xor_mask(m->tid, mask);
	return addr_value(a, mask, out);
}

int stun_attr_addr(const stun_attr *a, ike_addr *out)
{
	return addr_value(a, NULL, out);
}

int stun_attr_u32(const stun_attr *a, uint32_t *out)
{
	if (!a)
		return IKE_ERR_NOT_FOUND;
	if (a->value.len != 4)
		return IKE_ERR_MALFORMED;
	*out = ike_get_u32(a->value.ptr);
	return IKE_OK;
}

int stun_attr_channel(const stun_attr *a, uint16_t *out)
{
	if (!a)
		return IKE_ERR_NOT_FOUND;
	if (a->value.len != 4)
		return IKE_ERR_MALFORMED;
	*out = ike_get_u16(a->value.ptr);
	if (*out < STUN_CHANNEL_MIN || *out > STUN_CHANNEL_MAX)
		return IKE_ERR_MALFORMED;
	return IKE_OK;
}

int stun_attr_error_code(const stun_attr *a, int *code, ike_slice *reason)
{
	const uint8_t *v;
	unsigned cls, num;

	if (!a)
		return IKE_ERR_NOT_FOUND;
	if (a->value.len < 4 || a->value.len - 4 > ERROR_REASON_MAX)
		return IKE_ERR_MALFORMED;
	v = a->value.ptr;
	cls = v[2] & 7u;
	num = v[3];
	if (cls < 3 || cls > 6 || num > 99)
		return IKE_ERR_MALFORMED;
	*code = (int)(cls * 100 + num);
	*reason = (ike_slice){v + 4, a->value.len - 4};
	return IKE_OK;
}

int stun_check_integrity(const stun_msg *m, const uint8_t *key, size_t key_len)
{
	uint8_t mac[STUN_MI_LEN];
	size_t end;
	int rc;

	if (m->mi_off == SIZE_MAX)
		return IKE_ERR_NOT_FOUND;
	/* The length field counts the message up to and including MESSAGE-INTEGRITY. */
	end = m->mi_off + 4 + STUN_MI_LEN;
	rc = hmac_sha1(m->raw.ptr, m->mi_off, (uint16_t)(end - STUN_HDR_LEN), key, key_len, mac);
	if (rc != IKE_OK)
		return rc;
	rc = CRYPTO_memcmp(mac, m->raw.ptr + m->mi_off + 4, STUN_MI_LEN) ? IKE_ERR_INTEGRITY : IKE_OK;
	OPENSSL_cleanse(mac, sizeof mac);
	return rc;
}

int stun_long_term_key(const char *username, ike_slice realm, const char *password, uint8_t out[STUN_KEY_LEN])
{
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	int rc = IKE_ERR_CRYPTO;

	if (!username || !password || (!realm.ptr && realm.len) || strlen(username) > ERROR_REASON_MAX ||
	    realm.len > ERROR_REASON_MAX)
		return IKE_ERR_INVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
		goto out;
	if (EVP_DigestUpdate(ctx, username, strlen(username)) != 1 || EVP_DigestUpdate(ctx, ":", 1) != 1 ||
	    (realm.len && EVP_DigestUpdate(ctx, realm.ptr, realm.len) != 1) ||
	    EVP_DigestUpdate(ctx, ":", 1) != 1 || EVP_DigestUpdate(ctx, password, strlen(password)) != 1)
		goto out;
	if (EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != STUN_KEY_LEN)
		goto out;
	rc = IKE_OK;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* ---- encoding ---- */

static int enc_fail(stun_enc *e, int err)
{
	if (e->err == IKE_OK)
		e->err = err;
	return e->err;
}

static void enc_set_len(stun_enc *e)
{
	ike_put_u16(e->buf + 2, (uint16_t)(e->len - STUN_HDR_LEN));
}

int stun_enc_init(stun_enc *e, uint8_t *buf, size_t cap, uint16_t method, uint8_t cls,
                  const uint8_t tid[STUN_TID_LEN])
{
	memset(e, 0, sizeof *e);
	e->buf = buf;
	e->cap = cap;
	if (method > 0x0FFF || cls > 3 || !tid)
		return enc_fail(e, IKE_ERR_INVAL);
	if (!buf || cap < STUN_HDR_LEN)
		return enc_fail(e, IKE_ERR_NOBUF);
	memcpy(e->tid, tid, STUN_TID_LEN);
	ike_put_u16(buf, stun_msg_type(method, cls));
	ike_put_u16(buf + 2, 0);
	ike_put_u32(buf + 4, STUN_COOKIE);
	memcpy(buf + 8, tid, STUN_TID_LEN);
	e->len = STUN_HDR_LEN;
	return IKE_OK;
}

/* Reserves the header and padded value of an attribute of alen bytes; returns a
 * pointer to the value or NULL (error recorded). */
static uint8_t *enc_reserve(stun_enc *e, uint16_t type, size_t alen)
{
	size_t padded = (alen + 3) & ~(size_t)3;
	uint8_t *p;

	if (e->err)
		return NULL;
	if (alen > 0xFFFF || e->len - STUN_HDR_LEN + 4 + padded > 0xFFFF) {
		enc_fail(e, IKE_ERR_INVAL);
		return NULL;
	}
	if (4 + padded > e->cap - e->len) {
		enc_fail(e, IKE_ERR_NOBUF);
		return NULL;
	}
	p = e->buf + e->len;
	ike_put_u16(p, type);
	ike_put_u16(p + 2, (uint16_t)alen);
	memset(p + 4 + alen, e->pad, padded - alen);
	e->len += 4 + padded;
	enc_set_len(e);
	return p + 4;
}

int stun_enc_attr(stun_enc *e, uint16_t type, const void *value, size_t len)
{
	uint8_t *p;

	if (!value && len)
		return enc_fail(e, IKE_ERR_INVAL);
	p = enc_reserve(e, type, len);
	if (!p)
		return e->err;
	if (len)
		memcpy(p, value, len);
	return IKE_OK;
}

int stun_enc_u32(stun_enc *e, uint16_t type, uint32_t v)
{
	uint8_t b[4];

	ike_put_u32(b, v);
	return stun_enc_attr(e, type, b, 4);
}

int stun_enc_xor_addr(stun_enc *e, uint16_t type, const ike_addr *a)
{
	uint8_t v[20], mask[16];
	size_t alen;

	if (!a || (a->family != IKE_AF_INET && a->family != IKE_AF_INET6))
		return enc_fail(e, IKE_ERR_INVAL);
	alen = a->family == IKE_AF_INET ? 4 : 16;
	xor_mask(e->tid, mask);
	v[0] = 0;
	v[1] = a->family == IKE_AF_INET ? 1 : 2;
	ike_put_u16(v + 2, (uint16_t)(a->port ^ (STUN_COOKIE >> 16)));
	for (size_t i = 0; i < alen; i++)
		v[4 + i] = a->ip[i] ^ mask[i];
	return stun_enc_attr(e, type, v, 4 + alen);
}

int stun_enc_error_code(stun_enc *e, int code, const char *reason)
{
	size_t rlen = reason ? strlen(reason) : 0;
	uint8_t *p;

	if (code < 300 || code > 699 || rlen > ERROR_REASON_MAX)
		return enc_fail(e, IKE_ERR_INVAL);
	p = enc_reserve(e, STUN_A_ERROR_CODE, 4 + rlen);
	if (!p)
		return e->err;
	p[0] = 0;
	p[1] = 0;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	if (rlen)
		memcpy(p + 4, reason, rlen);
	return IKE_OK;
}

int stun_enc_channel(stun_enc *e, uint16_t channel)
{
	uint8_t v[4] = {(uint8_t)(channel >> 8), (uint8_t)channel, 0, 0};

	if (channel < STUN_CHANNEL_MIN || channel > STUN_CHANNEL_MAX)
		return enc_fail(e, IKE_ERR_INVAL);
	return stun_enc_attr(e, STUN_A_CHANNEL_NUMBER, v, 4);
}

int stun_enc_integrity(stun_enc *e, const uint8_t *key, size_t key_len)
{
	size_t start = e->len;
	uint8_t *p;
	int rc;

	if (!key && key_len)
		return enc_fail(e, IKE_ERR_INVAL);
	p = enc_reserve(e, STUN_A_MESSAGE_INTEGRITY, STUN_MI_LEN);
	if (!p)
		return e->err;
	rc = hmac_sha1(e->buf, start, (uint16_t)(e->len - STUN_HDR_LEN), key, key_len, p);
	if (rc != IKE_OK)
		return enc_fail(e, rc);
	return IKE_OK;
}

int stun_enc_fingerprint(stun_enc *e)
{
	size_t start = e->len;
	uint8_t *p = enc_reserve(e, STUN_A_FINGERPRINT, 4);

	if (!p)
		return e->err;
	ike_put_u32(p, crc_with_len(e->buf, start, (uint16_t)(e->len - STUN_HDR_LEN)) ^ STUN_FP_XOR);
	return IKE_OK;
}

/* ---- ChannelData ---- */

int stun_channel_data_encode(uint8_t *buf, size_t cap, uint16_t channel, const uint8_t *data, size_t len,
                             size_t *out_len)
{
	if (channel < STUN_CHANNEL_MIN || channel > STUN_CHANNEL_MAX || len > 0xFFFF || (!data && len))
		return IKE_ERR_INVAL;
	if (!buf || cap < STUN_CHANNEL_HDR_LEN || len > cap - STUN_CHANNEL_HDR_LEN)
		return IKE_ERR_NOBUF;
	ike_put_u16(buf, channel);
	ike_put_u16(buf + 2, (uint16_t)len);
	if (len)
		memmove(buf + STUN_CHANNEL_HDR_LEN, data, len);
	*out_len = STUN_CHANNEL_HDR_LEN + len;
	return IKE_OK;
}

int stun_channel_data_decode(const uint8_t *pkt, size_t len, uint16_t *channel, ike_slice *data)
{
	ike_rd r = ike_rd_init(pkt, len);
	uint16_t ch, dlen;

	if (!pkt)
		return IKE_ERR_INVAL;
	ike_rd_u16(&r, &ch);
	ike_rd_u16(&r, &dlen);
	if (r.bad)
		return IKE_ERR_TRUNCATED;
	if (ch < STUN_CHANNEL_MIN || ch > STUN_CHANNEL_MAX)
		return IKE_ERR_MALFORMED;
	if (dlen > r.left)
		return IKE_ERR_TRUNCATED;
	if (r.left - dlen > 3)
		return IKE_ERR_MALFORMED;
	*channel = ch;
	*data = (ike_slice){r.p, dlen};
	return IKE_OK;
}
