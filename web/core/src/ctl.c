/* SPDX-License-Identifier: MIT */
/* web/core/src/ctl.c - control socket client: connect, one line out, one line in. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	long long left;
	int n;

	for (;;) {
		left = deadline - mono_ms();
		if (left <= 0)
			return IKE_ERR_TIMEOUT;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return IKE_OK;
		if (n == 0)
			return IKE_ERR_TIMEOUT;
		if (errno != EINTR)
			return IKE_ERR_IO;
	}
}

int web__ctl_call(const char *path, json_t *req, json_t **reply)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	long long deadline = mono_ms() + WEB_CTL_TIMEOUT_MS;
	char *out = NULL, *in = NULL;
	size_t out_len, off = 0, in_len = 0;
	int fd = -1, rc;
	json_error_t jerr;

	*reply = NULL;
	if (strlen(path) >= sizeof sun.sun_path)
		return IKE_ERR_INVAL;
	strcpy(sun.sun_path, path);
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
	out[out_len++] = '\n'; /* replaces the NUL: sent as a length-delimited buffer */
	while (off < out_len) {
		ssize_t w;

		rc = wait_fd(fd, POLLOUT, deadline);
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
	in = malloc(WEB_CTL_REPLY_MAX);
	if (!in) {
		rc = IKE_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r;
		char *nl;

		rc = wait_fd(fd, POLLIN, deadline);
		if (rc != IKE_OK)
			goto out;
		r = recv(fd, in + in_len, WEB_CTL_REPLY_MAX - in_len, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r < 0) {
			rc = IKE_ERR_IO;
			goto out;
		}
		if (r == 0) {
			rc = in_len ? IKE_OK : IKE_ERR_IO; /* a last line without '\n' is accepted */
			if (rc != IKE_OK)
				goto out;
			break;
		}
		nl = memchr(in + in_len, '\n', (size_t)r);
		in_len += (size_t)r;
		if (nl) {
			in_len = (size_t)(nl - in);
			break;
		}
		if (in_len == WEB_CTL_REPLY_MAX) {
			rc = IKE_ERR_LIMIT;
			goto out;
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
