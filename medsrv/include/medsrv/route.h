/* SPDX-License-Identifier: MIT */
/*
 * medsrv/route.h - which shard (worker) owns an arriving IKE datagram. The
 * engine of shard k puts k into the top `bits` bits of every SPI it picks
 * (ike_config.spi_shard_bits / spi_shard). The mediation server is always the
 * IKE_SA responder, so its SPI is the responder SPI of every message of the SA,
 * requests and responses alike. Pure function; thread-safe.
 */
#ifndef MEDSRV_ROUTE_H
#define MEDSRV_ROUTE_H
#include <stddef.h>
#include <stdint.h>

/* The shard that owns pkt (an IKE message, non-ESP marker stripped): the one
 * named in the responder SPI's top `bits` bits; `self` when there is one shard
 * (bits 0), for an IKE_SA_INIT request (responder SPI 0: the shard that
 * receives it creates the SA), for a runt, or for a shard number >= nshards
 * (the engine then drops it as an unknown SPI). */
unsigned ms_route_shard(const uint8_t *pkt, size_t len, unsigned bits, unsigned nshards, unsigned self);

#endif /* MEDSRV_ROUTE_H */
