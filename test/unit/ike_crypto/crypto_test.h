/* SPDX-License-Identifier: MIT */
/* Helpers for the ike_crypto suite: hex vectors and fixture files. */
#ifndef CRYPTO_TEST_H
#define CRYPTO_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ike/crypto.h"

/* Decodes a hex string (spaces ignored) into out; returns the byte count. */
static inline size_t tst_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		int v;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			cr_assert(n < cap, "hex vector larger than %zu bytes", cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	cr_assert(hi < 0, "odd number of hex digits");
	return n;
}

/* Reads test/data/crypto/<name> into a malloc'd buffer (NUL-terminated). */
static inline uint8_t *tst_read_fixture(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/crypto/%s", TEST_DATA_DIR, name);
	FILE *f = fopen(path, "rb");
	cr_assert(f != NULL, "cannot open %s", path);
	uint8_t *buf = malloc(65536 + 1);
	cr_assert(buf != NULL);
	size_t n = fread(buf, 1, 65536, f);
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* Loads a fixture key; asserts success. */
static inline ike_key *tst_load_key(const char *name)
{
	size_t len;
	uint8_t *data = tst_read_fixture(name, &len);
	ike_key *k = NULL;
	int rc = ike_key_load(&k, NULL, IKE_SLICE(data, len));
	free(data);
	cr_assert(rc == IKE_OK, "loading %s: %s", name, ike_err_name(rc));
	return k;
}

#endif
