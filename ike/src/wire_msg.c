/* SPDX-License-Identifier: MIT */
/*
 * The IKE header, the generic payload chain, the SK/SKF layout and the message
 * builder (RFC 7296 3.1, 3.2, 3.14; RFC 7383 2.5).
 *
 * IKE header (RFC 7296 3.1):
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Generic payload header (RFC 7296 3.2):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Encrypted payload (RFC 7296 3.14), always the last of the outer chain; its
 * Next Payload is the type of the first inner payload:
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * |                     Initialization Vector                     |
 * ~                    Encrypted IKE Payloads                     ~
 * |               |             Padding (0-255 octets)            |
 * |                                               |  Pad Length   |
 * ~                    Integrity Checksum Data                    ~
 * The Encrypted Fragment payload (RFC 7383 2.5) adds after the generic header
 * | Fragment Number (2)           | Total Fragments (2)           |
 * and those 4 bytes are part of the associated data.
 */
#include <stdio.h>
#include <string.h>

#include "wire_int.h"

bool ike_wire_known_payload(uint8_t type)
{
	return (type >= IKE_SA && type <= IKE_EAP) || type == IKE_SKF;
}

const ike_pld *ike_pld_find(const ike_pld_list *l, uint8_t type, const ike_pld *after)
{
	unsigned i = 0;

	if (after) {
		if (after < l->p || after >= l->p + l->n)
			return NULL;
		i = (unsigned)(after - l->p) + 1;
	}
	for (; i < l->n; i++)
		if (l->p[i].type == type)
			return &l->p[i];
	return NULL;
}

const ike_pld *ike_pld_find_notify(const ike_pld_list *l, uint16_t type, const ike_pld *after,
                                   ike_notify_pld *out)
{
	for (const ike_pld *p = ike_pld_find(l, IKE_NOTIFY, after); p; p = ike_pld_find(l, IKE_NOTIFY, p))
		if (ike_notify_decode(p->body, out, NULL) == IKE_OK && out->type == type)
			return p;
	return NULL;
}

const char *ike_wire_err_str(int code, const ike_wire_err *err, size_t base, char *buf, size_t len)
{
	const char *name = ike_err_name(code);

	if (!len)
		return buf;
	if (strncmp(name, "IKE_ERR_", 8) == 0)
		name += 8;
	if (!err || !err->field)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s in %s at byte %zu: %s", name,
		         err->payload ? ike_payload_name(err->payload) : "header", base + err->offset,
		         err->field);
	return buf;
}

int ike_hdr_decode(const uint8_t *pkt, size_t len, ike_hdr *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(pkt, len);

	memset(out, 0, sizeof *out);
	if (len < IKE_WIRE_HDR_LEN)
		return wire_fail(err, IKE_ERR_TRUNCATED, len, "IKE header", 0);
	ike_rd_u64(&r, &out->spi_i);
	ike_rd_u64(&r, &out->spi_r);
	ike_rd_u8(&r, &out->next);
	ike_rd_u8(&r, &out->version);
	ike_rd_u8(&r, &out->exchange);
	ike_rd_u8(&r, &out->flags);
	ike_rd_u32(&r, &out->mid);
	ike_rd_u32(&r, &out->length);
	/* RFC 7296 2.5: the version is checked first so the engine can answer
	 * INVALID_MAJOR_VERSION whatever the rest says. */
	if ((out->version >> 4) != 2)
		return wire_fail(err, IKE_ERR_VERSION, 17, "major version", 0);
	if (out->length < IKE_WIRE_HDR_LEN)
		return wire_fail(err, IKE_ERR_MALFORMED, 24, "message length below header size", 0);
	if (out->length > len)
		return wire_fail(err, IKE_ERR_TRUNCATED, 24, "message length beyond datagram", 0);
	if (out->length < len)
		return wire_fail(err, IKE_ERR_MALFORMED, 24, "message length short of datagram", 0);
	return IKE_OK;
}

