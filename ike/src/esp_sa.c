/* SPDX-License-Identifier: MIT */
/*
 * ESP SA: RFC 4303 tunnel mode with AES-GCM (RFC 4106), ChaCha20-Poly1305
 * (RFC 7634) and AES-CBC with HMAC-SHA2 (RFC 3602, RFC 4868). Every OpenSSL
 * context is made in ike_esp_sa_new(); per packet only the IV changes.
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <string.h>

#include "esp_int.h"

#define ESP_HDR 8 /* SPI + sequence number */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const EVP_CIPHER *pick_cipher(uint16_t encr, size_t key_len)
{
	switch (encr) {
	case IKE_ENCR_AES_GCM_16:
		return key_len == 16   ? EVP_aes_128_gcm()
		       : key_len == 24 ? EVP_aes_192_gcm()
		       : key_len == 32 ? EVP_aes_256_gcm()
		                       : NULL;
	case IKE_ENCR_AES_CBC:
		return key_len == 16   ? EVP_aes_128_cbc()
		       : key_len == 24 ? EVP_aes_192_cbc()
		       : key_len == 32 ? EVP_aes_256_cbc()
		                       : NULL;
	case IKE_ENCR_CHACHA20_POLY1305:
		return key_len == 32 ? EVP_chacha20_poly1305() : NULL;
	}
	return NULL;
}

/* RFC 4868 2: the HMAC key is as long as the hash output; the ICV is half of it. */
static const char *pick_digest(uint16_t integ, size_t *key_len, uint8_t *icv_len)
{
	switch (integ) {
	case IKE_AUTH_HMAC_SHA2_256_128:
		*key_len = 32;
		*icv_len = 16;
		return "SHA2-256";
	case IKE_AUTH_HMAC_SHA2_384_192:
		*key_len = 48;
		*icv_len = 24;
		return "SHA2-384";
	case IKE_AUTH_HMAC_SHA2_512_256:
		*key_len = 64;
		*icv_len = 32;
		return "SHA2-512";
	}
	return NULL;
}

static int setup_crypto(ike_esp_sa *sa, const ike_esp_cfg *cfg)
{
	size_t key_len = cfg->encr_key.len;
	const EVP_CIPHER *c;
	int enc = sa->dir == IKE_ESP_OUT;

	if (cfg->encr != IKE_ENCR_AES_GCM_16 && cfg->encr != IKE_ENCR_AES_CBC &&
	    cfg->encr != IKE_ENCR_CHACHA20_POLY1305)
		return IKE_ERR_UNSUPPORTED;
	sa->aead = cfg->encr != IKE_ENCR_AES_CBC;
	if (sa->aead) {
		if (cfg->integ != 0 || cfg->integ_key.len != 0 || key_len < 4)
			return IKE_ERR_INVAL;
		key_len -= 4;
		memcpy(sa->salt, cfg->encr_key.ptr + key_len, 4);
		sa->iv_len = 8;
		sa->icv_len = 16;
		sa->align = 4;
	} else {
		size_t mac_key_len = 0;
		const char *md = pick_digest(cfg->integ, &mac_key_len, &sa->icv_len);
		OSSL_PARAM params[2];

		if (cfg->integ == 0)
			return IKE_ERR_INVAL;
		if (!md)
			return IKE_ERR_UNSUPPORTED;
		if (cfg->integ_key.len != mac_key_len || !cfg->integ_key.ptr)
			return IKE_ERR_INVAL;
		sa->iv_len = 16;
		sa->align = 16;
		EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		if (!hmac)
			return IKE_ERR_CRYPTO;
		sa->mac = EVP_MAC_CTX_new(hmac);
		EVP_MAC_free(hmac);
		if (!sa->mac)
			return IKE_ERR_NOMEM;
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (!EVP_MAC_init(sa->mac, cfg->integ_key.ptr, cfg->integ_key.len, params))
			return IKE_ERR_CRYPTO;
	}
	c = pick_cipher(cfg->encr, key_len);
	if (!c || !cfg->encr_key.ptr)
		return IKE_ERR_INVAL;
	sa->cipher = EVP_CIPHER_CTX_new();
	if (!sa->cipher)
		return IKE_ERR_NOMEM;
	if (!EVP_CipherInit_ex(sa->cipher, c, NULL, cfg->encr_key.ptr, NULL, enc))
		return IKE_ERR_CRYPTO;
	/* The ESP trailer is our padding; OpenSSL must neither add nor strip any. */
	if (!sa->aead && !EVP_CIPHER_CTX_set_padding(sa->cipher, 0))
		return IKE_ERR_CRYPTO;
	return IKE_OK;
}

