/* SPDX-License-Identifier: MIT */
/* Datagram routing between workers by the responder SPI's top bits. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "medsrv/route.h"

static void header(uint8_t *pkt, uint64_t spi_i, uint64_t spi_r)
{
	memset(pkt, 0, 28);
	for (int i = 0; i < 8; i++) {
		pkt[7 - i] = (uint8_t)(spi_i >> (8 * i));
		pkt[15 - i] = (uint8_t)(spi_r >> (8 * i));
	}
	pkt[17] = 0x20;
	pkt[18] = 35; /* IKE_AUTH */
	pkt[27] = 28;
}

Test(ms_route, sends_message_to_the_shard_in_the_responder_spi)
{
	uint8_t pkt[64];

	header(pkt, 0x1111222233334444ull, 0x8000000000000abcull);
	cr_assert(eq(u32, ms_route_shard(pkt, sizeof pkt, 1, 2, 0), 1));
	header(pkt, 0x1111222233334444ull, 0x4000000000000abcull);
	cr_assert(eq(u32, ms_route_shard(pkt, sizeof pkt, 2, 4, 0), 1));
	header(pkt, 0xffffffffffffffffull, 0xc000000000000abcull);
	cr_assert(eq(u32, ms_route_shard(pkt, sizeof pkt, 2, 4, 0), 3));
	cr_assert(eq(u32, ms_route_shard(pkt, sizeof pkt, 2, 3, 1), 1), "shard 3 does not exist: stay");
}

Test(ms_route, keeps_ike_sa_init_requests_runts_and_single_shard_traffic)
{
	uint8_t pkt[64];

	header(pkt, 0x8111222233334444ull, 0);
	cr_assert(eq(u32, ms_route_shard(pkt, sizeof pkt, 1, 2, 0), 0),
	          "responder SPI 0: IKE_SA_INIT request");
	cr_assert(eq(u32, ms_route_shard(pkt, sizeof pkt, 1, 2, 1), 1));
	header(pkt, 1, 0x8000000000000001ull);
	cr_assert(eq(u32, ms_route_shard(pkt, 27, 1, 2, 0), 0), "shorter than an IKE header");
	cr_assert(eq(u32, ms_route_shard(pkt, sizeof pkt, 0, 1, 0), 0));
	cr_assert(eq(u32, ms_route_shard(pkt, sizeof pkt, 9, 2, 0), 0), "more bits than the engine allows");
}
