/* SPDX-License-Identifier: MIT */
/*
 * ME_ENDPOINT notify data (draft-brunner-ikev2-mediation, as strongSwan 5.9
 * encodes it in endpoint_notify.c; see mediation-protocol.md):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Priority                            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Family     |     Type      |  Port (when Family != 0)      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~        IP Address (4 bytes IPv4, 16 bytes IPv6; none for 0)   ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ME_CONNECTID, ME_CONNECTKEY and ME_CONNECTAUTH are plain notify data.
 *
 * ME_TURN notify data (ours, 40970; docs/wire.md): a TURN relay and credential.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Version (1)  |    Family     |             Port              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~            IP Address (4 bytes IPv4, 16 bytes IPv6)           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Expires (Unix seconds, 8 bytes)               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   User Len    ~  User (1..128 bytes)                          ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Pass Len    ~  Password (1..64 bytes)                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#include <string.h>

#include "wire_int.h"

static size_t family_len(uint8_t family)
{
	return family == IKE_AF_INET ? 4 : family == IKE_AF_INET6 ? 16 : 0;
}

int ike_me_endpoint_decode(ike_slice data, ike_me_endpoint *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(data.ptr, data.len);
	uint8_t family;

	memset(out, 0, sizeof *out);
	ike_rd_u32(&r, &out->priority);
	ike_rd_u8(&r, &family);
	ike_rd_u8(&r, &out->type);
	if (r.bad)
		return wire_fail(err, IKE_ERR_TRUNCATED, 0, "ME_ENDPOINT header", IKE_NOTIFY);
	if (family > IKE_AF_INET6)
		return wire_fail(err, IKE_ERR_MALFORMED, 4, "ME_ENDPOINT family", IKE_NOTIFY);
	if (out->type < IKE_ME_HOST || out->type > IKE_ME_RELAYED)
		return wire_fail(err, IKE_ERR_MALFORMED, 5, "ME_ENDPOINT type", IKE_NOTIFY);
	out->addr.family = family;
	if (family != IKE_AF_NONE) {
		ike_rd_u16(&r, &out->addr.port);
		ike_rd_copy(&r, out->addr.ip, family_len(family));
		if (r.bad)
			return wire_fail(err, IKE_ERR_TRUNCATED, 6, "ME_ENDPOINT address", IKE_NOTIFY);
	} else if (r.left == 2) {
		/* strongSwan 5.9 writes the (zero) port even without an address: 8 bytes */
		ike_rd_u16(&r, &out->addr.port);
	} else {
		out->no_port = r.left == 0; /* the draft's 6-byte form */
	}
	if (r.left)
		return wire_fail(err, IKE_ERR_MALFORMED, data.len - r.left, "bytes after ME_ENDPOINT",
		                 IKE_NOTIFY);
	return IKE_OK;
}

int ike_me_endpoint_encode(ike_wr *w, const ike_me_endpoint *in)
{
	if (in->addr.family > IKE_AF_INET6 || in->type < IKE_ME_HOST || in->type > IKE_ME_RELAYED)
		return IKE_ERR_INVAL;
	ike_wr_u32(w, in->priority);
	ike_wr_u8(w, in->addr.family);
	ike_wr_u8(w, in->type);
	if (in->addr.family != IKE_AF_NONE || !in->no_port)
		ike_wr_u16(w, in->addr.port); /* also without an address, as strongSwan does */
	if (in->addr.family != IKE_AF_NONE)
		ike_wr_bytes(w, in->addr.ip, family_len(in->addr.family));
	return wire_wr_status(w);
}

/* Printable ASCII without space: what a TURN REST username (expiry:KEY_ID) and
 * a base64 password consist of; keeps NULs and control bytes out of logs. */
static bool turn_text_ok(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	return true;
}

