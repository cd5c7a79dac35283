/* SPDX-License-Identifier: MIT */
/*
 * ME_ENDPOINT notify data (draft-brunner-ikev2-mediation, as strongSwan 5.9
 * encodes it in endpoint_notify.c; see mediation-protocol.md):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Priority                            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Family     |     Type      |  Port (when Family != 0)      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~        IP Address (4 bytes IPv4, 16 bytes IPv6; none for 0)   ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ME_CONNECTID, ME_CONNECTKEY and ME_CONNECTAUTH are plain notify data.
 */
#include <string.h>

#include "wire_int.h"

static size_t family_len(uint8_t family)
{
	return family == IKE_AF_INET ? 4 : family == IKE_AF_INET6 ? 16 : 0;
}

int ike_me_endpoint_decode(ike_slice data, ike_me_endpoint *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(data.ptr, data.len);
	uint8_t family;

	memset(out, 0, sizeof *out);
	ike_rd_u32(&r, &out->priority);
	ike_rd_u8(&r, &family);
	ike_rd_u8(&r, &out->type);
	if (r.bad)
		return wire_fail(err, IKE_ERR_TRUNCATED, 0, "ME_ENDPOINT header", IKE_NOTIFY);
	if (family > IKE_AF_INET6)
		return wire_fail(err, IKE_ERR_MALFORMED, 4, "ME_ENDPOINT family", IKE_NOTIFY);
	if (out->type < IKE_ME_HOST || out->type > IKE_ME_RELAYED)
		return wire_fail(err, IKE_ERR_MALFORMED, 5, "ME_ENDPOINT type", IKE_NOTIFY);
	out->addr.family = family;
	if (family != IKE_AF_NONE) {
		ike_rd_u16(&r, &out->addr.port);
		ike_rd_copy(&r, out->addr.ip, family_len(family));
		if (r.bad)
			return wire_fail(err, IKE_ERR_TRUNCATED, 6, "ME_ENDPOINT address", IKE_NOTIFY);
	} else if (r.left == 2) {
		/* strongSwan 5.9 writes the (zero) port even without an address: 8 bytes */
		ike_rd_u16(&r, &out->addr.port);
	} else {
		out->no_port = r.left == 0; /* the draft's 6-byte form */
	}
	if (r.left)
		return wire_fail(err, IKE_ERR_MALFORMED, data.len - r.left, "bytes after ME_ENDPOINT",
		                 IKE_NOTIFY);
	return IKE_OK;
}

int ike_me_endpoint_encode(ike_wr *w, const ike_me_endpoint *in)
{
	if (in->addr.family > IKE_AF_INET6 || in->type < IKE_ME_HOST || in->type > IKE_ME_RELAYED)
		return IKE_ERR_INVAL;
	ike_wr_u32(w, in->priority);
	ike_wr_u8(w, in->addr.family);
	ike_wr_u8(w, in->type);
	if (in->addr.family != IKE_AF_NONE || !in->no_port)
		ike_wr_u16(w, in->addr.port); /* also without an address, as strongSwan does */
	if (in->addr.family != IKE_AF_NONE)
		ike_wr_bytes(w, in->addr.ip, family_len(in->addr.family));
	return wire_wr_status(w);
}
