/* SPDX-License-Identifier: MIT */
/*
 * Delete payload (RFC 7296 3.11).
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Protocol ID   |   SPI Size    |          Num of SPIs          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~               Security Parameter Index(es) (SPI)              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Deleting the IKE SA: protocol 1, SPI size 0, no SPIs (the header names it).
 * CHILD SAs: protocol 2 (AH) or 3 (ESP), SPI size 4, one or more SPIs.
 */
#include "wire_int.h"

static int check_delete(uint8_t proto, uint8_t spi_len, uint16_t n)
{
	if (proto == IKE_PROTO_IKE)
		return spi_len == 0 && n == 0 ? IKE_OK : IKE_ERR_MALFORMED;
	if (proto == IKE_PROTO_AH || proto == IKE_PROTO_ESP)
		return spi_len == 4 && n >= 1 ? IKE_OK : IKE_ERR_MALFORMED;
	return IKE_ERR_MALFORMED;
}

int ike_delete_decode(ike_slice body, ike_delete_pld *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(body.ptr, body.len);

	ike_rd_u8(&r, &out->proto);
	ike_rd_u8(&r, &out->spi_len);
	ike_rd_u16(&r, &out->n);
	if (r.bad)
		return wire_fail(err, IKE_ERR_TRUNCATED, 0, "delete header", IKE_DELETE);
	if (out->proto != IKE_PROTO_IKE && out->proto != IKE_PROTO_AH && out->proto != IKE_PROTO_ESP)
		return wire_fail(err, IKE_ERR_MALFORMED, 0, "protocol ID", IKE_DELETE);
	if (check_delete(out->proto, out->spi_len, out->n))
		return wire_fail(err, IKE_ERR_MALFORMED, 1, "SPI size or count for protocol", IKE_DELETE);
	if ((size_t)out->n * out->spi_len > r.left)
		return wire_fail(err, IKE_ERR_TRUNCATED, 2, "SPIs beyond payload", IKE_DELETE);
	if ((size_t)out->n * out->spi_len < r.left)
		return wire_fail(err, IKE_ERR_MALFORMED, 4 + (size_t)out->n * out->spi_len,
		                 "bytes after SPIs", IKE_DELETE);
	out->spis = ike_rd_rest(&r);
	return IKE_OK;
}

int ike_delete_encode(ike_wr *w, const ike_delete_pld *in)
{
	if (check_delete(in->proto, in->spi_len, in->n) || in->spis.len != (size_t)in->n * in->spi_len)
		return IKE_ERR_INVAL;
	ike_wr_u8(w, in->proto);
	ike_wr_u8(w, in->spi_len);
	ike_wr_u16(w, in->n);
	ike_wr_bytes(w, in->spis.ptr, in->spis.len);
	return wire_wr_status(w);
}

uint32_t ike_delete_spi32(const ike_delete_pld *d, unsigned i)
{
	if (d->spi_len != 4 || i >= d->n || (size_t)i * 4 + 4 > d->spis.len)
		return 0;
	return ike_get_u32(d->spis.ptr + (size_t)i * 4);
}
