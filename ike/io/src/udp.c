/* SPDX-License-Identifier: MIT */
/* ike/io/src/udp.c - hand-opened UDP sockets driven by a uv_poll_t (see ikeio/udp.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ikeio/addr.h"
#include "ikeio/udp.h"

#define BATCH 8              /* datagrams per recvmmsg call */
#define ROUNDS 8             /* recvmmsg calls per poll event, so one socket cannot starve the loop */
#define DGRAM_MAX 65536
#define CMSG_SPACE_MAX 128
#define SEND_MAX 65000
#define NON_ESP_MARKER_LEN 4 /* RFC 3948 2.2 */

struct ikeio_udp {
	uv_poll_t poll;          /* first: close_cb gets back the struct from the handle */
	int fd;
	bool natt, closing;
	ike_addr local;
	ikeio_udp_cbs cb;
	void *user;
	ikeio_udp_stats stats;
	uint8_t *bufs;           /* BATCH * DGRAM_MAX */
};

static void on_closed(uv_handle_t *h);

static int errno_to_ike(int e)
{
	switch (e) {
	case EADDRINUSE:
		return IKE_ERR_ADDR_IN_USE;
	case ENOMEM:
	case ENOBUFS:
		return IKE_ERR_NOMEM;
	case EADDRNOTAVAIL:
		return IKE_ERR_ADDR_NOT_AVAIL; /* binding an address this host does not have */
	case EAFNOSUPPORT:
	case EINVAL:
		return IKE_ERR_INVAL;
	default:
		return IKE_ERR_IO;
	}
}

static int open_socket(const ikeio_udp_cfg *cfg, int *fdp)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int one = 1, fd, rc;
	int af = cfg->bind.family == IKE_AF_INET6 ? AF_INET6 : AF_INET;

	if (ikeio_addr_to_sockaddr(&cfg->bind, &ss, &sslen) != IKE_OK)
		return IKE_ERR_INVAL;
	fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno_to_ike(errno);
	/* Linux lets two UDP sockets with SO_REUSEADDR bind the same port (and then
	 * delivers to only one of them): set it only when sharing is wanted, so a
	 * second daemon on a busy port fails with EADDRINUSE instead. */
	if (cfg->reuseport && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
			       setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0))
		goto fail;
	if (af == AF_INET) {
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0)
			goto fail;
	} else {
		/* One socket per family: an IPv4 socket can then share the port. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) != 0)
			goto fail;
	}
	if (bind(fd, (struct sockaddr *)&ss, sslen) != 0)
		goto fail;
	*fdp = fd;
	return IKE_OK;
fail:
	rc = errno_to_ike(errno);
	close(fd);
	return rc;
}

/* Finds the destination address of a datagram in its control messages. */
static void read_pktinfo(struct msghdr *mh, ike_addr *local)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			local->family = IKE_AF_INET;
			memcpy(local->ip, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi6;

			memcpy(&pi6, CMSG_DATA(c), sizeof pi6);
			local->family = IKE_AF_INET6;
			memcpy(local->ip, &pi6.ipi6_addr, 16);
		}
	}
}

/* RFC 3948 2.2 / RFC 7296 2.23 demultiplexing of one datagram. */
static void demux(ikeio_udp *s, const ike_path *path, const uint8_t *p, size_t len)
{
	static const uint8_t marker[NON_ESP_MARKER_LEN] = { 0, 0, 0, 0 };

	if (!s->natt) {
		if (len == 0) {
			s->stats.rx_dropped++;
			return;
		}
		s->stats.rx_ike++;
		s->cb.on_ike(s->user, s, path, p, len);
		return;
	}
	if (len == 1 && p[0] == 0xff) {
		s->stats.rx_keepalive++;
		return;
	}
	if (len < NON_ESP_MARKER_LEN) {
		s->stats.rx_dropped++;
		return;
	}
	if (memcmp(p, marker, NON_ESP_MARKER_LEN) == 0) {
		if (len == NON_ESP_MARKER_LEN) {
			s->stats.rx_dropped++;
			return;
		}
		s->stats.rx_ike++;
		s->cb.on_ike(s->user, s, path, p + NON_ESP_MARKER_LEN, len - NON_ESP_MARKER_LEN);
		return;
	}
	s->stats.rx_esp++;
	if (s->cb.on_esp)
		s->cb.on_esp(s->user, s, path, p, len);
}

