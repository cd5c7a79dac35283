/* SPDX-License-Identifier: MIT */
/*
 * medcli/medcli.h - the mediation client: command line (cmd.c), the daemon
 * (daemon.c), host candidates (cand.c). See docs/medcli.md.
 */
#ifndef MEDCLI_MEDCLI_H
#define MEDCLI_MEDCLI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/err.h"
#include "ike/log.h"
#include "ike/types.h"

#define MC_DEFAULT_DIR "/var/lib/medcli"
#define MC_TUN_DEFAULT "medcli0"
#define MC_MAX_CAND 8 /* host, server-reflexive and relayed candidates we send */

/* Runs a subcommand (argv[1]); returns the process exit status. */
int mc_main(int argc, char **argv);

/* Options of `medcli run`. */
typedef struct mc_run_opts {
	const char *dir;
	uint16_t port, natt_port; /* 500, 4500 */
	ike_log_level log_level;
	const char *ifname;    /* TUN device name */
	bool xfrm;             /* kernel data plane instead of TUN */
	unsigned dpd_s;        /* DPD interval of idle direct tunnels (10) */
	unsigned server_dpd_s; /* DPD interval of the registration at the server (3) */
	unsigned up_timeout_s; /* bound of one connection attempt (10) */
} mc_run_opts;

/* Runs the daemon until SIGTERM/SIGINT. Returns the exit status. */
int mc_run(const mc_run_opts *o);

/* One interface address, as getifaddrs reports it (for candidate gathering). */
typedef struct mc_ifaddr {
	const char *ifname;
	ike_addr addr; /* port 0 */
	bool up, loopback;
} mc_ifaddr;

/* Picks host candidate addresses from an interface list: IPv4 and global IPv6,
 * interfaces up, not loopback, not the TUN device `skip_if` (may be NULL), not
 * link-local, no duplicates; at most max, in the given order; port set to
 * port. Returns the number written to out. Pure (tested without the system). */
size_t mc_pick_hosts(const mc_ifaddr *in, size_t n, const char *skip_if, uint16_t port, ike_addr *out,
                     size_t max);

/* Gathers the host's addresses with getifaddrs() and mc_pick_hosts(). Returns
 * the count (0 on failure). */
size_t mc_gather_hosts(const char *skip_if, uint16_t port, ike_addr *out, size_t max);

/* The local address the kernel would send from to reach dst (a connected UDP
 * socket's name; nothing is sent). Port 0. Errors: IKE_ERR_IO (no route). */
IKE_MUST_CHECK int mc_route_source(const ike_addr *dst, ike_addr *out);

#endif /* MEDCLI_MEDCLI_H */
