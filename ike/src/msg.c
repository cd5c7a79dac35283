/* SPDX-License-Identifier: MIT */
/*
 * The engine's message layer: decoding a datagram into an ike__msg (views, no
 * policy), building messages, SK protection, and the receive dispatch (SA
 * lookup, message IDs, the responder's reply cache, then the exchange code).
 * RFC 7296 3.1 (header), 3.2 (generic payload header) and 3.3-3.15 (payloads).
 */
#include <string.h>

#include "ike/iana.h"
#include "ts.h"
#include "xchg.h"
#include "xchg_int.h"

/* ---- decoding ---- */

static bool xf_supported(uint8_t type, uint16_t id)
{
	switch (type) {
	case IKE_ENCR:
		return id == IKE_ENCR_AES_CBC || id == IKE_ENCR_AES_GCM_16;
	case IKE_PRF:
		return id == IKE_PRF_HMAC_SHA2_256 || id == IKE_PRF_HMAC_SHA2_384 ||
		       id == IKE_PRF_HMAC_SHA2_512;
	case IKE_INTEG:
		return id == IKE_AUTH_HMAC_SHA2_256_128 || id == IKE_AUTH_HMAC_SHA2_384_192 ||
		       id == IKE_AUTH_HMAC_SHA2_512_256;
	case IKE_DH:
		return id == IKE_MODP_2048 || id == IKE_ECP_256 || id == IKE_ECP_384 || id == IKE_CURVE25519;
	case IKE_ESN:
		return id == IKE_ESN_NO || id == IKE_ESN_YES;
	default:
		return false;
	}
}

static int decode_sa(ike_rd r, ike__sa_pld *sa)
{
	uint8_t last = 2;

	memset(sa, 0, sizeof *sa);
	while (last == 2) {
		uint8_t res, num, proto, spi_len, n_xf, xlast = 3;
		uint16_t plen;
		ike_rd pr;
		ike__prop *p;

		if (!r.left)
			return IKE_ERR_MALFORMED;
		ike_rd_u8(&r, &last);
		ike_rd_u8(&r, &res);
		ike_rd_u16(&r, &plen);
		if (r.bad)
			return IKE_ERR_TRUNCATED;
		if (plen < 8 || (last != 0 && last != 2))
			return IKE_ERR_MALFORMED;
		if (!ike_rd_sub(&r, plen - 4u, &pr))
			return IKE_ERR_TRUNCATED;
		ike_rd_u8(&pr, &num);
		ike_rd_u8(&pr, &proto);
		ike_rd_u8(&pr, &spi_len);
		ike_rd_u8(&pr, &n_xf);
		if (pr.bad || spi_len > 8)
			return IKE_ERR_MALFORMED;
		if (sa->props.n >= PROP_MAX) /* ignore proposals beyond what we keep */
			continue;
		p = &sa->props.p[sa->props.n];
		memset(p, 0, sizeof *p);
		sa->num[sa->props.n] = num;
		sa->proto[sa->props.n] = proto;
		sa->spi_len[sa->props.n] = spi_len;
		if (!ike_rd_copy(&pr, sa->spi[sa->props.n], spi_len))
			return IKE_ERR_TRUNCATED;
		for (unsigned i = 0; i < n_xf; i++) {
			uint8_t type;
			uint16_t xlen, id, bits = 0;
			ike_rd xr;
			bool unknown_attr = false;
			if (xlast != 3)
				return IKE_ERR_MALFORMED;
			ike_rd_u8(&pr, &xlast);
			ike_rd_u8(&pr, &res);
			ike_rd_u16(&pr, &xlen);
			if (pr.bad)
				return IKE_ERR_TRUNCATED;
			if (xlen < 8 || (xlast != 0 && xlast != 3))
				return IKE_ERR_MALFORMED;
			if (!ike_rd_sub(&pr, xlen - 4u, &xr))
				return IKE_ERR_TRUNCATED;
			ike_rd_u8(&xr, &type);
			ike_rd_u8(&xr, &res);
			ike_rd_u16(&xr, &id);
			while (xr.left && !xr.bad) {
				uint16_t at, av;
				ike_rd_u16(&xr, &at);
				ike_rd_u16(&xr, &av);
				if (!(at & 0x8000)) { /* TLV: skip its value */
					ike_slice skip;
					ike_rd_bytes(&xr, av, &skip);
					unknown_attr = true;
				} else if ((at & 0x7fff) == IKE_ATTR_KEY_LENGTH) {
					bits = av;
				} else {
					unknown_attr = true;
				}
			}
			if (xr.bad)
				return IKE_ERR_MALFORMED;
			if (unknown_attr) /* RFC 7296 3.3.6: a transform with unknown attributes is skipped */
				continue;
			/* Only transforms we implement are kept, so a peer that offers many
			 * (strongSwan's defaults list dozens) cannot push ours out. */
			if (!xf_supported(type, id))
				continue;
			switch (type) {
			case IKE_ENCR:
				if (p->n_encr < PROP_XF_MAX) {
					p->encr[p->n_encr] = id;
					p->encr_bits[p->n_encr++] = bits;
				}
				break;
			case IKE_PRF:
				if (p->n_prf < PROP_XF_MAX)
					p->prf[p->n_prf++] = id;
				break;
			case IKE_INTEG:
				if (p->n_integ < PROP_XF_MAX)
					p->integ[p->n_integ++] = id;
				break;
			case IKE_DH:
				if (p->n_dh < PROP_XF_MAX && id)
					p->dh[p->n_dh++] = id;
				break;
			case IKE_ESN:
				if (p->n_esn < 2)
					p->esn[p->n_esn++] = (uint8_t)id;
				break;
			default:
				break;
			}
		}
		if (pr.left || xlast != 0)
			return IKE_ERR_MALFORMED;
		sa->props.n++;
	}
	return r.left ? IKE_ERR_MALFORMED : IKE_OK;
}

