/* SPDX-License-Identifier: MIT */
/*
 * wire_walk.h - decode a datagram as deeply as the codec can and check that what
 * decodes re-encodes consistently. Shared by fuzz_wire.c and the bit-flip tests
 * in test/unit/ike_wire/ (static functions: include it from one .c file).
 *
 * Checks, for any input:
 *   - ike_wire_reencode() of an accepted message gives back the datagram;
 *   - every payload body that its typed decoder accepts re-encodes to the same
 *     length, and decoding and encoding that again gives the same bytes;
 *   - the SK body is decoded "as if decrypted" (as an inner chain, and through
 *     ike_wire_decode_inner()), and its payloads walked the same way.
 * ww_message() returns 0 when consistent (accepted or cleanly rejected) and a
 * negative line number (of this file) on the first inconsistency.
 */
#ifndef WIRE_WALK_H
#define WIRE_WALK_H
#include <string.h>

#include "ike/wire.h"

#define WW_BUF 70000

typedef struct ww_stats {
	unsigned msgs, payloads, typed_ok, inner;
} ww_stats;

/* Decodes body as a payload of type and encodes it into w. Returns the
 * decoder's result (IKE_OK or a rejection) or, when the encoder fails on what
 * the decoder accepted, WW_ENC_FAILED. */
#define WW_ENC_FAILED 1000
static inline int ww_dec_enc(uint8_t type, uint16_t notify_me, ike_slice body, ike_wr *w)
{
	static ike_sa_pld sa; /* 30 KB: not on the stack */
	int rc;

	switch (type) {
	case IKE_SA:
		rc = ike_sa_decode(body, &sa, NULL);
		return rc ? rc : ike_sa_encode(w, &sa) ? WW_ENC_FAILED : IKE_OK;
	case IKE_KE: {
		ike_ke_pld v;
		rc = ike_ke_decode(body, &v, NULL);
		return rc ? rc : ike_ke_encode(w, &v) ? WW_ENC_FAILED : IKE_OK;
	}
	case IKE_IDI:
	case IKE_IDR: {
		ike_id_pld v;
		rc = ike_id_decode(body, &v, NULL);
		return rc ? rc : ike_id_encode(w, &v) ? WW_ENC_FAILED : IKE_OK;
	}
	case IKE_CERT: {
		ike_cert_pld v;
		rc = ike_cert_decode(body, &v, NULL);
		return rc ? rc : ike_cert_encode(w, &v) ? WW_ENC_FAILED : IKE_OK;
	}
	case IKE_CERTREQ: {
		ike_cert_pld v;
		rc = ike_certreq_decode(body, &v, NULL);
		return rc ? rc : ike_certreq_encode(w, &v) ? WW_ENC_FAILED : IKE_OK;
	}
	case IKE_AUTH: {
		ike_auth_pld v;
		rc = ike_auth_decode(body, &v, NULL);
		return rc ? rc : ike_auth_encode(w, &v) ? WW_ENC_FAILED : IKE_OK;
	}
	case IKE_NONCE: {
		ike_slice v;
		rc = ike_nonce_decode(body, &v, NULL);
		return rc ? rc : ike_nonce_encode(w, v) ? WW_ENC_FAILED : IKE_OK;
	}
	case IKE_NOTIFY: {
		ike_notify_pld v;
		rc = ike_notify_decode(body, &v, NULL);
		return rc ? rc : ike_notify_encode(w, &v) ? WW_ENC_FAILED : IKE_OK;
	}
	case IKE_DELETE: {
		ike_delete_pld v;
		rc = ike_delete_decode(body, &v, NULL);
		return rc ? rc : ike_delete_encode(w, &v) ? WW_ENC_FAILED : IKE_OK;
	}
	case IKE_VENDOR: {
		ike_slice v;
		rc = ike_vendor_decode(body, &v, NULL);
		return rc ? rc : ike_vendor_encode(w, v) ? WW_ENC_FAILED : IKE_OK;
	}
	case IKE_TSI:
	case IKE_TSR: {
		ike_ts_pld v;
		rc = ike_ts_decode(body, &v, NULL);
		return rc ? rc : ike_ts_encode(w, &v) ? WW_ENC_FAILED : IKE_OK;
	}
	case IKE_CP: {
		ike_cp_pld v;
		rc = ike_cp_decode(body, &v, NULL);
		return rc ? rc : ike_cp_encode(w, &v) ? WW_ENC_FAILED : IKE_OK;
	}
	case IKE_EAP: {
		ike_slice v;
		rc = ike_eap_decode(body, &v, NULL);
		return rc ? rc : ike_eap_encode(w, v) ? WW_ENC_FAILED : IKE_OK;
	}
	case 0: /* pseudo type: notify data, ME_ENDPOINT (notify_me 1) or ME_TURN (2) */
		if (notify_me == 1) {
			ike_me_endpoint v;
			rc = ike_me_endpoint_decode(body, &v, NULL);
			return rc ? rc : ike_me_endpoint_encode(w, &v) ? WW_ENC_FAILED : IKE_OK;
		}
		if (notify_me == 2) {
			ike_me_turn v;
			rc = ike_me_turn_decode(body, &v, NULL);
			return rc ? rc : ike_me_turn_encode(w, &v) ? WW_ENC_FAILED : IKE_OK;
		}
		return IKE_ERR_UNSUPPORTED;
	default:
		return IKE_ERR_UNSUPPORTED;
	}
}

