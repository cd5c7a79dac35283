/* SPDX-License-Identifier: MIT */
/*
 * ike/esp.h - userspace ESP (RFC 4303) in tunnel mode, with the RFC 3948 UDP
 * encapsulation helpers. Sans-IO: no sockets, no clock, no TUN. The program
 * (medcli) reads a packet from the TUN device into a buffer with headroom,
 * calls ike_esp_seal() and sends the result on its UDP socket; it reads a UDP
 * payload, classifies it with ike_esp_classify_natt(), maps the SPI to an SA with
 * ike_esp_read_spi() and calls ike_esp_open(), then writes the inner packet to TUN.
 *
 * One ike_esp_sa per direction. An SA is not thread-safe: one thread per SA at a time.
 * No allocation happens per packet: the cipher and MAC contexts are created once in
 * ike_esp_sa_new() and re-keyed with a new IV only.
 * Pointer arguments are borrowed for the call; the SA copies its keys.
 * None of these functions calls back into the program.
 *
 * Packet (RFC 4303 2, tunnel mode):
 *
 *   0                   1                   2                   3
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |               Security Parameters Index (SPI)                 |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      Sequence Number (low 32 bits)            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   IV (8 bytes for GCM / ChaCha20-Poly1305, 16 for AES-CBC)    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   inner IPv4 or IPv6 packet (encrypted) ...                   |
 *   +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |               |  Padding 1, 2, 3, ... (0-255 bytes)           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                               |  Pad Length   | Next Header   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         ICV (16 bytes; 24 for HMAC-SHA384, 32 for SHA512)     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#ifndef IKE_ESP_H
#define IKE_ESP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ike/err.h"
#include "ike/iana.h"
#include "ike/mem.h"
#include "ike/types.h"

/* 1. opaque types */

/* One direction of a CHILD_SA's ESP state: keys, cipher contexts, sequence
 * number or replay window, lifetime counters. */
typedef struct ike_esp_sa ike_esp_sa;

/* 2. plain value types */

typedef enum ike_esp_dir {
	IKE_ESP_OUT = 0, /* we seal with it */
	IKE_ESP_IN = 1,  /* we open with it */
} ike_esp_dir;

/* Next header values allowed in tunnel mode. */
enum { IKE_ESP_NH_IPV4 = 4, IKE_ESP_NH_IPV6 = 41 };

/* Replay window bounds and default, in sequence numbers (bits); any size in range is exact. */
enum { IKE_ESP_REPLAY_MIN = 64, IKE_ESP_REPLAY_MAX = 4096, IKE_ESP_REPLAY_DEFAULT = 1024 };

/* Bytes before the inner packet: SPI, sequence number and the largest IV (16). */
#define IKE_ESP_MAX_HEADROOM 24
/* Bytes after the inner packet at most: 15 padding + pad length + next header + a
 * 32-byte ICV (AES-CBC with HMAC-SHA2-512-256). */
#define IKE_ESP_MAX_TAILROOM 49

/* The sequence number at and beyond which ike_esp_sa_status() reports
 * IKE_ESP_ST_SEQ_NEAR_WRAP unless the config sets seq_margin. */
#define IKE_ESP_SEQ_MARGIN_DEFAULT (1u << 20)

/* The SA's keys and limits. Keys are borrowed for ike_esp_sa_new() and copied.
 * Key material as RFC 7296 2.17 derives it: for AES-GCM and ChaCha20-Poly1305 the
 * encryption key is the cipher key followed by the 4-byte salt (RFC 4106 8.1,
 * RFC 7634 2); for AES-CBC the encryption key, then a separate integrity key. */
typedef struct ike_esp_cfg {
	uint32_t spi;           /* host order; values 0..255 are reserved (RFC 4303 2.1) */
	uint16_t encr;          /* IKE_ENCR_AES_GCM_16, IKE_ENCR_AES_CBC or IKE_ENCR_CHACHA20_POLY1305 */
	uint16_t integ;         /* 0 for AEAD; IKE_AUTH_HMAC_SHA2_256_128/384_192/512_256 with CBC */
	ike_slice encr_key;     /* 16/24/32 bytes (+4 salt for AEAD) */
	ike_slice integ_key;    /* 32/48/64 bytes for SHA2-256/384/512; empty for AEAD */
	bool esn;               /* extended (64-bit) sequence numbers, RFC 4303 2.2.1 */
	uint32_t replay_window; /* inbound: 0 = default (1024), else 64..4096 */
	/* Lifetime limits, 0 = none. Soft: ike_esp_sa_status() says rekey. Hard:
	 * ike_esp_seal() / ike_esp_open() refuse with IKE_ERR_LIMIT. Bytes count the
	 * inner packets. */
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;
	uint64_t seq_margin; /* outbound: NEAR_WRAP this many numbers before the last; 0 = default */
	/* Outbound CBC only: fills out with len unpredictable bytes for the IV. NULL =
	 * OpenSSL's RAND_bytes (through a per-SA pool refilled 4 KiB at a time). Tests
	 * inject a fixed source here. */
	void (*rand)(void *user, uint8_t *out, size_t len);
	void *rand_user;
} ike_esp_cfg;

