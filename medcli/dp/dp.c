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
#define TRAP_REPORT_MS 1000         /* a trap reports traffic at most this often */
#define TRAP_QUEUE_BYTES 16384      /* packets a trap keeps for its tunnel, at most (bytes) */
#define TRAP_QUEUE_MS 5000          /* ... and how long: older ones are not sent */

/* What one SA or trap put on the device: its local address (a single host) and
 * the route to the peer's side. Two of them may need the same: the netlink
 * state is added by the first and removed with the last. */
typedef struct dp_rt {
	uint8_t addr[16];
	unsigned addr_plen;
	bool have_addr, have_route;
	uint8_t route[16];
	unsigned route_plen;
	uint8_t family;
} dp_rt;

typedef struct dp_sa {
	bool used;
	uint32_t spi_in, spi_out;
	ike_esp_sa *in, *out;
	ike_esp_sa *old_in; /* after a rekey, until old_until */
	uint32_t old_spi_in;
	uint64_t old_until;
	ike_tsel lts, rts; /* first selector of each side */
	ike_path path;
	uint32_t top_seq; /* highest authenticated inbound sequence number (low 32 bits) */
	bool have_top;
	dp_stats st;
	dp_rt rt;
} dp_sa;

/* On-demand: the peer's side routed into the device before its tunnel exists. */
typedef struct dp_trap {
	bool used;
	void *cookie;
	ike_tsel lts, rts;
	dp_rt rt;
	uint64_t fired_at; /* loop time of the last report (reported at most once a second) */
	uint64_t hits;
	/* the packets that wait for the tunnel: [u64 time][u16 len][packet] ... */
	uint8_t *q;
	size_t q_len;
} dp_trap;

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
	dp_trap traps[DP_MAX_SAS];
	dp_trap_fn on_trap;
	dp_path_fn on_path;
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

/* A packet no SA carries: when a trap covers it, tell the program (at most once
 * a second per trap); the packet itself is dropped, as the kernel does while an
 * IPsec acquire is pending. */
/* Keeps a copy of a trapped packet for the tunnel being set up (as the kernel's
 * acquire queue does), so the packet that asked for the tunnel is not lost. */
static void trap_keep(dp_trap *t, uint64_t now, const uint8_t *pkt, size_t len)
{
	size_t need = 8 + 2 + len;

	if (len > UINT16_MAX || t->q_len + need > TRAP_QUEUE_BYTES)
		return;
	if (!t->q && !(t->q = malloc(TRAP_QUEUE_BYTES)))
		return;
	memcpy(t->q + t->q_len, &now, 8);
	t->q[t->q_len + 8] = (uint8_t)(len >> 8);
	t->q[t->q_len + 9] = (uint8_t)len;
	memcpy(t->q + t->q_len + 10, pkt, len);
	t->q_len += need;
}

