/* SPDX-License-Identifier: MIT */
/* XFRM netlink messages: built, then parsed back field by field. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <linux/netlink.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <netinet/in.h>

#include "esp_test.h"
#include "ike/esp_xfrm.h"

/* A parsed message: header, fixed part and attribute table (by type). */
typedef struct parsed {
	struct nlmsghdr h;
	const uint8_t *body;
	size_t body_len;
	const uint8_t *attr[XFRMA_MAX + 1];
	size_t attr_len[XFRMA_MAX + 1];
	int nattrs;
} parsed;

static void parse(const uint8_t *buf, size_t len, size_t fixed, parsed *m)
{
	size_t at;

	memset(m, 0, sizeof *m);
	cr_assert(ge(sz, len, NLMSG_HDRLEN + fixed));
	memcpy(&m->h, buf, sizeof m->h);
	cr_assert(eq(u32, m->h.nlmsg_len, len));
	cr_assert(eq(u32, m->h.nlmsg_pid, 0));
	m->body = buf + NLMSG_HDRLEN;
	m->body_len = fixed;
	at = NLMSG_HDRLEN + NLMSG_ALIGN(fixed);
	while (at < len) {
		struct nlattr a;

		cr_assert(ge(sz, len - at, NLA_HDRLEN), "attribute header at %zu", at);
		memcpy(&a, buf + at, sizeof a);
		cr_assert(ge(u16, a.nla_len, NLA_HDRLEN));
		cr_assert(le(sz, NLA_ALIGN(a.nla_len), len - at), "attribute %u overruns", a.nla_type);
		cr_assert(le(u16, a.nla_type, XFRMA_MAX));
		cr_assert(eq(ptr, (void *)m->attr[a.nla_type], NULL), "attribute %u twice", a.nla_type);
		m->attr[a.nla_type] = buf + at + NLA_HDRLEN;
		m->attr_len[a.nla_type] = a.nla_len - NLA_HDRLEN;
		m->nattrs++;
		at += NLA_ALIGN(a.nla_len);
	}
	cr_assert(eq(sz, at, len));
}

static ike_addr v4(const char *s, uint16_t port)
{
	ike_addr a;

	cr_assert(eq(int, ike_addr_parse(&a, s, port), IKE_OK));
	return a;
}

static void check_xaddr(const xfrm_address_t *x, const ike_addr *a)
{
	xfrm_address_t want;

	memset(&want, 0, sizeof want);
	memcpy(&want, a->ip, a->family == IKE_AF_INET ? 4 : 16);
	cr_assert(eq(int, memcmp(x, &want, sizeof want), 0));
}

