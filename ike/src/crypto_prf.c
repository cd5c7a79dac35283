/* SPDX-License-Identifier: MIT */
/*
 * crypto_prf.c - PRF, prf+ (RFC 7296 2.13) and the key material of IKE SAs
 * (2.14, 2.18) and CHILD_SAs (2.17).
 */
#include <string.h>

#include "crypto_int.h"

size_t ike_prf_len(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA1:
		return 20;
	case IKE_PRF_HMAC_SHA2_256:
		return 32;
	case IKE_PRF_HMAC_SHA2_384:
		return 48;
	case IKE_PRF_HMAC_SHA2_512:
		return 64;
	default:
		return 0;
	}
}

int ike_prf(uint16_t prf, ike_slice key, const ike_slice *parts, size_t n, uint8_t *out, size_t cap)
{
	const char *md = crypto_prf_md_name(prf);

	if (!md)
		return IKE_ERR_UNSUPPORTED;
	if (!out || (n && !parts) || (key.len && !key.ptr))
		return IKE_ERR_INVAL;
	if (cap < ike_prf_len(prf))
		return IKE_ERR_NOBUF;
	return crypto_hmac(md, key, parts, n, out, cap, NULL);
}

#define SEED_PARTS_MAX 8

int ike_prf_plus(uint16_t prf, ike_slice key, const ike_slice *seed, size_t n, uint8_t *out, size_t out_len)
{
	size_t plen = ike_prf_len(prf);
	uint8_t t[IKE_PRF_MAX_LEN];
	ike_slice parts[SEED_PARTS_MAX + 2];
	uint8_t counter;
	int rc = IKE_OK;

	if (!plen)
		return IKE_ERR_UNSUPPORTED;
	if ((!out && out_len) || (n && !seed) || n > SEED_PARTS_MAX)
		return IKE_ERR_INVAL;
	/* RFC 7296 2.13: the counter is one octet, so at most 255 blocks. */
	if (out_len > 255 * plen)
		return IKE_ERR_LIMIT;

	size_t done = 0;
	for (unsigned i = 1; done < out_len; i++) {
		size_t k = 0;
		if (i > 1)
			parts[k++] = IKE_SLICE(t, plen);
		for (size_t j = 0; j < n; j++)
			parts[k++] = seed[j];
		counter = (uint8_t)i;
		parts[k++] = IKE_SLICE(&counter, 1);
		rc = ike_prf(prf, key, parts, k, t, sizeof t);
		if (rc != IKE_OK)
			break;
		size_t take = out_len - done < plen ? out_len - done : plen;
		memcpy(out + done, t, take);
		done += take;
	}
	OPENSSL_cleanse(t, sizeof t);
	if (rc != IKE_OK)
		OPENSSL_cleanse(out, out_len);
	return rc;
}

bool ike_encr_is_aead(uint16_t encr)
{
	return encr == IKE_ENCR_AES_GCM_16 || encr == IKE_ENCR_AES_GCM_12 || encr == IKE_ENCR_AES_GCM_8 ||
	       encr == IKE_ENCR_CHACHA20_POLY1305;
}

size_t ike_encr_keymat_len(uint16_t encr, uint16_t key_bits)
{
	switch (encr) {
	case IKE_ENCR_AES_CBC:
	case IKE_ENCR_AES_GCM_8:
	case IKE_ENCR_AES_GCM_12:
	case IKE_ENCR_AES_GCM_16:
		if (key_bits != 128 && key_bits != 192 && key_bits != 256)
			return 0;
		/* RFC 4106 8.1: AES-GCM takes a 4-byte salt after the key. */
		return key_bits / 8u + (encr == IKE_ENCR_AES_CBC ? 0u : 4u);
	case IKE_ENCR_CHACHA20_POLY1305:
		/* RFC 7634 2: 256-bit key plus 4-byte salt; no Key Length attribute. */
		return key_bits == 0 || key_bits == 256 ? 36 : 0;
	default:
		return 0;
	}
}

size_t ike_integ_key_len(uint16_t integ)
{
	size_t key = 0;
	return crypto_integ_md_name(integ, NULL, &key) ? key : 0;
}

