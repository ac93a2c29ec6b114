// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "percpu.h"

int ks_percpu_sums(int map_fd, uint64_t *out, uint32_t n)
{
	int ncpus = libbpf_num_possible_cpus(), cpu, err = 0;
	uint64_t *vals;
	uint32_t i;

	memset(out, 0, sizeof(*out) * n);
	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	/* The kernel copies out one 8-byte slot per possible CPU. */
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(map_fd, &i, vals)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < ncpus; cpu++)
			out[i] += vals[cpu];
	}
	free(vals);
	return err;
}
