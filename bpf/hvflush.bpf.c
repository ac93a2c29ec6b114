// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hvflush-top: how long vCPUs wait for Hyper-V TLB flushes.
 *
 * Series mode pairs kvm_hv_flush_tlb_enqueue with the next
 * kvm_hv_flush_tlb_dequeue of the same (VM, vCPU, FIFO) and keeps a log2
 * latency histogram per row, and counts the synthetic VM-exits that follow
 * L2 flushes in kvm_nested_vmexit_inject.  Every mode counts the flush
 * hypercalls (kvm_hv_flush_tlb{,_ex}), which is all a kernel without the
 * series has.
 *
 * A wait its VM's end leaves undrained is cleared and counted: when the
 * VMM process exits, and where fentry attaches when the VM is destroyed,
 * or a VM of the same process at the same address would inherit it.
 *
 * Each event has a tp_btf program and a raw_tp twin; userspace autoloads
 * one of them.  The logic lives in __always_inline handlers so that tests
 * can run it through the raw_tp twins with BPF_PROG_TEST_RUN.
 *
 * Needs -mcpu=v3 (tools/hvflush-top/build.mk) for the atomic exchanges.
 */
#include "kvm_core.h"
#include "bits.bpf.h"
#include "hvflush.h"

#define EEXIST 17

/* Only VMs of this VMM process (0: all).  Set before load. */
const volatile __u32 targ_pid = 0;

/*
 * Generation of max_ns: userspace bumps it to restart the maximum (the 'r'
 * key) without racing with the kernel's updates of the row.
 */
__u64 max_gen = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HVFLUSH_MAX_ROWS);
	/* Rows only exist for vCPUs that see flushes: allocate on demand. */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct hvflush_key);
	__type(value, struct hvflush_row);
} rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HVFLUSH_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * The VMM processes with rows, so that the exit of a process without
 * any (nearly all) costs one lookup, not a walk of the rows.  As big as
 * rows: userspace deletes only rows of exited processes, so a live one
 * has a row in it to account for its entry here.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HVFLUSH_MAX_ROWS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u8);
} vmms SEC(".maps");

/* A row is too big for the BPF stack: new rows are built here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hvflush_row);
} new_row SEC(".maps");

/* The vCPU an event is about, resolved through CO-RE. */
struct target {
	struct kvm *kvm;
	__u32 pid;
	int vcpu_id;
};

static __always_inline void count_event(__u32 counter)
{
	__u64 *val = bpf_map_lookup_elem(&counters, &counter);

	/* Per-CPU slot: no other writer. */
	if (val)
		(*val)++;
}

/* @btf: called from a tp_btf program (see KVMSCOPE_READ). */
static __always_inline bool read_target(struct kvm_vcpu *vcpu, bool btf,
					struct target *t)
{
	struct kvm *kvm;

	/* tp_btf arguments of a module's tracepoint may be NULL. */
	if (!vcpu)
		return false;
	/* Locals: CO-RE reads must start from a kernel type, not from t. */
	kvm = KVMSCOPE_READ(btf, vcpu, kvm);
	if (!kvm)
		return false;
	t->kvm = kvm;
	/* Every event runs in a thread of the VMM: its process is the VMM. */
	t->pid = bpf_get_current_pid_tgid() >> 32;
	if (targ_pid && t->pid != targ_pid)
		return false;
	t->vcpu_id = KVMSCOPE_READ(btf, vcpu, vcpu_id);
	return true;
}

/*
 * The row of (VM, vCPU, FIFO), created if @create.  A row that cannot be
 * created (map full) makes the event lost.
 */
static __always_inline struct hvflush_row *
get_row(const struct target *t, bool guest_mode, bool create)
{
	struct kvm *kvm = t->kvm;
	struct hvflush_key key = {
		.kvm = (__u64)kvm,
		.pid = t->pid,
		.vcpu_id = t->vcpu_id,
		.fifo = guest_mode ? HVFLUSH_FIFO_L2 : HVFLUSH_FIFO_L1,
	};
	struct hvflush_row *row;
	__u32 zero = 0;
	__u8 one = 1;
	long err;

	row = bpf_map_lookup_elem(&rows, &key);
	if (row || !create)
		return row;

	/* No row its process's exit would not find. */
	err = bpf_map_update_elem(&vmms, &key.pid, &one, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count_event(HVFLUSH_LOST);
		return NULL;
	}
	/* Only stats_id is ever written here: the rest stays 0. */
	row = bpf_map_lookup_elem(&new_row, &zero);
	if (!row)
		return NULL;
	BPF_CORE_READ_STR_INTO(&row->stats_id, kvm, stats_id);
	err = bpf_map_update_elem(&rows, &key, row, BPF_NOEXIST);
	if (err && err != -EEXIST) {	/* -EEXIST: another CPU created it */
		count_event(HVFLUSH_LOST);
		return NULL;
	}
	return bpf_map_lookup_elem(&rows, &key);
}

