/* SPDX-License-Identifier: MIT */
/* test_driver.c - the timer driver against a fake sans-IO object on a real loop. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "ikeio/driver.h"

/* A fake sans-IO object: a list of deadlines; tick() consumes those that are due. */
typedef struct fake {
	ike_ms due[4];
	int n, next;
	ike_ms ticked_at[8];
	int ticks;
	int fail_tick; /* tick number (1-based) that returns an error */
	int errors;
	uv_loop_t *loop;
} fake;

static ike_ms fake_deadline(void *obj)
{
	fake *f = obj;

	return f->next < f->n ? f->due[f->next] : IKE_NEVER;
}

static int fake_tick(void *obj, ike_ms now)
{
	fake *f = obj;

	if (f->ticks < 8)
		f->ticked_at[f->ticks] = now;
	f->ticks++;
	while (f->next < f->n && f->due[f->next] <= now)
		f->next++;
	return f->ticks == f->fail_tick ? IKE_ERR_NOMEM : IKE_OK;
}

static void fake_error(void *obj, int err)
{
	fake *f = obj;

	cr_assert(eq(int, err, IKE_ERR_NOMEM));
	f->errors++;
}

static const ikeio_driver_ops ops = { fake_deadline, fake_tick, fake_error };

static void close_loop(uv_loop_t *loop)
{
	uv_run(loop, UV_RUN_DEFAULT);
	cr_assert(eq(int, uv_loop_close(loop), 0), "handles left open");
}

Test(ikeio_driver, ticks_at_each_deadline_then_goes_idle)
{
	uv_loop_t loop;
	fake f = { .n = 2 };
	ikeio_driver *d = NULL;
	ike_ms start;

	uv_loop_init(&loop);
	start = ikeio_now(&loop);
	f.due[0] = start + 30;
	f.due[1] = start + 60;
	cr_assert(eq(int, ikeio_driver_new(&loop, &ops, &f, &d), IKE_OK));
	cr_assert(eq(u64, ikeio_driver_armed(d), start + 30));
	/* The loop returns by itself once the object is idle: the timer is stopped. */
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert(eq(int, f.ticks, 2));
	cr_assert(ge(u64, f.ticked_at[0], start + 30), "fired early at +%llu",
		  (unsigned long long)(f.ticked_at[0] - start));
	cr_assert(ge(u64, f.ticked_at[1], start + 60));
	cr_assert(lt(u64, f.ticked_at[1], start + 1000), "fired far too late");
	cr_assert(eq(u64, ikeio_driver_armed(d), IKE_NEVER));
	cr_assert(eq(u64, ikeio_driver_ticks(d), 2));
	ikeio_driver_free(d);
	close_loop(&loop);
}

static void on_add(uv_timer_t *t)
{
	fake *f = t->data;
	ikeio_driver *d = (ikeio_driver *)f->loop->data;

	/* Something the object received moved its deadline: the program re-arms. */
	f->due[f->n++] = ikeio_now(t->loop) + 10;
	ikeio_driver_rearm(d);
}

Test(ikeio_driver, rearm_picks_up_a_new_deadline_and_past_deadlines_fire_at_once)
{
	uv_loop_t loop;
	uv_timer_t later;
	fake f = { .n = 1, .fail_tick = 1 };
	ikeio_driver *d = NULL;
	ike_ms start;

	uv_loop_init(&loop);
	f.loop = &loop;
	start = ikeio_now(&loop);
	f.due[0] = start > 5 ? start - 5 : 0; /* already due */
	cr_assert(eq(int, ikeio_driver_new(&loop, &ops, &f, &d), IKE_OK));
	loop.data = d;
	uv_timer_init(&loop, &later);
	later.data = &f;
	uv_timer_start(&later, on_add, 20, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert(eq(int, f.ticks, 2));
	cr_assert(lt(u64, f.ticked_at[0], start + 20), "a past deadline must fire at once");
	cr_assert(ge(u64, f.ticked_at[1], start + 30));
	cr_assert(eq(int, f.errors, 1), "tick error not reported");
	uv_close((uv_handle_t *)&later, NULL);
	ikeio_driver_free(d);
	close_loop(&loop);
}

Test(ikeio_driver, free_stops_ticking_and_new_rejects_missing_functions)
{
	uv_loop_t loop;
	fake f = { .n = 1 };
	ikeio_driver *d = NULL;
	ikeio_driver_ops bad = { fake_deadline, NULL, NULL };

	uv_loop_init(&loop);
	cr_assert(eq(int, ikeio_driver_new(&loop, &bad, &f, &d), IKE_ERR_INVAL));
	cr_assert(eq(ptr, d, NULL));
	f.due[0] = ikeio_now(&loop) + 10;
	cr_assert(eq(int, ikeio_driver_new(&loop, &ops, &f, &d), IKE_OK));
	ikeio_driver_free(d);
	ikeio_driver_free(NULL);
	close_loop(&loop);
	cr_assert(eq(int, f.ticks, 0), "ticked after free");
}
