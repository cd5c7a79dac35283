/* SPDX-License-Identifier: MIT */
/* Helpers shared by the esp suite's test files. */
#ifndef ESP_TEST_H
#define ESP_TEST_H
#include <stdint.h>
#include <string.h>

#include "ike/esp.h"

/* Decodes hex (spaces and newlines ignored) into out; returns the byte count. */
static inline size_t et_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n < cap)
				out[n] = (uint8_t)(hi << 4 | v);
			n++;
			hi = -1;
		}
	}
	return n;
}

/* Deterministic key bytes: seed, seed+1, ... */
static inline void et_fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i);
}

/* One algorithm configuration for table-driven tests. */
typedef struct et_alg {
	const char *name;
	uint16_t encr, integ;
	size_t encr_key_len, integ_key_len;
} et_alg;

#define ET_NALGS 10

/* The i-th of the ET_NALGS supported algorithm and key size combinations. */
static inline const et_alg *et_alg_at(size_t i)
{
	static const et_alg algs[ET_NALGS] = {
	    {"aes128gcm16", IKE_ENCR_AES_GCM_16, 0, 20, 0},
	    {"aes192gcm16", IKE_ENCR_AES_GCM_16, 0, 28, 0},
	    {"aes256gcm16", IKE_ENCR_AES_GCM_16, 0, 36, 0},
	    {"chacha20poly1305", IKE_ENCR_CHACHA20_POLY1305, 0, 36, 0},
	    {"aes128-sha256", IKE_ENCR_AES_CBC, IKE_AUTH_HMAC_SHA2_256_128, 16, 32},
	    {"aes256-sha256", IKE_ENCR_AES_CBC, IKE_AUTH_HMAC_SHA2_256_128, 32, 32},
	    {"aes128-sha384", IKE_ENCR_AES_CBC, IKE_AUTH_HMAC_SHA2_384_192, 16, 48},
	    {"aes256-sha384", IKE_ENCR_AES_CBC, IKE_AUTH_HMAC_SHA2_384_192, 32, 48},
	    {"aes128-sha512", IKE_ENCR_AES_CBC, IKE_AUTH_HMAC_SHA2_512_256, 16, 64},
	    {"aes256-sha512", IKE_ENCR_AES_CBC, IKE_AUTH_HMAC_SHA2_512_256, 32, 64},
	};

	return &algs[i];
}

/* A matching outbound/inbound pair for alg, same keys, given SPI. */
typedef struct et_pair {
	ike_esp_sa *out, *in;
	uint8_t ek[36], ik[64];
} et_pair;

static inline ike_esp_cfg et_cfg(et_pair *p, const et_alg *a, uint32_t spi)
{
	et_fill(p->ek, sizeof p->ek, 0x10);
	et_fill(p->ik, sizeof p->ik, 0x80);
	return (ike_esp_cfg){
	    .spi = spi,
	    .encr = a->encr,
	    .integ = a->integ,
	    .encr_key = {p->ek, a->encr_key_len},
	    .integ_key = {p->ik, a->integ_key_len},
	};
}

static inline int et_pair_new(et_pair *p, const ike_esp_cfg *cfg)
{
	int rc = ike_esp_sa_new(&p->out, cfg, IKE_ESP_OUT, NULL);

	if (rc != IKE_OK)
		return rc;
	rc = ike_esp_sa_new(&p->in, cfg, IKE_ESP_IN, NULL);
	if (rc != IKE_OK) {
		ike_esp_sa_free(p->out);
		p->out = NULL;
	}
	return rc;
}

static inline void et_pair_free(et_pair *p)
{
	ike_esp_sa_free(p->out);
	ike_esp_sa_free(p->in);
	p->out = p->in = NULL;
}

/* Writes a plausible IPv4 (v = 4) or IPv6 (v = 6) packet of len bytes at p. */
static inline void et_inner(uint8_t *p, size_t len, int v, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31u + i * 7u);
	p[0] = v == 4 ? 0x45 : 0x60;
}

#endif /* ESP_TEST_H */
