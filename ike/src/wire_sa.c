/* SPDX-License-Identifier: MIT */
/*
 * SA payload (RFC 7296 3.3): proposals, transforms, transform attributes.
 *
 * Proposal substructure (3.3.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        <Transforms>                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Last Substruc: 2 = more proposals follow, 0 = last.
 *
 * Transform substructure (3.3.2):
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * |Transform Type |   RESERVED    |          Transform ID         |
 * ~                      Transform Attributes                     ~
 * Last Substruc: 3 = more transforms follow, 0 = last.
 *
 * Transform attribute (3.3.5):
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |                               |    AF=1  Attribute Value      |
 * |                   AF=0  Attribute Value (variable)            |
 */
#include <string.h>

#include "wire_int.h"

#define PROP_MORE 2
#define XF_MORE 3
#define ATTR_TV 0x8000

static int check_spi_size(uint8_t proto, uint8_t spi_len)
{
	if (spi_len > IKE_WIRE_SPI_MAX)
		return IKE_ERR_MALFORMED;
	/* RFC 7296 3.3.1: 0 for the initial IKE SA, 8 when rekeying it; 4 for AH/ESP. */
	if (proto == IKE_PROTO_IKE && spi_len != 0 && spi_len != 8)
		return IKE_ERR_MALFORMED;
	if ((proto == IKE_PROTO_AH || proto == IKE_PROTO_ESP) && spi_len != 4)
		return IKE_ERR_MALFORMED;
	return IKE_OK;
}

static int decode_transform(ike_rd *pr, size_t blen, const uint8_t *b0, bool last, ike_transform *x,
                            ike_wire_err *err)
{
	size_t off = (size_t)(pr->p - b0);
	uint8_t lastb, res;
	uint16_t xlen;
	ike_rd xr;

	(void)blen;
	if (pr->left < 8)
		return wire_fail(err, IKE_ERR_TRUNCATED, off, "transform header", IKE_SA);
	ike_rd_u8(pr, &lastb);
	ike_rd_u8(pr, &res);
	ike_rd_u16(pr, &xlen);
	if (lastb != (last ? 0 : XF_MORE))
		return wire_fail(err, IKE_ERR_MALFORMED, off, "transform last substructure", IKE_SA);
	if (xlen < 8)
		return wire_fail(err, IKE_ERR_MALFORMED, off + 2, "transform length below 8", IKE_SA);
	if (!ike_rd_sub(pr, (size_t)xlen - 4, &xr))
		return wire_fail(err, IKE_ERR_TRUNCATED, off + 2, "transform length beyond proposal", IKE_SA);
	memset(x, 0, sizeof *x);
	ike_rd_u8(&xr, &x->type);
	ike_rd_u8(&xr, &res);
	ike_rd_u16(&xr, &x->id);
	while (xr.left) {
		size_t aoff = (size_t)(xr.p - b0);
		uint16_t at, av;
		ike_xf_attr *a;

		if (x->n_attr == IKE_WIRE_MAX_XF_ATTRS)
			return wire_fail(err, IKE_ERR_LIMIT, aoff, "transform attribute count", IKE_SA);
		ike_rd_u16(&xr, &at);
		ike_rd_u16(&xr, &av);
		if (xr.bad)
			return wire_fail(err, IKE_ERR_TRUNCATED, aoff, "transform attribute header", IKE_SA);
		a = &x->attr[x->n_attr++];
		a->type = (uint16_t)(at & 0x7fff);
		a->tv = (at & ATTR_TV) != 0;
		if (a->tv) {
			a->value = av;
			if (a->type == IKE_ATTR_KEY_LENGTH)
				x->key_bits = av;
		} else if (!ike_rd_bytes(&xr, av, &a->data)) {
			return wire_fail(err, IKE_ERR_TRUNCATED, aoff + 2, "transform attribute length",
			                 IKE_SA);
		}
	}
	return IKE_OK;
}

