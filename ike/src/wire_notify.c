/* SPDX-License-Identifier: MIT */
/*
 * Notify payload (RFC 7296 3.10).
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#include "wire_int.h"

int ike_notify_decode(ike_slice body, ike_notify_pld *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(body.ptr, body.len);
	uint8_t spi_len;

	ike_rd_u8(&r, &out->proto);
	ike_rd_u8(&r, &spi_len);
	ike_rd_u16(&r, &out->type);
	if (r.bad)
		return wire_fail(err, IKE_ERR_TRUNCATED, 0, "notify header", IKE_NOTIFY);
	if (spi_len > IKE_WIRE_SPI_MAX)
		return wire_fail(err, IKE_ERR_MALFORMED, 1, "SPI size", IKE_NOTIFY);
	if (!ike_rd_bytes(&r, spi_len, &out->spi))
		return wire_fail(err, IKE_ERR_TRUNCATED, 1, "SPI beyond payload", IKE_NOTIFY);
	out->data = ike_rd_rest(&r);
	return IKE_OK;
}

int ike_notify_encode(ike_wr *w, const ike_notify_pld *in)
{
	if (in->spi.len > IKE_WIRE_SPI_MAX)
		return IKE_ERR_INVAL;
	ike_wr_u8(w, in->proto);
	ike_wr_u8(w, (uint8_t)in->spi.len);
	ike_wr_u16(w, in->type);
	ike_wr_bytes(w, in->spi.ptr, in->spi.len);
	ike_wr_bytes(w, in->data.ptr, in->data.len);
	return wire_wr_status(w);
}
