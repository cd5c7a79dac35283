/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ike/err.h"
#include "ike/log.h"

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG", "TRACE" };

const char *ike_log_level_name(ike_log_level lvl)
{
	return (unsigned)lvl < 5 ? level_names[lvl] : "?";
}

const char *ike_subsys_name(ike_subsys sub)
{
	switch (sub) {
#define IKE_SUB_X(n, s) case IKE_SUB_##n: return s;
		IKE_SUBSYSTEMS(IKE_SUB_X)
#undef IKE_SUB_X
	}
	return "?";
}

int ike_log_level_parse(const char *text, ike_log_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug", "trace" };

	for (int i = 0; i < 5; i++) {
		if (strcmp(text, names[i]) == 0) {
			*out = (ike_log_level)i;
			return IKE_OK;
		}
	}
	return IKE_ERR_INVAL;
}

const char *ike_escape(const uint8_t *data, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (outlen == 0)
		return out;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = data[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* ---- rate limiting ---- */

void ike_ratelimit_init(ike_ratelimit *rl, unsigned burst, ike_ms window_ms)
{
	memset(rl, 0, sizeof *rl);
	rl->burst = burst;
	rl->window_ms = window_ms ? window_ms : 1;
}

/* The window is over at now: returns what it hid and closes it (the next line
 * opens a new one, so that an idle limiter keeps no deadline). */
static unsigned rl_close(ike_ratelimit *rl, ike_ms now)
{
	unsigned hidden = rl->hidden;

	if (!rl->open || now - rl->start < rl->window_ms)
		return 0;
	rl->open = false;
	rl->written = 0;
	rl->hidden = 0;
	return hidden;
}

bool ike_ratelimit_allow(ike_ratelimit *rl, ike_ms now, unsigned *summary)
{
	unsigned hidden = now >= rl->start ? rl_close(rl, now) : 0;

	if (summary)
		*summary = hidden;
	if (!rl->open) {
		rl->open = true;
		rl->start = now;
	}
	if (rl->written < rl->burst) {
		rl->written++;
		return true;
	}
	if (rl->hidden < UINT_MAX)
		rl->hidden++;
	return false;
}

ike_ms ike_ratelimit_deadline(const ike_ratelimit *rl)
{
	if (!rl->open || !rl->hidden)
		return IKE_NEVER;
	return rl->start > IKE_NEVER - rl->window_ms ? IKE_NEVER : rl->start + rl->window_ms;
}

unsigned ike_ratelimit_flush(ike_ratelimit *rl, ike_ms now)
{
	return now >= rl->start ? rl_close(rl, now) : 0;
}

unsigned ike_ratelimit_window_s(const ike_ratelimit *rl)
{
	ike_ms s = (rl->window_ms + 999) / 1000;

	return s > 1 ? (s > UINT_MAX ? UINT_MAX : (unsigned)s) : 1;
}
