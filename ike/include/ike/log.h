/* SPDX-License-Identifier: MIT */
/*
 * ike/log.h - log records. Libraries never print: they hand records to the log
 * callback they were given. Programs install one sink (ikeio_log_stderr).
 */
#ifndef IKE_LOG_H
#define IKE_LOG_H
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

#endif /* IKE_LOG_H */