static int decode_id(ike_rd r, ike_id *id)
{
	uint8_t type, res[3];

	ike_rd_u8(&r, &type);
	ike_rd_copy(&r, res, 3);
	if (r.bad)
		return IKE_ERR_TRUNCATED;
	if (!r.left || r.left > IKE_ID_MAX)
		return IKE_ERR_MALFORMED;
	memset(id, 0, sizeof *id);
	id->type = type;
	id->len = (uint8_t)r.left;
	ike_rd_copy(&r, id->data, r.left);
	return IKE_OK;
}

static int decode_ts(ike_rd r, ike_tsel_list *l)
{
	uint8_t n, res[3];

	memset(l, 0, sizeof *l);
	ike_rd_u8(&r, &n);
	ike_rd_copy(&r, res, 3);
	if (r.bad)
		return IKE_ERR_TRUNCATED;
	if (!n)
		return IKE_ERR_MALFORMED;
	for (unsigned i = 0; i < n; i++) {
		uint8_t type, proto;
		uint16_t len;
		size_t alen;
		ike_tsel t;
		ike_rd_u8(&r, &type);
		ike_rd_u8(&r, &proto);
		ike_rd_u16(&r, &len);
		if (r.bad)
			return IKE_ERR_TRUNCATED;
		if (type != IKE_TS_IPV4_ADDR_RANGE && type != IKE_TS_IPV6_ADDR_RANGE) {
			ike_slice skip; /* unknown TS type: skipped */
			if (len < 4 || !ike_rd_bytes(&r, len - 4u, &skip))
				return IKE_ERR_MALFORMED;
			continue;
		}
		alen = type == IKE_TS_IPV4_ADDR_RANGE ? 4 : 16;
		if (len != 8 + 2 * alen)
			return IKE_ERR_MALFORMED;
		memset(&t, 0, sizeof t);
		t.family = type == IKE_TS_IPV4_ADDR_RANGE ? IKE_AF_INET : IKE_AF_INET6;
		t.proto = proto;
		ike_rd_u16(&r, &t.port_lo);
		ike_rd_u16(&r, &t.port_hi);
		ike_rd_copy(&r, t.lo, alen);
		ike_rd_copy(&r, t.hi, alen);
		if (r.bad)
			return IKE_ERR_TRUNCATED;
		if (l->n < IKE_TS_MAX)
			l->ts[l->n++] = t;
	}
	return r.left ? IKE_ERR_MALFORMED : IKE_OK;
}

