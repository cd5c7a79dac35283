/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <string.h>

#include "tst.h"

/* Every truncation and every single-bit flip of a valid message is dropped or
 * handled without a crash, a fatal error or a leak (iked's mutation idea, run
 * deterministically). */
static void mutate_into_bob(tst_pair *px, const tst_dgram *d)
{
	ike_path p = {d->path.remote, d->path.local};
	uint8_t buf[TST_DGRAM_MAX];

	for (size_t n = 0; n < d->len; n++) {
		int rc = ike_engine_recv(px->side[BOB].e, &p, d->data, n, px->clock.now);
		cr_assert(lt(int, rc, 0), "accepted %zu of %zu bytes", n, d->len);
		cr_assert(not(ike_err_is_fatal(rc)));
	}
	for (size_t bit = 0; bit < d->len * 8; bit++) {
		int rc;
		memcpy(buf, d->data, d->len);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = ike_engine_recv(px->side[BOB].e, &p, buf, d->len, px->clock.now);
		cr_assert(not(ike_err_is_fatal(rc)), "bit %zu: %s", bit, ike_err_name(rc));
		px->link.n = 0; /* whatever bob answered */
	}
}

ENGINE_TEST(ike_msg, survives_mutated_ike_sa_init_requests)
{
	tst_dgram req;

	px->side[BOB].cfg.log_level = IKE_LOG_ERROR;
	tst_pair_initiate(px);
	cr_assert(tst_link_take(&px->link, 0, &req));
	mutate_into_bob(px, &req);
}

ENGINE_TEST(ike_msg, survives_mutated_ike_auth_requests)
{
	tst_dgram req;

	px->side[BOB].cfg.log_level = IKE_LOG_ERROR;
	tst_pair_initiate(px);
	cr_assert(eq(int, tst_pair_deliver(px), IKE_OK));
	cr_assert(eq(int, tst_pair_deliver(px), IKE_OK));
	cr_assert(tst_link_take(&px->link, 0, &req)); /* IKE_AUTH */
	mutate_into_bob(px, &req);
	/* the genuine request still works afterwards */
	tst_link_push(&px->link, ALICE, &req.path, req.data, req.len);
	tst_pair_run(px, 5000);
	cr_assert(eq(sz, tst_events_count(px, ALICE, IKE_EV_SA_UP), 1));
}

#include "ike/buf.h"
#include "xchg_int.h"

/* A proposal with more transforms than we keep: the unsupported ones (here 12
 * DH groups we do not implement) must not push out the one we do. */
Test(ike_msg, keeps_supported_transforms_of_long_proposals)
{
	uint8_t buf[512];
	ike_wr w = ike_wr_init(buf, sizeof buf);
	size_t sa_len_at, prop_start, prop_len_at;
	ike__msg m;
	unsigned n = 0;

	ike_wr_u64(&w, 0x1122334455667788ULL);
	ike_wr_u64(&w, 0);
	ike_wr_u8(&w, IKE_SA);
	ike_wr_u8(&w, IKE_VERSION_2);
	ike_wr_u8(&w, IKE_IKE_SA_INIT);
	ike_wr_u8(&w, IKE_FLAG_INITIATOR);
	ike_wr_u32(&w, 0);
	ike_wr_u32(&w, 0); /* length, patched below */
	ike_wr_u8(&w, 0);  /* SA: next payload none */
	ike_wr_u8(&w, 0);
	sa_len_at = ike_wr_mark16(&w);
	prop_start = w.len;
	ike_wr_u8(&w, 0);
	ike_wr_u8(&w, 0);
	prop_len_at = ike_wr_mark16(&w);
	ike_wr_u8(&w, 1);
	ike_wr_u8(&w, IKE_PROTO_IKE);
	ike_wr_u8(&w, 0);
	ike_wr_u8(&w, 15); /* ENCR, PRF, 12 unknown DH, x25519 */
	{
		uint8_t types[15];
		uint16_t ids[15];
		types[n] = IKE_ENCR, ids[n++] = IKE_ENCR_AES_GCM_16;
		types[n] = IKE_PRF, ids[n++] = IKE_PRF_HMAC_SHA2_256;
		for (uint16_t g = 0; g < 12; g++)
			types[n] = IKE_DH, ids[n++] = (uint16_t)(1000 + g);
		types[n] = IKE_DH, ids[n++] = IKE_CURVE25519;
		for (unsigned i = 0; i < n; i++) {
			bool gcm = types[i] == IKE_ENCR;
			ike_wr_u8(&w, i + 1 == n ? 0 : 3);
			ike_wr_u8(&w, 0);
			ike_wr_u16(&w, gcm ? 12 : 8);
			ike_wr_u8(&w, types[i]);
			ike_wr_u8(&w, 0);
			ike_wr_u16(&w, ids[i]);
			if (gcm) {
				ike_wr_u16(&w, 0x8000 | IKE_ATTR_KEY_LENGTH);
				ike_wr_u16(&w, 128);
			}
		}
	}
	cr_assert(ike_wr_patch16(&w, prop_len_at, prop_start));
	cr_assert(ike_wr_patch16(&w, sa_len_at, sa_len_at - 2));
	ike_put_u32(buf + 24, (uint32_t)w.len);
	cr_assert(not(w.bad));
	cr_assert(eq(int, ike__msg_decode(buf, w.len, &m), IKE_OK));
	cr_assert(m.has_sa);
	cr_assert(eq(u8, m.sa.props.n, 1));
	cr_assert(eq(u8, m.sa.props.p[0].n_dh, 1));
	cr_assert(eq(u16, m.sa.props.p[0].dh[0], IKE_CURVE25519));
	cr_assert(eq(u16, m.sa.props.p[0].encr_bits[0], 128));
}