size_t ike_integ_icv_len(uint16_t integ)
{
	size_t icv = 0;
	return crypto_integ_md_name(integ, &icv, NULL) ? icv : 0;
}

/* Checks a suite and computes the key sizes of its parts. */
static int suite_sizes(const ike_crypto_suite *s, bool need_prf, size_t *e_len, size_t *a_len)
{
	if (need_prf && !ike_prf_len(s->prf))
		return IKE_ERR_UNSUPPORTED;
	*e_len = ike_encr_keymat_len(s->encr, s->encr_bits);
	if (!*e_len)
		return IKE_ERR_UNSUPPORTED;
	if (ike_encr_is_aead(s->encr)) {
		if (s->integ != 0)
			return IKE_ERR_INVAL;
		*a_len = 0;
	} else {
		if (s->integ == 0)
			return IKE_ERR_INVAL;
		*a_len = ike_integ_key_len(s->integ);
		if (!*a_len)
			return IKE_ERR_UNSUPPORTED;
	}
	return IKE_OK;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Splits prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) into out (RFC 7296 2.14). */
static int sa_keys_expand(ike_sa_keys *out, const ike_crypto_suite *s, const uint8_t *skeyseed,
                          size_t seed_len, ike_slice ni, ike_slice nr, uint64_t spi_i, uint64_t spi_r)
{
	size_t e_len, a_len;
	int rc = suite_sizes(s, true, &e_len, &a_len);
	if (rc != IKE_OK)
		return rc;
	size_t p_len = ike_prf_len(s->prf);
	uint8_t spis[16];
	put_u64(spis, spi_i);
	put_u64(spis + 8, spi_r);
	ike_slice seed[3] = {ni, nr, IKE_SLICE(spis, sizeof spis)};
	uint8_t km[3 * IKE_SK_MAX + 2 * IKE_SK_MAX + 2 * IKE_SK_MAX];
	size_t total = p_len + 2 * a_len + 2 * e_len + 2 * p_len;

	rc = ike_prf_plus(s->prf, IKE_SLICE(skeyseed, seed_len), seed, 3, km, total);
	if (rc == IKE_OK) {
		const uint8_t *p = km;
		out->prf = s->prf;
		out->d_len = (uint8_t)p_len;
		out->a_len = (uint8_t)a_len;
		out->e_len = (uint8_t)e_len;
		out->p_len = (uint8_t)p_len;
		memcpy(out->sk_d, p, p_len), p += p_len;
		memcpy(out->sk_ai, p, a_len), p += a_len;
		memcpy(out->sk_ar, p, a_len), p += a_len;
		memcpy(out->sk_ei, p, e_len), p += e_len;
		memcpy(out->sk_er, p, e_len), p += e_len;
		memcpy(out->sk_pi, p, p_len), p += p_len;
		memcpy(out->sk_pr, p, p_len);
	}
	OPENSSL_cleanse(km, sizeof km);
	return rc;
}

int ike_sa_keys_derive(ike_sa_keys *out, const ike_crypto_suite *suite, ike_slice g_ir, ike_slice ni,
                       ike_slice nr, uint64_t spi_i, uint64_t spi_r)
{
	uint8_t skeyseed[IKE_PRF_MAX_LEN];

	if (!out)
		return IKE_ERR_INVAL;
	memset(out, 0, sizeof *out);
	if (!suite || !g_ir.len || !ni.len || !nr.len || !g_ir.ptr || !ni.ptr || !nr.ptr)
		return IKE_ERR_INVAL;
	if (!ike_prf_len(suite->prf))
		return IKE_ERR_UNSUPPORTED;
	/* SKEYSEED = prf(Ni | Nr, g^ir): the key is the concatenated nonces, each
	 * 16..256 bytes (RFC 7296 3.9). */
	uint8_t nonces[2 * 256];
	if (ni.len > 256 || nr.len > 256)
		return IKE_ERR_INVAL;
	size_t nlen = ni.len + nr.len;
	memcpy(nonces, ni.ptr, ni.len);
	memcpy(nonces + ni.len, nr.ptr, nr.len);
	int rc = ike_prf(suite->prf, IKE_SLICE(nonces, nlen), &g_ir, 1, skeyseed, sizeof skeyseed);
	if (rc == IKE_OK)
		rc = sa_keys_expand(out, suite, skeyseed, ike_prf_len(suite->prf), ni, nr, spi_i, spi_r);
	OPENSSL_cleanse(skeyseed, sizeof skeyseed);
	if (rc != IKE_OK)
		ike_sa_keys_wipe(out);
	return rc;
}