static int decode_payload(uint8_t type, uint8_t crit, ike_rd body, ike__msg *m)
{
	uint8_t res[3];
	int rc = IKE_OK;

	switch (type) {
	case IKE_SA:
		if (m->has_sa)
			return IKE_ERR_MALFORMED;
		m->has_sa = true;
		return decode_sa(body, &m->sa);
	case IKE_KE:
		ike_rd_u16(&body, &m->ke_group);
		ike_rd_copy(&body, res, 2);
		if (body.bad)
			return IKE_ERR_TRUNCATED;
		m->ke = ike_rd_rest(&body);
		m->has_ke = true;
		return IKE_OK;
	case IKE_NONCE:
		m->nonce = ike_rd_rest(&body);
		/* RFC 7296 3.9: 16 to 256 bytes */
		if (m->nonce.len < 16 || m->nonce.len > 256)
			return IKE_ERR_MALFORMED;
		m->has_nonce = true;
		return IKE_OK;
	case IKE_IDI:
		m->has_idi = true;
		return decode_id(body, &m->idi);
	case IKE_IDR:
		m->has_idr = true;
		return decode_id(body, &m->idr);
	case PLD_ID_PEER:
		m->has_idp = true;
		return decode_id(body, &m->idp);
	case IKE_AUTH:
		ike_rd_u8(&body, &m->auth_method);
		ike_rd_copy(&body, res, 3);
		if (body.bad)
			return IKE_ERR_TRUNCATED;
		m->auth = ike_rd_rest(&body);
		m->has_auth = true;
		return IKE_OK;
	case IKE_TSI:
		m->has_tsi = true;
		return decode_ts(body, &m->tsi);
	case IKE_TSR:
		m->has_tsr = true;
		return decode_ts(body, &m->tsr);
	case IKE_NOTIFY: {
		ike__notify n;
		uint8_t spi_len;
		ike_rd_u8(&body, &n.proto);
		ike_rd_u8(&body, &spi_len);
		ike_rd_u16(&body, &n.type);
		ike_rd_bytes(&body, spi_len, &n.spi);
		if (body.bad)
			return IKE_ERR_TRUNCATED;
		n.data = ike_rd_rest(&body);
		if (m->n_notify < MSG_NOTIFY_MAX)
			m->n[m->n_notify++] = n;
		return IKE_OK;
	}
	case IKE_DELETE: {
		uint8_t spi_len;
		uint16_t num;
		ike_rd_u8(&body, &m->del_proto);
		ike_rd_u8(&body, &spi_len);
		ike_rd_u16(&body, &num);
		if (body.bad)
			return IKE_ERR_TRUNCATED;
		m->has_del = true;
		if (m->del_proto == IKE_PROTO_IKE)
			return spi_len == 0 && num == 0 && !body.left ? IKE_OK : IKE_ERR_MALFORMED;
		if (spi_len != 4 || body.left != (size_t)num * 4)
			return IKE_ERR_MALFORMED;
		for (unsigned i = 0; i < num; i++) {
			uint32_t spi;
			ike_rd_u32(&body, &spi);
			if (m->n_del < MSG_DEL_MAX)
				m->del_spi[m->n_del++] = spi;
		}
		return IKE_OK;
	}
	case IKE_VENDOR:
	case IKE_CERTREQ:
	case IKE_CERT:
	case IKE_CP:
		return IKE_OK; /* accepted and ignored */
	default:
		if (crit & IKE_PAYLOAD_CRITICAL) /* RFC 7296 2.5 */
			m->unknown_critical = type;
		return rc;
	}
}

static int decode_chain(ike_rd *r, uint8_t next, ike__msg *m, bool outer)
{
	while (next != IKE_NONE) {
		uint8_t type = next, crit;
		uint16_t len;
		ike_rd body;
		int rc;

		ike_rd_u8(r, &next);
		ike_rd_u8(r, &crit);
		ike_rd_u16(r, &len);
		if (r->bad)
			return IKE_ERR_TRUNCATED;
		if (len < 4)
			return IKE_ERR_MALFORMED;
		if (!ike_rd_sub(r, len - 4u, &body))
			return IKE_ERR_TRUNCATED;
		if (type == IKE_SK) {
			/* RFC 7296 3.14: SK is the last payload; its next field names the first inner one. */
			if (!outer || r->left)
				return IKE_ERR_MALFORMED;
			m->has_sk = true;
			m->sk_first = next;
			/* sk_off is set by the caller: SK's body ends the datagram. */
			m->sk_len = body.left;
			return IKE_OK;
		}
		rc = decode_payload(type, crit, body, m);
		if (rc)
			return rc;
	}
	return r->left ? IKE_ERR_MALFORMED : IKE_OK;
}

int ike__msg_decode(const uint8_t *pkt, size_t len, ike__msg *m)
{
	ike_rd r = ike_rd_init(pkt, len);
	uint8_t ver;
	uint32_t mlen;
	int rc;

	memset(m, 0, sizeof *m);
	ike_rd_u64(&r, &m->spi_i);
	ike_rd_u64(&r, &m->spi_r);
	ike_rd_u8(&r, &m->first);
	ike_rd_u8(&r, &ver);
	ike_rd_u8(&r, &m->exch);
	ike_rd_u8(&r, &m->flags);
	ike_rd_u32(&r, &m->mid);
	ike_rd_u32(&r, &mlen);
	if (r.bad)
		return IKE_ERR_TRUNCATED;
	if (ver >> 4 != 2)
		return IKE_ERR_VERSION;
	if (mlen != len)
		return mlen > len ? IKE_ERR_TRUNCATED : IKE_ERR_MALFORMED;
	m->len = len;
	rc = decode_chain(&r, m->first, m, true);
	if (rc == IKE_OK && m->has_sk)
		m->sk_off = len - m->sk_len; /* SK is last: its body ends the datagram */
	return rc;
}

int ike__msg_decode_inner(const uint8_t *p, size_t len, uint8_t first, ike__msg *m)
{
	ike_rd r = ike_rd_init(p, len);

	return decode_chain(&r, first, m, false);
}