static void deliver(ikeio_udp *s, const ike_path *path, const uint8_t *p, size_t len)
{
	if (s->cb.claim && s->cb.claim(s->user, s, path, p, len)) {
		s->stats.rx_claimed++;
		return;
	}
	demux(s, path, p, len);
}

void ikeio_udp_inject(ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len)
{
	if (s && !s->closing)
		demux(s, path, pkt, len);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	ikeio_udp *s = (ikeio_udp *)h;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH];
	union {
		char buf[CMSG_SPACE_MAX];
		struct cmsghdr align;
	} ctl[BATCH];

	if (status < 0 || !(events & UV_READABLE))
		return;
	for (int round = 0; round < ROUNDS && !s->closing; round++) {
		int n;

		memset(msgs, 0, sizeof msgs);
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = s->bufs + (size_t)i * DGRAM_MAX;
			iov[i].iov_len = DGRAM_MAX;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof from[i];
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = ctl[i].buf;
			msgs[i].msg_hdr.msg_controllen = sizeof ctl[i].buf;
		}
		n = recvmmsg(s->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN, or an ICMP error queued on the socket: nothing to read */
		}
		for (int i = 0; i < n && !s->closing; i++) {
			ike_path path;

			memset(&path, 0, sizeof path);
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC ||
			    ikeio_addr_from_sockaddr(&path.remote, (struct sockaddr *)&from[i],
						     msgs[i].msg_hdr.msg_namelen) != IKE_OK) {
				s->stats.rx_dropped++;
				continue;
			}
			path.local = s->local;
			read_pktinfo(&msgs[i].msg_hdr, &path.local);
			path.local.port = s->local.port;
			deliver(s, &path, (const uint8_t *)iov[i].iov_base, msgs[i].msg_len);
		}
		if (n < BATCH)
			return;
	}
}

int ikeio_udp_open(uv_loop_t *loop, const ikeio_udp_cfg *cfg, const ikeio_udp_cbs *cb, void *user,
		   ikeio_udp **out)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;
	ikeio_udp *s;
	int fd = -1, rc;

	*out = NULL;
	if (!cb || !cb->on_ike || (cfg->bind.family != IKE_AF_INET && cfg->bind.family != IKE_AF_INET6))
		return IKE_ERR_INVAL;
	s = calloc(1, sizeof *s);
	if (!s)
		return IKE_ERR_NOMEM;
	s->bufs = malloc((size_t)BATCH * DGRAM_MAX);
	if (!s->bufs) {
		rc = IKE_ERR_NOMEM;
		goto fail;
	}
	rc = open_socket(cfg, &fd);
	if (rc != IKE_OK)
		goto fail;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0 ||
	    ikeio_addr_from_sockaddr(&s->local, (struct sockaddr *)&ss, sslen) != IKE_OK) {
		rc = IKE_ERR_IO;
		goto fail;
	}
	s->fd = fd;
	s->natt = cfg->natt;
	s->cb = *cb;
	s->user = user;
	if (uv_poll_init_socket(loop, &s->poll, fd) != 0) {
		rc = IKE_ERR_IO;
		goto fail;
	}
	if (uv_poll_start(&s->poll, UV_READABLE, on_readable) != 0) {
		/* The handle is initialised: libuv frees it through on_closed. */
		ikeio_udp_close(s);
		return IKE_ERR_IO;
	}
	*out = s;
	return IKE_OK;
fail:
	if (fd >= 0)
		close(fd);
	free(s->bufs);
	free(s);
	return rc;
}

