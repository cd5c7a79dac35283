/* SPDX-License-Identifier: MIT */
/* web/cmd/webcmd.c - `medsrv web` / `medcli web` (see webcmd.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/app.h"
#include "webcmd.h"
#ifdef WEBCMD_HAVE_MHD
#include "webmhd.h"
#endif
#ifdef WEBCMD_HAVE_FCGI
#include "webfcgi.h"
#endif

static int serve(const char *name, web_app *app, const web_cli *cli, bool fcgi)
{
	if (fcgi) {
#ifdef WEBCMD_HAVE_FCGI
		return webfcgi_run(app, cli->socket);
#else
		fprintf(stderr, "%s: built without FastCGI\n", name);
		return 1;
#endif
	}
#ifdef WEBCMD_HAVE_MHD
	return webmhd_run(app, cli->listen, cli->port);
#else
	fprintf(stderr, "%s: built without libmicrohttpd (use --fcgi)\n", name);
	return 1;
#endif
}

int web_subcommand(const char *prog, const char *role, const char *default_dir, int argc, char **argv)
{
	char name[64];
	char **wargv = calloc((size_t)argc + 6, sizeof *wargv);
	bool fcgi = false, has_dir = false;
	web_cli cli;
	web_app *app = NULL;
	int wargc = 0, rc;

	if (!wargv)
		return 1;
	snprintf(name, sizeof name, "%s web", prog);
	wargv[wargc++] = name;
	wargv[wargc++] = "--role";
	wargv[wargc++] = (char *)role;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--fcgi") == 0) {
			fcgi = true;
			continue;
		}
		if (strcmp(argv[i], "--role") == 0) {
			fprintf(stderr, "%s: the role is always %s\n", name, role);
			free(wargv);
			return 2;
		}
		if (strcmp(argv[i], "--dir") == 0)
			has_dir = true;
		wargv[wargc++] = argv[i];
	}
	if (!has_dir) {
		wargv[wargc++] = "--dir";
		wargv[wargc++] = (char *)default_dir;
	}
	rc = web_cli_parse(&cli, wargc, wargv) == IKE_OK ? 0 : 2;
	if (rc == 0 && cli.help)
		web_cli_usage(stdout, name);
	else if (rc == 0 && web_cli_prepare(&cli, &app) != IKE_OK)
		rc = 1;
	else if (rc == 0 && app)
		rc = serve(name, app, &cli, fcgi);
	web_app_free(app);
	free(wargv);
	return rc;
}
