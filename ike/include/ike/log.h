/* SPDX-License-Identifier: MIT */
/*
 * ike/log.h - log records. Libraries never print: they hand records to the log
 * callback they were given. Programs install one sink (ikeio_log_stderr).
 */
#ifndef IKE_LOG_H
#define IKE_LOG_H
#include <stdbool.h>

#include "ike/types.h"

typedef enum ike_log_level {
	IKE_LOG_ERROR,
	IKE_LOG_WARN,
	IKE_LOG_INFO,
	IKE_LOG_DEBUG,
	IKE_LOG_TRACE,
} ike_log_level;

#define IKE_SUBSYSTEMS(X) \
	X(IKE, "ike") X(WIRE, "wire") X(CHILD, "child") X(CRYPTO, "crypto") X(ME, "me") \
	X(HP, "hp") X(NET, "net") X(DB, "db") X(WEB, "web") X(ESP, "esp") X(CTL, "ctl") X(MAIN, "main")

typedef enum ike_subsys {
#define IKE_SUB_X(n, s) IKE_SUB_##n,
	IKE_SUBSYSTEMS(IKE_SUB_X)
#undef IKE_SUB_X
} ike_subsys;

/* One event. msg and tag are valid only during the callback. */
typedef struct ike_log_rec {
	ike_log_level lvl;
	ike_subsys sub;
	ike_sa_ref sa;   /* {0,0} when not about one SA */
	const char *tag; /* "#12 alice" style SA tag, or NULL */
	const char *msg;
} ike_log_rec;

typedef void (*ike_log_fn)(void *user, const ike_log_rec *rec);

const char *ike_log_level_name(ike_log_level lvl); /* "ERROR", "WARN", ... */
const char *ike_subsys_name(ike_subsys sub);        /* "ike", "wire", ... */
/* Parses "error|warn|info|debug|trace"; returns IKE_OK or IKE_ERR_INVAL. */
int ike_log_level_parse(const char *text, ike_log_level *out);

/* Writes printable ASCII of untrusted bytes (IDs, vendor IDs) into out, escaping
 * everything else as \xNN; always NUL-terminates; returns out. */
const char *ike_escape(const uint8_t *data, size_t len, char *out, size_t outlen);

/* ---- rate limiting of repetitive lines ----------------------------------
 * One limiter per kind of line that strangers can cause at will (dropped
 * datagrams, failed sends, refusals), so that a flood cannot fill the log: in
 * each window of window_ms at most `burst` lines are written; the others are
 * only counted, and one summary line reports them when the window ends:
 *   "<what> (N more in the last 10 s)"        (IKE_RATELIMIT_SUMMARY)
 * A plain value driven by the caller's clock (sans-IO): no allocation, not
 * thread-safe (one per engine or shard). */
typedef struct ike_ratelimit {
	ike_ms window_ms; /* window length */
	unsigned burst;   /* lines written per window */
	ike_ms start;     /* start of the current window */
	unsigned written; /* lines written in it */
	unsigned hidden;  /* lines held back in it */
	bool open;        /* a window has started */
} ike_ratelimit;

/* printf format of the summary line: what, hidden count, window in seconds. */
#define IKE_RATELIMIT_SUMMARY "%s (%u more in the last %u s)"

/* Sets up rl for burst lines per window_ms (burst 0: every line is held back
 * and summarized; window_ms 0 is taken as 1 ms). */
void ike_ratelimit_init(ike_ratelimit *rl, unsigned burst, ike_ms window_ms);

/* Asks whether one line may be written at time now (monotonic ms, never
 * decreasing). Returns true when it may; otherwise counts it as hidden. When
 * this call ends a window that hid lines, *summary receives their count (else
 * 0): the caller writes the summary line before (or instead of) its own. */
bool ike_ratelimit_allow(ike_ratelimit *rl, ike_ms now, unsigned *summary);

/* When the summary of the current window is due: the window's end if it hid
 * lines, else IKE_NEVER. For a program's or engine's next deadline. */
ike_ms ike_ratelimit_deadline(const ike_ratelimit *rl);

/* Ends the current window if it is over at now and returns the number of lines
 * it hid (0: nothing to report). Call it when the deadline above is reached,
 * so that a summary is written even when the flood stopped. */
unsigned ike_ratelimit_flush(ike_ratelimit *rl, ike_ms now);

/* The window length in whole seconds (at least 1), for the summary. */
unsigned ike_ratelimit_window_s(const ike_ratelimit *rl);

#endif /* IKE_LOG_H */
