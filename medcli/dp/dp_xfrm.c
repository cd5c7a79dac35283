/* SPDX-License-Identifier: MIT */
/*
 * medcli/dp/dp_xfrm.c - the kernel data plane: the CHILD_SA's two ESP SAs and its
 * out/in/fwd tunnel policies installed over NETLINK_XFRM (messages built by
 * ike/esp_xfrm.h). Where the kernel lacks ESP (CONFIG_INET_ESP off, as on our
 * test machines) the SA is refused and the error says so.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>

#include "dp_int.h"
#include "ike/esp_xfrm.h"

int dp__xfrm_add(uint32_t *seq, const ike_child_info *info, uint32_t replay_window);
void dp__xfrm_del(uint32_t *seq, const ike_path *path, uint32_t spi_in, uint32_t spi_out, const ike_tsel *lts,
                  const ike_tsel *rts);

static int talk(uint32_t *seq, int (*build)(uint8_t *, size_t, uint32_t, const void *, size_t *),
                const void *arg)
{
	uint8_t msg[IKE_XFRM_MSG_MAX];
	size_t len;
	int rc = build(msg, sizeof msg, ++*seq, arg, &len);

	if (rc != IKE_OK)
		return rc;
	rc = dp_nl_talk(NETLINK_XFRM, msg, len, *seq);
	if (rc == 0)
		return IKE_OK;
	if (rc == -EPROTONOSUPPORT || rc == -ENOENT || rc == -ESRCH || rc == -ENOSYS) {
		fprintf(stderr,
		        "medcli dp: the kernel refused an ESP SA (%s): it has no ESP support "
		        "(CONFIG_INET_ESP); use the TUN data plane (--dataplane tun)\n",
		        strerror(-rc));
		return IKE_ERR_UNSUPPORTED;
	}
	fprintf(stderr, "medcli dp: XFRM request refused: %s\n", strerror(-rc));
	return IKE_ERR_IO;
}

static int b_newsa(uint8_t *b, size_t cap, uint32_t seq, const void *a, size_t *len)
{
	return ike_xfrm_build_newsa(b, cap, seq, a, len);
}

static int b_newpol(uint8_t *b, size_t cap, uint32_t seq, const void *a, size_t *len)
{
	return ike_xfrm_build_newpolicy(b, cap, seq, a, len);
}

static int b_delpol(uint8_t *b, size_t cap, uint32_t seq, const void *a, size_t *len)
{
	return ike_xfrm_build_delpolicy(b, cap, seq, a, len);
}

typedef struct delsa_arg {
	const ike_addr *dst;
	uint32_t spi;
} delsa_arg;

static int b_delsa(uint8_t *b, size_t cap, uint32_t seq, const void *a, size_t *len)
{
	const delsa_arg *d = a;
	return ike_xfrm_build_delsa(b, cap, seq, d->dst, d->spi, len);
}

void dp_xfrm_policy(ike_xfrm_policy *p, const ike_path *path, const ike_tsel *lts, const ike_tsel *rts,
                    ike_xfrm_dir dir, uint32_t reqid)
{
	unsigned lp = 0, rp = 0;
	uint8_t la[16] = {0}, ra[16] = {0};

	memset(p, 0, sizeof *p);
	(void)dp_ts_prefix(lts, la, &lp);
	(void)dp_ts_prefix(rts, ra, &rp);
	p->dir = dir;
	p->reqid = reqid;
	p->priority = 1000;
	/* out: local -> remote; in/fwd: remote -> local */
	p->src_net.family = p->dst_net.family = lts->family;
	memcpy(dir == IKE_XFRM_OUT ? p->src_net.ip : p->dst_net.ip, la, 16);
	memcpy(dir == IKE_XFRM_OUT ? p->dst_net.ip : p->src_net.ip, ra, 16);
	p->src_prefix = (uint8_t)(dir == IKE_XFRM_OUT ? lp : rp);
	p->dst_prefix = (uint8_t)(dir == IKE_XFRM_OUT ? rp : lp);
	p->tun_src = dir == IKE_XFRM_OUT ? path->local : path->remote;
	p->tun_dst = dir == IKE_XFRM_OUT ? path->remote : path->local;
}

int dp__xfrm_add(uint32_t *seq, const ike_child_info *info, uint32_t replay_window)
{
	ike_xfrm_sa sa;
	ike_xfrm_policy p;
	uint32_t reqid = info->spi_in;
	int rc;

	for (int dir = 0; dir < 2; dir++) {
		memset(&sa, 0, sizeof sa);
		sa.src = dir == 0 ? info->path.remote : info->path.local;
		sa.dst = dir == 0 ? info->path.local : info->path.remote;
		sa.spi = dir == 0 ? info->spi_in : info->spi_out;
		sa.reqid = reqid;
		sa.encr = info->encr;
		sa.integ = info->integ;
		sa.encr_key = (ike_slice){dir == 0 ? info->enc_in : info->enc_out, info->enc_key_len};
		sa.integ_key = (ike_slice){dir == 0 ? info->integ_in : info->integ_out, info->integ_key_len};
		sa.encap = info->encap_udp;
		sa.esn = info->esn;
		sa.replay_window = dir == 0 ? replay_window : 0;
		if ((rc = talk(seq, b_newsa, &sa)) != IKE_OK)
			goto undo;
	}
	for (int dir = IKE_XFRM_IN; dir <= IKE_XFRM_FWD; dir++) {
		dp_xfrm_policy(&p, &info->path, &info->local_ts.ts[0], &info->remote_ts.ts[0],
		               (ike_xfrm_dir)dir, reqid);
		if ((rc = talk(seq, b_newpol, &p)) != IKE_OK)
			goto undo;
	}
	return IKE_OK;
undo:
	dp__xfrm_del(seq, &info->path, info->spi_in, info->spi_out, &info->local_ts.ts[0],
	             &info->remote_ts.ts[0]);
	return rc;
}

void dp__xfrm_del(uint32_t *seq, const ike_path *path, uint32_t spi_in, uint32_t spi_out, const ike_tsel *lts,
                  const ike_tsel *rts)
{
	ike_xfrm_policy p;
	delsa_arg in = {&path->local, spi_in}, out = {&path->remote, spi_out};

	for (int dir = IKE_XFRM_IN; dir <= IKE_XFRM_FWD; dir++) {
		dp_xfrm_policy(&p, path, lts, rts, (ike_xfrm_dir)dir, spi_in);
		(void)talk(seq, b_delpol, &p);
	}
	(void)talk(seq, b_delsa, &in);
	(void)talk(seq, b_delsa, &out);
}
