/* SPDX-License-Identifier: MIT */
/* medcli/src/cand.c - host candidates: the addresses checks may be sent from. */
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ikeio/addr.h>

#include "medcli/medcli.h"

static bool is_link_local(const ike_addr *a)
{
	if (a->family == IKE_AF_INET)
		return a->ip[0] == 169 && a->ip[1] == 254;
	return a->ip[0] == 0xfe && (a->ip[1] & 0xc0) == 0x80;
}

size_t mc_pick_hosts(const mc_ifaddr *in, size_t n, const char *skip_if, uint16_t port, ike_addr *out,
                     size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < max; i++) {
		const mc_ifaddr *f = &in[i];
		bool dup = false;

		if (!f->up || f->loopback ||
		    (f->addr.family != IKE_AF_INET && f->addr.family != IKE_AF_INET6))
			continue;
		if (skip_if && f->ifname && strcmp(f->ifname, skip_if) == 0)
			continue;
		if (is_link_local(&f->addr) || ikeio_addr_is_any(&f->addr))
			continue;
		for (size_t j = 0; j < k; j++)
			dup = dup || ike_addr_ip_eq(&out[j], &f->addr);
		if (dup)
			continue;
		out[k] = f->addr;
		out[k].port = port;
		k++;
	}
	return k;
}

size_t mc_gather_hosts(const char *skip_if, uint16_t port, ike_addr *out, size_t max)
{
	struct ifaddrs *ifa = NULL;
	mc_ifaddr list[64];
	size_t n = 0, k;

	if (getifaddrs(&ifa) != 0)
		return 0;
	for (struct ifaddrs *p = ifa; p && n < sizeof list / sizeof list[0]; p = p->ifa_next) {
		socklen_t len;

		if (!p->ifa_addr)
			continue;
		if (p->ifa_addr->sa_family == AF_INET)
			len = sizeof(struct sockaddr_in);
		else if (p->ifa_addr->sa_family == AF_INET6)
			len = sizeof(struct sockaddr_in6);
		else
			continue;
		memset(&list[n], 0, sizeof list[n]);
		if (ikeio_addr_from_sockaddr(&list[n].addr, p->ifa_addr, len) != IKE_OK)
			continue;
		list[n].ifname = p->ifa_name;
		list[n].up = (p->ifa_flags & IFF_UP) && (p->ifa_flags & IFF_RUNNING);
		list[n].loopback = (p->ifa_flags & IFF_LOOPBACK) != 0;
		n++;
	}
	k = mc_pick_hosts(list, n, skip_if, port, out, max);
	freeifaddrs(ifa);
	return k;
}

int mc_route_source(const ike_addr *dst, ike_addr *out)
{
	struct sockaddr_storage ss, me;
	socklen_t len, mlen = sizeof me;
	int fd, rc = IKE_ERR_IO;

	if (ikeio_addr_to_sockaddr(dst, &ss, &len) != IKE_OK)
		return IKE_ERR_INVAL;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return IKE_ERR_IO;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &mlen) == 0 &&
	    ikeio_addr_from_sockaddr(out, (struct sockaddr *)&me, mlen) == IKE_OK) {
		out->port = 0;
		rc = IKE_OK;
	}
	close(fd);
	return rc;
}
