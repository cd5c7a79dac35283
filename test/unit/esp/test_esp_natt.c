/* SPDX-License-Identifier: MIT */
/* RFC 3948 demultiplexing of UDP port 4500. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "ike/esp.h"

Test(esp_natt, classifies_keepalive_ike_and_esp)
{
	uint8_t p[64] = {0};

	p[0] = 0xff;
	cr_assert(eq(int, ike_esp_classify_natt(p, 1), IKE_NATT_IS_KEEPALIVE));
	p[0] = 0x00;
	cr_assert(eq(int, ike_esp_classify_natt(p, 1), IKE_NATT_IS_INVALID));
	cr_assert(eq(int, ike_esp_classify_natt(p, 0), IKE_NATT_IS_INVALID));
	cr_assert(eq(int, ike_esp_classify_natt(NULL, 10), IKE_NATT_IS_INVALID));
	/* Non-ESP marker and a 28-byte IKE header. */
	cr_assert(eq(int, ike_esp_classify_natt(p, 4 + 28), IKE_NATT_IS_IKE));
	cr_assert(eq(int, ike_esp_classify_natt(p, 4 + 27), IKE_NATT_IS_INVALID));
	/* ESP: a non-zero SPI and a sequence number. */
	p[3] = 0x01;
	cr_assert(eq(int, ike_esp_classify_natt(p, 8), IKE_NATT_IS_ESP));
	cr_assert(eq(int, ike_esp_classify_natt(p, 7), IKE_NATT_IS_INVALID));
	p[3] = 0;
	p[0] = 0x80;
	cr_assert(eq(int, ike_esp_classify_natt(p, 60), IKE_NATT_IS_ESP));
	/* 0xFF followed by more bytes is not a keepalive (it is an ESP SPI ff......). */
	p[0] = 0xff;
	cr_assert(eq(int, ike_esp_classify_natt(p, 2), IKE_NATT_IS_INVALID));
	cr_assert(eq(int, ike_esp_classify_natt(p, 8), IKE_NATT_IS_ESP));
}

Test(esp_natt, writes_the_keepalive_byte)
{
	uint8_t b[2] = {0, 0};

	cr_assert(eq(sz, ike_esp_natt_keepalive(b, 0), 0));
	cr_assert(eq(sz, ike_esp_natt_keepalive(b, sizeof b), 1));
	cr_assert(eq(u8, b[0], 0xff));
	cr_assert(eq(u8, b[1], 0));
}
