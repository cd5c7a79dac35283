/* SPDX-License-Identifier: MIT */
/*
 * medcli/dp/dp.c - the data plane (dp.h): userspace ESP-in-UDP over a TUN device.
 *
 * Outbound: the TUN fd is polled by libuv; each wakeup drains up to BATCH packets,
 * each read straight into a buffer with room for the ESP header in front, picks
 * the CHILD_SA whose remote traffic selector holds the destination (and local the
 * source), seals in place and hands the ESP packet to the program's send callback.
 * Inbound: dp_esp_input finds the SA by SPI (the current one, or the previous one
 * for a short while after a rekey), opens in place (integrity, anti-replay),
 * checks that the inner packet belongs to the SA's selectors and writes it to TUN.
 * No allocation per packet. The XFRM backend lives in dp_xfrm.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp.h"
#include "dp_int.h"
#include "ike/esp.h"

#define DP_MAX_SAS 32
#define BATCH 64
#define HEAD 64                     /* room before the inner packet: >= IKE_ESP_MAX_HEADROOM */
#define BUF_MAX (HEAD + 65536 + 64) /* + tailroom */
#define REKEY_OVERLAP_MS 10000      /* the old inbound SA keeps accepting this long */

typedef struct dp_sa {
	bool used;
	uint32_t spi_in, spi_out;
	ike_esp_sa *in, *out;
	ike_esp_sa *old_in; /* after a rekey, until old_until */
	uint32_t old_spi_in;
	uint64_t old_until;
	ike_tsel lts, rts; /* first selector of each side */
	ike_path path;
	dp_stats st;
	uint8_t addr[16];
	unsigned addr_plen;
	bool have_addr, have_route;
	uint8_t route[16];
	unsigned route_plen;
	uint8_t family;
} dp_sa;

struct dp {
	uv_loop_t *loop;
	dp_cfg cfg;
	char ifname[IFNAMSIZ];
	int fd;
	int ifindex;
	uv_poll_t poll;
	bool polling;
	dp_send_fn send;
	void *user;
	uint32_t seq;
	bool test_fd; /* tests: a socketpair stands in for the device; no netlink */
	unsigned log_budget;
	dp_sa sas[DP_MAX_SAS];
	uint8_t buf[BUF_MAX];
};

/* dp_xfrm.c: the kernel backend. */
int dp__xfrm_add(uint32_t *seq, const ike_child_info *info, uint32_t replay_window);
void dp__xfrm_del(uint32_t *seq, const ike_path *path, uint32_t spi_in, uint32_t spi_out, const ike_tsel *lts,
                  const ike_tsel *rts);

static dp_sa *sa_by_spi(dp *d, uint32_t spi, bool *old)
{
	for (size_t i = 0; i < DP_MAX_SAS; i++) {
		dp_sa *s = &d->sas[i];
		if (!s->used)
			continue;
		if (s->spi_in == spi) {
			*old = false;
			return s;
		}
		if (s->old_in && s->old_spi_in == spi) {
			*old = true;
			return s;
		}
	}
	return NULL;
}

static dp_sa *sa_by_in(dp *d, uint32_t spi_in)
{
	for (size_t i = 0; i < DP_MAX_SAS; i++)
		if (d->sas[i].used && d->sas[i].spi_in == spi_in)
			return &d->sas[i];
	return NULL;
}

static void drop_log(dp *d, const char *what, int err)
{
	if (d->log_budget == 0)
		return;
	d->log_budget--;
	fprintf(stderr, "medcli dp: dropped %s: %s%s\n", what, ike_strerror(err),
	        d->log_budget == 0 ? " (further drops are only counted)" : "");
}

/* ---- outbound: TUN -> ESP ---- */

static dp_sa *sa_for(dp *d, uint8_t family, const uint8_t *src, const uint8_t *dst)
{
	for (size_t i = 0; i < DP_MAX_SAS; i++) {
		dp_sa *s = &d->sas[i];
		if (s->used && s->out && dp_ts_contains(&s->rts, family, dst) &&
		    dp_ts_contains(&s->lts, family, src))
			return s;
	}
	return NULL;
}

static void send_one(dp *d, uint8_t *inner, size_t len)
{
	uint8_t family;
	const uint8_t *src, *dst;
	dp_sa *s;
	size_t head, out_len;
	int rc;

	if (!dp_ip_addrs(inner, len, &family, &src, &dst))
		return;
	s = sa_for(d, family, src, dst);
	if (!s)
		return; /* not ours (e.g. IPv6 router solicitations on the device) */
	head = ike_esp_headroom(s->out);
	rc = ike_esp_seal(s->out, inner - head, BUF_MAX - (size_t)(inner - head - d->buf), len, &out_len);
	if (rc == IKE_OK)
		rc = d->send(d->user, &s->path, inner - head, out_len);
	if (rc != IKE_OK) {
		s->st.dropped_out++;
		drop_log(d, "an outbound packet", rc);
		return;
	}
	s->st.packets_out++;
	s->st.bytes_out += len;
}

