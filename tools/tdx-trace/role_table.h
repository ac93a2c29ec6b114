/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tdx-trace roles' tables: the kernel's slots (one per distinct
 * computation of a vCPU's role) summed into a row per VM, vCPU and MMU,
 * and a count per changed transition of a VMM's role over its vCPUs.
 * Each interval's table is printed, then merged into the run's.
 */
#ifndef TDX_TRACE_ROLE_TABLE_H
#define TDX_TRACE_ROLE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "mmu_roles.h"

/* A row: one VM's vCPU's role. */
struct tdx_role_key {
	__u32 pid;
	__u32 vcpu_id;
	__u32 mmu;		/* enum mmu_kind */
};

struct tdx_role_entry {
	struct tdx_role_key key;
	struct mmu_role_stats s;
};

/* A distinct changed transition of one VMM's role, over its vCPUs. */
struct tdx_trans_key {
	__u64 old_role;
	__u64 new_role;
	__u32 pid;
	__u32 mmu;		/* enum mmu_kind */
	__u32 cause;		/* enum mmu_role_cause */
	__u32 pad;
};

struct tdx_trans_entry {
	struct tdx_trans_key key;
	uint64_t count;
};

struct tdx_role_table {
	struct tdx_role_entry *roles;
	size_t nr_roles, cap_roles;
	struct tdx_trans_entry *trans;
	size_t nr_trans, cap_trans;
	uint64_t init_cost[KS_HIST_SLOTS];	/* kvm_init_mmu, log2(ns) */
};

/*
 * The kernel's slot @e (its computations, e->count of them) into its row
 * and, if it changed the role, its transition.  A role or cause this tool
 * cannot name is left out.  0 or -ENOMEM.
 */
int tdx_role_table_add(struct tdx_role_table *t, const struct mmu_role_slot *e);

/* Merge every row, transition and slot of @src into @dst.  0 or -ENOMEM. */
int tdx_role_table_merge(struct tdx_role_table *dst,
			 const struct tdx_role_table *src);

/*
 * Rows by (pid, vCPU, MMU); transitions most frequent first, ties in a
 * fixed order, so that which ones make the top does not depend on the
 * order the kernel's map hands them out.
 */
void tdx_role_table_sort(struct tdx_role_table *t);

/* Forget the rows, transitions and slots, keep the allocations. */
void tdx_role_table_clear(struct tdx_role_table *t);
void tdx_role_table_free(struct tdx_role_table *t);

#endif /* TDX_TRACE_ROLE_TABLE_H */