int ike_hdr_encode(ike_wr *w, const ike_hdr *h)
{
	ike_wr_u64(w, h->spi_i);
	ike_wr_u64(w, h->spi_r);
	ike_wr_u8(w, h->next);
	ike_wr_u8(w, h->version);
	ike_wr_u8(w, h->exchange);
	ike_wr_u8(w, h->flags);
	ike_wr_u32(w, h->mid);
	ike_wr_u32(w, h->length);
	return wire_wr_status(w);
}

/* Decodes the chain in [start, len) of base, starting with type first. With
 * outer, an SK/SKF payload ends the chain and fills *sk. */
static int decode_chain(const uint8_t *base, size_t len, size_t start, uint8_t first, bool outer,
                        ike_pld_list *out, ike_sk_view *sk, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(base + start, len - start);
	uint8_t type = first;

	out->n = 0;
	while (type != IKE_NONE) {
		size_t off = len - r.left;
		uint8_t next, flags;
		uint16_t plen;
		ike_slice body;
		ike_pld *p;

		if (out->n == IKE_WIRE_MAX_PAYLOADS)
			return wire_fail(err, IKE_ERR_LIMIT, off, "payload count", type);
		if (r.left < IKE_WIRE_PLD_HDR_LEN)
			return wire_fail(err, IKE_ERR_TRUNCATED, off, "generic payload header", type);
		ike_rd_u8(&r, &next);
		ike_rd_u8(&r, &flags);
		ike_rd_u16(&r, &plen);
		if (plen < IKE_WIRE_PLD_HDR_LEN)
			return wire_fail(err, IKE_ERR_MALFORMED, off + 2, "payload length below 4", type);
		if ((size_t)plen - IKE_WIRE_PLD_HDR_LEN > r.left)
			return wire_fail(err, IKE_ERR_TRUNCATED, off + 2, "payload length beyond message",
			                 type);
		ike_rd_bytes(&r, (size_t)plen - IKE_WIRE_PLD_HDR_LEN, &body);
		if (!ike_wire_known_payload(type) && (flags & IKE_PAYLOAD_CRITICAL))
			return wire_fail(err, IKE_ERR_CRITICAL, off, "unsupported critical payload", type);
		p = &out->p[out->n++];
		*p = (ike_pld){.type = type,
		               .flags = flags,
		               .critical = (flags & IKE_PAYLOAD_CRITICAL) != 0,
		               .known = ike_wire_known_payload(type),
		               .body = body,
		               .hdr_off = off,
		               .body_off = off + IKE_WIRE_PLD_HDR_LEN};
		if (type == IKE_SK || type == IKE_SKF) {
			if (!outer)
				return wire_fail(err, IKE_ERR_MALFORMED, off,
				                 "encrypted payload inside encrypted payload", type);
			if (r.left)
				return wire_fail(err, IKE_ERR_MALFORMED, off + plen,
				                 "bytes after encrypted payload", type);
			*sk = (ike_sk_view){
			    .present = true, .type = type, .first = next, .hdr_off = off, .body = body};
			if (type == IKE_SKF) {
				ike_rd fr = ike_rd_init(body.ptr, body.len);
				ike_rd_u16(&fr, &sk->frag_num);
				ike_rd_u16(&fr, &sk->frag_total);
				if (fr.bad)
					return wire_fail(err, IKE_ERR_TRUNCATED, off + 4, "fragment number",
					                 type);
				if (sk->frag_num == 0 || sk->frag_total == 0 || sk->frag_num > sk->frag_total)
					return wire_fail(err, IKE_ERR_MALFORMED, off + 4, "fragment number",
					                 type);
				sk->body = ike_rd_rest(&fr);
			}
			return IKE_OK;
		}
		type = next;
	}
	if (r.left)
		return wire_fail(err, IKE_ERR_MALFORMED, len - r.left, "bytes after last payload", 0);
	return IKE_OK;
}