int ike_esp_sa_new(ike_esp_sa **out, const ike_esp_cfg *cfg, ike_esp_dir dir, const ike_mem *mem)
{
	ike_esp_sa *sa;
	uint32_t window;
	int rc;

	if (!out || !cfg || (dir != IKE_ESP_OUT && dir != IKE_ESP_IN))
		return IKE_ERR_INVAL;
	if (cfg->spi < 256)
		return IKE_ERR_INVAL; /* RFC 4303 2.1: 1..255 reserved by IANA, 0 local use */
	window = cfg->replay_window ? cfg->replay_window : IKE_ESP_REPLAY_DEFAULT;
	if (window < IKE_ESP_REPLAY_MIN || window > IKE_ESP_REPLAY_MAX)
		return IKE_ERR_INVAL;
	sa = ike_mem_calloc(mem, 1, sizeof *sa);
	if (!sa)
		return IKE_ERR_NOMEM;
	sa->mem = mem;
	sa->dir = dir;
	sa->spi = cfg->spi;
	sa->encr = cfg->encr;
	sa->integ = cfg->integ;
	sa->esn = cfg->esn;
	sa->seq = 1;
	sa->seq_margin = cfg->seq_margin ? cfg->seq_margin : IKE_ESP_SEQ_MARGIN_DEFAULT;
	sa->soft_bytes = cfg->soft_bytes;
	sa->hard_bytes = cfg->hard_bytes;
	sa->soft_packets = cfg->soft_packets;
	sa->hard_packets = cfg->hard_packets;
	sa->rand = cfg->rand;
	sa->rand_user = cfg->rand_user;
	rc = setup_crypto(sa, cfg);
	if (rc != IKE_OK)
		goto fail;
	if (dir == IKE_ESP_IN) {
		uint64_t *bits = ike_mem_calloc(mem, esp_replay_words(window), sizeof *bits);

		if (!bits) {
			rc = IKE_ERR_NOMEM;
			goto fail;
		}
		esp_replay_init(&sa->replay, window, bits);
		sa->seq = 0;
	}
	*out = sa;
	return IKE_OK;
fail:
	ike_esp_sa_free(sa);
	return rc;
}

void ike_esp_sa_free(ike_esp_sa *sa)
{
	if (!sa)
		return;
	EVP_CIPHER_CTX_free(sa->cipher); /* cleanses the key schedule */
	EVP_MAC_CTX_free(sa->mac);
	ike_mem_free(sa->mem, sa->replay.bits);
	ike_mem_freezero(sa->mem, sa, sizeof *sa);
}

uint32_t ike_esp_sa_spi(const ike_esp_sa *sa)
{
	return sa->spi;
}

ike_esp_dir ike_esp_sa_dir(const ike_esp_sa *sa)
{
	return sa->dir;
}

const ike_esp_stats *ike_esp_sa_stats(const ike_esp_sa *sa)
{
	return &sa->st;
}

uint64_t ike_esp_sa_seq(const ike_esp_sa *sa)
{
	return sa->dir == IKE_ESP_OUT ? sa->seq : sa->replay.top;
}

uint32_t ike_esp_sa_replay_window(const ike_esp_sa *sa)
{
	return sa->dir == IKE_ESP_IN ? sa->replay.size : 0;
}

static bool hard_reached(const ike_esp_sa *sa)
{
	return (sa->hard_bytes && sa->st.bytes >= sa->hard_bytes) ||
	       (sa->hard_packets && sa->st.packets >= sa->hard_packets);
}

