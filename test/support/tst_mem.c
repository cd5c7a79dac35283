/* SPDX-License-Identifier: MIT */
/* Counting allocator: a 16-byte header in front of each block holds its size. */
#include <stdlib.h>
#include <string.h>

#include "tst.h"

#define HDR 16

static size_t live, live_blocks, peak, fail_after;

static bool should_fail(void)
{
	if (!fail_after)
		return false;
	return --fail_after == 0;
}

static void *c_malloc(void *user, size_t size)
{
	uint8_t *p;

	(void)user;
	if (should_fail() || size > SIZE_MAX - HDR)
		return NULL;
	p = malloc(size + HDR);
	if (!p)
		return NULL;
	memcpy(p, &size, sizeof size);
	live += size;
	live_blocks++;
	if (live > peak)
		peak = live;
	return p + HDR;
}

static void c_free(void *user, void *ptr)
{
	uint8_t *p = ptr;
	size_t size;

	(void)user;
	if (!p)
		return;
	p -= HDR;
	memcpy(&size, p, sizeof size);
	live -= size;
	live_blocks--;
	free(p);
}

static void *c_calloc(void *user, size_t nmemb, size_t size)
{
	void *p;

	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	p = c_malloc(user, nmemb * size);
	if (p)
		memset(p, 0, nmemb * size);
	return p;
}

static void *c_realloc(void *user, void *ptr, size_t size)
{
	uint8_t *n;
	size_t old;

	if (!ptr)
		return c_malloc(user, size);
	memcpy(&old, (uint8_t *)ptr - HDR, sizeof old);
	n = c_malloc(user, size);
	if (!n)
		return NULL;
	memcpy(n, ptr, old < size ? old : size);
	c_free(user, ptr);
	return n;
}

static const ike_mem counting = {NULL, c_malloc, c_free, c_calloc, c_realloc};

const ike_mem *tst_mem(void)
{
	return &counting;
}

size_t tst_mem_live(void)
{
	return live;
}

size_t tst_mem_live_blocks(void)
{
	return live_blocks;
}

size_t tst_mem_peak(void)
{
	return peak;
}

void tst_mem_fail_after(size_t n)
{
	fail_after = n;
}