int ike_wire_decode(const uint8_t *pkt, size_t len, ike_msg *out, ike_wire_err *err)
{
	int rc;

	out->pl.n = 0;
	out->inner.n = 0;
	out->sk = (ike_sk_view){0};
	out->raw = (ike_slice){pkt, len};
	rc = ike_hdr_decode(pkt, len, &out->hdr, err);
	if (rc)
		return rc;
	return decode_chain(pkt, len, IKE_WIRE_HDR_LEN, out->hdr.next, true, &out->pl, &out->sk, err);
}

int ike_wire_decode_chain(const uint8_t *p, size_t len, uint8_t first, ike_pld_list *out, ike_wire_err *err)
{
	ike_sk_view unused;

	return decode_chain(p, len, 0, first, false, out, &unused, err);
}

int ike_wire_decode_inner(ike_msg *m, const uint8_t *data, size_t data_len, ike_wire_err *err)
{
	size_t pad;

	m->inner.n = 0;
	if (!m->sk.present)
		return wire_fail(err, IKE_ERR_STATE, 0, "no encrypted payload", 0);
	if (data_len == 0)
		return wire_fail(err, IKE_ERR_MALFORMED, 0, "pad length", IKE_SK);
	pad = data[data_len - 1];
	if (pad + 1 > data_len)
		return wire_fail(err, IKE_ERR_MALFORMED, data_len - 1, "pad length", IKE_SK);
	return ike_wire_decode_chain(data, data_len - pad - 1, m->sk.first, &m->inner, err);
}

int ike_wire_sk_layout(const ike_msg *m, size_t iv_len, size_t block_len, size_t icv_len, ike_sk_layout *out,
                       ike_wire_err *err)
{
	const ike_sk_view *sk = &m->sk;
	size_t data_len;

	if (!sk->present)
		return wire_fail(err, IKE_ERR_STATE, 0, "no encrypted payload", 0);
	if (block_len == 0)
		return wire_fail(err, IKE_ERR_INVAL, 0, "block length", sk->type);
	if (iv_len > sk->body.len || icv_len > sk->body.len - iv_len || sk->body.len - iv_len - icv_len < 1)
		return wire_fail(err, IKE_ERR_TRUNCATED, sk->hdr_off + 2,
		                 "encrypted payload shorter than IV and ICV", sk->type);
	data_len = sk->body.len - iv_len - icv_len;
	if (data_len % block_len)
		return wire_fail(err, IKE_ERR_MALFORMED, sk->hdr_off + 2,
		                 "ciphertext not a multiple of the block size", sk->type);
	out->aad_off = 0;
	out->aad_len = (size_t)(sk->body.ptr - m->raw.ptr);
	out->iv_off = out->aad_len;
	out->data_off = out->iv_off + iv_len;
	out->data_len = data_len;
	out->icv_off = out->data_off + data_len;
	return IKE_OK;
}

/* ---- builder ---- */

enum { PH_OUTER, PH_SK, PH_SEALED, PH_DONE };

static int mb_err(ike_msg_builder *b, int rc)
{
	if (rc && !b->err)
		b->err = rc;
	return b->err ? b->err : rc;
}

void ike_mb_init(ike_msg_builder *b, uint8_t *buf, size_t cap, const ike_hdr *hdr)
{
	ike_hdr h = *hdr;

	*b = (ike_msg_builder){.w = ike_wr_init(buf, cap),
	                       .next_at = 16,
	                       .open_at = SIZE_MAX,
	                       .sk_at = SIZE_MAX,
	                       .phase = PH_OUTER};
	h.next = 0;
	h.length = 0;
	if (ike_hdr_encode(&b->w, &h))
		b->err = IKE_ERR_NOBUF;
}

