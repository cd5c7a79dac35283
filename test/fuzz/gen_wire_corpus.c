/* SPDX-License-Identifier: MIT */
/*
 * Writes the sample messages of test/unit/ike_wire/wire_samples.h as the seed
 * corpus of fuzz_wire: gen_wire_corpus <dir> creates <dir>/sample_NN.bin.
 */
#include <stdio.h>

#include "wire_samples.h"

int main(int argc, char **argv)
{
	static uint8_t buf[8192];

	if (argc != 2) {
		fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
		return 2;
	}
	for (int i = 0; i < WS_COUNT; i++) {
		char path[4096];
		size_t len = ws_build(i, buf, sizeof buf);
		FILE *f;

		if (!len) {
			fprintf(stderr, "sample %d did not build\n", i);
			return 1;
		}
		snprintf(path, sizeof path, "%s/sample_%02d.bin", argv[1], i);
		f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
			perror(path);
			return 1;
		}
	}
	return 0;
}
