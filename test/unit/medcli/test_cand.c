/* SPDX-License-Identifier: MIT */
/* Host candidate choice (mc_pick_hosts) and the route source lookup. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "medcli/medcli.h"

static mc_ifaddr ifa(const char *name, const char *ip, bool up, bool lo)
{
	mc_ifaddr f = {name, {0}, up, lo};
	cr_assert(eq(int, ike_addr_parse(&f.addr, ip, 0), IKE_OK));
	return f;
}

Test(medcli_cand, keeps_usable_addresses_in_order_with_the_port)
{
	mc_ifaddr in[] = {
	    ifa("lo", "127.0.0.1", true, true),       ifa("eth0", "10.1.0.10", true, false),
	    ifa("eth1", "192.168.7.2", false, false), ifa("medcli0", "10.91.0.1", true, false),
	    ifa("eth0", "169.254.3.4", true, false),  ifa("eth0", "fe80::1", true, false),
	    ifa("eth2", "2001:db8::5", true, false),  ifa("eth3", "10.1.0.10", true, false),
	    ifa("eth4", "0.0.0.0", true, false),
	};
	ike_addr out[8];
	char b[IKE_ADDR_STRLEN];
	size_t n = mc_pick_hosts(in, sizeof in / sizeof in[0], "medcli0", 4500, out, 8);

	cr_assert(eq(sz, n, 2));
	cr_assert(eq(str, (char *)ike_addr_str(&out[0], b, sizeof b), "10.1.0.10:4500"));
	cr_assert(eq(u16, out[1].port, 4500));
	cr_assert(eq(u8, out[1].family, IKE_AF_INET6));
}

Test(medcli_cand, stops_at_max_and_handles_no_skip_name)
{
	mc_ifaddr in[] = {ifa("a", "10.0.0.1", true, false), ifa("b", "10.0.0.2", true, false),
	                  ifa("c", "10.0.0.3", true, false)};
	ike_addr out[2];

	cr_assert(eq(sz, mc_pick_hosts(in, 3, NULL, 1, out, 2), 2));
	cr_assert(eq(sz, mc_pick_hosts(in, 3, NULL, 1, out, 0), 0));
	cr_assert(eq(sz, mc_pick_hosts(in, 0, NULL, 1, out, 2), 0));
}

Test(medcli_cand, route_source_of_loopback_is_loopback)
{
	ike_addr dst, src;
	char b[IKE_ADDR_STRLEN];

	cr_assert(eq(int, ike_addr_parse(&dst, "127.0.0.1", 500), IKE_OK));
	cr_assert(eq(int, mc_route_source(&dst, &src), IKE_OK));
	cr_assert(eq(str, (char *)ike_addr_str(&src, b, sizeof b), "127.0.0.1:0"));
}