static void on_tun(uv_poll_t *p, int status, int events)
{
	dp *d = p->data;

	(void)events;
	if (status < 0)
		return;
	for (int i = 0; i < BATCH; i++) {
		ssize_t n = read(d->fd, d->buf + HEAD, BUF_MAX - HEAD - 64);
		if (n <= 0)
			break;
		send_one(d, d->buf + HEAD, (size_t)n);
	}
	d->log_budget = d->log_budget < 10 ? d->log_budget + 1 : 10;
}

/* ---- inbound: ESP -> TUN ---- */

void dp_esp_input(dp *d, const ike_path *path, const uint8_t *pkt, size_t len)
{
	uint32_t spi;
	bool old = false;
	dp_sa *s;
	size_t off, inner_len;
	uint8_t nh, family;
	const uint8_t *src, *dst;
	int rc;

	(void)path;
	if (!d || len > BUF_MAX || ike_esp_read_spi(pkt, len, &spi) != IKE_OK)
		return;
	s = sa_by_spi(d, spi, &old);
	if (!s) {
		drop_log(d, "ESP for an unknown SPI", IKE_ERR_UNKNOWN_SPI);
		return;
	}
	if (old && uv_now(d->loop) > s->old_until) {
		ike_esp_sa_free(s->old_in);
		s->old_in = NULL;
		s->st.dropped_in++;
		return;
	}
	memcpy(d->buf, pkt, len);
	rc = ike_esp_open(old ? s->old_in : s->in, d->buf, len, &off, &inner_len, &nh);
	if (rc != IKE_OK) {
		s->st.dropped_in++;
		drop_log(d, "an inbound ESP packet", rc);
		return;
	}
	/* RFC 4301 5.2: the inner packet must match the SA's selectors. */
	if (!dp_ip_addrs(d->buf + off, inner_len, &family, &src, &dst) ||
	    !dp_ts_contains(&s->rts, family, src) || !dp_ts_contains(&s->lts, family, dst)) {
		s->st.dropped_in++;
		drop_log(d, "an inner packet outside the traffic selectors", IKE_ERR_AUTH);
		return;
	}
	if (d->cfg.backend == DP_BACKEND_TUN && write(d->fd, d->buf + off, inner_len) < 0) {
		s->st.dropped_in++;
		return;
	}
	s->st.packets_in++;
	s->st.bytes_in += inner_len;
}

/* ---- the device, its address and routes ---- */

static int open_tun(dp *d, const char *name)
{
	struct ifreq ifr;
	int s;

	d->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (d->fd < 0)
		return IKE_ERR_IO;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name ? name : "medcli0");
	if (ioctl(d->fd, TUNSETIFF, &ifr) < 0)
		return IKE_ERR_IO;
	snprintf(d->ifname, sizeof d->ifname, "%s", ifr.ifr_name);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return IKE_ERR_IO;
	ifr.ifr_mtu = (int)(d->cfg.mtu ? d->cfg.mtu : 1400);
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		close(s);
		return IKE_ERR_IO;
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0 || ioctl(s, SIOCGIFINDEX, &ifr) < 0) {
		close(s);
		return IKE_ERR_IO;
	}
	d->ifindex = ifr.ifr_ifindex;
	close(s);
	return IKE_OK;
}

static int nl_addr(dp *d, bool add, uint8_t family, const uint8_t *a, unsigned plen)
{
	uint8_t msg[512];
	size_t len = dp_nl_addr(msg, sizeof msg, add, ++d->seq, d->ifindex, family, a, plen);
	int rc = len ? dp_nl_talk(NETLINK_ROUTE, msg, len, d->seq) : -EINVAL;

	return rc == 0 || (add && rc == -EEXIST) || (!add && rc == -EADDRNOTAVAIL) ? IKE_OK : IKE_ERR_IO;
}

static int nl_route(dp *d, bool add, uint8_t family, const uint8_t *dst, unsigned plen, const uint8_t *src)
{
	uint8_t msg[512];
	size_t len = dp_nl_route(msg, sizeof msg, add, ++d->seq, d->ifindex, family, dst, plen, src);
	int rc = len ? dp_nl_talk(NETLINK_ROUTE, msg, len, d->seq) : -EINVAL;

	return rc == 0 || (!add && rc == -ESRCH) ? IKE_OK : IKE_ERR_IO;
}

