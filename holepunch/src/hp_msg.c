/* SPDX-License-Identifier: MIT */
/*
 * Connectivity check messages, as strongSwan's connect_manager.c sends them
 * (send_check, process_payloads, build_signature):
 *
 *   HDR(SPIi = 0, SPIr = 0, INFORMATIONAL, flags I (request) or R (response), mid)
 *   N(ME_CONNECTID) N(ME_ENDPOINT) N(ME_CONNECTAUTH)
 *
 * ME_CONNECTAUTH = SHA-1(mid | connect ID | ME_ENDPOINT notify data | key of the sender).
 * The header and notify framing are RFC 7296 3.1 and 3.10.
 */
#include <string.h>

#include <openssl/evp.h>

#include "hp_internal.h"
#include "ike/iana.h"

#define IKE_HDR_LEN 28
#define NOTIFY_HDR_LEN 8 /* generic payload header 4 + protocol 1 + SPI size 1 + type 2 */

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

/* Writes one notify payload header (protocol 0, no SPI) for `len` bytes of data. */
static void put_notify_hdr(ike_wr *w, uint8_t next, uint16_t type, size_t len)
{
	ike_wr_u8(w, next);
	ike_wr_u8(w, 0);
	ike_wr_u16(w, (uint16_t)(NOTIFY_HDR_LEN + len));
	ike_wr_u8(w, 0); /* protocol ID: none */
	ike_wr_u8(w, 0); /* SPI size */
	ike_wr_u16(w, type);
}

int hp__check_encode(uint8_t *buf, size_t cap, size_t *len, uint32_t mid, bool response, ike_slice connect_id,
                     const hp_candidate *ep, ike_slice key)
{
	uint8_t epbuf[HP_ENDPOINT_DATA_MAX], auth[HP_CONNECTAUTH_LEN];
	ike_wr epw = ike_wr_init(epbuf, sizeof epbuf);
	ike_wr w = ike_wr_init(buf, cap);
	size_t total;
	int rc;

	if (connect_id.len == 0 || connect_id.len > HP_CONNECT_ID_MAX)
		return IKE_ERR_INVAL;
	rc = hp_endpoint_encode(&epw, ep);
	if (rc != IKE_OK)
		return rc;
	rc = hp__check_auth(auth, mid, connect_id, IKE_SLICE(epbuf, epw.len), key);
	if (rc != IKE_OK)
		return rc;
	total = IKE_HDR_LEN + 3 * NOTIFY_HDR_LEN + connect_id.len + epw.len + sizeof auth;

	ike_wr_u64(&w, 0); /* SPIi */
	ike_wr_u64(&w, 0); /* SPIr */
	ike_wr_u8(&w, IKE_NOTIFY);
	ike_wr_u8(&w, IKE_VERSION_2);
	ike_wr_u8(&w, IKE_INFORMATIONAL);
	ike_wr_u8(&w, response ? IKE_FLAG_RESPONSE : IKE_FLAG_INITIATOR);
	ike_wr_u32(&w, mid);
	ike_wr_u32(&w, (uint32_t)total);
	put_notify_hdr(&w, IKE_NOTIFY, IKE_ME_CONNECTID, connect_id.len);
	ike_wr_bytes(&w, connect_id.ptr, connect_id.len);
	put_notify_hdr(&w, IKE_NOTIFY, IKE_ME_ENDPOINT, epw.len);
	ike_wr_bytes(&w, epbuf, epw.len);
	put_notify_hdr(&w, IKE_NONE, IKE_ME_CONNECTAUTH, sizeof auth);
	ike_wr_bytes(&w, auth, sizeof auth);
	if (w.bad)
		return IKE_ERR_NOBUF;
	*len = w.len;
	return IKE_OK;
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
	ike_rd r = ike_rd_init(pkt, len);
	uint64_t spi_i, spi_r;
	uint8_t next, version, xchg, flags;
	uint32_t mlen;
	bool first = true;

	memset(out, 0, sizeof *out);
	*why = "truncated IKE header";
	ike_rd_u64(&r, &spi_i);
	ike_rd_u64(&r, &spi_r);
	ike_rd_u8(&r, &next);
	ike_rd_u8(&r, &version);
	ike_rd_u8(&r, &xchg);
	ike_rd_u8(&r, &flags);
	ike_rd_u32(&r, &out->mid);
	ike_rd_u32(&r, &mlen);
	if (r.bad)
		return IKE_ERR_TRUNCATED;
	*why = "not IKEv2";
	if (version >> 4 != 2)
		return IKE_ERR_MALFORMED;
	*why = "not an INFORMATIONAL outside any SA";
	if (xchg != IKE_INFORMATIONAL || spi_i != 0 || spi_r != 0)
		return IKE_ERR_MALFORMED;
	*why = "IKE length differs from the datagram";
	if (mlen != len)
		return IKE_ERR_MALFORMED;
	out->response = (flags & IKE_FLAG_RESPONSE) != 0;

	while (next != IKE_NONE) {
		uint8_t type = next, crit, proto, spisize;
		uint16_t plen, ntype;
		ike_rd body;
		ike_slice spi;

		*why = "truncated payload header";
		if (!ike_rd_u8(&r, &next) || !ike_rd_u8(&r, &crit) || !ike_rd_u16(&r, &plen))
			return IKE_ERR_TRUNCATED;
		*why = "payload shorter than its header";
		if (plen < 4)
			return IKE_ERR_MALFORMED;
		*why = "payload longer than the message";
		if (!ike_rd_sub(&r, plen - 4u, &body))
			return IKE_ERR_TRUNCATED;
		if (type != IKE_NOTIFY) {
			/* strongSwan (message.c is_connectivity_check) recognises a check by its
			 * first payload; later non-notify payloads are ignored. */
			*why = "first payload is not a notify";
			if (first)
				return IKE_ERR_MALFORMED;
			out->ignored++;
			continue;
		}
		first = false;
		*why = "truncated notify";
		ike_rd_u8(&body, &proto);
		ike_rd_u8(&body, &spisize);
		ike_rd_u16(&body, &ntype);
		ike_rd_bytes(&body, spisize, &spi);
		if (body.bad)
			return IKE_ERR_TRUNCATED;
		take_notify(out, ntype, ike_rd_rest(&body));
	}
	*why = "bytes after the last payload";
	if (r.left != 0)
		return IKE_ERR_MALFORMED;
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
