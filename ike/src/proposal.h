/* SPDX-License-Identifier: MIT */
/*
 * proposal.h - private: proposals parsed from strongSwan-style strings, and the
 * responder's selection of one transform set (RFC 7296 2.7, 3.3).
 */
#ifndef IKE_PROPOSAL_H
#define IKE_PROPOSAL_H
#include <stdbool.h>
#include <stdint.h>

#define PROP_XF_MAX 8
#define PROP_MAX 8

/* One proposal: a set of alternatives per transform type. */
typedef struct ike__prop {
	uint8_t n_encr, n_integ, n_prf, n_dh, n_esn;
	uint16_t encr[PROP_XF_MAX];
	uint16_t encr_bits[PROP_XF_MAX]; /* key length attribute, 0 = none */
	uint16_t integ[PROP_XF_MAX];
	uint16_t prf[PROP_XF_MAX];
	uint16_t dh[PROP_XF_MAX];
	uint8_t esn[2];
} ike__prop;

typedef struct ike__prop_list {
	uint8_t n;
	ike__prop p[PROP_MAX];
} ike__prop_list;

/* One chosen transform of each type (0 = absent). */
typedef struct ike__suite {
	uint16_t encr, encr_bits, integ, prf, dh;
	uint8_t esn;
} ike__suite;

#define IKE_DEFAULT_IKE_PROPOSALS                                                                            \
	"aes256gcm16-aes128gcm16-prfsha256-prfsha384-prfsha512-x25519-ecp256-ecp384-modp2048,"               \
	"aes256-aes128-sha256-sha384-sha512-x25519-ecp256-ecp384-modp2048"
#define IKE_DEFAULT_ESP_PROPOSALS "aes256gcm16-aes128gcm16,aes256-aes128-sha256-sha384-sha512"

/* Parses text (NULL = the default for the kind). Returns IKE_OK or IKE_ERR_INVAL. */
int ike__prop_parse(ike__prop_list *out, const char *text, bool esp);
/* True when the algorithm is AEAD (no INTEG transform). */
bool ike__encr_is_aead(uint16_t encr);
/* Responder: picks the first of our proposals (in our order) that one of theirs
 * supports, and within it the first of our transforms the peer offers. *their_num
 * gets the 1-based number of their proposal. Returns true when one matched. */
bool ike__prop_select(const ike__prop_list *ours, const ike__prop_list *theirs, bool esp, ike__suite *out,
                      uint8_t *their_num);
/* Initiator: true when the suite the responder chose is one of ours (exactly one
 * transform of each needed type). */
bool ike__prop_contains(const ike__prop_list *ours, const ike__suite *s, bool esp);
/* The first DH group of the first proposal (initiator's KE guess), 0 if none. */
uint16_t ike__prop_first_dh(const ike__prop_list *l);
/* True when some proposal offers group dh. */
bool ike__prop_has_dh(const ike__prop_list *l, uint16_t dh);
/* Formats a suite as "AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE25519" for logs. */
const char *ike__suite_str(const ike__suite *s, char *buf, unsigned len);

#endif
