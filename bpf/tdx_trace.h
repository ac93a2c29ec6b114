/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What tdx-trace's two BPF objects (conversions.bpf.c, mmu_roles.bpf.c)
 * share with each other and with userspace: sizes, and the reasons of the
 * per-CPU "lost" array both keep.  Plain fixed-width types only, so the
 * layout is the same on both sides.
 */
#ifndef KVMSCOPE_TDX_TRACE_H
#define KVMSCOPE_TDX_TRACE_H

#include <linux/types.h>

#include "sizes.h"

#define TDX_COMM_LEN		16

/* Indices of the per-CPU "lost" array: events dropped by the kernel side. */
enum tdx_lost {
	TDX_LOST_RINGBUF,	/* ring buffer reserve failed */
	TDX_LOST_INFLIGHT_FULL,	/* per-thread state map full at begin */
	TDX_LOST_STATS_FULL,	/* aggregation map full at end */
	TDX_LOST_TRANS_FULL,	/* roles: transition map full */
	TDX_LOST_MAPGPA_FULL,	/* MapGPA per-thread/vCPU/process map full */
	TDX_LOST_UNKNOWN_ROLE,	/* roles: a role this tool cannot name */
	TDX_LOST_MAPGPA_VMM_CAP,	/* MapGPA: the VMM has its share of rows */
	/*
	 * Events a program did not run for: it was already running on that
	 * CPU (ks_probe_missed(); userspace fills it in, BPF never does).
	 */
	TDX_LOST_MISSED,
	TDX_NR_LOST,
};

#endif /* KVMSCOPE_TDX_TRACE_H */