static __always_inline void record_latency(struct hvflush_row *row, __u64 ns)
{
	__u64 slot = log2_u64(ns);
	__u64 gen = max_gen;

	if (slot >= KS_HIST_SLOTS)
		slot = KS_HIST_SLOTS - 1;
	row->slots[slot]++;
	row->sum_ns += ns;
	if (row->max_gen != gen || ns > row->max_ns) {
		row->max_ns = ns;
		row->max_gen = gen;
	}
}

static __always_inline int handle_enqueue(struct kvm_vcpu *vcpu, bool btf,
					  bool guest_mode, bool flush_all,
					  bool overflow, __u32 fifo_len)
{
	struct hvflush_row *row;
	struct target t;

	if (!read_target(vcpu, btf, &t))
		return 0;
	count_event(HVFLUSH_ENQUEUES);
	if (overflow)
		count_event(HVFLUSH_OVERFLOWS);
	row = get_row(&t, guest_mode, true);
	if (!row)
		return 0;

	/*
	 * The first enqueue since the last drain starts the wait; the clock
	 * is read only then (the compare-and-swap settles a race for it).
	 */
	if (!row->oldest_ns)
		__sync_val_compare_and_swap(&row->oldest_ns, 0,
					    bpf_ktime_get_ns());
	__sync_fetch_and_add(&row->pending, 1);
	__sync_fetch_and_add(&row->enqueues, 1);
	if (flush_all)
		__sync_fetch_and_add(&row->flush_all, 1);
	if (overflow)
		__sync_fetch_and_add(&row->overflows, 1);
	row->fifo_len = fifo_len;
	return 0;
}

/*
 * Drains and purges count by what they removed, entries or none, which
 * does not depend on how events of different CPUs interleave; the wait
 * they end does.  The enqueue tracepoint fires after the entries are in
 * the FIFO, outside of anything the target takes to drain, so a target
 * already draining can take them before the enqueue is traced: that wait
 * then ends at the target's next dequeue, usually the empty one its kick
 * causes.  Either way every wait is measured once.
 */
static __always_inline int handle_dequeue(struct kvm_vcpu *vcpu, bool btf,
					  bool guest_mode, __u32 nr,
					  bool flush_all, bool purged)
{
	struct hvflush_row *row;
	struct target t;
	__u64 oldest;

	if (!read_target(vcpu, btf, &t))
		return 0;
	if (!nr)
		count_event(HVFLUSH_EMPTY_DEQUEUES);
	else
		count_event(purged ? HVFLUSH_PURGES : HVFLUSH_DRAINS);
	/* An empty dequeue on a vCPU without a row has nothing to account. */
	row = get_row(&t, guest_mode, nr > 0);
	if (!row)
		return 0;
	/* Nor has one that ends no wait: leave the row's cache line alone. */
	if (!nr && !flush_all && !row->oldest_ns && !row->pending)
		return 0;

	oldest = __sync_lock_test_and_set(&row->oldest_ns, 0);
	row->pending = 0;
	if (nr && purged)
		row->purges++;
	else if (nr)
		row->drains++;
	if (flush_all)
		row->full_flushes++;
	if (oldest)
		record_latency(row, bpf_ktime_get_ns() - oldest);
	return 0;
}

/* Whose rows a VM's end clears: those of process @pid, else of VM @kvm. */
struct vm_end {
	__u64 kvm;
	__u32 pid;
};

/*
 * A row of the VM that ended: a wait still open would never be drained,
 * and a VM at the same address (same process, same key) would end it with
 * the time since.  Counted, not measured.
 */
static long end_wait(void *map, const struct hvflush_key *key,
		     struct hvflush_row *row, const struct vm_end *end)
{
	if (end->pid ? key->pid != end->pid : key->kvm != end->kvm)
		return 0;
	if (__sync_lock_test_and_set(&row->oldest_ns, 0))
		count_event(HVFLUSH_ABANDONED);
	row->pending = 0;
	return 0;
}

/* Hyper-V's synthetic exit codes (include/hyperv/hvgdk.h) and KVM_ISA_*. */
#define HV_VMX_SYNTHETIC_EXIT_REASON_TRAP_AFTER_FLUSH	0x10000031
#define HV_SVM_EXITCODE_ENL				0xf0000000ULL
#define HV_SVM_ENL_EXITCODE_TRAP_AFTER_FLUSH		1
#define KVM_ISA_VMX	1
#define KVM_ISA_SVM	2

/*
 * A VM-exit injected into L1: count the one Hyper-V's L2 TLB flush asks for
 * when L2's TLB was locked.  No vCPU argument: it runs in the vCPU thread.
 */
static __always_inline int handle_nested_vmexit_inject(__u64 exit_code,
							__u64 exit_info1,
							__u32 isa)
{
	bool synthetic =
		(isa == KVM_ISA_SVM && exit_code == HV_SVM_EXITCODE_ENL &&
		 exit_info1 == HV_SVM_ENL_EXITCODE_TRAP_AFTER_FLUSH) ||
		(isa == KVM_ISA_VMX &&
		 (__u32)exit_code == HV_VMX_SYNTHETIC_EXIT_REASON_TRAP_AFTER_FLUSH);

	if (!synthetic ||
	    (targ_pid && (__u32)(bpf_get_current_pid_tgid() >> 32) != targ_pid))
		return 0;
	count_event(HVFLUSH_SYNTHETIC_VMEXITS);
	return 0;
}

