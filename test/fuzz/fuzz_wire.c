/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the IKEv2 wire codec: decodes the input as a datagram,
 * re-encodes it and compares, decodes every payload with its typed decoder and
 * re-encodes it, and decodes the SK body as if it had been decrypted (the seed
 * corpus in corpus/wire/ holds SK payloads with plaintext inside). Any
 * inconsistency aborts with the line of wire_walk.h that found it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "wire_walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int rc = ww_message(data, size, NULL);

	if (rc) {
		fprintf(stderr, "fuzz_wire: inconsistency at wire_walk.h:%d\n", -rc);
		abort();
	}
	return 0;
}
