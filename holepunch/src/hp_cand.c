/* SPDX-License-Identifier: MIT */
/*
 * Candidates: type preferences, priorities and the ME_ENDPOINT notify data.
 * Behaviour read from strongSwan src/libcharon/encoding/payloads/endpoint_notify.c.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Priority                            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Family    |      Type     |              Port             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  IP Address (0, 4 or 16 bytes)                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * strongSwan always writes the port, also when there is no address (family 0): such a
 * notify is 8 bytes. Its parser reads the port only for family 1 and 2, and ignores
 * whatever follows the address.
 */
#include <string.h>

#include "hp_internal.h"

uint32_t hp_type_preference(uint8_t type)
{
	switch (type) {
	case HP_CAND_HOST:
		return 255;
	case HP_CAND_PEER_REFLEXIVE:
		return 128;
	case HP_CAND_SERVER_REFLEXIVE:
		return 64;
	default:
		return 0; /* RELAYED, and strongSwan's default branch */
	}
}

uint32_t hp_candidate_priority(uint8_t type)
{
	return (hp_type_preference(type) << 16) + 65535u;
}

uint64_t hp_pair_priority(uint32_t g, uint32_t d)
{
	uint64_t lo = g < d ? g : d, hi = g < d ? d : g;
	uint64_t add = 2 * hi + (g > d ? 1 : 0);

	if (lo > (UINT64_MAX - add) >> 32)
		return UINT64_MAX;
	return (lo << 32) + add;
}

const char *hp_cand_type_name(uint8_t type)
{
	switch (type) {
	case HP_CAND_HOST:
		return "HOST";
	case HP_CAND_PEER_REFLEXIVE:
		return "PEER_REFLEXIVE";
	case HP_CAND_SERVER_REFLEXIVE:
		return "SERVER_REFLEXIVE";
	case HP_CAND_RELAYED:
		return "RELAYED";
	default:
		return "(unknown)";
	}
}

const char *hp_pair_state_name(uint8_t state)
{
	switch (state) {
	case HP_PAIR_WAITING:
		return "waiting";
	case HP_PAIR_IN_PROGRESS:
		return "in-progress";
	case HP_PAIR_SUCCEEDED:
		return "succeeded";
	case HP_PAIR_FAILED:
		return "failed";
	default:
		return "(unknown)";
	}
}

size_t hp__addr_len(uint8_t family)
{
	return family == IKE_AF_INET ? 4 : family == IKE_AF_INET6 ? 16 : 0;
}

int hp_endpoint_encode(ike_wr *w, const hp_candidate *c)
{
	size_t alen;

	if (c->type < HP_CAND_HOST || c->type > HP_CAND_RELAYED)
		return IKE_ERR_INVAL;
	if (c->addr.family > IKE_AF_INET6)
		return IKE_ERR_INVAL;
	alen = hp__addr_len(c->addr.family);
	ike_wr_u32(w, c->priority);
	ike_wr_u8(w, c->addr.family);
	ike_wr_u8(w, c->type);
	ike_wr_u16(w, alen ? c->addr.port : 0);
	ike_wr_bytes(w, c->addr.ip, alen);
	return w->bad ? IKE_ERR_NOBUF : IKE_OK;
}

int hp_endpoint_decode(ike_slice data, hp_candidate *out)
{
	ike_rd r = ike_rd_init(data.ptr, data.len);
	uint8_t family, type;
	size_t alen;

	memset(out, 0, sizeof *out);
	if (!ike_rd_u32(&r, &out->priority) || !ike_rd_u8(&r, &family) || !ike_rd_u8(&r, &type))
		return IKE_ERR_TRUNCATED;
	if (family > IKE_AF_INET6)
		return IKE_ERR_MALFORMED; /* strongSwan: family >= MAX_FAMILY */
	if (type < HP_CAND_HOST || type > HP_CAND_RELAYED)
		return IKE_ERR_MALFORMED; /* strongSwan: NO_TYPE or >= MAX_TYPE */
	out->type = type;
	alen = hp__addr_len(family);
	if (alen) {
		if (!ike_rd_u16(&r, &out->addr.port) || !ike_rd_copy(&r, out->addr.ip, alen))
			return IKE_ERR_TRUNCATED;
		out->addr.family = family;
	}
	return IKE_OK;
}
