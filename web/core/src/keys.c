/* SPDX-License-Identifier: MIT */
/* web/core/src/keys.c - RSA public key parsing, KEY_IDs, device key generation. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "keys.h"

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void web__keyid_pretty(const char *hex, char out[60])
{
	size_t o = 0;

	for (size_t i = 0; hex[i] && hex[i + 1] && o + 3 < 60; i += 2) {
		if (o)
			out[o++] = ':';
		out[o++] = hex[i];
		out[o++] = hex[i + 1];
	}
	out[o] = '\0';
}

int web__keyid_normalize(const char *text, char out[41])
{
	size_t o = 0;

	for (const char *p = text; *p; p++) {
		char c = *p;

		if (c == ':' || c == ' ')
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || o >= 40)
			return IKE_ERR_MALFORMED;
		out[o++] = c;
	}
	if (o != 40)
		return IKE_ERR_MALFORMED;
	out[40] = '\0';
	return IKE_OK;
}

void web__pubkey_clear(web__pubkey *k)
{
	if (!k)
		return;
	free(k->pem);
	free(k->der);
	memset(k, 0, sizeof *k);
}

/* Reads one SSH wire string (uint32 length + bytes) from [*p, end). */
static bool ssh_string(const unsigned char **p, const unsigned char *end, const unsigned char **s,
                       size_t *len)
{
	size_t left = (size_t)(end - *p), n;

	if (left < 4)
		return false;
	n = (size_t)(*p)[0] << 24 | (size_t)(*p)[1] << 16 | (size_t)(*p)[2] << 8 | (*p)[3];
	if (n > left - 4)
		return false;
	*s = *p + 4;
	*len = n;
	*p += 4 + n;
	return true;
}

/* RFC 4253 6.6: "ssh-rsa" string, mpint e, mpint n; base64 in an OpenSSH line. */
static EVP_PKEY *parse_ssh_rsa(const char *text)
{
	const char *b64 = text + 7, *end;
	unsigned char *raw = NULL;
	const unsigned char *p, *rend, *s, *e, *n;
	size_t b64len, sl, el, nl;
	int rawlen;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *bn_e = NULL, *bn_n = NULL;

	while (*b64 == ' ' || *b64 == '\t')
		b64++;
	end = b64;
	while (*end && *end != ' ' && *end != '\t' && *end != '\r' && *end != '\n')
		end++;
	b64len = (size_t)(end - b64);
	if (b64len == 0 || b64len % 4 || b64len > 4096)
		return NULL;
	raw = malloc(b64len);
	if (!raw)
		return NULL;
	rawlen = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)b64len);
	if (rawlen < 0)
		goto out;
	if (end[-1] == '=')
		rawlen--;
	if (end[-2] == '=')
		rawlen--;
	p = raw;
	rend = raw + rawlen;
	if (!ssh_string(&p, rend, &s, &sl) || sl != 7 || memcmp(s, "ssh-rsa", 7) != 0 ||
	    !ssh_string(&p, rend, &e, &el) || !ssh_string(&p, rend, &n, &nl) || p != rend)
		goto out;
	/* Non-negative mpints only, and a usable RSA key: e odd and at least 3, n odd. */
	if (el == 0 || nl == 0 || (e[0] & 0x80) || (n[0] & 0x80) || el > 16 || nl > 2048)
		goto out;
	bn_e = BN_bin2bn(e, (int)el, NULL);
	bn_n = BN_bin2bn(n, (int)nl, NULL);
	if (!bn_e || !bn_n || !BN_is_odd(bn_e) || BN_is_one(bn_e) || !BN_is_odd(bn_n))
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (!bn_e || !bn_n || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_e);
	BN_free(bn_n);
	free(raw);
	return pkey;
}

/* PEM "PUBLIC KEY" (SubjectPublicKeyInfo) or "RSA PUBLIC KEY" (PKCS#1), via the
 * OpenSSL 3 decoders. Anything else (certificates, private keys) is refused. */
