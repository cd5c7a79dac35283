/* SPDX-License-Identifier: MIT */
/*
 * Authentication payload (RFC 7296 3.8).
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Auth Method   |                RESERVED                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Authentication Data                      ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#include "wire_int.h"

int ike_auth_decode(ike_slice body, ike_auth_pld *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(body.ptr, body.len);
	const uint8_t *res;

	ike_rd_u8(&r, &out->method);
	ike_rd_take(&r, 3, &res);
	if (r.bad)
		return wire_fail(err, IKE_ERR_TRUNCATED, 0, "AUTH header", IKE_AUTH);
	out->data = ike_rd_rest(&r);
	if (!out->data.len)
		return wire_fail(err, IKE_ERR_TRUNCATED, 4, "authentication data empty", IKE_AUTH);
	return IKE_OK;
}

int ike_auth_encode(ike_wr *w, const ike_auth_pld *in)
{
	if (!in->data.len)
		return IKE_ERR_INVAL;
	ike_wr_u8(w, in->method);
	ike_wr_u8(w, 0);
	ike_wr_u16(w, 0);
	ike_wr_bytes(w, in->data.ptr, in->data.len);
	return wire_wr_status(w);
}
