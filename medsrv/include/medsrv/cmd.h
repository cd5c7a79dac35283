/* SPDX-License-Identifier: MIT */
/*
 * medsrv/cmd.h - the command line (scripting contract in docs/medsrv.md):
 *
 *   medsrv init     [--dir DIR]                       creates DIR, medsrv.db, medsrv.key (0600), medsrv.pub;
 *                                                     prints the server's KEY_ID
 *   medsrv peer add [--dir DIR] --alias NAME --pubkey FILE   prints the peer's KEY_ID
 *   medsrv peer list [--dir DIR] [--json]
 *   medsrv peer del [--dir DIR] (--alias NAME | --keyid HEX)
 *   medsrv run      [--dir DIR] [--listen ADDR]... [--port N] [--natt-port N] [--log-level L]
 *                   [--workers N] [--dpd SECONDS] [--ctl PATH]
 *   medsrv status   [--dir DIR] [--json] [--ctl PATH]
 *   medsrv web      [--dir DIR] [--fcgi] [web options]     (handled by main.c)
 *
 * DIR defaults to MS_DEFAULT_DIR. Exit codes: 0 success, 1 failure, 2 bad
 * usage, 3 (status) the daemon is not running.
 */
#ifndef MEDSRV_CMD_H
#define MEDSRV_CMD_H

#define MS_DEFAULT_DIR "/var/lib/medsrv"

/* Runs one subcommand (argv[1] onward; argv borrowed). Output on stdout,
 * diagnostics on stderr. Returns the process exit code. */
int ms_main(int argc, char **argv);

/* Prints the usage text on stderr. */
void ms_usage(void);

#endif /* MEDSRV_CMD_H */
