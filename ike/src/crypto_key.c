/* SPDX-License-Identifier: MIT */
/*
 * crypto_key.c - RSA keys: loading (PEM, DER, OpenSSH), generation, export,
 * files, and KEY_ID fingerprints as strongSwan computes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto_int.h"

#define RSA_MAX_BITS IKE_KEY_MAX_BITS
#define SMALL_PRIME_LIMIT 16384 /* no prime factor below this */
#define FERMAT_STEPS 64         /* finds p, q with |p - q| < ~2^(bits/4 + 4.5) */

struct ike_key {
	const ike_mem *mem;
	EVP_PKEY *pkey;
	bool priv;
};

EVP_PKEY *crypto_key_pkey(const ike_key *key)
{
	return key ? key->pkey : NULL;
}

void ike_key_free(ike_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	ike_mem_free(key->mem, key);
}

bool ike_key_is_private(const ike_key *key)
{
	return key && key->priv;
}

unsigned ike_key_bits(const ike_key *key)
{
	if (!key)
		return 0;
	int bits = EVP_PKEY_get_bits(key->pkey);
	return bits > 0 ? (unsigned)bits : 0;
}

bool ike_key_public_eq(const ike_key *a, const ike_key *b)
{
	if (!a || !b)
		return false;
	/* EVP_PKEY_eq compares the public components (and parameters). */
	return EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}

static bool pkey_has_private(const EVP_PKEY *pkey)
{
	BIGNUM *d = NULL;
	bool has = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &d) == 1 && d != NULL;
	BN_clear_free(d);
	return has;
}

/* Adopts pkey into a new ike_key; frees pkey on error. */
static int wrap_pkey(ike_key **out, const ike_mem *mem, EVP_PKEY *pkey)
{
	if (!EVP_PKEY_is_a(pkey, "RSA")) {
		EVP_PKEY_free(pkey);
		return IKE_ERR_UNSUPPORTED;
	}
	ike_key *k = ike_mem_calloc(mem, 1, sizeof *k);
	if (!k) {
		EVP_PKEY_free(pkey);
		return IKE_ERR_NOMEM;
	}
	k->mem = mem;
	k->pkey = pkey;
	k->priv = pkey_has_private(pkey);
	*out = k;
	return IKE_OK;
}

/* ---- public key checks ---- */

static void set_why(char *why, size_t cap, const char *fmt, ...) IKE_PRINTF(3, 4);

static void set_why(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (!why || !cap)
		return;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}

