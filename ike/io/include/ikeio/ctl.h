/* SPDX-License-Identifier: MIT */
/*
 * ikeio/ctl.h - the daemons' control socket: a Unix stream socket (mode 0600)
 * carrying one JSON object per line each way. A request is {"cmd": "status"}
 * (plus arguments, e.g. "peer"); the answer is one object, {"error": "..."} on
 * failure (the convention web/ relies on). A connection may send several
 * requests; answers come in order.
 *
 * Server: not thread-safe, one loop. Client: blocking with a timeout, for CLI
 * subcommands (status, up, down) and tests; thread-safe.
 */
#ifndef IKEIO_CTL_H
#define IKEIO_CTL_H
#include <jansson.h>
#include <uv.h>

#include "ike/err.h"

typedef struct ikeio_ctl ikeio_ctl;

/* Longest request or answer line. */
#define IKEIO_CTL_LINE_MAX (256u * 1024u)

/* Handles one request (req borrowed, a JSON object). Returns the answer, a new
 * reference the server takes (json_decref), or NULL for {"error": "internal error"}.
 * The handler may not close the server. */
typedef json_t *(*ikeio_ctl_fn)(void *user, json_t *req);

/* Listens on path (its directory must exist; a stale socket file nobody answers
 * on is replaced) with mode 0600. Errors: IKE_ERR_INVAL (path too long, no
 * handler), IKE_ERR_EXISTS (a live server already answers there), IKE_ERR_IO,
 * IKE_ERR_NOMEM. *out is NULL on error. */
IKE_MUST_CHECK int ikeio_ctl_listen(uv_loop_t *loop, const char *path, ikeio_ctl_fn fn, void *user,
				    ikeio_ctl **out);

/* Number of requests answered so far. */
unsigned long ikeio_ctl_served(const ikeio_ctl *c);

/* Closes the server and every client connection, removes the socket file; memory
 * is freed in the close callbacks. NULL is ignored. */
void ikeio_ctl_close(ikeio_ctl *c);

/* Client: connects to path, sends req (borrowed) as one line and reads one
 * answer line into *reply (a JSON object; caller json_decref's). Errors:
 * IKE_ERR_NOT_FOUND (no socket, or nobody listening: the daemon is not running),
 * IKE_ERR_TIMEOUT (no answer within timeout_ms), IKE_ERR_MALFORMED (the answer
 * is not a JSON object), IKE_ERR_LIMIT (answer too long), IKE_ERR_INVAL,
 * IKE_ERR_IO, IKE_ERR_NOMEM. Must not be called on the thread running the
 * server's loop (it would wait for itself). */
IKE_MUST_CHECK int ikeio_ctl_call(const char *path, json_t *req, int timeout_ms, json_t **reply);

#endif /* IKEIO_CTL_H */
