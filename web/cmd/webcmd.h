/* SPDX-License-Identifier: MIT */
/*
 * web/cmd/webcmd.h - the `web` subcommand of medsrv and medcli: serves one manager
 * with the embedded libmicrohttpd front end, or with FastCGI (--fcgi), through the
 * same entry points as medweb (web_cli_parse -> web_cli_prepare -> run).
 */
#ifndef WEBCMD_H
#define WEBCMD_H

/* Runs `PROG web [--fcgi] [medweb options]` for role "server" or "client".
 * argv[0] and argv[1] ("web") are skipped; --dir defaults to default_dir; --role
 * is refused (the program decides it). Returns the process exit status: 0, 1
 * (could not serve) or 2 (bad command line). Arguments are borrowed. */
int web_subcommand(const char *prog, const char *role, const char *default_dir, int argc, char **argv);

#endif /* WEBCMD_H */