/* Counters of one SA. Packets and bytes count successful seals (outbound SA) or
 * opens (inbound SA); bytes are inner-packet bytes. Each drop is counted once,
 * under the reason ike_esp_open() returned. */
typedef struct ike_esp_stats {
	uint64_t packets, bytes;
	uint64_t drop_truncated;   /* IKE_ERR_TRUNCATED, IKE_ERR_MALFORMED */
	uint64_t drop_spi;         /* IKE_ERR_UNKNOWN_SPI (packet for another SA) */
	uint64_t drop_replay;      /* IKE_ERR_REPLAY */
	uint64_t drop_integrity;   /* IKE_ERR_INTEGRITY */
	uint64_t drop_padding;     /* IKE_ERR_BAD_PADDING */
	uint64_t drop_next_header; /* IKE_ERR_BAD_NEXT_HEADER */
	uint64_t drop_limit;       /* IKE_ERR_LIMIT: hard lifetime or sequence exhausted */
} ike_esp_stats;

/* Bits of ike_esp_sa_status(). */
enum {
	IKE_ESP_ST_SOFT = 1u << 0,          /* a soft lifetime limit was reached: rekey now */
	IKE_ESP_ST_HARD = 1u << 1,          /* a hard limit was reached: the SA refuses packets */
	IKE_ESP_ST_SEQ_NEAR_WRAP = 1u << 2, /* outbound: within seq_margin of the last number */
	IKE_ESP_ST_SEQ_EXHAUSTED = 1u << 3, /* outbound: the last number was used (RFC 4303 3.3.3) */
};

/* What a UDP payload on port 4500 is (RFC 3948 2.2, 2.3). */
typedef enum ike_natt_kind {
	IKE_NATT_IS_INVALID = 0,   /* too short for anything, or an ESP header with SPI 0 */
	IKE_NATT_IS_KEEPALIVE = 1, /* the single byte 0xFF */
	IKE_NATT_IS_IKE = 2,       /* non-ESP marker (4 zero bytes) followed by an IKE message */
	IKE_NATT_IS_ESP = 3,       /* an ESP packet (non-zero SPI, at least SPI and sequence number) */
} ike_natt_kind;

/* The keepalive byte (IKE_NATT_KEEPALIVE) and the marker length
 * (IKE_NON_ESP_MARKER_LEN) are in ike/iana.h. */

/* 4. functions, by lifecycle */

/* Creates an SA for one direction. cfg and its keys are borrowed and copied; mem
 * (NULL = default) must outlive the SA. *out is set on success only.
 * Errors: IKE_ERR_INVAL (NULL argument, SPI < 256, wrong key length, window out of
 * range, integ given with an AEAD or missing with CBC), IKE_ERR_UNSUPPORTED (other
 * algorithms), IKE_ERR_NOMEM, IKE_ERR_CRYPTO (OpenSSL refused the key). */
IKE_MUST_CHECK int ike_esp_sa_new(ike_esp_sa **out, const ike_esp_cfg *cfg, ike_esp_dir dir,
                                  const ike_mem *mem);
/* Wipes the keys and frees the SA. NULL does nothing. */
void ike_esp_sa_free(ike_esp_sa *sa);

uint32_t ike_esp_sa_spi(const ike_esp_sa *sa);
ike_esp_dir ike_esp_sa_dir(const ike_esp_sa *sa);
/* Borrowed view of the counters, valid while the SA lives. */
const ike_esp_stats *ike_esp_sa_stats(const ike_esp_sa *sa);
/* IKE_ESP_ST_* bits; 0 while all is well. */
unsigned ike_esp_sa_status(const ike_esp_sa *sa);
/* Outbound: the sequence number the next seal will use (1 for a fresh SA).
 * Inbound: the highest authenticated sequence number seen (0 before the first). */
uint64_t ike_esp_sa_seq(const ike_esp_sa *sa);
/* Inbound: the replay window size in sequence numbers; outbound: 0. */
uint32_t ike_esp_sa_replay_window(const ike_esp_sa *sa);

