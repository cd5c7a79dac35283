/* SPDX-License-Identifier: MIT */
/* web/mhd/mhd.c - libmicrohttpd front end: turns MHD callbacks into web_request. */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "webmhd.h"

struct webmhd_server {
	struct MHD_Daemon *daemon;
	web_app *app;
	unsigned port;
};

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	web_request *req = cls;

	(void)kind;
	(void)web_request_add_header(req, key, value ? value : ""); /* overflow is flagged in req */
	return MHD_YES;
}

static void set_client_addr(struct MHD_Connection *conn, web_request *req)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		          req->client_addr, sizeof req->client_addr);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		          req->client_addr, sizeof req->client_addr);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, const web_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(resp->body_len, resp->body ? resp->body : (void *)"",
	                                    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (resp->content_type)
		MHD_add_response_header(r, "Content-Type", resp->content_type);
	for (size_t i = 0; i < resp->n_headers; i++)
		MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Per-request state between MHD's calls. */
typedef struct conn_state {
	web_request req;
	bool answered;    /* a response is queued already (early 413): ignore the rest */
	size_t discarded; /* bytes of an oversized chunked body thrown away */
} conn_state;

static enum MHD_Result answer(webmhd_server *s, struct MHD_Connection *conn, conn_state *st)
{
	web_response resp = {0};
	enum MHD_Result ret;

	web_app_handle(s->app, &st->req, &resp);
	ret = send_response(conn, &resp);
	web_response_clear(&resp);
	st->answered = true;
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	webmhd_server *s = cls;
	conn_state *st = *con_cls;
	const char *cl;

	(void)version;
	if (!st) {
		/* First call: the headers are complete; the body (if any) follows. */
		st = calloc(1, sizeof *st);
		if (!st)
			return MHD_NO;
		web_request_init(&st->req);
		web_request_set_method(&st->req, method);
		/* MHD has split off the query already; the router needs only the path. */
		(void)web_request_set_target(&st->req, url); /* a bad target leaves path NULL: 400 */
		MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header, &st->req);
		set_client_addr(conn, &st->req);
		*con_cls = st;
		/* A declared body over the limit is refused before a byte of it is read. */
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strlen(cl) > 9) {
			st->req.body_too_large = true;
		} else if (cl) {
			char *end;
			unsigned long v = strtoul(cl, &end, 10);
			st->req.body_too_large = *end == '\0' && v > WEB_BODY_MAX;
		}
		if (st->req.body_too_large)
			return answer(s, conn, st);
		return MHD_YES;
	}
	if (st->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* A chunked body past the limit: MHD cannot answer in the middle of an upload,
		 * so the rest is thrown away and 413 follows; past 1 MiB the connection closes. */
		if (web_request_append_body(&st->req, upload_data, *upload_data_size) == IKE_ERR_LIMIT) {
			st->discarded += *upload_data_size;
			if (st->discarded > WEBMHD_DISCARD_MAX)
				return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return answer(s, conn, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	if (*con_cls) {
		conn_state *st = *con_cls;
		web_request_clear(&st->req);
		free(st);
		*con_cls = NULL;
	}
}

int webmhd_start(webmhd_server **out, web_app *app, const char *listen, unsigned port)
{
	struct sockaddr_storage ss = {0};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	webmhd_server *s;
	const union MHD_DaemonInfo *di;

	*out = NULL;
	if (port > 65535)
		return IKE_ERR_INVAL;
	if (inet_pton(AF_INET, listen, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, listen, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		flags |= MHD_USE_IPv6;
	} else {
		return IKE_ERR_INVAL;
	}
	s = calloc(1, sizeof *s);
	if (!s)
		return IKE_ERR_NOMEM;
	s->app = app;
	s->daemon = MHD_start_daemon(
	    flags, (uint16_t)port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)WEBMHD_CONN_LIMIT, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)WEBMHD_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WEBMHD_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, NULL, MHD_OPTION_END);
	if (!s->daemon) {
		/* MHD leaves bind()'s errno (it has logged the same reason already). */
		int err = errno;
		free(s);
		return err == EADDRNOTAVAIL ? IKE_ERR_ADDR_NOT_AVAIL
		       : err == EADDRINUSE  ? IKE_ERR_ADDR_IN_USE
		                            : IKE_ERR_IO;
	}
	di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : port;
	*out = s;
	return IKE_OK;
}

unsigned webmhd_port(const webmhd_server *s)
{
	return s->port;
}

void webmhd_stop(webmhd_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	free(s);
}

int webmhd_run(web_app *app, const char *listen, unsigned port)
{
	webmhd_server *s;
	sigset_t set;
	int sig = 0, rc;

	/* Block the stop signals in every thread MHD starts, then wait for them here. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = webmhd_start(&s, app, listen, port);
	if (rc != IKE_OK) {
		fprintf(stderr, "medweb: cannot listen on %s port %u: %s\n", listen, port, ike_strerror(rc));
		return 1;
	}
	fprintf(stderr,
	        strchr(listen, ':') ? "medweb: listening on http://[%s]:%u/\n"
	                            : "medweb: listening on http://%s:%u/\n",
	        listen, webmhd_port(s));
	sigwait(&set, &sig);
	fprintf(stderr, "medweb: stopping (signal %d)\n", sig);
	webmhd_stop(s);
	return 0;
}