Test(esp_xfrm, newsa_gcm_with_udp_encap_and_large_window)
{
	uint8_t buf[IKE_XFRM_MSG_MAX], key[36];
	size_t len = 0;
	parsed m;
	struct xfrm_usersa_info info;
	struct xfrm_algo_aead aead;
	struct xfrm_encap_tmpl enc;
	struct xfrm_replay_state_esn rs;
	ike_xfrm_sa sa = {.src = v4("198.51.100.10", 4500),
	                  .dst = v4("198.51.100.20", 61234),
	                  .spi = 0xc1a2b3d4,
	                  .reqid = 7,
	                  .encr = IKE_ENCR_AES_GCM_16,
	                  .encr_key = {key, 36},
	                  .encap = true,
	                  .replay_window = 1024,
	                  .soft_bytes = 1000000,
	                  .hard_packets = 5000};

	et_fill(key, sizeof key, 0x40);
	cr_assert(eq(int, ike_xfrm_build_newsa(buf, sizeof buf, 42, &sa, &len), IKE_OK));
	parse(buf, len, sizeof info, &m);
	cr_assert(eq(u16, m.h.nlmsg_type, XFRM_MSG_NEWSA));
	cr_assert(eq(u16, m.h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
	cr_assert(eq(u32, m.h.nlmsg_seq, 42));
	memcpy(&info, m.body, sizeof info);
	check_xaddr(&info.id.daddr, &sa.dst);
	check_xaddr(&info.saddr, &sa.src);
	cr_assert(eq(u32, ntohl(info.id.spi), 0xc1a2b3d4));
	cr_assert(eq(u8, info.id.proto, IPPROTO_ESP));
	cr_assert(eq(u16, info.family, AF_INET));
	cr_assert(eq(u16, info.sel.family, AF_INET));
	cr_assert(eq(u8, info.mode, XFRM_MODE_TUNNEL));
	cr_assert(eq(u32, info.reqid, 7));
	cr_assert(eq(u8, info.replay_window, 0), "the ESN attribute carries the window");
	cr_assert(eq(u8, info.flags, 0));
	cr_assert(eq(u64, info.lft.soft_byte_limit, 1000000));
	cr_assert(eq(u64, info.lft.hard_byte_limit, XFRM_INF));
	cr_assert(eq(u64, info.lft.soft_packet_limit, XFRM_INF));
	cr_assert(eq(u64, info.lft.hard_packet_limit, 5000));
	cr_assert(eq(int, m.nattrs, 3));

	cr_assert(eq(sz, m.attr_len[XFRMA_ALG_AEAD], sizeof aead + 36));
	memcpy(&aead, m.attr[XFRMA_ALG_AEAD], sizeof aead);
	cr_assert(eq(str, aead.alg_name, "rfc4106(gcm(aes))"));
	cr_assert(eq(u32, aead.alg_key_len, 288), "256-bit key + 32-bit salt");
	cr_assert(eq(u32, aead.alg_icv_len, 128));
	cr_assert(eq(int, memcmp(m.attr[XFRMA_ALG_AEAD] + sizeof aead, key, 36), 0));

	cr_assert(eq(sz, m.attr_len[XFRMA_ENCAP], sizeof enc));
	memcpy(&enc, m.attr[XFRMA_ENCAP], sizeof enc);
	cr_assert(eq(u16, enc.encap_type, UDP_ENCAP_ESPINUDP));
	cr_assert(eq(u16, ntohs(enc.encap_sport), 4500));
	cr_assert(eq(u16, ntohs(enc.encap_dport), 61234));

	cr_assert(eq(sz, m.attr_len[XFRMA_REPLAY_ESN_VAL], sizeof rs + 1024 / 8));
	memcpy(&rs, m.attr[XFRMA_REPLAY_ESN_VAL], sizeof rs);
	cr_assert(eq(u32, rs.bmp_len, 32));
	cr_assert(eq(u32, rs.replay_window, 1024));
	cr_assert(eq(u32, rs.seq, 0));
	cr_assert(eq(u32, rs.oseq, 0));
}

Test(esp_xfrm, newsa_cbc_sha256_ipv6_with_esn)
{
	uint8_t buf[IKE_XFRM_MSG_MAX], ek[32], ik[64];
	size_t len = 0;
	parsed m;
	struct xfrm_usersa_info info;
	struct xfrm_algo c;
	struct xfrm_algo_auth h;
	struct xfrm_replay_state_esn rs;
	ike_xfrm_sa sa = {.spi = 0x1000,
	                  .reqid = 1,
	                  .encr = IKE_ENCR_AES_CBC,
	                  .integ = IKE_AUTH_HMAC_SHA2_256_128,
	                  .encr_key = {ek, 32},
	                  .integ_key = {ik, 32},
	                  .esn = true,
	                  .replay_window = 64};
	static const struct {
		uint16_t integ;
		size_t key;
		const char *name;
	} macs[] = {{IKE_AUTH_HMAC_SHA2_256_128, 32, "hmac(sha256)"},
	            {IKE_AUTH_HMAC_SHA2_384_192, 48, "hmac(sha384)"},
	            {IKE_AUTH_HMAC_SHA2_512_256, 64, "hmac(sha512)"}};

	cr_assert(eq(int, ike_addr_parse(&sa.src, "2001:db8::1", 0), IKE_OK));
	cr_assert(eq(int, ike_addr_parse(&sa.dst, "2001:db8::2", 0), IKE_OK));
	et_fill(ek, sizeof ek, 1);
	et_fill(ik, sizeof ik, 100);
	for (size_t i = 0; i < 3; i++) {
		sa.integ = macs[i].integ;
		sa.integ_key.len = macs[i].key;
		cr_assert(eq(int, ike_xfrm_build_newsa(buf, sizeof buf, 9, &sa, &len), IKE_OK));
		parse(buf, len, sizeof info, &m);
		memcpy(&info, m.body, sizeof info);
		cr_assert(eq(u16, info.family, AF_INET6));
		check_xaddr(&info.id.daddr, &sa.dst);
		check_xaddr(&info.saddr, &sa.src);
		cr_assert(eq(u8, info.flags, XFRM_STATE_ESN));
		cr_assert(eq(u8, info.replay_window, 0));
		cr_assert(eq(u64, info.lft.hard_byte_limit, XFRM_INF));
		cr_assert(eq(int, m.nattrs, 3), "crypt, auth, replay; no encap");
		cr_assert(eq(ptr, (void *)m.attr[XFRMA_ENCAP], NULL));
		memcpy(&c, m.attr[XFRMA_ALG_CRYPT], sizeof c);
		cr_assert(eq(str, c.alg_name, "cbc(aes)"));
		cr_assert(eq(u32, c.alg_key_len, 256));
		cr_assert(eq(sz, m.attr_len[XFRMA_ALG_CRYPT], sizeof c + 32));
		cr_assert(eq(int, memcmp(m.attr[XFRMA_ALG_CRYPT] + sizeof c, ek, 32), 0));
		memcpy(&h, m.attr[XFRMA_ALG_AUTH_TRUNC], sizeof h);
		cr_assert(eq(str, h.alg_name, (char *)macs[i].name));
		cr_assert(eq(u32, h.alg_key_len, macs[i].key * 8));
		cr_assert(eq(u32, h.alg_trunc_len, macs[i].key * 4));
		cr_assert(eq(sz, m.attr_len[XFRMA_ALG_AUTH_TRUNC], sizeof h + macs[i].key));
		cr_assert(eq(int, memcmp(m.attr[XFRMA_ALG_AUTH_TRUNC] + sizeof h, ik, macs[i].key), 0));
		memcpy(&rs, m.attr[XFRMA_REPLAY_ESN_VAL], sizeof rs);
		cr_assert(eq(u32, rs.bmp_len, 2));
		cr_assert(eq(u32, rs.replay_window, 64));
	}
}

Test(esp_xfrm, newsa_small_window_uses_the_legacy_field_and_chacha_its_name)
{
	uint8_t buf[IKE_XFRM_MSG_MAX], key[36] = {0};
	size_t len = 0;
	parsed m;
	struct xfrm_usersa_info info;
	struct xfrm_algo_aead aead;
	ike_xfrm_sa sa = {.src = v4("10.0.0.1", 0),
	                  .dst = v4("10.0.0.2", 0),
	                  .spi = 0x2000,
	                  .encr = IKE_ENCR_CHACHA20_POLY1305,
	                  .encr_key = {key, 36},
	                  .replay_window = 32};

	cr_assert(eq(int, ike_xfrm_build_newsa(buf, sizeof buf, 1, &sa, &len), IKE_OK));
	parse(buf, len, sizeof info, &m);
	memcpy(&info, m.body, sizeof info);
	cr_assert(eq(u8, info.replay_window, 32));
	cr_assert(eq(int, m.nattrs, 1));
	memcpy(&aead, m.attr[XFRMA_ALG_AEAD], sizeof aead);
	cr_assert(eq(str, aead.alg_name, "rfc7539esp(chacha20,poly1305)"));
	cr_assert(eq(u32, aead.alg_key_len, 288));
}

Test(esp_xfrm, newsa_rejects_bad_input_and_short_buffers)
{
	uint8_t buf[IKE_XFRM_MSG_MAX], key[64] = {0};
	size_t len = 0, need = 0;
	ike_xfrm_sa sa = {.src = v4("10.0.0.1", 0),
	                  .dst = v4("10.0.0.2", 0),
	                  .spi = 0x2000,
	                  .encr = IKE_ENCR_AES_GCM_16,
	                  .encr_key = {key, 20},
	                  .replay_window = 4096},
	            bad;

	cr_assert(eq(int, ike_xfrm_build_newsa(buf, sizeof buf, 1, &sa, &need), IKE_OK));
	for (size_t cap = 0; cap < need; cap++)
		cr_assert(eq(int, ike_xfrm_build_newsa(buf, cap, 1, &sa, &len), IKE_ERR_NOBUF), "cap %zu",
		          cap);
	bad = sa;
	bad.encr_key.len = 16;
	cr_assert(eq(int, ike_xfrm_build_newsa(buf, sizeof buf, 1, &bad, &len), IKE_ERR_INVAL));
	bad = sa;
	bad.replay_window = 4097;
	cr_assert(eq(int, ike_xfrm_build_newsa(buf, sizeof buf, 1, &bad, &len), IKE_ERR_INVAL));
	bad = sa;
	cr_assert(eq(int, ike_addr_parse(&bad.dst, "2001:db8::2", 0), IKE_OK));
	cr_assert(eq(int, ike_xfrm_build_newsa(buf, sizeof buf, 1, &bad, &len), IKE_ERR_INVAL));
	bad = sa;
	bad.encr = IKE_ENCR_AES_CTR;
	cr_assert(eq(int, ike_xfrm_build_newsa(buf, sizeof buf, 1, &bad, &len), IKE_ERR_UNSUPPORTED));
	bad = sa;
	bad.encr = IKE_ENCR_AES_CBC;
	bad.encr_key.len = 16;
	bad.integ = IKE_AUTH_HMAC_SHA1_96;
	bad.integ_key = (ike_slice){key, 20};
	cr_assert(eq(int, ike_xfrm_build_newsa(buf, sizeof buf, 1, &bad, &len), IKE_ERR_UNSUPPORTED));
	bad.integ = IKE_AUTH_HMAC_SHA2_256_128;
	bad.integ_key.len = 20;
	cr_assert(eq(int, ike_xfrm_build_newsa(buf, sizeof buf, 1, &bad, &len), IKE_ERR_INVAL));
}

Test(esp_xfrm, delsa_names_destination_spi_and_protocol)
{
	uint8_t buf[256];
	size_t len = 0;
	parsed m;
	struct xfrm_usersa_id id;
	ike_addr dst = v4("198.51.100.20", 4500);

	cr_assert(eq(int, ike_xfrm_build_delsa(buf, sizeof buf, 77, &dst, 0xdeadbeef, &len), IKE_OK));
	parse(buf, len, sizeof id, &m);
	cr_assert(eq(u16, m.h.nlmsg_type, XFRM_MSG_DELSA));
	cr_assert(eq(u16, m.h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK));
	cr_assert(eq(u32, m.h.nlmsg_seq, 77));
	cr_assert(eq(int, m.nattrs, 0));
	memcpy(&id, m.body, sizeof id);
	check_xaddr(&id.daddr, &dst);
	cr_assert(eq(u32, ntohl(id.spi), 0xdeadbeef));
	cr_assert(eq(u16, id.family, AF_INET));
	cr_assert(eq(u8, id.proto, IPPROTO_ESP));
	cr_assert(eq(int, ike_xfrm_build_delsa(buf, NLMSG_HDRLEN + sizeof id - 1, 77, &dst, 1, &len),
	             IKE_ERR_NOBUF));
}

static ike_xfrm_policy policy(ike_xfrm_dir dir)
{
	return (ike_xfrm_policy){.src_net = v4("10.1.0.0", 0),
	                         .dst_net = v4("10.2.0.5", 0),
	                         .src_prefix = 16,
	                         .dst_prefix = 32,
	                         .dir = dir,
	                         .tun_src = v4("198.51.100.10", 4500),
	                         .tun_dst = v4("198.51.100.20", 4500),
	                         .reqid = 7,
	                         .priority = 2000};
}

Test(esp_xfrm, newpolicy_carries_selector_direction_and_tunnel_template)
{
	static const struct {
		ike_xfrm_dir dir;
		uint8_t kernel;
	} dirs[] = {
	    {IKE_XFRM_IN, XFRM_POLICY_IN}, {IKE_XFRM_OUT, XFRM_POLICY_OUT}, {IKE_XFRM_FWD, XFRM_POLICY_FWD}};

	for (size_t i = 0; i < 3; i++) {
		uint8_t buf[512];
		size_t len = 0;
		parsed m;
		struct xfrm_userpolicy_info info;
		struct xfrm_user_tmpl t;
		ike_xfrm_policy p = policy(dirs[i].dir);

		cr_assert(eq(int, ike_xfrm_build_newpolicy(buf, sizeof buf, 5, &p, &len), IKE_OK));
		parse(buf, len, sizeof info, &m);
		cr_assert(eq(u16, m.h.nlmsg_type, XFRM_MSG_NEWPOLICY));
		cr_assert(eq(u16, m.h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
		memcpy(&info, m.body, sizeof info);
		check_xaddr(&info.sel.saddr, &p.src_net);
		check_xaddr(&info.sel.daddr, &p.dst_net);
		cr_assert(eq(u8, info.sel.prefixlen_s, 16));
		cr_assert(eq(u8, info.sel.prefixlen_d, 32));
		cr_assert(eq(u16, info.sel.family, AF_INET));
		cr_assert(eq(u8, info.sel.proto, 0));
		cr_assert(eq(u8, info.dir, dirs[i].kernel));
		cr_assert(eq(u8, info.action, XFRM_POLICY_ALLOW));
		cr_assert(eq(u32, info.priority, 2000));
		cr_assert(eq(u64, info.lft.hard_packet_limit, XFRM_INF));
		cr_assert(eq(int, m.nattrs, 1));
		cr_assert(eq(sz, m.attr_len[XFRMA_TMPL], sizeof t));
		memcpy(&t, m.attr[XFRMA_TMPL], sizeof t);
		check_xaddr(&t.id.daddr, &p.tun_dst);
		check_xaddr(&t.saddr, &p.tun_src);
		cr_assert(eq(u32, t.id.spi, 0));
		cr_assert(eq(u8, t.id.proto, IPPROTO_ESP));
		cr_assert(eq(u16, t.family, AF_INET));
		cr_assert(eq(u32, t.reqid, 7));
		cr_assert(eq(u8, t.mode, XFRM_MODE_TUNNEL));
		cr_assert(eq(u8, t.optional, 0));
		cr_assert(eq(u32, t.ealgos, ~0u));
	}
}

Test(esp_xfrm, delpolicy_carries_selector_and_direction)
{
	uint8_t buf[512];
	size_t len = 0;
	parsed m;
	struct xfrm_userpolicy_id id;
	ike_xfrm_policy p = policy(IKE_XFRM_OUT);

	cr_assert(eq(int, ike_xfrm_build_delpolicy(buf, sizeof buf, 6, &p, &len), IKE_OK));
	parse(buf, len, sizeof id, &m);
	cr_assert(eq(u16, m.h.nlmsg_type, XFRM_MSG_DELPOLICY));
	cr_assert(eq(u16, m.h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK));
	memcpy(&id, m.body, sizeof id);
	check_xaddr(&id.sel.saddr, &p.src_net);
	check_xaddr(&id.sel.daddr, &p.dst_net);
	cr_assert(eq(u8, id.sel.prefixlen_s, 16));
	cr_assert(eq(u8, id.dir, XFRM_POLICY_OUT));
	cr_assert(eq(u32, id.index, 0));
	p.dst_prefix = 33;
	cr_assert(eq(int, ike_xfrm_build_delpolicy(buf, sizeof buf, 6, &p, &len), IKE_ERR_INVAL));
	p = policy(IKE_XFRM_OUT);
	cr_assert(eq(int, ike_addr_parse(&p.dst_net, "2001:db8::", 0), IKE_OK));
	cr_assert(eq(int, ike_xfrm_build_newpolicy(buf, sizeof buf, 6, &p, &len), IKE_ERR_INVAL));
	p = policy((ike_xfrm_dir)7);
	cr_assert(eq(int, ike_xfrm_build_newpolicy(buf, sizeof buf, 6, &p, &len), IKE_ERR_INVAL));
}
