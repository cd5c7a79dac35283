/* SPDX-License-Identifier: MIT */
/*
 * crypto_auth.c - AUTH payload data (RFC 7296 2.15): signed octets, PSK (method 2),
 * RSA signatures (method 1, and method 14 of RFC 7427 with PKCS#1 v1.5 or PSS),
 * and the SIGNATURE_HASH_ALGORITHMS notify data (RFC 7427 4).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto_int.h"

/* ---- signed octets and PSK ---- */

size_t ike_auth_octets_len(uint16_t prf, size_t message_len, size_t peer_nonce_len)
{
	size_t p = ike_prf_len(prf);
	if (!p || message_len > SIZE_MAX - peer_nonce_len - p)
		return 0;
	return message_len + peer_nonce_len + p;
}

/* octets = message | peer_nonce | prf(sk_p, id_parts...). */
static int build_octets(uint16_t prf, ike_slice sk_p, ike_slice message, ike_slice peer_nonce,
                        const ike_slice *id_parts, size_t n, uint8_t *out, size_t cap, size_t *len)
{
	if (!len)
		return IKE_ERR_INVAL;
	*len = 0;
	if (!out || !message.ptr || !message.len || !peer_nonce.ptr || !peer_nonce.len || !sk_p.ptr ||
	    !sk_p.len)
		return IKE_ERR_INVAL;
	size_t total = ike_auth_octets_len(prf, message.len, peer_nonce.len);
	if (!total)
		return ike_prf_len(prf) ? IKE_ERR_INVAL : IKE_ERR_UNSUPPORTED;
	if (cap < total)
		return IKE_ERR_NOBUF;
	size_t off = message.len + peer_nonce.len;
	int rc = ike_prf(prf, sk_p, id_parts, n, out + off, cap - off);
	if (rc != IKE_OK)
		return rc;
	memcpy(out, message.ptr, message.len);
	memcpy(out + message.len, peer_nonce.ptr, peer_nonce.len);
	*len = total;
	return IKE_OK;
}

int ike_auth_octets(uint16_t prf, ike_slice sk_p, ike_slice message, ike_slice peer_nonce, const ike_id *id,
                    uint8_t *out, size_t cap, size_t *len)
{
	if (!id) {
		if (len)
			*len = 0;
		return IKE_ERR_INVAL;
	}
	/* MACedIDFor{I,R} = prf(SK_p{i,r}, IDType | RESERVED | ID data), RESERVED zero. */
	uint8_t hdr[4] = {id->type, 0, 0, 0};
	ike_slice parts[2] = {IKE_SLICE(hdr, 4), IKE_SLICE(id->data, id->len)};
	return build_octets(prf, sk_p, message, peer_nonce, parts, 2, out, cap, len);
}

int ike_auth_octets_raw_id(uint16_t prf, ike_slice sk_p, ike_slice message, ike_slice peer_nonce,
                           ike_slice id_body, uint8_t *out, size_t cap, size_t *len)
{
	if (id_body.len < 4 || !id_body.ptr) {
		if (len)
			*len = 0;
		return IKE_ERR_INVAL;
	}
	return build_octets(prf, sk_p, message, peer_nonce, &id_body, 1, out, cap, len);
}

int ike_auth_psk(uint16_t prf, ike_slice psk, ike_slice octets, uint8_t *out, size_t cap, size_t *len)
{
	static const char pad[] = "Key Pad for IKEv2"; /* 17 octets, no NUL (RFC 7296 2.15) */
	uint8_t inner[IKE_PRF_MAX_LEN];

	if (!len)
		return IKE_ERR_INVAL;
	*len = 0;
	if (!out || !psk.ptr || !psk.len || (octets.len && !octets.ptr))
		return IKE_ERR_INVAL;
	size_t plen = ike_prf_len(prf);
	if (!plen)
		return IKE_ERR_UNSUPPORTED;
	if (cap < plen)
		return IKE_ERR_NOBUF;
	ike_slice p = IKE_SLICE(pad, sizeof pad - 1);
	int rc = ike_prf(prf, psk, &p, 1, inner, sizeof inner);
	if (rc == IKE_OK)
		rc = ike_prf(prf, IKE_SLICE(inner, plen), &octets, 1, out, cap);
	OPENSSL_cleanse(inner, sizeof inner);
	if (rc == IKE_OK)
		*len = plen;
	return rc;
}

