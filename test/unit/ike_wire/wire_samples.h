/* SPDX-License-Identifier: MIT */
/*
 * wire_samples.h - a set of valid IKEv2 messages of different exchanges, built
 * with the message builder. Used by the unit tests (truncations, bit flips) and
 * by test/fuzz/gen_wire_corpus.c, which writes them as the seed corpus of
 * fuzz_wire (test/fuzz/corpus/wire/). SK payloads are laid out but left
 * unencrypted (the plaintext sits where the ciphertext would), so the fuzzer's
 * "as if decrypted" walk reaches the inner payloads.
 */
#ifndef WIRE_SAMPLES_H
#define WIRE_SAMPLES_H
#include <string.h>

#include "ike/wire.h"

#define WS_COUNT 14

static const uint8_t ws_bytes[256] = {
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
    0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
    0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40,
    0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0,
};
#define WS(n) ((ike_slice){ws_bytes, (n)})

/* An IKE proposal (aes128gcm16/aes256gcm16-prfsha256/384-x25519/ecp256) and
 * optionally a second CBC one; or one ESP proposal with SPI. */
static inline void ws_sa_ike(ike_sa_pld *sa, bool two)
{
	memset(sa, 0, sizeof *sa);
	sa->n = two ? 2 : 1;
	sa->prop[0] = (ike_proposal){.num = 1, .proto = IKE_PROTO_IKE, .n_xf = 6};
	sa->prop[0].xf[0] = (ike_transform){.type = IKE_ENCR, .id = IKE_ENCR_AES_GCM_16, .key_bits = 128};
	sa->prop[0].xf[1] = (ike_transform){.type = IKE_ENCR, .id = IKE_ENCR_AES_GCM_16, .key_bits = 256};
	sa->prop[0].xf[2] = (ike_transform){.type = IKE_PRF, .id = IKE_PRF_HMAC_SHA2_256};
	sa->prop[0].xf[3] = (ike_transform){.type = IKE_PRF, .id = IKE_PRF_HMAC_SHA2_384};
	sa->prop[0].xf[4] = (ike_transform){.type = IKE_DH, .id = IKE_CURVE25519};
	sa->prop[0].xf[5] = (ike_transform){.type = IKE_DH, .id = IKE_ECP_256};
	if (two) {
		sa->prop[1] = (ike_proposal){.num = 2, .proto = IKE_PROTO_IKE, .n_xf = 4};
		sa->prop[1].xf[0] =
		    (ike_transform){.type = IKE_ENCR, .id = IKE_ENCR_AES_CBC, .key_bits = 256};
		sa->prop[1].xf[1] = (ike_transform){.type = IKE_PRF, .id = IKE_PRF_HMAC_SHA2_512};
		sa->prop[1].xf[2] = (ike_transform){.type = IKE_INTEG, .id = IKE_AUTH_HMAC_SHA2_512_256};
		sa->prop[1].xf[3] = (ike_transform){.type = IKE_DH, .id = IKE_MODP_2048};
	}
}

static inline void ws_sa_esp(ike_sa_pld *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->n = 1;
	sa->prop[0] = (ike_proposal){
	    .num = 1, .proto = IKE_PROTO_ESP, .spi_len = 4, .spi = {0xc1, 0x2a, 0x00, 0x07}, .n_xf = 3};
	sa->prop[0].xf[0] = (ike_transform){.type = IKE_ENCR, .id = IKE_ENCR_AES_GCM_16, .key_bits = 128};
	sa->prop[0].xf[1] = (ike_transform){.type = IKE_ESN, .id = IKE_ESN_NO};
	sa->prop[0].xf[2] = (ike_transform){.type = IKE_ESN, .id = IKE_ESN_YES};
}

static inline void ws_ts(ike_ts_pld *ts, bool v6)
{
	memset(ts, 0, sizeof *ts);
	ts->n = v6 ? 2 : 1;
	ts->ts[0] = (ike_ts){.type = IKE_TS_IPV4_ADDR_RANGE,
	                     .ip_proto = 0,
	                     .start_port = 0,
	                     .end_port = 65535,
	                     .start = {10, 91, 0, 1},
	                     .end = {10, 91, 0, 1}};
	if (v6) {
		ts->ts[1] = (ike_ts){
		    .type = IKE_TS_IPV6_ADDR_RANGE, .ip_proto = 17, .start_port = 500, .end_port = 4500};
		ts->ts[1].start[0] = 0x20;
		ts->ts[1].start[1] = 0x01;
		ts->ts[1].start[2] = 0x0d;
		ts->ts[1].start[3] = 0xb8;
		memcpy(ts->ts[1].end, ts->ts[1].start, 16);
		memset(ts->ts[1].end + 8, 0xff, 8);
	}
}

