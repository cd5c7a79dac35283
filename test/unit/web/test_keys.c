/* SPDX-License-Identifier: MIT */
/* Public key parsing and KEY_IDs: PEM (SPKI and PKCS#1), OpenSSH ssh-rsa, refusals. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "tst_keys.h"

static char *pem_of(EVP_PKEY *k, const char *structure)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *mem, *out;
	long n;
	OSSL_ENCODER_CTX *ectx;

	(void)ectx;
	if (strcmp(structure, "spki") == 0) {
		cr_assert(PEM_write_bio_PUBKEY(b, k));
	} else {
		/* PKCS#1 "RSA PUBLIC KEY" via the OpenSSL 3 encoder. */
		OSSL_ENCODER_CTX *e =
		    OSSL_ENCODER_CTX_new_for_pkey(k, EVP_PKEY_PUBLIC_KEY, "PEM", "type-specific", NULL);
		cr_assert(e && OSSL_ENCODER_to_bio(e, b));
		OSSL_ENCODER_CTX_free(e);
	}
	n = BIO_get_mem_data(b, &mem);
	out = malloc((size_t)n + 1);
	memcpy(out, mem, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	return out;
}

static void put_u32(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Builds "ssh-rsa <base64>" (RFC 4253 6.6) from the key's n and e. */
static char *ssh_line_of(EVP_PKEY *k)
{
	BIGNUM *n = NULL, *e = NULL;
	unsigned char blob[1024], *p = blob;
	char *out;
	size_t len;

	cr_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n));
	cr_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e));
	put_u32(p, 7);
	memcpy(p + 4, "ssh-rsa", 7);
	p += 11;
	/* mpints: a leading zero byte when the top bit is set */
	size_t el = (size_t)BN_num_bytes(e), nl = (size_t)BN_num_bytes(n);
	put_u32(p, el);
	BN_bn2bin(e, p + 4);
	p += 4 + el;
	put_u32(p, nl + 1);
	p[4] = 0;
	BN_bn2bin(n, p + 5);
	p += 5 + nl;
	len = (size_t)(p - blob);
	out = malloc(8 + 4 * ((len + 2) / 3) + 16);
	strcpy(out, "ssh-rsa ");
	EVP_EncodeBlock((unsigned char *)out + 8, blob, (int)len);
	strcat(out, " user@host\n");
	BN_free(n);
	BN_free(e);
	return out;
}

static void spk_keyid(EVP_PKEY *k, char out[41])
{
	/* SHA-1 over the DER RSAPublicKey, computed independently of keys.c. */
	OSSL_ENCODER_CTX *e =
	    OSSL_ENCODER_CTX_new_for_pkey(k, EVP_PKEY_PUBLIC_KEY, "DER", "type-specific", NULL);
	unsigned char *der = NULL, md[20];
	size_t len = 0;

	cr_assert(e && OSSL_ENCODER_to_data(e, &der, &len));
	SHA1(der, len, md);
	for (int i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	OPENSSL_free(der);
	OSSL_ENCODER_CTX_free(e);
}

Test(web_keys, same_keyid_from_spki_pkcs1_and_ssh_forms)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	char *spki = pem_of(k, "spki"), *pkcs1 = pem_of(k, "pkcs1"), *ssh = ssh_line_of(k), want[41];
	web__pubkey a, b, c;
	const char *why = NULL;

	spk_keyid(k, want);
	cr_assert(eq(int, web__pubkey_parse(spki, &a, &why), IKE_OK));
	cr_assert(eq(int, web__pubkey_parse(pkcs1, &b, &why), IKE_OK), "%s", why);
	cr_assert(eq(int, web__pubkey_parse(ssh, &c, &why), IKE_OK), "%s", why);
	cr_assert(eq(str, a.keyid, want));
	cr_assert(eq(str, b.keyid, want));
	cr_assert(eq(str, c.keyid, want));
	cr_assert(eq(str, a.keyid_spki, c.keyid_spki));
	cr_assert(eq(u32, a.bits, 2048));
	cr_assert(eq(sz, strlen(a.keyid_pretty), 59));
	cr_assert(eq(int, a.keyid_pretty[2], ':'));
	web__pubkey_clear(&a);
	web__pubkey_clear(&b);
	web__pubkey_clear(&c);
	free(spki);
	free(pkcs1);
	free(ssh);
	EVP_PKEY_free(k);
}

Test(web_keys, refuses_weak_rsa_and_non_rsa_keys)
{
	EVP_PKEY *weak = EVP_RSA_gen(1024), *ec = EVP_EC_gen("P-256");
	char *w = pem_of(weak, "spki"), *e = pem_of(ec, "spki");
	web__pubkey k;
	const char *why = NULL;

	cr_assert(eq(int, web__pubkey_parse(w, &k, &why), IKE_ERR_POLICY));
	cr_assert(not(eq(ptr, strstr(why, "2048"), NULL)));
	cr_assert(eq(int, web__pubkey_parse(e, &k, &why), IKE_ERR_UNSUPPORTED));
	cr_assert(eq(int, web__pubkey_parse("ssh-ed25519 AAAAC3Nza", &k, &why), IKE_ERR_UNSUPPORTED));
	free(w);
	free(e);
	EVP_PKEY_free(weak);
	EVP_PKEY_free(ec);
}