int ike_auth_psk_verify(uint16_t prf, ike_slice psk, ike_slice octets, ike_slice auth_data)
{
	uint8_t mac[IKE_PRF_MAX_LEN];
	size_t len = 0;

	int rc = ike_auth_psk(prf, psk, octets, mac, sizeof mac, &len);
	if (rc == IKE_OK &&
	    (auth_data.len != len || !auth_data.ptr || CRYPTO_memcmp(mac, auth_data.ptr, len) != 0))
		rc = IKE_ERR_AUTH;
	OPENSSL_cleanse(mac, sizeof mac);
	return rc;
}

/* ---- AlgorithmIdentifiers (RFC 7427 Appendix A) ---- */

#define OID_PKCS1(last) 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, (last)

typedef struct sig_alg {
	uint16_t hash;
	uint8_t der[15]; /* SEQUENCE { OID, NULL } */
} sig_alg;

static const sig_alg pkcs1_algs[] = {
    {IKE_HASH_SHA1, {0x30, 0x0d, OID_PKCS1(0x05), 0x05, 0x00}},
    {IKE_HASH_SHA2_256, {0x30, 0x0d, OID_PKCS1(0x0b), 0x05, 0x00}},
    {IKE_HASH_SHA2_384, {0x30, 0x0d, OID_PKCS1(0x0c), 0x05, 0x00}},
    {IKE_HASH_SHA2_512, {0x30, 0x0d, OID_PKCS1(0x0d), 0x05, 0x00}},
};

static const uint8_t oid_rsassa_pss[] = {OID_PKCS1(0x0a)};
/* Length of our RSASSA-PSS AlgorithmIdentifier (SHA-2 hashes, explicit parameters). */
#define PSS_ALG_LEN 67

static const uint8_t oid_mgf1[] = {OID_PKCS1(0x08)};

static const struct {
	uint16_t hash;
	uint8_t oid[11];
	uint8_t len;
} hash_oids[] = {
    {IKE_HASH_SHA1, {0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a}, 7},
    {IKE_HASH_SHA2_256, {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}, 11},
    {IKE_HASH_SHA2_384, {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02}, 11},
    {IKE_HASH_SHA2_512, {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03}, 11},
};

/* Reads one DER TLV (definite length up to 0xffff) from *in; *whole gets the
 * complete TLV, *content its value. */
static bool der_next(ike_slice *in, uint8_t *tag, ike_slice *content, ike_slice *whole)
{
	if (in->len < 2)
		return false;
	const uint8_t *p = in->ptr;
	size_t hdr = 2, len = p[1];
	if (len == 0x81) {
		if (in->len < 3 || p[2] < 0x80)
			return false;
		len = p[2], hdr = 3;
	} else if (len == 0x82) {
		if (in->len < 4 || p[2] == 0)
			return false;
		len = (size_t)p[2] << 8 | p[3], hdr = 4;
	} else if (len > 0x7f) {
		return false;
	}
	if (len > in->len - hdr)
		return false;
	*tag = p[0];
	*content = IKE_SLICE(p + hdr, len);
	if (whole)
		*whole = IKE_SLICE(p, hdr + len);
	in->ptr += hdr + len;
	in->len -= hdr + len;
	return true;
}

static bool slice_is(ike_slice s, const uint8_t *b, size_t n)
{
	return s.len == n && memcmp(s.ptr, b, n) == 0;
}

