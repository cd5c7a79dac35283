/* SPDX-License-Identifier: MIT */
/*
 * holepunch/src/hp_internal.h - private to the holepunch library (and its white-box tests).
 */
#ifndef HOLEPUNCH_HP_INTERNAL_H
#define HOLEPUNCH_HP_INTERNAL_H
#include "holepunch/hp.h"

/* Largest check we build: header 28, three notify headers 3 * 8, connect ID, endpoint
 * data and the 20-byte ME_CONNECTAUTH. */
#define HP_CHECK_MAX (28 + 3 * 8 + HP_CONNECT_ID_MAX + HP_ENDPOINT_DATA_MAX + HP_CONNECTAUTH_LEN)

/* A decoded check: views into the datagram. */
typedef struct hp__check {
	uint32_t mid;
	bool response;          /* R flag */
	ike_slice connect_id;   /* ME_CONNECTID data (first one) */
	ike_slice endpoint_raw; /* ME_ENDPOINT data as received (first valid one): signed */
	hp_candidate endpoint;  /* the same, parsed */
	ike_slice auth;         /* ME_CONNECTAUTH data (first one) */
	unsigned ignored;       /* payloads and duplicate notifies skipped, as strongSwan does */
} hp__check;

size_t hp__addr_len(uint8_t family);

/* ME_CONNECTAUTH = SHA-1(mid (4, network order) | connect ID | ME_ENDPOINT data | key). */
IKE_MUST_CHECK int hp__check_auth(uint8_t out[HP_CONNECTAUTH_LEN], uint32_t mid, ike_slice connect_id,
                                  ike_slice endpoint_raw, ike_slice key);

/* Builds a check (request, or response when response is true) into buf: IKE header
 * with zero SPIs, INFORMATIONAL, flags I for requests and R for responses (as
 * strongSwan's ike_sa_id_create(.., is_initiator = request)), then N(ME_CONNECTID),
 * N(ME_ENDPOINT ep), N(ME_CONNECTAUTH) signed with key. Returns IKE_OK and *len,
 * IKE_ERR_NOBUF, IKE_ERR_INVAL or IKE_ERR_CRYPTO. */
IKE_MUST_CHECK int hp__check_encode(uint8_t *buf, size_t cap, size_t *len, uint32_t mid, bool response,
                                    ike_slice connect_id, const hp_candidate *ep, ike_slice key);

/* Decodes a datagram as a check, without verifying ME_CONNECTAUTH. Returns IKE_OK,
 * IKE_ERR_TRUNCATED or IKE_ERR_MALFORMED (with *why set to a short reason). */
IKE_MUST_CHECK int hp__check_decode(const uint8_t *pkt, size_t len, hp__check *out, const char **why);

#endif /* HOLEPUNCH_HP_INTERNAL_H */
