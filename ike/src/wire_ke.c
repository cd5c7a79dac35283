/* SPDX-License-Identifier: MIT */
/*
 * Key Exchange payload (RFC 7296 3.4).
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Diffie-Hellman Group Num    |           RESERVED            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Key Exchange Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#include "wire_int.h"

int ike_ke_decode(ike_slice body, ike_ke_pld *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(body.ptr, body.len);
	uint16_t res;

	ike_rd_u16(&r, &out->group);
	ike_rd_u16(&r, &res);
	if (r.bad)
		return wire_fail(err, IKE_ERR_TRUNCATED, 0, "KE header", IKE_KE);
	if (!r.left)
		return wire_fail(err, IKE_ERR_MALFORMED, 4, "key exchange data empty", IKE_KE);
	out->data = ike_rd_rest(&r);
	return IKE_OK;
}

int ike_ke_encode(ike_wr *w, const ike_ke_pld *in)
{
	if (!in->data.len)
		return IKE_ERR_INVAL;
	ike_wr_u16(w, in->group);
	ike_wr_u16(w, 0);
	ike_wr_bytes(w, in->data.ptr, in->data.len);
	return wire_wr_status(w);
}
