/* SPDX-License-Identifier: MIT */
/*
 * webfcgi.h - the FastCGI front end (libfcgi) for lighttpd or nginx. One request at
 * a time per process; the web server spawns it (the listening socket on stdin) or it
 * listens on a Unix socket of its own (--socket PATH).
 */
#ifndef WEBFCGI_H
#define WEBFCGI_H
#include "web/app.h"

/* Serves app until SIGTERM/SIGINT. socket_path NULL = the FastCGI socket the web
 * server passed on stdin. Returns the exit status. */
int webfcgi_run(web_app *app, const char *socket_path);

#endif /* WEBFCGI_H */
