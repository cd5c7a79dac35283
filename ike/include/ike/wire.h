/* SPDX-License-Identifier: MIT */
/*
 * ike/wire.h - the IKEv2 wire codec (RFC 7296 section 3, RFC 7383 SKF, and the
 * mediation extension's ME_ENDPOINT data). Library ike_wire. Sans-IO, no
 * allocation, no policy: it turns bytes into views and values into bytes.
 *
 * Phases (see docs/wire.md):
 *   1. ike_wire_decode(): the header and the outer payload chain of a datagram
 *      (without the non-ESP marker) into an ike_msg of borrowed views.
 *   2. For a protected message: ike_wire_sk_layout() gives the offsets the
 *      crypto layer needs (ike_sk_layout from ike/crypto.h); after decryption
 *      ike_wire_decode_inner() decodes the plaintext chain.
 *   3. Typed decoders ike_<payload>_decode() turn one payload body into values.
 * Encoding: ike_<payload>_encode() writes one payload body into an ike_wr;
 * ike_msg_builder writes a whole message (header, chained payloads, optional SK
 * payload with room for IV, padding and ICV) and patches every length.
 *
 * Ownership: every pointer argument is borrowed for the call. Decoded structs
 * hold ike_slice views into the input bytes: they are valid as long as those
 * bytes are. Nothing here allocates or keeps state between calls; every
 * function is reentrant and may be called from any callback.
 *
 * Errors: IKE_ERR_TRUNCATED (a length field claims more bytes than there are),
 * IKE_ERR_MALFORMED (a field has a value the RFC forbids), IKE_ERR_VERSION
 * (major version not 2), IKE_ERR_CRITICAL (unknown payload with the critical
 * bit), IKE_ERR_LIMIT (more items than the fixed arrays below hold),
 * IKE_ERR_NOBUF (encoder: buffer full), IKE_ERR_INVAL (encoder: a value that
 * cannot be encoded), IKE_ERR_STATE (builder used out of order). Decoders fill
 * an optional ike_wire_err (may be NULL) saying where and which field.
 */
#ifndef IKE_WIRE_H
#define IKE_WIRE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/buf.h"
#include "ike/crypto.h" /* ike_sk_layout (a plain struct; ike_wire does not link ike_crypto) */
#include "ike/err.h"
#include "ike/iana.h"
#include "ike/types.h"

/* ---- limits ----------------------------------------------------------------- */

#define IKE_WIRE_HDR_LEN 28        /* RFC 7296 3.1 */
#define IKE_WIRE_PLD_HDR_LEN 4     /* generic payload header, RFC 7296 3.2 */
#define IKE_WIRE_MAX_PAYLOADS 64   /* per chain (outer, or inner of SK) */
#define IKE_WIRE_MAX_PROPOSALS 16  /* per SA payload */
#define IKE_WIRE_MAX_TRANSFORMS 32 /* per proposal */
#define IKE_WIRE_MAX_XF_ATTRS 2    /* attributes per transform */
#define IKE_WIRE_MAX_TS 16         /* traffic selectors per TSi/TSr */
#define IKE_WIRE_MAX_CP_ATTRS 32   /* attributes per CP payload */
#define IKE_WIRE_NONCE_MIN 16      /* RFC 7296 3.9 */
#define IKE_WIRE_NONCE_MAX 256
#define IKE_WIRE_SPI_MAX 8 /* SPI sizes we accept in proposals and notifies */

/* Where and why a decoder rejected its input: one log line per dropped packet.
 * offset: for ike_wire_decode()/ike_hdr_decode(), from the start of the
 * datagram; for ike_wire_decode_inner(), from the start of the plaintext; for
 * the typed ike_<payload>_decode(), from the start of the payload BODY (add
 * ike_pld.body_off to get the datagram offset of an outer payload).
 * field: a static string naming the field ("payload length", "SPI size", ...).
 * payload: the payload type being decoded (0 = the IKE header). */
typedef struct ike_wire_err {
	size_t offset;
	const char *field;
	uint8_t payload;
} ike_wire_err;

/* ---- 1. header and payload chain ---------------------------------------------- */

/* The IKE header (RFC 7296 3.1). version is the whole byte (0x20 = 2.0); length
 * is the Length field. */
