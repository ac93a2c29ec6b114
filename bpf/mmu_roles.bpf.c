// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tdx-trace roles: how often each vCPU's MMU roles are recomputed, whether
 * KVM took the early-out (role unchanged) or rebuilt the MMU, and why.
 *
 * kvm_mmu_role (kvmscope series) fires at every role computation site with
 * the old and new role words, which role it is (a walker's cpu_role or an
 * MMU's root_role) and what KVM was doing: its cause where the kernel
 * knows it; within a reset, the bits that moved tell which.  Counts are
 * aggregated per VM, vCPU and role, and each distinct changed transition
 * is counted with its cause so userspace can show the top ones decoded.
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
	__uint(max_entries, 4096);
	__type(key, struct mmu_role_key);
	__type(value, struct mmu_role_stats);
} roles SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct mmu_role_trans_key);
	__type(value, __u64);
} transitions SEC(".maps");

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

static __always_inline void count_transition(__u32 pid, __u32 mmu,
					     __u32 cause, __u64 old, __u64 new)
{
	struct mmu_role_trans_key key = {
		.old_role = old, .new_role = new,
		.pid = pid, .mmu = mmu, .cause = cause,
	};
	static const __u64 one = 1;
	__u64 *n = bpf_map_lookup_elem(&transitions, &key);
	int err;

	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	err = bpf_map_update_elem(&transitions, &key, &one, BPF_NOEXIST);
	if (err == -EEXIST /* another CPU inserted it */) {
		n = bpf_map_lookup_elem(&transitions, &key);
		if (n)
			__sync_fetch_and_add(n, 1);
	} else if (err) {
		count_lost(TDX_LOST_TRANS_FULL);
	}
}

/*
 * One computation, of cause @cause if @changed, on the row of (VM, vCPU,
 * MMU) @key.  Each VM's first computations make its rows: the row is
 * inserted with its first counts and its name, not inserted zeroed and
 * looked up again (each VM brings only a handful of computations, so
 * first ones are a good part of them).
 */
static __always_inline void count_role(struct kvm_vcpu *vcpu, bool btf,
				       const struct mmu_role_key *key,
				       bool changed, __u32 cause)
{
	struct mmu_role_stats *s = bpf_map_lookup_elem(&roles, key);
	int err;

	if (!s) {
		struct mmu_role_stats row = { .computed = 1 };

		if (changed) {
			row.changed = 1;
			row.cause[cause] = 1;
		} else {
			row.unchanged = 1;
		}
		if (vcpu) {
			struct kvm *kvm = KVMSCOPE_READ(btf, vcpu, kvm);

			KVMSCOPE_READ_STATS_ID(btf, &row.stats_id, kvm);
		}
		err = bpf_map_update_elem(&roles, key, &row, BPF_NOEXIST);
		if (!err)
			return;
		if (err != -EEXIST) {
			count_lost(TDX_LOST_STATS_FULL);
			return;
		}
		s = bpf_map_lookup_elem(&roles, key);	/* another CPU made it */
		if (!s)
			return;
	}
	__sync_fetch_and_add(&s->computed, 1);
	if (!changed) {
		__sync_fetch_and_add(&s->unchanged, 1);
		return;
	}
	__sync_fetch_and_add(&s->changed, 1);
	__sync_fetch_and_add(&s->cause[cause], 1);
}

/*
 * Role @of of @vcpu computed, from @old to @new, for what the kernel
 * @reported.  @btf: called from the tp_btf program (see KVMSCOPE_READ).
 */
static __always_inline int mmu_role(struct kvm_vcpu *vcpu, bool btf, __u8 of,
				    __u8 reported, __u64 old, __u64 new)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct mmu_role_key key = { .pid = pid };
	__u32 cause;

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

	if (old == new) {
		count_role(vcpu, btf, &key, false, 0);
		return 0;
	}
	cause = mmu_role_cause(reported, of, old, new);
	if (cause >= MMU_ROLE_NR_CAUSES)	/* bounds the index for the verifier */
		return 0;
	count_role(vcpu, btf, &key, true, cause);
	count_transition(pid, of, cause, old, new);
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