static BN_ULONG gcd_word(BN_ULONG a, BN_ULONG b)
{
	while (b) {
		BN_ULONG t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Whether gcd(n, w) > 1, through n mod w; -1 on failure. */
static int shares_factor(const BIGNUM *n, BN_ULONG w)
{
	BN_ULONG r = BN_mod_word(n, w);

	if (r == (BN_ULONG)-1)
		return -1;
	return gcd_word(w, r) != 1;
}

/* True when n has a prime factor below SMALL_PRIME_LIMIT (n itself is larger).
 * The odd primes are packed into word-sized products w and gcd(n mod w, w) is
 * taken per word: one BN_mod_word per four or five primes, about 0.2 ms for a
 * 2048-bit n. (One big gcd with the product of all the primes costs more:
 * OpenSSL's BN_gcd is constant-time.) *err on failure. */
static bool has_small_factor(const BIGNUM *n, bool *err)
{
	uint8_t composite[SMALL_PRIME_LIMIT / 16]; /* bit i: 2i + 1 is composite */
	BN_ULONG w = 1;
	int hit = 0;

	if (!BN_is_odd(n))
		return true;
	memset(composite, 0, sizeof composite);
	for (uint32_t i = 1; i < SMALL_PRIME_LIMIT / 2 && hit == 0; i++) {
		uint32_t p = 2 * i + 1;
		if (composite[i / 8] & (1u << (i % 8)))
			continue;
		for (uint32_t j = (p * p) / 2; j < SMALL_PRIME_LIMIT / 2; j += p)
			composite[j / 8] |= (uint8_t)(1u << (j % 8));
		if (w > (BN_ULONG)-1 / p) {
			hit = shares_factor(n, w);
			w = 1;
		}
		w *= p;
	}
	if (hit == 0 && w > 1)
		hit = shares_factor(n, w);
	if (hit < 0)
		*err = true;
	return hit > 0;
}

/* r = floor(sqrt(a)) for a >= 0, by Newton's method from above. */
static bool bn_isqrt(BIGNUM *r, const BIGNUM *a, BN_CTX *ctx)
{
	bool ok = false;

	if (BN_is_zero(a))
		return BN_zero(r), true;
	BN_CTX_start(ctx);
	BIGNUM *y = BN_CTX_get(ctx), *q = BN_CTX_get(ctx);
	/* 2^ceil(bits/2) > sqrt(a): the iteration then decreases to the root. */
	if (!y || !q || !BN_set_word(r, 0) || !BN_set_bit(r, (BN_num_bits(a) + 1) / 2))
		goto out;
	for (;;) {
		if (!BN_div(q, NULL, a, r, ctx) || !BN_add(y, r, q) || !BN_rshift1(y, y))
			goto out;
		if (BN_cmp(y, r) >= 0)
			break;
		if (!BN_copy(r, y))
			goto out;
	}
	ok = true;
out:
	BN_CTX_end(ctx);
	return ok;
}

/* True when a (>= 0) is a perfect square; *err on failure. A residue test modulo
 * 64 * 63 * 65 * 11 rules out more than 99% of non-squares before the root. */
static bool is_square(const BIGNUM *a, BN_CTX *ctx, bool *err)
{
	static const BN_ULONG mods[] = {64, 63, 65, 11};
	BN_ULONG m = 64 * 63 * 65 * 11, r = BN_mod_word(a, m);
	bool sq = true;

	if (r == (BN_ULONG)-1) {
		*err = true;
		return false;
	}
	for (size_t k = 0; k < sizeof mods / sizeof mods[0]; k++) {
		bool found = false;
		for (BN_ULONG x = 0; x < mods[k] && !found; x++)
			found = x * x % mods[k] == r % mods[k];
		if (!found)
			return false;
	}
	BN_CTX_start(ctx);
	BIGNUM *root = BN_CTX_get(ctx), *back = BN_CTX_get(ctx);
	if (!root || !back || !bn_isqrt(root, a, ctx) || !BN_sqr(back, root, ctx))
		*err = true, sq = false;
	else
		sq = BN_cmp(back, a) == 0;
	BN_CTX_end(ctx);
	return sq;
}

/* True when n = p * q falls to FERMAT_STEPS steps of Fermat's method (a perfect
 * square at the first step): a^2 - n = b^2 for a = ceil(sqrt(n)) + i. */
static bool fermat_factors(const BIGNUM *n, BN_CTX *ctx, bool *err)
{
	bool found = false;

	BN_CTX_start(ctx);
	BIGNUM *a = BN_CTX_get(ctx), *b2 = BN_CTX_get(ctx);
	if (!a || !b2 || !bn_isqrt(a, n, ctx) || !BN_sqr(b2, a, ctx)) {
		*err = true;
		goto out;
	}
	if (BN_cmp(b2, n) == 0) { /* n = a^2 */
		found = true;
		goto out;
	}
	if (!BN_add_word(a, 1))
		goto fail;
	for (int i = 0; i < FERMAT_STEPS && !found && !*err; i++) {
		if (!BN_sqr(b2, a, ctx) || !BN_sub(b2, b2, n) || !BN_add_word(a, 1))
			goto fail;
		found = is_square(b2, ctx, err);
	}
	goto out;
fail:
	*err = true;
out:
	BN_CTX_end(ctx);
	return found && !*err;
}

/* The structural checks (size, parity, exponent); n and e must be freed by the
 * caller, also on failure. */
static int check_shape(const ike_key *key, BIGNUM **n, BIGNUM **e, char *why, size_t cap)
{
	set_why(why, cap, "%s", "");
	if (!key)
		return IKE_ERR_INVAL;
	if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_E, e) != 1) {
		set_why(why, cap, "the key's modulus and exponent cannot be read");
		return IKE_ERR_CRYPTO;
	}
	int bits = BN_num_bits(*n);
	if (bits < IKE_KEY_MIN_BITS) {
		set_why(why, cap, "the modulus has %d bits (at least %d are needed)", bits, IKE_KEY_MIN_BITS);
		return IKE_ERR_WEAK_KEY;
	}
	if (bits > IKE_KEY_MAX_BITS) {
		set_why(why, cap, "the modulus has %d bits (at most %d are supported)", bits,
		        IKE_KEY_MAX_BITS);
		return IKE_ERR_WEAK_KEY;
	}
	if (!BN_is_odd(*n)) {
		set_why(why, cap, "the modulus is even, so it is not a product of two large primes");
		return IKE_ERR_WEAK_KEY;
	}
	if (!BN_is_odd(*e)) {
		char *dec = BN_num_bits(*e) <= 64 ? BN_bn2dec(*e) : NULL;
		set_why(why, cap, "the public exponent %s is even", dec ? dec : "(large)");
		OPENSSL_free(dec);
		return IKE_ERR_WEAK_KEY;
	}
	if (BN_num_bits(*e) <= 32 && BN_get_word(*e) < IKE_KEY_MIN_EXPONENT) {
		set_why(why, cap, "the public exponent is %lu (at least %d is needed%s)",
		        (unsigned long)BN_get_word(*e), IKE_KEY_MIN_EXPONENT,
		        BN_is_one(*e) ? ": with 1 anyone can forge signatures" : "");
		return IKE_ERR_WEAK_KEY;
	}
	if (BN_cmp(*e, *n) >= 0) {
		set_why(why, cap, "the public exponent is not smaller than the modulus");
		return IKE_ERR_WEAK_KEY;
	}
	return IKE_OK;
}