typedef struct ike_hdr {
	uint64_t spi_i, spi_r;
	uint8_t next;     /* first payload type */
	uint8_t version;  /* major << 4 | minor */
	uint8_t exchange; /* IKE_IKE_SA_INIT, ... */
	uint8_t flags;    /* IKE_FLAG_INITIATOR | IKE_FLAG_RESPONSE | IKE_FLAG_VERSION */
	uint32_t mid;
	uint32_t length;
} ike_hdr;

/* One payload of a chain: its type, the raw flags byte of its generic header
 * (bit 7 = critical; the reserved bits are kept so re-encoding is byte-exact),
 * whether we know the type, and a view of its body (without the generic header).
 * hdr_off / body_off: offsets in the decoded buffer (datagram or plaintext). */
typedef struct ike_pld {
	uint8_t type;
	uint8_t flags;
	bool critical;
	bool known; /* false: unknown non-critical payload, kept and to be ignored */
	ike_slice body;
	size_t hdr_off, body_off;
} ike_pld;

typedef struct ike_pld_list {
	unsigned n;
	ike_pld p[IKE_WIRE_MAX_PAYLOADS];
} ike_pld_list;

/* The SK (46) or SKF (53) payload, last of the outer chain. body = IV |
 * ciphertext | ICV (for SKF after the 4-byte fragment fields). hdr_off: offset
 * of its generic header in the datagram. first: its Next Payload field, the type
 * of the first inner payload (0 in SKF fragments other than the first). */
typedef struct ike_sk_view {
	bool present;
	uint8_t type; /* IKE_SK or IKE_SKF */
	uint8_t first;
	uint16_t frag_num, frag_total; /* SKF only (RFC 7383 2.5); 0 for SK */
	size_t hdr_off;
	ike_slice body;
} ike_sk_view;

/* A decoded datagram: views into it. pl holds the outer chain, including the SK
 * payload as its last entry; inner is filled by ike_wire_decode_inner(). */
typedef struct ike_msg {
	ike_hdr hdr;
	ike_slice raw; /* the whole datagram */
	ike_pld_list pl;
	ike_sk_view sk;
	ike_pld_list inner;
} ike_msg;

/* Decodes the 28-byte IKE header at the start of pkt (len bytes: the whole
 * datagram) and checks it: at least 28 bytes, major version 2, Length field
 * equal to len. *out is filled as far as it was read, even on error (so the
 * engine can answer INVALID_MAJOR_VERSION to spi_i/spi_r/mid).
 * Errors: IKE_ERR_TRUNCATED (len < 28, or Length > len), IKE_ERR_MALFORMED
 * (Length < 28 or Length < len), IKE_ERR_VERSION (major version != 2). */
IKE_MUST_CHECK int ike_hdr_decode(const uint8_t *pkt, size_t len, ike_hdr *out, ike_wire_err *err);

/* Writes the 28-byte header as given (the builder patches next and length). */
IKE_MUST_CHECK int ike_hdr_encode(ike_wr *w, const ike_hdr *h);

/* Decodes a datagram: the header (as ike_hdr_decode) and the outer payload
 * chain. Checks every generic payload length (>= 4, within what is left), at
 * most IKE_WIRE_MAX_PAYLOADS, an SK/SKF payload only as the last one, no bytes
 * after the last payload. Unknown types: critical -> IKE_ERR_CRITICAL with
 * err->payload = the type (RFC 7296 2.5: answer UNSUPPORTED_CRITICAL_PAYLOAD);
 * else kept with known = false. Does not decode payload bodies (except the
 * 4 SKF fragment bytes: number >= 1, <= total). out->inner is emptied.
 * Errors: those of ike_hdr_decode, IKE_ERR_TRUNCATED, IKE_ERR_MALFORMED,
 * IKE_ERR_CRITICAL, IKE_ERR_LIMIT. */
IKE_MUST_CHECK int ike_wire_decode(const uint8_t *pkt, size_t len, ike_msg *out, ike_wire_err *err);

/* Decodes a payload chain starting with type first from len bytes at p (the
 * decrypted inner payloads, without padding) into *out, with the same checks;
 * SK or SKF inside are IKE_ERR_MALFORMED. Offsets are from p. */
IKE_MUST_CHECK int ike_wire_decode_chain(const uint8_t *p, size_t len, uint8_t first, ike_pld_list *out,
                                         ike_wire_err *err);

