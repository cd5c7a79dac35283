/* SPDX-License-Identifier: MIT */
/* medweb - the web managers with the embedded libmicrohttpd front end. */
#include <stdio.h>

#include "web/app.h"
#include "webmhd.h"

int main(int argc, char **argv)
{
	web_cli cli;
	web_app *app = NULL;
	int rc;

	if (web_cli_parse(&cli, argc, argv) != IKE_OK)
		return 2;
	if (cli.help) {
		web_cli_usage(stdout, argv[0]);
		return 0;
	}
	if (web_cli_prepare(&cli, &app) != IKE_OK)
		return 1;
	if (!app)
		return 0;
	rc = webmhd_run(app, cli.listen, cli.port);
	web_app_free(app);
	return rc;
}
