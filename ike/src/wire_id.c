/* SPDX-License-Identifier: MIT */
/*
 * Identification payloads IDi and IDr (RFC 7296 3.5).
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   ID Type     |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Identification Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#include <string.h>

#include "wire_int.h"

/* Fixed-size identities must have exactly their size (IPv4 4, IPv6 16). */
static bool id_len_ok(uint8_t type, size_t len)
{
	if (type == IKE_ID_IPV4_ADDR)
		return len == 4;
	if (type == IKE_ID_IPV6_ADDR)
		return len == 16;
	return len >= 1;
}

int ike_id_decode(ike_slice body, ike_id_pld *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(body.ptr, body.len);
	const uint8_t *res;

	ike_rd_u8(&r, &out->type);
	ike_rd_take(&r, 3, &res);
	if (r.bad)
		return wire_fail(err, IKE_ERR_TRUNCATED, 0, "ID header", IKE_IDI);
	out->data = ike_rd_rest(&r);
	if (!out->data.len)
		return wire_fail(err, IKE_ERR_TRUNCATED, 4, "identification data empty", IKE_IDI);
	if (!id_len_ok(out->type, out->data.len))
		return wire_fail(err, IKE_ERR_MALFORMED, 4, "identification data length for its type",
		                 IKE_IDI);
	return IKE_OK;
}

int ike_id_encode(ike_wr *w, const ike_id_pld *in)
{
	if (!id_len_ok(in->type, in->data.len))
		return IKE_ERR_INVAL;
	ike_wr_u8(w, in->type);
	ike_wr_u8(w, 0);
	ike_wr_u16(w, 0);
	ike_wr_bytes(w, in->data.ptr, in->data.len);
	return wire_wr_status(w);
}

int ike_id_to_ike_id(const ike_id_pld *in, ike_id *out)
{
	if (in->data.len > IKE_ID_MAX)
		return IKE_ERR_LIMIT;
	memset(out, 0, sizeof *out);
	out->type = in->type;
	out->len = (uint8_t)in->data.len;
	if (in->data.len)
		memcpy(out->data, in->data.ptr, in->data.len);
	return IKE_OK;
}

ike_id_pld ike_id_pld_of(const ike_id *id)
{
	return (ike_id_pld){.type = id->type, .data = {id->data, id->len}};
}