const ike__notify *ike__msg_notify(const ike__msg *m, uint16_t type)
{
	for (unsigned i = 0; i < m->n_notify; i++)
		if (m->n[i].type == type)
			return &m->n[i];
	return NULL;
}

const ike__notify *ike__msg_error(const ike__msg *m)
{
	for (unsigned i = 0; i < m->n_notify; i++)
		if (m->n[i].type <= IKE_NOTIFY_ERROR_MAX)
			return &m->n[i];
	return NULL;
}

/* ---- building ---- */

void ike__mb_begin_spi(ike__mb *b, uint64_t spi_i, uint64_t spi_r, uint8_t exch, uint8_t flags, uint32_t mid,
                       ike_sk_cipher *c)
{
	b->w = ike_wr_init(b->buf, sizeof b->buf);
	ike_wr_u64(&b->w, spi_i);
	ike_wr_u64(&b->w, spi_r);
	b->next_at = b->w.len;
	ike_wr_u8(&b->w, IKE_NONE);
	ike_wr_u8(&b->w, IKE_VERSION_2);
	ike_wr_u8(&b->w, exch);
	ike_wr_u8(&b->w, flags);
	ike_wr_u32(&b->w, mid);
	ike_wr_u32(&b->w, 0);
	b->c = c;
	b->sk_at = 0;
	b->iv_len = 0;
	if (c) {
		b->buf[b->next_at] = IKE_SK;
		b->sk_at = b->w.len;
		b->next_at = b->w.len;
		ike_wr_u8(&b->w, IKE_NONE);
		ike_wr_u8(&b->w, 0);
		ike_wr_u16(&b->w, 0);
		b->iv_len = ike_sk_iv_len(c);
		ike_wr_reserve(&b->w, b->iv_len);
	}
}

void ike__mb_begin(ike__mb *b, const ike_sa *sa, uint8_t exch, bool response, uint32_t mid, ike_sk_cipher *c)
{
	uint8_t flags =
	    (uint8_t)((sa->initiator ? IKE_FLAG_INITIATOR : 0) | (response ? IKE_FLAG_RESPONSE : 0));

	ike__mb_begin_spi(b, sa->spi_i, sa->spi_r, exch, flags, mid, c);
}

/* Starts a payload: links it from the previous one and writes a generic header.
 * Returns the offset of its length field. */
static size_t start_payload(ike__mb *b, uint8_t type)
{
	size_t at;

	if (b->w.bad)
		return SIZE_MAX;
	b->buf[b->next_at] = type;
	b->next_at = b->w.len;
	ike_wr_u8(&b->w, IKE_NONE);
	ike_wr_u8(&b->w, 0);
	at = ike_wr_mark16(&b->w);
	return at;
}

static void end_payload(ike__mb *b, size_t len_at)
{
	if (len_at != SIZE_MAX)
		ike_wr_patch16(&b->w, len_at, len_at - 2);
	else
		b->w.bad = true;
}

void ike__mb_notify(ike__mb *b, uint8_t proto, uint16_t type, ike_slice spi, ike_slice data)
{
	size_t at = start_payload(b, IKE_NOTIFY);

	ike_wr_u8(&b->w, proto);
	ike_wr_u8(&b->w, (uint8_t)spi.len);
	ike_wr_u16(&b->w, type);
	ike_wr_bytes(&b->w, spi.ptr, spi.len);
	ike_wr_bytes(&b->w, data.ptr, data.len);
	end_payload(b, at);
}

static void put_xf(ike__mb *b, bool last, uint8_t type, uint16_t id, uint16_t bits)
{
	ike_wr_u8(&b->w, last ? 0 : 3);
	ike_wr_u8(&b->w, 0);
	ike_wr_u16(&b->w, bits ? 12 : 8);
	ike_wr_u8(&b->w, type);
	ike_wr_u8(&b->w, 0);
	ike_wr_u16(&b->w, id);
	if (bits) {
		ike_wr_u16(&b->w, 0x8000 | IKE_ATTR_KEY_LENGTH);
		ike_wr_u16(&b->w, bits);
	}
}

