/* SPDX-License-Identifier: MIT */
/* RSA public keys with chosen weaknesses (see tst_keys.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tst_keys.h"

/* The primes of test/data/crypto/rsa1.key.pem (`openssl rsa -text`: prime1, prime2). */
static const char P_HEX[] =
    "f4ad6da740bd46775143a4f821c4493518694386fabb2c64713b2f7967e957a4bd32c9ac3ff380820b3c26c303f4fe7e"
    "3fc31891a8911b1c1bf1126eed67fe5cab3e39c2f19f1e67231988fef4ee051e58dee2e4f94c6f66e98dfb2273958949"
    "448983d6071b99cc6e7320afc5443a50c9267a5705c2a7f26182474e2979af87";
static const char Q_HEX[] =
    "efea495752c12d3a9d811eeca86b783de413e55dc881fcffb94112adb5e6128df08ebe1cf6afa88430e22864477936e0"
    "7357d56627f59243c3876906f8760df61cf9b6d82ac46c9fbe0cddf807b002bf3da5fa1f748c526858da8fa79a04e62c"
    "4fb7c08c305f7e24f39474a2af38703748d083bfa54cd7e88c8e9d9757ed60a1";

static void need(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "tst_keys: %s failed\n", what);
		abort();
	}
}

static BIGNUM *hex_bn(const char *hex)
{
	BIGNUM *b = NULL;

	need(BN_hex2bn(&b, hex) > 0, "BN_hex2bn");
	return b;
}

/* The smallest prime above p + 2^shift (deterministic: a search, not a draw). */
static BIGNUM *next_prime(const BIGNUM *p, int shift, BN_CTX *ctx)
{
	BIGNUM *c = BN_new();

	need(c && BN_set_bit(c, shift) && BN_add(c, c, p), "next_prime start");
	if (!BN_is_odd(c))
		need(BN_add_word(c, 1), "BN_add_word");
	while (BN_check_prime(c, ctx, NULL) != 1)
		need(BN_add_word(c, 2), "BN_add_word");
	return c;
}

static EVP_PKEY *build(tst_rsa kind)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *p = hex_bn(P_HEX), *q = hex_bn(Q_HEX), *n = BN_new(), *e = BN_new(), *r = NULL;
	unsigned long ev = 65537;
	OSSL_PARAM_BLD *bld;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx;
	EVP_PKEY *pkey = NULL;

	need(ctx && n && e && BN_mul(n, p, q, ctx), "n = p * q");
	switch (kind) {
	case TST_RSA_GOOD:
		break;
	case TST_RSA_GOOD_FAR:
	case TST_RSA_CLOSE_PRIMES:
		r = next_prime(p, kind == TST_RSA_GOOD_FAR ? 700 : 200, ctx);
		need(BN_mul(n, p, r, ctx), "n = p * r");
		break;
	case TST_RSA_E1:
		ev = 1;
		break;
	case TST_RSA_E3:
		ev = 3;
		break;
	case TST_RSA_E_EVEN:
		ev = 65536;
		break;
	case TST_RSA_E_65535:
		ev = 65535;
		break;
	case TST_RSA_N_EVEN:
		need(BN_add_word(n, 1), "n + 1");
		break;
	case TST_RSA_1024:
		need(BN_copy(n, p) != NULL, "n = p");
		break;
	case TST_RSA_SMALL_FACTOR:
		need(BN_mul_word(n, 16381), "n * 16381");
		break;
	case TST_RSA_SQUARE:
		need(BN_sqr(n, p, ctx), "n = p^2");
		break;
	case TST_RSA_COUNT:
		need(0, "kind");
	}
	need(BN_set_word(e, ev), "BN_set_word");
	bld = OSSL_PARAM_BLD_new();
	need(bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
	         (params = OSSL_PARAM_BLD_to_param(bld)) != NULL,
	     "params");
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	need(pctx && EVP_PKEY_fromdata_init(pctx) == 1 &&
	         EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1,
	     "EVP_PKEY_fromdata");
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(q);
	BN_free(n);
	BN_free(e);
	BN_free(r);
	BN_CTX_free(ctx);
	return pkey;
}

char *tst_rsa_pem(tst_rsa kind)
{
	EVP_PKEY *k = build(kind);
	BIO *b = BIO_new(BIO_s_mem());
	char *mem, *out;
	long n;

	need(b && PEM_write_bio_PUBKEY(b, k), "PEM_write_bio_PUBKEY");
	n = BIO_get_mem_data(b, &mem);
	out = malloc((size_t)n + 1);
	need(out != NULL, "malloc");
	memcpy(out, mem, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	EVP_PKEY_free(k);
	return out;
}

size_t tst_rsa_der(tst_rsa kind, unsigned char *out, size_t cap)
{
	EVP_PKEY *k = build(kind);
	int len = i2d_PUBKEY(k, NULL);
	unsigned char *p = out;

	need(len > 0 && (size_t)len <= cap && i2d_PUBKEY(k, &p) == len, "i2d_PUBKEY");
	EVP_PKEY_free(k);
	return (size_t)len;
}

void tst_rsa_write(tst_rsa kind, const char *path)
{
	char *pem = tst_rsa_pem(kind);
	FILE *f = fopen(path, "w");

	need(f && fputs(pem, f) >= 0, "write the key file");
	need(fclose(f) == 0, "close the key file");
	free(pem);
}

const char *tst_rsa_refusal(tst_rsa kind)
{
	static const char *const why[TST_RSA_COUNT] = {
	    [TST_RSA_E1] = "exponent is 1",
	    [TST_RSA_E3] = "exponent is 3",
	    [TST_RSA_E_EVEN] = "is even",
	    [TST_RSA_E_65535] = "exponent is 65535",
	    [TST_RSA_N_EVEN] = "modulus is even",
	    [TST_RSA_1024] = "1024 bits",
	    [TST_RSA_SMALL_FACTOR] = "small prime factor",
	    [TST_RSA_SQUARE] = "too close",
	    [TST_RSA_CLOSE_PRIMES] = "too close",
	};
	return (unsigned)kind < TST_RSA_COUNT ? why[kind] : NULL;
}

const char *tst_rsa_name(tst_rsa kind)
{
	static const char *const names[TST_RSA_COUNT] = {
	    [TST_RSA_GOOD] = "good",
	    [TST_RSA_GOOD_FAR] = "good, primes 2^700 apart",
	    [TST_RSA_E1] = "e=1",
	    [TST_RSA_E3] = "e=3",
	    [TST_RSA_E_EVEN] = "e=65536",
	    [TST_RSA_E_65535] = "e=65535",
	    [TST_RSA_N_EVEN] = "even modulus",
	    [TST_RSA_1024] = "1024-bit modulus",
	    [TST_RSA_SMALL_FACTOR] = "modulus with factor 16381",
	    [TST_RSA_SQUARE] = "square modulus",
	    [TST_RSA_CLOSE_PRIMES] = "primes 2^200 apart",
	};
	return (unsigned)kind < TST_RSA_COUNT ? names[kind] : "?";
}
