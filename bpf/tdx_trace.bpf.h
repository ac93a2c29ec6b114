/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What tdx-trace's two BPF objects (conversions.bpf.c, mmu_roles.bpf.c) have
 * in common: the filters userspace sets before load, the per-CPU counters
 * of dropped events, and the helpers over them.  Each object is one
 * translation unit, so the definitions here exist once per object.
 * Include after kvm_core.h and the object's header (tdx_trace.h).
 */
#ifndef KVMSCOPE_TDX_TRACE_BPF_H
#define KVMSCOPE_TDX_TRACE_BPF_H

#include "bits.bpf.h"

#define EEXIST 17	/* asm-generic/errno-base.h */

/* Filters, set by userspace before load: VMM process, VM stats id. */
const volatile __u32 targ_pid = 0;
const volatile char targ_vm[KS_STATS_ID_LEN] = {};

/* Events dropped by the kernel side, by enum tdx_lost. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TDX_NR_LOST);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline void count_lost(__u32 what)
{
	__u64 *v = bpf_map_lookup_elem(&lost, &what);

	if (v)
		(*v)++;		/* per-CPU: no atomics needed */
}

/* Does @stats_id pass the --vm filter? */
static __always_inline bool vm_wanted(const char *stats_id)
{
	int i;

	if (!targ_vm[0])
		return true;
	for (i = 0; i < KS_STATS_ID_LEN; i++) {
		if (stats_id[i] != targ_vm[i])
			return false;
		if (!targ_vm[i])
			break;
	}
	return true;
}

/* The log2 histogram slot of @v, the last slot holding everything above. */
static __always_inline __u32 hist_slot(__u64 v)
{
	__u64 slot = log2_u64(v);

	return slot < KS_HIST_SLOTS ? slot : KS_HIST_SLOTS - 1;
}

#endif /* KVMSCOPE_TDX_TRACE_BPF_H */