/* Writes a generic payload header for type, chained from the previous one. */
static int start_payload(ike_msg_builder *b, uint8_t type, uint8_t flags, uint8_t next)
{
	size_t at;

	if (b->n >= IKE_WIRE_MAX_PAYLOADS)
		return mb_err(b, IKE_ERR_LIMIT);
	at = b->w.len;
	ike_wr_u8(&b->w, next);
	ike_wr_u8(&b->w, flags);
	ike_wr_u16(&b->w, 0);
	if (b->w.bad)
		return mb_err(b, IKE_ERR_NOBUF);
	b->w.base[b->next_at] = type;
	b->next_at = at;
	b->open_at = at;
	b->n++;
	return IKE_OK;
}

int ike_mb_open(ike_msg_builder *b, uint8_t type, uint8_t flags, ike_wr **body)
{
	*body = &b->w;
	if (b->err)
		return b->err;
	if (b->open_at != SIZE_MAX || (b->phase != PH_OUTER && b->phase != PH_SK) || type == IKE_SK ||
	    type == IKE_SKF)
		return mb_err(b, IKE_ERR_STATE);
	return start_payload(b, type, flags, 0);
}

int ike_mb_close(ike_msg_builder *b)
{
	size_t at = b->open_at;

	if (b->err)
		return b->err;
	if (at == SIZE_MAX)
		return mb_err(b, IKE_ERR_STATE);
	b->open_at = SIZE_MAX;
	if (b->w.bad || !ike_wr_patch16(&b->w, at + 2, at))
		return mb_err(b, IKE_ERR_NOBUF);
	return IKE_OK;
}

int ike_mb_add_raw(ike_msg_builder *b, uint8_t type, uint8_t flags, ike_slice body)
{
	ike_wr *w;
	int rc = ike_mb_open(b, type, flags, &w);

	if (rc)
		return rc;
	ike_wr_bytes(w, body.ptr, body.len);
	return ike_mb_close(b);
}

/* ike_mb_open, an encoder's result, ike_mb_close; an encoder error is sticky. */
static int close_with(ike_msg_builder *b, int rc)
{
	if (rc) {
		b->open_at = SIZE_MAX;
		return mb_err(b, rc);
	}
	return ike_mb_close(b);
}

#define MB_ADD(b, type, call)                                                                                \
	do {                                                                                                 \
		ike_wr *w_;                                                                                  \
		int rc_ = ike_mb_open((b), (type), 0, &w_);                                                  \
		if (rc_)                                                                                     \
			return rc_;                                                                          \
		return close_with((b), call);                                                                \
	} while (0)

int ike_mb_add_sa(ike_msg_builder *b, const ike_sa_pld *sa)
{
	MB_ADD(b, IKE_SA, ike_sa_encode(w_, sa));
}

int ike_mb_add_ke(ike_msg_builder *b, const ike_ke_pld *ke)
{
	MB_ADD(b, IKE_KE, ike_ke_encode(w_, ke));
}

int ike_mb_add_id(ike_msg_builder *b, uint8_t id_type, const ike_id_pld *id)
{
	if (id_type != IKE_IDI && id_type != IKE_IDR)
		return mb_err(b, IKE_ERR_INVAL);
	MB_ADD(b, id_type, ike_id_encode(w_, id));
}

int ike_mb_add_cert(ike_msg_builder *b, uint8_t cert_type, const ike_cert_pld *c)
{
	if (cert_type == IKE_CERT)
		MB_ADD(b, IKE_CERT, ike_cert_encode(w_, c));
	if (cert_type == IKE_CERTREQ)
		MB_ADD(b, IKE_CERTREQ, ike_certreq_encode(w_, c));
	return mb_err(b, IKE_ERR_INVAL);
}

int ike_mb_add_auth(ike_msg_builder *b, const ike_auth_pld *a)
{
	MB_ADD(b, IKE_AUTH, ike_auth_encode(w_, a));
}

