/* SPDX-License-Identifier: MIT */
/* ike/io/src/signal.c - SIGINT/SIGTERM to a stop callback on the loop. */
#include <signal.h>
#include <stdlib.h>

#include "ikeio/signal.h"

struct ikeio_signals {
	uv_signal_t sig[2];
	ikeio_stop_fn on_stop;
	void *user;
	int open;    /* handles not yet closed */
	bool closing;
};

static void on_signal(uv_signal_t *h, int signum)
{
	ikeio_signals *s = h->data;

	if (!s->closing)
		s->on_stop(s->user, signum);
}

static void on_closed(uv_handle_t *h)
{
	ikeio_signals *s = h->data;

	if (--s->open == 0)
		free(s);
}

int ikeio_signals_new(uv_loop_t *loop, ikeio_stop_fn on_stop, void *user, ikeio_signals **out)
{
	static const int nums[2] = { SIGINT, SIGTERM };
	ikeio_signals *s;

	*out = NULL;
	if (!on_stop)
		return IKE_ERR_INVAL;
	s = calloc(1, sizeof *s);
	if (!s)
		return IKE_ERR_NOMEM;
	s->on_stop = on_stop;
	s->user = user;
	for (int i = 0; i < 2; i++) {
		if (uv_signal_init(loop, &s->sig[i]) != 0)
			goto fail;
		s->sig[i].data = s;
		s->open++;
		if (uv_signal_start(&s->sig[i], on_signal, nums[i]) != 0)
			goto fail;
	}
	signal(SIGPIPE, SIG_IGN);
	*out = s;
	return IKE_OK;
fail:
	if (s->open == 0)
		free(s);
	else
		ikeio_signals_free(s);
	return IKE_ERR_IO;
}

void ikeio_signals_free(ikeio_signals *s)
{
	int n;

	if (!s || s->closing)
		return;
	s->closing = true;
	n = s->open; /* on_closed decrements open; close exactly the handles initialised */
	for (int i = 0; i < n; i++) {
		uv_signal_stop(&s->sig[i]);
		uv_close((uv_handle_t *)&s->sig[i], on_closed);
	}
}
