/* SPDX-License-Identifier: MIT */
/* The data plane: traffic-selector maths, rtnetlink messages, and the packet path
 * between two data planes whose "TUN devices" are SOCK_SEQPACKET socketpairs
 * (one packet per read, like TUN) and whose ESP goes straight to the other. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp.h"
#include "dp_int.h"
#include "ike/iana.h"

int dp__new_fd(uv_loop_t *loop, const dp_cfg *cfg, dp_send_fn send, void *user, int fd, dp **out);

static ike_tsel ts(const char *t)
{
	ike_tsel s;
	cr_assert(eq(int, ike_tsel_parse(&s, t), IKE_OK));
	return s;
}

Test(dp_ts, prefix_of_cidr_selectors_and_ranges)
{
	uint8_t a[16];
	unsigned plen;
	ike_tsel s = ts("10.92.0.0/24");

	cr_assert(dp_ts_prefix(&s, a, &plen));
	cr_assert(eq(u32, plen, 24));
	cr_assert(eq(u8, a[0], 10));
	cr_assert(eq(u8, a[2], 0));
	s = ts("10.91.0.1/32");
	cr_assert(dp_ts_prefix(&s, a, &plen));
	cr_assert(eq(u32, plen, 32));
	s = ts("0.0.0.0/0");
	cr_assert(dp_ts_prefix(&s, a, &plen));
	cr_assert(eq(u32, plen, 0));
	s = ts("2001:db8::/48");
	cr_assert(dp_ts_prefix(&s, a, &plen));
	cr_assert(eq(u32, plen, 48));
	s.hi[15] = 0xfe; /* a range that is no prefix */
	cr_assert(not(dp_ts_prefix(&s, a, &plen)));
}

Test(dp_ts, contains_and_ip_header_parsing)
{
	ike_tsel s = ts("10.92.0.0/24");
	uint8_t in[4] = {10, 92, 0, 77}, out[4] = {10, 93, 0, 1};
	uint8_t pkt4[20] = {0x45}, pkt6[40] = {0x60};
	uint8_t fam;
	const uint8_t *src, *dst;

	cr_assert(dp_ts_contains(&s, IKE_AF_INET, in));
	cr_assert(not(dp_ts_contains(&s, IKE_AF_INET, out)));
	cr_assert(not(dp_ts_contains(&s, IKE_AF_INET6, in)));
	cr_assert(dp_ip_addrs(pkt4, 20, &fam, &src, &dst));
	cr_assert(eq(u8, fam, IKE_AF_INET));
	cr_assert(eq(ptr, (void *)dst, (void *)(pkt4 + 16)));
	cr_assert(not(dp_ip_addrs(pkt4, 19, &fam, &src, &dst)));
	cr_assert(dp_ip_addrs(pkt6, 40, &fam, &src, &dst));
	cr_assert(eq(u8, fam, IKE_AF_INET6));
	cr_assert(not(dp_ip_addrs(pkt6, 39, &fam, &src, &dst)));
	pkt4[0] = 0x55;
	cr_assert(not(dp_ip_addrs(pkt4, 20, &fam, &src, &dst)));
}

/* Finds attribute type in a netlink message after the family header of hlen bytes. */
static const struct rtattr *attr(const uint8_t *msg, size_t hlen, unsigned short type)
{
	const struct nlmsghdr *nlh = (const void *)msg;
	const struct rtattr *a = (const void *)(msg + NLMSG_HDRLEN + NLMSG_ALIGN(hlen));
	int len = (int)nlh->nlmsg_len - (int)(NLMSG_HDRLEN + NLMSG_ALIGN(hlen));

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == type)
			return a;
	return NULL;
}