Test(web_keys, refuses_garbage_and_truncated_ssh_lines)
{
	web__pubkey k;
	const char *why = NULL;

	cr_assert(eq(int, web__pubkey_parse("hello", &k, &why), IKE_ERR_MALFORMED));
	cr_assert(eq(int, web__pubkey_parse("ssh-rsa AAAA", &k, &why), IKE_ERR_MALFORMED));
	cr_assert(eq(int, web__pubkey_parse("ssh-rsa !!!!", &k, &why), IKE_ERR_MALFORMED));
	cr_assert(eq(
	    int, web__pubkey_parse("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", &k, &why),
	    IKE_ERR_MALFORMED));
	cr_assert(
	    eq(int,
	       web__pubkey_parse("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", &k, &why),
	       IKE_ERR_MALFORMED));
}

Test(web_keys, normalizes_typed_keyids)
{
	char out[41];

	cr_assert(eq(int,
	             web__keyid_normalize("E4:A4:5A:B0:C3:FA:5C:F3:EB:28:CB:BE:C9:55:B0:31:D8:F3:AB:9B", out),
	             IKE_OK));
	cr_assert(eq(str, out, "e4a45ab0c3fa5cf3eb28cbbec955b031d8f3ab9b"));
	cr_assert(eq(int, web__keyid_normalize("e4a45ab0", out), IKE_ERR_MALFORMED));
	cr_assert(eq(int, web__keyid_normalize("g4a45ab0c3fa5cf3eb28cbbec955b031d8f3ab9b", out),
	             IKE_ERR_MALFORMED));
	cr_assert(eq(int, web__keyid_normalize("e4a45ab0c3fa5cf3eb28cbbec955b031d8f3ab9b00", out),
	             IKE_ERR_MALFORMED));
}

Test(web_keys, refuses_ssh_rsa_with_an_unusable_exponent)
{
	/* "ssh-rsa", e = 1, n = 0x01 followed by 256 zero bytes and a final 0x01 (odd). */
	unsigned char blob[4 + 7 + 4 + 3 + 4 + 258];
	char line[600];
	web__pubkey k;
	const char *why = NULL;
	size_t o = 0;

	memcpy(blob, "\0\0\0\7ssh-rsa", 11);
	o = 11;
	memcpy(blob + o, "\0\0\0\1\1", 5);
	o += 5;
	memcpy(blob + o, "\0\0\1\2", 4);
	o += 4;
	memset(blob + o, 0, 258);
	blob[o] = 0x01;
	blob[o + 257] = 0x01;
	o += 258;
	strcpy(line, "ssh-rsa ");
	EVP_EncodeBlock((unsigned char *)line + 8, blob, (int)o);
	cr_assert(eq(int, web__pubkey_parse(line, &k, &why), IKE_ERR_POLICY));
	cr_assert(strstr(why, "exponent is 1") != NULL, "%s", why);
	/* The same with e = 65537 parses, but n = 2^2056 + 1 is divisible by 257. */
	memmove(blob + 18, blob + 16, 4 + 258);
	memcpy(blob + 11, "\0\0\0\3\1\0\1", 7);
	strcpy(line, "ssh-rsa ");
	EVP_EncodeBlock((unsigned char *)line + 8, blob, (int)o + 2);
	cr_assert(eq(int, web__pubkey_parse(line, &k, &why), IKE_ERR_POLICY));
	cr_assert(strstr(why, "small prime factor") != NULL, "%s", why);
}

/* A pasted key is checked like every key that enters: each flaw refused with its
 * reason; the sound fixture key accepted. */
Test(web_keys, refuses_pasted_keys_with_weak_values, .timeout = 60)
{
	web__pubkey k;
	const char *why = NULL;
	char *pem;

	for (int kind = TST_RSA_WEAK_FIRST; kind < TST_RSA_COUNT; kind++) {
		pem = tst_rsa_pem((tst_rsa)kind);
		cr_assert(eq(int, web__pubkey_parse(pem, &k, &why), IKE_ERR_POLICY), "%s",
		          tst_rsa_name((tst_rsa)kind));
		cr_assert(strstr(why, "This RSA key is refused: ") == why, "%s", why);
		cr_assert(strstr(why, tst_rsa_refusal((tst_rsa)kind)) != NULL, "%s: %s",
		          tst_rsa_name((tst_rsa)kind), why);
		free(pem);
	}
	pem = tst_rsa_pem(TST_RSA_GOOD);
	cr_assert(eq(int, web__pubkey_parse(pem, &k, &why), IKE_OK), "%s", why);
	cr_assert(eq(u32, k.bits, 2048));
	web__pubkey_clear(&k);
	free(pem);
}

Test(web_keys, refuses_a_pasted_private_key)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	BIO *b = BIO_new(BIO_s_mem());
	char *mem, *pem;
	long n;
	web__pubkey out;
	const char *why = NULL;

	cr_assert(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL));
	n = BIO_get_mem_data(b, &mem);
	pem = calloc(1, (size_t)n + 1);
	memcpy(pem, mem, (size_t)n);
	cr_assert(eq(int, web__pubkey_parse(pem, &out, &why), IKE_ERR_POLICY));
	cr_assert(not(eq(ptr, strstr(why, "private key"), NULL)), "%s", why);
	free(pem);
	BIO_free(b);
	EVP_PKEY_free(k);
}
