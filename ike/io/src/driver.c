/* SPDX-License-Identifier: MIT */
/* ike/io/src/driver.c - one uv_timer_t armed at a sans-IO object's next deadline. */
#include <stdlib.h>

#include "ikeio/driver.h"

struct ikeio_driver {
	uv_timer_t timer; /* first: close_cb gets back the struct from the handle */
	ikeio_driver_ops ops;
	void *obj;
	ike_ms armed;
	uint64_t ticks;
	bool closing;
};

ike_ms ikeio_now(const uv_loop_t *loop)
{
	return (ike_ms)uv_now(loop);
}

static void on_timer(uv_timer_t *t)
{
	ikeio_driver *d = (ikeio_driver *)t;
	int rc;

	d->armed = IKE_NEVER;
	d->ticks++;
	rc = d->ops.tick(d->obj, ikeio_now(t->loop));
	if (rc != IKE_OK && d->ops.on_error && !d->closing)
		d->ops.on_error(d->obj, rc);
	ikeio_driver_rearm(d);
}

void ikeio_driver_rearm(ikeio_driver *d)
{
	ike_ms now, at;

	if (!d || d->closing)
		return;
	at = d->ops.next_deadline(d->obj);
	if (at == IKE_NEVER) {
		uv_timer_stop(&d->timer);
		d->armed = IKE_NEVER;
		return;
	}
	now = ikeio_now(d->timer.loop);
	d->armed = at;
	/* uv_timer_start adds the timeout to the loop's cached time, the same clock. */
	uv_timer_start(&d->timer, on_timer, at > now ? at - now : 0, 0);
}

int ikeio_driver_new(uv_loop_t *loop, const ikeio_driver_ops *ops, void *obj, ikeio_driver **out)
{
	ikeio_driver *d;

	*out = NULL;
	if (!ops || !ops->next_deadline || !ops->tick)
		return IKE_ERR_INVAL;
	d = calloc(1, sizeof *d);
	if (!d)
		return IKE_ERR_NOMEM;
	if (uv_timer_init(loop, &d->timer) != 0) {
		free(d);
		return IKE_ERR_IO;
	}
	d->ops = *ops;
	d->obj = obj;
	d->armed = IKE_NEVER;
	ikeio_driver_rearm(d);
	*out = d;
	return IKE_OK;
}

ike_ms ikeio_driver_armed(const ikeio_driver *d)
{
	return d->armed;
}

uint64_t ikeio_driver_ticks(const ikeio_driver *d)
{
	return d->ticks;
}

static void on_closed(uv_handle_t *h)
{
	free(h);
}

void ikeio_driver_free(ikeio_driver *d)
{
	if (!d || d->closing)
		return;
	d->closing = true;
	uv_timer_stop(&d->timer);
	uv_close((uv_handle_t *)&d->timer, on_closed);
}