Test(dp_nl, address_and_route_messages)
{
	uint8_t msg[512], a[4] = {10, 91, 0, 1}, net[4] = {10, 92, 0, 0};
	const struct nlmsghdr *nlh = (const void *)msg;
	const struct ifaddrmsg *ifa = (const void *)(msg + NLMSG_HDRLEN);
	const struct rtmsg *rtm = (const void *)(msg + NLMSG_HDRLEN);
	const struct rtattr *r;
	size_t len;

	len = dp_nl_addr(msg, sizeof msg, true, 7, 42, IKE_AF_INET, a, 32);
	cr_assert(gt(sz, len, 0));
	cr_assert(eq(u32, nlh->nlmsg_len, len));
	cr_assert(eq(u16, nlh->nlmsg_type, RTM_NEWADDR));
	cr_assert(eq(u16, nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE));
	cr_assert(eq(u32, nlh->nlmsg_seq, 7));
	cr_assert(eq(u8, ifa->ifa_family, AF_INET));
	cr_assert(eq(u8, ifa->ifa_prefixlen, 32));
	cr_assert(eq(u32, ifa->ifa_index, 42));
	r = attr(msg, sizeof *ifa, IFA_LOCAL);
	cr_assert(r != NULL);
	cr_assert(eq(int, memcmp(RTA_DATA(r), a, 4), 0));

	len = dp_nl_addr(msg, sizeof msg, false, 8, 42, IKE_AF_INET, a, 32);
	cr_assert(eq(u16, nlh->nlmsg_type, RTM_DELADDR));
	cr_assert(eq(u16, nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK));

	len = dp_nl_route(msg, sizeof msg, true, 9, 42, IKE_AF_INET, net, 24, a);
	cr_assert(gt(sz, len, 0));
	cr_assert(eq(u16, nlh->nlmsg_type, RTM_NEWROUTE));
	cr_assert(eq(u8, rtm->rtm_dst_len, 24));
	cr_assert(eq(u8, rtm->rtm_table, RT_TABLE_MAIN));
	cr_assert(eq(u8, rtm->rtm_scope, RT_SCOPE_LINK));
	r = attr(msg, sizeof *rtm, RTA_OIF);
	cr_assert(r != NULL);
	cr_assert(eq(u32, *(const uint32_t *)RTA_DATA(r), 42));
	r = attr(msg, sizeof *rtm, RTA_PREFSRC);
	cr_assert(r != NULL);
	cr_assert(eq(int, memcmp(RTA_DATA(r), a, 4), 0));
	r = attr(msg, sizeof *rtm, RTA_DST);
	cr_assert(eq(int, memcmp(RTA_DATA(r), net, 4), 0));
	len = dp_nl_route(msg, sizeof msg, false, 10, 42, IKE_AF_INET, net, 24, NULL);
	cr_assert(eq(u16, nlh->nlmsg_type, RTM_DELROUTE));
	cr_assert(attr(msg, sizeof *rtm, RTA_PREFSRC) == NULL);
	/* bad arguments */
	cr_assert(eq(sz, dp_nl_route(msg, sizeof msg, true, 1, 1, IKE_AF_INET, net, 33, NULL), 0));
	cr_assert(eq(sz, dp_nl_addr(msg, 16, true, 1, 1, IKE_AF_INET, a, 32), 0));
	cr_assert(eq(sz, dp_nl_addr(msg, sizeof msg, true, 1, 1, 0, a, 32), 0));
}

/* ---- two data planes back to back ---- */

typedef struct side {
	dp *d;
	int tun[2]; /* [0] the data plane's end, [1] the "kernel" end */
	struct side *peer;
	uint8_t last[2048];
	size_t last_len;
	ike_path last_path; /* where the data plane sent it */
	unsigned sent;
} side;

static const ike_path *arrive_from; /* when set: where the peer sees packets come from */

static int xsend(void *user, const ike_path *path, const uint8_t *pkt, size_t len)
{
	side *s = user;
	memcpy(s->last, pkt, len);
	s->last_len = len;
	s->last_path = *path;
	s->sent++;
	dp_esp_input(s->peer->d, arrive_from ? arrive_from : path, pkt, len);
	return 0;
}

