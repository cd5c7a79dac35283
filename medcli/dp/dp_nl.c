/* SPDX-License-Identifier: MIT */
/* medcli/dp/dp_nl.c - rtnetlink requests for the TUN device's address and routes,
 * built with libmnl; traffic-selector and IP header helpers. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "dp_int.h"

static size_t alen(uint8_t family)
{
	return family == IKE_AF_INET ? 4 : family == IKE_AF_INET6 ? 16 : 0;
}

static int os_family(uint8_t family)
{
	return family == IKE_AF_INET ? AF_INET : AF_INET6;
}

bool dp_ts_prefix(const ike_tsel *ts, uint8_t addr[16], unsigned *plen)
{
	size_t n = alen(ts->family);
	unsigned bits = 0;
	bool in_host = false;

	if (!n)
		return false;
	/* lo and hi agree on a prefix, then lo has only zeros and hi only ones. */
	for (size_t i = 0; i < n; i++) {
		for (int b = 7; b >= 0; b--) {
			unsigned l = (ts->lo[i] >> b) & 1u, h = (ts->hi[i] >> b) & 1u;
			if (!in_host && l == h) {
				bits++;
				continue;
			}
			in_host = true;
			if (l != 0 || h != 1)
				return false;
		}
	}
	memcpy(addr, ts->lo, n);
	*plen = bits;
	return true;
}

bool dp_ts_contains(const ike_tsel *ts, uint8_t family, const uint8_t *ip)
{
	size_t n = alen(family);

	return n && ts->family == family && memcmp(ip, ts->lo, n) >= 0 && memcmp(ip, ts->hi, n) <= 0;
}

bool dp_ip_addrs(const uint8_t *pkt, size_t len, uint8_t *family, const uint8_t **src, const uint8_t **dst)
{
	if (len >= 20 && pkt[0] >> 4 == 4) {
		*family = IKE_AF_INET;
		*src = pkt + 12;
		*dst = pkt + 16;
		return true;
	}
	if (len >= 40 && pkt[0] >> 4 == 6) {
		*family = IKE_AF_INET6;
		*src = pkt + 8;
		*dst = pkt + 24;
		return true;
	}
	return false;
}

/* The netlink header of a request that adds (create or replace) or deletes, or
 * NULL when the arguments do not fit (family, prefix length, buffer). */
static struct nlmsghdr *request(uint8_t *buf, size_t cap, uint16_t type, bool add, uint32_t seq,
                                uint8_t family, unsigned plen)
{
	struct nlmsghdr *nlh;
	size_t n = alen(family);

	if (!n || plen > n * 8 || cap < 256)
		return NULL;
	memset(buf, 0, 256);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	nlh->nlmsg_seq = seq;
	return nlh;
}

size_t dp_nl_addr(uint8_t *buf, size_t cap, bool add, uint32_t seq, int ifindex, uint8_t family,
                  const uint8_t *addr, unsigned plen)
{
	struct nlmsghdr *nlh = request(buf, cap, add ? RTM_NEWADDR : RTM_DELADDR, add, seq, family, plen);
	struct ifaddrmsg *ifa;
	size_t n = alen(family);

	if (!nlh)
		return 0;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
	ifa->ifa_family = (uint8_t)os_family(family);
	ifa->ifa_prefixlen = (uint8_t)plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, n, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, n, addr);
	return nlh->nlmsg_len;
}

size_t dp_nl_route(uint8_t *buf, size_t cap, bool add, uint32_t seq, int ifindex, uint8_t family,
                   const uint8_t *dst, unsigned plen, const uint8_t *src)
{
	struct nlmsghdr *nlh = request(buf, cap, add ? RTM_NEWROUTE : RTM_DELROUTE, add, seq, family, plen);
	struct rtmsg *rtm;
	size_t n = alen(family);

	if (!nlh)
		return 0;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
	rtm->rtm_family = (uint8_t)os_family(family);
	rtm->rtm_dst_len = (uint8_t)plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, n, dst);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	if (src)
		mnl_attr_put(nlh, RTA_PREFSRC, n, src);
	return nlh->nlmsg_len;
}

int dp_nl_talk(int proto, const uint8_t *msg, size_t len, uint32_t seq)
{
	struct mnl_socket *nl = mnl_socket_open(proto);
	uint8_t buf[8192];
	unsigned portid;
	ssize_t r;
	int rc;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, msg, len) < 0) {
		rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	r = mnl_socket_recvfrom(nl, buf, sizeof buf);
	rc = r < 0 ? -errno : mnl_cb_run(buf, (size_t)r, seq, portid, NULL, NULL);
	if (rc == MNL_CB_ERROR)
		rc = errno ? -errno : -EIO;
	else if (rc >= 0)
		rc = 0;
	mnl_socket_close(nl);
	return rc;
}