static void put_prop(ike__mb *b, const ike__prop *p, bool last, uint8_t num, uint8_t proto,
                     const uint8_t *spi, uint8_t spi_len)
{
	size_t start = b->w.len, at;
	unsigned n = p->n_encr + p->n_integ + p->n_prf + p->n_dh + p->n_esn, k = 0;

	ike_wr_u8(&b->w, last ? 0 : 2);
	ike_wr_u8(&b->w, 0);
	at = ike_wr_mark16(&b->w);
	ike_wr_u8(&b->w, num);
	ike_wr_u8(&b->w, proto);
	ike_wr_u8(&b->w, spi_len);
	ike_wr_u8(&b->w, (uint8_t)n);
	ike_wr_bytes(&b->w, spi, spi_len);
	for (unsigned i = 0; i < p->n_encr; i++)
		put_xf(b, ++k == n, IKE_ENCR, p->encr[i], p->encr_bits[i]);
	for (unsigned i = 0; i < p->n_prf; i++)
		put_xf(b, ++k == n, IKE_PRF, p->prf[i], 0);
	for (unsigned i = 0; i < p->n_integ; i++)
		put_xf(b, ++k == n, IKE_INTEG, p->integ[i], 0);
	for (unsigned i = 0; i < p->n_dh; i++)
		put_xf(b, ++k == n, IKE_DH, p->dh[i], 0);
	for (unsigned i = 0; i < p->n_esn; i++)
		put_xf(b, ++k == n, IKE_ESN, p->esn[i], 0);
	ike_wr_patch16(&b->w, at, start);
}

void ike__mb_sa(ike__mb *b, const ike__prop_list *props, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
                uint8_t first_num)
{
	size_t at = start_payload(b, IKE_SA);

	for (unsigned i = 0; i < props->n; i++)
		put_prop(b, &props->p[i], i + 1 == props->n, (uint8_t)(first_num + i), proto, spi, spi_len);
	end_payload(b, at);
}

void ike__mb_sa_suite(ike__mb *b, const ike__suite *s, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
                      uint8_t num)
{
	ike__prop_list l;
	ike__prop *p = &l.p[0];

	memset(&l, 0, sizeof l);
	l.n = 1;
	p->encr[0] = s->encr;
	p->encr_bits[0] = s->encr_bits;
	p->n_encr = 1;
	if (s->integ)
		p->integ[p->n_integ++] = s->integ;
	if (s->prf)
		p->prf[p->n_prf++] = s->prf;
	if (s->dh)
		p->dh[p->n_dh++] = s->dh;
	if (proto == IKE_PROTO_ESP)
		p->esn[p->n_esn++] = s->esn;
	ike__mb_sa(b, &l, proto, spi, spi_len, num);
}

void ike__mb_ke(ike__mb *b, uint16_t group, ike_slice pub)
{
	size_t at = start_payload(b, IKE_KE);

	ike_wr_u16(&b->w, group);
	ike_wr_u16(&b->w, 0);
	ike_wr_bytes(&b->w, pub.ptr, pub.len);
	end_payload(b, at);
}

void ike__mb_nonce(ike__mb *b, ike_slice nonce)
{
	size_t at = start_payload(b, IKE_NONCE);

	ike_wr_bytes(&b->w, nonce.ptr, nonce.len);
	end_payload(b, at);
}

void ike__mb_id(ike__mb *b, uint8_t type, const ike_id *id)
{
	size_t at = start_payload(b, type);

	ike_wr_u8(&b->w, id->type);
	ike_wr_u8(&b->w, 0);
	ike_wr_u16(&b->w, 0);
	ike_wr_bytes(&b->w, id->data, id->len);
	end_payload(b, at);
}

void ike__mb_auth(ike__mb *b, uint8_t method, ike_slice data)
{
	size_t at = start_payload(b, IKE_AUTH);

	ike_wr_u8(&b->w, method);
	ike_wr_u8(&b->w, 0);
	ike_wr_u16(&b->w, 0);
	ike_wr_bytes(&b->w, data.ptr, data.len);
	end_payload(b, at);
}

void ike__mb_ts(ike__mb *b, uint8_t type, const ike_tsel_list *l)
{
	size_t at = start_payload(b, type);

	ike_wr_u8(&b->w, l->n);
	ike_wr_u8(&b->w, 0);
	ike_wr_u16(&b->w, 0);
	for (unsigned i = 0; i < l->n; i++) {
		const ike_tsel *t = &l->ts[i];
		size_t alen = t->family == IKE_AF_INET6 ? 16 : 4;
		ike_wr_u8(&b->w, t->family == IKE_AF_INET6 ? IKE_TS_IPV6_ADDR_RANGE : IKE_TS_IPV4_ADDR_RANGE);
		ike_wr_u8(&b->w, t->proto);
		ike_wr_u16(&b->w, (uint16_t)(8 + 2 * alen));
		ike_wr_u16(&b->w, t->port_lo);
		ike_wr_u16(&b->w, t->port_hi);
		ike_wr_bytes(&b->w, t->lo, alen);
		ike_wr_bytes(&b->w, t->hi, alen);
	}
	end_payload(b, at);
}

void ike__mb_delete(ike__mb *b, uint8_t proto, const uint32_t *spis, unsigned n)
{
	size_t at = start_payload(b, IKE_DELETE);

	ike_wr_u8(&b->w, proto);
	ike_wr_u8(&b->w, proto == IKE_PROTO_IKE ? 0 : 4);
	ike_wr_u16(&b->w, (uint16_t)n);
	for (unsigned i = 0; i < n; i++)
		ike_wr_u32(&b->w, spis[i]);
	end_payload(b, at);
}

