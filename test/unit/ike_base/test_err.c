/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "ike/err.h"
#include "ike/log.h"
#include "ike/types.h"

Test(ike_err, names_every_code_and_flags_fatal_ones)
{
	cr_assert(eq(str, (char *)ike_err_name(IKE_ERR_TRUNCATED), "IKE_ERR_TRUNCATED"));
	cr_assert(eq(str, (char *)ike_strerror(IKE_OK), "success"));
	cr_assert(eq(str, (char *)ike_strerror(-9999), "unknown error"));
	cr_assert(ike_err_is_fatal(IKE_ERR_NOMEM));
	cr_assert(not(ike_err_is_fatal(IKE_ERR_MALFORMED)));
}

Test(ike_types, formats_and_parses_addresses)
{
	ike_addr a;
	char buf[IKE_ADDR_STRLEN];

	cr_assert(eq(int, ike_addr_parse(&a, "198.51.100.7", 4500), IKE_OK));
	cr_assert(eq(str, (char *)ike_addr_str(&a, buf, sizeof buf), "198.51.100.7:4500"));
	cr_assert(eq(int, ike_addr_parse(&a, "2001:db8::1", 500), IKE_OK));
	cr_assert(eq(str, (char *)ike_addr_str(&a, buf, sizeof buf), "[2001:db8::1]:500"));
	cr_assert(eq(int, ike_addr_parse(&a, "300.1.1.1", 500), IKE_ERR_INVAL));
}

Test(ike_types, formats_identities_for_logs)
{
	char buf[IKE_ID_STRLEN];
	ike_id id = {.type = IKE_ID_KEY_ID, .len = 20};

	/* A KEY_ID is hex, whatever its bytes: never raw, never escaped text. */
	for (int i = 0; i < 20; i++)
		id.data[i] = (uint8_t)(i * 17);
	id.data[0] = 'A';
	cr_assert(
	    eq(str, (char *)ike_id_str(&id, buf, sizeof buf), "41112233445566778899aabbccddeeff10213243"));
	id.len = 3;
	cr_assert(eq(str, (char *)ike_id_str(&id, buf, sizeof buf), "411122"));
	cr_assert(eq(str, (char *)ike_id_str(&id, buf, 5), "4111"));
	id = (ike_id){.type = IKE_ID_FQDN, .len = 5, .data = {'a', '.', 0x00, '\\', 'z'}};
	cr_assert(eq(str, (char *)ike_id_str(&id, buf, sizeof buf), "a.\\x00\\x5cz"));
	id = (ike_id){.type = IKE_ID_IPV4_ADDR, .len = 4, .data = {198, 51, 100, 7}};
	cr_assert(eq(str, (char *)ike_id_str(&id, buf, sizeof buf), "198.51.100.7"));
	id.len = 3;
	cr_assert(eq(str, (char *)ike_id_str(&id, buf, sizeof buf), "type 1:c63364"));
	id = (ike_id){.type = IKE_ID_DER_ASN1_DN, .len = 2, .data = {0x30, 0x00}};
	cr_assert(eq(str, (char *)ike_id_str(&id, buf, sizeof buf), "type 9:3000"));
	id.type = 0;
	cr_assert(eq(str, (char *)ike_id_str(&id, buf, sizeof buf), "(none)"));
	cr_assert(eq(str, (char *)ike_id_str(NULL, buf, sizeof buf), "(none)"));
	cr_assert(eq(str, (char *)ike_strerror(IKE_ERR_ADDR_NOT_AVAIL), "address not on this host"));
}

Test(ike_log, escapes_untrusted_bytes)
{
	char out[32];
	const uint8_t in[] = { 'a', 0x00, '\\', 0xff, 'z' };

	cr_assert(eq(str, (char *)ike_escape(in, sizeof in, out, sizeof out), "a\\x00\\x5c\\xffz"));
	cr_assert(eq(str, (char *)ike_escape(in, sizeof in, out, 4), "a"));
}

#include "ike/iana.h"

Test(ike_iana, names_numbers_and_reports_unknown_ones)
{
	cr_assert(eq(str, (char *)ike_exchange_name(IKE_ME_CONNECT), "ME_CONNECT"));
	cr_assert(eq(str, (char *)ike_notify_name(40963), "ME_ENDPOINT"));
	cr_assert(eq(str, (char *)ike_transform_name(IKE_DH, 31), "CURVE25519"));
	cr_assert(eq(str, (char *)ike_transform_name(IKE_ENCR, 20), "ENCR_AES_GCM_16"));
	cr_assert(eq(str, (char *)ike_payload_name(99), "(unknown)"));
	cr_assert(eq(ptr, (void *)ike_notify_name_or_null(12345), NULL));
}
