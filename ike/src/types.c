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

/* Appends hex of data to buf at *o (len bytes, room for the NUL kept). */
static void put_hex(char *buf, size_t len, size_t *o, const uint8_t *data, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n && *o + 2 < len; i++) {
		buf[(*o)++] = hex[data[i] >> 4];
		buf[(*o)++] = hex[data[i] & 15];
	}
	buf[*o] = '\0';
}

/* Appends text bytes to buf at *o, escaping all but printable ASCII (no ctype.h). */
static void put_text(char *buf, size_t len, size_t *o, const uint8_t *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = data[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (*o + 1 >= len)
				break;
			buf[(*o)++] = (char)c;
		} else {
			if (*o + 4 >= len)
				break;
			buf[(*o)++] = '\\';
			buf[(*o)++] = 'x';
			buf[*o] = '\0';
			put_hex(buf, len, o, &c, 1);
		}
	}
	buf[*o] = '\0';
}

const char *ike_id_str(const ike_id *id, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	size_t o = 0, n;

	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	if (!id || !id->type) {
		snprintf(buf, len, "(none)");
		return buf;
	}
	n = id->len < IKE_ID_MAX ? id->len : IKE_ID_MAX;
	switch (id->type) {
	case IKE_ID_KEY_ID:
		put_hex(buf, len, &o, id->data, n);
		break;
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		if (n == (id->type == IKE_ID_IPV4_ADDR ? 4u : 16u) &&
		    inet_ntop(id->type == IKE_ID_IPV4_ADDR ? AF_INET : AF_INET6, id->data, ip, sizeof ip)) {
			snprintf(buf, len, "%s", ip);
			break;
		}
		/* A wrong length: show what came. */
		snprintf(buf, len, "type %u:", id->type);
		o = strlen(buf);
		put_hex(buf, len, &o, id->data, n);
		break;
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR:
		put_text(buf, len, &o, id->data, n);
		break;
	default:
		snprintf(buf, len, "type %u:", id->type);
		o = strlen(buf);
		put_hex(buf, len, &o, id->data, n);
		break;
	}
	return buf;
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
