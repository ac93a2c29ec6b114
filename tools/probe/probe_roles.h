/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/mmu_roles.bpf.c (MMU role computations), for tdx-trace roles and the
 * exporter: its event (the kvmscope series only, no fallback), which
 * programs to load, loading and attaching them, reading its table of
 * computations, freeing a VMM's slots, and a slot's counts for its row.
 */
#ifndef KVMSCOPE_PROBE_ROLES_H
#define KVMSCOPE_PROBE_ROLES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mode.h"
#include "probe.h"
#include "mmu_roles.h"

struct mmu_roles_bpf;

/* The events roles needs, the series' kvm_mmu_role; there is no fallback. */
extern const struct ks_event_set roles_series[];

/* ks_mode_detect() with those: KS_MODE_SERIES or not. */
enum ks_mode_kind roles_probe_detect(struct ks_mode *m);

/*
 * Set autoload so the kvm_mmu_role program is loaded once, as tp_btf or as
 * its raw_tp twin, and the kvm_init_mmu fentry/fexit pair only with
 * @init_cost.  Call between open and load.  Used by the probe and the BPF
 * tests.
 */
void mmu_roles_select_progs(struct mmu_roles_bpf *skel, bool tp_btf,
			    bool init_cost);

/* The object, loaded and attached, and its maps. */
struct roles_probe {
	struct mmu_roles_bpf *skel;
	struct ks_probe bpf;		/* skel's object and links */
	bool init_cost;			/* kvm_init_mmu fentry/fexit attached */
	int roles_fd;			/* slot -> struct mmu_role_slot */
	int init_cost_fd;		/* per-CPU log2 slots of kvm_init_mmu */
	int lost_fd;			/* per-CPU, enum tdx_lost */
};

/*
 * Load for VMM @pid and VM @vm (NULL or "": all) and attach, with the
 * kvm_init_mmu cost programs if @init_cost and the kernel lets fentry
 * attach.  Returns 0, or -errno with the reason in @err.
 */
int roles_probe_open(struct roles_probe *p, const struct ks_mode *m,
		     pid_t pid, const char *vm, bool init_cost, char *err,
		     size_t err_len);
void roles_probe_close(struct roles_probe *p);

/*
 * Free slot @idx of the table @fd, or all the slots of VMM @pid, for the
 * next VMs: only once the VMM is gone, so that no program counts in them
 * meanwhile.
 */
void mmu_roles_free_slot(int fd, __u32 idx);
void roles_probe_delete_pid(const struct roles_probe *p, __u32 pid);

/*
 * Call @fn on each ready slot of the table @fd (roles_fd) and its index,
 * and count them in @used (if not NULL).  Stops at @fn's first non-zero
 * return and returns it, else 0 or -errno.
 */
typedef int (*mmu_roles_slot_fn)(void *ctx, __u32 idx,
				 const struct mmu_role_slot *e);
int mmu_roles_read(int fd, mmu_roles_slot_fn fn, void *ctx, __u32 *used);

/* Did computation @k change its role (else KVM took the early-out)? */
static inline bool mmu_role_entry_changed(const struct mmu_role_key *k)
{
	return k->old_role != k->new_role;
}

/*
 * Slot @e's computations as its (VM, vCPU, MMU) row's counts in @row,
 * which readers add up per row.  False for a role or cause this tool
 * cannot name (the kernel side files none).
 */
bool mmu_role_entry_row(const struct mmu_role_slot *e,
			struct mmu_role_stats *row);

#endif /* KVMSCOPE_PROBE_ROLES_H */
