/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/mem.h"

static void *std_malloc(void *user, size_t size)
{
	(void)user;
	return malloc(size);
}

static void std_free(void *user, void *ptr)
{
	(void)user;
	free(ptr);
}

static void *std_calloc(void *user, size_t nmemb, size_t size)
{
	(void)user;
	return calloc(nmemb, size);
}

static void *std_realloc(void *user, void *ptr, size_t size)
{
	(void)user;
	return realloc(ptr, size);
}

static const ike_mem default_mem = { NULL, std_malloc, std_free, std_calloc, std_realloc };

const ike_mem *ike_mem_default(void)
{
	return &default_mem;
}

void *ike_mem_malloc(const ike_mem *mem, size_t size)
{
	mem = mem ? mem : &default_mem;
	return mem->malloc(mem->user, size ? size : 1);
}

void *ike_mem_calloc(const ike_mem *mem, size_t nmemb, size_t size)
{
	mem = mem ? mem : &default_mem;
	return mem->calloc(mem->user, nmemb ? nmemb : 1, size ? size : 1);
}

void *ike_mem_realloc(const ike_mem *mem, void *ptr, size_t size)
{
	mem = mem ? mem : &default_mem;
	return mem->realloc(mem->user, ptr, size ? size : 1);
}

void ike_mem_free(const ike_mem *mem, void *ptr)
{
	if (!ptr)
		return;
	mem = mem ? mem : &default_mem;
	mem->free(mem->user, ptr);
}

void ike_mem_freezero(const ike_mem *mem, void *ptr, size_t size)
{
	if (!ptr)
		return;
	OPENSSL_cleanse(ptr, size);
	ike_mem_free(mem, ptr);
}

void *ike_mem_dup(const ike_mem *mem, const void *src, size_t size)
{
	void *p = ike_mem_malloc(mem, size);
	if (p && size)
		memcpy(p, src, size);
	return p;
}
