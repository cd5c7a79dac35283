/* SPDX-License-Identifier: MIT */
/*
 * Traffic Selector payloads TSi and TSr (RFC 7296 3.13).
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Number of TSs |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       <Traffic Selectors>                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Traffic selector (3.13.1):
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * |           Start Port*         |           End Port*           |
 * ~                         Starting Address*                     ~
 * ~                         Ending Address*                       ~
 * Selector length 16 for TS_IPV4_ADDR_RANGE, 40 for TS_IPV6_ADDR_RANGE.
 */
#include <string.h>

#include "wire_int.h"

static size_t addr_len(uint8_t type)
{
	return type == IKE_TS_IPV4_ADDR_RANGE ? 4 : type == IKE_TS_IPV6_ADDR_RANGE ? 16 : 0;
}

int ike_ts_decode(ike_slice body, ike_ts_pld *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(body.ptr, body.len);
	const uint8_t *res;
	uint8_t n;

	out->n = 0;
	ike_rd_u8(&r, &n);
	ike_rd_take(&r, 3, &res);
	if (r.bad)
		return wire_fail(err, IKE_ERR_TRUNCATED, 0, "TS header", IKE_TSI);
	if (n == 0)
		return wire_fail(err, IKE_ERR_MALFORMED, 0, "number of TSs is 0", IKE_TSI);
	if (n > IKE_WIRE_MAX_TS)
		return wire_fail(err, IKE_ERR_LIMIT, 0, "number of TSs", IKE_TSI);
	for (unsigned i = 0; i < n; i++) {
		size_t off = body.len - r.left, alen;
		uint16_t slen;
		ike_ts *t = &out->ts[i];

		memset(t, 0, sizeof *t);
		ike_rd_u8(&r, &t->type);
		ike_rd_u8(&r, &t->ip_proto);
		ike_rd_u16(&r, &slen);
		if (r.bad)
			return wire_fail(err, IKE_ERR_TRUNCATED, off, "traffic selector header", IKE_TSI);
		alen = addr_len(t->type);
		if (!alen)
			return wire_fail(err, IKE_ERR_UNSUPPORTED, off, "TS type", IKE_TSI);
		if (slen != 8 + 2 * alen)
			return wire_fail(err, IKE_ERR_MALFORMED, off + 2, "selector length for TS type",
			                 IKE_TSI);
		ike_rd_u16(&r, &t->start_port);
		ike_rd_u16(&r, &t->end_port);
		ike_rd_copy(&r, t->start, alen);
		ike_rd_copy(&r, t->end, alen);
		if (r.bad)
			return wire_fail(err, IKE_ERR_TRUNCATED, off + 2, "selector beyond payload", IKE_TSI);
	}
	if (r.left)
		return wire_fail(err, IKE_ERR_MALFORMED, body.len - r.left, "bytes after last selector",
		                 IKE_TSI);
	out->n = n;
	return IKE_OK;
}

int ike_ts_encode(ike_wr *w, const ike_ts_pld *in)
{
	if (in->n == 0 || in->n > IKE_WIRE_MAX_TS)
		return IKE_ERR_INVAL;
	ike_wr_u8(w, in->n);
	ike_wr_u8(w, 0);
	ike_wr_u16(w, 0);
	for (unsigned i = 0; i < in->n; i++) {
		const ike_ts *t = &in->ts[i];
		size_t alen = addr_len(t->type);

		if (!alen)
			return IKE_ERR_INVAL;
		ike_wr_u8(w, t->type);
		ike_wr_u8(w, t->ip_proto);
		ike_wr_u16(w, (uint16_t)(8 + 2 * alen));
		ike_wr_u16(w, t->start_port);
		ike_wr_u16(w, t->end_port);
		ike_wr_bytes(w, t->start, alen);
		ike_wr_bytes(w, t->end, alen);
	}
	return wire_wr_status(w);
}
