/* SPDX-License-Identifier: MIT */
/* ike/io/src/addr.c - ike_addr <-> struct sockaddr. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "ikeio/addr.h"

int ikeio_addr_to_sockaddr(const ike_addr *a, struct sockaddr_storage *ss, socklen_t *sslen)
{
	memset(ss, 0, sizeof *ss);
	if (a->family == IKE_AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->ip, 4);
		*sslen = sizeof *sin;
		return IKE_OK;
	}
	if (a->family == IKE_AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->ip, 16);
		*sslen = sizeof *sin6;
		return IKE_OK;
	}
	*sslen = 0;
	return IKE_ERR_INVAL;
}

int ikeio_addr_from_sockaddr(ike_addr *a, const struct sockaddr *sa, socklen_t len)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		a->family = IKE_AF_INET;
		memcpy(a->ip, &sin->sin_addr, 4);
		a->port = ntohs(sin->sin_port);
		return IKE_OK;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		a->family = IKE_AF_INET6;
		memcpy(a->ip, &sin6->sin6_addr, 16);
		a->port = ntohs(sin6->sin6_port);
		return IKE_OK;
	}
	return IKE_ERR_INVAL;
}

bool ikeio_addr_is_any(const ike_addr *a)
{
	size_t n = a->family == IKE_AF_INET ? 4 : a->family == IKE_AF_INET6 ? 16 : 0;

	for (size_t i = 0; i < n; i++)
		if (a->ip[i])
			return false;
	return true;
}

bool ikeio_addr_is_private(const ike_addr *a)
{
	const uint8_t *ip = a->ip;

	if (a->family == IKE_AF_INET)
		return ip[0] == 10 || ip[0] == 127 || (ip[0] == 172 && (ip[1] & 0xf0) == 16) ||
		       (ip[0] == 192 && ip[1] == 168) || (ip[0] == 100 && (ip[1] & 0xc0) == 64) ||
		       (ip[0] == 169 && ip[1] == 254);
	if (a->family == IKE_AF_INET6) {
		static const uint8_t loop[16] = {[15] = 1};
		return (ip[0] & 0xfe) == 0xfc || (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) ||
		       memcmp(ip, loop, 16) == 0;
	}
	return false;
}
