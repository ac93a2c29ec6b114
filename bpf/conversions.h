/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by bpf/conversions.bpf.c and userspace: memory attribute
 * conversions (TDX, SNP and software-protected VMs alike) and MapGPA
 * latency.  Plain fixed-width types only, so the layout is the same on
 * both sides.
 */
#ifndef KVMSCOPE_CONVERSIONS_H
#define KVMSCOPE_CONVERSIONS_H

#include "tdx_trace.h"

/* KVM_MEMORY_ATTRIBUTE_PRIVATE: set means "to private", clear "to shared". */
#define CONV_ATTR_PRIVATE	(1ULL << 3)
/* _IOW(KVMIO, 0xd2, struct kvm_memory_attributes) */
#define CONV_KVM_SET_MEMORY_ATTRIBUTES 0x4020aed2U
#define CONV_KVM_HC_MAP_GPA_RANGE 12
/*
 * KVM_HC_MAP_GPA_RANGE's a2: KVM_MAP_GPA_RANGE_ENCRYPTED (asm/kvm_para.h)
 * set means "to private".  Not bit 3 as in memory attributes: a2's bits
 * 3:0 hold the page size.
 */
#define CONV_MAP_GPA_ENCRYPTED	(1ULL << 4)
#define CONV_PAGE_SHIFT		12

enum conv_dir {
	CONV_DIR_SHARED,
	CONV_DIR_PRIVATE,
	CONV_NR_DIRS,
};

/* Direction filter (--private / --shared); ANY when neither is given. */
enum conv_dir_filter {
	CONV_FILTER_ANY,
	CONV_FILTER_SHARED,
	CONV_FILTER_PRIVATE,
};

/* Which record fields the current mode could observe (conv_event.valid). */
#define CONV_F_VM	(1U << 0)	/* stats_id, read from struct kvm */
#define CONV_F_ZAPPED	(1U << 1)	/* zapped[] counts */
#define CONV_F_FLUSHES	(1U << 2)	/* flushes, yields, root_walks (zap_leafs) */
#define CONV_F_NOOP	(1U << 3)	/* noop flag */
#define CONV_F_SERIES_ALL (CONV_F_VM | CONV_F_ZAPPED | CONV_F_FLUSHES | CONV_F_NOOP)
#define CONV_F_FALLBACK_ALL (CONV_F_VM | CONV_F_ZAPPED)

/* Zap levels as indexed in zapped[]: PG_LEVEL_4K - 1 ... PG_LEVEL_1G - 1. */
#define CONV_NR_LEVELS		3

/* One conversion, streamed through the ring buffer (not with --summary). */
struct conv_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() at the end */
	__u64 duration_ns;
	__u64 gfn_start;	/* [gfn_start, gfn_end) */
	__u64 gfn_end;
	__u64 attributes;
	__u32 pid;		/* VMM process */
	__u32 tid;		/* thread that did the conversion */
	__u32 zapped[CONV_NR_LEVELS];
	__u32 yields;
	__u32 yield_flushes;
	__u32 flushes;		/* yield_flushes + (flushed at the end) */
	__u32 root_walks;	/* zap_leafs events: TDP roots walked */
	__s32 ret;
	__u32 valid;		/* CONV_F_* */
	__u8 noop;
	__u8 flushed;
	__u8 pad[2];
	char comm[TDX_COMM_LEN];
	char stats_id[KS_STATS_ID_LEN];
};

/* Summary aggregation: one row per VMM and direction (struct conv_vmm). */
struct conv_key {
	__u32 pid;
	__u32 dir;		/* enum conv_dir */
};

/*
 * The counters of struct conv_stats that only grow, listed once for
 * userspace as X(field, series, metric, help):
 *   series	only the kvmscope series sees it: tdx-trace's fallback JSON
 *		says null, the exporter leaves the metric out;
 *   metric	the exporter's counter per VM and direction, NULL for none.
 * tdx-trace's tables and JSON and the exporter's store, sums and metrics
 * follow this list: a new counter is its field here, one entry and its
 * update in conversions.bpf.c.
 */
#define CONV_ROW_COUNTERS(X)						\
	X(count, 0, "kvmscope_mem_conversions_total",			\
	  "Memory attribute conversions (KVM_SET_MEMORY_ATTRIBUTES) completed, by direction: to private or to shared.") \
	X(noop, 1, "kvmscope_mem_conversion_noops_total",		\
	  "Conversions whose whole range already had the requested attributes.") \
	X(errors, 0, "kvmscope_mem_conversion_errors_total",		\
	  "Conversions that returned an error.")			\
	X(pages, 0, "kvmscope_mem_conversion_pages_total",		\
	  "4KiB guest frames covered by conversion requests.")		\
	X(flushes, 1, "kvmscope_mem_conversion_tlb_flushes_total",	\
	  "Remote TLB flushes done by conversions (MMU lock yields and the final flush).") \
	X(yields, 1, NULL, "MMU lock yields while zapping.")

