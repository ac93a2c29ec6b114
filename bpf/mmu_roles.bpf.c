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
 * cause if they differ) is counted in a slot of one array (see struct
 * mmu_role_slot): userspace sums them per VM, vCPU and role, and per
 * transition to show the top ones decoded.
 * Optionally fentry/fexit on kvm_init_mmu() measure what a full
 * recomputation costs (not attachable everywhere: userspace loads them
 * only where it can and says so otherwise).
 */
#include "kvm_core.h"
#include "mmu_roles.h"
#include "tdx_trace.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MMU_ROLE_SLOTS);
	__type(key, __u32);
	__type(value, struct mmu_role_slot);
} roles SEC(".maps");

/* The slots hashed into, a power of two: tests lower it to fill them. */
const volatile __u32 roles_slots = MMU_ROLE_SLOTS;

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

/* Fibonacci hashing of the key's four words. */
static __always_inline __u32 slot_hash(const __u64 *w)
{
	const __u64 k = 0x9e3779b97f4a7c15ULL;
	__u64 h = w[0] * k;

	h = (h ^ w[1]) * k;
	h = (h ^ w[2]) * k;
	h = (h ^ w[3]) * k;
	return h >> 32;
}

/*
 * Count computation @key in its slot: the ready one with its key, else a
 * free one, claimed and written.  None among its probes: counted lost,
 * from its row and, if it @changed the role, from its transition.
 */
static __always_inline void count_key(struct kvm_vcpu *vcpu, bool btf,
				      const struct mmu_role_key *key,
				      bool changed)
{
	const __u64 *w = (const __u64 *)key;
	__u32 h = slot_hash(w), i, idx;

	for (i = 0; i < MMU_ROLE_PROBES; i++) {
		struct mmu_role_slot *s;
		const __u64 *sw;

		idx = (h + i) & (roles_slots - 1);
		s = bpf_map_lookup_elem(&roles, &idx);
		if (!s)
			break;
		sw = (const __u64 *)&s->key;
		if (s->state == MMU_ROLE_SLOT_READY) {
			if (sw[0] == w[0] && sw[1] == w[1] && sw[2] == w[2] &&
			    sw[3] == w[3]) {
				__sync_fetch_and_add(&s->count, 1);
				return;
			}
			continue;
		}
		if (s->state != MMU_ROLE_SLOT_FREE ||
		    __sync_val_compare_and_swap(&s->state, MMU_ROLE_SLOT_FREE,
						MMU_ROLE_SLOT_CLAIMED) !=
		    MMU_ROLE_SLOT_FREE)
			continue;	/* another CPU is writing it */
		s->key = *key;
		s->count = 1;
		if (vcpu) {
			struct kvm *kvm = KVMSCOPE_READ(btf, vcpu, kvm);

			KVMSCOPE_READ_STATS_ID(btf, &s->stats_id, kvm);
		}
		/* An exchange: readers see the slot written once ready. */
		__sync_lock_test_and_set(&s->state, MMU_ROLE_SLOT_READY);
		return;
	}
	count_lost(TDX_LOST_STATS_FULL);
	if (changed)
		count_lost(TDX_LOST_TRANS_FULL);
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

	count_key(vcpu, btf, &key, old != new);
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