int ike__mb_finish(ike__mb *b, const uint8_t **out, size_t *len)
{
	ike_sk_layout l;

	if (b->c) {
		size_t data_off = b->sk_at + 4 + b->iv_len;
		size_t inner = b->w.len - data_off;
		size_t pad = ike_sk_pad_len(b->c, inner);
		uint8_t *p = ike_wr_reserve(&b->w, pad + 1);
		if (p) {
			memset(p, 0, pad);
			p[pad] = (uint8_t)pad;
		}
		ike_wr_reserve(&b->w, ike_sk_icv_len(b->c));
		if (b->w.bad)
			return IKE_ERR_NOBUF;
		ike_put_u16(b->buf + b->sk_at + 2, (uint16_t)(b->w.len - b->sk_at));
		ike_put_u32(b->buf + 24, (uint32_t)b->w.len);
		l.aad_off = 0;
		l.aad_len = b->sk_at + 4;
		l.iv_off = b->sk_at + 4;
		l.data_off = data_off;
		l.data_len = inner + pad + 1;
		l.icv_off = data_off + l.data_len;
		if (ike_sk_encrypt(b->c, b->buf, b->w.len, &l) != IKE_OK)
			return IKE_ERR_CRYPTO;
	} else {
		if (b->w.bad)
			return IKE_ERR_NOBUF;
		ike_put_u32(b->buf + 24, (uint32_t)b->w.len);
	}
	*out = b->buf;
	*len = b->w.len;
	return IKE_OK;
}

/* ---- sending ---- */

int ike__send_request(ike_engine *e, ike_sa *sa, ike__mb *b, ike_ms now)
{
	const uint8_t *p;
	size_t len;
	int rc = ike__mb_finish(b, &p, &len);

	if (rc)
		return rc;
	ike_mem_free(e->mem, sa->req);
	sa->req = ike_mem_dup(e->mem, p, len);
	if (!sa->req)
		return IKE_ERR_NOMEM;
	sa->req_len = (uint32_t)len;
	sa->tries = 1;
	IKE_LOG(e, DEBUG, IKE, sa, "send %s request mid %u (%zu bytes)", ike_exchange_name(b->buf[18]),
	        sa->mid_out, len);
	(void)ike__call_send(e, sa, p, len);
	return ike__timers_request_sent(e, sa, now);
}

int ike__send_response(ike_engine *e, ike_sa *sa, ike__mb *b)
{
	const uint8_t *p;
	size_t len;
	int rc = ike__mb_finish(b, &p, &len);

	if (rc)
		return rc;
	ike_mem_free(e->mem, sa->resp);
	sa->resp = ike_mem_dup(e->mem, p, len);
	sa->have_resp = sa->resp != NULL;
	sa->resp_len = (uint32_t)len;
	sa->resp_mid = ike_get_u32(p + 20);
	IKE_LOG(e, DEBUG, IKE, sa, "send %s response mid %u (%zu bytes)", ike_exchange_name(b->buf[18]),
	        sa->resp_mid, len);
	(void)ike__call_send(e, sa, p, len);
	return sa->resp ? IKE_OK : IKE_ERR_NOMEM;
}

int ike__xchg_new(ike_engine *e, ike_sa *sa, uint8_t type)
{
	ike__xchg_free(e, sa);
	sa->x = ike_mem_calloc(e->mem, 1, sizeof *sa->x);
	if (!sa->x)
		return IKE_ERR_NOMEM;
	sa->x->type = type;
	return IKE_OK;
}

/* ---- receiving ---- */

/* Verifies and decrypts the SK payload into buf, then decodes the inner payloads. */
static int open_sk(ike_engine *e, ike_sa *sa, const uint8_t *pkt, ike__msg *m, uint8_t *buf)
{
	ike_sk_cipher *c = sa->keys ? sa->keys->in : NULL;
	ike_sk_layout l;
	size_t iv, icv, pad;
	int rc;

	(void)e;
	if (!c)
		return IKE_ERR_STATE;
	if (!m->has_sk)
		return IKE_ERR_MALFORMED;
	iv = ike_sk_iv_len(c);
	icv = ike_sk_icv_len(c);
	if (m->sk_len < iv + icv + 1)
		return IKE_ERR_MALFORMED;
	memcpy(buf, pkt, m->len);
	l.aad_off = 0;
	l.aad_len = m->sk_off;
	l.iv_off = m->sk_off;
	l.data_off = m->sk_off + iv;
	l.data_len = m->sk_len - iv - icv;
	l.icv_off = l.data_off + l.data_len;
	rc = ike_sk_decrypt(c, buf, m->len, &l);
	if (rc)
		return rc == IKE_ERR_INTEGRITY ? rc : IKE_ERR_MALFORMED;
	pad = buf[l.data_off + l.data_len - 1];
	if (pad + 1 > l.data_len)
		return IKE_ERR_MALFORMED;
	return ike__msg_decode_inner(buf + l.data_off, l.data_len - pad - 1, m->sk_first, m);
}

