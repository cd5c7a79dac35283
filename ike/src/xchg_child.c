/* SPDX-License-Identifier: MIT */
/*
 * CREATE_CHILD_SA (RFC 7296 1.3): rekeying a CHILD_SA (1.3.3, REKEY_SA) and the
 * IKE_SA (1.3.2).
 */
#include <string.h>

#include "ike/iana.h"
#include "ts.h"
#include "xchg.h"
#include "xchg_int.h"

int ike__child_rekey_start(ike_engine *e, ike_sa *sa, uint32_t child_spi_in, ike_ms now)
{
	(void)e;
	(void)sa;
	(void)child_spi_in;
	(void)now;
	return IKE_ERR_UNSUPPORTED;
}

int ike__child_recv_request(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now)
{
	ike__mb b;

	(void)now;
	ike__mb_begin(&b, sa, IKE_CREATE_CHILD_SA, true, m->mid, sa->keys->out);
	ike__mb_notify(&b, 0, IKE_NO_ADDITIONAL_SAS, (ike_slice){ NULL, 0 }, (ike_slice){ NULL, 0 });
	return ike__send_response(e, sa, &b);
}

int ike__child_recv_response(ike_engine *e, ike_sa *sa, const ike__msg *m, ike_ms now)
{
	(void)m;
	(void)now;
	ike__xchg_free(e, sa);
	return IKE_OK;
}
