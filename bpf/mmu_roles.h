/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by bpf/mmu_roles.bpf.c and userspace: how often each
 * vCPU's MMU roles are computed, and why they changed.  Plain fixed-width
 * types only, so the layout is the same on both sides.
 */
#ifndef KVMSCOPE_MMU_ROLES_H
#define KVMSCOPE_MMU_ROLES_H

#include "tdx_trace.h"

/*
 * Whose role, numbered as the series numbers kvm_mmu_role's @of (enum
 * kvm_mmu_role_of): a guest page walker's cpu_role, or an MMU's root_role.
 */
enum mmu_kind {
	MMU_GVA_WALK,		/* gva_walk: the guest's page tables (L2's in L2) */
	MMU_NGPA_WALK,		/* ngpa_walk: L1's NPT/EPT, walked for L2 */
	MMU_ROOT,		/* root_mmu */
	MMU_GUEST,		/* guest_mmu: shadows L1's NPT/EPT for L2 */
	NR_MMU_KINDS,
};

/* kvm_mmu_role's @cause (enum kvm_mmu_role_cause): what KVM was doing. */
enum mmu_role_reported {
	MMU_REPORTED_RESET,	/* kvm_init_mmu(): CR0/CR4/EFER, SMM, nested */
	MMU_REPORTED_CPUID,	/* kvm_mmu_after_set_cpuid() */
	MMU_REPORTED_NPT,	/* L1's NPT shadowed for L2 */
	MMU_REPORTED_EPT,	/* L1's EPT shadowed for L2 */
	MMU_REPORTED_CR0_WP,	/* CR0.WP toggled, without a full reset */
};

/*
 * Why a role changed (mmu_role_cause()): the kernel's word where it gives
 * one, else decoded from the bits that moved.
 */
enum mmu_role_cause {
	MMU_ROLE_CAUSE_INIT,	/* CPUID, or the role's first computation */
	MMU_ROLE_CAUSE_NESTED,	/* NPT/EPT for L2, or base.guest_mode moved */
	MMU_ROLE_CAUSE_SMM,	/* base.smm moved */
	MMU_ROLE_CAUSE_MODE,	/* CR0.WP, or other CR0/CR4/EFER bits */
	MMU_ROLE_NR_CAUSES,
};

/*
 * The kernel counts each distinct computation of a vCPU's role: the
 * role's words before and after (equal: KVM's early-out) and, if they
 * differ, the cause.  Readers sum them into a row per (VM, vCPU, MMU) and
 * a count per transition (mmu_roles_read(), mmu_role_entry_row()).
 */
struct mmu_role_key {
	__u32 pid;
	__u32 vcpu_id;
	__u32 mmu;		/* enum mmu_kind */
	__u32 cause;		/* enum mmu_role_cause if changed, else 0 */
	__u64 old_role;
	__u64 new_role;
};

/*
 * One slot of the kernel's table of computations: an array, open
 * addressed by a hash of the key, not a hash map.  Most computations are
 * a VM's first of their kind (a VM brings a handful, at boot, CPUID, SMM
 * and nested entry and exit), and a hash map's insert costs several
 * lookups; claiming a free slot costs one compare-and-swap.  A slot is
 * claimed, written, then made ready; one being written is passed over,
 * so a computation may have two slots, which readers add up.
 */
enum mmu_role_slot_state {
	MMU_ROLE_SLOT_FREE,
	MMU_ROLE_SLOT_CLAIMED,	/* being written */
	MMU_ROLE_SLOT_READY,
};

struct mmu_role_slot {
	struct mmu_role_key key;
	__u64 count;
	__u64 state;		/* enum mmu_role_slot_state; 64-bit atomics */
	char stats_id[KS_STATS_ID_LEN];	/* vcpu->kvm's, when claimed */
};

/*
 * 8192 slots (768 kB), for 512 vCPUs (say 64 VMs x 8 vCPUs) of 8
 * distinct computations each at half load; the lab's selftests make 7 to
 * 10 per vCPU.  Readers copy the whole table on each read: at 32768
 * slots the exporter's collections took up to 0.8 s in the lab's churn
 * test.  A power of two: the hash is masked.  A computation that finds
 * none of its MMU_ROLE_PROBES slots free is counted lost.
 */
