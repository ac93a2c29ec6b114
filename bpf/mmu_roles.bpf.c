// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tdx-trace roles: how often each vCPU's MMU roles are recomputed, whether
 * KVM took the early-out (role unchanged) or rebuilt the MMU, and why.
 *
 * kvm_mmu_role (kvmscope series) fires at every role computation site with
 * the old and new role words, which role it is (a walker's cpu_role or an
 * MMU's root_role) and what KVM was doing: its cause where the kernel
 * knows it; within a reset, the bits that moved tell which.  Each
 * distinct computation of a vCPU's role (its words before and after, the
 * cause if they differ) is counted in one entry: userspace sums them per
 * VM, vCPU and role, and per transition to show the top ones decoded.
 * Optionally fentry/fexit on kvm_init_mmu() measure what a full
 * recomputation costs (not attachable everywhere: userspace loads them
 * only where it can and says so otherwise).
 */
#include "kvm_core.h"
#include "mmu_roles.h"
#include "tdx_trace.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MMU_ROLE_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mmu_role_key);
	__type(value, struct mmu_role_count);
} roles SEC(".maps");

/* kvm_init_mmu() cost: entry time by thread, log2(ns) histogram. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} init_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} init_cost SEC(".maps");

/*
 * The first computation @key of its kind: inserted counted and named, not
 * inserted zeroed and looked up again (each VM brings only a handful of
 * computations, so first ones are a good part of them).  With the map
 * full, it is missing from its row and, if @changed, from its transition.
 */
static __always_inline void count_first(struct kvm_vcpu *vcpu, bool btf,
					const struct mmu_role_key *key,
					bool changed)
{
	struct mmu_role_count first = { .count = 1 }, *n;
	int err;

	if (vcpu) {
		struct kvm *kvm = KVMSCOPE_READ(btf, vcpu, kvm);

		KVMSCOPE_READ_STATS_ID(btf, &first.stats_id, kvm);
	}
	err = bpf_map_update_elem(&roles, key, &first, BPF_NOEXIST);
	if (err == -EEXIST /* another CPU inserted it */) {
		n = bpf_map_lookup_elem(&roles, key);
		if (n)
			__sync_fetch_and_add(&n->count, 1);
	} else if (err) {
		count_lost(TDX_LOST_STATS_FULL);
		if (changed)
			count_lost(TDX_LOST_TRANS_FULL);
	}
}

/*
 * Role @of of @vcpu computed, from @old to @new, for what the kernel
 * @reported.  @btf: called from the tp_btf program (see KVMSCOPE_READ).
 */
static __always_inline int mmu_role(struct kvm_vcpu *vcpu, bool btf, __u8 of,
				    __u8 reported, __u64 old, __u64 new)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct mmu_role_key key = {
		.pid = pid, .old_role = old, .new_role = new,
	};
	struct mmu_role_count *n;

	if (targ_pid && pid != targ_pid)
		return 0;
	/* Read only with --vm: rodata, so the verifier drops it otherwise. */
	if (targ_vm[0]) {
		char stats_id[KS_STATS_ID_LEN] = {};

		if (vcpu)
			BPF_CORE_READ_STR_INTO(&stats_id, vcpu, kvm, stats_id);
		if (!vm_wanted(stats_id))
			return 0;
	}
	if (vcpu)
		key.vcpu_id = KVMSCOPE_READ(btf, vcpu, vcpu_id);
	/* A role a newer kernel added: counted, not filed under another. */
	if (of >= NR_MMU_KINDS) {
		count_lost(TDX_LOST_UNKNOWN_ROLE);
		return 0;
	}
	key.mmu = of;
	if (old != new)
		key.cause = mmu_role_cause(reported, of, old, new);

	/* Steady state: one lookup, one add. */
	n = bpf_map_lookup_elem(&roles, &key);
	if (n)
		__sync_fetch_and_add(&n->count, 1);
	else
		count_first(vcpu, btf, &key, old != new);
	return 0;
}

SEC("tp_btf/kvm_mmu_role")
int BPF_PROG(role_of_btf, struct kvm_vcpu *vcpu, __u8 of, __u8 cause,
	     __u64 old_role, __u64 new_role)
{
	return mmu_role(vcpu, true, of, cause, old_role, new_role);
}

SEC("raw_tp/kvm_mmu_role")
int BPF_PROG(role_of_raw, struct kvm_vcpu *vcpu, __u8 of, __u8 cause,
	     __u64 old_role, __u64 new_role)
{
	return mmu_role(vcpu, false, of, cause, old_role, new_role);
}

SEC("fentry/kvm_init_mmu")
int BPF_PROG(init_mmu_entry, struct kvm_vcpu *vcpu)
{
	__u64 id = bpf_get_current_pid_tgid(), ts = bpf_ktime_get_ns();
	__u32 tid = (__u32)id;

	if (targ_pid && (id >> 32) != targ_pid)
		return 0;
	/* Full: this computation goes untimed, and says so. */
	if (bpf_map_update_elem(&init_start, &tid, &ts, BPF_ANY))
		count_lost(TDX_LOST_INFLIGHT_FULL);
	return 0;
}

SEC("fexit/kvm_init_mmu")
int BPF_PROG(init_mmu_exit, struct kvm_vcpu *vcpu)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), slot;
	__u64 *ts = bpf_map_lookup_elem(&init_start, &tid), *cnt;

	if (!ts)
		return 0;
	slot = hist_slot(bpf_ktime_get_ns() - *ts);
	cnt = bpf_map_lookup_elem(&init_cost, &slot);
	if (cnt)
		(*cnt)++;
	bpf_map_delete_elem(&init_start, &tid);
	return 0;
}
