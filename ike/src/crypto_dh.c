/* SPDX-License-Identifier: MIT */
/*
 * crypto_dh.c - Diffie-Hellman for the KE payload: MODP (RFC 3526), ECP (RFC 5903)
 * and Curve25519 (RFC 8031), through EVP_PKEY and EVP_PKEY_derive.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "crypto_int.h"

enum kind { K_MODP, K_ECP, K_X25519 };

typedef struct group_info {
	uint16_t id;
	enum kind kind;
	const char *name; /* OpenSSL group name */
	int nid;          /* ECP only */
	size_t pub_len, secret_len;
} group_info;

static const group_info groups[] = {
    {IKE_MODP_2048, K_MODP, "modp_2048", 0, 256, 256},
    {IKE_MODP_3072, K_MODP, "modp_3072", 0, 384, 384},
    {IKE_MODP_4096, K_MODP, "modp_4096", 0, 512, 512},
    {IKE_ECP_256, K_ECP, "P-256", NID_X9_62_prime256v1, 64, 32},
    {IKE_ECP_384, K_ECP, "P-384", NID_secp384r1, 96, 48},
    {IKE_ECP_521, K_ECP, "P-521", NID_secp521r1, 132, 66},
    {IKE_CURVE25519, K_X25519, "X25519", 0, 32, 32},
};

struct ike_dh {
	const ike_mem *mem;
	const group_info *g;
	EVP_PKEY *key;
	size_t pub_len;
	uint8_t pub[IKE_DH_PUB_MAX];
};

static const group_info *find_group(uint16_t id)
{
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if (groups[i].id == id)
			return &groups[i];
	return NULL;
}

bool ike_dh_supported(uint16_t group)
{
	return find_group(group) != NULL;
}

size_t ike_dh_pub_len(uint16_t group)
{
	const group_info *g = find_group(group);
	return g ? g->pub_len : 0;
}

size_t ike_dh_secret_len(uint16_t group)
{
	const group_info *g = find_group(group);
	return g ? g->secret_len : 0;
}

uint16_t ike_dh_group(const ike_dh *dh)
{
	return dh ? dh->g->id : 0;
}

ike_slice ike_dh_public(const ike_dh *dh)
{
	if (!dh)
		return IKE_SLICE(NULL, 0);
	return IKE_SLICE(dh->pub, dh->pub_len);
}

void ike_dh_free(ike_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->key);
	ike_mem_freezero(dh->mem, dh, sizeof *dh);
}

/* Writes bn big-endian, left-padded to len bytes. */
static bool put_bn(const BIGNUM *bn, uint8_t *out, size_t len)
{
	return BN_bn2binpad(bn, out, (int)len) == (int)len;
}

/* Fills dh->pub from dh->key in IKE's encoding. */
static int export_public(ike_dh *dh)
{
	const group_info *g = dh->g;
	int rc = IKE_ERR_CRYPTO;

	switch (g->kind) {
	case K_MODP: {
		BIGNUM *y = NULL;
		if (EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, &y) == 1 &&
		    put_bn(y, dh->pub, g->pub_len))
			rc = IKE_OK;
		BN_free(y);
		break;
	}
	case K_ECP: {
		/* RFC 5903 7: x | y, each the coordinate length; no point format byte. */
		BIGNUM *x = NULL, *y = NULL;
		size_t c = g->pub_len / 2;
		if (EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
		    EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
		    put_bn(x, dh->pub, c) && put_bn(y, dh->pub + c, c))
			rc = IKE_OK;
		BN_free(x);
		BN_free(y);
		break;
	}
	case K_X25519: {
		size_t len = sizeof dh->pub;
		if (EVP_PKEY_get_raw_public_key(dh->key, dh->pub, &len) == 1 && len == g->pub_len)
			rc = IKE_OK;
		break;
	}
	}
	if (rc == IKE_OK)
		dh->pub_len = g->pub_len;
	return rc;
}

static int dh_alloc(ike_dh **out, const ike_mem *mem, uint16_t group)
{
	if (!out)
		return IKE_ERR_INVAL;
	*out = NULL;
	const group_info *g = find_group(group);
	if (!g)
		return IKE_ERR_UNSUPPORTED;
	ike_dh *dh = ike_mem_calloc(mem, 1, sizeof *dh);
	if (!dh)
		return IKE_ERR_NOMEM;
	dh->mem = mem;
	dh->g = g;
	*out = dh;
	return IKE_OK;
}

