/* SPDX-License-Identifier: MIT */
/* web/fcgi/fcgi.c - FastCGI front end: CGI variables -> web_request. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "webfcgi.h"

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

/* HTTP_X_CSRF_TOKEN -> X-CSRF-TOKEN (names compare case-insensitively later). */
static void add_env_headers(web_request *req, char **envp)
{
	char name[256];

	for (; *envp; envp++) {
		const char *e = *envp, *eq = strchr(e, '=');
		size_t n;

		if (!eq)
			continue;
		if (strncmp(e, "HTTP_", 5) == 0) {
			n = (size_t)(eq - e) - 5;
			if (n == 0 || n >= sizeof name)
				continue;
			for (size_t i = 0; i < n; i++)
				name[i] = e[5 + i] == '_' ? '-' : e[5 + i];
			name[n] = '\0';
		} else if (strncmp(e, "CONTENT_TYPE=", 13) == 0) {
			strcpy(name, "Content-Type");
		} else {
			continue;
		}
		(void)web_request_add_header(req, name, eq + 1);
	}
}

static void read_body(web_request *req, FCGX_Request *r)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", r->envp);
	char buf[4096];
	unsigned long long want = 0, got = 0;

	if (cl && *cl) {
		char *end;
		want = strtoull(cl, &end, 10);
		if (*end)
			want = 0;
	}
	if (want > WEB_BODY_MAX) {
		/* Refuse without reading: 413 is answered from the flag. */
		(void)web_request_append_body(req, "", WEB_BODY_MAX + 1u);
		return;
	}
	while (got < want) {
		size_t chunk = want - got < sizeof buf ? (size_t)(want - got) : sizeof buf;
		int n = FCGX_GetStr(buf, (int)chunk, r->in);

		if (n <= 0)
			break;
		got += (unsigned)n;
		if (web_request_append_body(req, buf, (size_t)n) != IKE_OK)
			break;
	}
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 421:
		return "Misdirected Request";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return status >= 500 ? "Server Error" : "Status";
	}
}

static void put_line(FCGX_Request *r, const char *fmt, ...) IKE_PRINTF(2, 3);
static void put_line(FCGX_Request *r, const char *fmt, ...)
{
	char line[WEB_FIELD_MAX + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 3)
		n = (int)(sizeof line - 3);
	line[n++] = '\r';
	line[n++] = '\n';
	FCGX_PutStr(line, n, r->out);
}

static void serve_one(web_app *app, FCGX_Request *r)
{
	web_request req;
	web_response resp = {0};
	const char *uri = FCGX_GetParam("REQUEST_URI", r->envp);
	const char *https = FCGX_GetParam("HTTPS", r->envp);
	const char *addr = FCGX_GetParam("REMOTE_ADDR", r->envp);

	web_request_init(&req);
	web_request_set_method(&req, FCGX_GetParam("REQUEST_METHOD", r->envp));
	if (uri)
		(void)web_request_set_target(&req, uri); /* a bad target leaves path NULL: 400 */
	add_env_headers(&req, r->envp);
	if (addr)
		snprintf(req.client_addr, sizeof req.client_addr, "%s", addr);
	req.tls = https && strcasecmp(https, "on") == 0;
	read_body(&req, r);
	web_app_handle(app, &req, &resp);
	/* libfcgi's own printf knows no %zu: format with the C library, write as bytes. */
	put_line(r, "Status: %d %s", resp.status, reason(resp.status));
	if (resp.content_type)
		put_line(r, "Content-Type: %s", resp.content_type);
	for (size_t i = 0; i < resp.n_headers; i++)
		put_line(r, "%s: %s", resp.headers[i].name, resp.headers[i].value);
	put_line(r, "Content-Length: %zu", resp.body_len);
	FCGX_PutS("\r\n", r->out);
	if (resp.body_len)
		FCGX_PutStr(resp.body, (int)resp.body_len, r->out);
	web_response_clear(&resp);
	web_request_clear(&req);
}

int webfcgi_run(web_app *app, const char *socket_path)
{
	struct sigaction sa = {.sa_handler = on_stop};
	FCGX_Request r;
	int fd = 0;

	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: accept() returns on a signal */
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0) {
		fprintf(stderr, "medweb.fcgi: FastCGI initialisation failed\n");
		return 1;
	}
	if (socket_path) {
		unlink(socket_path);
		fd = FCGX_OpenSocket(socket_path, 16);
		if (fd < 0) {
			fprintf(stderr, "medweb.fcgi: cannot listen on %s\n", socket_path);
			return 1;
		}
		chmod(socket_path, 0660);
		fprintf(stderr, "medweb.fcgi: listening on %s\n", socket_path);
	}
	if (FCGX_InitRequest(&r, fd, 0) != 0)
		return 1;
	while (!stopping && FCGX_Accept_r(&r) >= 0) {
		serve_one(app, &r);
		FCGX_Finish_r(&r);
	}
	FCGX_Free(&r, 1);
	if (socket_path)
		unlink(socket_path);
	return 0;
}
