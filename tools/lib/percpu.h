/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading per-CPU array maps of __u64 counters (lost events, counters,
 * histogram slots), which BPF programs update without atomics.
 */
#ifndef KVMSCOPE_PERCPU_H
#define KVMSCOPE_PERCPU_H

#include <stdint.h>

/*
 * out[i] = element i of the per-CPU array @map_fd summed over every
 * possible CPU, for i < @n.  Returns 0 or -errno.
 */
int ks_percpu_sums(int map_fd, uint64_t *out, uint32_t n);

#endif /* KVMSCOPE_PERCPU_H */