int ike_mb_add_nonce(ike_msg_builder *b, ike_slice nonce)
{
	MB_ADD(b, IKE_NONCE, ike_nonce_encode(w_, nonce));
}

int ike_mb_add_notify(ike_msg_builder *b, const ike_notify_pld *n)
{
	MB_ADD(b, IKE_NOTIFY, ike_notify_encode(w_, n));
}

int ike_mb_add_notify_simple(ike_msg_builder *b, uint16_t type, ike_slice data)
{
	ike_notify_pld n = {.proto = 0, .spi = {NULL, 0}, .type = type, .data = data};

	return ike_mb_add_notify(b, &n);
}

int ike_mb_add_me_endpoint(ike_msg_builder *b, const ike_me_endpoint *ep)
{
	uint8_t buf[32];
	ike_wr w = ike_wr_init(buf, sizeof buf);
	int rc = ike_me_endpoint_encode(&w, ep);

	if (rc)
		return mb_err(b, rc);
	return ike_mb_add_notify_simple(b, IKE_ME_ENDPOINT, (ike_slice){buf, w.len});
}

int ike_mb_add_delete(ike_msg_builder *b, const ike_delete_pld *d)
{
	MB_ADD(b, IKE_DELETE, ike_delete_encode(w_, d));
}

int ike_mb_add_vendor(ike_msg_builder *b, ike_slice vid)
{
	MB_ADD(b, IKE_VENDOR, ike_vendor_encode(w_, vid));
}

int ike_mb_add_ts(ike_msg_builder *b, uint8_t ts_type, const ike_ts_pld *ts)
{
	if (ts_type != IKE_TSI && ts_type != IKE_TSR)
		return mb_err(b, IKE_ERR_INVAL);
	MB_ADD(b, ts_type, ike_ts_encode(w_, ts));
}

int ike_mb_add_cp(ike_msg_builder *b, const ike_cp_pld *cp)
{
	MB_ADD(b, IKE_CP, ike_cp_encode(w_, cp));
}

int ike_mb_add_eap(ike_msg_builder *b, ike_slice eap)
{
	MB_ADD(b, IKE_EAP, ike_eap_encode(w_, eap));
}

static int begin_encrypted(ike_msg_builder *b, uint8_t type, uint16_t num, uint16_t total, size_t iv_len)
{
	uint8_t *iv;
	int rc;

	if (b->err)
		return b->err;
	if (b->open_at != SIZE_MAX || b->phase != PH_OUTER)
		return mb_err(b, IKE_ERR_STATE);
	rc = start_payload(b, type, 0, 0);
	if (rc)
		return rc;
	b->sk_at = b->open_at;
	b->open_at = SIZE_MAX;
	b->sk_hdr_len = IKE_WIRE_PLD_HDR_LEN;
	if (type == IKE_SKF) {
		ike_wr_u16(&b->w, num);
		ike_wr_u16(&b->w, total);
		b->sk_hdr_len += 4;
	}
	iv = ike_wr_reserve(&b->w, iv_len);
	if (!iv)
		return mb_err(b, IKE_ERR_NOBUF);
	memset(iv, 0, iv_len);
	b->sk_iv_len = iv_len;
	b->next_at = b->sk_at; /* the SK's Next Payload names the first inner payload */
	b->n = 0;
	b->phase = PH_SK;
	return IKE_OK;
}

int ike_mb_begin_sk(ike_msg_builder *b, size_t iv_len)
{
	return begin_encrypted(b, IKE_SK, 0, 0, iv_len);
}

int ike_mb_begin_skf(ike_msg_builder *b, uint16_t num, uint16_t total, size_t iv_len)
{
	if (num == 0 || total == 0 || num > total)
		return mb_err(b, IKE_ERR_INVAL);
	return begin_encrypted(b, IKE_SKF, num, total, iv_len);
}

