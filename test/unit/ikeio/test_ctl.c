/* SPDX-License-Identifier: MIT */
/* test_ctl.c - control socket server on a loop, blocking client on a thread; signals. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ikeio/ctl.h"
#include "ikeio/signal.h"

typedef struct call {
	char path[108];
	json_t *req;
	int rc;
	json_t *reply;
	uv_async_t done;
} call;

static json_t *handler(void *user, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	(*(int *)user)++;
	if (strcmp(cmd, "status") == 0)
		return json_pack("{s:b, s:i}", "registered", 1, "peers", 2);
	if (strcmp(cmd, "up") == 0)
		return json_pack("{s:s}", "up", json_string_value(json_object_get(req, "peer")));
	if (strcmp(cmd, "crash") == 0)
		return NULL;
	return json_pack("{s:s}", "error", "unknown command");
}

static void *client_thread(void *arg)
{
	call *c = arg;

	c->rc = ikeio_ctl_call(c->path, c->req, 2000, &c->reply);
	uv_async_send(&c->done);
	return NULL;
}

static void on_done(uv_async_t *a)
{
	uv_stop(a->loop);
}

static void make_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/ikeio-ctl-%d-XXXXXX", (int)getpid());
	cr_assert(ne(ptr, mkdtemp(dir), NULL));
}

/* Runs one blocking client call against the server on loop. */
static void do_call(uv_loop_t *loop, call *c)
{
	pthread_t t;

	uv_async_init(loop, &c->done, on_done);
	cr_assert(eq(int, pthread_create(&t, NULL, client_thread, c), 0));
	uv_run(loop, UV_RUN_DEFAULT);
	pthread_join(t, NULL);
	uv_close((uv_handle_t *)&c->done, NULL);
	uv_run(loop, UV_RUN_NOWAIT); /* finishes the close before c->done is reused */
}

Test(ikeio_ctl, answers_requests_over_a_0600_socket)
{
	uv_loop_t loop;
	ikeio_ctl *srv = NULL;
	char dir[64];
	call c = { 0 };
	int handled = 0;
	struct stat st;

	make_dir(dir, sizeof dir);
	snprintf(c.path, sizeof c.path, "%s/medcli.ctl", dir);
	uv_loop_init(&loop);
	cr_assert(eq(int, ikeio_ctl_listen(&loop, c.path, handler, &handled, &srv), IKE_OK));
	cr_assert(eq(int, stat(c.path, &st), 0));
	cr_assert(eq(int, (int)(st.st_mode & 0777), 0600));

	c.req = json_pack("{s:s}", "cmd", "status");
	do_call(&loop, &c);
	cr_assert(eq(int, c.rc, IKE_OK), "%s", ike_strerror(c.rc));
	cr_assert(eq(int, json_is_true(json_object_get(c.reply, "registered")) ? 1 : 0, 1));
	cr_assert(eq(int, (int)json_integer_value(json_object_get(c.reply, "peers")), 2));
	json_decref(c.reply);
	json_decref(c.req);

	c.req = json_pack("{s:s, s:s}", "cmd", "up", "peer", "bob");
	do_call(&loop, &c);
	cr_assert(eq(int, c.rc, IKE_OK));
	cr_assert(eq(str, (char *)json_string_value(json_object_get(c.reply, "up")), "bob"));
	json_decref(c.reply);
	json_decref(c.req);

	c.req = json_pack("{s:s}", "cmd", "crash");
	do_call(&loop, &c);
	cr_assert(eq(int, c.rc, IKE_OK));
	cr_assert(eq(str, (char *)json_string_value(json_object_get(c.reply, "error")), "internal error"));
	json_decref(c.reply);
	json_decref(c.req);

	c.req = json_pack("{s:i}", "nocmd", 1);
	do_call(&loop, &c);
	cr_assert(eq(int, c.rc, IKE_OK));
	cr_assert(ne(ptr, (void *)json_string_value(json_object_get(c.reply, "error")), NULL));
	json_decref(c.reply);
	json_decref(c.req);

	cr_assert(eq(int, handled, 3));
	cr_assert(eq(ulong, ikeio_ctl_served(srv), 3));
	ikeio_ctl_close(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert(eq(int, uv_loop_close(&loop), 0));
	cr_assert(ne(int, access(c.path, F_OK), 0), "socket file left behind");
	rmdir(dir);
}

static void *raw_thread(void *arg)
{
	call *c = arg;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[512];
	size_t got = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	static const char two[] = "{\"cmd\":\"status\"}\n{\"cmd\":\"up\",\"peer\":\"x\"}\nnot json\n";

	strcpy(sun.sun_path, c->path);
	c->rc = -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0 && write(fd, two, strlen(two)) == (ssize_t)strlen(two)) {
		int lines = 0;

		while (lines < 3 && got < sizeof buf - 1) {
			ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);

			if (r <= 0)
				break;
			for (ssize_t i = 0; i < r; i++)
				lines += buf[got + (size_t)i] == '\n';
			got += (size_t)r;
		}
		buf[got] = 0;
		c->reply = json_string(buf);
		c->rc = lines;
	}
	close(fd);
	uv_async_send(&c->done);
	return NULL;
}

