/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by bpf/hvflush.bpf.c and hvflush-top: Hyper-V TLB flush
 * FIFO statistics per target (VM, vCPU, FIFO) and global counters.
 *
 * A flush hypercall queues GVA ranges on each target vCPU's L1 or L2 FIFO
 * (kvm:kvm_hv_flush_tlb_enqueue, in the issuing vCPU's thread); the target
 * drains the FIFO on its next entry or purges it on a full guest TLB flush
 * (kvm:kvm_hv_flush_tlb_dequeue, in the target's thread).  The latency of
 * a row is the time from the oldest enqueue not yet drained to the drain or
 * purge that ends it, in nanoseconds, in log2 slots.
 */
#ifndef KVMSCOPE_HVFLUSH_H
#define KVMSCOPE_HVFLUSH_H

#include <linux/types.h>

#include "sizes.h"

#define HVFLUSH_MAX_ROWS	16384	/* (VM, vCPU, FIFO) rows in the kernel */

enum hvflush_fifo {
	HVFLUSH_FIFO_L1,	/* flushes requested by L1 for L1 */
	HVFLUSH_FIFO_L2,	/* L2's "Direct Virtual Flush" FIFO */
	HVFLUSH_NR_FIFOS,
};

/* Global counters, per-CPU in the kernel; userspace sums the CPUs. */
enum hvflush_counter {
	HVFLUSH_HYPERCALLS_L1,	/* kvm_hv_flush_tlb{,_ex} issued by L1 */
	HVFLUSH_HYPERCALLS_L2,	/* ... issued by L2 (guest_mode) */
	HVFLUSH_ENQUEUES,	/* requests queued on a target FIFO */
	HVFLUSH_OVERFLOWS,	/* ... that did not fit: "flush all" instead */
	HVFLUSH_DRAINS,		/* FIFO drains that took entries */
	HVFLUSH_PURGES,		/* FIFO purges that dropped entries */
	/*
	 * Drains and purges of an empty FIFO: every nested transition asks
	 * for one, and so does a kick whose entries an earlier drain took.
	 */
	HVFLUSH_EMPTY_DEQUEUES,
	HVFLUSH_SYNTHETIC_VMEXITS,	/* L2 flush done with L2's TLB locked */
	HVFLUSH_LOST,		/* events with no row: rows map full */
	/*
	 * Waits their VM's end cleared undrained, not measured: its VMM
	 * exited, or (where fentry attaches) the VM was destroyed.
	 */
	HVFLUSH_ABANDONED,
	/*
	 * Events a program did not run for: it was already running on that
	 * CPU (ks_probe_missed(); userspace fills it in, BPF never does).
	 */
	HVFLUSH_MISSED,
	HVFLUSH_NR_COUNTERS,
};

struct hvflush_key {
	__u64 kvm;		/* struct kvm address: tells VMs of one VMM apart */
	/*
	 * The VMM process (the tgid of every event's thread), not
	 * kvm->userspace_pid, the thread that created the VM: one VMM, one
	 * pid in every tool.  In the key, so a VM of another process at a
	 * freed struct kvm's address gets a row of its own.
	 */
	__u32 pid;
	__s32 vcpu_id;		/* vcpu->vcpu_id of the target */
	__u32 fifo;		/* enum hvflush_fifo */
	__u32 pad;
};

/*
 * The counters of struct hvflush_row that only grow, listed once for
 * userspace as X(field, metric, help), metric the exporter's counter per
 * vCPU and FIFO or NULL for none.  hvflush-top's model and JSON and the
 * exporter's store, sums and metrics follow this list: a new counter is
 * its field in the row, one entry here and its update in hvflush.bpf.c.
 */
#define HVFLUSH_ROW_COUNTERS(X)						\
	X(enqueues, "kvmscope_hv_tlb_flush_enqueues_total",		\
	  "Hyper-V TLB flush requests queued on a target vCPU's FIFO (l1, or l2 for Direct Virtual Flush).") \
	X(flush_all, "kvmscope_hv_tlb_flush_flush_all_total",		\
	  "Requests queued as a single \"flush all\" entry.")		\
	X(overflows, "kvmscope_hv_tlb_flush_overflows_total",		\
	  "Requests that did not fit the FIFO and became \"flush all\".") \
	X(drains, "kvmscope_hv_tlb_flush_drains_total",			\
	  "FIFO drains with entries, on the target vCPU's next entry.")	\
	X(purges, "kvmscope_hv_tlb_flush_purges_total",			\
	  "FIFO purges: a full TLB flush made the queued entries moot.") \
	X(full_flushes, NULL, "Drains that met a \"flush all\" entry.")

struct hvflush_row {
	/*
	 * Written by every vCPU thread that enqueues to this target, so
	 * updated with atomics; the target's thread takes oldest_ns with an
	 * exchange, so each wait is measured exactly once.
	 */
	__u64 oldest_ns;	/* ktime of the oldest undrained enqueue, 0: none */
	__u64 pending;		/* enqueues since the last drain or purge */
	__u64 enqueues;
	__u64 overflows;	/* enqueues that fell back to "flush all" */
	__u64 flush_all;	/* enqueues of a "flush all" entry (asked or overflow) */
	__u32 fifo_len;		/* FIFO depth after the last enqueue */
	__u32 pad;
	/* Written only by the target vCPU's thread: drains and purges run there. */
	__u64 drains;		/* drains that took entries */
	__u64 purges;		/* purges that dropped entries */
	__u64 full_flushes;	/* drains that met a "flush all" entry */
	__u64 sum_ns;		/* sum of the latencies in slots */
	__u64 max_ns;		/* longest latency in generation max_gen */
	__u64 max_gen;		/* max_gen of the BPF object when max_ns was set */
	__u64 slots[KS_HIST_SLOTS];
	/* kvm->stats_id, "kvm-<tid>" of the thread that created the VM */
	char stats_id[KS_STATS_ID_LEN];
};

#endif /* KVMSCOPE_HVFLUSH_H */
