/* SPDX-License-Identifier: MIT */
/* web/core/src/cli.c - the command line shared by medweb and medweb.fcgi. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <pthread.h>

#include <sodium.h>

#include "app_int.h"

void web_cli_usage(void *f, const char *prog)
{
	fprintf(
	    f,
	    "usage: %s --role server|client --dir DIR [options]\n"
	    "  --listen ADDR      address to listen on (default 127.0.0.1; medweb only)\n"
	    "  --port N           TCP port (default 8080; medweb only)\n"
	    "  --socket PATH      FastCGI: listen on this Unix socket instead of stdin\n"
	    "  --ctl PATH         the daemon's control socket (default DIR/medsrv.ctl or DIR/medcli.ctl)\n"
	    "  --secure-cookies   mark cookies Secure (the site is served over HTTPS)\n"
	    "  --trust-proxy      honour X-Forwarded-Proto/-Host/-For from the reverse proxy\n"
	    "  --origin URL       also accept this Origin for state changes (e.g. https://example.org)\n"
	    "  --host NAMES       host names to answer to, comma-separated (IP literals and localhost "
	    "always)\n"
	    "  --init-password    client: set the local password from $MEDWEB_PASSWORD or stdin, then exit\n"
	    "  --log-level L      error|warn|info|debug (default info): one line per request on stderr\n",
	    prog);
}

static ike_log_level log_max = IKE_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void web_log_stderr(void *user, const ike_log_rec *rec)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	(void)user;
	if (rec->lvl > log_max)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s.%03ldZ %-5s %-4s %s\n", when, ts.tv_nsec / 1000000, ike_log_level_name(rec->lvl),
	        ike_subsys_name(rec->sub), rec->msg);
	pthread_mutex_unlock(&log_lock);
}

static bool is_value_option(const char *a)
{
	static const char *const names[] = {"--role", "--dir",  "--listen", "--port",     "--socket",
	                                    "--ctl",  "--host", "--origin", "--log-level"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(a, names[i]) == 0)
			return true;
	}
	return false;
}

int web_cli_parse(web_cli *cli, int argc, char **argv)
{
	memset(cli, 0, sizeof *cli);
	web_options_defaults(&cli->opts);
	cli->listen = "127.0.0.1";
	cli->port = 8080;
	cli->opts.log = web_log_stderr;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			cli->help = true;
			takes = false;
		} else if (strcmp(a, "--secure-cookies") == 0) {
			cli->opts.secure_cookies = true;
			takes = false;
		} else if (strcmp(a, "--trust-proxy") == 0) {
			cli->opts.trust_proxy = true;
			takes = false;
		} else if (strcmp(a, "--init-password") == 0) {
			cli->init_password = true;
			takes = false;
		} else if (!is_value_option(a)) {
			fprintf(stderr, "%s: unknown option %s (see --help)\n", argv[0], a);
			return IKE_ERR_INVAL;
		} else if (!v) {
			fprintf(stderr, "%s: %s needs a value (see --help)\n", argv[0], a);
			return IKE_ERR_INVAL;
		} else if (strcmp(a, "--role") == 0) {
			if (strcmp(v, "server") == 0)
				cli->opts.role = WEB_ROLE_SERVER;
			else if (strcmp(v, "client") == 0)
				cli->opts.role = WEB_ROLE_CLIENT;
			else {
				fprintf(stderr, "%s: --role is server or client, not \"%s\"\n", argv[0], v);
				return IKE_ERR_INVAL;
			}
		} else if (strcmp(a, "--dir") == 0) {
			cli->opts.dir = v;
		} else if (strcmp(a, "--listen") == 0) {
			cli->listen = v;
		} else if (strcmp(a, "--port") == 0) {
			char *end;
			long p = strtol(v, &end, 10);
			if (*end || p < 1 || p > 65535) {
				fprintf(stderr, "%s: --port must be 1..65535\n", argv[0]);
				return IKE_ERR_INVAL;
			}
			cli->port = (unsigned)p;
		} else if (strcmp(a, "--socket") == 0) {
			cli->socket = v;
		} else if (strcmp(a, "--ctl") == 0) {
			cli->opts.ctl_path = v;
		} else if (strcmp(a, "--log-level") == 0) {
			if (ike_log_level_parse(v, &log_max) != IKE_OK) {
				fprintf(stderr, "%s: --log-level is error, warn, info, debug or trace\n",
				        argv[0]);
				return IKE_ERR_INVAL;
			}
		} else if (strcmp(a, "--host") == 0) {
			cli->opts.allowed_hosts = v;
		} else if (strcmp(a, "--origin") == 0) {
			cli->opts.extra_origin = v;
		} else {
			fprintf(stderr, "%s: unknown option %s (see --help)\n", argv[0], a);
			return IKE_ERR_INVAL;
		}
		if (takes)
			i++;
	}
	if (!cli->help && !cli->opts.dir) {
		fprintf(stderr, "%s: --dir DIR is required (see --help)\n", argv[0]);
		return IKE_ERR_INVAL;
	}
	return IKE_OK;
}

static int read_password(char *buf, size_t cap)
{
	const char *env = getenv("MEDWEB_PASSWORD");
	size_t n;

	if (env) {
		if (strlen(env) >= cap)
			return IKE_ERR_LIMIT;
		strcpy(buf, env);
		return IKE_OK;
	}
	fprintf(stderr, "New password for the client manager: ");
	if (!fgets(buf, (int)cap, stdin))
		return IKE_ERR_IO;
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return IKE_OK;
}

int web_cli_prepare(const web_cli *cli, web_app **out)
{
	char why[256];
	int rc;

	*out = NULL;
	if (mkdir(cli->opts.dir, 0700) != 0) {
		struct stat st;
		int err = errno;
		if (stat(cli->opts.dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "cannot use state directory %s: %s\n", cli->opts.dir,
			        err == EEXIST   ? "not a directory"
			        : err == ENOENT ? "its parent directory does not exist"
			        : err == EROFS  ? "it cannot be created on a read-only file system"
			                        : strerror(err));
			return IKE_ERR_IO;
		}
	}
	if (cli->init_password) {
		char pw[1100];
		unsigned min = cli->opts.min_password ? cli->opts.min_password : 10;

		if (cli->opts.role != WEB_ROLE_CLIENT) {
			fprintf(
			    stderr,
			    "--init-password is for --role client (server accounts sign up on the page)\n");
			return IKE_ERR_INVAL;
		}
		rc = read_password(pw, sizeof pw);
		if (rc == IKE_OK)
			rc = web_client_set_password(cli->opts.dir, pw, min);
		sodium_memzero(pw, sizeof pw);
		if (rc == IKE_ERR_INVAL)
			fprintf(stderr, "the password must have %u to 1024 characters\n", min);
		else if (rc != IKE_OK)
			fprintf(stderr, "could not set the password: %s\n", ike_strerror(rc));
		else
			fprintf(stderr, "password set\n");
		return rc;
	}
	rc = web_app_open(out, &cli->opts, why, sizeof why);
	if (rc != IKE_OK)
		fprintf(stderr, "cannot open the state in %s: %s\n", cli->opts.dir,
		        why[0] ? why : ike_strerror(rc));
	return rc;
}
