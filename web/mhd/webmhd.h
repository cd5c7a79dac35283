/* SPDX-License-Identifier: MIT */
/*
 * webmhd.h - the embedded front end: libmicrohttpd serving a web_app.
 * One polling thread plus a thread per connection, at most WEBMHD_CONN_LIMIT
 * connections (WEBMHD_PER_IP per client address), idle connections closed after
 * WEBMHD_TIMEOUT_S seconds. Listens on 127.0.0.1 unless told otherwise. A body declared
 * larger than WEB_BODY_MAX is answered 413 before it is read; a chunked one is discarded
 * and answered 413, or the connection closed past WEBMHD_DISCARD_MAX.
 */
#ifndef WEBMHD_H
#define WEBMHD_H
#include "web/app.h"

#define WEBMHD_CONN_LIMIT 64
#define WEBMHD_PER_IP 16
#define WEBMHD_TIMEOUT_S 30
#define WEBMHD_DISCARD_MAX (1024u * 1024u) /* of an oversized chunked body, then close */

typedef struct webmhd_server webmhd_server;

/* Starts serving app (borrowed: it must outlive the server) on listen (an IPv4 or
 * IPv6 literal) and port (0 = any free port; see webmhd_port). Returns IKE_OK,
 * IKE_ERR_INVAL (not an IP literal), IKE_ERR_IO (cannot bind), IKE_ERR_NOMEM. */
IKE_MUST_CHECK int webmhd_start(webmhd_server **out, web_app *app, const char *listen, unsigned port);
/* The TCP port actually bound. */
unsigned webmhd_port(const webmhd_server *s);
/* Stops accepting, closes connections, frees s. NULL is fine. */
void webmhd_stop(webmhd_server *s);

/* medweb's main loop: starts, prints "listening on http://ADDR:PORT/" to stderr, and
 * serves until SIGINT or SIGTERM. Returns the exit status. */
int webmhd_run(web_app *app, const char *listen, unsigned port);

#endif /* WEBMHD_H */