/* Reads a length byte and that many printable bytes into dst (NUL-terminated). */
static int turn_text_rd(ike_rd *r, size_t total, char *dst, size_t max, const char *what, ike_wire_err *err)
{
	uint8_t len;
	const uint8_t *p;

	if (!ike_rd_u8(r, &len))
		return wire_fail(err, IKE_ERR_TRUNCATED, total, what, IKE_NOTIFY);
	if (len == 0 || len > max)
		return wire_fail(err, IKE_ERR_MALFORMED, total - r->left - 1, what, IKE_NOTIFY);
	if (!ike_rd_take(r, len, &p))
		return wire_fail(err, IKE_ERR_TRUNCATED, total, what, IKE_NOTIFY);
	if (!turn_text_ok(p, len))
		return wire_fail(err, IKE_ERR_MALFORMED, total - r->left - len, what, IKE_NOTIFY);
	memcpy(dst, p, len);
	dst[len] = '\0';
	return IKE_OK;
}

int ike_me_turn_decode(ike_slice data, ike_me_turn *out, ike_wire_err *err)
{
	ike_rd r = ike_rd_init(data.ptr, data.len);
	uint8_t version, family;
	int rc;

	memset(out, 0, sizeof *out);
	if (!ike_rd_u8(&r, &version))
		return wire_fail(err, IKE_ERR_TRUNCATED, 0, "ME_TURN version", IKE_NOTIFY);
	if (version != IKE_ME_TURN_VERSION)
		return wire_fail(err, IKE_ERR_UNSUPPORTED, 0, "ME_TURN version", IKE_NOTIFY);
	ike_rd_u8(&r, &family);
	ike_rd_u16(&r, &out->server.port);
	if (r.bad)
		return wire_fail(err, IKE_ERR_TRUNCATED, 1, "ME_TURN header", IKE_NOTIFY);
	if (family != IKE_AF_INET && family != IKE_AF_INET6)
		return wire_fail(err, IKE_ERR_MALFORMED, 1, "ME_TURN family", IKE_NOTIFY);
	if (out->server.port == 0)
		return wire_fail(err, IKE_ERR_MALFORMED, 2, "ME_TURN port", IKE_NOTIFY);
	out->server.family = family;
	ike_rd_copy(&r, out->server.ip, family_len(family));
	ike_rd_u64(&r, &out->expires);
	if (r.bad)
		return wire_fail(err, IKE_ERR_TRUNCATED, 4, "ME_TURN address and expiry", IKE_NOTIFY);
	if ((rc = turn_text_rd(&r, data.len, out->user, IKE_TURN_USER_MAX, "ME_TURN user", err)) != IKE_OK ||
	    (rc = turn_text_rd(&r, data.len, out->pass, IKE_TURN_PASS_MAX, "ME_TURN password", err)) !=
	        IKE_OK) {
		memset(out, 0, sizeof *out); /* no half of a password left behind */
		return rc;
	}
	if (r.left) {
		memset(out, 0, sizeof *out);
		return wire_fail(err, IKE_ERR_MALFORMED, data.len - r.left, "bytes after ME_TURN",
		                 IKE_NOTIFY);
	}
	return IKE_OK;
}

int ike_me_turn_encode(ike_wr *w, const ike_me_turn *in)
{
	size_t ul = strnlen(in->user, sizeof in->user), pl = strnlen(in->pass, sizeof in->pass);

	if ((in->server.family != IKE_AF_INET && in->server.family != IKE_AF_INET6) || in->server.port == 0 ||
	    ul == 0 || ul > IKE_TURN_USER_MAX || pl == 0 || pl > IKE_TURN_PASS_MAX ||
	    !turn_text_ok((const uint8_t *)in->user, ul) || !turn_text_ok((const uint8_t *)in->pass, pl))
		return IKE_ERR_INVAL;
	ike_wr_u8(w, IKE_ME_TURN_VERSION);
	ike_wr_u8(w, in->server.family);
	ike_wr_u16(w, in->server.port);
	ike_wr_bytes(w, in->server.ip, family_len(in->server.family));
	ike_wr_u64(w, in->expires);
	ike_wr_u8(w, (uint8_t)ul);
	ike_wr_bytes(w, in->user, ul);
	ike_wr_u8(w, (uint8_t)pl);
	ike_wr_bytes(w, in->pass, pl);
	return wire_wr_status(w);
}