static int send_notify_unprotected(ike_engine *e, const ike_path *path, const ike__msg *m, uint16_t type)
{
	ike__mb b;
	const uint8_t *p;
	size_t len;

	ike__mb_begin_spi(&b, m->spi_i, m->spi_r, m->exch, IKE_FLAG_RESPONSE, m->mid, NULL);
	ike__mb_notify(&b, 0, type, (ike_slice){NULL, 0}, (ike_slice){NULL, 0});
	if (ike__mb_finish(&b, &p, &len) == IKE_OK)
		(void)ike__call_send_path(e, path, p, len);
	return IKE_OK;
}

#define INVSPI_PER_S 20

static bool invspi_allowed(ike_engine *e, ike_ms now)
{
	if (now >= e->invspi_window + 1000) {
		e->invspi_window = now;
		e->invspi_in_window = 0;
	}
	return e->invspi_in_window++ < INVSPI_PER_S;
}

static int recv_request(ike_engine *e, ike_sa *sa, const ike_path *path, const uint8_t *pkt, ike__msg *m,
                        uint8_t *buf, ike_ms now)
{
	int rc;

	if (sa->state == SA_DEAD)
		return ike__drop(e, sa, path, IKE_ERR_UNKNOWN_SPI, "SA is gone");
	/* RFC 7296 2.2: a retransmitted request gets the cached response, once per
	 * copy, without being processed again. */
	if (sa->have_resp && m->mid == sa->resp_mid && m->mid + 1 == sa->mid_in) {
		if ((rc = open_sk(e, sa, pkt, m, buf)) != IKE_OK)
			return ike__drop(e, sa, path, rc, NULL);
		(void)ike__call_send(e, sa, sa->resp, sa->resp_len);
		return ike__drop(e, sa, path, IKE_ERR_RETRANSMIT,
		                 "retransmitted request, cached response sent");
	}
	if (m->mid != sa->mid_in)
		return ike__drop(e, sa, path, IKE_ERR_BAD_MID, NULL);
	if ((rc = open_sk(e, sa, pkt, m, buf)) != IKE_OK)
		return ike__drop(e, sa, path, rc, NULL);
	if (m->unknown_critical) {
		ike__mb b;
		uint8_t t = m->unknown_critical;
		sa->mid_in++;
		ike__mb_begin(&b, sa, m->exch, true, m->mid, sa->keys->out);
		ike__mb_notify(&b, 0, IKE_UNSUPPORTED_CRITICAL_PAYLOAD, (ike_slice){NULL, 0},
		               IKE_SLICE(&t, 1));
		(void)ike__send_response(e, sa, &b);
		return ike__drop(e, sa, path, IKE_ERR_CRITICAL, NULL);
	}
	sa->mid_in++;
	/* RFC 7296 2.23: the responder follows the initiator's address, on
	 * authenticated messages only. */
	if (!sa->initiator &&
	    (!ike_addr_eq(&sa->path.remote, &path->remote) || !ike_addr_eq(&sa->path.local, &path->local))) {
		char a[IKE_ADDR_STRLEN];
		ike_event ev;
		IKE_LOG(e, INFO, IKE, sa, "peer moved to %s", ike_addr_str(&path->remote, a, sizeof a));
		sa->path = *path;
		if (sa->peer.mediation_server)
			sa->me_ep_moved = true;
		if (sa->state == SA_ESTABLISHED) {
			memset(&ev, 0, sizeof ev);
			ev.type = IKE_EV_PATH_CHANGED;
			ev.sa = ike__sa_ref(e, sa);
			ev.name = sa->peer.name ? sa->peer.name : "";
			ev.u.path_changed.path = *path;
			ike__emit(e, &ev);
		}
	}
	(void)ike__timers_authenticated_rx(e, sa, now);
	switch (m->exch) {
	case IKE_IKE_AUTH:
		if (sa->state != SA_R_INIT)
			return ike__drop(e, sa, path, IKE_ERR_STATE, "IKE_AUTH after the SA is up");
		return ike__auth_recv_request(e, sa, m, now);
	case IKE_INFORMATIONAL:
		return ike__info_recv_request(e, sa, m, now);
	case IKE_CREATE_CHILD_SA:
		return ike__child_recv_request(e, sa, m, now);
	case IKE_ME_CONNECT:
		return ike__me_recv_request(e, sa, m, now);
	default:
		return ike__drop(e, sa, path, IKE_ERR_UNSUPPORTED, "exchange not supported");
	}
}

