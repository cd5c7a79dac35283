/* SPDX-License-Identifier: MIT */
/*
 * Nonce payload (RFC 7296 3.9): 16 to 256 bytes of random data.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                            Nonce Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#include "wire_int.h"

int ike_nonce_decode(ike_slice body, ike_slice *out, ike_wire_err *err)
{
	if (body.len < IKE_WIRE_NONCE_MIN)
		return wire_fail(err, IKE_ERR_TRUNCATED, body.len, "nonce shorter than 16 bytes", IKE_NONCE);
	if (body.len > IKE_WIRE_NONCE_MAX)
		return wire_fail(err, IKE_ERR_MALFORMED, IKE_WIRE_NONCE_MAX, "nonce longer than 256 bytes",
		                 IKE_NONCE);
	*out = body;
	return IKE_OK;
}

int ike_nonce_encode(ike_wr *w, ike_slice nonce)
{
	if (nonce.len < IKE_WIRE_NONCE_MIN || nonce.len > IKE_WIRE_NONCE_MAX)
		return IKE_ERR_INVAL;
	ike_wr_bytes(w, nonce.ptr, nonce.len);
	return wire_wr_status(w);
}
