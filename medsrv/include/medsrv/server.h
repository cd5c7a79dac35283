/* SPDX-License-Identifier: MIT */
/*
 * medsrv/server.h - `medsrv run`: the daemon. One worker thread per core, each
 * with its own libuv loop, its own shard (engine + mediation logic, see
 * shard.h) and its own UDP sockets on the shared ports (SO_REUSEPORT). The
 * engine puts the worker's number in the top bits of every responder SPI, so a
 * datagram the kernel hands to the wrong worker is forwarded to its owner
 * through that worker's inbox (a mutex-protected list + uv_async). The
 * registry is shared; relays between workers are messages through the same
 * inboxes. The main thread runs the control socket (DIR/medsrv.ctl) and the
 * signals; SIGTERM/SIGINT make every worker delete its registrations (1 s
 * grace for the answers), close its handles and exit.
 */
#ifndef MEDSRV_SERVER_H
#define MEDSRV_SERVER_H
#include <stdint.h>

#include "ike/err.h"
#include "ike/log.h"
#include "medsrv/turn.h"

#define MS_LISTEN_MAX 8
#define MS_WORKERS_MAX 64

typedef struct ms_run_opts {
	const char *dir;                   /* state directory: medsrv.db, medsrv.key, medsrv.ctl */
	const char *listen[MS_LISTEN_MAX]; /* addresses to serve on; none = 0.0.0.0 */
	unsigned nlisten;
	uint16_t port, natt_port; /* 500, 4500 */
	ike_log_level log_level;  /* INFO */
	unsigned workers;         /* 0 = one per CPU */
	unsigned dpd_s;           /* DPD interval in seconds; 0 = 30 */
	const char *ctl;          /* control socket; NULL = DIR/medsrv.ctl */
	const ms_turn_config *turn; /* TURN relay and secret (--turn); NULL = none. Borrowed */
} ms_run_opts;

/* Runs the daemon until SIGTERM or SIGINT. Prints why on stderr and returns an
 * error when it cannot start: IKE_ERR_NOT_FOUND (no key or database: run
 * `medsrv init`), IKE_ERR_EXISTS (another medsrv answers on the control
 * socket), IKE_ERR_ADDR_IN_USE, IKE_ERR_IO, IKE_ERR_NOMEM, IKE_ERR_DB.
 * Returns IKE_OK after a clean stop. Call from the main thread, once. */
int ms_run(const ms_run_opts *o);

#endif /* MEDSRV_SERVER_H */
