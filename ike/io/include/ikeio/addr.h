/* SPDX-License-Identifier: MIT */
/*
 * ikeio/addr.h - conversions between ike_addr (the engine's value type, no socket
 * headers) and struct sockaddr. Pure functions; thread-safe.
 */
#ifndef IKEIO_ADDR_H
#define IKEIO_ADDR_H
#include <sys/socket.h>

#include "ike/err.h"
#include "ike/types.h"

/* Fills *ss and *sslen from a (family IKE_AF_INET or IKE_AF_INET6, port in host
 * order). Returns IKE_OK, or IKE_ERR_INVAL for another family. */
IKE_MUST_CHECK int ikeio_addr_to_sockaddr(const ike_addr *a, struct sockaddr_storage *ss, socklen_t *sslen);

/* Fills *a from an AF_INET or AF_INET6 sockaddr (sa borrowed, len its size).
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) stays IPv6. Returns IKE_OK, or
 * IKE_ERR_INVAL (other family or len too small). */
IKE_MUST_CHECK int ikeio_addr_from_sockaddr(ike_addr *a, const struct sockaddr *sa, socklen_t len);

/* True when a's IP is the unspecified address (0.0.0.0 or ::), or family unset. */
bool ikeio_addr_is_any(const ike_addr *a);

/* True when a's IP is not reachable across the internet: private (10/8, 172.16/12,
 * 192.168/16), shared (100.64/10), loopback, link-local, IPv6 unique-local
 * (fc00::/7), link-local (fe80::/10) or loopback. */
bool ikeio_addr_is_private(const ike_addr *a);

#endif /* IKEIO_ADDR_H */