static void child(ike_child_info *c, bool alice)
{
	memset(c, 0, sizeof *c);
	c->spi_in = alice ? 0x1001 : 0x2002;
	c->spi_out = alice ? 0x2002 : 0x1001;
	c->encr = IKE_ENCR_AES_GCM_16;
	c->encr_keylen = 128;
	c->enc_key_len = 20;
	memset(alice ? c->enc_in : c->enc_out, 0xA1, 20);
	memset(alice ? c->enc_out : c->enc_in, 0xB2, 20);
	c->encap_udp = true;
	c->local_ts.n = c->remote_ts.n = 1;
	c->local_ts.ts[0] = ts(alice ? "10.91.0.1/32" : "10.92.0.0/24");
	c->remote_ts.ts[0] = ts(alice ? "10.92.0.0/24" : "10.91.0.1/32");
}

static size_t ipv4(uint8_t *p, const uint8_t src[4], const uint8_t dst[4], size_t len)
{
	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	for (size_t i = 20; i < len; i++)
		p[i] = (uint8_t)i;
	return len;
}

static uv_loop_t loop;
static side A, B;

static void pair_up(void)
{
	dp_cfg cfg = {DP_BACKEND_TUN, NULL, 0, 0};
	ike_child_info ca, cb;

	cr_assert(eq(int, uv_loop_init(&loop), 0));
	memset(&A, 0, sizeof A);
	memset(&B, 0, sizeof B);
	A.peer = &B;
	B.peer = &A;
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, A.tun), 0));
	cr_assert(eq(int, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, B.tun), 0));
	cr_assert(eq(int, dp__new_fd(&loop, &cfg, xsend, &A, A.tun[0], &A.d), IKE_OK));
	cr_assert(eq(int, dp__new_fd(&loop, &cfg, xsend, &B, B.tun[0], &B.d), IKE_OK));
	child(&ca, true);
	child(&cb, false);
	cr_assert(eq(int, dp_child_add(A.d, &ca), IKE_OK));
	cr_assert(eq(int, dp_child_add(B.d, &cb), IKE_OK));
	cr_assert(eq(int, dp_child_add(A.d, &ca), IKE_ERR_EXISTS));
}

static void pair_down(void)
{
	arrive_from = NULL;
	dp_free(A.d);
	dp_free(B.d);
	uv_run(&loop, UV_RUN_NOWAIT);
	close(A.tun[1]);
	close(B.tun[1]);
	cr_assert(eq(int, uv_loop_close(&loop), 0));
}

TestSuite(dp_path, .init = pair_up, .fini = pair_down);

static const uint8_t a_ip[4] = {10, 91, 0, 1}, b_ip[4] = {10, 92, 0, 9}, x_ip[4] = {10, 93, 0, 1};

Test(dp_path, packets_cross_both_ways_and_are_counted)
{
	uint8_t p[1500], q[1600];
	size_t n = ipv4(p, a_ip, b_ip, 1400);
	dp_stats st;

	cr_assert(eq(sz, (size_t)write(A.tun[1], p, n), n));
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert(eq(u32, A.sent, 1));
	cr_assert(eq(sz, (size_t)read(B.tun[1], q, sizeof q), n));
	cr_assert(eq(int, memcmp(p, q, n), 0));
	n = ipv4(p, b_ip, a_ip, 100);
	cr_assert(eq(sz, (size_t)write(B.tun[1], p, n), n));
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert(eq(sz, (size_t)read(A.tun[1], q, sizeof q), n));
	cr_assert(eq(int, dp_child_stats(A.d, 0x1001, &st), IKE_OK));
	cr_assert(eq(u64, st.packets_out, 1));
	cr_assert(eq(u64, st.bytes_out, 1400));
	cr_assert(eq(u64, st.packets_in, 1));
	cr_assert(eq(u64, st.bytes_in, 100));
	cr_assert(eq(int, dp_child_stats(A.d, 0x9999, &st), IKE_ERR_NOT_FOUND));
}