static inline ike_me_endpoint ws_ep(uint8_t family, uint8_t type)
{
	ike_me_endpoint ep = {.priority = (uint32_t)(type == IKE_ME_HOST ? 255 : 64) << 16 | 65535,
	                      .type = type};

	ep.addr.family = family;
	ep.addr.port = 4500;
	if (family == IKE_AF_INET) {
		static const uint8_t a[4] = {198, 51, 100, 21};
		memcpy(ep.addr.ip, a, 4);
	} else if (family == IKE_AF_INET6) {
		ep.addr.ip[0] = 0x20;
		ep.addr.ip[1] = 0x01;
		ep.addr.ip[2] = 0x0d;
		ep.addr.ip[3] = 0xb8;
		ep.addr.ip[15] = 7;
	}
	return ep;
}

/* Builds sample i (0 <= i < WS_COUNT) into buf; returns its length or 0. */
static inline size_t ws_build(int i, uint8_t *buf, size_t cap)
{
	static ike_sa_pld sa;
	ike_hdr h = {.spi_i = 0x0123456789abcdefULL,
	             .spi_r = 0xfedcba9876543210ULL,
	             .version = IKE_VERSION_2,
	             .exchange = IKE_IKE_SA_INIT,
	             .flags = IKE_FLAG_INITIATOR,
	             .mid = 0};
	ike_msg_builder b;
	ike_sk_layout l;
	ike_ts_pld ts;
	ike_me_endpoint ep;
	size_t len = 0;
	int rc = 0;

	switch (i) {
	case 0: /* IKE_SA_INIT request, as a mediation client sends it */
		h.spi_r = 0;
		ike_mb_init(&b, buf, cap, &h);
		ws_sa_ike(&sa, true);
		rc |= ike_mb_add_sa(&b, &sa);
		rc |= ike_mb_add_ke(&b, &(ike_ke_pld){.group = IKE_CURVE25519, .data = WS(32)});
		rc |= ike_mb_add_nonce(&b, WS(32));
		rc |= ike_mb_add_notify_simple(&b, IKE_NAT_DETECTION_SOURCE_IP, WS(20));
		rc |= ike_mb_add_notify_simple(&b, IKE_NAT_DETECTION_DESTINATION_IP, WS(20));
		rc |= ike_mb_add_notify_simple(&b, IKE_SIGNATURE_HASH_ALGORITHMS,
		                               (ike_slice){(const uint8_t *)"\0\2\0\3\0\4", 6});
		rc |= ike_mb_add_notify_simple(&b, IKE_ME_MEDIATION, WS(0));
		rc |= ike_mb_add_vendor(&b, WS(16));
		rc |= ike_mb_finish(&b, &len);
		break;
	case 1: /* IKE_SA_INIT response with CERTREQ */
		h.flags = IKE_FLAG_RESPONSE;
		ike_mb_init(&b, buf, cap, &h);
		ws_sa_ike(&sa, false);
		sa.prop[0].n_xf = 3;
		sa.prop[0].xf[1] = sa.prop[0].xf[2];
		sa.prop[0].xf[2] = sa.prop[0].xf[4];
		rc |= ike_mb_add_sa(&b, &sa);
		rc |= ike_mb_add_ke(&b, &(ike_ke_pld){.group = IKE_CURVE25519, .data = WS(32)});
		rc |= ike_mb_add_nonce(&b, WS(32));
		rc |= ike_mb_add_cert(&b, IKE_CERTREQ,
		                      &(ike_cert_pld){.encoding = IKE_CERT_X509_SIGNATURE, .data = WS(40)});
		rc |= ike_mb_add_notify_simple(&b, IKE_ME_MEDIATION, WS(0));
		rc |= ike_mb_finish(&b, &len);
		break;
	case 2: /* INVALID_KE_PAYLOAD */
		h.flags = IKE_FLAG_RESPONSE;
		h.spi_r = 0;
		ike_mb_init(&b, buf, cap, &h);
		rc |= ike_mb_add_notify_simple(&b, IKE_INVALID_KE_PAYLOAD,
		                               (ike_slice){(const uint8_t *)"\0\x13", 2});
		rc |= ike_mb_finish(&b, &len);
		break;
	case 3: /* COOKIE request retried with the cookie first */
		h.spi_r = 0;
		ike_mb_init(&b, buf, cap, &h);
		rc |= ike_mb_add_notify_simple(&b, IKE_COOKIE, WS(24));
		ws_sa_ike(&sa, false);
		rc |= ike_mb_add_sa(&b, &sa);
		rc |= ike_mb_add_ke(&b, &(ike_ke_pld){.group = IKE_ECP_256, .data = WS(64)});
		rc |= ike_mb_add_nonce(&b, WS(16));
		rc |= ike_mb_finish(&b, &len);
		break;
	case 4: /* IKE_AUTH request, AEAD layout */
		h.exchange = IKE_IKE_AUTH;
		h.mid = 1;
		ike_mb_init(&b, buf, cap, &h);
		rc |= ike_mb_begin_sk(&b, 8);
		rc |= ike_mb_add_id(&b, IKE_IDI, &(ike_id_pld){.type = IKE_ID_KEY_ID, .data = WS(20)});
		rc |= ike_mb_add_auth(&b, &(ike_auth_pld){.method = IKE_AUTH_RSA_SIG, .data = WS(256)});
		ep = ws_ep(IKE_AF_NONE, IKE_ME_SERVER_REFLEXIVE);
		rc |= ike_mb_add_me_endpoint(&b, &ep);
		ws_sa_esp(&sa);
		rc |= ike_mb_add_sa(&b, &sa);
		ws_ts(&ts, true);
		rc |= ike_mb_add_ts(&b, IKE_TSI, &ts);
		rc |= ike_mb_add_ts(&b, IKE_TSR, &ts);
		{
			ike_cp_pld cp = {.type = IKE_CFG_REQUEST, .n = 2};
			cp.attr[0] = (ike_cp_attr){.type = IKE_INTERNAL_IP4_ADDRESS, .value = WS(0)};
			cp.attr[1] = (ike_cp_attr){.type = IKE_INTERNAL_IP4_DNS, .value = WS(4)};
			rc |= ike_mb_add_cp(&b, &cp);
		}
		rc |= ike_mb_finish_sk(&b, 1, 16, &l, &len);
		break;
	case 5: /* IKE_AUTH response, CBC + HMAC layout, with CERT */
		h.exchange = IKE_IKE_AUTH;
		h.flags = IKE_FLAG_RESPONSE;
		h.mid = 1;
		ike_mb_init(&b, buf, cap, &h);
		rc |= ike_mb_begin_sk(&b, 16);
		rc |= ike_mb_add_id(&b, IKE_IDR, &(ike_id_pld){.type = IKE_ID_IPV4_ADDR, .data = WS(4)});
		rc |= ike_mb_add_cert(&b, IKE_CERT,
		                      &(ike_cert_pld){.encoding = IKE_CERT_X509_SIGNATURE, .data = WS(200)});
		rc |= ike_mb_add_auth(&b,
		                      &(ike_auth_pld){.method = IKE_AUTH_DIGITAL_SIGNATURE, .data = WS(100)});
		ep = ws_ep(IKE_AF_INET, IKE_ME_SERVER_REFLEXIVE);
		rc |= ike_mb_add_me_endpoint(&b, &ep);
		rc |= ike_mb_finish_sk(&b, 16, 16, &l, &len);
		break;
	case 6: /* INFORMATIONAL liveness check: empty SK */
		h.exchange = IKE_INFORMATIONAL;
		h.mid = 5;
		ike_mb_init(&b, buf, cap, &h);
		rc |= ike_mb_begin_sk(&b, 8);
		rc |= ike_mb_finish_sk(&b, 1, 16, &l, &len);
		break;
	case 7: /* INFORMATIONAL: delete two ESP SAs */
		h.exchange = IKE_INFORMATIONAL;
		h.mid = 6;
		ike_mb_init(&b, buf, cap, &h);
		rc |= ike_mb_begin_sk(&b, 16);
		rc |= ike_mb_add_delete(
		    &b, &(ike_delete_pld){.proto = IKE_PROTO_ESP, .spi_len = 4, .n = 2, .spis = WS(8)});
		rc |= ike_mb_finish_sk(&b, 16, 12, &l, &len);
		break;
	case 8: /* INFORMATIONAL: delete the IKE SA */
		h.exchange = IKE_INFORMATIONAL;
		h.flags = IKE_FLAG_RESPONSE;
		h.mid = 7;
		ike_mb_init(&b, buf, cap, &h);
		rc |= ike_mb_begin_sk(&b, 8);
		rc |= ike_mb_add_delete(&b, &(ike_delete_pld){.proto = IKE_PROTO_IKE});
		rc |= ike_mb_finish_sk(&b, 1, 16, &l, &len);
		break;
	case 9: /* ME_CONNECT request */
		h.exchange = IKE_ME_CONNECT;
		h.mid = 2;
		ike_mb_init(&b, buf, cap, &h);
		rc |= ike_mb_begin_sk(&b, 8);
		rc |= ike_mb_add_id(&b, IKE_IDR, &(ike_id_pld){.type = IKE_ID_KEY_ID, .data = WS(20)});
		rc |= ike_mb_add_notify_simple(&b, IKE_ME_CONNECTID, WS(4));
		rc |= ike_mb_add_notify_simple(&b, IKE_ME_CONNECTKEY, WS(16));
		rc |= ike_mb_add_notify_simple(&b, IKE_ME_CALLBACK, WS(0));
		ep = ws_ep(IKE_AF_INET, IKE_ME_HOST);
		rc |= ike_mb_add_me_endpoint(&b, &ep);
		ep = ws_ep(IKE_AF_INET6, IKE_ME_HOST);
		rc |= ike_mb_add_me_endpoint(&b, &ep);
		rc |= ike_mb_finish_sk(&b, 1, 16, &l, &len);
		break;
	case 10: /* connectivity check, outside any SA */
		h.exchange = IKE_INFORMATIONAL;
		h.spi_i = 0;
		h.spi_r = 0;
		h.mid = 0x1234;
		ike_mb_init(&b, buf, cap, &h);
		rc |= ike_mb_add_notify_simple(&b, IKE_ME_CONNECTID, WS(4));
		ep = ws_ep(IKE_AF_INET, IKE_ME_PEER_REFLEXIVE);
		rc |= ike_mb_add_me_endpoint(&b, &ep);
		rc |= ike_mb_add_notify_simple(&b, IKE_ME_CONNECTAUTH, WS(20));
		rc |= ike_mb_finish(&b, &len);
		break;
	case 11: /* CREATE_CHILD_SA rekeying a CHILD SA */
		h.exchange = IKE_CREATE_CHILD_SA;
		h.mid = 3;
		ike_mb_init(&b, buf, cap, &h);
		rc |= ike_mb_begin_sk(&b, 8);
		rc |= ike_mb_add_notify(
		    &b, &(ike_notify_pld){.proto = IKE_PROTO_ESP, .spi = WS(4), .type = IKE_REKEY_SA});
		ws_sa_esp(&sa);
		rc |= ike_mb_add_sa(&b, &sa);
		rc |= ike_mb_add_nonce(&b, WS(32));
		rc |= ike_mb_add_ke(&b, &(ike_ke_pld){.group = IKE_CURVE25519, .data = WS(32)});
		ws_ts(&ts, false);
		rc |= ike_mb_add_ts(&b, IKE_TSI, &ts);
		rc |= ike_mb_add_ts(&b, IKE_TSR, &ts);
		rc |= ike_mb_finish_sk(&b, 1, 16, &l, &len);
		break;
	case 12: /* IKE_AUTH fragment 1 of 2 (RFC 7383) */
		h.exchange = IKE_IKE_AUTH;
		h.mid = 1;
		ike_mb_init(&b, buf, cap, &h);
		rc |= ike_mb_begin_skf(&b, 1, 2, 8);
		rc |= ike_mb_add_id(&b, IKE_IDI, &(ike_id_pld){.type = IKE_ID_FQDN, .data = WS(11)});
		rc |= ike_mb_finish_sk(&b, 1, 16, &l, &len);
		break;
	case 13: /* IKE_AUTH with EAP, and an unknown non-critical outer payload */
		h.exchange = IKE_IKE_AUTH;
		h.flags = IKE_FLAG_RESPONSE;
		h.mid = 2;
		ike_mb_init(&b, buf, cap, &h);
		rc |= ike_mb_add_raw(&b, 200, 0, WS(5));
		rc |= ike_mb_begin_sk(&b, 8);
		rc |= ike_mb_add_eap(&b, (ike_slice){(const uint8_t *)"\x01\x07\x00\x09\x01user", 9});
		rc |= ike_mb_finish_sk(&b, 1, 16, &l, &len);
		break;
	default:
		return 0;
	}
	return rc ? 0 : len;
}

#endif /* WIRE_SAMPLES_H */
