/* SPDX-License-Identifier: MIT */
/*
 * esp_bench - single-core throughput of ike_esp: seal (encrypt) and open
 * (decrypt + verify + replay + padding checks) for each algorithm and packet size.
 * Usage: esp_bench [--ms N] [--sizes 64,512,1400] [--alg NAME]
 * Gbit/s counts inner (IP packet) bytes, as iperf3 through a tunnel would.
 * "both" is one core doing a seal and an open per packet (1 / (1/seal + 1/open)).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ike/esp.h"

typedef struct alg {
	const char *name;
	uint16_t encr, integ;
	size_t ek, ik;
} alg;

static const alg algs[] = {
    {"aes128gcm16", IKE_ENCR_AES_GCM_16, 0, 20, 0},
    {"aes256gcm16", IKE_ENCR_AES_GCM_16, 0, 36, 0},
    {"chacha20poly1305", IKE_ENCR_CHACHA20_POLY1305, 0, 36, 0},
    {"aes128-sha256", IKE_ENCR_AES_CBC, IKE_AUTH_HMAC_SHA2_256_128, 16, 32},
    {"aes256-sha256", IKE_ENCR_AES_CBC, IKE_AUTH_HMAC_SHA2_256_128, 32, 32},
    {"aes256-sha512", IKE_ENCR_AES_CBC, IKE_AUTH_HMAC_SHA2_512_256, 32, 64},
};

#define BATCH 1024
#define SLOT 2048

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "esp_bench: %s: %s\n", what, ike_strerror(rc));
	exit(1);
}

static void make_inner(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13u + 7u);
	p[0] = 0x45;
}

/* Seconds per packet for seal over about ms milliseconds. */
static double bench_seal(ike_esp_sa *out, uint8_t *buf, size_t size, double ms)
{
	uint8_t inner[SLOT];
	size_t hl = ike_esp_headroom(out), len = 0;
	uint64_t n = 0;
	double t0 = now_s(), t;

	make_inner(inner, size);
	do {
		for (int i = 0; i < 256; i++) {
			int rc;

			memcpy(buf + hl, inner, size); /* the TUN read would put it there */
			rc = ike_esp_seal(out, buf, SLOT, size, &len);
			if (rc != IKE_OK)
				die("seal", rc);
		}
		n += 256;
		t = now_s() - t0;
	} while (t * 1000.0 < ms);
	return t / (double)n;
}

/* Seconds per packet for open: batches sealed outside the timed region. */
static double bench_open(ike_esp_sa *out, ike_esp_sa *in, uint8_t *pool, size_t size, double ms)
{
	static size_t lens[BATCH];
	size_t hl = ike_esp_headroom(out), off, ilen;
	uint64_t n = 0;
	double spent = 0;
	uint8_t nh;

	do {
		double t0;

		for (int i = 0; i < BATCH; i++) {
			int rc;

			make_inner(pool + (size_t)i * SLOT + hl, size);
			rc = ike_esp_seal(out, pool + (size_t)i * SLOT, SLOT, size, &lens[i]);
			if (rc != IKE_OK)
				die("seal", rc);
		}
		t0 = now_s();
		for (int i = 0; i < BATCH; i++) {
			int rc = ike_esp_open(in, pool + (size_t)i * SLOT, lens[i], &off, &ilen, &nh);

			if (rc != IKE_OK || ilen != size)
				die("open", rc);
		}
		spent += now_s() - t0;
		n += BATCH;
	} while (spent * 1000.0 < ms);
	return spent / (double)n;
}

static double gbps(size_t size, double s_per_pkt)
{
	return (double)size * 8.0 / s_per_pkt / 1e9;
}

int main(int argc, char **argv)
{
	size_t sizes[8] = {64, 512, 1400}, nsizes = 3;
	const char *only = NULL;
	double ms = 300;
	uint8_t ek[36], ik[64], *buf, *pool;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ms") && i + 1 < argc) {
			ms = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--alg") && i + 1 < argc) {
			only = argv[++i];
		} else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
			char *s = argv[++i], *end;

			for (nsizes = 0; nsizes < 8 && *s; s = *end ? end + 1 : end) {
				unsigned long v = strtoul(s, &end, 10);

				if (end == s || v < 1 || v > 1500) {
					fprintf(stderr, "esp_bench: sizes are 1..1500\n");
					return 2;
				}
				sizes[nsizes++] = v;
			}
		} else {
			fprintf(stderr, "usage: esp_bench [--ms N] [--sizes 64,512,1400] [--alg NAME]\n");
			return 2;
		}
	}
	for (size_t i = 0; i < sizeof ek; i++)
		ek[i] = (uint8_t)(i + 1);
	for (size_t i = 0; i < sizeof ik; i++)
		ik[i] = (uint8_t)(i + 101);
	buf = malloc(SLOT);
	pool = malloc((size_t)BATCH * SLOT);
	if (!buf || !pool)
		die("malloc", IKE_ERR_NOMEM);

	printf("%-17s %6s | %9s %8s | %9s %8s | %8s\n", "algorithm", "bytes", "seal ns", "Gbit/s", "open ns",
	       "Gbit/s", "both");
	for (size_t a = 0; a < sizeof algs / sizeof algs[0]; a++) {
		if (only && strcmp(only, algs[a].name))
			continue;
		for (size_t s = 0; s < nsizes; s++) {
			ike_esp_cfg cfg = {.spi = 0x1000,
			                   .encr = algs[a].encr,
			                   .integ = algs[a].integ,
			                   .encr_key = {ek, algs[a].ek},
			                   .integ_key = {ik, algs[a].ik},
			                   .esn = true};
			ike_esp_sa *out = NULL, *in = NULL, *out2 = NULL;
			double ts, to;
			int rc;

			if ((rc = ike_esp_sa_new(&out, &cfg, IKE_ESP_OUT, NULL)) != IKE_OK ||
			    (rc = ike_esp_sa_new(&out2, &cfg, IKE_ESP_OUT, NULL)) != IKE_OK ||
			    (rc = ike_esp_sa_new(&in, &cfg, IKE_ESP_IN, NULL)) != IKE_OK)
				die("sa_new", rc);
			ts = bench_seal(out, buf, sizes[s], ms);
			to = bench_open(out2, in, pool, sizes[s], ms);
			printf("%-17s %6zu | %9.1f %8.2f | %9.1f %8.2f | %8.2f\n", algs[a].name, sizes[s],
			       ts * 1e9, gbps(sizes[s], ts), to * 1e9, gbps(sizes[s], to),
			       gbps(sizes[s], ts + to));
			fflush(stdout);
			ike_esp_sa_free(out);
			ike_esp_sa_free(out2);
			ike_esp_sa_free(in);
		}
	}
	free(buf);
	free(pool);
	return 0;
}
