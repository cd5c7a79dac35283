/* SPDX-License-Identifier: MIT */
/*
 * XFRM netlink message building. A message is a struct nlmsghdr, a fixed struct
 * (xfrm_usersa_info, xfrm_usersa_id, xfrm_userpolicy_info/_id), then attributes
 * (struct nlattr + payload, each padded to 4 bytes). Structs are assembled on the
 * stack and copied into the caller's buffer: no alignment is assumed of buf.
 */
#include <linux/netlink.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <string.h>

#include "ike/esp_xfrm.h"
#include "ike/iana.h"

#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif

typedef struct nlbuf {
	uint8_t *base;
	size_t cap, len;
	bool bad;
} nlbuf;

static size_t align4(size_t n)
{
	return (n + 3u) & ~(size_t)3u;
}

/* Appends n bytes at the current end, zero-padded to 4; returns their offset. */
static size_t put_raw(nlbuf *b, const void *p, size_t n)
{
	size_t at = b->len, padded = align4(n);

	if (b->bad || padded > b->cap - b->len) {
		b->bad = true;
		return 0;
	}
	memcpy(b->base + at, p, n);
	memset(b->base + at + n, 0, padded - n);
	b->len += padded;
	return at;
}

static void put_attr(nlbuf *b, uint16_t type, const void *p, size_t n)
{
	struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + n), .nla_type = type};

	if (n > UINT16_MAX - NLA_HDRLEN) {
		b->bad = true;
		return;
	}
	put_raw(b, &a, sizeof a);
	put_raw(b, p, n);
}

static void start(nlbuf *b, uint8_t *buf, size_t cap, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr h = {.nlmsg_type = type,
	                     .nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags),
	                     .nlmsg_seq = seq};

	*b = (nlbuf){.base = buf, .cap = buf ? cap : 0, .bad = buf == NULL};
	put_raw(b, &h, sizeof h);
}

static int finish(nlbuf *b, size_t *out_len)
{
	uint32_t len;

	if (b->bad)
		return IKE_ERR_NOBUF;
	len = (uint32_t)b->len;
	memcpy(b->base + offsetof(struct nlmsghdr, nlmsg_len), &len, sizeof len);
	*out_len = b->len;
	return IKE_OK;
}

static int family_of(const ike_addr *a, uint16_t *fam)
{
	if (a->family == IKE_AF_INET)
		*fam = AF_INET;
	else if (a->family == IKE_AF_INET6)
		*fam = AF_INET6;
	else
		return IKE_ERR_INVAL;
	return IKE_OK;
}

static void to_xaddr(xfrm_address_t *x, const ike_addr *a)
{
	memset(x, 0, sizeof *x);
	memcpy(x, a->ip, a->family == IKE_AF_INET ? 4 : 16);
}

static uint64_t limit(uint64_t v)
{
	return v ? v : XFRM_INF;
}

/* An xfrm_algo or xfrm_algo_aead / xfrm_algo_auth with its key, built in scratch. */
static int put_algs(nlbuf *b, const ike_xfrm_sa *sa)
{
	uint8_t scratch[sizeof(struct xfrm_algo_auth) + 64];

	if (sa->encr == IKE_ENCR_AES_GCM_16 || sa->encr == IKE_ENCR_CHACHA20_POLY1305) {
		struct xfrm_algo_aead a;
		size_t k = sa->encr_key.len;

		if (sa->integ != 0 || sa->integ_key.len != 0)
			return IKE_ERR_INVAL;
		if (sa->encr == IKE_ENCR_AES_GCM_16 ? (k != 20 && k != 28 && k != 36) : k != 36)
			return IKE_ERR_INVAL;
		memset(&a, 0, sizeof a);
		strcpy(a.alg_name, sa->encr == IKE_ENCR_AES_GCM_16 ? "rfc4106(gcm(aes))"
		                                                   : "rfc7539esp(chacha20,poly1305)");
		a.alg_key_len = (unsigned)(k * 8); /* the kernel takes the salt as the key's tail */
		a.alg_icv_len = 128;
		memcpy(scratch, &a, sizeof a);
		memcpy(scratch + sizeof a, sa->encr_key.ptr, k);
		put_attr(b, XFRMA_ALG_AEAD, scratch, sizeof a + k);
		return IKE_OK;
	}
	if (sa->encr == IKE_ENCR_AES_CBC) {
		struct xfrm_algo c;
		struct xfrm_algo_auth h;
		size_t k = sa->encr_key.len, mk;
		const char *name;

		if (k != 16 && k != 24 && k != 32)
			return IKE_ERR_INVAL;
		switch (sa->integ) {
		case IKE_AUTH_HMAC_SHA2_256_128:
			name = "hmac(sha256)";
			mk = 32;
			break;
		case IKE_AUTH_HMAC_SHA2_384_192:
			name = "hmac(sha384)";
			mk = 48;
			break;
		case IKE_AUTH_HMAC_SHA2_512_256:
			name = "hmac(sha512)";
			mk = 64;
			break;
		case 0:
			return IKE_ERR_INVAL;
		default:
			return IKE_ERR_UNSUPPORTED;
		}
		if (sa->integ_key.len != mk)
			return IKE_ERR_INVAL;
		memset(&c, 0, sizeof c);
		strcpy(c.alg_name, "cbc(aes)");
		c.alg_key_len = (unsigned)(k * 8);
		memcpy(scratch, &c, sizeof c);
		memcpy(scratch + sizeof c, sa->encr_key.ptr, k);
		put_attr(b, XFRMA_ALG_CRYPT, scratch, sizeof c + k);
		memset(&h, 0, sizeof h);
		strcpy(h.alg_name, name);
		h.alg_key_len = (unsigned)(mk * 8);
		h.alg_trunc_len = (unsigned)(mk * 4); /* RFC 4868: half the output */
		memcpy(scratch, &h, sizeof h);
		memcpy(scratch + sizeof h, sa->integ_key.ptr, mk);
		put_attr(b, XFRMA_ALG_AUTH_TRUNC, scratch, sizeof h + mk);
		return IKE_OK;
	}
	return IKE_ERR_UNSUPPORTED;
}

