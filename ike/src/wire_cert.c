/* SPDX-License-Identifier: MIT */
/*
 * Certificate and Certificate Request payloads (RFC 7296 3.6, 3.7).
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~             Certificate Data / Certification Authority        ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * CERTREQ with X.509 encoding (4): a concatenation of 20-byte SHA-1 hashes of
 * trusted CAs' public keys (3.7); it may be empty.
 */
#include "wire_int.h"

#define SHA1_LEN 20

int ike_cert_decode(ike_slice body, ike_cert_pld *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(body.ptr, body.len);

	if (!ike_rd_u8(&r, &out->encoding))
		return wire_fail(err, IKE_ERR_TRUNCATED, 0, "certificate encoding", IKE_CERT);
	out->data = ike_rd_rest(&r);
	if (!out->data.len)
		return wire_fail(err, IKE_ERR_TRUNCATED, 1, "certificate data empty", IKE_CERT);
	return IKE_OK;
}

int ike_cert_encode(ike_wr *w, const ike_cert_pld *in)
{
	if (!in->data.len)
		return IKE_ERR_INVAL;
	ike_wr_u8(w, in->encoding);
	ike_wr_bytes(w, in->data.ptr, in->data.len);
	return wire_wr_status(w);
}

static bool certreq_len_ok(const ike_cert_pld *c)
{
	return c->encoding != IKE_CERT_X509_SIGNATURE || c->data.len % SHA1_LEN == 0;
}

int ike_certreq_decode(ike_slice body, ike_cert_pld *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(body.ptr, body.len);

	if (!ike_rd_u8(&r, &out->encoding))
		return wire_fail(err, IKE_ERR_TRUNCATED, 0, "certificate encoding", IKE_CERTREQ);
	out->data = ike_rd_rest(&r);
	if (!certreq_len_ok(out))
		return wire_fail(err, IKE_ERR_MALFORMED, 1, "CA hashes not a multiple of 20 bytes",
		                 IKE_CERTREQ);
	return IKE_OK;
}

int ike_certreq_encode(ike_wr *w, const ike_cert_pld *in)
{
	if (!certreq_len_ok(in))
		return IKE_ERR_INVAL;
	ike_wr_u8(w, in->encoding);
	ike_wr_bytes(w, in->data.ptr, in->data.len);
	return wire_wr_status(w);
}