unsigned ike_esp_sa_status(const ike_esp_sa *sa)
{
	unsigned st = 0;
	uint64_t last = sa->esn ? UINT64_MAX : UINT32_MAX;

	if ((sa->soft_bytes && sa->st.bytes >= sa->soft_bytes) ||
	    (sa->soft_packets && sa->st.packets >= sa->soft_packets))
		st |= IKE_ESP_ST_SOFT;
	if (hard_reached(sa))
		st |= IKE_ESP_ST_HARD | IKE_ESP_ST_SOFT;
	if (sa->dir == IKE_ESP_OUT) {
		if (sa->exhausted)
			st |= IKE_ESP_ST_SEQ_EXHAUSTED | IKE_ESP_ST_SEQ_NEAR_WRAP;
		else if (last - sa->seq < sa->seq_margin)
			st |= IKE_ESP_ST_SEQ_NEAR_WRAP;
	}
	return st;
}

size_t ike_esp_headroom(const ike_esp_sa *sa)
{
	return ESP_HDR + sa->iv_len;
}

static size_t padded_len(const ike_esp_sa *sa, size_t inner_len)
{
	size_t a = sa->align;

	return (inner_len + 2 + a - 1) / a * a;
}

size_t ike_esp_sealed_len(const ike_esp_sa *sa, size_t inner_len)
{
	return ESP_HDR + sa->iv_len + padded_len(sa, inner_len) + sa->icv_len;
}

/* AEAD nonce (RFC 4106 4, RFC 7634 2): salt || IV. */
static int aead_start(ike_esp_sa *sa, const uint8_t *pkt, uint64_t seq)
{
	uint8_t nonce[12], aad[12];
	int n;

	memcpy(nonce, sa->salt, 4);
	memcpy(nonce + 4, pkt + ESP_HDR, 8);
	if (!EVP_CipherInit_ex(sa->cipher, NULL, NULL, NULL, nonce, -1))
		return IKE_ERR_CRYPTO;
	/* RFC 4106 5: AAD is SPI || seq, or SPI || seq high || seq low with ESN. */
	memcpy(aad, pkt, 4);
	if (sa->esn) {
		put32(aad + 4, (uint32_t)(seq >> 32));
		put32(aad + 8, (uint32_t)seq);
	} else {
		memcpy(aad + 4, pkt + 4, 4);
	}
	if (!EVP_CipherUpdate(sa->cipher, NULL, &n, aad, sa->esn ? 12 : 8))
		return IKE_ERR_CRYPTO;
	return IKE_OK;
}

/* RFC 4303 2.8 / 3.3.4: the ICV covers SPI through the ciphertext, then the high
 * sequence number half with ESN (not transmitted). */
static int hmac_icv(ike_esp_sa *sa, const uint8_t *pkt, size_t covered, uint64_t seq, uint8_t *icv)
{
	uint8_t full[EVP_MAX_MD_SIZE], hi[4];
	size_t n = 0;

	if (!EVP_MAC_init(sa->mac, NULL, 0, NULL) || !EVP_MAC_update(sa->mac, pkt, covered))
		return IKE_ERR_CRYPTO;
	if (sa->esn) {
		put32(hi, (uint32_t)(seq >> 32));
		if (!EVP_MAC_update(sa->mac, hi, 4))
			return IKE_ERR_CRYPTO;
	}
	if (!EVP_MAC_final(sa->mac, full, &n, sizeof full) || n < sa->icv_len)
		return IKE_ERR_CRYPTO;
	memcpy(icv, full, sa->icv_len);
	return IKE_OK;
}

/* Writes SPI, seq and the IV at out, then encrypts in1 || in2 to out + header + IV
 * and appends the ICV. in1 may equal that destination (in place); in2 must not
 * overlap out. */
