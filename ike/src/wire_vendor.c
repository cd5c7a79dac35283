/* SPDX-License-Identifier: MIT */
/*
 * Vendor ID payload (RFC 7296 3.12): opaque, at least one byte.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        Vendor ID (VID)                        ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#include "wire_int.h"

int ike_vendor_decode(ike_slice body, ike_slice *out, ike_wire_err *err)
{
	if (!body.len)
		return wire_fail(err, IKE_ERR_TRUNCATED, 0, "vendor ID empty", IKE_VENDOR);
	*out = body;
	return IKE_OK;
}

int ike_vendor_encode(ike_wr *w, ike_slice vid)
{
	if (!vid.len)
		return IKE_ERR_INVAL;
	ike_wr_bytes(w, vid.ptr, vid.len);
	return wire_wr_status(w);
}