/* Another SA still needs this address / route (two tunnels with one local address). */
static bool shared(const dp *d, const dp_sa *self, bool route)
{
	for (size_t i = 0; i < DP_MAX_SAS; i++) {
		const dp_sa *s = &d->sas[i];
		if (!s->used || s == self)
			continue;
		if (!route && s->have_addr && s->addr_plen == self->addr_plen &&
		    memcmp(s->addr, self->addr, 16) == 0)
			return true;
		if (route && s->have_route && s->route_plen == self->route_plen &&
		    memcmp(s->route, self->route, 16) == 0)
			return true;
	}
	return false;
}

static void sa_clear(dp *d, dp_sa *s)
{
	if (d->cfg.backend == DP_BACKEND_XFRM)
		dp__xfrm_del(&d->seq, &s->path, s->spi_in, s->spi_out, &s->lts, &s->rts);
	if (d->cfg.backend == DP_BACKEND_TUN && !d->test_fd) {
		if (s->have_route && !shared(d, s, true))
			(void)nl_route(d, false, s->family, s->route, s->route_plen, NULL);
		if (s->have_addr && !shared(d, s, false))
			(void)nl_addr(d, false, s->family, s->addr, s->addr_plen);
	}
	ike_esp_sa_free(s->in);
	ike_esp_sa_free(s->out);
	ike_esp_sa_free(s->old_in);
	memset(s, 0, sizeof *s);
}

static int make_sas(const ike_child_info *info, uint32_t window, ike_esp_sa **in, ike_esp_sa **out)
{
	ike_esp_cfg c;
	int rc;

	memset(&c, 0, sizeof c);
	c.encr = info->encr;
	c.integ = info->integ;
	c.esn = info->esn;
	c.replay_window = window;
	c.spi = info->spi_in;
	c.encr_key = (ike_slice){info->enc_in, info->enc_key_len};
	c.integ_key = (ike_slice){info->integ_in, info->integ_key_len};
	rc = ike_esp_sa_new(in, &c, IKE_ESP_IN, NULL);
	if (rc != IKE_OK)
		return rc;
	c.spi = info->spi_out;
	c.replay_window = 0;
	c.encr_key = (ike_slice){info->enc_out, info->enc_key_len};
	c.integ_key = (ike_slice){info->integ_out, info->integ_key_len};
	rc = ike_esp_sa_new(out, &c, IKE_ESP_OUT, NULL);
	if (rc != IKE_OK) {
		ike_esp_sa_free(*in);
		*in = NULL;
	}
	return rc;
}

int dp_child_add(dp *d, const ike_child_info *info)
{
	dp_sa *s = NULL;
	int rc;

	if (!d || !info || !info->local_ts.n || !info->remote_ts.n)
		return IKE_ERR_INVAL;
	if (sa_by_in(d, info->spi_in))
		return IKE_ERR_EXISTS;
	for (size_t i = 0; i < DP_MAX_SAS && !s; i++)
		if (!d->sas[i].used)
			s = &d->sas[i];
	if (!s)
		return IKE_ERR_LIMIT;
	memset(s, 0, sizeof *s);
	s->spi_in = info->spi_in;
	s->spi_out = info->spi_out;
	s->lts = info->local_ts.ts[0];
	s->rts = info->remote_ts.ts[0];
	s->path = info->path;
	s->family = s->rts.family;
	if (d->cfg.backend == DP_BACKEND_XFRM) {
		rc = dp__xfrm_add(&d->seq, info, d->cfg.replay_window ? d->cfg.replay_window : 128);
		if (rc != IKE_OK)
			return rc;
		s->used = true;
		return IKE_OK;
	}
	rc = make_sas(info, d->cfg.replay_window ? d->cfg.replay_window : 128, &s->in, &s->out);
	if (rc != IKE_OK)
		return rc;
	s->used = true;
	if (d->test_fd)
		return IKE_OK;
	/* Our tunnel address on the device (a single host), routes to the peer's side. */
	if (dp_ts_prefix(&s->lts, s->addr, &s->addr_plen) &&
	    s->addr_plen == (s->family == IKE_AF_INET ? 32u : 128u)) {
		if (nl_addr(d, true, s->family, s->addr, s->addr_plen) != IKE_OK) {
			sa_clear(d, s);
			return IKE_ERR_IO;
		}
		s->have_addr = true;
	}
	if (!dp_ts_prefix(&s->rts, s->route, &s->route_plen) ||
	    nl_route(d, true, s->family, s->route, s->route_plen, s->have_addr ? s->addr : NULL) != IKE_OK) {
		sa_clear(d, s);
		return IKE_ERR_IO;
	}
	s->have_route = true;
	return IKE_OK;
}