static int seal_body(ike_esp_sa *sa, uint8_t *out, uint64_t seq, const uint8_t *iv, const uint8_t *in1,
                     size_t l1, const uint8_t *in2, size_t l2)
{
	size_t hl = ESP_HDR + sa->iv_len, done = 0;
	uint8_t *ct = out + hl;
	int n, rc;

	put32(out, sa->spi);
	put32(out + 4, (uint32_t)seq);
	memmove(out + ESP_HDR, iv, sa->iv_len);
	if (sa->aead) {
		rc = aead_start(sa, out, seq);
		if (rc != IKE_OK)
			return rc;
	} else if (!EVP_CipherInit_ex(sa->cipher, NULL, NULL, NULL, out + ESP_HDR, -1)) {
		return IKE_ERR_CRYPTO;
	}
	if (l1 > INT32_MAX || l2 > INT32_MAX)
		return IKE_ERR_INVAL;
	if (l1) {
		if (!EVP_CipherUpdate(sa->cipher, ct, &n, in1, (int)l1))
			return IKE_ERR_CRYPTO;
		done += (size_t)n;
	}
	if (l2) {
		if (!EVP_CipherUpdate(sa->cipher, ct + done, &n, in2, (int)l2))
			return IKE_ERR_CRYPTO;
		done += (size_t)n;
	}
	if (!EVP_CipherFinal_ex(sa->cipher, ct + done, &n))
		return IKE_ERR_CRYPTO;
	done += (size_t)n;
	if (done != l1 + l2)
		return IKE_ERR_CRYPTO;
	if (sa->aead) {
		if (!EVP_CIPHER_CTX_ctrl(sa->cipher, EVP_CTRL_AEAD_GET_TAG, 16, ct + done))
			return IKE_ERR_CRYPTO;
		return IKE_OK;
	}
	return hmac_icv(sa, out, hl + done, seq, ct + done);
}

int esp_seal_raw(ike_esp_sa *sa, uint8_t *out, size_t cap, uint64_t seq, const uint8_t *iv,
                 const uint8_t *plain, size_t plen, size_t *out_len)
{
	size_t total;
	int rc;

	if (!sa || sa->dir != IKE_ESP_OUT || plen == 0 || plen % sa->align)
		return IKE_ERR_INVAL;
	total = ESP_HDR + sa->iv_len + plen + sa->icv_len;
	if (cap < total)
		return IKE_ERR_NOBUF;
	rc = seal_body(sa, out, seq, iv, plain, plen, NULL, 0);
	if (rc == IKE_OK)
		*out_len = total;
	return rc;
}

static int next_iv(ike_esp_sa *sa, uint8_t *iv, uint64_t seq)
{
	if (sa->aead) {
		/* RFC 4106 3.1: the IV must never repeat under one key; the sequence
		 * number never does within an SA, and each SA has its own key. */
		put32(iv, (uint32_t)(seq >> 32));
		put32(iv + 4, (uint32_t)seq);
		return IKE_OK;
	}
	if (sa->rand) {
		sa->rand(sa->rand_user, iv, sa->iv_len);
		return IKE_OK;
	}
	/* RFC 4303 / RFC 3602: CBC needs unpredictable IVs. One RAND_bytes call per 64 packets. */
	if (sa->pool_left < sa->iv_len) {
		if (RAND_bytes(sa->pool, sizeof sa->pool) != 1)
			return IKE_ERR_CRYPTO;
		sa->pool_left = sizeof sa->pool;
	}
	memcpy(iv, sa->pool + sizeof sa->pool - sa->pool_left, sa->iv_len);
	sa->pool_left -= sa->iv_len;
	return IKE_OK;
}

static int seal_check(const ike_esp_sa *sa, const uint8_t *inner, size_t inner_len)
{
	if (sa->dir != IKE_ESP_OUT || inner_len == 0)
		return IKE_ERR_INVAL;
	if ((inner[0] >> 4) != 4 && (inner[0] >> 4) != 6)
		return IKE_ERR_INVAL;
	if (sa->exhausted || hard_reached(sa))
		return IKE_ERR_LIMIT;
	return IKE_OK;
}

static void seal_done(ike_esp_sa *sa, size_t inner_len)
{
	uint64_t last = sa->esn ? UINT64_MAX : UINT32_MAX;

	if (sa->seq == last)
		sa->exhausted = true; /* RFC 4303 3.3.3: never cycle; the SA must be rekeyed */
	else
		sa->seq++;
	sa->st.packets++;
	sa->st.bytes += inner_len;
}

/* Padding 1, 2, 3, ... (RFC 4303 2.4), pad length, next header. */
static size_t make_trailer(const ike_esp_sa *sa, const uint8_t *inner, size_t inner_len, uint8_t *t)
{
	size_t pad = padded_len(sa, inner_len) - inner_len - 2;

	for (size_t i = 0; i < pad; i++)
		t[i] = (uint8_t)(i + 1);
	t[pad] = (uint8_t)pad;
	t[pad + 1] = (inner[0] >> 4) == 4 ? IKE_ESP_NH_IPV4 : IKE_ESP_NH_IPV6;
	return pad + 2;
}