Test(dp_path, replays_tampering_and_foreign_traffic_are_dropped)
{
	uint8_t p[200], esp[2048];
	size_t n = ipv4(p, a_ip, b_ip, 120), elen;
	dp_stats st;
	ike_path path = {0};

	/* a destination no SA covers never leaves */
	n = ipv4(p, a_ip, x_ip, 120);
	cr_assert(eq(sz, (size_t)write(A.tun[1], p, n), n));
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert(eq(u32, A.sent, 0));
	n = ipv4(p, a_ip, b_ip, 120);
	cr_assert(eq(sz, (size_t)write(A.tun[1], p, n), n));
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert(eq(u32, A.sent, 1));
	memcpy(esp, A.last, A.last_len);
	elen = A.last_len;
	cr_assert(eq(sz, (size_t)read(B.tun[1], p, sizeof p), n));
	dp_esp_input(B.d, &path, esp, elen); /* replayed */
	esp[elen - 1] ^= 1;                  /* tampered */
	dp_esp_input(B.d, &path, esp, elen);
	dp_esp_input(B.d, &path, esp, 5); /* runt */
	cr_assert(eq(int, dp_child_stats(B.d, 0x2002, &st), IKE_OK));
	cr_assert(eq(u64, st.packets_in, 1));
	cr_assert(eq(u64, st.dropped_in, 2));
}

Test(dp_path, inner_source_outside_the_selector_is_refused)
{
	uint8_t p[200];
	size_t n;
	dp_stats st;

	/* alice's local selector is 10.91.0.1/32; make bob's dp accept a packet from
	 * 10.91.0.2 by sending it from an SA whose selectors allow it: rekey alice's
	 * SA with a wider local selector (bob keeps his narrow remote one). */
	ike_child_info ca;
	child(&ca, true);
	ca.local_ts.ts[0] = ts("10.91.0.0/24");
	ca.spi_in = 0x1003;
	cr_assert(eq(int, dp_child_rekey(A.d, 0x1001, &ca), IKE_OK));
	n = ipv4(p, (const uint8_t[4]){10, 91, 0, 2}, b_ip, 60);
	cr_assert(eq(sz, (size_t)write(A.tun[1], p, n), n));
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert(eq(u32, A.sent, 1));
	cr_assert(eq(int, dp_child_stats(B.d, 0x2002, &st), IKE_OK));
	cr_assert(eq(u64, st.packets_in, 0));
	cr_assert(eq(u64, st.dropped_in, 1));
	cr_assert(eq(int, dp_child_stats(A.d, 0x1001, &st), IKE_ERR_NOT_FOUND));
	cr_assert(eq(int, dp_child_stats(A.d, 0x1003, &st), IKE_OK));
	cr_assert(eq(int, dp_child_del(A.d, 0x1003), IKE_OK));
	cr_assert(eq(int, dp_child_del(A.d, 0x1003), IKE_ERR_NOT_FOUND));
}

Test(dp_xfrm, policies_point_the_right_way_in_each_direction)
{
	ike_tsel l = ts("10.91.0.1/32"), r = ts("10.92.0.0/24");
	ike_path path;
	ike_xfrm_policy p;
	uint8_t msg[IKE_XFRM_MSG_MAX];
	size_t len;

	memset(&path, 0, sizeof path);
	cr_assert(eq(int, ike_addr_parse(&path.local, "10.1.0.10", 4500), IKE_OK));
	cr_assert(eq(int, ike_addr_parse(&path.remote, "198.51.100.22", 4500), IKE_OK));
	dp_xfrm_policy(&p, &path, &l, &r, IKE_XFRM_OUT, 7);
	cr_assert(eq(u8, p.src_prefix, 32));
	cr_assert(eq(u8, p.dst_prefix, 24));
	cr_assert(eq(u8, p.src_net.ip[1], 91));
	cr_assert(eq(u8, p.dst_net.ip[1], 92));
	cr_assert(ike_addr_ip_eq(&p.tun_src, &path.local));
	cr_assert(ike_addr_ip_eq(&p.tun_dst, &path.remote));
	cr_assert(eq(u32, p.reqid, 7));
	cr_assert(eq(int, ike_xfrm_build_newpolicy(msg, sizeof msg, 1, &p, &len), IKE_OK));
	for (int dir = IKE_XFRM_IN; dir <= IKE_XFRM_FWD; dir += 2) {
		dp_xfrm_policy(&p, &path, &l, &r, (ike_xfrm_dir)dir, 7);
		cr_assert(eq(u8, p.src_prefix, 24));
		cr_assert(eq(u8, p.dst_prefix, 32));
		cr_assert(eq(u8, p.src_net.ip[1], 92));
		cr_assert(eq(u8, p.dst_net.ip[1], 91));
		cr_assert(ike_addr_ip_eq(&p.tun_src, &path.remote));
		cr_assert(ike_addr_ip_eq(&p.tun_dst, &path.local));
		cr_assert(eq(int, ike_xfrm_build_newpolicy(msg, sizeof msg, 2, &p, &len), IKE_OK));
		cr_assert(eq(int, ike_xfrm_build_delpolicy(msg, sizeof msg, 3, &p, &len), IKE_OK));
	}
}

