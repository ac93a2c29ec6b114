// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Empty programs on every event kvmscope's tools attach to: the floor that
 * `make bench` (lab/bench.sh) measures the tools' programs against.  With
 * kernel.bpf_stats_enabled=1, an empty program's run_time_ns/run_cnt is
 * what running any program on that event costs before it does anything,
 * and attaching them all shows what the tracepoint dispatch alone costs a
 * workload.  lab/bench/empty-attach.c loads the ones asked for.
 *
 * raw_tp by default (tp_btf runs through the same bpf_trace_run*()
 * dispatch); the two syscall events are perf-event tracepoint programs
 * because tdx-trace's fallback mode attaches those.  hvflush-top's events
 * also have a tp_btf twin, and its sched_process_exit program an empty
 * one, so that `empty-attach -b` attaches exactly what hvflush-top does,
 * the way it does: the floor any program on its events pays.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EMPTY_RAW_TP(event)					\
	SEC("raw_tp/" #event)					\
	int empty_##event(void *ctx) { return 0; }

#define EMPTY_TP_BTF(event)					\
	SEC("tp_btf/" #event)					\
	int empty_btf_##event(void *ctx) { return 0; }

/* tdx-trace conversions, series mode (the first also opens the fallback's) */
EMPTY_RAW_TP(kvm_vm_set_mem_attributes)
EMPTY_RAW_TP(kvm_vm_set_mem_attributes_done)
EMPTY_RAW_TP(tdp_mmu_zap_leafs)
/* tdx-trace roles */
EMPTY_RAW_TP(kvm_mmu_role)
/*
 * tdx-trace MapGPA latency: the series' request, exit and return events,
 * and upstream's exit and entry where the kernel lacks the series
 */
EMPTY_RAW_TP(kvm_hypercall)
EMPTY_RAW_TP(kvm_map_gpa_range_exit)
EMPTY_RAW_TP(kvm_hypercall_done)
EMPTY_RAW_TP(kvm_userspace_exit)
EMPTY_RAW_TP(kvm_entry)
/* tdx-trace conversions, fallback mode */
EMPTY_RAW_TP(kvm_tdp_mmu_spte_changed)

SEC("tracepoint/syscalls/sys_enter_ioctl")
int empty_sys_enter_ioctl(void *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_exit_ioctl")
int empty_sys_exit_ioctl(void *ctx) { return 0; }

/* hvflush-top: the series' FIFO events and L2 exits; hypercalls (both modes) */
EMPTY_RAW_TP(kvm_hv_flush_tlb_enqueue)
EMPTY_RAW_TP(kvm_hv_flush_tlb_dequeue)
EMPTY_RAW_TP(kvm_nested_vmexit_inject)
EMPTY_RAW_TP(kvm_hv_flush_tlb)
EMPTY_RAW_TP(kvm_hv_flush_tlb_ex)
EMPTY_TP_BTF(kvm_hv_flush_tlb_enqueue)
EMPTY_TP_BTF(kvm_hv_flush_tlb_dequeue)
EMPTY_TP_BTF(kvm_nested_vmexit_inject)
EMPTY_TP_BTF(kvm_hv_flush_tlb)
EMPTY_TP_BTF(kvm_hv_flush_tlb_ex)
/* hvflush-top: the VMM's exit ends its rows' waits */
EMPTY_RAW_TP(sched_process_exit)