static void on_closed(uv_handle_t *h)
{
	ikeio_udp *s = (ikeio_udp *)h;

	close(s->fd);
	free(s->bufs);
	free(s);
}

void ikeio_udp_close(ikeio_udp *s)
{
	if (!s || s->closing)
		return;
	s->closing = true;
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, on_closed);
}

ike_addr ikeio_udp_local(const ikeio_udp *s)
{
	return s->local;
}

bool ikeio_udp_is_natt(const ikeio_udp *s)
{
	return s->natt;
}

static int send_iov(ikeio_udp *s, const ike_path *path, struct iovec *iov, int niov, size_t total)
{
	struct sockaddr_storage to;
	socklen_t tolen;
	struct msghdr mh;
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	ssize_t w;

	if (s->closing)
		return IKE_ERR_STATE;
	if (total > SEND_MAX || path->remote.family != s->local.family ||
	    ikeio_addr_to_sockaddr(&path->remote, &to, &tolen) != IKE_OK)
		return IKE_ERR_INVAL;
	memset(&mh, 0, sizeof mh);
	memset(&ctl, 0, sizeof ctl);
	mh.msg_name = &to;
	mh.msg_namelen = tolen;
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)niov;
	if (path->local.family == s->local.family && !ikeio_addr_is_any(&path->local)) {
		struct cmsghdr *c;

		mh.msg_control = ctl.buf;
		if (s->local.family == IKE_AF_INET) {
			struct in_pktinfo pi;

			memset(&pi, 0, sizeof pi);
			memcpy(&pi.ipi_spec_dst, path->local.ip, 4);
			mh.msg_controllen = CMSG_SPACE(sizeof pi);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof pi);
			memcpy(CMSG_DATA(c), &pi, sizeof pi);
		} else {
			struct in6_pktinfo pi6;

			memset(&pi6, 0, sizeof pi6);
			memcpy(&pi6.ipi6_addr, path->local.ip, 16);
			mh.msg_controllen = CMSG_SPACE(sizeof pi6);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof pi6);
			memcpy(CMSG_DATA(c), &pi6, sizeof pi6);
		}
	}
	do
		w = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0 || (size_t)w != total) {
		s->stats.tx_errors++;
		return w < 0 && errno == EINVAL ? IKE_ERR_INVAL : IKE_ERR_IO;
	}
	s->stats.tx++;
	return IKE_OK;
}

int ikeio_udp_send_ike(ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len)
{
	static const uint8_t marker[NON_ESP_MARKER_LEN] = { 0, 0, 0, 0 };
	struct iovec iov[2] = {
		{ .iov_base = (void *)marker, .iov_len = sizeof marker },
		{ .iov_base = (void *)pkt, .iov_len = len },
	};

	if (s->natt)
		return send_iov(s, path, iov, 2, len + sizeof marker);
	return send_iov(s, path, &iov[1], 1, len);
}

int ikeio_udp_send_raw(ikeio_udp *s, const ike_path *path, const uint8_t *pkt, size_t len)
{
	struct iovec iov = { .iov_base = (void *)pkt, .iov_len = len };

	return send_iov(s, path, &iov, 1, len);
}

int ikeio_udp_send_keepalive(ikeio_udp *s, const ike_path *path)
{
	static const uint8_t ka = 0xff;

	return ikeio_udp_send_raw(s, path, &ka, 1);
}

void ikeio_udp_get_stats(const ikeio_udp *s, ikeio_udp_stats *out)
{
	*out = s->stats;
}

int ikeio_udp_pair_send(void *pair, const ike_path *path, const uint8_t *pkt, size_t len)
{
	ikeio_udp_pair *p = pair;
	ikeio_udp *s = NULL;

	if (p->natt && p->natt->local.family == path->local.family && p->natt->local.port == path->local.port)
		s = p->natt;
	else if (p->ike && p->ike->local.family == path->local.family)
		s = p->ike;
	if (!s)
		return IKE_ERR_INVAL;
	return ikeio_udp_send_ike(s, path, pkt, len);
}