int ike_key_check_shape(const ike_key *key, char *why, size_t cap)
{
	BIGNUM *n = NULL, *e = NULL;
	int rc = check_shape(key, &n, &e, why, cap);

	BN_free(n);
	BN_free(e);
	return rc;
}

int ike_key_check_public(const ike_key *key, char *why, size_t cap)
{
	BIGNUM *n = NULL, *e = NULL;
	BN_CTX *ctx = NULL;
	bool err = false;
	int rc = check_shape(key, &n, &e, why, cap);

	if (rc != IKE_OK)
		goto out;
	rc = IKE_ERR_WEAK_KEY;
	if (has_small_factor(n, &err)) {
		set_why(why, cap, "the modulus has a small prime factor (below %d)", SMALL_PRIME_LIMIT);
		goto out;
	}
	if (!err && !(ctx = BN_CTX_new())) {
		rc = IKE_ERR_NOMEM;
		goto out;
	}
	if (!err && fermat_factors(n, ctx, &err)) {
		set_why(why, cap, "the modulus is a square or its two primes are too close together");
		goto out;
	}
	if (err) {
		set_why(why, cap, "the modulus cannot be checked");
		rc = IKE_ERR_CRYPTO;
		goto out;
	}
	rc = IKE_OK;
out:
	BN_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	return rc;
}

/* ---- base64 (RFC 4648), bounds-checked, without ctype.h ---- */

static int b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes len chars of canonical padded base64 into out (cap bytes). */
static int b64_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t o = 0;

	if (len == 0 || len % 4 != 0)
		return IKE_ERR_MALFORMED;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		size_t pad = 0;
		for (size_t j = 0; j < 4; j++) {
			if (in[i + j] == '=') {
				/* Padding only in the last quantum, only in its last two places. */
				if (i + 4 != len || j < 2)
					return IKE_ERR_MALFORMED;
				pad++;
				v[j] = 0;
				continue;
			}
			if (pad)
				return IKE_ERR_MALFORMED;
			v[j] = b64_value(in[i + j]);
			if (v[j] < 0)
				return IKE_ERR_MALFORMED;
		}
		uint32_t w =
		    (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		size_t n = 3 - pad;
		if (cap - o < n)
			return IKE_ERR_MALFORMED;
		out[o++] = (uint8_t)(w >> 16);
		if (n > 1)
			out[o++] = (uint8_t)(w >> 8);
		if (n > 2)
			out[o++] = (uint8_t)w;
	}
	*out_len = o;
	return IKE_OK;
}