/* ike_wire_decode_chain() of a decrypted SK payload into m->inner, first =
 * m->sk.first. data/data_len: the decrypted data range (inner payloads |
 * padding | pad length byte), as from ike_wire_sk_layout(); the padding is
 * stripped here (RFC 7296 3.14: its content is not checked).
 * Errors: IKE_ERR_STATE (no SK payload in m), IKE_ERR_MALFORMED (pad length
 * byte larger than the data), those of ike_wire_decode_chain. */
IKE_MUST_CHECK int ike_wire_decode_inner(ike_msg *m, const uint8_t *data, size_t data_len, ike_wire_err *err);

/* The SK/SKF payload's pieces as offsets in the datagram, for ike_sk_decrypt():
 * aad = [0, hdr_off + 4 (+4 for SKF)), IV after it (iv_len), the ciphertext
 * (data), the ICV (icv_len) at the end of the payload, which is the end of the
 * message. block_len: the cipher's block size (1 for AEAD); the data must be a
 * positive multiple of it. Errors: IKE_ERR_STATE (no SK payload),
 * IKE_ERR_TRUNCATED (body shorter than iv + icv + 1), IKE_ERR_MALFORMED (data
 * not a multiple of block_len). */
IKE_MUST_CHECK int ike_wire_sk_layout(const ike_msg *m, size_t iv_len, size_t block_len, size_t icv_len,
                                      ike_sk_layout *out, ike_wire_err *err);

/* The first payload of type after `after` (NULL = from the start) in l, or NULL. */
const ike_pld *ike_pld_find(const ike_pld_list *l, uint8_t type, const ike_pld *after);
/* True for the payload types this codec understands (33..48, 53). */
bool ike_wire_known_payload(uint8_t type);

/* Formats err for a log line into buf (len bytes, always NUL-terminated):
 * "TRUNCATED in SA at byte 52: proposal length beyond payload". base is added
 * to err->offset (ike_pld.body_off for typed decoders, 0 otherwise). Returns buf. */
const char *ike_wire_err_str(int code, const ike_wire_err *err, size_t base, char *buf, size_t len);

/* ---- 2. payloads: decoded forms -------------------------------------------------- */

/* Transform attribute (RFC 7296 3.3.5). tv: Type/Value form (AF bit set); then
 * value holds it. Otherwise TLV: data views the value. */
typedef struct ike_xf_attr {
	uint16_t type; /* without the AF bit */
	bool tv;
	uint16_t value;
	ike_slice data;
} ike_xf_attr;

typedef struct ike_transform {
	uint8_t type; /* IKE_ENCR, IKE_PRF, IKE_INTEG, IKE_DH, IKE_ESN */
	uint16_t id;
	uint16_t key_bits; /* decoded: the Key Length attribute, 0 when absent */
	uint8_t n_attr;
	ike_xf_attr attr[IKE_WIRE_MAX_XF_ATTRS];
} ike_transform;

typedef struct ike_proposal {
	uint8_t num;   /* 1, then the previous or previous + 1 */
	uint8_t proto; /* IKE_PROTO_IKE, IKE_PROTO_AH, IKE_PROTO_ESP */
	uint8_t spi_len;
	uint8_t spi[IKE_WIRE_SPI_MAX];
	uint8_t n_xf;
	ike_transform xf[IKE_WIRE_MAX_TRANSFORMS];
} ike_proposal;

/* SA payload (RFC 7296 3.3). About 30 KB: do not put many on small stacks. */
typedef struct ike_sa_pld {
	uint8_t n;
	ike_proposal prop[IKE_WIRE_MAX_PROPOSALS];
} ike_sa_pld;

typedef struct ike_ke_pld { /* RFC 7296 3.4 */
	uint16_t group;
	ike_slice data;
} ike_ke_pld;

typedef struct ike_id_pld { /* RFC 7296 3.5 (IDi, IDr) */
	uint8_t type;       /* IKE_ID_* */
	ike_slice data;
} ike_id_pld;

typedef struct ike_cert_pld { /* RFC 7296 3.6, 3.7 (CERT, CERTREQ) */
	uint8_t encoding;
	ike_slice data;
} ike_cert_pld;

typedef struct ike_auth_pld { /* RFC 7296 3.8 */
	uint8_t method;
	ike_slice data;
} ike_auth_pld;