/* One payload body: decode, encode, decode, encode; the two encodings must match
 * and have the body's length. */
static inline int ww_payload(uint8_t type, uint16_t me, ike_slice body, ww_stats *st)
{
	static uint8_t e1[WW_BUF], e2[WW_BUF];
	ike_wr w1 = ike_wr_init(e1, sizeof e1), w2 = ike_wr_init(e2, sizeof e2);
	int rc = ww_dec_enc(type, me, body, &w1);

	if (rc == WW_ENC_FAILED)
		return -__LINE__;
	if (rc)
		return 0;
	if (w1.len != body.len)
		return -__LINE__;
	if (ww_dec_enc(type, me, (ike_slice){e1, w1.len}, &w2) != IKE_OK)
		return -__LINE__;
	if (w2.len != w1.len || memcmp(e1, e2, w1.len) != 0)
		return -__LINE__;
	if (st)
		st->typed_ok++;
	/* ME_ENDPOINT and ME_TURN data inside a notify. */
	if (type == IKE_NOTIFY) {
		ike_notify_pld n;
		if (ike_notify_decode(body, &n, NULL) == IKE_OK && n.type == IKE_ME_ENDPOINT)
			return ww_payload(0, 1, n.data, st);
		if (ike_notify_decode(body, &n, NULL) == IKE_OK && n.type == IKE_ME_TURN)
			return ww_payload(0, 2, n.data, st);
	}
	return 0;
}

static inline int ww_chain(const ike_pld_list *l, ww_stats *st)
{
	for (unsigned i = 0; i < l->n; i++) {
		int rc;
		if (l->p[i].type == IKE_SK || l->p[i].type == IKE_SKF)
			continue;
		if (st)
			st->payloads++;
		rc = ww_payload(l->p[i].type, 0, l->p[i].body, st);
		if (rc)
			return rc;
	}
	return 0;
}

static inline int ww_message(const uint8_t *pkt, size_t len, ww_stats *st)
{
	static ike_msg m;
	static uint8_t out[WW_BUF];
	static ike_pld_list inner;
	size_t olen = 0;
	ike_wire_err err = {0};
	int rc;

	if (ike_wire_decode(pkt, len, &m, &err) != IKE_OK)
		return err.field ? 0 : -__LINE__; /* every rejection names its field */
	if (st)
		st->msgs++;
	if (ike_wire_reencode(&m, out, sizeof out, &olen) != IKE_OK || olen != len ||
	    memcmp(out, pkt, len) != 0)
		return -__LINE__;
	rc = ww_chain(&m.pl, st);
	if (rc)
		return rc;
	if (m.sk.present) {
		static const size_t shapes[][3] = {{8, 1, 16}, {16, 16, 12}, {0, 1, 0}};
		for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
			ike_sk_layout l;
			if (ike_wire_sk_layout(&m, shapes[i][0], shapes[i][1], shapes[i][2], &l, NULL) !=
			    IKE_OK)
				continue;
			if (l.icv_off + shapes[i][2] != len || l.data_off + l.data_len != l.icv_off ||
			    l.aad_len != m.sk.hdr_off + (m.sk.type == IKE_SKF ? 8u : 4u))
				return -__LINE__;
			/* As if the data range had been decrypted in place. */
			if (ike_wire_decode_inner(&m, pkt + l.data_off, l.data_len, NULL) == IKE_OK) {
				rc = ww_chain(&m.inner, st);
				if (rc)
					return rc;
			}
		}
		/* The whole body as a plaintext chain. */
		if (ike_wire_decode_chain(m.sk.body.ptr, m.sk.body.len, m.sk.first, &inner, NULL) == IKE_OK) {
			if (st)
				st->inner++;
			rc = ww_chain(&inner, st);
			if (rc)
				return rc;
		}
	}
	return 0;
}

#endif /* WIRE_WALK_H */