static size_t b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

static void b64_encode(const uint8_t *in, size_t n, char *out)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			w |= in[i + 2];
		out[o++] = tbl[w >> 18 & 63];
		out[o++] = tbl[w >> 12 & 63];
		out[o++] = i + 1 < n ? tbl[w >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tbl[w & 63] : '=';
	}
}

/* ---- OpenSSH "ssh-rsa" public keys (RFC 4253 6.6) ---- */

/* Reads an SSH string (uint32 length | bytes) from the blob. */
static bool ssh_string(ike_slice *blob, ike_slice *s)
{
	if (blob->len < 4)
		return false;
	uint32_t n = (uint32_t)blob->ptr[0] << 24 | (uint32_t)blob->ptr[1] << 16 |
	             (uint32_t)blob->ptr[2] << 8 | blob->ptr[3];
	if (n > blob->len - 4)
		return false;
	*s = IKE_SLICE(blob->ptr + 4, n);
	blob->ptr += 4 + n;
	blob->len -= 4 + n;
	return true;
}

/* An SSH mpint that must be positive and minimally encoded (RFC 4251 5). */
static BIGNUM *ssh_mpint_positive(ike_slice *blob)
{
	ike_slice s;
	if (!ssh_string(blob, &s) || s.len == 0 || s.len > RSA_MAX_BITS / 8 + 1)
		return NULL;
	if (s.ptr[0] & 0x80)
		return NULL; /* negative */
	if (s.ptr[0] == 0 && (s.len == 1 || !(s.ptr[1] & 0x80)))
		return NULL; /* not minimal, or zero */
	return BN_bin2bn(s.ptr, (int)s.len, NULL);
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static int load_ssh(ike_key **out, const ike_mem *mem, ike_slice data)
{
	static const char prefix[] = "ssh-rsa";
	const uint8_t *p = data.ptr;
	size_t left = data.len, plen = sizeof prefix - 1;
	uint8_t *blob_buf = NULL;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int rc = IKE_ERR_MALFORMED;

	if (left < plen + 1 || memcmp(p, prefix, plen) != 0 || !is_space(p[plen]))
		return IKE_ERR_MALFORMED;
	p += plen, left -= plen;
	while (left && is_space(*p))
		p++, left--;
	size_t b64_len = 0;
	while (b64_len < left && !is_space(p[b64_len]) && p[b64_len] != '\n' && p[b64_len] != '\r')
		b64_len++;
	/* The rest of the line is the comment; after it only line ends and blanks. */
	size_t rest = b64_len;
	while (rest < left && p[rest] != '\n')
		rest++;
	for (size_t i = rest; i < left; i++)
		if (!is_space(p[i]) && p[i] != '\n' && p[i] != '\r')
			return IKE_ERR_MALFORMED;

	size_t cap = b64_len / 4 * 3, blob_len = 0;
	if (cap == 0 || cap > 4 * RSA_MAX_BITS / 8)
		return IKE_ERR_MALFORMED;
	blob_buf = ike_mem_malloc(mem, cap);
	if (!blob_buf)
		return IKE_ERR_NOMEM;
	rc = b64_decode(p, b64_len, blob_buf, cap, &blob_len);
	if (rc != IKE_OK)
		goto out;
	rc = IKE_ERR_MALFORMED;
	ike_slice blob = IKE_SLICE(blob_buf, blob_len), type;
	if (!ssh_string(&blob, &type) || type.len != plen || memcmp(type.ptr, prefix, plen) != 0)
		goto out;
	e = ssh_mpint_positive(&blob);
	n = ssh_mpint_positive(&blob);
	if (!e || !n || blob.len != 0)
		goto out;
	/* Only the size is checked here, as the PEM and DER decoders do: whether the
	 * values make a trustworthy key is ike_key_check_public()'s job, which then
	 * says what is wrong with it instead of a bare "malformed". */
	if (BN_num_bits(n) > RSA_MAX_BITS)
		goto out;
	rc = IKE_ERR_NOMEM;
	bld = OSSL_PARAM_BLD_new();
	if (!bld || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)))
		goto out;
	rc = IKE_ERR_CRYPTO;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	rc = wrap_pkey(out, mem, pkey);
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	ike_mem_free(mem, blob_buf);
	return rc;
}

