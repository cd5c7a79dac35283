/* SPDX-License-Identifier: MIT */
/*
 * esp_int.h - private parts of ike_esp: the SA struct, the anti-replay window and
 * the raw seal/open used by ike_esp_seal/open and by the known-answer tests.
 */
#ifndef IKE_ESP_INT_H
#define IKE_ESP_INT_H
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>

#include "ike/esp.h"

/* RFC 4303 3.4.3 sliding window over 64-bit sequence numbers, kept as a ring of
 * 64-bit words (the RFC 6479 layout): seq n is bit n % 64 of word (n / 64) % nwords.
 * nwords is a power of two with nwords * 64 >= size + 64, so moving the right edge
 * only clears the words it passes and never the bits still inside the window. */
typedef struct esp_replay {
	uint64_t top;  /* highest accepted sequence number; 0 = none yet */
	uint32_t size; /* window size in sequence numbers */
	uint32_t nwords;
	uint64_t *bits; /* nwords words, owned by the SA */
} esp_replay;

/* Words needed for a window of size numbers. */
uint32_t esp_replay_words(uint32_t size);
/* Sets up r over bits (nwords = esp_replay_words(size) zeroed words, borrowed). */
void esp_replay_init(esp_replay *r, uint32_t size, uint64_t *bits);
/* Read-only: IKE_OK if seq is new and not left of the window, else IKE_ERR_REPLAY
 * (seq 0 included). */
int esp_replay_check(const esp_replay *r, uint64_t seq);
/* Marks seq as received, sliding the window when seq is beyond the top. Call only
 * after esp_replay_check() passed and the packet's ICV was verified. */
void esp_replay_update(esp_replay *r, uint64_t seq);
/* RFC 4303 Appendix A2.2: the 64-bit sequence number a received low half most
 * likely stands for, given the window. Returns false when the guess would fall
 * before sequence number 0 (an impossibly old packet). */
bool esp_replay_infer(const esp_replay *r, uint32_t seq_lo, uint64_t *seq);

#define ESP_RAND_POOL 1024

struct ike_esp_sa {
	const ike_mem *mem;
	ike_esp_dir dir;
	uint32_t spi;
	uint16_t encr, integ;
	bool aead, esn;
	uint8_t iv_len, icv_len, align; /* align: 4 for AEADs, 16 for CBC */
	uint8_t salt[4];
	EVP_CIPHER_CTX *cipher;
	EVP_MAC_CTX *mac; /* CBC only */
	uint64_t seq;     /* outbound: next to use */
	bool exhausted;   /* outbound: the last sequence number was used */
	uint64_t seq_margin;
	esp_replay replay; /* inbound */
	ike_esp_stats st;
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;
	void (*rand)(void *user, uint8_t *out, size_t len);
	void *rand_user;
	size_t pool_left; /* unused bytes at the end of pool */
	uint8_t pool[ESP_RAND_POOL];
};

/* Encrypts plain (plen bytes: the whole ESP payload with padding and trailer,
 * already aligned) with an explicit sequence number and IV into out: SPI, seq, IV,
 * ciphertext, ICV. Touches no counters. For known-answer tests and ike_esp_seal.
 * Errors: IKE_ERR_INVAL (outbound SA needed, plen not aligned), IKE_ERR_NOBUF, IKE_ERR_CRYPTO. */
int esp_seal_raw(ike_esp_sa *sa, uint8_t *out, size_t cap, uint64_t seq, const uint8_t *iv,
                 const uint8_t *plain, size_t plen, size_t *out_len);
/* Verifies and decrypts pkt in place with the given 64-bit sequence number (its
 * low half must match the header). The plaintext (payload, padding, trailer) is
 * pkt[hdr+iv .. + *plen). No replay, padding or next header policy, no counters.
 * Errors: IKE_ERR_TRUNCATED, IKE_ERR_MALFORMED, IKE_ERR_INTEGRITY, IKE_ERR_CRYPTO. */
int esp_open_raw(ike_esp_sa *sa, uint8_t *pkt, size_t len, uint64_t seq, size_t *plen);

#endif /* IKE_ESP_INT_H */