/* AlgorithmIdentifier of a hash: SEQUENCE { OID, NULL or absent }. 0 if unknown. */
static uint16_t parse_hash_alg(ike_slice seq_content)
{
	uint8_t tag;
	ike_slice oid, whole, params;
	if (!der_next(&seq_content, &tag, &oid, &whole) || tag != 0x06)
		return 0;
	if (seq_content.len) {
		if (!der_next(&seq_content, &tag, &params, NULL) || tag != 0x05 || params.len ||
		    seq_content.len)
			return 0;
	}
	for (size_t i = 0; i < sizeof hash_oids / sizeof hash_oids[0]; i++)
		if (slice_is(whole, hash_oids[i].oid, hash_oids[i].len))
			return hash_oids[i].hash;
	return 0;
}

/* Parses a small non-negative DER INTEGER. */
static bool parse_small_int(ike_slice v, long *out)
{
	if (v.len == 0 || v.len > 3 || (v.ptr[0] & 0x80))
		return false;
	long x = 0;
	for (size_t i = 0; i < v.len; i++)
		x = x << 8 | v.ptr[i];
	*out = x;
	return true;
}

typedef struct sig_scheme {
	uint16_t hash;
	bool pss;
	uint16_t mgf1_hash;
	long salt_len;
} sig_scheme;

/* RSASSA-PSS-params (RFC 4055 3.1), every field with its DEFAULT. */
static bool parse_pss_params(ike_slice params, sig_scheme *s)
{
	uint8_t tag;
	ike_slice c, inner;

	s->pss = true;
	s->hash = IKE_HASH_SHA1;
	s->mgf1_hash = IKE_HASH_SHA1;
	s->salt_len = 20;
	int last = -1;
	while (params.len) {
		if (!der_next(&params, &tag, &c, NULL))
			return false;
		int n = tag - 0xa0;
		if (n < 0 || n > 3 || n <= last)
			return false; /* fields in order, each at most once */
		last = n;
		ike_slice in = c;
		switch (n) {
		case 0: /* hashAlgorithm */
			if (!der_next(&in, &tag, &inner, NULL) || tag != 0x30 || in.len)
				return false;
			if (!(s->hash = parse_hash_alg(inner)))
				return false;
			break;
		case 1: { /* maskGenAlgorithm: SEQUENCE { id-mgf1, hash AlgorithmIdentifier } */
			ike_slice mgf, oid_whole, oid, hseq;
			if (!der_next(&in, &tag, &mgf, NULL) || tag != 0x30 || in.len)
				return false;
			if (!der_next(&mgf, &tag, &oid, &oid_whole) || tag != 0x06 ||
			    !slice_is(oid_whole, oid_mgf1, sizeof oid_mgf1))
				return false;
			if (!der_next(&mgf, &tag, &hseq, NULL) || tag != 0x30 || mgf.len)
				return false;
			if (!(s->mgf1_hash = parse_hash_alg(hseq)))
				return false;
			break;
		}
		case 2: /* saltLength */
			if (!der_next(&in, &tag, &inner, NULL) || tag != 0x02 || in.len ||
			    !parse_small_int(inner, &s->salt_len))
				return false;
			break;
		case 3: { /* trailerField: must be 1 (trailerFieldBC) */
			long t;
			if (!der_next(&in, &tag, &inner, NULL) || tag != 0x02 || in.len ||
			    !parse_small_int(inner, &t) || t != 1)
				return false;
			break;
		}
		}
	}
	return true;
}

/* Parses an RFC 7427 signature AlgorithmIdentifier for RSA. */
static int parse_sig_alg(ike_slice alg, sig_scheme *s)
{
	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < sizeof pkcs1_algs / sizeof pkcs1_algs[0]; i++) {
		/* With NULL parameters (RFC 7427 A.1) or, leniently, without. */
		if (slice_is(alg, pkcs1_algs[i].der, sizeof pkcs1_algs[i].der) ||
		    (alg.len == 13 && alg.ptr[0] == 0x30 && alg.ptr[1] == 0x0b &&
		     memcmp(alg.ptr + 2, pkcs1_algs[i].der + 2, 11) == 0)) {
			s->hash = pkcs1_algs[i].hash;
			return IKE_OK;
		}
	}
	uint8_t tag;
	ike_slice seq, oid, oid_whole, params, in = alg;
	if (!der_next(&in, &tag, &seq, NULL) || tag != 0x30 || in.len)
		return IKE_ERR_MALFORMED;
	if (!der_next(&seq, &tag, &oid, &oid_whole) || tag != 0x06)
		return IKE_ERR_MALFORMED;
	if (!slice_is(oid_whole, oid_rsassa_pss, sizeof oid_rsassa_pss))
		return IKE_ERR_UNSUPPORTED;
	/* RFC 8247 / RFC 7427 A.4: PSS parameters must be present in IKE. */
	if (!der_next(&seq, &tag, &params, NULL) || tag != 0x30 || seq.len)
		return IKE_ERR_MALFORMED;
	if (!parse_pss_params(params, s))
		return IKE_ERR_MALFORMED;
	if (s->mgf1_hash != s->hash || s->hash == IKE_HASH_SHA1)
		return IKE_ERR_UNSUPPORTED;
	return IKE_OK;
}