/* Bytes the SA writes before the inner packet (8 + IV length). */
size_t ike_esp_headroom(const ike_esp_sa *sa);
/* The exact ESP packet length ike_esp_seal() produces for an inner packet of
 * inner_len bytes (header, IV, payload, padding, trailer, ICV). */
size_t ike_esp_sealed_len(const ike_esp_sa *sa, size_t inner_len);

/* Seals one inner IP packet in place. The caller places the inner packet at
 * pkt + ike_esp_headroom(sa); the ESP packet is written from pkt[0], and *out_len
 * (= ike_esp_sealed_len(sa, inner_len)) bytes of pkt are used. cap is the size of
 * the buffer at pkt. The IV is the 64-bit sequence number for AEADs (RFC 4106 3.1),
 * unpredictable bytes for CBC (cfg.rand or RAND_bytes). Increments the sequence
 * number and the counters.
 * Errors (the SA is unchanged, nothing is counted): IKE_ERR_INVAL (NULL, inbound SA,
 * inner_len 0 or not starting with IP version 4 or 6), IKE_ERR_NOBUF (cap too small),
 * IKE_ERR_LIMIT (hard lifetime reached or the sequence number space is exhausted:
 * RFC 4303 3.3.3 forbids cycling; rekey), IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int ike_esp_seal(ike_esp_sa *sa, uint8_t *pkt, size_t cap, size_t inner_len, size_t *out_len);
/* The same, reading the inner packet from in (not modified, may not overlap out)
 * and writing the ESP packet to out[0 .. *out_len). */
IKE_MUST_CHECK int ike_esp_seal_to(ike_esp_sa *sa, const uint8_t *in, size_t inner_len, uint8_t *out,
                                   size_t cap, size_t *out_len);

/* Opens one ESP packet in place. pkt/len is the UDP payload (after the RFC 3948
 * classification): SPI onward. On success the inner packet is pkt[*inner_off ..
 * *inner_off + *inner_len) and *next_header is 4 or 41; the replay window and the
 * counters are updated. Order (RFC 4303 3.4): length checks, SPI, a read-only
 * replay check, the ICV (constant time; for CBC before decrypting, for AEADs as part
 * of decryption), then the window update, then padding and next header checks.
 * The window changes only for packets that passed the integrity check.
 * On failure the out-parameters are untouched, and the bytes of pkt may have been
 * overwritten (AEADs decrypt in place before the tag verdict): drop the packet.
 * Errors (each counted in the stats): IKE_ERR_TRUNCATED (shorter than header, IV,
 * trailer and ICV), IKE_ERR_MALFORMED (CBC ciphertext not a multiple of 16),
 * IKE_ERR_UNKNOWN_SPI (the SPI is not this SA's), IKE_ERR_REPLAY (sequence number 0,
 * duplicate, or left of the window), IKE_ERR_INTEGRITY (ICV mismatch),
 * IKE_ERR_BAD_PADDING (pad length longer than the payload, or padding bytes not
 * 1, 2, 3, ...), IKE_ERR_BAD_NEXT_HEADER (not 4/41, or not matching the inner IP
 * version), IKE_ERR_LIMIT (hard lifetime reached). IKE_ERR_INVAL (NULL argument,
 * outbound SA) is not counted. */
IKE_MUST_CHECK int ike_esp_open(ike_esp_sa *sa, uint8_t *pkt, size_t len, size_t *inner_off,
                                size_t *inner_len, uint8_t *next_header);

/* Reads the SPI of an ESP packet (host order), so the program can find the SA.
 * Errors: IKE_ERR_TRUNCATED (fewer than 8 bytes: SPI and sequence number). */
IKE_MUST_CHECK int ike_esp_read_spi(const uint8_t *pkt, size_t len, uint32_t *spi);

/* Classifies a UDP payload received on port 4500 (RFC 3948 2.2/2.3). For
 * IKE_NATT_IS_IKE the IKE message starts at pkt + IKE_NON_ESP_MARKER_LEN. A lone 0xFF is
 * a keepalive; a payload starting with 4 zero bytes is IKE (at least the marker
 * and a 28-byte IKE header); otherwise at least 8 bytes with a non-zero SPI is ESP. */
ike_natt_kind ike_esp_classify_natt(const uint8_t *pkt, size_t len);

/* Writes the one-byte NAT keepalive into out. Returns 1 (its length), or 0 if
 * cap is 0. */
size_t ike_esp_natt_keepalive(uint8_t *out, size_t cap);

#endif /* IKE_ESP_H */
