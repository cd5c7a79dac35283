/* SPDX-License-Identifier: MIT */
/* RFC 3948 demultiplexing of UDP port 4500 payloads. */
#include "ike/esp.h"

/* IKE header (RFC 7296 3.1) is 28 bytes. */
#define IKE_HDR_LEN 28

ike_natt_kind ike_esp_classify_natt(const uint8_t *pkt, size_t len)
{
	if (!pkt || len == 0)
		return IKE_NATT_IS_INVALID;
	/* RFC 3948 2.3: exactly one byte, 0xFF. */
	if (len == 1)
		return pkt[0] == IKE_NATT_KEEPALIVE ? IKE_NATT_IS_KEEPALIVE : IKE_NATT_IS_INVALID;
	if (len < 8)
		return IKE_NATT_IS_INVALID;
	/* RFC 3948 2.2: a zero SPI field is the non-ESP marker; ESP never uses SPI 0. */
	if (pkt[0] == 0 && pkt[1] == 0 && pkt[2] == 0 && pkt[3] == 0)
		return len >= IKE_NON_ESP_MARKER_LEN + IKE_HDR_LEN ? IKE_NATT_IS_IKE : IKE_NATT_IS_INVALID;
	return IKE_NATT_IS_ESP;
}

size_t ike_esp_natt_keepalive(uint8_t *out, size_t cap)
{
	if (!out || cap == 0)
		return 0;
	out[0] = IKE_NATT_KEEPALIVE;
	return 1;
}
