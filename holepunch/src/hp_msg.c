/* SPDX-License-Identifier: MIT */
/*
 * Connectivity check messages, as strongSwan's connect_manager.c sends them
 * (send_check, process_payloads, build_signature):
 *
 *   HDR(SPIi = 0, SPIr = 0, INFORMATIONAL, flags I (request) or R (response), mid)
 *   N(ME_CONNECTID) N(ME_ENDPOINT) N(ME_CONNECTAUTH)
 *
 * ME_CONNECTAUTH = SHA-1(mid | connect ID | ME_ENDPOINT notify data | key of the sender).
 * The IKE header, payload chain and notify framing go through the ike_wire codec
 * (ike/wire.h). The ME_ENDPOINT data does not: strongSwan writes the port also for an
 * address-less endpoint (8 bytes) and ignores trailing bytes, which
 * ike_me_endpoint_decode() rejects, so hp_cand.c keeps strongSwan's exact form.
 */
#include <string.h>

#include <openssl/evp.h>

#include "hp_internal.h"
#include "ike/iana.h"
#include "ike/wire.h"

int hp__check_auth(uint8_t out[HP_CONNECTAUTH_LEN], uint32_t mid, ike_slice connect_id,
                   ike_slice endpoint_raw, ike_slice key)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t m[4];
	unsigned int n = 0;
	int ok;

	if (!ctx)
		return IKE_ERR_NOMEM;
	ike_put_u32(m, mid);
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(ctx, m, sizeof m) == 1 &&
	     EVP_DigestUpdate(ctx, connect_id.ptr, connect_id.len) == 1 &&
	     EVP_DigestUpdate(ctx, endpoint_raw.ptr, endpoint_raw.len) == 1 &&
	     EVP_DigestUpdate(ctx, key.ptr, key.len) == 1 && EVP_DigestFinal_ex(ctx, out, &n) == 1 &&
	     n == HP_CONNECTAUTH_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? IKE_OK : IKE_ERR_CRYPTO;
}

int hp__check_encode(uint8_t *buf, size_t cap, size_t *len, uint32_t mid, bool response, ike_slice connect_id,
                     const hp_candidate *ep, ike_slice key)
{
	uint8_t epbuf[HP_ENDPOINT_DATA_MAX], auth[HP_CONNECTAUTH_LEN];
	ike_wr epw = ike_wr_init(epbuf, sizeof epbuf);
	ike_hdr hdr = {.version = IKE_VERSION_2,
	               .exchange = IKE_INFORMATIONAL,
	               .flags = response ? IKE_FLAG_RESPONSE : IKE_FLAG_INITIATOR,
	               .mid = mid};
	ike_msg_builder b;
	int rc;

	if (connect_id.len == 0 || connect_id.len > HP_CONNECT_ID_MAX)
		return IKE_ERR_INVAL;
	rc = hp_endpoint_encode(&epw, ep);
	if (rc != IKE_OK)
		return rc;
	rc = hp__check_auth(auth, mid, connect_id, IKE_SLICE(epbuf, epw.len), key);
	if (rc != IKE_OK)
		return rc;
	ike_mb_init(&b, buf, cap, &hdr);
	rc = ike_mb_add_notify_simple(&b, IKE_ME_CONNECTID, connect_id);
	if (rc == IKE_OK)
		rc = ike_mb_add_notify_simple(&b, IKE_ME_ENDPOINT, IKE_SLICE(epbuf, epw.len));
	if (rc == IKE_OK)
		rc = ike_mb_add_notify_simple(&b, IKE_ME_CONNECTAUTH, IKE_SLICE(auth, sizeof auth));
	return rc == IKE_OK ? ike_mb_finish(&b, len) : rc;
}

/* Takes one notify into the check, keeping the first of each kind as strongSwan does. */
static void take_notify(hp__check *c, uint16_t type, ike_slice data)
{
	switch (type) {
	case IKE_ME_CONNECTID:
		if (c->connect_id.ptr)
			c->ignored++;
		else
			c->connect_id = data;
		break;
	case IKE_ME_ENDPOINT:
		/* strongSwan skips an ME_ENDPOINT that does not parse and takes a later one. */
		if (c->endpoint_raw.ptr || hp_endpoint_decode(data, &c->endpoint) != IKE_OK)
			c->ignored++;
		else
			c->endpoint_raw = data;
		break;
	case IKE_ME_CONNECTAUTH:
		if (c->auth.ptr)
			c->ignored++;
		else
			c->auth = data;
		break;
	default:
		c->ignored++;
		break;
	}
}

int hp__check_decode(const uint8_t *pkt, size_t len, hp__check *out, const char **why)
{
	ike_msg m;
	ike_wire_err err = {0};
	int rc;

	memset(out, 0, sizeof *out);
	rc = ike_wire_decode(pkt, len, &m, &err);
	if (rc != IKE_OK) {
		*why = err.field ? err.field : "undecodable IKE message";
		return rc == IKE_ERR_TRUNCATED ? IKE_ERR_TRUNCATED : IKE_ERR_MALFORMED;
	}
	*why = "not an INFORMATIONAL outside any SA";
	if (m.hdr.exchange != IKE_INFORMATIONAL || m.hdr.spi_i != 0 || m.hdr.spi_r != 0)
		return IKE_ERR_MALFORMED;
	/* strongSwan (message.c is_connectivity_check) recognises a check by its first
	 * payload; later payloads other than notifies are ignored. */
	*why = "first payload is not a notify";
	if (m.pl.n == 0 || m.pl.p[0].type != IKE_NOTIFY)
		return IKE_ERR_MALFORMED;
	out->mid = m.hdr.mid;
	out->response = (m.hdr.flags & IKE_FLAG_RESPONSE) != 0;
	for (unsigned i = 0; i < m.pl.n; i++) {
		ike_notify_pld n;

		if (m.pl.p[i].type != IKE_NOTIFY) {
			out->ignored++;
			continue;
		}
		rc = ike_notify_decode(m.pl.p[i].body, &n, &err);
		if (rc != IKE_OK) {
			*why = err.field ? err.field : "bad notify";
			return rc == IKE_ERR_TRUNCATED ? IKE_ERR_TRUNCATED : IKE_ERR_MALFORMED;
		}
		take_notify(out, n.type, n.data);
	}
	*why = "missing ME_CONNECTID, ME_ENDPOINT or ME_CONNECTAUTH";
	if (!out->connect_id.ptr || !out->endpoint_raw.ptr || !out->auth.ptr)
		return IKE_ERR_MALFORMED;
	*why = NULL;
	return IKE_OK;
}

int hp_check_connect_id(const uint8_t *pkt, size_t len, ike_slice *connect_id)
{
	hp__check c;
	const char *why;
	int rc = hp__check_decode(pkt, len, &c, &why);

	*connect_id = rc == IKE_OK ? c.connect_id : (ike_slice){NULL, 0};
	return rc;
}