struct conv_stats {
	__u64 count;
	__u64 noop;
	__u64 errors;		/* ret != 0 */
	__u64 pages;
	__u64 zapped[CONV_NR_LEVELS];
	__u64 flushes;
	__u64 yields;
	__u64 dur_sum_ns;	/* exact, for means and Prometheus _sum */
	__u64 dur_slots[KS_HIST_SLOTS];	/* log2(duration ns) */
	__u64 pages_slots[KS_HIST_SLOTS];	/* log2(pages) */
	char stats_id[KS_STATS_ID_LEN];
	char comm[TDX_COMM_LEN];	/* the VMM's, names it after it exits */
};

/*
 * The conversion rows of one VMM process, both directions, in a slot of
 * the "stats" array: an array lookup the verifier inlines, where a hash
 * lookup by (pid, direction) cost a third of bpftrace's whole count().
 * A thread caches its process's slot and the slot's generation: userspace
 * bumps the generation when it frees the slot, so a stale cache misses
 * rather than counting into another VMM's rows.
 */
#define CONV_MAX_VMMS		512

struct conv_vmm {
	__u32 pid;		/* the VMM; 0: the slot is free */
	__u32 gen;		/* bumped by userspace at each free */
	__u64 convs;		/* conversions finished, for MapGPA waits */
	/* By enum conv_dir; a row with count 0 has not been used. */
	struct conv_stats dir[CONV_NR_DIRS];
};

/* MapGPA rows (VMM process, vCPU) in the kernel ... */
#define MAPGPA_MAX_ROWS		4096
/*
 * ... and the most one VMM process may hold: a VMM with thousands of vCPU
 * ids must not take the rows of every other.  A quarter: a VM with x86
 * KVM's default most vCPUs (CONFIG_KVM_MAX_NR_VCPUS, 1024) still fits.
 */
#define MAPGPA_VMM_MAX_ROWS	1024

/*
 * Guest-visible MapGPA latency, per vCPU: hypercall 12 -> next kvm_entry;
 * or, where the series traces them, TDX's TDVMCALL<MapGPA> and SNP's page
 * state changes from request to the event that returns to the guest.
 */
struct mapgpa_key {
	__u32 pid;
	__u32 vcpu_id;
};

/*
 * The counters of struct mapgpa_stats, listed once for userspace as
 * X(field, metric, help), metric the exporter's counter per vCPU or NULL
 * (count and to_private are exported as requests by direction).  As
 * CONV_ROW_COUNTERS, the tools follow this list.
 */
#define MAPGPA_ROW_COUNTERS(X)						\
	X(count, NULL, "MapGPA hypercalls (KVM_HC_MAP_GPA_RANGE).")	\
	X(pages, "kvmscope_mapgpa_pages_total",				\
	  "4KiB pages requested by MapGPA hypercalls.")			\
	X(to_private, NULL, "MapGPA hypercalls asking for private memory.") \
	X(userspace_exits, "kvmscope_mapgpa_userspace_exits_total",	\
	  "MapGPA hypercalls forwarded to the VMM (KVM_EXIT_HYPERCALL).") \
	X(conversions, NULL, "Conversions by the VMM while a MapGPA hypercall waited.") \
	X(chunks, "kvmscope_mapgpa_chunks_total",			\
	  "KVM_HC_MAP_GPA_RANGE exits to the VMM: one per MapGPA hypercall, or per chunk of a TDX MapGPA or SNP page state change.") \
	X(retries, "kvmscope_mapgpa_retries_total",			\
	  "MapGPA requests answered TDX's RETRY or KVM's -KVM_EAGAIN: the guest calls again for the rest.") \
	X(errors, "kvmscope_mapgpa_errors_total",			\
	  "MapGPA requests that returned an error to the guest (a result but 0, RETRY and -KVM_EAGAIN).") \
	X(userspace_ns, NULL, "Nanoseconds the chunks spent in the VMM, exit to completion.")

struct mapgpa_stats {
	__u64 count;
	__u64 pages;		/* requested by the hypercall (a1) */
	__u64 to_private;	/* requests with CONV_MAP_GPA_ENCRYPTED in a2 */
	__u64 userspace_exits;	/* the request went out to the VMM */
	__u64 conversions;	/* conversions by the VMM while it waited */
	__u64 chunks;		/* KVM_HC_MAP_GPA_RANGE exits */
	__u64 retries;		/* TDVMCALL_STATUS_RETRY, -KVM_EAGAIN */
	__u64 errors;		/* an error for the guest */
	__u64 userspace_ns;	/* TDX/SNP: exits to their completions */
	__u64 lat_sum_ns;	/* exact, for means and Prometheus _sum */
	__u64 lat_slots[KS_HIST_SLOTS];	/* log2(ns) */
	char comm[TDX_COMM_LEN];	/* the VMM's, names it after it exits */
	/* The vCPU's kvm->stats_id: its VM as the other rows name it. */
	char stats_id[KS_STATS_ID_LEN];
};

/*
 * A slot of the MapGPA rows: whose row it is (pid 0: free, or not named
 * yet), so a stale cached slot misses rather than counting into another
 * vCPU's row.
 */
struct mapgpa_row {
	struct mapgpa_key key;
	struct mapgpa_stats s;
};

#endif /* KVMSCOPE_CONVERSIONS_H */
