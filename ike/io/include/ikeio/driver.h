/* SPDX-License-Identifier: MIT */
/*
 * ikeio/driver.h - keeps one uv_timer_t armed at the next deadline of a sans-IO
 * object (the engine, a holepunch session): generic over two function pointers
 * and a user pointer. Time is uv_now(loop) in ms, the clock the object must be
 * fed with everywhere (see ikeio_now()).
 *
 * Not thread-safe: one loop per thread.
 */
#ifndef IKEIO_DRIVER_H
#define IKEIO_DRIVER_H
#include <uv.h>

#include "ike/err.h"
#include "ike/types.h"

typedef struct ikeio_driver ikeio_driver;

typedef struct ikeio_driver_ops {
	/* Required: the earliest time the object wants tick(), or IKE_NEVER. */
	ike_ms (*next_deadline)(void *obj);
	/* Required: runs what is due at or before now; returns IKE_OK or an error. */
	int (*tick)(void *obj, ike_ms now);
	/* Optional: told when tick() returned an error (the driver keeps running). */
	void (*on_error)(void *obj, int err);
} ikeio_driver_ops;

/* The loop's cached time in ms (uv_now): feed this to the driven object. */
ike_ms ikeio_now(const uv_loop_t *loop);

/* Creates a driver for obj on loop and arms it (ikeio_driver_rearm). ops is
 * copied; obj is borrowed and must outlive the driver. Errors: IKE_ERR_INVAL
 * (missing function), IKE_ERR_NOMEM, IKE_ERR_IO. *out is NULL on error. */
IKE_MUST_CHECK int ikeio_driver_new(uv_loop_t *loop, const ikeio_driver_ops *ops, void *obj, ikeio_driver **out);

/* Re-reads next_deadline() and re-arms the timer (or stops it for IKE_NEVER).
 * Call it after every call into the object that may change its deadline
 * (receive, initiate, ...); the driver re-arms by itself after each tick. A
 * deadline already in the past fires on the next loop iteration. Safe from any
 * callback, including from inside tick(). */
void ikeio_driver_rearm(ikeio_driver *d);

/* The deadline the timer is armed for (IKE_NEVER when stopped). */
ike_ms ikeio_driver_armed(const ikeio_driver *d);

/* Number of tick() calls so far. */
uint64_t ikeio_driver_ticks(const ikeio_driver *d);

/* Stops and closes the timer; memory is freed in the close callback. NULL is
 * ignored. The object is not touched after this call. */
void ikeio_driver_free(ikeio_driver *d);

#endif /* IKEIO_DRIVER_H */
