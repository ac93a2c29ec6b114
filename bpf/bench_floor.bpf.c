// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What single BPF operations cost on one KVM event in the lab: the floor
 * under `make bench`'s "at most 2x an empty program" target.  Each program
 * does one thing on kvm_hv_flush_tlb_enqueue (4000 runs per run of
 * hyperv_tlb_flush, vCPU threads on both CPUs); lab/bench/floor-run.c
 * attaches them one at a time and reads bpf_stats for each.
 *
 * Results go to a global so that nothing is optimised away.
 */
#include "kvm_core.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 sink = 0;

/* hvflush_key's shape: a 16-byte key, the kind a per-vCPU row needs. */
struct floor_key {
	__u64 ptr;
	__u32 id;
	__u32 pad;
};

/* bpftrace's @[probe] = count(): a per-CPU hash keyed by the probe name. */
struct floor_probe_key {
	char name[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} floor_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct floor_key);
	__type(value, __u64);
} floor_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, struct floor_probe_key);
	__type(value, __u64);
} floor_count SEC(".maps");

SEC("raw_tp/kvm_hv_flush_tlb_enqueue")
int floor_empty(void *ctx)
{
	return 0;
}

SEC("raw_tp/kvm_hv_flush_tlb_enqueue")
int floor_pid_tgid(void *ctx)
{
	sink = bpf_get_current_pid_tgid();
	return 0;
}

SEC("raw_tp/kvm_hv_flush_tlb_enqueue")
int floor_ktime(void *ctx)
{
	sink = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/kvm_hv_flush_tlb_enqueue")
int floor_percpu_array(void *ctx)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&floor_array, &zero);

	if (v)
		(*v)++;
	return 0;
}

SEC("raw_tp/kvm_hv_flush_tlb_enqueue")
int floor_atomics_x3(void *ctx)
{
	__sync_fetch_and_add(&sink, 1);
	__sync_fetch_and_add(&sink, 2);
	__sync_fetch_and_add(&sink, 3);
	return 0;
}

/* vcpu->kvm, kvm->userspace_pid, vcpu->vcpu_id: what hvflush reads. */
SEC("raw_tp/kvm_hv_flush_tlb_enqueue")
int BPF_PROG(floor_probe_read_x3, struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = BPF_CORE_READ(vcpu, kvm);

	sink = BPF_CORE_READ(kvm, userspace_pid) + BPF_CORE_READ(vcpu, vcpu_id);
	return 0;
}

SEC("tp_btf/kvm_hv_flush_tlb_enqueue")
int BPF_PROG(floor_direct_load_x3, struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;

	sink = kvm->userspace_pid + vcpu->vcpu_id;
	return 0;
}

SEC("raw_tp/kvm_hv_flush_tlb_enqueue")
int BPF_PROG(floor_hash_lookup, struct kvm_vcpu *vcpu)
{
	struct floor_key key = { .ptr = (__u64)vcpu, .id = 1 };
	static const __u64 one = 1;
	__u64 *v = bpf_map_lookup_elem(&floor_hash, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&floor_hash, &key, &one, BPF_NOEXIST);
	return 0;
}

SEC("raw_tp/kvm_hv_flush_tlb_enqueue")
int floor_bpftrace_count(void *ctx)
{
	struct floor_probe_key key = {
		.name = "tracepoint:kvm:kvm_hv_flush_tlb_enqueue",
	};
	static const __u64 one = 1;
	__u64 *v = bpf_map_lookup_elem(&floor_count, &key);

	if (v)
		(*v)++;
	else
		bpf_map_update_elem(&floor_count, &key, &one, BPF_NOEXIST);
	return 0;
}