/* ---- on-demand traps ---- */

static void *trapped[8];
static unsigned ntrapped;

static void on_trap(void *user, void *cookie)
{
	cr_assert(user == &A, "reported to the data plane's user");
	if (ntrapped < 8)
		trapped[ntrapped] = cookie;
	ntrapped++;
}

Test(dp_path, a_trap_reports_traffic_no_sa_carries_and_yields_to_the_sa)
{
	uint8_t p[200];
	size_t n;
	int k1, k2;
	ike_tsel l4 = ts("10.91.0.1/32"), x = ts("10.93.0.0/24"), b = ts("10.92.0.0/24"),
	         v6 = ts("fd00::/64");

	ntrapped = 0;
	dp_set_trap_cb(A.d, on_trap);
	cr_assert(eq(int, dp_trap_add(A.d, &l4, &x, &k1), IKE_OK));
	cr_assert(eq(int, dp_trap_add(A.d, &l4, &x, &k1), IKE_ERR_EXISTS), "one trap per cookie");
	cr_assert(eq(int, dp_trap_add(A.d, &l4, &v6, &k2), IKE_ERR_INVAL), "families must match");
	/* traffic to the trapped side: reported once a second, dropped, counted */
	n = ipv4(p, a_ip, x_ip, 80);
	for (int i = 0; i < 3; i++)
		cr_assert(eq(sz, (size_t)write(A.tun[1], p, n), n));
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert(eq(u32, ntrapped, 1));
	cr_assert(trapped[0] == &k1);
	cr_assert(eq(u64, dp_trap_hits(A.d, &k1), 3));
	cr_assert(eq(u32, A.sent, 0), "nothing leaves without an SA");
	/* a source outside the trap's local selector is not its traffic */
	n = ipv4(p, (const uint8_t[4]){10, 91, 0, 7}, x_ip, 80);
	cr_assert(eq(sz, (size_t)write(A.tun[1], p, n), n));
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert(eq(u64, dp_trap_hits(A.d, &k1), 3));
	/* a trap on the SA's own selectors: the SA carries the traffic while it exists */
	cr_assert(eq(int, dp_trap_add(A.d, &l4, &b, &k2), IKE_OK));
	n = ipv4(p, a_ip, b_ip, 80);
	cr_assert(eq(sz, (size_t)write(A.tun[1], p, n), n));
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert(eq(u32, A.sent, 1));
	cr_assert(eq(u64, dp_trap_hits(A.d, &k2), 0));
	cr_assert(eq(int, dp_child_del(A.d, 0x1001), IKE_OK));
	cr_assert(eq(sz, (size_t)write(A.tun[1], p, n), n));
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert(eq(u32, A.sent, 1));
	cr_assert(eq(u64, dp_trap_hits(A.d, &k2), 1));
	cr_assert(eq(u32, ntrapped, 2));
	cr_assert(trapped[1] == &k2);
	/* gone traps report nothing */
	cr_assert(dp_trap_del(A.d, &k1));
	cr_assert(not(dp_trap_del(A.d, &k1)));
	cr_assert(eq(u64, dp_trap_hits(A.d, &k1), 0));
	n = ipv4(p, a_ip, x_ip, 80);
	cr_assert(eq(sz, (size_t)write(A.tun[1], p, n), n));
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert(eq(u32, ntrapped, 2));
	/* the packet that asked for the tunnel (kept by k2) goes out once it is up, once */
	{
		ike_child_info ca;
		dp_stats st;
		unsigned sent = A.sent;
		child(&ca, true);
		cr_assert(eq(int, dp_child_add(A.d, &ca), IKE_OK));
		cr_assert(eq(u32, A.sent, sent + 1), "the kept packet went out through the new SA");
		cr_assert(A.last_len > 80, "an ESP packet");
		cr_assert(eq(int, dp_child_stats(A.d, 0x1001, &st), IKE_OK));
		cr_assert(eq(u64, st.packets_out, 1));
		cr_assert(eq(u64, st.bytes_out, 80));
		cr_assert(eq(int, dp_child_del(A.d, 0x1001), IKE_OK));
		cr_assert(eq(int, dp_child_add(A.d, &ca), IKE_OK));
		cr_assert(eq(u32, A.sent, sent + 1), "sent once");
	}
}

