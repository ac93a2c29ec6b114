/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by tdx-trace's BPF programs (tdx_conv.bpf.c, tdx_roles.bpf.c)
 * and userspace (tools/tdx-trace).  Plain fixed-width types only, so the
 * layout is the same on both sides.
 */
#ifndef KVMSCOPE_TDX_H
#define KVMSCOPE_TDX_H

#include <linux/types.h>

#include "stats_id.h"

#define TDX_STATS_ID_LEN	KVMSCOPE_STATS_ID_LEN
#define TDX_COMM_LEN		16
#define TDX_HIST_SLOTS		40	/* log2 slots: up to 2^40 ns / pages */

/* KVM_MEMORY_ATTRIBUTE_PRIVATE: set means "to private", clear "to shared". */
#define TDX_ATTR_PRIVATE	(1ULL << 3)
/* _IOW(KVMIO, 0xd2, struct kvm_memory_attributes) */
#define TDX_KVM_SET_MEMORY_ATTRIBUTES 0x4020aed2U
#define TDX_KVM_HC_MAP_GPA_RANGE 12
/*
 * KVM_HC_MAP_GPA_RANGE's a2: KVM_MAP_GPA_RANGE_ENCRYPTED (asm/kvm_para.h)
 * set means "to private".  Not bit 3 as in memory attributes: a2's bits
 * 3:0 hold the page size.
 */
#define TDX_MAP_GPA_ENCRYPTED	(1ULL << 4)
#define TDX_PAGE_SHIFT		12

enum tdx_dir {
	TDX_DIR_SHARED,
	TDX_DIR_PRIVATE,
	TDX_NR_DIRS,
};

/* Direction filter (--private / --shared); ANY when neither is given. */
enum tdx_dir_filter {
	TDX_FILTER_ANY,
	TDX_FILTER_SHARED,
	TDX_FILTER_PRIVATE,
};

/* Indices of the per-CPU "lost" array: events dropped by the kernel side. */
enum tdx_lost {
	TDX_LOST_RINGBUF,	/* ring buffer reserve failed */
	TDX_LOST_INFLIGHT_FULL,	/* per-thread state map full at begin */
	TDX_LOST_STATS_FULL,	/* aggregation map full at end */
	TDX_LOST_TRANS_FULL,	/* roles: transition map full */
	TDX_LOST_MAPGPA_FULL,	/* MapGPA per-thread/per-vCPU map full */
	TDX_NR_LOST,
};

/* Which record fields the current mode could observe (tdx_conv_event.valid). */
#define TDX_F_VM	(1U << 0)	/* stats_id (series: read from struct kvm) */
#define TDX_F_ZAPPED	(1U << 1)	/* zapped[] counts */
#define TDX_F_FLUSHES	(1U << 2)	/* flushes, yields, root_walks (zap_leafs) */
#define TDX_F_NOOP	(1U << 3)	/* noop flag */
#define TDX_F_SERIES_ALL (TDX_F_VM | TDX_F_ZAPPED | TDX_F_FLUSHES | TDX_F_NOOP)
#define TDX_F_FALLBACK_ALL (TDX_F_ZAPPED)

/* Zap levels as indexed in zapped[]: PG_LEVEL_4K - 1 ... PG_LEVEL_1G - 1. */
#define TDX_NR_LEVELS		3

/* One conversion, streamed through the ring buffer (not with --summary). */
struct tdx_conv_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() at the end */
	__u64 duration_ns;
	__u64 gfn_start;	/* [gfn_start, gfn_end) */
	__u64 gfn_end;
	__u64 attributes;
	__u32 pid;		/* VMM process */
	__u32 tid;		/* thread that did the conversion */
	__u32 zapped[TDX_NR_LEVELS];
	__u32 yields;
	__u32 yield_flushes;
	__u32 flushes;		/* yield_flushes + (flushed at the end) */
	__u32 root_walks;	/* zap_leafs events: TDP roots walked */
	__s32 ret;
	__u32 valid;		/* TDX_F_* */
	__u8 noop;
	__u8 flushed;
	__u8 pad[2];
	char comm[TDX_COMM_LEN];
	char stats_id[TDX_STATS_ID_LEN];
};

/* Summary aggregation: one entry per VM and direction. */
struct tdx_conv_key {
	__u32 pid;
	__u32 dir;		/* enum tdx_dir */
};

