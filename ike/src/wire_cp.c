/* SPDX-License-Identifier: MIT */
/*
 * Configuration payload (RFC 7296 3.15).
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   CFG Type    |                    RESERVED                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Configuration Attributes                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Configuration attribute (3.15.1):
 * |R|         Attribute Type      |            Length             |
 * ~                             Value                             ~
 */
#include "wire_int.h"

int ike_cp_decode(ike_slice body, ike_cp_pld *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(body.ptr, body.len);
	const uint8_t *res;

	out->n = 0;
	ike_rd_u8(&r, &out->type);
	ike_rd_take(&r, 3, &res);
	if (r.bad)
		return wire_fail(err, IKE_ERR_TRUNCATED, 0, "CP header", IKE_CP);
	while (r.left) {
		size_t off = body.len - r.left;
		uint16_t at, alen;
		ike_cp_attr *a;

		if (out->n == IKE_WIRE_MAX_CP_ATTRS)
			return wire_fail(err, IKE_ERR_LIMIT, off, "configuration attribute count", IKE_CP);
		ike_rd_u16(&r, &at);
		ike_rd_u16(&r, &alen);
		if (r.bad)
			return wire_fail(err, IKE_ERR_TRUNCATED, off, "configuration attribute header",
			                 IKE_CP);
		a = &out->attr[out->n];
		/* RFC 7296 3.15.1: the R bit is reserved; kept out of the type. */
		a->type = (uint16_t)(at & 0x7fff);
		if (!ike_rd_bytes(&r, alen, &a->value))
			return wire_fail(err, IKE_ERR_TRUNCATED, off + 2, "configuration attribute length",
			                 IKE_CP);
		out->n++;
	}
	return IKE_OK;
}

int ike_cp_encode(ike_wr *w, const ike_cp_pld *in)
{
	if (in->n > IKE_WIRE_MAX_CP_ATTRS)
		return IKE_ERR_INVAL;
	ike_wr_u8(w, in->type);
	ike_wr_u8(w, 0);
	ike_wr_u16(w, 0);
	for (unsigned i = 0; i < in->n; i++) {
		const ike_cp_attr *a = &in->attr[i];

		if (a->type > 0x7fff || a->value.len > 0xffff)
			return IKE_ERR_INVAL;
		ike_wr_u16(w, a->type);
		ike_wr_u16(w, (uint16_t)a->value.len);
		ike_wr_bytes(w, a->value.ptr, a->value.len);
	}
	return wire_wr_status(w);
}