static int recv_response(ike_engine *e, ike_sa *sa, const ike_path *path, const uint8_t *pkt, ike__msg *m,
                         uint8_t *buf, ike_ms now)
{
	int rc;

	if (!sa->req || m->mid != sa->mid_out)
		return ike__drop(e, sa, path, IKE_ERR_BAD_MID, "response to no outstanding request");
	if (!m->has_sk && ike__msg_notify(m, IKE_INVALID_IKE_SPI)) {
		/* RFC 7296 2.21.4: unprotected, so only a hint (the peer may have
		 * restarted and forgotten the SA): reported, no state changes. */
		ike_event ev;
		memset(&ev, 0, sizeof ev);
		ev.type = IKE_EV_PEER_LOST_SA;
		ev.sa = ike__sa_ref(e, sa);
		ev.name = sa->peer.name ? sa->peer.name : "";
		ev.u.lost_sa.path = *path;
		ike__emit(e, &ev);
		return ike__drop(e, sa, path, IKE_ERR_UNKNOWN_SPI, "peer answered INVALID_IKE_SPI (hint)");
	}
	if ((rc = open_sk(e, sa, pkt, m, buf)) != IKE_OK)
		return ike__drop(e, sa, path, rc, NULL);
	if (m->exch != sa->req[18])
		return ike__drop(e, sa, path, IKE_ERR_MALFORMED, "response of another exchange type");
	ike_mem_free(e->mem, sa->req);
	sa->req = NULL;
	sa->mid_out++;
	ike__timers_response_received(e, sa);
	(void)ike__timers_authenticated_rx(e, sa, now);
	switch (m->exch) {
	case IKE_IKE_AUTH:
		return ike__auth_recv_response(e, sa, m, now);
	case IKE_INFORMATIONAL:
		return ike__info_recv_response(e, sa, m, now);
	case IKE_CREATE_CHILD_SA:
		return ike__child_recv_response(e, sa, m, now);
	case IKE_ME_CONNECT:
		return ike__me_recv_response(e, sa, m, now);
	default:
		return IKE_OK;
	}
}

int ike__msg_recv(ike_engine *e, const ike_path *path, const uint8_t *pkt, size_t len, ike_ms now)
{
	ike__msg m;
	uint8_t buf[MSG_MAX];
	bool response;
	ike_sa *sa;
	int rc;

	if (len > MSG_MAX)
		return ike__drop(e, NULL, path, IKE_ERR_LIMIT, "datagram too large");
	rc = ike__msg_decode(pkt, len, &m);
	if (rc == IKE_ERR_VERSION && len >= 28 && !(pkt[19] & IKE_FLAG_RESPONSE)) {
		ike__msg h;
		memset(&h, 0, sizeof h);
		h.spi_i = ike_get_u32(pkt) * 0x100000000ULL + ike_get_u32(pkt + 4);
		h.spi_r = ike_get_u32(pkt + 8) * 0x100000000ULL + ike_get_u32(pkt + 12);
		h.exch = pkt[18];
		h.mid = ike_get_u32(pkt + 20);
		(void)send_notify_unprotected(e, path, &h, IKE_INVALID_MAJOR_VERSION);
	}
	if (rc)
		return ike__drop(e, NULL, path, rc, NULL);
	response = m.flags & IKE_FLAG_RESPONSE;
	if (m.exch == IKE_IKE_SA_INIT) {
		if (!response)
			return ike__init_recv_request(e, path, pkt, &m, now);
		sa = ike__sa_find_local(e, m.spi_i);
		if (!sa || !sa->initiator)
			return ike__drop(e, NULL, path, IKE_ERR_UNKNOWN_SPI, NULL);
		if (m.unknown_critical)
			return ike__drop(e, sa, path, IKE_ERR_CRITICAL, NULL);
		return ike__init_recv_response(e, sa, pkt, &m, now);
	}
	/* The I flag says whether the sender is the original initiator, so which
	 * SPI is ours (RFC 7296 3.1). */
	sa = ike__sa_find_local(e, (m.flags & IKE_FLAG_INITIATOR) ? m.spi_r : m.spi_i);
	if (!sa || sa->spi_i != m.spi_i || sa->spi_r != m.spi_r ||
	    sa->initiator == !!(m.flags & IKE_FLAG_INITIATOR)) {
		/* RFC 7296 2.21.4: a request for an SA we do not know (we may have
		 * restarted) may get an unprotected INVALID_IKE_SPI, rate-limited;
		 * a response never gets an answer. */
		if (!response && m.spi_r != 0 && invspi_allowed(e, now))
			(void)send_notify_unprotected(e, path, &m, IKE_INVALID_IKE_SPI);
		return ike__drop(e, NULL, path, IKE_ERR_UNKNOWN_SPI, NULL);
	}
	if (response)
		return recv_response(e, sa, path, pkt, &m, buf, now);
	return recv_request(e, sa, path, pkt, &m, buf, now);
}
