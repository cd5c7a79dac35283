/* SPDX-License-Identifier: MIT */
/*
 * NAT traversal (RFC 7296 2.23, RFC 3948): NAT_DETECTION_*_IP hashes, detection,
 * and floating to the NAT-T port. The hashes are SHA-1(SPIi | SPIr | IP | port)
 * with the SPIs as they appear in the message's header.
 */
#include <string.h>

#include "ike/iana.h"
#include "xchg_int.h"

static void nat_hash(uint64_t spi_i, uint64_t spi_r, const ike_addr *a, uint8_t out[20])
{
	uint8_t spis[16], port[2];
	ike_slice parts[3];

	ike_put_u32(spis, (uint32_t)(spi_i >> 32));
	ike_put_u32(spis + 4, (uint32_t)spi_i);
	ike_put_u32(spis + 8, (uint32_t)(spi_r >> 32));
	ike_put_u32(spis + 12, (uint32_t)spi_r);
	ike_put_u16(port, a->port);
	parts[0] = IKE_SLICE(spis, 16);
	parts[1] = IKE_SLICE(a->ip, a->family == IKE_AF_INET6 ? 16 : 4);
	parts[2] = IKE_SLICE(port, 2);
	if (ike_hash(IKE_HASH_SHA1, parts, 3, out, 20, NULL) != IKE_OK)
		memset(out, 0, 20);
}

void ike__nat_add(ike_engine *e, ike__mb *b, uint64_t spi_i, uint64_t spi_r, const ike_path *path)
{
	uint8_t h[20];

	(void)e;
	nat_hash(spi_i, spi_r, &path->local, h);
	ike__mb_notify(b, 0, IKE_NAT_DETECTION_SOURCE_IP, (ike_slice){NULL, 0}, IKE_SLICE(h, 20));
	nat_hash(spi_i, spi_r, &path->remote, h);
	ike__mb_notify(b, 0, IKE_NAT_DETECTION_DESTINATION_IP, (ike_slice){NULL, 0}, IKE_SLICE(h, 20));
}

void ike__nat_check(ike_engine *e, ike_sa *sa, const ike__msg *m, const ike_path *path)
{
	uint8_t src[20], dst[20];
	bool any_src = false, src_ok = false, dst_ok = false, any_dst = false;

	nat_hash(m->spi_i, m->spi_r, &path->remote, src);
	nat_hash(m->spi_i, m->spi_r, &path->local, dst);
	for (unsigned i = 0; i < m->n_notify; i++) {
		const ike__notify *n = &m->n[i];
		if (n->type == IKE_NAT_DETECTION_SOURCE_IP) {
			any_src = true;
			src_ok |= n->data.len == 20 && ike_crypto_eq(n->data.ptr, src, 20);
		} else if (n->type == IKE_NAT_DETECTION_DESTINATION_IP) {
			any_dst = true;
			dst_ok |= n->data.len == 20 && ike_crypto_eq(n->data.ptr, dst, 20);
		}
	}
	if (!any_src || !any_dst)
		return; /* the peer does not support NAT-T */
	sa->nat_remote = !src_ok;
	sa->nat_local = !dst_ok;
	sa->natt = true;
	if (sa->nat_local || sa->nat_remote)
		IKE_LOG(e, INFO, IKE, sa, "NAT detected:%s%s", sa->nat_local ? " in front of us" : "",
		        sa->nat_remote ? " in front of the peer" : "");
}

void ike__nat_float(ike_engine *e, ike_sa *sa)
{
	if (!sa->natt || !(sa->nat_local || sa->nat_remote || e->cfg.natt_always))
		return;
	if (sa->path.local.port == e->cfg.natt_port)
		return;
	/* A mediated IKE_SA runs on the pair the connectivity checks proved, which
	 * may be a TURN relay's port on either end: moving it to 4500 would leave
	 * that path (draft-brunner-ikev2-mediation uses the checked path as is). */
	if (sa->peer.mediated)
		return;
	sa->path.local.port = e->cfg.natt_port;
	if (sa->initiator)
		sa->path.remote.port = IKE_NATT_PORT;
	sa->floated = true;
}