int ike_esp_seal(ike_esp_sa *sa, uint8_t *pkt, size_t cap, size_t inner_len, size_t *out_len)
{
	uint8_t iv[16];
	size_t hl, total, tl;
	int rc;

	if (!sa || !pkt || !out_len)
		return IKE_ERR_INVAL;
	hl = ESP_HDR + sa->iv_len;
	if (cap < hl || inner_len > cap - hl)
		return IKE_ERR_NOBUF;
	rc = seal_check(sa, pkt + hl, inner_len);
	if (rc != IKE_OK)
		return rc;
	total = ike_esp_sealed_len(sa, inner_len);
	if (cap < total)
		return IKE_ERR_NOBUF;
	tl = make_trailer(sa, pkt + hl, inner_len, pkt + hl + inner_len);
	rc = next_iv(sa, iv, sa->seq);
	if (rc != IKE_OK)
		return rc;
	rc = seal_body(sa, pkt, sa->seq, iv, pkt + hl, inner_len + tl, NULL, 0);
	if (rc != IKE_OK)
		return rc;
	seal_done(sa, inner_len);
	*out_len = total;
	return IKE_OK;
}

int ike_esp_seal_to(ike_esp_sa *sa, const uint8_t *in, size_t inner_len, uint8_t *out, size_t cap,
                    size_t *out_len)
{
	uint8_t iv[16], trailer[20];
	size_t total, tl;
	int rc;

	if (!sa || !in || !out || !out_len)
		return IKE_ERR_INVAL;
	rc = seal_check(sa, in, inner_len);
	if (rc != IKE_OK)
		return rc;
	total = ike_esp_sealed_len(sa, inner_len);
	if (cap < total)
		return IKE_ERR_NOBUF;
	tl = make_trailer(sa, in, inner_len, trailer);
	rc = next_iv(sa, iv, sa->seq);
	if (rc != IKE_OK)
		return rc;
	rc = seal_body(sa, out, sa->seq, iv, in, inner_len, trailer, tl);
	if (rc != IKE_OK)
		return rc;
	seal_done(sa, inner_len);
	*out_len = total;
	return IKE_OK;
}

int esp_open_raw(ike_esp_sa *sa, uint8_t *pkt, size_t len, uint64_t seq, size_t *plen)
{
	size_t hl = ESP_HDR + sa->iv_len, clen;
	uint8_t *ct = pkt + hl;
	int n, m;

	if (len < hl + sa->icv_len || len - hl - sa->icv_len < sa->align)
		return IKE_ERR_TRUNCATED;
	clen = len - hl - sa->icv_len;
	if (clen % sa->align)
		return IKE_ERR_MALFORMED; /* RFC 4303 2.4: the trailer is always aligned */
	if (clen > INT32_MAX)
		return IKE_ERR_MALFORMED;
	if (sa->aead) {
		int rc = aead_start(sa, pkt, seq);

		if (rc != IKE_OK)
			return rc;
		/* The tag is checked by Final; the plaintext is not used before that. */
		if (!EVP_CIPHER_CTX_ctrl(sa->cipher, EVP_CTRL_AEAD_SET_TAG, 16, ct + clen))
			return IKE_ERR_CRYPTO;
		if (!EVP_CipherUpdate(sa->cipher, ct, &n, ct, (int)clen))
			return IKE_ERR_CRYPTO;
		if (EVP_CipherFinal_ex(sa->cipher, ct + n, &m) <= 0)
			return IKE_ERR_INTEGRITY;
	} else {
		uint8_t icv[32];
		int rc = hmac_icv(sa, pkt, hl + clen, seq, icv);

		if (rc != IKE_OK)
			return rc;
		if (CRYPTO_memcmp(icv, ct + clen, sa->icv_len) != 0)
			return IKE_ERR_INTEGRITY;
		if (!EVP_CipherInit_ex(sa->cipher, NULL, NULL, NULL, pkt + ESP_HDR, -1) ||
		    !EVP_CipherUpdate(sa->cipher, ct, &n, ct, (int)clen) ||
		    !EVP_CipherFinal_ex(sa->cipher, ct + n, &m))
			return IKE_ERR_CRYPTO;
	}
	if ((size_t)n + (size_t)m != clen)
		return IKE_ERR_CRYPTO;
	*plen = clen;
	return IKE_OK;
}

