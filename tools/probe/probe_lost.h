/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The per-CPU "lost" array both conversions.bpf.c and mmu_roles.bpf.c keep:
 * events dropped because a map or the ring buffer was full (enum tdx_lost).
 */
#ifndef KVMSCOPE_PROBE_LOST_H
#define KVMSCOPE_PROBE_LOST_H

#include <stdint.h>

struct bpf_object;

#include "tdx_trace.h"

/*
 * Sum the per-CPU "lost" array @map_fd into @lost, and the events @obj's
 * programs missed (ks_probe_missed()).  Returns 0 or -errno.
 */
int tdx_read_lost(int map_fd, const struct bpf_object *obj,
		  uint64_t lost[TDX_NR_LOST]);
uint64_t tdx_lost_total(const uint64_t lost[TDX_NR_LOST]);
const char *tdx_lost_name(unsigned int idx);	/* "ringbuf", ... */

#endif /* KVMSCOPE_PROBE_LOST_H */