/* ---- PEM / DER through OSSL_DECODER ---- */

static bool contains(ike_slice hay, const char *needle)
{
	size_t n = strlen(needle);
	if (hay.len < n)
		return false;
	for (size_t i = 0; i + n <= hay.len; i++)
		if (memcmp(hay.ptr + i, needle, n) == 0)
			return true;
	return false;
}

static EVP_PKEY *decode(ike_slice data, const char *input_type, const char *keytype)
{
	EVP_PKEY *pkey = NULL;
	/* selection 0: whatever the input holds, private key pair or public key. */
	OSSL_DECODER_CTX *dctx =
	    OSSL_DECODER_CTX_new_for_pkey(&pkey, input_type, NULL, keytype, 0, NULL, NULL);
	if (!dctx)
		return NULL;
	const unsigned char *p = data.ptr;
	size_t left = data.len;
	int ok = OSSL_DECODER_from_data(dctx, &p, &left);
	OSSL_DECODER_CTX_free(dctx);
	if (ok != 1) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

static int load_decoder(ike_key **out, const ike_mem *mem, ike_slice data, const char *input_type)
{
	/* RSA first: a bare DER SEQUENCE of two INTEGERs (PKCS#1 RSAPublicKey) would
	 * otherwise also decode as DH parameters. */
	EVP_PKEY *pkey = decode(data, input_type, "RSA");
	if (pkey)
		return wrap_pkey(out, mem, pkey);
	pkey = decode(data, input_type, NULL);
	if (!pkey)
		return IKE_ERR_MALFORMED;
	EVP_PKEY_free(pkey);
	return IKE_ERR_UNSUPPORTED; /* a valid key, but not RSA */
}

int ike_key_load(ike_key **out, const ike_mem *mem, ike_slice data)
{
	if (!out)
		return IKE_ERR_INVAL;
	*out = NULL;
	if (!data.ptr || !data.len)
		return IKE_ERR_INVAL;
	size_t skip = 0;
	while (skip < data.len &&
	       (is_space(data.ptr[skip]) || data.ptr[skip] == '\n' || data.ptr[skip] == '\r'))
		skip++;
	ike_slice body = IKE_SLICE(data.ptr + skip, data.len - skip);
	if (body.len == 0)
		return IKE_ERR_MALFORMED;
	if (data.ptr[0] == 0x30) /* DER SEQUENCE */
		return load_decoder(out, mem, data, "DER");
	if (body.len >= 8 && memcmp(body.ptr, "ssh-rsa", 7) == 0)
		return load_ssh(out, mem, body);
	if (contains(body, "-----BEGIN ")) {
		/* No passphrase prompts: encrypted keys are refused outright. */
		if (contains(body, "ENCRYPTED"))
			return IKE_ERR_UNSUPPORTED;
		return load_decoder(out, mem, body, "PEM");
	}
	if (body.len >= 4 && memcmp(body.ptr, "ssh-", 4) == 0)
		return IKE_ERR_UNSUPPORTED; /* ssh-ed25519, ecdsa-sha2-...: not RSA */
	return IKE_ERR_MALFORMED;
}

const char *ike_key_load_error(int rc, int err, const char *malformed)
{
	if (rc == IKE_ERR_IO)
		return err == ENOENT   ? "no such file"
		       : err == EACCES ? "no permission to read it"
		       : err == EISDIR ? "a directory, not a key file"
		                       : strerror(err);
	if (rc == IKE_ERR_LIMIT)
		return "too large for a key file (more than 64 KiB)";
	if (rc == IKE_ERR_MALFORMED)
		return malformed;
	if (rc == IKE_ERR_UNSUPPORTED)
		return "not an RSA key (or an encrypted one)";
	return ike_strerror(rc);
}

int ike_key_load_file(ike_key **out, const ike_mem *mem, const char *path)
{
	if (!out)
		return IKE_ERR_INVAL;
	*out = NULL;
	if (!path)
		return IKE_ERR_INVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return IKE_ERR_IO;
	size_t cap = IKE_KEY_FILE_MAX + 1, len = 0;
	uint8_t *buf = ike_mem_malloc(mem, cap);
	int rc = IKE_OK;
	if (!buf) {
		close(fd);
		return IKE_ERR_NOMEM;
	}
	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = IKE_ERR_IO;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	int saved = errno;
	close(fd);
	if (rc == IKE_OK && len > IKE_KEY_FILE_MAX)
		rc = IKE_ERR_LIMIT;
	if (rc == IKE_OK && len == 0)
		rc = IKE_ERR_MALFORMED;
	if (rc == IKE_OK)
		rc = ike_key_load(out, mem, IKE_SLICE(buf, len));
	ike_mem_freezero(mem, buf, cap);
	if (rc == IKE_ERR_IO)
		errno = saved;
	return rc;
}

int ike_key_generate(ike_key **out, const ike_mem *mem, unsigned bits)
{
	if (!out)
		return IKE_ERR_INVAL;
	*out = NULL;
	if (bits < IKE_KEY_MIN_BITS || bits > RSA_MAX_BITS)
		return IKE_ERR_INVAL;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	size_t b = bits;
	OSSL_PARAM params[2] = {OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &b),
	                        OSSL_PARAM_construct_end()};
	int ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_params(ctx, params) == 1 &&
	         EVP_PKEY_generate(ctx, &pkey) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		EVP_PKEY_free(pkey);
		return IKE_ERR_CRYPTO;
	}
	return wrap_pkey(out, mem, pkey);
}

