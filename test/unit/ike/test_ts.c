/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "ike/engine.h"
#include "ts.h"

static ike_tsel ts(const char *text)
{
	ike_tsel t;
	cr_assert(eq(int, ike_tsel_parse(&t, text), IKE_OK), "%s", text);
	return t;
}

Test(ike_ts, parses_prefixes)
{
	ike_tsel t = ts("10.1.2.3/16");
	uint8_t lo[4] = {10, 1, 0, 0}, hi[4] = {10, 1, 255, 255};

	cr_assert(eq(u8, t.family, IKE_AF_INET));
	cr_assert(eq(int, memcmp(t.lo, lo, 4), 0));
	cr_assert(eq(int, memcmp(t.hi, hi, 4), 0));
	cr_assert(eq(u16, t.port_hi, 65535));
	t = ts("2001:db8::/32");
	cr_assert(eq(u8, t.family, IKE_AF_INET6));
	cr_assert(eq(u8, t.hi[4], 0xff));
	cr_assert(eq(u8, t.hi[3], 0xb8));
	cr_assert(eq(int, ike_tsel_parse(&t, "10.0.0.0/33"), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_tsel_parse(&t, "10.0.0.0/"), IKE_ERR_INVAL));
	cr_assert(eq(int, ike_tsel_parse(&t, "nonsense"), IKE_ERR_INVAL));
}

Test(ike_ts, narrows_to_the_intersection)
{
	ike_tsel_list prop = {1, {ts("10.0.0.0/8")}}, cfg = {1, {ts("10.1.0.0/16")}}, out;
	ike_tsel want = ts("10.1.0.0/16");

	cr_assert(ike__ts_narrow(&prop, &cfg, &out));
	cr_assert(eq(u8, out.n, 1));
	cr_assert(eq(int, memcmp(&out.ts[0], &want, sizeof want), 0));
}

Test(ike_ts, narrows_ports_and_protocol)
{
	ike_tsel a = ts("10.0.0.0/24"), b = ts("10.0.0.0/25"), out;

	a.proto = 6;
	a.port_lo = 1000;
	a.port_hi = 2000;
	b.port_lo = 1500;
	cr_assert(ike__ts_intersect(&a, &b, &out));
	cr_assert(eq(u8, out.proto, 6));
	cr_assert(eq(u16, out.port_lo, 1500));
	cr_assert(eq(u16, out.port_hi, 2000));
	cr_assert(eq(u8, out.hi[3], 127));
	b.proto = 17;
	cr_assert(not(ike__ts_intersect(&a, &b, &out)));
}

Test(ike_ts, refuses_disjoint_selectors)
{
	ike_tsel_list prop = {1, {ts("192.168.0.0/16")}}, cfg = {1, {ts("10.0.0.0/8")}}, out;

	cr_assert(not(ike__ts_narrow(&prop, &cfg, &out)));
	prop.ts[0] = ts("2001:db8::/32");
	cr_assert(not(ike__ts_narrow(&prop, &cfg, &out)));
}

Test(ike_ts, checks_responder_result_lies_within_offer)
{
	ike_tsel_list offered = {1, {ts("10.0.0.0/8")}}, got = {2, {ts("10.1.0.0/16"), ts("10.2.0.0/16")}};

	cr_assert(ike__ts_list_within(&got, &offered));
	got.ts[1] = ts("11.0.0.0/16");
	cr_assert(not(ike__ts_list_within(&got, &offered)));
}
