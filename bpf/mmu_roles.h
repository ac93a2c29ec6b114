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
 * Whose role: one of a vCPU's MMUs (the first version of kvm_mmu_role
 * numbers them so, and traces each MMU's cpu_role and root_role together),
 * or, on kernels that keep guest page walkers apart from MMUs (struct
 * kvm_pagewalk), a walker's cpu_role; their MMUs then have a root_role
 * only.
 */
enum mmu_kind {
	MMU_ROOT,		/* vcpu->arch.root_mmu */
	MMU_GUEST,		/* guest_mmu: shadows L1's NPT/EPT for L2 */
	MMU_NESTED,		/* nested_mmu: walks L2's page tables */
	MMU_GVA_WALK,		/* gva_walk: the guest's own page tables */
	MMU_NGPA_WALK,		/* ngpa_walk: L1's NPT/EPT, walked for L2 */
	NR_MMU_KINDS,
};

/* kvm_mmu_role's @of, as the series numbers it (enum kvm_mmu_role_of). */
enum mmu_role_of {
	MMU_ROLE_OF_GVA_WALK,
	MMU_ROLE_OF_NGPA_WALK,
	MMU_ROLE_OF_ROOT_MMU,
	MMU_ROLE_OF_GUEST_MMU,
};

/* kvm_mmu_role's @cause (enum kvm_mmu_role_cause): what KVM was doing. */
enum mmu_role_reported {
	MMU_REPORTED_RESET,	/* kvm_init_mmu(): CR0/CR4/EFER, SMM, nested */
	MMU_REPORTED_CPUID,	/* kvm_mmu_after_set_cpuid() */
	MMU_REPORTED_NPT,	/* L1's NPT shadowed for L2 */
	MMU_REPORTED_EPT,	/* L1's EPT shadowed for L2 */
	MMU_REPORTED_CR0_WP,	/* CR0.WP toggled, without a full reset */
};

/* Why a role changed, decoded from the bits that moved (mmu_role_cause()). */
enum mmu_role_cause {
	MMU_ROLE_CAUSE_INIT,	/* old cpu_role ext.valid == 0: CPUID/init */
	MMU_ROLE_CAUSE_NESTED,	/* base.guest_mode differs */
	MMU_ROLE_CAUSE_SMM,	/* base.smm differs */
	MMU_ROLE_CAUSE_MODE,	/* CR0/CR4/EFER bits */
	MMU_ROLE_NR_CAUSES,
};

struct mmu_role_key {
	__u32 pid;
	__u32 vcpu_id;
	__u32 mmu;		/* enum mmu_kind */
	__u32 pad;
};

/*
 * The counters of struct mmu_role_stats but cause[], listed once for
 * userspace as X(field, metric, help), metric the exporter's counter per
 * vCPU and MMU or NULL (changes are exported by cause).  tdx-trace's
 * tables and JSON and the exporter's store, sums and metrics follow this
 * list: a new counter is its field here, one entry and its update in
 * mmu_roles.bpf.c.
 */
#define MMU_ROLE_ROW_COUNTERS(X)					\
	X(computed, "kvmscope_mmu_role_computations_total",		\
	  "MMU role (re)computations, changed or not, by role: an MMU (root, guest for nested NPT/EPT, nested for L2 page tables) or, where the kernel keeps them apart, a guest page walker (gva_walk, ngpa_walk).") \
	X(changed, NULL, "Computations that changed the role.")	\
	X(unchanged, NULL, "Computations that kept the role (KVM's early-out).")

struct mmu_role_stats {
	__u64 computed;		/* every event */
	__u64 changed;
	__u64 unchanged;	/* early-out */
	__u64 cause[MMU_ROLE_NR_CAUSES];	/* changed only */
	char stats_id[KS_STATS_ID_LEN];
};

/* One distinct changed transition of one VM's MMU kind. */
struct mmu_role_trans_key {
	__u64 old_cpu_role;
	__u64 new_cpu_role;
	__u32 old_root_role;
	__u32 new_root_role;
	__u32 pid;
	__u32 mmu;
};

/* Bit layout of union kvm_mmu_page_role / kvm_mmu_extended_role (6.12). */
#define MMU_ROLE_LEVEL_MASK		0xfU
#define MMU_ROLE_GUEST_MODE_BIT		17
#define MMU_ROLE_SMM_SHIFT		24
#define MMU_ROLE_SMM_MASK		(0xffU << MMU_ROLE_SMM_SHIFT)
#define MMU_ROLE_EXT_VALID_BIT		0

/*
 * The cause of a changed computation.  Shared by BPF (aggregation) and
 * userspace (decoding transitions, tests) so both agree by construction.
 */
static inline enum mmu_role_cause mmu_role_cause(__u64 old_cpu, __u64 new_cpu,
						 __u32 old_root, __u32 new_root)
{
	__u32 old_base = (__u32)old_cpu, new_base = (__u32)new_cpu;
	__u32 old_ext = (__u32)(old_cpu >> 32);
	__u32 gm = 1U << MMU_ROLE_GUEST_MODE_BIT;

	if (!(old_ext & (1U << MMU_ROLE_EXT_VALID_BIT)))
		return MMU_ROLE_CAUSE_INIT;
	if (((old_base ^ new_base) | (old_root ^ new_root)) & gm)
		return MMU_ROLE_CAUSE_NESTED;
	if (((old_base ^ new_base) | (old_root ^ new_root)) & MMU_ROLE_SMM_MASK)
		return MMU_ROLE_CAUSE_SMM;
	return MMU_ROLE_CAUSE_MODE;
}

/* The enum mmu_kind of kvm_mmu_role's @of, NR_MMU_KINDS if unknown. */
static inline __u32 mmu_kind_of(__u32 of)
{
	switch (of) {
	case MMU_ROLE_OF_GVA_WALK:	return MMU_GVA_WALK;
	case MMU_ROLE_OF_NGPA_WALK:	return MMU_NGPA_WALK;
	case MMU_ROLE_OF_ROOT_MMU:	return MMU_ROOT;
	case MMU_ROLE_OF_GUEST_MMU:	return MMU_GUEST;
	default:			return NR_MMU_KINDS;
	}
}

/*
 * The cause of a changed computation of role @kind that the kernel
 * reported with @reported: its word where it knows, else (a reset, or a
 * cause this code does not know) the bits that moved.  @old and @new are
 * one word: a cpu_role for walkers, a root_role for MMUs.
 */
static inline enum mmu_role_cause mmu_role_cause_reported(__u32 reported,
							  __u32 kind,
							  __u64 old, __u64 new)
{
	__u64 valid = 1ULL << (32 + MMU_ROLE_EXT_VALID_BIT);

	switch (reported) {
	case MMU_REPORTED_CPUID:
		return MMU_ROLE_CAUSE_INIT;
	case MMU_REPORTED_NPT:
	case MMU_REPORTED_EPT:
		return MMU_ROLE_CAUSE_NESTED;
	case MMU_REPORTED_CR0_WP:
		return MMU_ROLE_CAUSE_MODE;
	}
	if (kind == MMU_GVA_WALK || kind == MMU_NGPA_WALK)
		return mmu_role_cause(old, new, 0, 0);
	/* A root_role: none yet (all zero) is the vCPU's first computation. */
	if (!old)
		return MMU_ROLE_CAUSE_INIT;
	return mmu_role_cause(valid, valid, (__u32)old, (__u32)new);
}

#endif /* KVMSCOPE_MMU_ROLES_H */