int ike_key_public_copy(const ike_key *key, ike_key **out)
{
	uint8_t *der = NULL;
	size_t len = 0;

	if (!out)
		return IKE_ERR_INVAL;
	*out = NULL;
	if (!key)
		return IKE_ERR_INVAL;
	int rc = ike_key_public_der(key, IKE_KEY_PUB_SPKI, NULL, 0, &len);
	if (rc != IKE_OK)
		return rc;
	der = ike_mem_malloc(key->mem, len);
	if (!der)
		return IKE_ERR_NOMEM;
	rc = ike_key_public_der(key, IKE_KEY_PUB_SPKI, der, len, &len);
	if (rc == IKE_OK)
		rc = ike_key_load(out, key->mem, IKE_SLICE(der, len));
	ike_mem_free(key->mem, der);
	return rc;
}

/* Encodes the key with OSSL_ENCODER into an OPENSSL_malloc'd buffer. */
static int encode(const ike_key *key, int selection, const char *type, const char *structure, uint8_t **data,
                  size_t *len)
{
	*data = NULL;
	*len = 0;
	OSSL_ENCODER_CTX *ectx = OSSL_ENCODER_CTX_new_for_pkey(key->pkey, selection, type, structure, NULL);
	if (!ectx)
		return IKE_ERR_NOMEM;
	int ok = OSSL_ENCODER_CTX_get_num_encoders(ectx) > 0 && OSSL_ENCODER_to_data(ectx, data, len) == 1;
	OSSL_ENCODER_CTX_free(ectx);
	if (!ok) {
		OPENSSL_free(*data);
		*data = NULL;
		return IKE_ERR_CRYPTO;
	}
	return IKE_OK;
}

/* Copies src into out (cap) or reports the size needed; adds a NUL when text. */
static int copy_out(const uint8_t *src, size_t n, void *out, size_t cap, size_t *len, bool text)
{
	*len = n;
	if (!out)
		return IKE_OK;
	if (cap < n + (text ? 1 : 0))
		return IKE_ERR_NOBUF;
	memcpy(out, src, n);
	if (text)
		((char *)out)[n] = '\0';
	return IKE_OK;
}

int ike_key_public_der(const ike_key *key, ike_key_pub_form form, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t *der;
	size_t n;

	if (!key || !len || (form != IKE_KEY_PUB_PKCS1 && form != IKE_KEY_PUB_SPKI))
		return IKE_ERR_INVAL;
	/* "type-specific" for RSA public keys is the PKCS#1 RSAPublicKey. */
	int rc = encode(key, EVP_PKEY_PUBLIC_KEY, "DER",
	                form == IKE_KEY_PUB_PKCS1 ? "type-specific" : "SubjectPublicKeyInfo", &der, &n);
	if (rc != IKE_OK)
		return rc;
	rc = copy_out(der, n, out, cap, len, false);
	OPENSSL_free(der);
	return rc;
}