typedef struct ike_notify_pld { /* RFC 7296 3.10 */
	uint8_t proto;
	ike_slice spi; /* 0..IKE_WIRE_SPI_MAX bytes */
	uint16_t type;
	ike_slice data;
} ike_notify_pld;

typedef struct ike_delete_pld { /* RFC 7296 3.11 */
	uint8_t proto;
	uint8_t spi_len; /* 0 for IKE, 4 for AH/ESP */
	uint16_t n;
	ike_slice spis; /* n * spi_len bytes */
} ike_delete_pld;

typedef struct ike_ts {   /* RFC 7296 3.13.1 */
	uint8_t type;     /* IKE_TS_IPV4_ADDR_RANGE (4-byte addresses) or _IPV6_ (16) */
	uint8_t ip_proto; /* 0 = any */
	uint16_t start_port, end_port;
	uint8_t start[16], end[16];
} ike_ts;

typedef struct ike_ts_pld { /* RFC 7296 3.13 (TSi, TSr) */
	uint8_t n;
	ike_ts ts[IKE_WIRE_MAX_TS];
} ike_ts_pld;

typedef struct ike_cp_attr { /* RFC 7296 3.15.1 */
	uint16_t type;       /* 15 bits */
	ike_slice value;
} ike_cp_attr;

typedef struct ike_cp_pld { /* RFC 7296 3.15 */
	uint8_t type;       /* IKE_CFG_REQUEST ... */
	uint8_t n;
	ike_cp_attr attr[IKE_WIRE_MAX_CP_ATTRS];
} ike_cp_pld;

/* ME_ENDPOINT notify data (mediation-protocol.md): priority, family, type, then
 * when family != 0 the port and 4 or 16 address bytes. addr.family = 0 means no
 * address (a request for the server-reflexive endpoint). */
typedef struct ike_me_endpoint {
	uint32_t priority;
	uint8_t type; /* IKE_ME_HOST ... */
	ike_addr addr;
	/* Without an address: strongSwan writes a zero port (8 bytes), the draft does
	 * not (6 bytes). Decoding the 6-byte form sets this; encoding honours it, so a
	 * message re-encodes byte-exact. Leave it false to send strongSwan's form. */
	bool no_port;
} ike_me_endpoint;

/* ---- 3. payloads: decoders and encoders ----------------------------------------------
 * ike_X_decode(body, out, err): body is a payload body (ike_pld.body). Checks
 * every length and count; over a limit above -> IKE_ERR_LIMIT. Views in *out
 * point into body.
 * ike_X_encode(w, in): writes the body (no generic header) at w; values that
 * the decoder would reject -> IKE_ERR_INVAL; buffer full -> IKE_ERR_NOBUF.
 * RESERVED fields are ignored on receipt and written as zero (RFC 7296 3.2), so
 * for every accepted body b whose RESERVED bytes are zero, encode(decode(b)) ==
 * b; for any accepted b, decode(encode(decode(b))) == decode(b). */

/* SA: proposal numbers non-zero, each the previous or the previous + 1 (a
 * request starts at 1; a response carries the one chosen proposal with its
 * number, RFC 7296 3.3.1), last-substructure 2/0 and 3/0 exactly
 * where they belong, SPI size 0 for IKE (8 allowed for rekeying), 4 for AH/ESP,
 * transform count == transforms present, attribute lengths within transforms.
 * Encoding: a transform with n_attr == 0 and key_bits != 0 gets a Key Length TV
 * attribute; with n_attr > 0 the attributes are written as given. */
