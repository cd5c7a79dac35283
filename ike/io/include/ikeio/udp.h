/* SPDX-License-Identifier: MIT */
/*
 * ikeio/udp.h - IKE/ESP UDP sockets on a libuv loop (ports 500 and 4500).
 *
 * libuv 1.44 has no UV_UDP_REUSEPORT and its receive callback gives no
 * destination address, so the sockets are opened by hand (SO_REUSEADDR and
 * SO_REUSEPORT only when cfg.reuseport, IP_PKTINFO / IPV6_RECVPKTINFO), made non-blocking and
 * watched with a uv_poll_t; datagrams are read with recvmmsg to learn the
 * address each one was sent to, and replies are sent with sendmsg + PKTINFO so
 * they leave from the address the request came to.
 *
 * A NAT-T socket (cfg.natt, normally port 4500) demultiplexes RFC 3948 /
 * RFC 7296 2.23: one 0xFF byte = NAT keepalive (counted, dropped); four zero
 * bytes (non-ESP marker) = IKE (marker stripped); anything else = ESP (first 4
 * bytes are a non-zero SPI). ikeio_udp_send_ike() on a NAT-T socket prepends the
 * marker. A plain socket (port 500) carries IKE without marker.
 *
 * Not thread-safe: one loop per thread. Pointers passed to callbacks are valid
 * only during the callback.
 */
#ifndef IKEIO_UDP_H
#define IKEIO_UDP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "ike/err.h"
#include "ike/types.h"

/* ---- 1. opaque types ---- */
typedef struct ikeio_udp ikeio_udp;

/* ---- 2. plain value types ---- */
typedef struct ikeio_udp_cfg {
	ike_addr bind;  /* family IKE_AF_INET or IKE_AF_INET6; ip may be 0.0.0.0 / ::; port 0 = ephemeral */
	bool natt;      /* demultiplex RFC 3948 (port 4500 role) */
	bool reuseport; /* SO_REUSEADDR+SO_REUSEPORT (workers share the port); else a busy port fails */
} ikeio_udp_cfg;

typedef struct ikeio_udp_stats {
	uint64_t rx_ike, rx_esp, rx_keepalive, rx_dropped; /* dropped: empty or runt datagrams */
	uint64_t rx_claimed;                               /* taken by the claim callback */
	uint64_t tx, tx_errors;
} ikeio_udp_stats;

/* ---- 3. callback types ---- */
/* Called for each received IKE message (marker already stripped) or ESP packet
 * (starting with the SPI). path->local is the address the datagram was sent to
 * (with the socket's port), path->remote the sender. pkt is valid only during
 * the call. The callback may call ikeio_udp_close() on the socket. */
typedef void (*ikeio_udp_recv_fn)(void *user, ikeio_udp *sock, const ike_path *path, const uint8_t *pkt,
				  size_t len);

/* Offered every datagram before the demultiplexing (e.g. TURN: what comes from the
 * TURN server is STUN or ChannelData, not IKE or ESP). Returns true when it took
 * the datagram. */
typedef bool (*ikeio_udp_claim_fn)(void *user, ikeio_udp *sock, const ike_path *path, const uint8_t *pkt,
				   size_t len);

typedef struct ikeio_udp_cbs {
	ikeio_udp_recv_fn on_ike;  /* required */
	ikeio_udp_recv_fn on_esp;  /* optional: NULL = ESP is counted and dropped */
	ikeio_udp_claim_fn claim;  /* optional */
} ikeio_udp_cbs;

/* ---- 4. functions ---- */

/* Opens a socket bound to cfg->bind and starts receiving on loop. cfg and cb are
 * copied; user is passed to the callbacks. *out is NULL on error. Errors:
 * IKE_ERR_INVAL (bad family), IKE_ERR_ADDR_IN_USE (the port is taken and not
 * shared with SO_REUSEPORT by both), IKE_ERR_ADDR_NOT_AVAIL (the address is not
 * on this host), IKE_ERR_IO (another socket error: see errno), IKE_ERR_NOMEM. */
IKE_MUST_CHECK int ikeio_udp_open(uv_loop_t *loop, const ikeio_udp_cfg *cfg, const ikeio_udp_cbs *cb, void *user,
				  ikeio_udp **out);

/* Stops receiving and closes the socket; memory is freed in the libuv close
 * callback (run the loop once more). NULL is ignored; safe from a callback;
 * calling it twice is harmless. */
void ikeio_udp_close(ikeio_udp *s);

/* The bound address, with the real port when 0 was asked for. */
ike_addr ikeio_udp_local(const ikeio_udp *s);

/* True for a NAT-T (demultiplexing) socket. */
bool ikeio_udp_is_natt(const ikeio_udp *s);

/* Sends one IKE message to path->remote, from path->local's IP when it is set
 * (not the unspecified address; its port is ignored). On a NAT-T socket the
 * non-ESP marker is prepended. pkt is borrowed. Errors: IKE_ERR_INVAL (family
 * mismatch, len > 65000), IKE_ERR_IO (send failed or would block: the datagram
 * is dropped, rely on retransmission), IKE_ERR_STATE (closing). */
IKE_MUST_CHECK int ikeio_udp_send_ike(ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len);

/* Sends bytes as they are (an ESP packet starting with its SPI), same rules. */
IKE_MUST_CHECK int ikeio_udp_send_raw(ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len);

/* Sends a NAT keepalive (one 0xFF byte, RFC 3948 2.3) on path. */
IKE_MUST_CHECK int ikeio_udp_send_keepalive(ikeio_udp *s, const ike_path *path);

/* Hands one datagram that arrived by another way (e.g. TURN: the payload of a Data
 * indication or ChannelData) to the socket's demultiplexing and callbacks, as if the
 * socket had received it on path; the claim callback is not asked. Ignored on a
 * closing socket. */
void ikeio_udp_inject(ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len);

/* Copies the counters. */
void ikeio_udp_get_stats(const ikeio_udp *s, ikeio_udp_stats *out);

/* The engine's send callback for a pair of sockets: user must point to an
 * ikeio_udp_pair. Sends on natt when path->local.port equals natt's port (so the
 * marker is added), else on ike. Returns what ikeio_udp_send_ike returns, or
 * IKE_ERR_INVAL when no socket of the path's family is set. */
typedef struct ikeio_udp_pair {
	ikeio_udp *ike;  /* port 500 role; may be NULL */
	ikeio_udp *natt; /* port 4500 role; may be NULL */
} ikeio_udp_pair;
int ikeio_udp_pair_send(void *pair, const ike_path *path, const uint8_t *pkt, size_t len);

#endif /* IKEIO_UDP_H */