/* ---- RSA signatures ---- */

size_t ike_auth_sign_max(const ike_key *key)
{
	EVP_PKEY *pkey = crypto_key_pkey(key);
	int size = pkey ? EVP_PKEY_get_size(pkey) : 0;
	return size > 0 ? (size_t)size + 1 + PSS_ALG_LEN : 0; /* the longest header: PSS */
}

static int rsa_sign(EVP_PKEY *pkey, uint16_t hash, bool pss, ike_slice octets, uint8_t *out, size_t cap,
                    size_t *len)
{
	const char *md = crypto_hash_md_name(hash);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = IKE_ERR_CRYPTO;
	size_t sig_len = 0;

	if (!ctx)
		return IKE_ERR_NOMEM;
	char pad_pkcs1[] = OSSL_PKEY_RSA_PAD_MODE_PKCSV15, pad_pss[] = OSSL_PKEY_RSA_PAD_MODE_PSS;
	/* PSS as strongSwan's rsa/pss schemes: MGF1 with the same hash, salt = hash length. */
	int salt = (int)ike_hash_len(hash);
	OSSL_PARAM params[4];
	size_t k = 0;
	params[k++] =
	    OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, pss ? pad_pss : pad_pkcs1, 0);
	if (pss) {
		params[k++] =
		    OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, (char *)md, 0);
		params[k++] = OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, &salt);
	}
	params[k] = OSSL_PARAM_construct_end();
	if (EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, pkey, params) != 1 ||
	    EVP_DigestSign(ctx, NULL, &sig_len, octets.ptr, octets.len) != 1)
		goto out;
	if (sig_len > cap) {
		rc = IKE_ERR_NOBUF;
		goto out;
	}
	if (EVP_DigestSign(ctx, out, &sig_len, octets.ptr, octets.len) != 1)
		goto out;
	*len = sig_len;
	rc = IKE_OK;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* Writes the DER AlgorithmIdentifier of RSASSA-PSS with hash, MGF1(hash) and salt =
 * hash length (RFC 4055 3.1; trailerField left at its default). Returns its length. */
static size_t pss_alg_der(uint16_t hash, uint8_t out[PSS_ALG_LEN])
{
	const uint8_t *oid = NULL;
	for (size_t i = 0; i < sizeof hash_oids / sizeof hash_oids[0]; i++)
		if (hash_oids[i].hash == hash && hash_oids[i].len == 11)
			oid = hash_oids[i].oid;
	if (!oid)
		return 0;
	uint8_t *p = out;
	*p++ = 0x30, *p++ = 0x41; /* AlgorithmIdentifier */
	memcpy(p, oid_rsassa_pss, sizeof oid_rsassa_pss), p += sizeof oid_rsassa_pss;
	*p++ = 0x30, *p++ = 0x34; /* RSASSA-PSS-params */
	*p++ = 0xa0, *p++ = 0x0f; /* [0] hashAlgorithm */
	*p++ = 0x30, *p++ = 0x0d;
	memcpy(p, oid, 11), p += 11;
	*p++ = 0x05, *p++ = 0x00;
	*p++ = 0xa1, *p++ = 0x1c; /* [1] maskGenAlgorithm */
	*p++ = 0x30, *p++ = 0x1a;
	memcpy(p, oid_mgf1, sizeof oid_mgf1), p += sizeof oid_mgf1;
	*p++ = 0x30, *p++ = 0x0d;
	memcpy(p, oid, 11), p += 11;
	*p++ = 0x05, *p++ = 0x00;
	*p++ = 0xa2, *p++ = 0x03; /* [2] saltLength */
	*p++ = 0x02, *p++ = 0x01, *p++ = (uint8_t)ike_hash_len(hash);
	return (size_t)(p - out);
}

