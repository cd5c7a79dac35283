/* SPDX-License-Identifier: MIT */
/* ike/io/src/ctl.c - control socket: JSON lines over a Unix stream socket. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ikeio/ctl.h"

#define READ_CHUNK 4096
#define WRITE_QUEUE_MAX (4u * IKEIO_CTL_LINE_MAX) /* unread answers kept per client */

typedef struct client client;

struct ikeio_ctl {
	uv_pipe_t srv;
	ikeio_ctl_fn fn;
	void *user;
	char *path;
	client *clients;  /* doubly linked, for close */
	int refs;         /* open handles: the listener plus each client */
	bool closing;
	unsigned long served;
};

struct client {
	uv_pipe_t pipe;
	ikeio_ctl *ctl;
	client *prev, *next;
	char *line;
	size_t len, cap;
	bool closing;
};

typedef struct write_req {
	uv_write_t req;
	char *data;
} write_req;

static void ctl_unref(ikeio_ctl *c)
{
	if (--c->refs == 0) {
		free(c->path);
		free(c);
	}
}

static void on_client_closed(uv_handle_t *h)
{
	client *cl = (client *)h;
	ikeio_ctl *c = cl->ctl;

	if (cl->prev)
		cl->prev->next = cl->next;
	else
		c->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	free(cl->line);
	free(cl);
	ctl_unref(c);
}

static void client_close(client *cl)
{
	if (cl->closing)
		return;
	cl->closing = true;
	uv_close((uv_handle_t *)&cl->pipe, on_client_closed);
}

static void on_written(uv_write_t *req, int status)
{
	write_req *w = (write_req *)req;

	free(w->data);
	free(w);
}

/* Queues reply (stolen) as one line. */
static void send_reply(client *cl, json_t *reply)
{
	write_req *w;
	char *text;
	size_t n;
	uv_buf_t b;

	text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	json_decref(reply);
	if (!text)
		text = strdup("{\"error\":\"internal error\"}");
	w = text ? malloc(sizeof *w) : NULL;
	if (!w) {
		free(text);
		client_close(cl);
		return;
	}
	/* A client that sends requests but never reads the answers is cut off. */
	if (uv_stream_get_write_queue_size((uv_stream_t *)&cl->pipe) > WRITE_QUEUE_MAX) {
		free(text);
		free(w);
		client_close(cl);
		return;
	}
	n = strlen(text);
	w->data = text;
	w->data[n] = '\n'; /* replaces the NUL: the buffer is length-delimited */
	b = uv_buf_init(w->data, (unsigned)(n + 1));
	if (uv_write(&w->req, (uv_stream_t *)&cl->pipe, &b, 1, on_written) != 0) {
		free(w->data);
		free(w);
		client_close(cl);
	}
}

static void handle_line(client *cl, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req, *reply;

	req = json_loadb(line, len, 0, &jerr);
	if (!req || !json_is_object(req)) {
		json_decref(req);
		send_reply(cl, json_pack("{s:s}", "error", "malformed request: one JSON object per line"));
		return;
	}
	if (!json_is_string(json_object_get(req, "cmd"))) {
		json_decref(req);
		send_reply(cl, json_pack("{s:s}", "error", "missing \"cmd\""));
		return;
	}
	reply = cl->ctl->fn(cl->ctl->user, req);
	json_decref(req);
	cl->ctl->served++;
	if (reply && !json_is_object(reply)) {
		json_decref(reply);
		reply = NULL;
	}
	send_reply(cl, reply);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	client *cl = (client *)h;
	size_t want = cl->len + READ_CHUNK;

	if (want > cl->cap) {
		char *p = realloc(cl->line, want);

		if (!p) {
			*buf = uv_buf_init(NULL, 0); /* libuv reports UV_ENOBUFS */
			return;
		}
		cl->line = p;
		cl->cap = want;
	}
	*buf = uv_buf_init(cl->line + cl->len, READ_CHUNK);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	client *cl = (client *)s;
	size_t start = 0;
	char *nl;

	if (nread < 0) {
		client_close(cl);
		return;
	}
	cl->len += (size_t)nread;
	while (!cl->closing && (nl = memchr(cl->line + start, '\n', cl->len - start)) != NULL) {
		size_t n = (size_t)(nl - (cl->line + start));

		if (n > 0)
			handle_line(cl, cl->line + start, n);
		start += n + 1;
	}
	if (start > 0) {
		memmove(cl->line, cl->line + start, cl->len - start);
		cl->len -= start;
	}
	if (cl->len >= IKEIO_CTL_LINE_MAX && !cl->closing) {
		send_reply(cl, json_pack("{s:s}", "error", "request too long"));
		uv_read_stop(s);
		client_close(cl);
	}
}

static void on_connection(uv_stream_t *srv, int status)
{
	ikeio_ctl *c = (ikeio_ctl *)srv;
	client *cl;

	if (status < 0 || c->closing)
		return;
	cl = calloc(1, sizeof *cl);
	if (!cl)
		return;
	if (uv_pipe_init(srv->loop, &cl->pipe, 0) != 0) {
		free(cl);
		return;
	}
	cl->ctl = c;
	cl->next = c->clients;
	if (c->clients)
		c->clients->prev = cl;
	c->clients = cl;
	c->refs++;
	if (uv_accept(srv, (uv_stream_t *)&cl->pipe) != 0 ||
	    uv_read_start((uv_stream_t *)&cl->pipe, on_alloc, on_read) != 0)
		client_close(cl);
}

static void on_srv_closed(uv_handle_t *h)
{
	ctl_unref((ikeio_ctl *)h);
}

/* Returns true when something accepts connections on path. */
static bool someone_listens(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = connect(fd, (const struct sockaddr *)sun, sizeof *sun) == 0;
	close(fd);
	return live;
}

