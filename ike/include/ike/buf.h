/* SPDX-License-Identifier: MIT */
/*
 * ike/buf.h - bounds-checked big-endian reader and writer for wire codecs.
 * Errors are sticky: after the first failure every call fails and `bad` stays set,
 * so a decoder can read a whole header and check once. Lengths are compared with
 * the bytes left; no code here computes p + n > end.
 */
#ifndef IKE_BUF_H
#define IKE_BUF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ike/types.h"

typedef struct ike_rd {
	const uint8_t *p;
	size_t left;
	bool bad;
} ike_rd;

static inline ike_rd ike_rd_init(const uint8_t *p, size_t len)
{
	ike_rd r = { p, len, false };
	return r;
}

static inline bool ike_rd_take(ike_rd *r, size_t n, const uint8_t **out)
{
	if (r->bad || n > r->left) {
		r->bad = true;
		*out = NULL;
		return false;
	}
	*out = r->p;
	r->p += n;
	r->left -= n;
	return true;
}

static inline bool ike_rd_u8(ike_rd *r, uint8_t *v)
{
	const uint8_t *b;
	if (!ike_rd_take(r, 1, &b)) {
		*v = 0;
		return false;
	}
	*v = b[0];
	return true;
}

static inline bool ike_rd_u16(ike_rd *r, uint16_t *v)
{
	const uint8_t *b;
	if (!ike_rd_take(r, 2, &b)) {
		*v = 0;
		return false;
	}
	*v = (uint16_t)((unsigned)b[0] << 8 | b[1]);
	return true;
}

static inline bool ike_rd_u32(ike_rd *r, uint32_t *v)
{
	const uint8_t *b;
	if (!ike_rd_take(r, 4, &b)) {
		*v = 0;
		return false;
	}
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return true;
}

static inline bool ike_rd_u64(ike_rd *r, uint64_t *v)
{
	uint32_t hi, lo;
	if (!ike_rd_u32(r, &hi) || !ike_rd_u32(r, &lo)) {
		*v = 0;
		return false;
	}
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

/* A borrowed view of the next n bytes. */
static inline bool ike_rd_bytes(ike_rd *r, size_t n, ike_slice *out)
{
	const uint8_t *b;
	if (!ike_rd_take(r, n, &b)) {
		*out = (ike_slice){ NULL, 0 };
		return false;
	}
	*out = (ike_slice){ b, n };
	return true;
}

/* Copies the next n bytes into dst. */
static inline bool ike_rd_copy(ike_rd *r, void *dst, size_t n)
{
	const uint8_t *b;
	if (!ike_rd_take(r, n, &b))
		return false;
	if (n)
		memcpy(dst, b, n);
	return true;
}

/* Exactly the next n bytes as a new reader. */
static inline bool ike_rd_sub(ike_rd *r, size_t n, ike_rd *sub)
{
	const uint8_t *b;
	if (!ike_rd_take(r, n, &b)) {
		*sub = (ike_rd){ NULL, 0, true };
		return false;
	}
	*sub = ike_rd_init(b, n);
	return true;
}

/* The rest of the reader as a view; the reader is then empty. */
static inline ike_slice ike_rd_rest(ike_rd *r)
{
	ike_slice s = { r->p, r->bad ? 0 : r->left };
	r->p += s.len;
	r->left = 0;
	return s;
}

/* Writer into a caller-owned buffer. */
typedef struct ike_wr {
	uint8_t *base;
	size_t cap, len;
	bool bad;
} ike_wr;

static inline ike_wr ike_wr_init(uint8_t *base, size_t cap)
{
	ike_wr w = { base, cap, 0, false };
	return w;
}

/* Reserves n bytes and returns a pointer to them, or NULL (and sets bad). */
static inline uint8_t *ike_wr_reserve(ike_wr *w, size_t n)
{
	uint8_t *p;
	if (w->bad || n > w->cap - w->len) {
		w->bad = true;
		return NULL;
	}
	p = w->base + w->len;
	w->len += n;
	return p;
}

static inline bool ike_wr_u8(ike_wr *w, uint8_t v)
{
	uint8_t *p = ike_wr_reserve(w, 1);
	if (!p)
		return false;
	p[0] = v;
	return true;
}

static inline bool ike_wr_u16(ike_wr *w, uint16_t v)
{
	uint8_t *p = ike_wr_reserve(w, 2);
	if (!p)
		return false;
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return true;
}

static inline bool ike_wr_u32(ike_wr *w, uint32_t v)
{
	uint8_t *p = ike_wr_reserve(w, 4);
	if (!p)
		return false;
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return true;
}

static inline bool ike_wr_u64(ike_wr *w, uint64_t v)
{
	return ike_wr_u32(w, (uint32_t)(v >> 32)) && ike_wr_u32(w, (uint32_t)v);
}

static inline bool ike_wr_bytes(ike_wr *w, const void *src, size_t n)
{
	uint8_t *p = ike_wr_reserve(w, n);
	if (!p)
		return false;
	if (n)
		memcpy(p, src, n);
	return true;
}

/* Reserves a 16-bit length field; returns its offset (or SIZE_MAX when full). */
static inline size_t ike_wr_mark16(ike_wr *w)
{
	size_t at = w->len;
	return ike_wr_u16(w, 0) ? at : SIZE_MAX;
}

/* Writes w->len - start into the field at offset `at`; fails (bad) if it exceeds 65535. */
static inline bool ike_wr_patch16(ike_wr *w, size_t at, size_t start)
{
	size_t v;
	if (w->bad || at == SIZE_MAX || at + 2 > w->len || start > w->len)
		return !(w->bad = true);
	v = w->len - start;
	if (v > 0xffff)
		return !(w->bad = true);
	w->base[at] = (uint8_t)(v >> 8);
	w->base[at + 1] = (uint8_t)v;
	return true;
}

static inline void ike_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t ike_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void ike_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t ike_get_u16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

#endif /* IKE_BUF_H */