static int finish_new(ike_dh **out, ike_dh *dh)
{
	int rc = dh->key ? export_public(dh) : IKE_ERR_CRYPTO;
	if (rc != IKE_OK) {
		ike_dh_free(dh);
		*out = NULL;
		return rc;
	}
	*out = dh;
	return IKE_OK;
}

int ike_dh_new(ike_dh **out, const ike_mem *mem, uint16_t group)
{
	ike_dh *dh;
	int rc = dh_alloc(out, mem, group);
	if (rc != IKE_OK)
		return rc;
	dh = *out;
	const group_info *g = dh->g;

	if (g->kind == K_X25519) {
		dh->key = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	} else {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, g->kind == K_MODP ? "DH" : "EC", NULL);
		OSSL_PARAM params[2] = {
		    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->name, 0),
		    OSSL_PARAM_construct_end(),
		};
		if (ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_params(ctx, params) == 1)
			(void)EVP_PKEY_generate(ctx, &dh->key);
		EVP_PKEY_CTX_free(ctx);
	}
	return finish_new(out, dh);
}

/* Builds an EVP_PKEY of the group from OSSL_PARAMs (selection EVP_PKEY_KEYPAIR or
 * EVP_PKEY_PUBLIC_KEY). */
static EVP_PKEY *pkey_fromdata(const char *type, int selection, OSSL_PARAM *params)
{
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		(void)EVP_PKEY_fromdata(ctx, &pkey, selection, params);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* The prime of a MODP group, from a key of that group. */
static BIGNUM *modp_prime(const EVP_PKEY *key)
{
	BIGNUM *p = NULL;
	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_P, &p) != 1)
		return NULL;
	return p;
}

static EVP_PKEY *modp_from_private(const group_info *g, ike_slice priv)
{
	EVP_PKEY *pkey = NULL, *params_key = NULL;
	BIGNUM *x = NULL, *y = NULL, *p = NULL, *gen = NULL;
	BN_CTX *bctx = BN_CTX_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;

	if (!bctx || !bld || priv.len > g->pub_len)
		goto out;
	/* Get p and g from the named group, then y = g^x mod p. */
	OSSL_PARAM gp[2] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->name, 0),
	    OSSL_PARAM_construct_end(),
	};
	params_key = pkey_fromdata("DH", EVP_PKEY_KEY_PARAMETERS, gp);
	if (!params_key || !(p = modp_prime(params_key)) ||
	    EVP_PKEY_get_bn_param(params_key, OSSL_PKEY_PARAM_FFC_G, &gen) != 1)
		goto out;
	x = BN_secure_new();
	y = BN_new();
	if (!x || !y || !BN_bin2bn(priv.ptr, (int)priv.len, x) || BN_is_zero(x) || BN_cmp(x, p) >= 0 ||
	    BN_mod_exp(y, gen, x, p, bctx) != 1)
		goto out;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) != 1 ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)))
		goto out;
	pkey = pkey_fromdata("DH", EVP_PKEY_KEYPAIR, params);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(x);
	BN_free(y);
	BN_free(p);
	BN_free(gen);
	BN_CTX_free(bctx);
	EVP_PKEY_free(params_key);
	return pkey;
}

static EVP_PKEY *ecp_from_private(const group_info *g, ike_slice priv)
{
	EVP_PKEY *pkey = NULL;
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(g->nid);
	EC_POINT *pt = grp ? EC_POINT_new(grp) : NULL;
	BIGNUM *d = BN_secure_new();
	BN_CTX *bctx = BN_CTX_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	uint8_t point[1 + IKE_DH_PUB_MAX];
	size_t plen;

	if (!grp || !pt || !d || !bctx || !bld || priv.len != g->secret_len)
		goto out;
	if (!BN_bin2bn(priv.ptr, (int)priv.len, d) || BN_is_zero(d) ||
	    BN_cmp(d, EC_GROUP_get0_order(grp)) >= 0 || EC_POINT_mul(grp, pt, d, NULL, NULL, bctx) != 1)
		goto out;
	plen = EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, bctx);
	if (plen != 1 + g->pub_len)
		goto out;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, plen) != 1 ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)))
		goto out;
	pkey = pkey_fromdata("EC", EVP_PKEY_KEYPAIR, params);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	BN_CTX_free(bctx);
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	return pkey;
}