Test(ikeio_ctl, answers_pipelined_requests_in_order)
{
	uv_loop_t loop;
	ikeio_ctl *srv = NULL;
	char dir[64];
	call c = { 0 };
	int handled = 0;
	pthread_t t;
	const char *text;

	make_dir(dir, sizeof dir);
	snprintf(c.path, sizeof c.path, "%s/x.ctl", dir);
	uv_loop_init(&loop);
	cr_assert(eq(int, ikeio_ctl_listen(&loop, c.path, handler, &handled, &srv), IKE_OK));
	uv_async_init(&loop, &c.done, on_done);
	pthread_create(&t, NULL, raw_thread, &c);
	uv_run(&loop, UV_RUN_DEFAULT);
	pthread_join(t, NULL);
	uv_close((uv_handle_t *)&c.done, NULL);
	cr_assert(eq(int, c.rc, 3));
	text = json_string_value(c.reply);
	cr_assert(eq(str, (char *)text,
		     "{\"registered\":true,\"peers\":2}\n{\"up\":\"x\"}\n"
		     "{\"error\":\"malformed request: one JSON object per line\"}\n"));
	json_decref(c.reply);
	ikeio_ctl_close(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert(eq(int, uv_loop_close(&loop), 0));
	rmdir(dir);
}

static void *long_thread(void *arg)
{
	call *c = arg;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = IKEIO_CTL_LINE_MAX + 10, off = 0;
	char *junk = malloc(n), reply[256];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ssize_t r = 0;

	memset(junk, 'a', n);
	strcpy(sun.sun_path, c->path);
	c->rc = -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
		while (off < n) {
			ssize_t w = send(fd, junk + off, n - off, MSG_NOSIGNAL);

			if (w <= 0)
				break; /* the server may close once it has seen too much */
			off += (size_t)w;
		}
		r = read(fd, reply, sizeof reply - 1);
		if (r > 0) {
			reply[r] = 0;
			c->reply = json_string(reply);
			c->rc = 0;
		}
	}
	free(junk);
	close(fd);
	uv_async_send(&c->done);
	return NULL;
}

