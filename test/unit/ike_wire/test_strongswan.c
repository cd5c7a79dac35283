/* SPDX-License-Identifier: MIT */
/*
 * Real strongSwan bytes: an IKE_SA_INIT request and a NO_PROPOSAL_CHOSEN answer
 * captured from Debian's charon 5.9 (proposals
 * aes128gcm16-prfsha256-x25519,aes256-sha256-modp2048, mediation = yes).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <string.h>

#include "../../fuzz/wire_walk.h"

/* Reads a hex fixture next to this file ('#' lines are comments). */
static size_t load_hex(const char *name, uint8_t *out, size_t cap)
{
	char path[1024], line[256];
	const char *slash = strrchr(__FILE__, '/');
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%.*s/%s", slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".",
	         name);
	f = fopen(path, "r");
	cr_assert(not(eq(ptr, f, NULL)), "cannot open %s", path);
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#')
			continue;
		for (char *p = line; p[0] && p[1] && p[0] != '\n'; p += 2) {
			unsigned v;
			cr_assert(eq(int, sscanf(p, "%2x", &v), 1));
			cr_assert(lt(sz, n, cap));
			out[n++] = (uint8_t)v;
		}
	}
	fclose(f);
	return n;
}

static bool has_notify(const ike_msg *m, uint16_t type)
{
	for (const ike_pld *p = ike_pld_find(&m->pl, IKE_NOTIFY, NULL); p;
	     p = ike_pld_find(&m->pl, IKE_NOTIFY, p)) {
		ike_notify_pld n;
		cr_assert(eq(int, ike_notify_decode(p->body, &n, NULL), IKE_OK));
		if (n.type == type)
			return true;
	}
	return false;
}

Test(ike_wire_strongswan, decodes_charon_ike_sa_init_request)
{
	static uint8_t pkt[2048];
	static ike_sa_pld sa;
	size_t len = load_hex("strongswan_ike_sa_init_req.hex", pkt, sizeof pkt), olen;
	uint8_t out[2048];
	ike_msg m;
	ike_ke_pld ke;
	ike_slice nonce;
	const ike_pld *p;

	cr_assert(eq(sz, len, 284));
	cr_assert(eq(int, ike_wire_decode(pkt, len, &m, NULL), IKE_OK));
	cr_assert(eq(u8, m.hdr.exchange, IKE_IKE_SA_INIT));
	cr_assert(eq(u8, m.hdr.flags, IKE_FLAG_INITIATOR));
	cr_assert(eq(u64, m.hdr.spi_r, 0));
	cr_assert(eq(u32, m.hdr.mid, 0));
	cr_assert(not(m.sk.present));

	p = ike_pld_find(&m.pl, IKE_SA, NULL);
	cr_assert(not(eq(ptr, (void *)p, NULL)));
	cr_assert(eq(int, ike_sa_decode(p->body, &sa, NULL), IKE_OK));
	cr_assert(eq(u8, sa.n, 2));
	cr_assert(eq(u8, sa.prop[0].proto, IKE_PROTO_IKE));
	cr_assert(eq(u8, sa.prop[0].spi_len, 0));
	cr_assert(eq(u8, sa.prop[0].n_xf, 3));
	cr_assert(eq(u16, sa.prop[0].xf[0].id, IKE_ENCR_AES_GCM_16));
	cr_assert(eq(u16, sa.prop[0].xf[0].key_bits, 128));
	cr_assert(eq(u16, sa.prop[0].xf[1].id, IKE_PRF_HMAC_SHA2_256));
	cr_assert(eq(u16, sa.prop[0].xf[2].id, IKE_CURVE25519));
	cr_assert(eq(u8, sa.prop[1].num, 2));
	cr_assert(eq(u8, sa.prop[1].n_xf, 4));
	cr_assert(eq(u16, sa.prop[1].xf[0].id, IKE_ENCR_AES_CBC));
	cr_assert(eq(u16, sa.prop[1].xf[0].key_bits, 256));
	cr_assert(eq(u16, sa.prop[1].xf[3].id, IKE_MODP_2048));

	p = ike_pld_find(&m.pl, IKE_KE, NULL);
	cr_assert(eq(int, ike_ke_decode(p->body, &ke, NULL), IKE_OK));
	cr_assert(eq(u16, ke.group, IKE_CURVE25519));
	cr_assert(eq(sz, ke.data.len, 32));
	p = ike_pld_find(&m.pl, IKE_NONCE, NULL);
	cr_assert(eq(int, ike_nonce_decode(p->body, &nonce, NULL), IKE_OK));
	cr_assert(eq(sz, nonce.len, 32));
	cr_assert(has_notify(&m, IKE_NAT_DETECTION_SOURCE_IP));
	cr_assert(has_notify(&m, IKE_NAT_DETECTION_DESTINATION_IP));
	cr_assert(has_notify(&m, IKE_ME_MEDIATION));

	/* Byte-exact: the whole message and every payload re-encode to charon's bytes. */
	cr_assert(eq(int, ike_wire_reencode(&m, out, sizeof out, &olen), IKE_OK));
	cr_assert(eq(sz, olen, len));
	cr_assert(eq(int, memcmp(out, pkt, len), 0));
	for (unsigned i = 0; i < m.pl.n; i++) {
		ike_wr w = ike_wr_init(out, sizeof out);
		cr_assert(eq(int, ww_dec_enc(m.pl.p[i].type, 0, m.pl.p[i].body, &w), IKE_OK), "payload %u",
		          i);
		cr_assert(eq(sz, w.len, m.pl.p[i].body.len));
		cr_assert(eq(int, memcmp(out, m.pl.p[i].body.ptr, w.len), 0), "payload %u (%s)", i,
		          ike_payload_name(m.pl.p[i].type));
	}
}

Test(ike_wire_strongswan, decodes_charon_no_proposal_chosen)
{
	uint8_t pkt[256];
	size_t len = load_hex("strongswan_ike_sa_init_no_prop.hex", pkt, sizeof pkt);
	ike_msg m;
	ike_notify_pld n;

	cr_assert(eq(sz, len, 36));
	cr_assert(eq(int, ike_wire_decode(pkt, len, &m, NULL), IKE_OK));
	cr_assert(eq(u8, m.hdr.flags, IKE_FLAG_RESPONSE));
	cr_assert(eq(u32, m.pl.n, 1));
	cr_assert(eq(int, ike_notify_decode(m.pl.p[0].body, &n, NULL), IKE_OK));
	cr_assert(eq(u16, n.type, IKE_NO_PROPOSAL_CHOSEN));
	cr_assert(eq(sz, n.data.len, 0));
}

Test(ike_wire_strongswan, charon_request_survives_every_bit_flip)
{
	static uint8_t pkt[2048], f[2048];
	size_t len = load_hex("strongswan_ike_sa_init_req.hex", pkt, sizeof pkt);
	ww_stats st = {0};

	for (size_t bit = 0; bit < len * 8; bit++) {
		memcpy(f, pkt, len);
		f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert(eq(int, ww_message(f, len, &st), 0), "bit %zu", bit);
	}
	cr_assert(gt(u32, st.typed_ok, 0));
}