int ike_dh_new_from_private(ike_dh **out, const ike_mem *mem, uint16_t group, ike_slice priv)
{
	ike_dh *dh;
	int rc = dh_alloc(out, mem, group);
	if (rc != IKE_OK)
		return rc;
	dh = *out;
	if (!priv.ptr || !priv.len) {
		ike_dh_free(dh);
		*out = NULL;
		return IKE_ERR_INVAL;
	}
	switch (dh->g->kind) {
	case K_MODP:
		dh->key = modp_from_private(dh->g, priv);
		break;
	case K_ECP:
		dh->key = ecp_from_private(dh->g, priv);
		break;
	case K_X25519:
		if (priv.len == 32)
			dh->key = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv.ptr, priv.len);
		break;
	}
	if (!dh->key) {
		ike_dh_free(dh);
		*out = NULL;
		return IKE_ERR_INVAL;
	}
	return finish_new(out, dh);
}

/* Builds the peer's public key, validating it as RFC 7296 5.2/RFC 5903 call for. */
static EVP_PKEY *peer_key(const ike_dh *dh, ike_slice pub)
{
	const group_info *g = dh->g;
	EVP_PKEY *pkey = NULL;

	switch (g->kind) {
	case K_MODP: {
		/* 1 < y < p - 1: refuse 0, 1 and p - 1 (small subgroup) and anything >= p. */
		BIGNUM *y = BN_bin2bn(pub.ptr, (int)pub.len, NULL);
		BIGNUM *p = modp_prime(dh->key);
		BIGNUM *pm1 = p ? BN_dup(p) : NULL;
		OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
		OSSL_PARAM *params = NULL;
		if (y && pm1 && bld && BN_sub_word(pm1, 1) == 1 && BN_cmp(y, BN_value_one()) > 0 &&
		    BN_cmp(y, pm1) < 0 &&
		    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) == 1 &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) == 1 &&
		    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL)
			pkey = pkey_fromdata("DH", EVP_PKEY_PUBLIC_KEY, params);
		OSSL_PARAM_free(params);
		OSSL_PARAM_BLD_free(bld);
		BN_free(y);
		BN_free(p);
		BN_free(pm1);
		break;
	}
	case K_ECP: {
		/* Uncompressed point 0x04 | x | y; OpenSSL refuses points off the curve. */
		uint8_t point[1 + IKE_DH_PUB_MAX];
		point[0] = POINT_CONVERSION_UNCOMPRESSED;
		memcpy(point + 1, pub.ptr, pub.len);
		OSSL_PARAM params[3] = {
		    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->name, 0),
		    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, 1 + pub.len),
		    OSSL_PARAM_construct_end(),
		};
		pkey = pkey_fromdata("EC", EVP_PKEY_PUBLIC_KEY, params);
		break;
	}
	case K_X25519:
		pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, pub.ptr, pub.len);
		break;
	}
	return pkey;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

int ike_dh_compute(ike_dh *dh, ike_slice peer_pub, uint8_t *secret, size_t cap, size_t *len)
{
	uint8_t buf[IKE_DH_SECRET_MAX];
	size_t blen = sizeof buf;
	int rc = IKE_ERR_CRYPTO;

	if (!dh || !secret || !len || (peer_pub.len && !peer_pub.ptr))
		return IKE_ERR_INVAL;
	*len = 0;
	const group_info *g = dh->g;
	if (peer_pub.len != g->pub_len)
		return IKE_ERR_MALFORMED;
	if (cap < g->secret_len)
		return IKE_ERR_NOBUF;

	EVP_PKEY *peer = peer_key(dh, peer_pub);
	EVP_PKEY_CTX *ctx = peer ? EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL) : NULL;
	if (!ctx || EVP_PKEY_derive_init(ctx) != 1)
		goto out;
	if (g->kind == K_MODP) {
		/* Ask for the secret padded to the prime's length (RFC 7296 2.14). */
		unsigned int pad = 1;
		OSSL_PARAM params[2] = {
		    OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad),
		    OSSL_PARAM_construct_end(),
		};
		if (EVP_PKEY_CTX_set_params(ctx, params) != 1)
			goto out;
	}
	/* validate = 1: OpenSSL runs its public key check on the peer value too. */
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer, 1) != 1 || EVP_PKEY_derive(ctx, buf, &blen) != 1 ||
	    blen > g->secret_len)
		goto out;
	/* RFC 7748 6.1 / RFC 8031 2.3: an all-zero X25519 result means a low-order
	 * peer point; refuse it (OpenSSL does too, this keeps it explicit). */
	if (g->kind == K_X25519 && all_zero(buf, blen))
		goto out;
	memset(secret, 0, g->secret_len - blen);
	memcpy(secret + (g->secret_len - blen), buf, blen);
	*len = g->secret_len;
	rc = IKE_OK;
out:
	OPENSSL_cleanse(buf, sizeof buf);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return rc;
}