int ike_sa_decode(ike_slice body, ike_sa_pld *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(body.ptr, body.len);
	uint8_t last = PROP_MORE;

	out->n = 0;
	if (!body.len)
		return wire_fail(err, IKE_ERR_MALFORMED, 0, "no proposal", IKE_SA);
	while (last == PROP_MORE) {
		size_t off = body.len - r.left;
		uint8_t res, n_xf;
		uint16_t plen;
		ike_rd pr;
		ike_proposal *p;
		int rc;

		if (!r.left)
			return wire_fail(err, IKE_ERR_TRUNCATED, off,
			                 "proposal missing after last substructure 2", IKE_SA);
		if (out->n == IKE_WIRE_MAX_PROPOSALS)
			return wire_fail(err, IKE_ERR_LIMIT, off, "proposal count", IKE_SA);
		if (r.left < 8)
			return wire_fail(err, IKE_ERR_TRUNCATED, off, "proposal header", IKE_SA);
		ike_rd_u8(&r, &last);
		ike_rd_u8(&r, &res);
		ike_rd_u16(&r, &plen);
		if (last != 0 && last != PROP_MORE)
			return wire_fail(err, IKE_ERR_MALFORMED, off, "proposal last substructure", IKE_SA);
		if (plen < 8)
			return wire_fail(err, IKE_ERR_MALFORMED, off + 2, "proposal length below 8", IKE_SA);
		if (!ike_rd_sub(&r, (size_t)plen - 4, &pr))
			return wire_fail(err, IKE_ERR_TRUNCATED, off + 2, "proposal length beyond payload",
			                 IKE_SA);
		p = &out->prop[out->n];
		memset(p, 0, offsetof(ike_proposal, xf));
		ike_rd_u8(&pr, &p->num);
		ike_rd_u8(&pr, &p->proto);
		ike_rd_u8(&pr, &p->spi_len);
		ike_rd_u8(&pr, &n_xf);
		if (out->n == 0
		        ? p->num == 0
		        : (p->num != out->prop[out->n - 1].num && p->num != out->prop[out->n - 1].num + 1))
			return wire_fail(err, IKE_ERR_MALFORMED, off + 4, "proposal number", IKE_SA);
		if (check_spi_size(p->proto, p->spi_len))
			return wire_fail(err, IKE_ERR_MALFORMED, off + 6, "SPI size", IKE_SA);
		if (!ike_rd_copy(&pr, p->spi, p->spi_len))
			return wire_fail(err, IKE_ERR_TRUNCATED, off + 8, "SPI beyond proposal", IKE_SA);
		if (n_xf > IKE_WIRE_MAX_TRANSFORMS)
			return wire_fail(err, IKE_ERR_LIMIT, off + 7, "transform count", IKE_SA);
		for (unsigned i = 0; i < n_xf; i++) {
			rc = decode_transform(&pr, body.len, body.ptr, i + 1u == n_xf, &p->xf[i], err);
			if (rc)
				return rc;
		}
		p->n_xf = n_xf;
		if (pr.left)
			return wire_fail(err, IKE_ERR_MALFORMED, (size_t)(pr.p - body.ptr),
			                 "bytes after last transform", IKE_SA);
		out->n++;
	}
	if (r.left)
		return wire_fail(err, IKE_ERR_MALFORMED, body.len - r.left, "bytes after last proposal",
		                 IKE_SA);
	return IKE_OK;
}

static int encode_transform(ike_wr *w, const ike_transform *x, bool last)
{
	size_t at = w->len;

	ike_wr_u8(w, last ? 0 : XF_MORE);
	ike_wr_u8(w, 0);
	ike_wr_u16(w, 0);
	ike_wr_u8(w, x->type);
	ike_wr_u8(w, 0);
	ike_wr_u16(w, x->id);
	if (x->n_attr > IKE_WIRE_MAX_XF_ATTRS)
		return IKE_ERR_INVAL;
	if (x->n_attr == 0 && x->key_bits) {
		ike_wr_u16(w, ATTR_TV | IKE_ATTR_KEY_LENGTH);
		ike_wr_u16(w, x->key_bits);
	}
	for (unsigned i = 0; i < x->n_attr; i++) {
		const ike_xf_attr *a = &x->attr[i];
		if (a->type > 0x7fff || (!a->tv && a->data.len > 0xffff))
			return IKE_ERR_INVAL;
		ike_wr_u16(w, (uint16_t)(a->type | (a->tv ? ATTR_TV : 0)));
		if (a->tv) {
			ike_wr_u16(w, a->value);
		} else {
			ike_wr_u16(w, (uint16_t)a->data.len);
			ike_wr_bytes(w, a->data.ptr, a->data.len);
		}
	}
	if (!ike_wr_patch16(w, at + 2, at))
		return IKE_ERR_NOBUF;
	return wire_wr_status(w);
}

int ike_sa_encode(ike_wr *w, const ike_sa_pld *in)
{
	if (in->n == 0 || in->n > IKE_WIRE_MAX_PROPOSALS)
		return IKE_ERR_INVAL;
	for (unsigned i = 0; i < in->n; i++) {
		const ike_proposal *p = &in->prop[i];
		size_t at = w->len;
		int rc;

		if (i == 0 ? p->num == 0
		           : (p->num != in->prop[i - 1].num && p->num != in->prop[i - 1].num + 1))
			return IKE_ERR_INVAL;
		if (check_spi_size(p->proto, p->spi_len) || p->n_xf > IKE_WIRE_MAX_TRANSFORMS)
			return IKE_ERR_INVAL;
		ike_wr_u8(w, i + 1u == in->n ? 0 : PROP_MORE);
		ike_wr_u8(w, 0);
		ike_wr_u16(w, 0);
		ike_wr_u8(w, p->num);
		ike_wr_u8(w, p->proto);
		ike_wr_u8(w, p->spi_len);
		ike_wr_u8(w, p->n_xf);
		ike_wr_bytes(w, p->spi, p->spi_len);
		for (unsigned j = 0; j < p->n_xf; j++) {
			rc = encode_transform(w, &p->xf[j], j + 1u == p->n_xf);
			if (rc)
				return rc;
		}
		if (!ike_wr_patch16(w, at + 2, at))
			return IKE_ERR_NOBUF;
	}
	return wire_wr_status(w);
}
