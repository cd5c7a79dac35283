/* SPDX-License-Identifier: MIT */
/* medsrv - the mediation server: subcommands in cmd.c, `medsrv web` here (it
 * alone links the web manager's front ends). */
#include <string.h>

#include "medsrv/cmd.h"

#include "webcmd.h"

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "web") == 0)
		return web_subcommand("medsrv", "server", MS_DEFAULT_DIR, argc, argv);
	return ms_main(argc, argv);
}
