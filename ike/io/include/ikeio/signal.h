/* SPDX-License-Identifier: MIT */
/*
 * ikeio/signal.h - SIGINT and SIGTERM turned into one callback on the loop, so a
 * daemon can stop cleanly (close its handles, then let uv_run return).
 */
#ifndef IKEIO_SIGNAL_H
#define IKEIO_SIGNAL_H
#include <uv.h>

#include "ike/err.h"

typedef struct ikeio_signals ikeio_signals;

/* Called on the loop thread with the signal number (SIGINT or SIGTERM). */
typedef void (*ikeio_stop_fn)(void *user, int signum);

/* Watches SIGINT and SIGTERM on loop and calls on_stop for each (also ignores
 * SIGPIPE for the process). Errors: IKE_ERR_INVAL, IKE_ERR_NOMEM, IKE_ERR_IO.
 * *out is NULL on error. */
IKE_MUST_CHECK int ikeio_signals_new(uv_loop_t *loop, ikeio_stop_fn on_stop, void *user, ikeio_signals **out);

/* Stops watching and closes the handles (freed in their close callbacks). NULL
 * is ignored; safe from on_stop. */
void ikeio_signals_free(ikeio_signals *s);

#endif /* IKEIO_SIGNAL_H */
