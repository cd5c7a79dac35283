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
	ike_path p = { d->path.remote, d->path.local };
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
