/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the IKEv2 wire codec: decodes the input as a datagram,
 * re-encodes it and compares, decodes every payload with its typed decoder and
 * re-encodes it, and decodes the SK body as if it had been decrypted (the seed
 * corpus in corpus/wire/ holds SK payloads with plaintext inside). Any
 * inconsistency aborts with the line of wire_walk.h that found it. The input is
 * also given to every typed payload decoder as a bare body.
 */
#include <stdio.h>
#include <stdlib.h>

#include "wire_walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t types[] = {IKE_SA,   IKE_KE,    IKE_IDI,    IKE_CERT,   IKE_CERTREQ,
                                IKE_AUTH, IKE_NONCE, IKE_NOTIFY, IKE_DELETE, IKE_VENDOR,
                                IKE_TSI,  IKE_CP,    IKE_EAP};

static void check(int rc)
{
	if (rc) {
		fprintf(stderr, "fuzz_wire: inconsistency at wire_walk.h:%d\n", -rc);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ike_slice body = {data, size};

	check(ww_message(data, size, NULL));
	/* The input also as a bare body of every payload type and as ME_ENDPOINT data,
	 * so the typed decoders get mutations that no message framing constrains. */
	for (size_t i = 0; i < sizeof types; i++)
		check(ww_payload(types[i], 0, body, NULL));
	check(ww_payload(0, 1, body, NULL));
	return 0;
}