/* ---- the peer moves: ESP follows authenticated, newest packets only ---- */

static uint32_t moved_spi;
static unsigned moved;

static void on_moved(void *user, uint32_t spi_in, const ike_path *path)
{
	(void)path;
	cr_assert(user == &B);
	moved_spi = spi_in;
	moved++;
}

static void a_to_b(const ike_path *from)
{
	uint8_t p[200];
	size_t n = ipv4(p, a_ip, b_ip, 64);

	arrive_from = from;
	cr_assert(eq(sz, (size_t)write(A.tun[1], p, n), n));
	uv_run(&loop, UV_RUN_NOWAIT);
	arrive_from = NULL;
	cr_assert(eq(sz, (size_t)read(B.tun[1], p, sizeof p), n), "delivered");
}

static bool b_sends_to(const ike_addr *want)
{
	ike_path got;
	uint8_t p[200];
	size_t n = ipv4(p, b_ip, a_ip, 64);

	cr_assert(eq(sz, (size_t)write(B.tun[1], p, n), n));
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert(eq(sz, (size_t)read(A.tun[1], p, sizeof p), n));
	got = B.last_path;
	return ike_addr_eq(&got.remote, want);
}

Test(dp_path, esp_follows_the_peer_to_a_new_port_on_authenticated_newest_packets)
{
	ike_path p2, p3;
	uint8_t old[2048];
	size_t old_len;
	dp_stats st;

	memset(&p2, 0, sizeof p2);
	(void)ike_addr_parse(&p2.remote, "198.51.100.21", 24500);
	(void)ike_addr_parse(&p2.local, "10.2.0.10", 4500);
	p3 = p2;
	p3.remote.port = 31000;
	moved = 0;
	dp_set_path_cb(B.d, on_moved);
	a_to_b(NULL); /* seq 1 on the SA's own path: nothing moves */
	cr_assert(eq(u32, moved, 0));
	a_to_b(&p2); /* seq 2 from a new port */
	cr_assert(eq(u32, moved, 1));
	cr_assert(eq(u32, moved_spi, 0x2002));
	cr_assert(b_sends_to(&p2.remote), "bob's ESP goes to the new port");
	memcpy(old, A.last, A.last_len);
	old_len = A.last_len;
	a_to_b(&p2); /* seq 3 */
	/* an old packet replayed from elsewhere is dropped and moves nothing */
	dp_esp_input(B.d, &p3, old, old_len);
	cr_assert(b_sends_to(&p2.remote));
	/* a forged one neither */
	old[old_len - 1] ^= 1;
	old[7] = 0x7f; /* a higher sequence number, but integrity fails */
	dp_esp_input(B.d, &p3, old, old_len);
	cr_assert(b_sends_to(&p2.remote));
	cr_assert(eq(u32, moved, 1));
	cr_assert(eq(int, dp_child_stats(B.d, 0x2002, &st), IKE_OK));
	cr_assert(eq(u64, st.dropped_in, 2));
	/* the next genuine packet from p3 moves it again */
	a_to_b(&p3);
	cr_assert(eq(u32, moved, 2));
	cr_assert(b_sends_to(&p3.remote));
}
