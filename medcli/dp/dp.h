/* SPDX-License-Identifier: MIT */
/*
 * medcli/dp/dp.h - the data plane: moves IP packets between the local stack and
 * a peer's CHILD_SAs. The default backend is userspace ESP-in-UDP (RFC 3948) over
 * a TUN device (ike/esp.h does the ESP); the XFRM backend installs the SAs and
 * policies in the kernel over netlink (ike/esp_xfrm.h builds the messages) where
 * the kernel has ESP.
 *
 * The data plane owns the TUN device, its addresses and routes, and the ESP SA
 * state. It does not own the UDP socket: ESP goes out through the send callback
 * (the program sends it on its 4500 socket, the same one that carries IKE and the
 * punched path), and ESP that arrives there is handed in with dp_esp_input().
 *
 * Not thread-safe: one loop.
 */
#ifndef MEDCLI_DP_H
#define MEDCLI_DP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "ike/engine.h"
#include "ike/err.h"
#include "ike/types.h"

typedef struct dp dp;

typedef enum dp_backend {
	DP_BACKEND_TUN = 0, /* userspace ESP over TUN (default) */
	DP_BACKEND_XFRM,    /* kernel ESP through XFRM netlink */
} dp_backend;

/* Sends one ESP packet (starting with the SPI; no non-ESP marker) on path.
 * pkt is borrowed for the call. Returns 0 or a negative IKE_ERR_* code. */
typedef int (*dp_send_fn)(void *user, const ike_path *path, const uint8_t *pkt, size_t len);

typedef struct dp_cfg {
	dp_backend backend;
	const char *ifname;     /* TUN device name ("medcli0" when NULL); copied */
	unsigned mtu;           /* TUN MTU; 0 = 1400 */
	uint32_t replay_window; /* inbound anti-replay window in packets; 0 = 128 */
} dp_cfg;

/* Traffic counters of one CHILD_SA pair (both directions). */
typedef struct dp_stats {
	uint64_t bytes_in, bytes_out; /* inner (plaintext) bytes */
	uint64_t packets_in, packets_out;
	uint64_t dropped_in;  /* failed integrity, replayed, malformed */
	uint64_t dropped_out; /* no route, send failed, too big */
} dp_stats;

/* Creates the data plane on loop: opens the TUN device (TUN backend) or the
 * XFRM netlink socket. cfg is copied; send/user are kept. Errors: IKE_ERR_INVAL,
 * IKE_ERR_IO (no /dev/net/tun, no permission: see errno), IKE_ERR_NOMEM.
 * *out is NULL on error. */
IKE_MUST_CHECK int dp_new(uv_loop_t *loop, const dp_cfg *cfg, dp_send_fn send, void *user, dp **out);

/* Installs a CHILD_SA pair as the engine reported it (IKE_EV_CHILD_UP): the
 * inbound and outbound ESP SAs, info->local_ts's first address on the TUN
 * device (when it is a single host) and routes for info->remote_ts into the
 * device, ESP sent on info->path. info is borrowed (copied). Errors:
 * IKE_ERR_EXISTS (spi_in already installed), IKE_ERR_INVAL (unsupported
 * algorithm), IKE_ERR_IO (netlink refused: logged), IKE_ERR_NOMEM. */
IKE_MUST_CHECK int dp_child_add(dp *d, const ike_child_info *info);

/* Replaces the CHILD_SA with inbound SPI old_spi_in by info (IKE_EV_CHILD_REKEYED):
 * new outbound traffic uses the new SA at once; the old inbound SA keeps
 * accepting packets in flight for a short while, then goes. Counters carry over.
 * Errors: IKE_ERR_NOT_FOUND, and those of dp_child_add. */
IKE_MUST_CHECK int dp_child_rekey(dp *d, uint32_t old_spi_in, const ike_child_info *info);

/* Moves the CHILD_SA's ESP to a new path (the direct path changed after a
 * re-mediation). Errors: IKE_ERR_NOT_FOUND. */
IKE_MUST_CHECK int dp_child_set_path(dp *d, uint32_t spi_in, const ike_path *path);

/* Removes the CHILD_SA (IKE_EV_CHILD_DOWN) with its routes and address.
 * Errors: IKE_ERR_NOT_FOUND. */
IKE_MUST_CHECK int dp_child_del(dp *d, uint32_t spi_in);

/* Hands in one ESP packet that arrived on path (marker-less, starting with the
 * SPI), as ikeio_udp's on_esp gives it. Unknown SPIs, bad integrity and
 * replays are counted and dropped (rate-limited log). A packet that passes
 * every check, is the newest seen on its SA and arrived on another path than
 * the SA's moves the SA's outbound ESP to that path (the peer's NAT gave it a
 * new port) and is reported to the path callback. */
void dp_esp_input(dp *d, const ike_path *path, const uint8_t *pkt, size_t len);

/* Copies the counters of the CHILD_SA with inbound SPI spi_in (across its
 * rekeys). Errors: IKE_ERR_NOT_FOUND. */
IKE_MUST_CHECK int dp_child_stats(const dp *d, uint32_t spi_in, dp_stats *out);

/* The peer's ESP arrives from a new place (see dp_esp_input): spi_in's SA sends there now. */
typedef void (*dp_path_fn)(void *user, uint32_t spi_in, const ike_path *path);
void dp_set_path_cb(dp *d, dp_path_fn fn);

/* On-demand (a peer with `--start on-demand`): a trap routes the peer's side
 * (rts, with our address from lts when it is a single host) into the device
 * before any tunnel exists; a packet from lts to rts that no CHILD_SA carries is
 * dropped and reported with the trap's cookie (at most once a second per trap).
 * A CHILD_SA with the same selectors shares the route and wins while it exists.
 * TUN backend only. */
typedef void (*dp_trap_fn)(void *user, void *cookie);
void dp_set_trap_cb(dp *d, dp_trap_fn fn);

/* Errors: IKE_ERR_INVAL (families differ), IKE_ERR_EXISTS (cookie has one),
 * IKE_ERR_LIMIT, IKE_ERR_UNSUPPORTED (XFRM backend), IKE_ERR_IO (netlink). */
IKE_MUST_CHECK int dp_trap_add(dp *d, const ike_tsel *lts, const ike_tsel *rts, void *cookie);

/* Removes cookie's trap (its route and address, unless a CHILD_SA needs them);
 * false when there was none. */
bool dp_trap_del(dp *d, void *cookie);

/* Packets cookie's trap caught so far (0 when there is no such trap). */
uint64_t dp_trap_hits(const dp *d, void *cookie);

/* The TUN device's name (as the kernel assigned it), or "" for XFRM. */
const char *dp_ifname(const dp *d);

/* Removes every CHILD_SA, route and address, closes the device; memory is
 * freed in the libuv close callbacks. NULL is ignored. */
void dp_free(dp *d);

#endif /* MEDCLI_DP_H */