Test(ikeio_ctl, refuses_a_request_line_longer_than_the_limit)
{
	uv_loop_t loop;
	ikeio_ctl *srv = NULL;
	char dir[64];
	call c = { 0 };
	int handled = 0;
	pthread_t t;

	make_dir(dir, sizeof dir);
	snprintf(c.path, sizeof c.path, "%s/l.ctl", dir);
	uv_loop_init(&loop);
	cr_assert(eq(int, ikeio_ctl_listen(&loop, c.path, handler, &handled, &srv), IKE_OK));
	uv_async_init(&loop, &c.done, on_done);
	pthread_create(&t, NULL, long_thread, &c);
	uv_run(&loop, UV_RUN_DEFAULT);
	pthread_join(t, NULL);
	uv_close((uv_handle_t *)&c.done, NULL);
	cr_assert(eq(int, c.rc, 0), "no answer before the server closed");
	cr_assert(eq(str, (char *)json_string_value(c.reply), "{\"error\":\"request too long\"}\n"));
	cr_assert(eq(int, handled, 0));
	json_decref(c.reply);
	ikeio_ctl_close(srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert(eq(int, uv_loop_close(&loop), 0));
	rmdir(dir);
}

Test(ikeio_ctl, refuses_a_second_server_and_replaces_a_stale_socket)
{
	uv_loop_t loop;
	ikeio_ctl *a = NULL, *b = NULL;
	char dir[64], path[108];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int handled = 0, fd;

	make_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/s.ctl", dir);
	/* A stale socket file: bound, never listening (a crashed daemon). */
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert(eq(int, bind(fd, (struct sockaddr *)&sun, sizeof sun), 0));
	close(fd);

	uv_loop_init(&loop);
	cr_assert(eq(int, ikeio_ctl_listen(&loop, path, handler, &handled, &a), IKE_OK));
	cr_assert(eq(int, ikeio_ctl_listen(&loop, path, handler, &handled, &b), IKE_ERR_EXISTS));
	cr_assert(eq(ptr, b, NULL));
	ikeio_ctl_close(a);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert(eq(int, uv_loop_close(&loop), 0));
	rmdir(dir);
}

Test(ikeio_ctl, client_reports_a_daemon_that_is_not_running)
{
	json_t *req = json_pack("{s:s}", "cmd", "status"), *reply = (json_t *)1;
	char dir[64], path[108], longpath[300];

	make_dir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/none.ctl", dir);
	cr_assert(eq(int, ikeio_ctl_call(path, req, 500, &reply), IKE_ERR_NOT_FOUND));
	cr_assert(eq(ptr, reply, NULL));
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[sizeof longpath - 1] = 0;
	cr_assert(eq(int, ikeio_ctl_call(longpath, req, 500, &reply), IKE_ERR_INVAL));
	/* A regular file is never replaced by a server. */
	FILE *f = fopen(path, "w");
	fclose(f);
	uv_loop_t loop;
	ikeio_ctl *srv = NULL;
	int handled = 0;
	uv_loop_init(&loop);
	cr_assert(eq(int, ikeio_ctl_listen(&loop, path, handler, &handled, &srv), IKE_ERR_EXISTS));
	cr_assert(eq(int, uv_loop_close(&loop), 0));
	unlink(path);
	json_decref(req);
	rmdir(dir);
}

typedef struct stopper {
	ikeio_signals *s;
	int signum;
} stopper;

static void on_stop(void *user, int signum)
{
	stopper *st = user;

	st->signum = signum;
	ikeio_signals_free(st->s);
}

static void on_raise(uv_timer_t *t)
{
	raise(SIGTERM);
}

Test(ikeio_signals, sigterm_calls_the_stop_callback_and_the_loop_ends)
{
	uv_loop_t loop;
	uv_timer_t t;
	stopper st = { NULL, 0 };

	uv_loop_init(&loop);
	cr_assert(eq(int, ikeio_signals_new(&loop, on_stop, &st, &st.s), IKE_OK));
	uv_timer_init(&loop, &t);
	uv_timer_start(&t, on_raise, 10, 0);
	uv_unref((uv_handle_t *)&t);
	uv_run(&loop, UV_RUN_DEFAULT); /* returns only once the signal handles are closed */
	cr_assert(eq(int, st.signum, SIGTERM));
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert(eq(int, uv_loop_close(&loop), 0));
}