int ike_sa_keys_derive_rekey(ike_sa_keys *out, const ike_crypto_suite *suite, const ike_sa_keys *old,
                             ike_slice g_ir, ike_slice ni, ike_slice nr, uint64_t spi_i, uint64_t spi_r)
{
	uint8_t skeyseed[IKE_PRF_MAX_LEN];

	if (!out)
		return IKE_ERR_INVAL;
	memset(out, 0, sizeof *out);
	if (!suite || !old || !old->d_len || !g_ir.len || !ni.len || !nr.len || !g_ir.ptr || !ni.ptr ||
	    !nr.ptr || old->d_len > IKE_SK_MAX)
		return IKE_ERR_INVAL;
	size_t old_len = ike_prf_len(old->prf);
	if (!old_len || !ike_prf_len(suite->prf))
		return IKE_ERR_UNSUPPORTED;
	/* RFC 7296 2.18: the rekeying exchange belongs to the old SA, so its PRF
	 * makes SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr). */
	ike_slice parts[3] = {g_ir, ni, nr};
	int rc = ike_prf(old->prf, IKE_SLICE(old->sk_d, old->d_len), parts, 3, skeyseed, sizeof skeyseed);
	if (rc == IKE_OK)
		rc = sa_keys_expand(out, suite, skeyseed, old_len, ni, nr, spi_i, spi_r);
	OPENSSL_cleanse(skeyseed, sizeof skeyseed);
	if (rc != IKE_OK)
		ike_sa_keys_wipe(out);
	return rc;
}

void ike_sa_keys_wipe(ike_sa_keys *keys)
{
	if (keys)
		OPENSSL_cleanse(keys, sizeof *keys);
}

int ike_child_keys_derive(ike_child_keys *out, const ike_crypto_suite *esp_suite, const ike_sa_keys *sa,
                          ike_slice g_ir, ike_slice ni, ike_slice nr)
{
	size_t e_len, a_len;
	uint8_t km[4 * IKE_SK_MAX];

	if (!out)
		return IKE_ERR_INVAL;
	memset(out, 0, sizeof *out);
	if (!esp_suite || !sa || !sa->d_len || sa->d_len > IKE_SK_MAX || !ni.len || !nr.len || !ni.ptr ||
	    !nr.ptr || (g_ir.len && !g_ir.ptr))
		return IKE_ERR_INVAL;
	if (!ike_prf_len(sa->prf))
		return IKE_ERR_UNSUPPORTED;
	int rc = suite_sizes(esp_suite, false, &e_len, &a_len);
	if (rc != IKE_OK)
		return rc;
	/* RFC 7296 2.17: KEYMAT = prf+(SK_d, [g^ir (new)] | Ni | Nr); the
	 * initiator-to-responder keys come first, encryption before integrity. */
	ike_slice seed[3];
	size_t n = 0;
	if (g_ir.len)
		seed[n++] = g_ir;
	seed[n++] = ni;
	seed[n++] = nr;
	size_t total = 2 * (e_len + a_len);
	rc = ike_prf_plus(sa->prf, IKE_SLICE(sa->sk_d, sa->d_len), seed, n, km, total);
	if (rc == IKE_OK) {
		const uint8_t *p = km;
		out->enc_len = (uint8_t)e_len;
		out->integ_len = (uint8_t)a_len;
		memcpy(out->enc_ir, p, e_len), p += e_len;
		memcpy(out->integ_ir, p, a_len), p += a_len;
		memcpy(out->enc_ri, p, e_len), p += e_len;
		memcpy(out->integ_ri, p, a_len);
	}
	OPENSSL_cleanse(km, sizeof km);
	return rc;
}

void ike_child_keys_wipe(ike_child_keys *keys)
{
	if (keys)
		OPENSSL_cleanse(keys, sizeof *keys);
}
