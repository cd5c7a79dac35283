/* SPDX-License-Identifier: MIT */
/* Datagram -> owning shard, by the responder SPI (RFC 7296 3.1: bytes 8..15). */
#include "medsrv/route.h"

#define IKE_HDR_LEN 28

unsigned ms_route_shard(const uint8_t *pkt, size_t len, unsigned bits, unsigned nshards, unsigned self)
{
	uint64_t spi_r = 0;
	unsigned sh;

	if (bits == 0 || bits > 8 || nshards < 2 || len < IKE_HDR_LEN)
		return self;
	for (int i = 8; i < 16; i++)
		spi_r = spi_r << 8 | pkt[i];
	if (!spi_r)
		return self;
	sh = (unsigned)(spi_r >> (64 - bits));
	return sh < nshards ? sh : self;
}
