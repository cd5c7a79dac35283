/* SPDX-License-Identifier: MIT */
/*
 * EAP payload (RFC 7296 3.16): one EAP message, kept opaque. Its own header
 * (RFC 3748 4) is checked for length only:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Code      | Identifier    |           Length              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                             Data                              ~
 */
#include "wire_int.h"

static int check_eap(ike_slice m, size_t *bad_at)
{
	if (m.len < 4) {
		*bad_at = m.len;
		return IKE_ERR_TRUNCATED;
	}
	*bad_at = 2;
	if (ike_get_u16(m.ptr + 2) > m.len)
		return IKE_ERR_TRUNCATED;
	if (ike_get_u16(m.ptr + 2) < m.len)
		return IKE_ERR_MALFORMED;
	return IKE_OK;
}

int ike_eap_decode(ike_slice body, ike_slice *out, ike_wire_err *err)
{
	size_t at;
	int rc = check_eap(body, &at);

	if (rc)
		return wire_fail(err, rc, at, "EAP length", IKE_EAP);
	*out = body;
	return IKE_OK;
}

int ike_eap_encode(ike_wr *w, ike_slice eap)
{
	size_t at;

	if (check_eap(eap, &at))
		return IKE_ERR_INVAL;
	ike_wr_bytes(w, eap.ptr, eap.len);
	return wire_wr_status(w);
}