/* No vCPU argument here; the hypercall runs in a thread of the VMM. */
static __always_inline int handle_flush_hypercall(bool guest_mode)
{
	if (targ_pid && (__u32)(bpf_get_current_pid_tgid() >> 32) != targ_pid)
		return 0;
	count_event(guest_mode ? HVFLUSH_HYPERCALLS_L2 : HVFLUSH_HYPERCALLS_L1);
	return 0;
}

/*
 * @requested ranges; @inserted entries went in (the ranges, one "flush
 * all" entry, or none when the FIFO was full).  A request that asked for
 * ranges and got "flush all" overflowed.
 */
SEC("tp_btf/kvm_hv_flush_tlb_enqueue")
int BPF_PROG(flush_enqueue_btf, struct kvm_vcpu *vcpu, bool guest_mode,
	     __u32 requested, __u32 inserted, bool flush_all, __u32 fifo_len)
{
	return handle_enqueue(vcpu, true, guest_mode, flush_all,
			      requested && flush_all, fifo_len);
}

SEC("raw_tp/kvm_hv_flush_tlb_enqueue")
int BPF_PROG(flush_enqueue_raw, struct kvm_vcpu *vcpu, bool guest_mode,
	     __u32 requested, __u32 inserted, bool flush_all, __u32 fifo_len)
{
	return handle_enqueue(vcpu, false, guest_mode, flush_all,
			      requested && flush_all, fifo_len);
}

SEC("tp_btf/kvm_hv_flush_tlb_dequeue")
int BPF_PROG(flush_dequeue_btf, struct kvm_vcpu *vcpu, bool guest_mode,
	     __u32 nr, bool flush_all, bool purged)
{
	return handle_dequeue(vcpu, true, guest_mode, nr, flush_all, purged);
}

SEC("raw_tp/kvm_hv_flush_tlb_dequeue")
int BPF_PROG(flush_dequeue_raw, struct kvm_vcpu *vcpu, bool guest_mode,
	     __u32 nr, bool flush_all, bool purged)
{
	return handle_dequeue(vcpu, false, guest_mode, nr, flush_all, purged);
}

SEC("tp_btf/kvm_nested_vmexit_inject")
int BPF_PROG(vmexit_inject_btf, __u64 exit_code, __u64 exit_info1,
	     __u64 exit_info2, __u32 exit_int_info, __u32 exit_int_info_err,
	     __u32 isa)
{
	return handle_nested_vmexit_inject(exit_code, exit_info1, isa);
}

SEC("raw_tp/kvm_nested_vmexit_inject")
int BPF_PROG(vmexit_inject_raw, __u64 exit_code, __u64 exit_info1,
	     __u64 exit_info2, __u32 exit_int_info, __u32 exit_int_info_err,
	     __u32 isa)
{
	return handle_nested_vmexit_inject(exit_code, exit_info1, isa);
}

SEC("tp_btf/kvm_hv_flush_tlb")
int BPF_PROG(flush_tlb_btf, __u64 processor_mask, __u64 address_space,
	     __u64 flags, bool guest_mode)
{
	return handle_flush_hypercall(guest_mode);
}

SEC("raw_tp/kvm_hv_flush_tlb")
int BPF_PROG(flush_tlb_raw, __u64 processor_mask, __u64 address_space,
	     __u64 flags, bool guest_mode)
{
	return handle_flush_hypercall(guest_mode);
}

SEC("tp_btf/kvm_hv_flush_tlb_ex")
int BPF_PROG(flush_tlb_ex_btf, __u64 valid_bank_mask, __u64 format,
	     __u64 address_space, __u64 flags, bool guest_mode)
{
	return handle_flush_hypercall(guest_mode);
}

SEC("raw_tp/kvm_hv_flush_tlb_ex")
int BPF_PROG(flush_tlb_ex_raw, __u64 valid_bank_mask, __u64 format,
	     __u64 address_space, __u64 flags, bool guest_mode)
{
	return handle_flush_hypercall(guest_mode);
}

/*
 * A thread exits (do_exit, in the thread; signal->live already dropped):
 * the last of a VMM with rows ends the waits of all its VMs.  The rows
 * stay, final: userspace reports them, then deletes them.
 */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(vmm_exit, struct task_struct *task)
{
	struct vm_end end = { .pid = bpf_get_current_pid_tgid() >> 32 };

	if (BPF_CORE_READ(task, signal, live.counter) ||
	    bpf_map_delete_elem(&vmms, &end.pid))
		return 0;
	bpf_for_each_map_elem(&rows, end_wait, &end, 0);
	return 0;
}

/*
 * A VM destroyed while its process lives on (it closed the VM's file):
 * loaded only where fentry attaches.  Rare enough for a walk of the rows.
 */
SEC("fentry/kvm_destroy_vm")
int BPF_PROG(vm_destroy, struct kvm *kvm)
{
	struct vm_end end = { .kvm = (__u64)kvm };

	bpf_for_each_map_elem(&rows, end_wait, &end, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
