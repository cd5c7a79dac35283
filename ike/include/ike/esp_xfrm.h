/* SPDX-License-Identifier: MIT */
/*
 * ike/esp_xfrm.h - the Linux XFRM data-plane backend's message building: pure
 * functions that write XFRM netlink requests (XFRM_MSG_NEWSA, DELSA, NEWPOLICY,
 * DELPOLICY) into a caller buffer. The program sends them on a NETLINK_XFRM socket
 * and reads the acknowledgement; nothing here does IO. The kernel's native struct
 * layout (<linux/xfrm.h>) is the wire format, so the bytes are for this host only.
 *
 * Every request carries NLM_F_REQUEST | NLM_F_ACK; NEWSA and NEWPOLICY also
 * NLM_F_CREATE | NLM_F_EXCL (a second add of the same SA fails with EEXIST instead
 * of replacing keys silently). Pointer arguments are borrowed for the call.
 */
#ifndef IKE_ESP_XFRM_H
#define IKE_ESP_XFRM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ike/err.h"
#include "ike/types.h"

/* A buffer this large holds any message built here (NEWSA with a 4096-bit
 * ESN window and 64-byte keys is about 1 KiB). */
#define IKE_XFRM_MSG_MAX 2048

/* One ESP SA in tunnel mode. */
typedef struct ike_xfrm_sa {
	ike_addr src, dst;  /* outer addresses; with encap, the ports are the UDP ports */
	uint32_t spi;       /* host order */
	uint32_t reqid;     /* ties the SA to its policies' templates */
	uint16_t encr;      /* IKE_ENCR_AES_GCM_16, IKE_ENCR_CHACHA20_POLY1305 or IKE_ENCR_AES_CBC */
	uint16_t integ;     /* 0 for AEADs; IKE_AUTH_HMAC_SHA2_* with CBC */
	ike_slice encr_key; /* as in ike_esp_cfg: AEAD keys include the 4-byte salt */
	ike_slice integ_key;
	bool encap;             /* UDP encapsulation, RFC 3948 (XFRMA_ENCAP, ESPINUDP) */
	bool esn;               /* extended sequence numbers (XFRM_STATE_ESN) */
	uint32_t replay_window; /* inbound window in packets (0 for outbound SAs), <= 4096 */
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets; /* 0 = no limit */
} ike_xfrm_sa;

typedef enum ike_xfrm_dir { IKE_XFRM_IN = 0, IKE_XFRM_OUT = 1, IKE_XFRM_FWD = 2 } ike_xfrm_dir;

/* A tunnel-mode policy: traffic from src_net/src_prefix to dst_net/dst_prefix in
 * direction dir goes through (out) or must have come through (in, fwd) ESP between
 * the tunnel endpoints tun_src and tun_dst (ports ignored). */
typedef struct ike_xfrm_policy {
	ike_addr src_net, dst_net; /* same family; ports ignored */
	uint8_t src_prefix, dst_prefix;
	ike_xfrm_dir dir;
	ike_addr tun_src, tun_dst;
	uint32_t reqid;
	uint32_t priority; /* lower value wins; written as given */
} ike_xfrm_policy;

/* Builds XFRM_MSG_NEWSA (struct xfrm_usersa_info, then XFRMA_ALG_AEAD or
 * XFRMA_ALG_CRYPT + XFRMA_ALG_AUTH_TRUNC, XFRMA_ENCAP when encap, and
 * XFRMA_REPLAY_ESN_VAL when esn or the window is over 32) into buf. nl_seq is the
 * netlink sequence number to match the ACK. *out_len = message length.
 * Kernel algorithm names: rfc4106(gcm(aes)), rfc7539esp(chacha20,poly1305), cbc(aes),
 * hmac(sha256|sha384|sha512) truncated to 128/192/256 bits.
 * Errors: IKE_ERR_INVAL (NULL, families differ or unset, key lengths wrong, window
 * over 4096), IKE_ERR_UNSUPPORTED (other algorithms), IKE_ERR_NOBUF (cap). */
IKE_MUST_CHECK int ike_xfrm_build_newsa(uint8_t *buf, size_t cap, uint32_t nl_seq, const ike_xfrm_sa *sa,
                                        size_t *out_len);
/* Builds XFRM_MSG_DELSA (struct xfrm_usersa_id: dst address, SPI, family, ESP).
 * Errors: IKE_ERR_INVAL, IKE_ERR_NOBUF. */
IKE_MUST_CHECK int ike_xfrm_build_delsa(uint8_t *buf, size_t cap, uint32_t nl_seq, const ike_addr *dst,
                                        uint32_t spi, size_t *out_len);
/* Builds XFRM_MSG_NEWPOLICY (struct xfrm_userpolicy_info with action ALLOW, and an
 * XFRMA_TMPL with one ESP tunnel template carrying reqid).
 * Errors: IKE_ERR_INVAL (families, prefixes over 32/128, direction), IKE_ERR_NOBUF. */
IKE_MUST_CHECK int ike_xfrm_build_newpolicy(uint8_t *buf, size_t cap, uint32_t nl_seq,
                                            const ike_xfrm_policy *p, size_t *out_len);
/* Builds XFRM_MSG_DELPOLICY (struct xfrm_userpolicy_id: the selector and direction
 * of p; the template fields are not used). Errors as for NEWPOLICY. */
IKE_MUST_CHECK int ike_xfrm_build_delpolicy(uint8_t *buf, size_t cap, uint32_t nl_seq,
                                            const ike_xfrm_policy *p, size_t *out_len);

#endif /* IKE_ESP_XFRM_H */