static int patch_msg_len(ike_msg_builder *b)
{
	if (b->w.bad || b->w.len > UINT32_MAX)
		return mb_err(b, IKE_ERR_NOBUF);
	ike_put_u32(b->w.base + 24, (uint32_t)b->w.len);
	return IKE_OK;
}

int ike_mb_finish_sk(ike_msg_builder *b, size_t block_len, size_t icv_len, ike_sk_layout *layout,
                     size_t *msg_len)
{
	size_t data_off, inner, pad;
	uint8_t *p;

	if (b->err)
		return b->err;
	if (b->phase != PH_SK || b->open_at != SIZE_MAX)
		return mb_err(b, IKE_ERR_STATE);
	if (block_len == 0 || block_len > 256)
		return mb_err(b, IKE_ERR_INVAL);
	data_off = b->sk_at + b->sk_hdr_len + b->sk_iv_len;
	inner = b->w.len - data_off;
	/* RFC 7296 3.14: payloads | padding | pad length byte fill whole blocks. */
	pad = (block_len - (inner + 1) % block_len) % block_len;
	p = ike_wr_reserve(&b->w, pad + 1 + icv_len);
	if (!p)
		return mb_err(b, IKE_ERR_NOBUF);
	memset(p, 0, pad + 1 + icv_len);
	p[pad] = (uint8_t)pad;
	if (!ike_wr_patch16(&b->w, b->sk_at + 2, b->sk_at))
		return mb_err(b, IKE_ERR_NOBUF);
	if (patch_msg_len(b))
		return b->err;
	*layout = (ike_sk_layout){.aad_off = 0,
	                          .aad_len = b->sk_at + b->sk_hdr_len,
	                          .iv_off = b->sk_at + b->sk_hdr_len,
	                          .data_off = data_off,
	                          .data_len = inner + pad + 1,
	                          .icv_off = data_off + inner + pad + 1};
	*msg_len = b->w.len;
	b->phase = PH_DONE;
	return IKE_OK;
}

/* An already protected SK or SKF payload (body including SKF's fragment fields). */
static int add_sealed(ike_msg_builder *b, uint8_t type, uint8_t flags, uint8_t first, ike_slice body)
{
	int rc;

	if (b->err)
		return b->err;
	if (b->open_at != SIZE_MAX || b->phase != PH_OUTER)
		return mb_err(b, IKE_ERR_STATE);
	rc = start_payload(b, type, flags, first);
	if (rc)
		return rc;
	ike_wr_bytes(&b->w, body.ptr, body.len);
	rc = ike_mb_close(b);
	if (rc)
		return rc;
	b->next_at = SIZE_MAX;
	b->phase = PH_SEALED;
	return IKE_OK;
}

int ike_mb_add_sk_raw(ike_msg_builder *b, uint8_t first, ike_slice body)
{
	return add_sealed(b, IKE_SK, 0, first, body);
}

int ike_mb_finish(ike_msg_builder *b, size_t *msg_len)
{
	if (b->err)
		return b->err;
	if (b->open_at != SIZE_MAX || (b->phase != PH_OUTER && b->phase != PH_SEALED))
		return mb_err(b, IKE_ERR_STATE);
	if (patch_msg_len(b))
		return b->err;
	*msg_len = b->w.len;
	b->phase = PH_DONE;
	return IKE_OK;
}

int ike_wire_reencode(const ike_msg *m, uint8_t *buf, size_t cap, size_t *len)
{
	ike_msg_builder b;
	int rc = IKE_OK;

	ike_mb_init(&b, buf, cap, &m->hdr);
	for (unsigned i = 0; i < m->pl.n && !rc; i++) {
		const ike_pld *p = &m->pl.p[i];
		if (p->type == IKE_SK || p->type == IKE_SKF)
			rc = add_sealed(&b, p->type, p->flags, m->sk.first, p->body);
		else
			rc = ike_mb_add_raw(&b, p->type, p->flags, p->body);
	}
	if (rc)
		return rc;
	return ike_mb_finish(&b, len);
}
