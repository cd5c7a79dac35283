/* SPDX-License-Identifier: MIT */
/* The log rate limiter (ike/log.h), driven by a fake clock. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>

#include "ike/log.h"

Test(ike_ratelimit, lets_burst_through_then_counts_the_rest)
{
	ike_ratelimit rl;
	unsigned more = 99, passed = 0;

	ike_ratelimit_init(&rl, 3, 10000);
	cr_assert(eq(u64, ike_ratelimit_deadline(&rl), IKE_NEVER));
	for (int i = 0; i < 10; i++) {
		passed += ike_ratelimit_allow(&rl, 5000 + (ike_ms)i, &more);
		cr_assert(eq(u32, more, 0));
	}
	cr_assert(eq(u32, passed, 3));
	cr_assert(eq(u64, ike_ratelimit_deadline(&rl), 15000)); /* the window opened at 5000 */
}

Test(ike_ratelimit, reports_hidden_lines_once_when_the_window_ends)
{
	ike_ratelimit rl;
	unsigned more;

	ike_ratelimit_init(&rl, 2, 10000);
	for (int i = 0; i < 7; i++)
		(void)ike_ratelimit_allow(&rl, 1000, &more);
	cr_assert(eq(u32, ike_ratelimit_flush(&rl, 10999), 0)); /* not over yet */
	cr_assert(eq(u32, ike_ratelimit_flush(&rl, 11000), 5));
	cr_assert(eq(u32, ike_ratelimit_flush(&rl, 11000), 0)); /* only once */
	cr_assert(eq(u64, ike_ratelimit_deadline(&rl), IKE_NEVER));
	/* a new window: the burst again */
	cr_assert(ike_ratelimit_allow(&rl, 20000, &more));
	cr_assert(eq(u32, more, 0));
}

Test(ike_ratelimit, summary_comes_with_the_next_line_without_a_flush)
{
	ike_ratelimit rl;
	unsigned more;

	ike_ratelimit_init(&rl, 1, 10000);
	cr_assert(ike_ratelimit_allow(&rl, 0, &more));
	cr_assert(not(ike_ratelimit_allow(&rl, 1, &more)));
	cr_assert(not(ike_ratelimit_allow(&rl, 9999, &more)));
	cr_assert(ike_ratelimit_allow(&rl, 10000, &more)); /* the next window */
	cr_assert(eq(u32, more, 2));
	cr_assert(not(ike_ratelimit_allow(&rl, 10001, &more)));
	cr_assert(eq(u32, more, 0));
}

Test(ike_ratelimit, keeps_no_deadline_when_nothing_was_hidden)
{
	ike_ratelimit rl;
	unsigned more;

	ike_ratelimit_init(&rl, 5, 10000);
	for (int i = 0; i < 5; i++)
		cr_assert(ike_ratelimit_allow(&rl, 100, &more));
	cr_assert(eq(u64, ike_ratelimit_deadline(&rl), IKE_NEVER));
	cr_assert(eq(u32, ike_ratelimit_flush(&rl, 50000), 0));
}

Test(ike_ratelimit, bounds_lines_of_a_long_flood)
{
	ike_ratelimit rl;
	unsigned more, written = 0, summaries = 0;
	unsigned long hidden = 0;

	/* 100 lines a second for 60 s: 20 per 10 s window, one summary per window */
	ike_ratelimit_init(&rl, 20, 10000);
	for (ike_ms t = 0; t < 60000; t += 10) {
		written += ike_ratelimit_allow(&rl, t, &more);
		summaries += more != 0;
		hidden += more;
	}
	more = ike_ratelimit_flush(&rl, 60000);
	summaries += more != 0;
	hidden += more;
	cr_assert(eq(u32, written, 6 * 20));
	cr_assert(eq(u32, summaries, 6));
	cr_assert(eq(u64, (uint64_t)(written + hidden), 6000));
}

Test(ike_ratelimit, formats_the_summary)
{
	ike_ratelimit rl;
	char line[80];

	ike_ratelimit_init(&rl, 20, 10000);
	cr_assert(eq(u32, ike_ratelimit_window_s(&rl), 10));
	snprintf(line, sizeof line, IKE_RATELIMIT_SUMMARY, "failed sends", 17604u,
	         ike_ratelimit_window_s(&rl));
	cr_assert(eq(str, line, "failed sends (17604 more in the last 10 s)"));
	ike_ratelimit_init(&rl, 1, 0);
	cr_assert(eq(u32, ike_ratelimit_window_s(&rl), 1));
}

Test(ike_ratelimit, ignores_a_clock_that_goes_back)
{
	ike_ratelimit rl;
	unsigned more;

	ike_ratelimit_init(&rl, 1, 10000);
	cr_assert(ike_ratelimit_allow(&rl, 50000, &more));
	cr_assert(not(ike_ratelimit_allow(&rl, 40000, &more)));
	cr_assert(eq(u32, more, 0));
	cr_assert(eq(u32, ike_ratelimit_flush(&rl, 40000), 0));
	cr_assert(eq(u32, ike_ratelimit_flush(&rl, 60000), 1));
}
