/* SPDX-License-Identifier: MIT */
/*
 * wire_int.h - private helpers shared by the wire_*.c codec files.
 */
#ifndef IKE_WIRE_INT_H
#define IKE_WIRE_INT_H
#include "ike/wire.h"

/* Records where decoding failed and returns code. */
static inline int wire_fail(ike_wire_err *err, int code, size_t offset, const char *field, uint8_t payload)
{
	if (err) {
		err->offset = offset;
		err->field = field;
		err->payload = payload;
	}
	return code;
}

/* Offset of reader r inside the body it was made from (body_len bytes). */
static inline size_t wire_pos(const ike_rd *r, size_t body_len)
{
	return r->bad ? body_len : body_len - r->left;
}

/* Maps a writer's state to IKE_OK / IKE_ERR_NOBUF. */
static inline int wire_wr_status(const ike_wr *w)
{
	return w->bad ? IKE_ERR_NOBUF : IKE_OK;
}

#endif /* IKE_WIRE_INT_H */