int ike_auth_sign_pss(const ike_key *key, uint16_t hash, ike_slice octets, uint8_t *out, size_t cap,
                      size_t *len)
{
	uint8_t alg[PSS_ALG_LEN];

	if (!len)
		return IKE_ERR_INVAL;
	*len = 0;
	if (!key || !ike_key_is_private(key) || !out || !octets.ptr || !octets.len)
		return IKE_ERR_INVAL;
	if (hash != IKE_HASH_SHA2_256 && hash != IKE_HASH_SHA2_384 && hash != IKE_HASH_SHA2_512)
		return IKE_ERR_INVAL;
	size_t alen = pss_alg_der(hash, alg);
	if (alen != PSS_ALG_LEN)
		return IKE_ERR_CRYPTO;
	if (cap < 1 + alen)
		return IKE_ERR_NOBUF;
	out[0] = (uint8_t)alen;
	memcpy(out + 1, alg, alen);
	size_t sig_len = 0;
	int rc = rsa_sign(crypto_key_pkey(key), hash, true, octets, out + 1 + alen, cap - 1 - alen, &sig_len);
	if (rc != IKE_OK)
		return rc;
	*len = 1 + alen + sig_len;
	return IKE_OK;
}

int ike_auth_sign(const ike_key *key, uint8_t method, uint16_t hash, ike_slice octets, uint8_t *out,
                  size_t cap, size_t *len)
{
	if (!len)
		return IKE_ERR_INVAL;
	*len = 0;
	if (!key || !ike_key_is_private(key) || !out || !octets.ptr || !octets.len)
		return IKE_ERR_INVAL;
	EVP_PKEY *pkey = crypto_key_pkey(key);
	if (method == IKE_AUTH_RSA_SIG)
		return rsa_sign(pkey, IKE_HASH_SHA1, false, octets, out, cap, len);
	if (method != IKE_AUTH_DIGITAL_SIGNATURE)
		return IKE_ERR_INVAL;
	const sig_alg *alg = NULL;
	for (size_t i = 1; i < sizeof pkcs1_algs / sizeof pkcs1_algs[0]; i++)
		if (pkcs1_algs[i].hash == hash)
			alg = &pkcs1_algs[i];
	if (!alg)
		return IKE_ERR_INVAL;
	/* RFC 7427 3: ASN.1 Length | AlgorithmIdentifier | Signature Value. */
	size_t hdr = 1 + sizeof alg->der;
	if (cap < hdr)
		return IKE_ERR_NOBUF;
	out[0] = (uint8_t)sizeof alg->der;
	memcpy(out + 1, alg->der, sizeof alg->der);
	size_t sig_len = 0;
	int rc = rsa_sign(pkey, hash, false, octets, out + hdr, cap - hdr, &sig_len);
	if (rc != IKE_OK)
		return rc;
	*len = hdr + sig_len;
	return IKE_OK;
}