struct tdx_conv_stats {
	__u64 count;
	__u64 noop;
	__u64 errors;		/* ret != 0 */
	__u64 pages;
	__u64 zapped[TDX_NR_LEVELS];
	__u64 flushes;
	__u64 yields;
	__u64 dur_sum_ns;	/* exact, for means and Prometheus _sum */
	__u64 dur_slots[TDX_HIST_SLOTS];	/* log2(duration ns) */
	__u64 pages_slots[TDX_HIST_SLOTS];	/* log2(pages) */
	char stats_id[TDX_STATS_ID_LEN];
	char comm[TDX_COMM_LEN];	/* the VMM's, names it after it exits */
};

/* Guest-visible MapGPA latency: hypercall 12 -> next kvm_entry, per vCPU. */
struct tdx_mapgpa_key {
	__u32 pid;
	__u32 vcpu_id;
};

struct tdx_mapgpa_stats {
	__u64 count;
	__u64 pages;		/* requested by the hypercall (a1) */
	__u64 to_private;	/* requests with TDX_MAP_GPA_ENCRYPTED in a2 */
	__u64 userspace_exits;	/* the request went out to the VMM */
	__u64 conversions;	/* conversions by the VMM while it waited */
	__u64 lat_sum_ns;	/* exact, for means and Prometheus _sum */
	__u64 lat_slots[TDX_HIST_SLOTS];	/* log2(ns) */
	char comm[TDX_COMM_LEN];	/* the VMM's, names it after it exits */
};

/* MMU roles: which of a vCPU's MMUs (TP arg "mmu"). */
enum tdx_mmu_kind {
	TDX_MMU_ROOT,
	TDX_MMU_GUEST,
	TDX_MMU_NESTED,
	TDX_NR_MMUS,
};

/* Why a role changed, decoded from the bits that moved (tdx_role_cause()). */
enum tdx_role_cause {
	TDX_CAUSE_INIT,		/* old cpu_role ext.valid == 0: CPUID/init */
	TDX_CAUSE_NESTED,	/* base.guest_mode differs */
	TDX_CAUSE_SMM,		/* base.smm differs */
	TDX_CAUSE_MODE,		/* CR0/CR4/EFER bits */
	TDX_NR_CAUSES,
};

struct tdx_role_key {
	__u32 pid;
	__u32 vcpu_id;
	__u32 mmu;		/* enum tdx_mmu_kind */
	__u32 pad;
};

struct tdx_role_stats {
	__u64 computed;		/* every event */
	__u64 changed;
	__u64 unchanged;	/* early-out */
	__u64 cause[TDX_NR_CAUSES];	/* changed only */
	char stats_id[TDX_STATS_ID_LEN];
};

/* One distinct changed transition of one VM's MMU kind. */
struct tdx_trans_key {
	__u64 old_cpu_role;
	__u64 new_cpu_role;
	__u32 old_root_role;
	__u32 new_root_role;
	__u32 pid;
	__u32 mmu;
};

/* Bit layout of union kvm_mmu_page_role / kvm_mmu_extended_role (6.12). */
#define TDX_ROLE_LEVEL_MASK		0xfU
#define TDX_ROLE_GUEST_MODE_BIT		17
#define TDX_ROLE_SMM_SHIFT		24
#define TDX_ROLE_SMM_MASK		(0xffU << TDX_ROLE_SMM_SHIFT)
#define TDX_EXT_VALID_BIT		0

/*
 * The cause of a changed computation.  Shared by BPF (aggregation) and
 * userspace (decoding transitions, tests) so both agree by construction.
 */
static inline enum tdx_role_cause tdx_role_cause(__u64 old_cpu, __u64 new_cpu,
						 __u32 old_root, __u32 new_root)
{
	__u32 old_base = (__u32)old_cpu, new_base = (__u32)new_cpu;
	__u32 old_ext = (__u32)(old_cpu >> 32);
	__u32 gm = 1U << TDX_ROLE_GUEST_MODE_BIT;

	if (!(old_ext & (1U << TDX_EXT_VALID_BIT)))
		return TDX_CAUSE_INIT;
	if (((old_base ^ new_base) | (old_root ^ new_root)) & gm)
		return TDX_CAUSE_NESTED;
	if (((old_base ^ new_base) | (old_root ^ new_root)) & TDX_ROLE_SMM_MASK)
		return TDX_CAUSE_SMM;
	return TDX_CAUSE_MODE;
}

#endif /* KVMSCOPE_TDX_H */
