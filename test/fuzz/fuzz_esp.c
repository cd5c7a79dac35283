/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ike_esp. The first byte picks a mode:
 *   0..5: the rest is a UDP payload on port 4500: classified, then opened by an
 *         inbound SA of algorithm (byte % 6) with fixed keys (corpus/esp/ holds
 *         packets sealed with these keys, so mutations reach the ICV and, through
 *         the length paths, every early rejection);
 *   6+:   the rest is a list of 32-bit sequence numbers fed to the replay window
 *         and to a plain reference model; any disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esp_int.h"

#define NALG 6
static const struct {
	uint16_t encr, integ;
	size_t ek, ik;
} algs[NALG] = {
    {IKE_ENCR_AES_GCM_16, 0, 20, 0},
    {IKE_ENCR_AES_GCM_16, 0, 36, 0},
    {IKE_ENCR_CHACHA20_POLY1305, 0, 36, 0},
    {IKE_ENCR_AES_CBC, IKE_AUTH_HMAC_SHA2_256_128, 16, 32},
    {IKE_ENCR_AES_CBC, IKE_AUTH_HMAC_SHA2_384_192, 32, 48},
    {IKE_ENCR_AES_CBC, IKE_AUTH_HMAC_SHA2_512_256, 32, 64},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_open(unsigned alg, const uint8_t *data, size_t size)
{
	uint8_t ek[36], ik[64], *pkt;
	uint32_t spi;
	size_t off, ilen;
	uint8_t nh;
	ike_esp_sa *sa = NULL;
	ike_esp_cfg cfg;

	for (size_t i = 0; i < sizeof ek; i++)
		ek[i] = (uint8_t)(0x10 + i);
	for (size_t i = 0; i < sizeof ik; i++)
		ik[i] = (uint8_t)(0x80 + i);
	cfg = (ike_esp_cfg){.spi = 0x0badcafe,
	                    .encr = algs[alg].encr,
	                    .integ = algs[alg].integ,
	                    .encr_key = {ek, algs[alg].ek},
	                    .integ_key = {ik, algs[alg].ik},
	                    .replay_window = 64};
	if (ike_esp_classify_natt(data, size) != IKE_NATT_IS_ESP ||
	    ike_esp_read_spi(data, size, &spi) != IKE_OK)
		return;
	if (ike_esp_sa_new(&sa, &cfg, IKE_ESP_IN, NULL) != IKE_OK)
		abort();
	pkt = malloc(size); /* exact size: ASan catches any read past the datagram */
	if (!pkt)
		abort();
	memcpy(pkt, data, size);
	if (ike_esp_open(sa, pkt, size, &off, &ilen, &nh) == IKE_OK) {
		if (off + ilen > size || (nh != 4 && nh != 41))
			abort();
	}
	free(pkt);
	ike_esp_sa_free(sa);
}

static void fuzz_replay(const uint8_t *data, size_t size)
{
	static uint64_t bits[4];
	uint8_t seen[1u << 12];
	esp_replay r;
	uint64_t top = 0;
	const uint32_t win = 64;

	memset(bits, 0, sizeof bits);
	memset(seen, 0, sizeof seen);
	esp_replay_init(&r, win, bits);
	for (size_t i = 0; i + 2 <= size; i += 2) {
		uint64_t seq = (uint64_t)data[i] << 4 | (data[i + 1] & 0x0f); /* 12 bits: dense collisions */
		int want =
		    (seq == 0 || (seq <= top && top - seq >= win) || seen[seq]) ? IKE_ERR_REPLAY : IKE_OK;

		if (esp_replay_check(&r, seq) != want)
			abort();
		if (want == IKE_OK) {
			esp_replay_update(&r, seq);
			seen[seq] = 1;
			if (seq > top)
				top = seq;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] < NALG)
		fuzz_open(data[0], data + 1, size - 1);
	else
		fuzz_replay(data + 1, size - 1);
	return 0;
}