static int rsa_verify(EVP_PKEY *pkey, const sig_scheme *s, ike_slice octets, ike_slice sig)
{
	const char *md = crypto_hash_md_name(s->hash);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = IKE_ERR_CRYPTO;

	if (!ctx)
		return IKE_ERR_NOMEM;
	OSSL_PARAM params[4];
	char pad_pkcs1[] = OSSL_PKEY_RSA_PAD_MODE_PKCSV15, pad_pss[] = OSSL_PKEY_RSA_PAD_MODE_PSS;
	int salt = (int)s->salt_len;
	size_t k = 0;
	params[k++] =
	    OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, s->pss ? pad_pss : pad_pkcs1, 0);
	if (s->pss) {
		params[k++] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST,
		                                               (char *)crypto_hash_md_name(s->mgf1_hash), 0);
		params[k++] = OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, &salt);
	}
	params[k] = OSSL_PARAM_construct_end();
	if (EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, pkey, params) != 1)
		goto out;
	int v = EVP_DigestVerify(ctx, sig.ptr, sig.len, octets.ptr, octets.len);
	rc = v == 1 ? IKE_OK : IKE_ERR_AUTH;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ike_auth_verify(const ike_key *key, uint8_t method, ike_slice octets, ike_slice auth_data,
                    uint16_t *hash_used)
{
	sig_scheme s;

	if (hash_used)
		*hash_used = 0;
	if (!key || !octets.ptr || !octets.len || (auth_data.len && !auth_data.ptr))
		return IKE_ERR_INVAL;
	EVP_PKEY *pkey = crypto_key_pkey(key);
	ike_slice sig;
	if (method == IKE_AUTH_RSA_SIG) {
		memset(&s, 0, sizeof s);
		s.hash = IKE_HASH_SHA1;
		sig = auth_data;
	} else if (method == IKE_AUTH_DIGITAL_SIGNATURE) {
		if (auth_data.len < 1 || auth_data.ptr[0] == 0 || auth_data.ptr[0] > auth_data.len - 1)
			return IKE_ERR_MALFORMED;
		size_t alen = auth_data.ptr[0];
		int rc = parse_sig_alg(IKE_SLICE(auth_data.ptr + 1, alen), &s);
		if (rc != IKE_OK)
			return rc;
		sig = IKE_SLICE(auth_data.ptr + 1 + alen, auth_data.len - 1 - alen);
	} else {
		return IKE_ERR_UNSUPPORTED;
	}
	/* An RSA signature is exactly the modulus length (RFC 8017 8.2.2 step 1). */
	if (sig.len == 0 || sig.len != (size_t)EVP_PKEY_get_size(pkey))
		return IKE_ERR_AUTH;
	int rc = rsa_verify(pkey, &s, octets, sig);
	if (rc == IKE_OK && hash_used)
		*hash_used = s.hash;
	return rc;
}

/* ---- SIGNATURE_HASH_ALGORITHMS ---- */

uint32_t ike_sig_hashes_ours(void)
{
	return IKE_HASH_BIT(IKE_HASH_SHA2_256) | IKE_HASH_BIT(IKE_HASH_SHA2_384) |
	       IKE_HASH_BIT(IKE_HASH_SHA2_512);
}

int ike_sig_hashes_encode(uint32_t mask, uint8_t *out, size_t cap, size_t *len)
{
	if (!len || (!out && cap))
		return IKE_ERR_INVAL;
	*len = 0;
	size_t o = 0;
	for (unsigned h = 1; h < 16; h++) {
		if (!(mask & IKE_HASH_BIT(h)))
			continue;
		if (cap - o < 2)
			return IKE_ERR_NOBUF;
		out[o++] = 0;
		out[o++] = (uint8_t)h;
	}
	*len = o;
	return IKE_OK;
}

int ike_sig_hashes_parse(ike_slice data, uint32_t *mask)
{
	if (!mask || (data.len && !data.ptr))
		return IKE_ERR_INVAL;
	*mask = 0;
	if (data.len % 2 != 0)
		return IKE_ERR_MALFORMED;
	uint32_t m = 0;
	for (size_t i = 0; i < data.len; i += 2) {
		unsigned h = (unsigned)data.ptr[i] << 8 | data.ptr[i + 1];
		if (h >= 1 && h < 16)
			m |= IKE_HASH_BIT(h);
	}
	*mask = m;
	return IKE_OK;
}

uint16_t ike_sig_hash_choose(uint32_t peer_mask)
{
	static const uint16_t order[] = {IKE_HASH_SHA2_256, IKE_HASH_SHA2_384, IKE_HASH_SHA2_512};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (peer_mask & IKE_HASH_BIT(order[i]))
			return order[i];
	return 0;
}
