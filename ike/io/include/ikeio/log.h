/* SPDX-License-Identifier: MIT */
/*
 * ikeio/log.h - the programs' log sink (STYLE 3.9): one line per event,
 *   2026-06-01T10:00:00.123Z INFO  ike  [#12 alice] message
 * written to stderr (or another FILE) with one locked write per line, so loops
 * in several threads never interleave inside a line.
 */
#ifndef IKEIO_LOG_H
#define IKEIO_LOG_H
#include <stdio.h>
#include <time.h>

#include "ike/err.h"
#include "ike/log.h"

/* Sink options, passed as the user pointer of ikeio_log_stderr. */
typedef struct ikeio_log_sink {
	ike_log_level max; /* records above this level are dropped (INFO: ERROR, WARN, INFO) */
	FILE *out;         /* NULL = stderr */
} ikeio_log_sink;

/* Longest line written, including the newline; longer messages are cut. */
#define IKEIO_LOG_LINE_MAX 2048

/* An ike_log_fn: user is a const ikeio_log_sink * (NULL = INFO to stderr).
 * Control characters in the message are written as '?' (one line per event). */
void ikeio_log_stderr(void *user, const ike_log_rec *rec);

/* Formats rec as one line (with '\n') at wall-clock time ts into buf (always
 * NUL-terminated when len > 0). Returns the line length (cut to len - 1; 0 and
 * an empty string when len < 2). */
size_t ikeio_log_format(char *buf, size_t len, const ike_log_rec *rec, const struct timespec *ts);

/* printf-style convenience for the programs' own events through the sink. */
void ikeio_logf(const ikeio_log_sink *sink, ike_log_level lvl, ike_subsys sub, const char *tag, const char *fmt, ...)
	IKE_PRINTF(5, 6);

#endif /* IKEIO_LOG_H */