#define MMU_ROLE_SLOTS		8192
#define MMU_ROLE_PROBES		8

/*
 * The counters of struct mmu_role_stats but cause[], listed once for
 * userspace as X(field, metric, help), metric the exporter's counter per
 * vCPU and MMU or NULL (changes are exported by cause).  tdx-trace's
 * tables and JSON and the exporter's store, sums and metrics follow this
 * list: a new counter is its field here, one entry and its value in
 * mmu_role_entry_row() (tools/probe/probe_roles.c).
 */
#define MMU_ROLE_ROW_COUNTERS(X)					\
	X(computed, "kvmscope_mmu_role_computations_total",		\
	  "MMU role (re)computations, changed or not, by role: a guest page walker (gva_walk, ngpa_walk for L1's NPT/EPT) or an MMU (root, guest for nested NPT/EPT).") \
	X(changed, NULL, "Computations that changed the role.")	\
	X(unchanged, NULL, "Computations that kept the role (KVM's early-out).")

/* One (VM, vCPU, MMU) row: userspace's sum of its entries. */
struct mmu_role_stats {
	__u64 computed;		/* every event */
	__u64 changed;
	__u64 unchanged;	/* early-out */
	__u64 cause[MMU_ROLE_NR_CAUSES];	/* changed only */
	char stats_id[KS_STATS_ID_LEN];
};

/* Bit layout of union kvm_mmu_page_role / kvm_mmu_extended_role (6.12). */
#define MMU_ROLE_LEVEL_MASK		0xfU
#define MMU_ROLE_GUEST_MODE_BIT		17
#define MMU_ROLE_SMM_SHIFT		24
#define MMU_ROLE_SMM_MASK		(0xffU << MMU_ROLE_SMM_SHIFT)
#define MMU_ROLE_EXT_VALID_BIT		0

/*
 * Is a role of @kind a cpu_role (union kvm_cpu_role: kvm_mmu_page_role in
 * the low 32 bits, kvm_mmu_extended_role in the high 32), not a root_role
 * (a kvm_mmu_page_role)?
 */
static inline int mmu_kind_is_walker(__u32 kind)
{
	return kind == MMU_GVA_WALK || kind == MMU_NGPA_WALK;
}

/*
 * The cause of a changed computation of role @kind, from @old to @new, that
 * the kernel reported with @reported: its word where it knows, else (a
 * reset, or a word this code does not know) the bits that moved.  Shared by
 * BPF (aggregation) and the tests.
 */
static inline enum mmu_role_cause mmu_role_cause(__u32 reported, __u32 kind,
						 __u64 old, __u64 new)
{
	/* The kvm_mmu_page_role part, which both kinds of role have. */
	__u32 moved = (__u32)(old ^ new);

	switch (reported) {
	case MMU_REPORTED_CPUID:
		return MMU_ROLE_CAUSE_INIT;
	case MMU_REPORTED_NPT:
	case MMU_REPORTED_EPT:
		return MMU_ROLE_CAUSE_NESTED;
	case MMU_REPORTED_CR0_WP:
		return MMU_ROLE_CAUSE_MODE;
	}
	/* Not computed yet: a cpu_role's ext.valid is clear, a root_role 0. */
	if (mmu_kind_is_walker(kind) ?
	    !(old & (1ULL << (32 + MMU_ROLE_EXT_VALID_BIT))) : !old)
		return MMU_ROLE_CAUSE_INIT;
	if (moved & (1U << MMU_ROLE_GUEST_MODE_BIT))
		return MMU_ROLE_CAUSE_NESTED;
	if (moved & MMU_ROLE_SMM_MASK)
		return MMU_ROLE_CAUSE_SMM;
	return MMU_ROLE_CAUSE_MODE;
}

#endif /* KVMSCOPE_MMU_ROLES_H */
