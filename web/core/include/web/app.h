/* SPDX-License-Identifier: MIT */
/*
 * web/app.h - the two web managers as one library: the mediation server manager
 * (accounts, their peers' public keys) and the mediation client manager (device key,
 * server, mediated peers, up/down). Both are a JSON API under /api/ behind static
 * pages. Front ends (web/mhd.h, web/fcgi.h) turn HTTP into web_request and call
 * web_app_handle(); `medsrv web` / `medcli web` will call web_main_run() the same way.
 * web_app_handle() is thread-safe (one lock per app around the database).
 */
#ifndef WEB_APP_H
#define WEB_APP_H
#include <stdbool.h>
#include <stdint.h>
#include "ike/err.h"
#include "ike/log.h"
#include "web/http.h"

typedef struct web_app web_app;

typedef enum web_role {
	WEB_ROLE_SERVER, /* medsrv's manager: accounts and peers */
	WEB_ROLE_CLIENT, /* medcli's manager: device key, server, peers, connections */
} web_role;

typedef struct web_options {
	web_role role;
	const char *dir;          /* state directory (database, keys, control socket); borrowed */
	const char *ctl_path;     /* control socket; NULL = DIR/medsrv.ctl or DIR/medcli.ctl */
	bool secure_cookies;      /* always mark cookies Secure (site served over HTTPS) */
	bool trust_proxy;         /* honour X-Forwarded-Proto: https and X-Forwarded-Host */
	const char *extra_origin; /* another accepted Origin ("https://example.org"), or NULL */
	/* Host names (comma-separated, no ports) the manager answers to besides IP literals
	 * and "localhost"; NULL = none. Guards against DNS rebinding: a page on a name that
	 * resolves to this host cannot talk to the manager. */
	const char *allowed_hosts;
	unsigned session_ttl_s; /* session lifetime from login; default 8 h */
	unsigned min_password;  /* minimum password length; default 10 */
	unsigned max_peers;     /* server: peers per account; default 100 */
	/* Wall clock in seconds; NULL = time(NULL). Tests pass a fake one. */
	int64_t (*now)(void *user);
	void *now_user;
	/* Optional: one record per request (IKE_SUB_WEB; INFO, WARN for refusals and
	 * failed logins, ERROR for 5xx). Called from the serving threads, under the app lock
	 * or not; the sink must be thread-safe. NULL = no logging. */
	ike_log_fn log;
	void *log_user;
} web_options;

/* Fills o with the defaults (server role, no dir). */
void web_options_defaults(web_options *o);

/* Opens the state in opts->dir (the database is created if missing) and returns the
 * app in *out, freed with web_app_free. opts and its strings are copied.
 * Errors: IKE_ERR_INVAL (no dir), IKE_ERR_DB, IKE_ERR_IO, IKE_ERR_NOMEM. */
IKE_MUST_CHECK int web_app_new(web_app **out, const web_options *opts);
/* Same, and on failure err (errlen bytes, may be NULL) gets the reason in words,
 * such as db_open's "the file is empty (0 bytes), so its data is lost: ...". */
IKE_MUST_CHECK int web_app_open(web_app **out, const web_options *opts, char *err, size_t errlen);
void web_app_free(web_app *app);

/* Answers one request: fills resp (which must be zeroed; the caller frees it with
 * web_response_clear). Never fails: errors become 4xx/5xx JSON {error, field}.
 * Every response carries the security headers (CSP, X-Frame-Options, nosniff...). */
void web_app_handle(web_app *app, const web_request *req, web_response *resp);

/* Sets the client manager's local password (Argon2id) in DIR's database, creating
 * it if needed. Errors: IKE_ERR_INVAL (shorter than min_len), IKE_ERR_DB, IKE_ERR_NOMEM. */
IKE_MUST_CHECK int web_client_set_password(const char *dir, const char *password, unsigned min_len);

/* The shared command line of medweb and medweb.fcgi (later `medsrv web`/`medcli web`). */
typedef struct web_cli {
	web_options opts;
	const char *listen; /* --listen ADDR, default 127.0.0.1 */
	unsigned port;      /* --port N, default 8080 */
	const char *socket; /* --socket PATH (FastCGI: listen on a Unix socket instead of stdin) */
	bool init_password; /* --init-password: set the client password and exit */
	bool help;
} web_cli;

/* Parses argv (borrowed; strings in *cli point into it):
 *   --role server|client --dir DIR [--listen ADDR] [--port N] [--socket PATH]
 *   [--ctl PATH] [--secure-cookies] [--trust-proxy] [--origin URL] [--init-password]
 * Prints a plain message to stderr and returns IKE_ERR_INVAL on bad usage. */
IKE_MUST_CHECK int web_cli_parse(web_cli *cli, int argc, char **argv);

/* Runs the non-serving part of the command line: --init-password reads the password
 * from env MEDWEB_PASSWORD or one line of stdin and sets it; otherwise opens the app.
 * Returns IKE_OK with *out set (serve it), IKE_OK with *out NULL (done, exit 0),
 * or an error after printing why. */
IKE_MUST_CHECK int web_cli_prepare(const web_cli *cli, web_app **out);

/* Prints the usage text to f (a FILE *). */
void web_cli_usage(void *f, const char *prog);

/* A log sink for the programs: one line per record on stderr,
 * "2026-01-01T10:00:00Z INFO  web  <msg>", thread-safe. user is ignored. Records below
 * the level set by --log-level (default info) are dropped by web_cli_prepare's app. */
void web_log_stderr(void *user, const ike_log_rec *rec);

#endif /* WEB_APP_H */