IKE_MUST_CHECK int ike_sa_decode(ike_slice body, ike_sa_pld *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_sa_encode(ike_wr *w, const ike_sa_pld *in);

/* KE: group (2) | reserved (2) | data (>= 1 byte). */
IKE_MUST_CHECK int ike_ke_decode(ike_slice body, ike_ke_pld *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_ke_encode(ike_wr *w, const ike_ke_pld *in);

/* ID: type (1) | reserved (3) | data (>= 1 byte; IPv4 exactly 4, IPv6 exactly 16). */
IKE_MUST_CHECK int ike_id_decode(ike_slice body, ike_id_pld *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_id_encode(ike_wr *w, const ike_id_pld *in);
/* Copies a decoded ID into an ike_id (types.h). Errors: IKE_ERR_LIMIT (> 255 bytes). */
IKE_MUST_CHECK int ike_id_to_ike_id(const ike_id_pld *in, ike_id *out);
/* A view of an ike_id as an ike_id_pld (borrows id). */
ike_id_pld ike_id_pld_of(const ike_id *id);

/* CERT and CERTREQ: encoding (1) | data (CERT: >= 1 byte; CERTREQ: a multiple
 * of 20 bytes of SHA-1 key hashes for X.509 encoding 4, any for others). */
IKE_MUST_CHECK int ike_cert_decode(ike_slice body, ike_cert_pld *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_cert_encode(ike_wr *w, const ike_cert_pld *in);
IKE_MUST_CHECK int ike_certreq_decode(ike_slice body, ike_cert_pld *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_certreq_encode(ike_wr *w, const ike_cert_pld *in);

/* AUTH: method (1) | reserved (3) | data (>= 1 byte). */
IKE_MUST_CHECK int ike_auth_decode(ike_slice body, ike_auth_pld *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_auth_encode(ike_wr *w, const ike_auth_pld *in);

/* Nonce: 16..256 bytes. */
IKE_MUST_CHECK int ike_nonce_decode(ike_slice body, ike_slice *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_nonce_encode(ike_wr *w, ike_slice nonce);

/* Notify: proto (1) | SPI size (1) | type (2) | SPI | data. SPI size <= 8
 * (which SPI sizes make sense for which protocol is the engine's policy). */
IKE_MUST_CHECK int ike_notify_decode(ike_slice body, ike_notify_pld *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_notify_encode(ike_wr *w, const ike_notify_pld *in);
/* The first Notify payload of the given notify type in l (after `after`, NULL =
 * from the start) whose body decodes; fills *out. NULL when there is none. */
const ike_pld *ike_pld_find_notify(const ike_pld_list *l, uint16_t type, const ike_pld *after,
                                   ike_notify_pld *out);

/* Delete: proto (1) | SPI size (1) | count (2) | SPIs. IKE: SPI size 0 and count
 * 0; AH/ESP: SPI size 4 and count >= 1; count * size == the rest exactly. */
IKE_MUST_CHECK int ike_delete_decode(ike_slice body, ike_delete_pld *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_delete_encode(ike_wr *w, const ike_delete_pld *in);
/* The i-th 4-byte SPI of a decoded AH/ESP Delete (i < n, spi_len == 4), host order. */
uint32_t ike_delete_spi32(const ike_delete_pld *d, unsigned i);

/* Vendor ID: >= 1 byte, opaque. */
IKE_MUST_CHECK int ike_vendor_decode(ike_slice body, ike_slice *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_vendor_encode(ike_wr *w, ike_slice vid);

/* TSi/TSr: count (1) | reserved (3) | selectors; count >= 1 and equal to the
 * selectors present; selector length 16 (IPv4) or 40 (IPv6); start <= end is
 * NOT checked (policy, RFC 7296 3.13.1 leaves it to the receiver); unknown
 * selector types -> IKE_ERR_UNSUPPORTED. */
IKE_MUST_CHECK int ike_ts_decode(ike_slice body, ike_ts_pld *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_ts_encode(ike_wr *w, const ike_ts_pld *in);

/* CP: type (1) | reserved (3) | attributes (type (2, top bit reserved 0) | length (2) | value). */
IKE_MUST_CHECK int ike_cp_decode(ike_slice body, ike_cp_pld *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_cp_encode(ike_wr *w, const ike_cp_pld *in);

/* EAP: opaque, but at least the 4-byte EAP header whose Length equals the body. */
IKE_MUST_CHECK int ike_eap_decode(ike_slice body, ike_slice *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_eap_encode(ike_wr *w, ike_slice eap);

/* ME_ENDPOINT notify data: family 0 -> exactly 6 bytes, 1 -> 12, 2 -> 24; type
 * 1..4. Errors: IKE_ERR_TRUNCATED, IKE_ERR_MALFORMED (family, type, trailing
 * bytes). The port comes out in host order. */
IKE_MUST_CHECK int ike_me_endpoint_decode(ike_slice data, ike_me_endpoint *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_me_endpoint_encode(ike_wr *w, const ike_me_endpoint *in);

/* ME_TURN notify data (ours, private use 40970, a status notify; docs/wire.md):
 * version (1, = IKE_ME_TURN_VERSION) | family (1: 1 IPv4, 2 IPv6) | port (2) |
 * address (4 or 16) | expires (8, Unix seconds) | user length (1, 1..128) | user |
 * password length (1, 1..64) | password. user and password are printable ASCII
 * (0x21..0x7e). Errors: IKE_ERR_TRUNCATED (a field or a length past the end),
 * IKE_ERR_UNSUPPORTED (another version), IKE_ERR_MALFORMED (family, port 0,
 * a length 0 or over its maximum, a byte outside 0x21..0x7e, trailing bytes).
 * The encoder refuses (IKE_ERR_INVAL) what the decoder would reject. */
#define IKE_ME_TURN_VERSION 1
#define IKE_ME_TURN_DATA_MAX (1 + 1 + 2 + 16 + 8 + 1 + IKE_TURN_USER_MAX + 1 + IKE_TURN_PASS_MAX)
IKE_MUST_CHECK int ike_me_turn_decode(ike_slice data, ike_me_turn *out, ike_wire_err *err);
IKE_MUST_CHECK int ike_me_turn_encode(ike_wr *w, const ike_me_turn *in);

/* ---- 4. message builder ----------------------------------------------------------------
 * ike_msg_builder b;
 * ike_mb_init(&b, buf, cap, &hdr);              header with hdr's SPIs, exchange, flags, mid
 * ike_mb_add_nonce(&b, n) ...                   outer payloads (unprotected messages)
 * ike_mb_begin_sk(&b, iv_len);                  SK generic header + room for the IV
 * ike_mb_add_id(&b, IKE_IDI, &id) ...           inner payloads, chained from SK's Next Payload
 * ike_mb_finish_sk(&b, block_len, icv_len, &layout, &len)
 *     -> zero padding + pad length byte, room for the ICV, every length patched;
 *        then ike_sk_encrypt(c, buf, len, &layout) fills IV, ciphertext and ICV.
 * or ike_mb_finish(&b, &len) for an unprotected message.
 * Errors are sticky: after the first failure every call returns it, so a
 * sequence of adds can be checked once at finish. */
typedef struct ike_msg_builder {
	ike_wr w;
	size_t next_at; /* offset of the Next Payload byte the next payload's type goes into */
	size_t open_at; /* generic header of the payload being written, SIZE_MAX if none */
	size_t sk_at;   /* SK/SKF generic header, SIZE_MAX if none */
	size_t sk_hdr_len, sk_iv_len;
	unsigned n;    /* payloads in the current chain */
	int err;       /* first error (sticky) */
	uint8_t phase; /* 0 outer chain, 1 inside SK, 2 after a raw SK, 3 finished */
} ike_msg_builder;

/* Starts a message in buf (cap bytes, caller-owned, must outlive the builder).
 * hdr->next and hdr->length are ignored (patched later). An error (NOBUF)
 * is kept in the builder and returned by every later call. */
void ike_mb_init(ike_msg_builder *b, uint8_t *buf, size_t cap, const ike_hdr *hdr);

/* Opens a payload of type with the given flags byte (IKE_PAYLOAD_CRITICAL or
 * 0) and returns the writer for its body in *body (the builder's own; write
 * the body with it, then call ike_mb_close()). Errors: IKE_ERR_STATE (a payload
 * is open, or the message is finished, or type is SK/SKF), IKE_ERR_LIMIT
 * (more than IKE_WIRE_MAX_PAYLOADS), IKE_ERR_NOBUF. */
IKE_MUST_CHECK int ike_mb_open(ike_msg_builder *b, uint8_t type, uint8_t flags, ike_wr **body);
/* Closes the open payload: patches its length. Errors: IKE_ERR_STATE, IKE_ERR_NOBUF
 * (the body writer overflowed or the payload exceeds 65535 bytes). */
IKE_MUST_CHECK int ike_mb_close(ike_msg_builder *b);

/* One payload from a body given as bytes (any type but SK/SKF). */
IKE_MUST_CHECK int ike_mb_add_raw(ike_msg_builder *b, uint8_t type, uint8_t flags, ike_slice body);
/* Typed adds: ike_mb_open + ike_X_encode + ike_mb_close. id_type is IKE_IDI or
 * IKE_IDR, ts_type IKE_TSI or IKE_TSR, cert_type IKE_CERT or IKE_CERTREQ. */
IKE_MUST_CHECK int ike_mb_add_sa(ike_msg_builder *b, const ike_sa_pld *sa);
IKE_MUST_CHECK int ike_mb_add_ke(ike_msg_builder *b, const ike_ke_pld *ke);
IKE_MUST_CHECK int ike_mb_add_id(ike_msg_builder *b, uint8_t id_type, const ike_id_pld *id);
IKE_MUST_CHECK int ike_mb_add_cert(ike_msg_builder *b, uint8_t cert_type, const ike_cert_pld *c);
IKE_MUST_CHECK int ike_mb_add_auth(ike_msg_builder *b, const ike_auth_pld *a);
IKE_MUST_CHECK int ike_mb_add_nonce(ike_msg_builder *b, ike_slice nonce);
IKE_MUST_CHECK int ike_mb_add_notify(ike_msg_builder *b, const ike_notify_pld *n);
/* A Notify with protocol 0, no SPI: the common case. */
IKE_MUST_CHECK int ike_mb_add_notify_simple(ike_msg_builder *b, uint16_t type, ike_slice data);
/* An ME_ENDPOINT notify (protocol 0, no SPI) carrying ep. */
IKE_MUST_CHECK int ike_mb_add_me_endpoint(ike_msg_builder *b, const ike_me_endpoint *ep);
IKE_MUST_CHECK int ike_mb_add_delete(ike_msg_builder *b, const ike_delete_pld *d);
IKE_MUST_CHECK int ike_mb_add_vendor(ike_msg_builder *b, ike_slice vid);
IKE_MUST_CHECK int ike_mb_add_ts(ike_msg_builder *b, uint8_t ts_type, const ike_ts_pld *ts);
IKE_MUST_CHECK int ike_mb_add_cp(ike_msg_builder *b, const ike_cp_pld *cp);
IKE_MUST_CHECK int ike_mb_add_eap(ike_msg_builder *b, ike_slice eap);

/* Starts the SK payload (last of the outer chain): its generic header and
 * iv_len bytes for the IV. Later payloads are the inner (plaintext) chain.
 * Errors: IKE_ERR_STATE (payload open, SK already begun, finished), IKE_ERR_NOBUF. */
IKE_MUST_CHECK int ike_mb_begin_sk(ike_msg_builder *b, size_t iv_len);
/* The same for an SKF fragment (RFC 7383): fragment num of total (1 <= num <= total). */
IKE_MUST_CHECK int ike_mb_begin_skf(ike_msg_builder *b, uint16_t num, uint16_t total, size_t iv_len);
/* Ends the SK payload: pads the plaintext with zero bytes and the pad length
 * byte so it is a multiple of block_len (>= 1; 1 for AEAD: no padding, only
 * the pad length byte 0), reserves icv_len bytes, patches the SK and message
 * lengths, and fills *layout for ike_sk_encrypt(); *msg_len = total length.
 * Errors: IKE_ERR_STATE (no SK begun, a payload open), IKE_ERR_INVAL
 * (block_len 0 or > 256), IKE_ERR_NOBUF. */
IKE_MUST_CHECK int ike_mb_finish_sk(ike_msg_builder *b, size_t block_len, size_t icv_len,
                                    ike_sk_layout *layout, size_t *msg_len);
/* Adds an already protected SK payload (first inner type, body = IV | ciphertext
 * | ICV) as is; for relaying and for tests. Then call ike_mb_finish(). */
IKE_MUST_CHECK int ike_mb_add_sk_raw(ike_msg_builder *b, uint8_t first, ike_slice body);
/* Ends an unprotected message (or one with ike_mb_add_sk_raw): patches the
 * header length; *msg_len = total length. Errors: IKE_ERR_STATE (payload open,
 * an SK begun with ike_mb_begin_sk: use ike_mb_finish_sk), IKE_ERR_NOBUF. */
IKE_MUST_CHECK int ike_mb_finish(ike_msg_builder *b, size_t *msg_len);

/* Re-encodes a decoded message from its header and the raw bodies of its outer
 * chain (SK kept as is) into buf. For well-formed input the output equals
 * m->raw byte for byte. Errors: those of the builder. */
IKE_MUST_CHECK int ike_wire_reencode(const ike_msg *m, uint8_t *buf, size_t cap, size_t *len);

#endif /* IKE_WIRE_H */
