/* SPDX-License-Identifier: MIT */
/* medcli - the mediation client: subcommands in cmd.c, `medcli web` (the client
 * manager) through web_subcommand. */
#include <string.h>

#include "medcli/medcli.h"
#include "webcmd.h"

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "web") == 0)
		return web_subcommand("medcli", "client", MC_DEFAULT_DIR, argc, argv);
	return mc_main(argc, argv);
}
