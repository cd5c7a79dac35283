/* SPDX-License-Identifier: MIT */
/* ike/io/src/log.c - the stderr log sink: one locked line per event. */
#include <stdarg.h>
#include <string.h>

#include "ikeio/log.h"

size_t ikeio_log_format(char *buf, size_t len, const ike_log_rec *rec, const struct timespec *ts)
{
	struct tm tm;
	time_t secs = ts->tv_sec;
	size_t n = 0;
	int w;

	if (len < 2) { /* no room for even the newline */
		if (len)
			buf[0] = '\0';
		return 0;
	}
	if (!gmtime_r(&secs, &tm))
		memset(&tm, 0, sizeof tm);
	w = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %-4s ", tm.tm_year + 1900, tm.tm_mon + 1,
		     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000000L,
		     ike_log_level_name(rec->lvl), ike_subsys_name(rec->sub));
	if (w < 0)
		w = 0;
	n = (size_t)w < len ? (size_t)w : len - 1;
	if (rec->tag && rec->tag[0] && n < len - 1) {
		w = snprintf(buf + n, len - n, "[%s] ", rec->tag);
		if (w > 0)
			n += (size_t)w < len - n ? (size_t)w : len - n - 1;
	}
	/* The message, with control characters flattened so one event stays one line. */
	for (const char *m = rec->msg ? rec->msg : ""; *m && n + 2 < len; m++)
		buf[n++] = ((unsigned char)*m < 0x20 || *m == 0x7f) ? '?' : *m;
	if (n + 1 < len)
		buf[n++] = '\n';
	else
		buf[len - 2] = '\n', n = len - 1;
	buf[n] = '\0';
	return n;
}

void ikeio_log_stderr(void *user, const ike_log_rec *rec)
{
	const ikeio_log_sink *sink = user;
	ike_log_level max = sink ? sink->max : IKE_LOG_INFO;
	FILE *out = sink && sink->out ? sink->out : stderr;
	char line[IKEIO_LOG_LINE_MAX];
	struct timespec ts;
	size_t n;

	if (rec->lvl > max)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	n = ikeio_log_format(line, sizeof line, rec, &ts);
	flockfile(out);
	fwrite(line, 1, n, out);
	fflush(out);
	funlockfile(out);
}

void ikeio_logf(const ikeio_log_sink *sink, ike_log_level lvl, ike_subsys sub, const char *tag, const char *fmt, ...)
{
	char msg[IKEIO_LOG_LINE_MAX];
	ike_log_rec rec = { .lvl = lvl, .sub = sub, .tag = tag, .msg = msg };
	va_list ap;

	if (lvl > (sink ? sink->max : IKE_LOG_INFO))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ikeio_log_stderr((void *)sink, &rec);
}