int ike_xfrm_build_newsa(uint8_t *buf, size_t cap, uint32_t nl_seq, const ike_xfrm_sa *sa, size_t *out_len)
{
	struct xfrm_usersa_info info;
	uint16_t fam, fam2;
	nlbuf b;
	bool esn_attr;
	int rc;

	if (!sa || !out_len || (sa->encr_key.len && !sa->encr_key.ptr) ||
	    (sa->integ_key.len && !sa->integ_key.ptr))
		return IKE_ERR_INVAL;
	if (family_of(&sa->src, &fam) != IKE_OK || family_of(&sa->dst, &fam2) != IKE_OK || fam != fam2)
		return IKE_ERR_INVAL;
	if (sa->replay_window > 4096)
		return IKE_ERR_INVAL;
	esn_attr = sa->esn || sa->replay_window > 32;

	memset(&info, 0, sizeof info);
	info.sel.family = fam; /* tunnel mode: the SA's own selector matches anything */
	to_xaddr(&info.id.daddr, &sa->dst);
	info.id.spi = htonl(sa->spi);
	info.id.proto = IPPROTO_ESP;
	to_xaddr(&info.saddr, &sa->src);
	info.lft.soft_byte_limit = limit(sa->soft_bytes);
	info.lft.hard_byte_limit = limit(sa->hard_bytes);
	info.lft.soft_packet_limit = limit(sa->soft_packets);
	info.lft.hard_packet_limit = limit(sa->hard_packets);
	info.reqid = sa->reqid;
	info.family = fam;
	info.mode = XFRM_MODE_TUNNEL;
	/* The kernel refuses a legacy window next to XFRMA_REPLAY_ESN_VAL. */
	info.replay_window = esn_attr ? 0 : (uint8_t)sa->replay_window;
	info.flags = sa->esn ? XFRM_STATE_ESN : 0;

	start(&b, buf, cap, XFRM_MSG_NEWSA, NLM_F_CREATE | NLM_F_EXCL, nl_seq);
	put_raw(&b, &info, sizeof info);
	rc = put_algs(&b, sa);
	if (rc != IKE_OK)
		return rc;
	if (sa->encap) {
		struct xfrm_encap_tmpl e;

		memset(&e, 0, sizeof e);
		e.encap_type = UDP_ENCAP_ESPINUDP;
		e.encap_sport = htons(sa->src.port);
		e.encap_dport = htons(sa->dst.port);
		put_attr(&b, XFRMA_ENCAP, &e, sizeof e);
	}
	if (esn_attr) {
		uint8_t scratch[sizeof(struct xfrm_replay_state_esn) + 4096 / 8];
		struct xfrm_replay_state_esn r;
		uint32_t words = (sa->replay_window + 31u) / 32u;

		memset(&r, 0, sizeof r);
		r.bmp_len = words;
		r.replay_window = sa->replay_window;
		memset(scratch, 0, sizeof scratch);
		memcpy(scratch, &r, sizeof r);
		put_attr(&b, XFRMA_REPLAY_ESN_VAL, scratch, sizeof r + words * 4u);
	}
	rc = finish(&b, out_len);
	if (rc != IKE_OK && buf)
		memset(buf, 0, b.len); /* no half-written keys left behind */
	return rc;
}