int ike_key_public_pem(const ike_key *key, char *out, size_t cap, size_t *len)
{
	uint8_t *pem;
	size_t n;

	if (!key || !len)
		return IKE_ERR_INVAL;
	int rc = encode(key, EVP_PKEY_PUBLIC_KEY, "PEM", "SubjectPublicKeyInfo", &pem, &n);
	if (rc != IKE_OK)
		return rc;
	rc = copy_out(pem, n, out, cap, len, true);
	OPENSSL_free(pem);
	return rc;
}

/* Appends an SSH string / mpint to w (which has room, sized by the caller). */
static size_t put_ssh_string(uint8_t *w, const uint8_t *s, size_t n)
{
	w[0] = (uint8_t)(n >> 24), w[1] = (uint8_t)(n >> 16), w[2] = (uint8_t)(n >> 8), w[3] = (uint8_t)n;
	memcpy(w + 4, s, n);
	return 4 + n;
}

static size_t put_ssh_mpint(uint8_t *w, const BIGNUM *bn)
{
	uint8_t tmp[RSA_MAX_BITS / 8 + 1];
	int n = BN_bn2bin(bn, tmp + 1);
	tmp[0] = 0;
	/* A leading zero byte keeps a set high bit from reading as negative. */
	bool lead = n > 0 && (tmp[1] & 0x80);
	return put_ssh_string(w, lead ? tmp : tmp + 1, (size_t)n + (lead ? 1u : 0u));
}

int ike_key_public_ssh(const ike_key *key, const char *comment, char *out, size_t cap, size_t *len)
{
	BIGNUM *n = NULL, *e = NULL;
	uint8_t *blob = NULL;
	int rc = IKE_ERR_CRYPTO;

	if (!key || !len)
		return IKE_ERR_INVAL;
	size_t clen = comment ? strlen(comment) : 0;
	for (size_t i = 0; i < clen; i++)
		if (comment[i] == '\n' || comment[i] == '\r')
			return IKE_ERR_INVAL;
	if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
	    BN_num_bytes(n) > RSA_MAX_BITS / 8 || BN_num_bytes(e) > RSA_MAX_BITS / 8)
		goto out;
	size_t cap_blob = 4 + 7 + 4 + 1 + (size_t)BN_num_bytes(e) + 4 + 1 + (size_t)BN_num_bytes(n);
	blob = ike_mem_malloc(key->mem, cap_blob);
	if (!blob) {
		rc = IKE_ERR_NOMEM;
		goto out;
	}
	size_t bl = put_ssh_string(blob, (const uint8_t *)"ssh-rsa", 7);
	bl += put_ssh_mpint(blob + bl, e);
	bl += put_ssh_mpint(blob + bl, n);
	size_t need = 8 + b64_encoded_len(bl) + (clen ? 1 + clen : 0) + 1;
	*len = need;
	rc = IKE_OK;
	if (!out)
		goto out;
	if (cap < need + 1) {
		rc = IKE_ERR_NOBUF;
		goto out;
	}
	memcpy(out, "ssh-rsa ", 8);
	b64_encode(blob, bl, out + 8);
	size_t o = 8 + b64_encoded_len(bl);
	if (clen) {
		out[o++] = ' ';
		memcpy(out + o, comment, clen);
		o += clen;
	}
	out[o++] = '\n';
	out[o] = '\0';
out:
	ike_mem_free(key->mem, blob);
	BN_free(n);
	BN_free(e);
	return rc;
}

int ike_key_private_pem(const ike_key *key, const ike_mem *mem, char **out, size_t *len)
{
	uint8_t *pem;
	size_t n;

	if (!out || !len)
		return IKE_ERR_INVAL;
	*out = NULL;
	*len = 0;
	if (!key || !key->priv)
		return IKE_ERR_INVAL;
	int rc = encode(key, EVP_PKEY_KEYPAIR, "PEM", "PrivateKeyInfo", &pem, &n);
	if (rc != IKE_OK)
		return rc;
	char *buf = ike_mem_malloc(mem, n + 1);
	if (!buf) {
		OPENSSL_clear_free(pem, n);
		return IKE_ERR_NOMEM;
	}
	memcpy(buf, pem, n);
	buf[n] = '\0';
	OPENSSL_clear_free(pem, n);
	*out = buf;
	*len = n;
	return IKE_OK;
}