int dp_child_rekey(dp *d, uint32_t old_spi_in, const ike_child_info *info)
{
	dp_sa *s = d ? sa_by_in(d, old_spi_in) : NULL;
	ike_esp_sa *in = NULL, *out = NULL;
	int rc;

	if (!s || !info)
		return IKE_ERR_NOT_FOUND;
	if (d->cfg.backend == DP_BACKEND_XFRM) {
		rc = dp__xfrm_add(&d->seq, info, d->cfg.replay_window ? d->cfg.replay_window : 128);
		if (rc == IKE_OK)
			dp__xfrm_del(&d->seq, &s->path, s->spi_in, s->spi_out, &s->lts, &s->rts);
	} else {
		rc = make_sas(info, d->cfg.replay_window ? d->cfg.replay_window : 128, &in, &out);
	}
	if (rc != IKE_OK)
		return rc;
	ike_esp_sa_free(s->old_in);
	s->old_in = s->in;
	s->old_spi_in = s->spi_in;
	s->old_until = uv_now(d->loop) + REKEY_OVERLAP_MS;
	ike_esp_sa_free(s->out);
	s->in = in;
	s->out = out;
	s->spi_in = info->spi_in;
	s->spi_out = info->spi_out;
	s->path = info->path;
	if (info->local_ts.n && info->remote_ts.n) { /* the rekeyed SA's selectors (RFC 7296 2.9.2) */
		s->lts = info->local_ts.ts[0];
		s->rts = info->remote_ts.ts[0];
	}
	return IKE_OK;
}

int dp_child_set_path(dp *d, uint32_t spi_in, const ike_path *path)
{
	dp_sa *s = d ? sa_by_in(d, spi_in) : NULL;

	if (!s || !path)
		return IKE_ERR_NOT_FOUND;
	s->path = *path;
	return IKE_OK;
}

int dp_child_del(dp *d, uint32_t spi_in)
{
	dp_sa *s = d ? sa_by_in(d, spi_in) : NULL;

	if (!s)
		return IKE_ERR_NOT_FOUND;
	sa_clear(d, s);
	return IKE_OK;
}

int dp_child_stats(const dp *d, uint32_t spi_in, dp_stats *out)
{
	if (!d || !out)
		return IKE_ERR_INVAL;
	for (size_t i = 0; i < DP_MAX_SAS; i++)
		if (d->sas[i].used && d->sas[i].spi_in == spi_in) {
			*out = d->sas[i].st;
			return IKE_OK;
		}
	return IKE_ERR_NOT_FOUND;
}

const char *dp_ifname(const dp *d)
{
	return d && d->cfg.backend == DP_BACKEND_TUN ? d->ifname : "";
}

static int dp_open(uv_loop_t *loop, const dp_cfg *cfg, dp_send_fn send, void *user, int fd, dp **out)
{
	dp *d;
	int rc = IKE_OK;

	*out = NULL;
	if (!loop || !cfg || !send)
		return IKE_ERR_INVAL;
	d = calloc(1, sizeof *d);
	if (!d)
		return IKE_ERR_NOMEM;
	d->loop = loop;
	d->cfg = *cfg;
	d->cfg.ifname = NULL;
	d->send = send;
	d->user = user;
	d->fd = -1;
	d->log_budget = 10;
	if (cfg->backend == DP_BACKEND_TUN) {
		if (fd >= 0) {
			d->fd = fd;
			d->test_fd = true;
			snprintf(d->ifname, sizeof d->ifname, "test");
		} else {
			rc = open_tun(d, cfg->ifname);
		}
		if (rc == IKE_OK && uv_poll_init(loop, &d->poll, d->fd) == 0) {
			d->poll.data = d;
			d->polling = true;
			rc = uv_poll_start(&d->poll, UV_READABLE, on_tun) == 0 ? IKE_OK : IKE_ERR_IO;
		} else if (rc == IKE_OK) {
			rc = IKE_ERR_IO;
		}
	}
	if (rc != IKE_OK) {
		int e = errno;
		dp_free(d);
		errno = e;
		return rc;
	}
	*out = d;
	return IKE_OK;
}

int dp_new(uv_loop_t *loop, const dp_cfg *cfg, dp_send_fn send, void *user, dp **out)
{
	return dp_open(loop, cfg, send, user, -1, out);
}

/* For tests: the TUN backend on an already open descriptor (a socketpair end
 * standing in for the device); no address or route is touched. */
int dp__new_fd(uv_loop_t *loop, const dp_cfg *cfg, dp_send_fn send, void *user, int fd, dp **out);
int dp__new_fd(uv_loop_t *loop, const dp_cfg *cfg, dp_send_fn send, void *user, int fd, dp **out)
{
	return dp_open(loop, cfg, send, user, fd, out);
}

static void on_closed(uv_handle_t *h)
{
	dp *d = h->data;

	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

void dp_free(dp *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < DP_MAX_SAS; i++)
		if (d->sas[i].used)
			sa_clear(d, &d->sas[i]);
	if (d->polling) {
		uv_poll_stop(&d->poll);
		uv_close((uv_handle_t *)&d->poll, on_closed);
		return;
	}
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}
