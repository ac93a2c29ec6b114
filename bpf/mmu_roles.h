/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by bpf/mmu_roles.bpf.c and userspace: how often each
 * vCPU's MMU roles are computed, and why they changed.  Plain fixed-width
 * types only, so the layout is the same on both sides.
 */
#ifndef KVMSCOPE_MMU_ROLES_H
#define KVMSCOPE_MMU_ROLES_H

#include "tdx_trace.h"

/* Which of a vCPU's MMUs (the tracepoint's "mmu" argument). */
enum mmu_kind {
	MMU_ROOT,
	MMU_GUEST,
	MMU_NESTED,
	NR_MMU_KINDS,
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
	  "MMU role (re)computations, changed or not, by MMU: root, guest (nested NPT/EPT) or nested (L2 page tables).") \
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

#endif /* KVMSCOPE_MMU_ROLES_H */