int ike_xfrm_build_delsa(uint8_t *buf, size_t cap, uint32_t nl_seq, const ike_addr *dst, uint32_t spi,
                         size_t *out_len)
{
	struct xfrm_usersa_id id;
	uint16_t fam;
	nlbuf b;

	if (!dst || !out_len || family_of(dst, &fam) != IKE_OK)
		return IKE_ERR_INVAL;
	memset(&id, 0, sizeof id);
	to_xaddr(&id.daddr, dst);
	id.spi = htonl(spi);
	id.family = fam;
	id.proto = IPPROTO_ESP;
	start(&b, buf, cap, XFRM_MSG_DELSA, 0, nl_seq);
	put_raw(&b, &id, sizeof id);
	return finish(&b, out_len);
}

static int make_selector(const ike_xfrm_policy *p, struct xfrm_selector *sel, uint16_t *fam)
{
	uint16_t f2;
	unsigned max;

	if (!p || family_of(&p->src_net, fam) != IKE_OK || family_of(&p->dst_net, &f2) != IKE_OK ||
	    *fam != f2)
		return IKE_ERR_INVAL;
	max = *fam == AF_INET ? 32 : 128;
	if (p->src_prefix > max || p->dst_prefix > max)
		return IKE_ERR_INVAL;
	if (p->dir != IKE_XFRM_IN && p->dir != IKE_XFRM_OUT && p->dir != IKE_XFRM_FWD)
		return IKE_ERR_INVAL;
	memset(sel, 0, sizeof *sel);
	to_xaddr(&sel->saddr, &p->src_net);
	to_xaddr(&sel->daddr, &p->dst_net);
	sel->prefixlen_s = p->src_prefix;
	sel->prefixlen_d = p->dst_prefix;
	sel->family = *fam;
	return IKE_OK;
}

static uint8_t xdir(ike_xfrm_dir d)
{
	return d == IKE_XFRM_IN ? XFRM_POLICY_IN : d == IKE_XFRM_OUT ? XFRM_POLICY_OUT : XFRM_POLICY_FWD;
}

int ike_xfrm_build_newpolicy(uint8_t *buf, size_t cap, uint32_t nl_seq, const ike_xfrm_policy *p,
                             size_t *out_len)
{
	struct xfrm_userpolicy_info info;
	struct xfrm_user_tmpl t;
	uint16_t fam, tf, tf2;
	nlbuf b;

	if (!out_len)
		return IKE_ERR_INVAL;
	memset(&info, 0, sizeof info);
	if (make_selector(p, &info.sel, &fam) != IKE_OK)
		return IKE_ERR_INVAL;
	if (family_of(&p->tun_src, &tf) != IKE_OK || family_of(&p->tun_dst, &tf2) != IKE_OK || tf != tf2)
		return IKE_ERR_INVAL;
	info.lft.soft_byte_limit = XFRM_INF;
	info.lft.hard_byte_limit = XFRM_INF;
	info.lft.soft_packet_limit = XFRM_INF;
	info.lft.hard_packet_limit = XFRM_INF;
	info.priority = p->priority;
	info.dir = xdir(p->dir);
	info.action = XFRM_POLICY_ALLOW;
	info.share = XFRM_SHARE_ANY;

	memset(&t, 0, sizeof t);
	to_xaddr(&t.id.daddr, &p->tun_dst);
	t.id.proto = IPPROTO_ESP;
	t.family = tf;
	to_xaddr(&t.saddr, &p->tun_src);
	t.reqid = p->reqid;
	t.mode = XFRM_MODE_TUNNEL;
	t.share = XFRM_SHARE_ANY;
	t.aalgos = t.ealgos = t.calgos = ~0u;

	start(&b, buf, cap, XFRM_MSG_NEWPOLICY, NLM_F_CREATE | NLM_F_EXCL, nl_seq);
	put_raw(&b, &info, sizeof info);
	put_attr(&b, XFRMA_TMPL, &t, sizeof t);
	return finish(&b, out_len);
}

int ike_xfrm_build_delpolicy(uint8_t *buf, size_t cap, uint32_t nl_seq, const ike_xfrm_policy *p,
                             size_t *out_len)
{
	struct xfrm_userpolicy_id id;
	uint16_t fam;
	nlbuf b;

	if (!out_len)
		return IKE_ERR_INVAL;
	memset(&id, 0, sizeof id);
	if (make_selector(p, &id.sel, &fam) != IKE_OK)
		return IKE_ERR_INVAL;
	id.dir = xdir(p->dir);
	start(&b, buf, cap, XFRM_MSG_DELPOLICY, 0, nl_seq);
	put_raw(&b, &id, sizeof id);
	return finish(&b, out_len);
}
