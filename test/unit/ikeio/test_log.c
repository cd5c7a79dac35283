/* SPDX-License-Identifier: MIT */
/* test_log.c - the stderr sink's line format and level filter. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>
#include <string.h>

#include "ikeio/log.h"

Test(ikeio_log, formats_one_line_with_time_level_subsystem_and_tag)
{
	struct timespec ts = { .tv_sec = 1780308000, .tv_nsec = 123456789 }; /* 2026-06-01T10:00:00.123Z */
	ike_log_rec rec = { .lvl = IKE_LOG_INFO, .sub = IKE_SUB_IKE, .tag = "#12 alice", .msg = "send IKE_AUTH" };
	char line[256];
	size_t n = ikeio_log_format(line, sizeof line, &rec, &ts);

	cr_assert(eq(str, line, "2026-06-01T10:00:00.123Z INFO  ike  [#12 alice] send IKE_AUTH\n"));
	cr_assert(eq(sz, n, strlen(line)));
	rec.tag = NULL;
	rec.lvl = IKE_LOG_WARN;
	rec.sub = IKE_SUB_NET;
	rec.msg = "two\nlines\x1b";
	ikeio_log_format(line, sizeof line, &rec, &ts);
	cr_assert(eq(str, line, "2026-06-01T10:00:00.123Z WARN  net  two?lines?\n"));
}

Test(ikeio_log, cuts_long_messages_and_keeps_the_newline)
{
	struct timespec ts = { 0 };
	char msg[300], line[64];
	ike_log_rec rec = { .lvl = IKE_LOG_ERROR, .sub = IKE_SUB_ME, .msg = msg };
	size_t n;

	memset(msg, 'x', sizeof msg - 1);
	msg[sizeof msg - 1] = 0;
	n = ikeio_log_format(line, sizeof line, &rec, &ts);
	cr_assert(eq(sz, n, sizeof line - 1));
	cr_assert(eq(chr, line[n - 1], '\n'));
	cr_assert(eq(int, strncmp(line, "1970-01-01T00:00:00.000Z ERROR me   x", 37), 0));
}

Test(ikeio_log, tiny_buffers_stay_in_bounds)
{
	struct timespec ts = { 0 };
	ike_log_rec rec = { .lvl = IKE_LOG_INFO, .sub = IKE_SUB_IKE, .tag = "#1", .msg = "m" };
	char buf[8];

	for (size_t len = 0; len <= sizeof buf; len++) {
		memset(buf, 'Z', sizeof buf);
		size_t n = ikeio_log_format(buf, len, &rec, &ts);

		if (len == 0) {
			cr_assert(eq(sz, n, 0));
			cr_assert(eq(chr, buf[0], 'Z'), "wrote into an empty buffer");
			continue;
		}
		cr_assert(lt(sz, n, len));
		cr_assert(eq(chr, buf[n], '\0'));
		cr_assert(eq(sz, strlen(buf), n));
		if (len >= 2)
			cr_assert(eq(chr, buf[n - 1], '\n'), "len %zu: no newline", len);
		for (size_t i = len; i < sizeof buf; i++)
			cr_assert(eq(chr, buf[i], 'Z'), "len %zu: wrote past the end", len);
	}
}

Test(ikeio_log, sink_drops_records_above_its_level)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ikeio_log_sink sink = { .max = IKE_LOG_WARN, .out = f };
	ike_log_rec warn = { .lvl = IKE_LOG_WARN, .sub = IKE_SUB_IKE, .msg = "kept" };
	ike_log_rec info = { .lvl = IKE_LOG_INFO, .sub = IKE_SUB_IKE, .msg = "dropped" };

	cr_assert(ne(ptr, f, NULL));
	ikeio_log_stderr(&sink, &warn);
	ikeio_log_stderr(&sink, &info);
	ikeio_logf(&sink, IKE_LOG_ERROR, IKE_SUB_CTL, "#1 bob", "port %d busy", 500);
	ikeio_logf(&sink, IKE_LOG_DEBUG, IKE_SUB_CTL, NULL, "hidden %d", 1);
	fclose(f);
	cr_assert(ne(ptr, strstr(text, "WARN  ike  kept\n"), NULL), "%s", text);
	cr_assert(ne(ptr, strstr(text, "ERROR ctl  [#1 bob] port 500 busy\n"), NULL), "%s", text);
	cr_assert(eq(ptr, strstr(text, "dropped"), NULL));
	cr_assert(eq(ptr, strstr(text, "hidden"), NULL));
	free(text);
}