static void trap_hit(dp *d, uint8_t family, const uint8_t *src, const uint8_t *dst, const uint8_t *pkt,
                     size_t len)
{
	for (size_t i = 0; i < DP_MAX_SAS; i++) {
		dp_trap *t = &d->traps[i];
		uint64_t now;
		if (!t->used || !dp_ts_contains(&t->rts, family, dst) ||
		    !dp_ts_contains(&t->lts, family, src))
			continue;
		t->hits++;
		now = uv_now(d->loop);
		trap_keep(t, now, pkt, len);
		if (d->on_trap && (!t->fired_at || now - t->fired_at >= TRAP_REPORT_MS)) {
			t->fired_at = now ? now : 1;
			d->on_trap(d->user, t->cookie);
		}
		return;
	}
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
	if (!s) {
		trap_hit(d, family, src, dst, inner, len);
		return; /* not ours (e.g. IPv6 router solicitations on the device) */
	}
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

/* The peer moved (its NAT gave it another port, it roamed): ESP that proved
 * itself (integrity, anti-replay, selectors) and is the newest seen so far
 * comes from where the peer is now, and our ESP follows it there (RFC 7296
 * 2.23 for IKE; the same rule for ESP). A copy replayed from elsewhere is never
 * the newest, so it moves nothing. */
static void follow_peer(dp *d, dp_sa *s, const ike_path *path, const uint8_t *pkt)
{
	uint32_t seq = (uint32_t)pkt[4] << 24 | (uint32_t)pkt[5] << 16 | (uint32_t)pkt[6] << 8 | pkt[7];

	if (s->have_top && (int32_t)(seq - s->top_seq) <= 0)
		return;
	s->top_seq = seq;
	s->have_top = true;
	if (!path ||
	    (ike_addr_eq(&path->remote, &s->path.remote) && ike_addr_eq(&path->local, &s->path.local)))
		return;
	s->path = *path;
	if (d->on_path)
		d->on_path(d->user, s->spi_in, path);
}

void dp_esp_input(dp *d, const ike_path *path, const uint8_t *pkt, size_t len)
{
	uint32_t spi;
	bool old = false;
	dp_sa *s;
	size_t off, inner_len;
	uint8_t nh, family;
	const uint8_t *src, *dst;
	int rc;

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
	if (!old)
		follow_peer(d, s, path, pkt);
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

/* Another SA or trap still needs this address / route (two tunnels with one local address). */
static bool rt_shared(const dp *d, const dp_rt *self, bool route)
{
	for (size_t i = 0; i < 2 * DP_MAX_SAS; i++) {
		const dp_rt *r;
		if (i < DP_MAX_SAS) {
			if (!d->sas[i].used)
				continue;
			r = &d->sas[i].rt;
		} else {
			if (!d->traps[i - DP_MAX_SAS].used)
				continue;
			r = &d->traps[i - DP_MAX_SAS].rt;
		}
		if (r == self)
			continue;
		if (!route && r->have_addr && r->addr_plen == self->addr_plen &&
		    memcmp(r->addr, self->addr, 16) == 0)
			return true;
		if (route && r->have_route && r->route_plen == self->route_plen &&
		    memcmp(r->route, self->route, 16) == 0)
			return true;
	}
	return false;
}

/* Puts rt's address (when lts is a single host) and the route to rts on the
 * device, unless another SA or trap already did. */
static int rt_install(dp *d, dp_rt *rt, const ike_tsel *lts, const ike_tsel *rts)
{
	memset(rt, 0, sizeof *rt);
	rt->family = rts->family;
	if (d->test_fd)
		return IKE_OK;
	if (dp_ts_prefix(lts, rt->addr, &rt->addr_plen) &&
	    rt->addr_plen == (rt->family == IKE_AF_INET ? 32u : 128u)) {
		if (!rt_shared(d, rt, false) &&
		    nl_addr(d, true, rt->family, rt->addr, rt->addr_plen) != IKE_OK)
			return IKE_ERR_IO;
		rt->have_addr = true;
	}
	if (!dp_ts_prefix(rts, rt->route, &rt->route_plen))
		return IKE_ERR_IO;
	if (!rt_shared(d, rt, true) && nl_route(d, true, rt->family, rt->route, rt->route_plen,
	                                        rt->have_addr ? rt->addr : NULL) != IKE_OK)
		return IKE_ERR_IO;
	rt->have_route = true;
	return IKE_OK;
}

static void rt_remove(dp *d, dp_rt *rt)
{
	if (d->cfg.backend == DP_BACKEND_TUN && !d->test_fd) {
		if (rt->have_route && !rt_shared(d, rt, true))
			(void)nl_route(d, false, rt->family, rt->route, rt->route_plen, NULL);
		if (rt->have_addr && !rt_shared(d, rt, false))
			(void)nl_addr(d, false, rt->family, rt->addr, rt->addr_plen);
	}
	rt->have_route = rt->have_addr = false;
}

static void sa_clear(dp *d, dp_sa *s)
{
	if (d->cfg.backend == DP_BACKEND_XFRM)
		dp__xfrm_del(&d->seq, &s->path, s->spi_in, s->spi_out, &s->lts, &s->rts);
	rt_remove(d, &s->rt);
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

/* A tunnel came up: the packets the traps kept go out through it (those not
 * older than TRAP_QUEUE_MS and that an SA now carries; the others are dropped). */
static void trap_flush(dp *d)
{
	uint64_t now = uv_now(d->loop);

	for (size_t i = 0; i < DP_MAX_SAS; i++) {
		dp_trap *t = &d->traps[i];
		size_t off = 0;
		if (!t->used || !t->q_len)
			continue;
		while (off + 10 <= t->q_len) {
			uint64_t at;
			size_t len = (size_t)t->q[off + 8] << 8 | t->q[off + 9];
			uint8_t family;
			const uint8_t *src, *dst;
			memcpy(&at, t->q + off, 8);
			if (now - at <= TRAP_QUEUE_MS &&
			    dp_ip_addrs(t->q + off + 10, len, &family, &src, &dst) &&
			    sa_for(d, family, src, dst)) {
				memcpy(d->buf + HEAD, t->q + off + 10, len);
				send_one(d, d->buf + HEAD, len);
			}
			off += 10 + len;
		}
		free(t->q);
		t->q = NULL;
		t->q_len = 0;
	}
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
	/* Our tunnel address on the device (a single host), routes to the peer's side. */
	rc = rt_install(d, &s->rt, &s->lts, &s->rts);
	if (rc != IKE_OK) {
		sa_clear(d, s);
		return rc;
	}
	trap_flush(d);
	return IKE_OK;
}

void dp_set_path_cb(dp *d, dp_path_fn fn)
{
	if (d)
		d->on_path = fn;
}

void dp_set_trap_cb(dp *d, dp_trap_fn fn)
{
	if (d)
		d->on_trap = fn;
}

int dp_trap_add(dp *d, const ike_tsel *lts, const ike_tsel *rts, void *cookie)
{
	dp_trap *t = NULL;
	int rc;

	if (!d || !lts || !rts || lts->family != rts->family)
		return IKE_ERR_INVAL;
	if (d->cfg.backend != DP_BACKEND_TUN)
		return IKE_ERR_UNSUPPORTED;
	for (size_t i = 0; i < DP_MAX_SAS; i++)
		if (d->traps[i].used && d->traps[i].cookie == cookie)
			return IKE_ERR_EXISTS;
	for (size_t i = 0; i < DP_MAX_SAS && !t; i++)
		if (!d->traps[i].used)
			t = &d->traps[i];
	if (!t)
		return IKE_ERR_LIMIT;
	memset(t, 0, sizeof *t);
	t->cookie = cookie;
	t->lts = *lts;
	t->rts = *rts;
	t->used = true;
	rc = rt_install(d, &t->rt, lts, rts);
	if (rc != IKE_OK) {
		rt_remove(d, &t->rt);
		memset(t, 0, sizeof *t);
	}
	return rc;
}

bool dp_trap_del(dp *d, void *cookie)
{
	for (size_t i = 0; d && i < DP_MAX_SAS; i++) {
		dp_trap *t = &d->traps[i];
		if (t->used && t->cookie == cookie) {
			rt_remove(d, &t->rt);
			free(t->q);
			memset(t, 0, sizeof *t);
			return true;
		}
	}
	return false;
}

uint64_t dp_trap_hits(const dp *d, void *cookie)
{
	for (size_t i = 0; d && i < DP_MAX_SAS; i++)
		if (d->traps[i].used && d->traps[i].cookie == cookie)
			return d->traps[i].hits;
	return 0;
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
	for (size_t i = 0; i < DP_MAX_SAS; i++) {
		if (d->sas[i].used)
			sa_clear(d, &d->sas[i]);
		if (d->traps[i].used)
			(void)dp_trap_del(d, d->traps[i].cookie);
	}
	if (d->polling) {
		uv_poll_stop(&d->poll);
		uv_close((uv_handle_t *)&d->poll, on_closed);
		return;
	}
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}
