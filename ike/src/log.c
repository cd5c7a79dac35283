/* SPDX-License-Identifier: MIT */
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