/* Creates path exclusively with mode (fchmod'ed: no umask influence) and writes data. */
static int write_new_file(const char *path, mode_t mode, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return errno == EEXIST ? IKE_ERR_EXISTS : IKE_ERR_IO;
	int rc = IKE_OK;
	if (fchmod(fd, mode) != 0)
		rc = IKE_ERR_IO;
	size_t done = 0;
	while (rc == IKE_OK && done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = IKE_ERR_IO;
			break;
		}
		done += (size_t)n;
	}
	if (rc == IKE_OK && fsync(fd) != 0)
		rc = IKE_ERR_IO;
	int saved = errno;
	if (close(fd) != 0 && rc == IKE_OK) {
		saved = errno;
		rc = IKE_ERR_IO;
	}
	if (rc != IKE_OK) {
		unlink(path);
		errno = saved;
	}
	return rc;
}

int ike_key_write_private_file(const ike_key *key, const ike_mem *mem, const char *path)
{
	char *pem;
	size_t len;

	if (!key || !path)
		return IKE_ERR_INVAL;
	int rc = ike_key_private_pem(key, mem, &pem, &len);
	if (rc != IKE_OK)
		return rc;
	rc = write_new_file(path, 0600, pem, len);
	ike_mem_freezero(mem, pem, len + 1);
	return rc;
}

int ike_key_write_public_file(const ike_key *key, const char *path)
{
	uint8_t *pem;
	size_t len;

	if (!key || !path)
		return IKE_ERR_INVAL;
	int rc = encode(key, EVP_PKEY_PUBLIC_KEY, "PEM", "SubjectPublicKeyInfo", &pem, &len);
	if (rc != IKE_OK)
		return rc;
	rc = write_new_file(path, 0644, (const char *)pem, len);
	OPENSSL_free(pem);
	return rc;
}

/* ---- KEY_ID ---- */

int ike_key_keyid(const ike_key *key, ike_keyid_form form, uint8_t out[IKE_KEYID_LEN])
{
	uint8_t *der;
	size_t n;

	if (!key || !out || (form != IKE_KEYID_SPK && form != IKE_KEYID_SPKI))
		return IKE_ERR_INVAL;
	int rc = encode(key, EVP_PKEY_PUBLIC_KEY, "DER",
	                form == IKE_KEYID_SPK ? "type-specific" : "SubjectPublicKeyInfo", &der, &n);
	if (rc != IKE_OK)
		return rc;
	ike_slice part = IKE_SLICE(der, n);
	rc = ike_hash(IKE_HASH_SHA1, &part, 1, out, IKE_KEYID_LEN, NULL);
	OPENSSL_free(der);
	return rc;
}

int ike_key_id(const ike_key *key, ike_keyid_form form, ike_id *id)
{
	if (!id)
		return IKE_ERR_INVAL;
	memset(id, 0, sizeof *id);
	int rc = ike_key_keyid(key, form, id->data);
	if (rc != IKE_OK)
		return rc;
	id->type = IKE_ID_KEY_ID;
	id->len = IKE_KEYID_LEN;
	return IKE_OK;
}

bool ike_key_matches_id(const ike_key *key, const ike_id *id)
{
	uint8_t kid[IKE_KEYID_LEN];

	if (!key || !id || id->type != IKE_ID_KEY_ID || id->len != IKE_KEYID_LEN)
		return false;
	if (ike_key_keyid(key, IKE_KEYID_SPK, kid) == IKE_OK && memcmp(kid, id->data, IKE_KEYID_LEN) == 0)
		return true;
	if (ike_key_keyid(key, IKE_KEYID_SPKI, kid) == IKE_OK && memcmp(kid, id->data, IKE_KEYID_LEN) == 0)
		return true;
	return false;
}
