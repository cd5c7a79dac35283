/* SPDX-License-Identifier: MIT */
/* web/core/src/keys.c - the managers' view of RSA keys, on top of ike_crypto's
 * ike_key (parsing PEM/DER/ssh-rsa, KEY_IDs, generation, key files). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ike/crypto_key.h"
#include "keys.h"

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
	uint8_t id[IKE_KEYID_LEN];
	char compact[128];
	size_t n = 0;

	/* People paste with spaces or a trailing newline; the colons stay for the parser. */
	for (const char *p = text; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			continue;
		if (n + 1 >= sizeof compact)
			return IKE_ERR_MALFORMED;
		compact[n++] = *p;
	}
	compact[n] = '\0';
	if (ike_keyid_parse(compact, id) != IKE_OK)
		return IKE_ERR_MALFORMED;
	ike_keyid_format(id, out);
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

/* Fills k from an ike_key (public part only). */
static int describe_key(const ike_key *key, web__pubkey *k)
{
	uint8_t id[IKE_KEYID_LEN];
	size_t len = 0;
	int rc;

	memset(k, 0, sizeof *k);
	k->bits = ike_key_bits(key);
	rc = ike_key_keyid(key, IKE_KEYID_SPK, id);
	if (rc != IKE_OK)
		goto out;
	ike_keyid_format(id, k->keyid);
	web__keyid_pretty(k->keyid, k->keyid_pretty);
	rc = ike_key_keyid(key, IKE_KEYID_SPKI, id);
	if (rc != IKE_OK)
		goto out;
	ike_keyid_format(id, k->keyid_spki);
	rc = ike_key_public_pem(key, NULL, 0, &len);
	if (rc != IKE_OK && rc != IKE_ERR_NOBUF)
		goto out;
	k->pem = malloc(len + 1);
	rc = k->pem ? ike_key_public_pem(key, k->pem, len + 1, &len) : IKE_ERR_NOMEM;
	if (rc != IKE_OK)
		goto out;
	rc = ike_key_public_der(key, IKE_KEY_PUB_SPKI, NULL, 0, &len);
	if (rc != IKE_OK && rc != IKE_ERR_NOBUF)
		goto out;
	k->der = malloc(len);
	rc = k->der ? ike_key_public_der(key, IKE_KEY_PUB_SPKI, k->der, len, &k->der_len) : IKE_ERR_NOMEM;
out:
	if (rc != IKE_OK)
		web__pubkey_clear(k);
	return rc;
}

int web__pubkey_parse(const char *text, web__pubkey *out, const char **why)
{
	char check[IKE_KEY_WHY_MAX];
	ike_key *key = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
		text++;
	if (strncmp(text, "ssh-", 4) == 0 && strncmp(text, "ssh-rsa", 7) != 0) {
		*why = "This is not an RSA key: only ssh-rsa keys can be used.";
		return IKE_ERR_UNSUPPORTED;
	}
	rc = ike_key_load(&key, NULL, (ike_slice){(const uint8_t *)text, strlen(text)});
	if (rc == IKE_ERR_UNSUPPORTED) {
		*why = "This is not an RSA key: only RSA keys can be used.";
		return rc;
	}
	if (rc == IKE_ERR_NOMEM) {
		*why = "The key could not be processed.";
		return rc;
	}
	if (rc != IKE_OK) {
		*why = "This is not a valid public key: paste a PEM block (-----BEGIN PUBLIC KEY-----) or an "
		       "ssh-rsa line.";
		return IKE_ERR_MALFORMED;
	}
	if (ike_key_is_private(key)) {
		/* Never accept (or keep) a private key pasted by mistake. */
		*why = "This is a private key: paste the public key only, and keep the private key secret.";
		rc = IKE_ERR_POLICY;
		goto out;
	}
	rc = ike_key_check_public(key, check, sizeof check);
	if (rc == IKE_ERR_WEAK_KEY) {
		snprintf(out->why, sizeof out->why, "This RSA key is refused: %s.", check);
		*why = out->why;
		rc = IKE_ERR_POLICY;
		goto out;
	}
	if (rc != IKE_OK) {
		*why = "The key could not be processed.";
		goto out;
	}
	rc = describe_key(key, out);
	if (rc != IKE_OK)
		*why = "The key could not be processed.";
out:
	ike_key_free(key);
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

int web__keypair_generate(const char *dir, web__pubkey *pub)
{
	ike_key *key = NULL;
	char *kpath = join_path(dir, WEB_PRIV_KEY_FILE), *ppath = join_path(dir, WEB_PUB_KEY_FILE);
	char *ktmp = join_path(dir, WEB_PRIV_KEY_FILE ".new"),
	     *ptmp = join_path(dir, WEB_PUB_KEY_FILE ".new");
	int rc;

	memset(pub, 0, sizeof *pub);
	if (!kpath || !ppath || !ktmp || !ptmp) {
		rc = IKE_ERR_NOMEM;
		goto out;
	}
	rc = ike_key_generate(&key, NULL, 2048);
	if (rc != IKE_OK)
		goto out;
	/* New files next to the old ones, then renamed over them: a crash leaves either
	 * the old pair or the new one, never a key without its public half. */
	unlink(ktmp);
	unlink(ptmp);
	rc = ike_key_write_private_file(key, NULL, ktmp);
	if (rc == IKE_OK)
		rc = ike_key_write_public_file(key, ptmp);
	if (rc == IKE_OK && (rename(ktmp, kpath) != 0 || rename(ptmp, ppath) != 0))
		rc = IKE_ERR_IO;
	if (rc == IKE_OK)
		rc = describe_key(key, pub);
	if (rc != IKE_OK) {
		unlink(ktmp);
		unlink(ptmp);
	}
out:
	ike_key_free(key);
	free(kpath);
	free(ppath);
	free(ktmp);
	free(ptmp);
	return rc;
}

int web__keypair_load(const char *dir, web__pubkey *pub)
{
	char *path = join_path(dir, WEB_PUB_KEY_FILE);
	ike_key *key = NULL;
	int rc;

	memset(pub, 0, sizeof *pub);
	if (!path)
		return IKE_ERR_NOMEM;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		free(path);
		return IKE_ERR_NOT_FOUND;
	}
	rc = ike_key_load_file(&key, NULL, path);
	free(path);
	if (rc == IKE_OK)
		rc = describe_key(key, pub);
	ike_key_free(key);
	return rc == IKE_OK ? IKE_OK : IKE_ERR_IO;
}
