/* SPDX-License-Identifier: MIT */
/* medsrv - the mediation server: subcommands in cmd.c, `medsrv web` here (it
 * alone links the web manager's front ends). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medsrv/cmd.h"

#if defined(MEDSRV_HAVE_MHD) || defined(MEDSRV_HAVE_FCGI)
#include "web/app.h"
#endif
#ifdef MEDSRV_HAVE_MHD
#include "webmhd.h"
#endif
#ifdef MEDSRV_HAVE_FCGI
#include "webfcgi.h"
#endif

/* `medsrv web [--fcgi] [medweb options]`: the server manager (docs/web.md), the
 * same entry points as medweb: web_cli_parse -> web_cli_prepare -> run. */
static int cmd_web(int argc, char **argv)
{
#if defined(MEDSRV_HAVE_MHD) || defined(MEDSRV_HAVE_FCGI)
	char **wargv = calloc((size_t)argc + 6, sizeof *wargv);
	bool fcgi = false, has_dir = false;
	web_cli cli;
	web_app *app = NULL;
	int wargc = 0, rc;

	if (!wargv)
		return 1;
	wargv[wargc++] = "medsrv web";
	wargv[wargc++] = "--role";
	wargv[wargc++] = "server";
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--fcgi") == 0) {
			fcgi = true;
			continue;
		}
		if (strcmp(argv[i], "--role") == 0) {
			fprintf(stderr, "medsrv web: the role is always server\n");
			free(wargv);
			return 2;
		}
		if (strcmp(argv[i], "--dir") == 0)
			has_dir = true;
		wargv[wargc++] = argv[i];
	}
	if (!has_dir) {
		wargv[wargc++] = "--dir";
		wargv[wargc++] = MS_DEFAULT_DIR;
	}
	rc = web_cli_parse(&cli, wargc, wargv);
	if (rc != IKE_OK) {
		free(wargv);
		return 2;
	}
	if (cli.help) {
		web_cli_usage(stdout, "medsrv web");
		free(wargv);
		return 0;
	}
	if (web_cli_prepare(&cli, &app) != IKE_OK) {
		free(wargv);
		return 1;
	}
	rc = 0;
	if (app) {
		if (fcgi) {
#ifdef MEDSRV_HAVE_FCGI
			rc = webfcgi_run(app, cli.socket);
#else
			fprintf(stderr, "medsrv web: built without FastCGI\n");
			rc = 1;
#endif
		} else {
#ifdef MEDSRV_HAVE_MHD
			rc = webmhd_run(app, cli.listen, cli.port);
#else
			fprintf(stderr, "medsrv web: built without libmicrohttpd (use --fcgi)\n");
			rc = 1;
#endif
		}
		web_app_free(app);
	}
	free(wargv);
	return rc;
#else
	(void)argc;
	(void)argv;
	fprintf(stderr, "medsrv web: built without the web manager\n");
	return 1;
#endif
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "web") == 0)
		return cmd_web(argc, argv);
	return ms_main(argc, argv);
}
