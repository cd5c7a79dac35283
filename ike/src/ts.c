/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/engine.h"
#include "ts.h"

static size_t ip_len(uint8_t family)
{
	return family == IKE_AF_INET6 ? 16 : 4;
}

void ike__ts_host(ike_tsel *ts, const ike_addr *a)
{
	memset(ts, 0, sizeof *ts);
	ts->family = a->family;
	ts->port_hi = 0xffff;
	memcpy(ts->lo, a->ip, ip_len(a->family));
	memcpy(ts->hi, a->ip, ip_len(a->family));
}

bool ike__ts_is_host(const ike_tsel *ts)
{
	return memcmp(ts->lo, ts->hi, ip_len(ts->family)) == 0;
}

bool ike__ts_intersect(const ike_tsel *a, const ike_tsel *b, ike_tsel *out)
{
	size_t n = ip_len(a->family);

	if (a->family != b->family)
		return false;
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	memset(out, 0, sizeof *out);
	out->family = a->family;
	out->proto = a->proto ? a->proto : b->proto;
	out->port_lo = a->port_lo > b->port_lo ? a->port_lo : b->port_lo;
	out->port_hi = a->port_hi < b->port_hi ? a->port_hi : b->port_hi;
	if (out->port_lo > out->port_hi)
		return false;
	memcpy(out->lo, memcmp(a->lo, b->lo, n) > 0 ? a->lo : b->lo, n);
	memcpy(out->hi, memcmp(a->hi, b->hi, n) < 0 ? a->hi : b->hi, n);
	return memcmp(out->lo, out->hi, n) <= 0;
}

bool ike__ts_within(const ike_tsel *inner, const ike_tsel *outer)
{
	size_t n = ip_len(inner->family);

	return inner->family == outer->family && (!outer->proto || outer->proto == inner->proto) &&
	       inner->port_lo >= outer->port_lo && inner->port_hi <= outer->port_hi &&
	       memcmp(inner->lo, outer->lo, n) >= 0 && memcmp(inner->hi, outer->hi, n) <= 0;
}

static bool list_has(const ike_tsel_list *l, const ike_tsel *t)
{
	for (unsigned i = 0; i < l->n; i++)
		if (memcmp(&l->ts[i], t, sizeof *t) == 0)
			return true;
	return false;
}

bool ike__ts_narrow(const ike_tsel_list *proposed, const ike_tsel_list *configured, ike_tsel_list *out)
{
	memset(out, 0, sizeof *out);
	for (unsigned c = 0; c < configured->n; c++)
		for (unsigned p = 0; p < proposed->n; p++) {
			ike_tsel t;
			if (!ike__ts_intersect(&proposed->ts[p], &configured->ts[c], &t) || list_has(out, &t))
				continue;
			if (out->n < IKE_TS_MAX)
				out->ts[out->n++] = t;
		}
	return out->n > 0;
}

bool ike__ts_list_within(const ike_tsel_list *got, const ike_tsel_list *offered)
{
	if (!got->n)
		return false;
	for (unsigned i = 0; i < got->n; i++) {
		bool ok = false;
		for (unsigned j = 0; j < offered->n && !ok; j++)
			ok = ike__ts_within(&got->ts[i], &offered->ts[j]);
		if (!ok)
			return false;
	}
	return true;
}

void ike__ts_or_host(ike_tsel_list *out, const ike_tsel_list *cfg, const ike_addr *host)
{
	if (cfg->n) {
		*out = *cfg;
		return;
	}
	memset(out, 0, sizeof *out);
	out->n = 1;
	ike__ts_host(&out->ts[0], host);
}

int ike_tsel_parse(ike_tsel *ts, const char *text)
{
	char ip[64];
	const char *slash = strchr(text, '/');
	size_t iplen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long bits;
	char *end;
	ike_addr a;
	size_t n;

	if (iplen == 0 || iplen >= sizeof ip)
		return IKE_ERR_INVAL;
	memcpy(ip, text, iplen);
	ip[iplen] = 0;
	if (ike_addr_parse(&a, ip, 0))
		return IKE_ERR_INVAL;
	n = ip_len(a.family);
	bits = n * 8;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return IKE_ERR_INVAL;
		bits = strtoul(slash + 1, &end, 10);
		if (*end || bits > n * 8)
			return IKE_ERR_INVAL;
	}
	memset(ts, 0, sizeof *ts);
	ts->family = a.family;
	ts->port_hi = 0xffff;
	for (size_t i = 0; i < n; i++) {
		unsigned keep = bits >= (i + 1) * 8 ? 8 : bits > i * 8 ? (unsigned)(bits - i * 8) : 0;
		uint8_t mask = (uint8_t)(keep ? 0xff << (8 - keep) : 0);
		ts->lo[i] = a.ip[i] & mask;
		ts->hi[i] = (uint8_t)(a.ip[i] | (uint8_t)~mask);
	}
	return IKE_OK;
}