static int drop(ike_esp_sa *sa, int rc)
{
	switch (rc) {
	case IKE_ERR_TRUNCATED:
	case IKE_ERR_MALFORMED:
		sa->st.drop_truncated++;
		break;
	case IKE_ERR_UNKNOWN_SPI:
		sa->st.drop_spi++;
		break;
	case IKE_ERR_REPLAY:
		sa->st.drop_replay++;
		break;
	case IKE_ERR_INTEGRITY:
		sa->st.drop_integrity++;
		break;
	case IKE_ERR_BAD_PADDING:
		sa->st.drop_padding++;
		break;
	case IKE_ERR_BAD_NEXT_HEADER:
		sa->st.drop_next_header++;
		break;
	case IKE_ERR_LIMIT:
		sa->st.drop_limit++;
		break;
	default:
		break;
	}
	return rc;
}

int ike_esp_open(ike_esp_sa *sa, uint8_t *pkt, size_t len, size_t *inner_off, size_t *inner_len,
                 uint8_t *next_header)
{
	size_t hl, plen = 0, pad, ilen;
	uint64_t seq;
	const uint8_t *p;
	uint8_t nh;
	int rc;

	if (!sa || !pkt || !inner_off || !inner_len || !next_header || sa->dir != IKE_ESP_IN)
		return IKE_ERR_INVAL;
	hl = ESP_HDR + sa->iv_len;
	if (len < hl + sa->align + sa->icv_len)
		return drop(sa, IKE_ERR_TRUNCATED);
	if (get32(pkt) != sa->spi)
		return drop(sa, IKE_ERR_UNKNOWN_SPI);
	if (hard_reached(sa))
		return drop(sa, IKE_ERR_LIMIT);
	if (sa->esn) {
		if (!esp_replay_infer(&sa->replay, get32(pkt + 4), &seq))
			return drop(sa, IKE_ERR_REPLAY);
	} else {
		seq = get32(pkt + 4);
	}
	/* RFC 4303 3.4.3: a cheap duplicate check first; the window moves only after
	 * the ICV verified. */
	rc = esp_replay_check(&sa->replay, seq);
	if (rc != IKE_OK)
		return drop(sa, rc);
	rc = esp_open_raw(sa, pkt, len, seq, &plen);
	if (rc != IKE_OK)
		return drop(sa, rc);
	esp_replay_update(&sa->replay, seq);

	p = pkt + hl;
	pad = p[plen - 2];
	nh = p[plen - 1];
	if (pad + 2 > plen)
		return drop(sa, IKE_ERR_BAD_PADDING);
	ilen = plen - 2 - pad;
	/* RFC 4303 2.4: the default padding is 1, 2, 3, ...; the receiver SHOULD check it. */
	for (size_t i = 0; i < pad; i++) {
		if (p[ilen + i] != (uint8_t)(i + 1))
			return drop(sa, IKE_ERR_BAD_PADDING);
	}
	/* Tunnel mode: a whole IPv4 or IPv6 packet, and its version must agree. */
	if (ilen == 0 ||
	    !((nh == IKE_ESP_NH_IPV4 && (p[0] >> 4) == 4) || (nh == IKE_ESP_NH_IPV6 && (p[0] >> 4) == 6)))
		return drop(sa, IKE_ERR_BAD_NEXT_HEADER);
	sa->st.packets++;
	sa->st.bytes += ilen;
	*inner_off = hl;
	*inner_len = ilen;
	*next_header = nh;
	return IKE_OK;
}

int ike_esp_read_spi(const uint8_t *pkt, size_t len, uint32_t *spi)
{
	if (!pkt || !spi)
		return IKE_ERR_INVAL;
	if (len < ESP_HDR)
		return IKE_ERR_TRUNCATED;
	*spi = get32(pkt);
	return IKE_OK;
}