static EVP_PKEY *parse_pem(const char *text)
{
	const char *structure;
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *pkey = NULL;
	const unsigned char *data = (const unsigned char *)text;
	size_t len = strlen(text);

	if (strstr(text, "-----BEGIN PUBLIC KEY-----"))
		structure = "SubjectPublicKeyInfo";
	else if (strstr(text, "-----BEGIN RSA PUBLIC KEY-----"))
		structure = "type-specific";
	else
		return NULL;
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", structure, NULL, EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	if (!dctx)
		return NULL;
	if (!OSSL_DECODER_from_data(dctx, &data, &len)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	return pkey;
}

/* Fills k from a parsed RSA public key. */
static int describe_key(EVP_PKEY *pkey, web__pubkey *k)
{
	unsigned char *der = NULL, *pk1 = NULL, md[SHA_DIGEST_LENGTH];
	int der_len, pk1_len, rc = IKE_ERR_NOMEM;
	BIO *bio = NULL;
	char *mem;
	long memlen;
	X509_PUBKEY *xpk = NULL;
	const unsigned char *bits_ptr;
	int bits_len;

	memset(k, 0, sizeof *k);
	k->bits = (unsigned)EVP_PKEY_get_bits(pkey);
	der_len = i2d_PUBKEY(pkey, &der);
	if (der_len <= 0)
		goto out;
	/* The subjectPublicKey BIT STRING contents = DER RSAPublicKey (what pki's spk hashes). */
	{
		const unsigned char *p = der;
		xpk = d2i_X509_PUBKEY(NULL, &p, der_len);
	}
	if (!xpk || !X509_PUBKEY_get0_param(NULL, &bits_ptr, &bits_len, NULL, xpk))
		goto out;
	pk1 = (unsigned char *)bits_ptr;
	pk1_len = bits_len;
	SHA1(pk1, (size_t)pk1_len, md);
	to_hex(md, sizeof md, k->keyid);
	web__keyid_pretty(k->keyid, k->keyid_pretty);
	SHA1(der, (size_t)der_len, md);
	to_hex(md, sizeof md, k->keyid_spki);
	bio = BIO_new(BIO_s_mem());
	if (!bio || !PEM_write_bio_PUBKEY(bio, pkey))
		goto out;
	memlen = BIO_get_mem_data(bio, &mem);
	k->pem = malloc((size_t)memlen + 1);
	k->der = malloc((size_t)der_len);
	if (!k->pem || !k->der)
		goto out;
	memcpy(k->pem, mem, (size_t)memlen);
	k->pem[memlen] = '\0';
	memcpy(k->der, der, (size_t)der_len);
	k->der_len = (size_t)der_len;
	rc = IKE_OK;
out:
	if (rc != IKE_OK)
		web__pubkey_clear(k);
	X509_PUBKEY_free(xpk);
	BIO_free(bio);
	OPENSSL_free(der);
	return rc;
}

int web__pubkey_parse(const char *text, web__pubkey *out, const char **why)
{
	EVP_PKEY *pkey = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
		text++;
	if (strncmp(text, "ssh-rsa ", 7) == 0 || strncmp(text, "ssh-rsa\t", 8) == 0) {
		pkey = parse_ssh_rsa(text);
	} else if (strncmp(text, "ssh-", 4) == 0 || strncmp(text, "ecdsa-", 6) == 0) {
		*why = "This is not an RSA key: only ssh-rsa keys can be used.";
		return IKE_ERR_UNSUPPORTED;
	} else {
		pkey = parse_pem(text);
	}
	if (!pkey) {
		*why = "This is not a valid public key: paste a PEM block (-----BEGIN PUBLIC KEY-----) or an "
		       "ssh-rsa line.";
		return IKE_ERR_MALFORMED;
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		*why = "This is not an RSA key: only RSA keys can be used.";
		rc = IKE_ERR_UNSUPPORTED;
		goto out;
	}
	if (EVP_PKEY_get_bits(pkey) < WEB_MIN_RSA_BITS) {
		*why = "This RSA key is too weak: it must have at least 2048 bits.";
		rc = IKE_ERR_POLICY;
		goto out;
	}
	rc = describe_key(pkey, out);
	if (rc != IKE_OK)
		*why = "The key could not be processed.";
out:
	EVP_PKEY_free(pkey);
	return rc;
}

static char *join_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Writes data to path via path.tmp + rename, with the given mode. */
static int write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	size_t n = strlen(path) + 5;
	char *tmp = malloc(n);
	int fd, rc = IKE_ERR_IO;
	size_t off = 0;

	if (!tmp)
		return IKE_ERR_NOMEM;
	snprintf(tmp, n, "%s.tmp", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		goto out;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off == len && fchmod(fd, mode) == 0 && fsync(fd) == 0 && close(fd) == 0) {
		fd = -1;
		if (rename(tmp, path) == 0)
			rc = IKE_OK;
	}
	if (fd >= 0)
		close(fd);
	if (rc != IKE_OK)
		unlink(tmp);
out:
	free(tmp);
	return rc;
}

int web__keypair_generate(const char *dir, web__pubkey *pub)
{
	EVP_PKEY *pkey = EVP_RSA_gen(2048);
	BIO *bio = NULL;
	char *mem, *kpath = NULL, *ppath = NULL;
	long memlen;
	int rc = IKE_ERR_CRYPTO;

	memset(pub, 0, sizeof *pub);
	if (!pkey)
		return IKE_ERR_CRYPTO;
	bio = BIO_new(BIO_s_secmem());
	if (!bio || !PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL))
		goto out;
	kpath = join_path(dir, WEB_PRIV_KEY_FILE);
	ppath = join_path(dir, WEB_PUB_KEY_FILE);
	if (!kpath || !ppath) {
		rc = IKE_ERR_NOMEM;
		goto out;
	}
	memlen = BIO_get_mem_data(bio, &mem);
	rc = write_file(kpath, mem, (size_t)memlen, 0600);
	if (rc != IKE_OK)
		goto out;
	rc = describe_key(pkey, pub);
	if (rc != IKE_OK)
		goto out;
	rc = write_file(ppath, pub->pem, strlen(pub->pem), 0644);
	if (rc != IKE_OK)
		web__pubkey_clear(pub);
out:
	free(kpath);
	free(ppath);
	BIO_free(bio); /* secure heap memory is cleansed on free */
	EVP_PKEY_free(pkey);
	return rc;
}

int web__keypair_load(const char *dir, web__pubkey *pub)
{
	char *path = join_path(dir, WEB_PUB_KEY_FILE), buf[8192];
	FILE *f;
	size_t n;
	const char *why;
	int rc;

	memset(pub, 0, sizeof *pub);
	if (!path)
		return IKE_ERR_NOMEM;
	f = fopen(path, "re");
	free(path);
	if (!f)
		return errno == ENOENT ? IKE_ERR_NOT_FOUND : IKE_ERR_IO;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	rc = web__pubkey_parse(buf, pub, &why);
	return rc == IKE_OK ? IKE_OK : IKE_ERR_IO;
}