int ikeio_ctl_listen(uv_loop_t *loop, const char *path, ikeio_ctl_fn fn, void *user, ikeio_ctl **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	ikeio_ctl *c = NULL;
	int fd = -1, rc;

	*out = NULL;
	if (!fn || !path || strlen(path) >= sizeof sun.sun_path || !path[0])
		return IKE_ERR_INVAL;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return IKE_ERR_EXISTS; /* never remove a file that is not a socket */
		if (someone_listens(&sun))
			return IKE_ERR_EXISTS;
		if (unlink(path) != 0)
			return IKE_ERR_IO;
	}
	c = calloc(1, sizeof *c);
	if (!c || !(c->path = strdup(path))) {
		rc = IKE_ERR_NOMEM;
		goto fail;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = IKE_ERR_IO;
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		rc = errno == EADDRINUSE ? IKE_ERR_EXISTS : IKE_ERR_IO;
		goto fail;
	}
	/* 0600 before listen(): nobody can connect in between (connect needs a listener). */
	if (chmod(path, S_IRUSR | S_IWUSR) != 0 || listen(fd, 16) != 0) {
		rc = IKE_ERR_IO;
		unlink(path);
		goto fail;
	}
	if (uv_pipe_init(loop, &c->srv, 0) != 0) {
		rc = IKE_ERR_IO;
		unlink(path);
		goto fail;
	}
	c->fn = fn;
	c->user = user;
	c->refs = 1;
	if (uv_pipe_open(&c->srv, fd) != 0) {
		close(fd); /* not adopted by the handle */
		fd = -1;
		goto fail_handle;
	}
	if (uv_listen((uv_stream_t *)&c->srv, 16, on_connection) != 0)
		goto fail_handle;
	*out = c;
	return IKE_OK;
fail:
	if (fd >= 0)
		close(fd);
	if (c)
		free(c->path);
	free(c);
	return rc;
fail_handle:
	/* The handle is initialised: libuv closes it (and an adopted fd), then frees c. */
	unlink(path);
	c->closing = true;
	uv_close((uv_handle_t *)&c->srv, on_srv_closed);
	return IKE_ERR_IO;
}

unsigned long ikeio_ctl_served(const ikeio_ctl *c)
{
	return c->served;
}

void ikeio_ctl_close(ikeio_ctl *c)
{
	if (!c || c->closing)
		return;
	c->closing = true;
	for (client *cl = c->clients; cl; cl = cl->next)
		client_close(cl);
	unlink(c->path);
	uv_close((uv_handle_t *)&c->srv, on_srv_closed);
}

/* ---- client ---- */

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_for(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		long long left = deadline - mono_ms();
		int n;

		if (left <= 0)
			return IKE_ERR_TIMEOUT;
		n = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (n > 0)
			return IKE_OK;
		if (n < 0 && errno != EINTR)
			return IKE_ERR_IO;
	}
}

int ikeio_ctl_call(const char *path, json_t *req, int timeout_ms, json_t **reply)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	long long deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	char *out = NULL, *in = NULL;
	size_t out_len, off = 0, in_len = 0, cap = 0;
	json_error_t jerr;
	int fd = -1, rc;

	*reply = NULL;
	if (!path || !req || strlen(path) >= sizeof sun.sun_path)
		return IKE_ERR_INVAL;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return IKE_ERR_IO;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		if (errno == ENOENT || errno == ECONNREFUSED || errno == ENOTDIR) {
			rc = IKE_ERR_NOT_FOUND;
			goto out;
		}
		if (errno != EINPROGRESS && errno != EAGAIN) {
			rc = IKE_ERR_IO;
			goto out;
		}
	}
	out = json_dumps(req, JSON_COMPACT);
	if (!out) {
		rc = IKE_ERR_NOMEM;
		goto out;
	}
	out_len = strlen(out);
	out[out_len++] = '\n';
	while (off < out_len) {
		ssize_t w;

		rc = wait_for(fd, POLLOUT, deadline);
		if (rc != IKE_OK)
			goto out;
		w = send(fd, out + off, out_len - off, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w < 0) {
			rc = errno == ECONNREFUSED ? IKE_ERR_NOT_FOUND : IKE_ERR_IO;
			goto out;
		}
		off += (size_t)w;
	}
	for (;;) {
		ssize_t r;
		char *nl;

		if (in_len == cap) {
			char *p;

			if (cap >= IKEIO_CTL_LINE_MAX) {
				rc = IKE_ERR_LIMIT;
				goto out;
			}
			cap = cap ? cap * 2 : READ_CHUNK;
			p = realloc(in, cap);
			if (!p) {
				rc = IKE_ERR_NOMEM;
				goto out;
			}
			in = p;
		}
		rc = wait_for(fd, POLLIN, deadline);
		if (rc != IKE_OK)
			goto out;
		r = recv(fd, in + in_len, cap - in_len, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r < 0) {
			rc = IKE_ERR_IO;
			goto out;
		}
		if (r == 0) {
			if (in_len == 0) {
				rc = IKE_ERR_IO;
				goto out;
			}
			break; /* a last line without '\n' */
		}
		nl = memchr(in + in_len, '\n', (size_t)r);
		in_len += (size_t)r;
		if (nl) {
			in_len = (size_t)(nl - in);
			break;
		}
	}
	*reply = json_loadb(in, in_len, 0, &jerr);
	if (!*reply || !json_is_object(*reply)) {
		json_decref(*reply);
		*reply = NULL;
		rc = IKE_ERR_MALFORMED;
		goto out;
	}
	rc = IKE_OK;
out:
	free(out);
	free(in);
	if (fd >= 0)
		close(fd);
	return rc;
}
