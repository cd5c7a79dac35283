/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ike/err.h"
#include "ike/types.h"

static size_t addr_len(uint8_t family)
{
	return family == IKE_AF_INET ? 4 : family == IKE_AF_INET6 ? 16 : 0;
}

bool ike_addr_ip_eq(const ike_addr *a, const ike_addr *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, addr_len(a->family)) == 0;
}

bool ike_addr_eq(const ike_addr *a, const ike_addr *b)
{
	return ike_addr_ip_eq(a, b) && a->port == b->port;
}

bool ike_id_eq(const ike_id *a, const ike_id *b)
{
	return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

const char *ike_addr_str(const ike_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family == IKE_AF_INET) {
		inet_ntop(AF_INET, a->ip, ip, sizeof ip);
		snprintf(buf, len, "%s:%u", ip, a->port);
	} else if (a->family == IKE_AF_INET6) {
		inet_ntop(AF_INET6, a->ip, ip, sizeof ip);
		snprintf(buf, len, "[%s]:%u", ip, a->port);
	} else {
		snprintf(buf, len, "(none)");
	}
	return buf;
}

int ike_addr_parse(ike_addr *a, const char *text, uint16_t port)
{
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, text, a->ip) == 1)
		a->family = IKE_AF_INET;
	else if (inet_pton(AF_INET6, text, a->ip) == 1)
		a->family = IKE_AF_INET6;
	else
		return IKE_ERR_INVAL;
	a->port = port;
	return IKE_OK;
}
