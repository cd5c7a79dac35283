/* SPDX-License-Identifier: MIT */
/*
 * ike/mem.h - allocator hooks. Every allocation in ike/ and holepunch/ goes through
 * an ike_mem, so tests can count bytes per SA and inject allocation failures.
 */
#ifndef IKE_MEM_H
#define IKE_MEM_H
#include <stddef.h>

typedef struct ike_mem {
	void *user;
	void *(*malloc)(void *user, size_t size);
	void (*free)(void *user, void *ptr);
	void *(*calloc)(void *user, size_t nmemb, size_t size);
	void *(*realloc)(void *user, void *ptr, size_t size);
} ike_mem;

/* The C library's allocator. */
const ike_mem *ike_mem_default(void);

/* Wrappers that accept a NULL mem (= default). ike_mem_free(mem, NULL) does nothing. */
void *ike_mem_malloc(const ike_mem *mem, size_t size);
void *ike_mem_calloc(const ike_mem *mem, size_t nmemb, size_t size);
void *ike_mem_realloc(const ike_mem *mem, void *ptr, size_t size);
void ike_mem_free(const ike_mem *mem, void *ptr);
/* Wipes size bytes (OPENSSL_cleanse) and frees: for buffers that held secrets. */
void ike_mem_freezero(const ike_mem *mem, void *ptr, size_t size);
void *ike_mem_dup(const ike_mem *mem, const void *src, size_t size);

#endif /* IKE_MEM_H */
