// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the synthetic VM spec parser (the file tests and
 * benchmarks rewrite while the exporter re-reads it on every scrape): any
 * bytes must parse or fail cleanly, and what parses is sorted, unique and
 * within the documented bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvmscope-exporter/source_synth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct synth_vm *vms;
	char err[160];
	int n;

	n = synth_parse((const char *)data, size, &vms, err, sizeof(err));
	if (n < 0) {
		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			abort();
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (!vms[i].id[0] || vms[i].vcpus < 1 ||
		    vms[i].vcpus > SYNTH_MAX_VCPUS)
			abort();
		if (i && strcmp(vms[i - 1].id, vms[i].id) >= 0)
			abort();
	}
	free(vms);
	return 0;
}
