// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * MMU role computations (probe_roles): per (VMM, vCPU, MMU) counts of
 * computations, changes and their causes, summed over the kernel's
 * slots (one per distinct computation).  Only the kvm_mmu_role program
 * is loaded: the kvm_init_mmu cost programs are fentry/fexit, which not
 * every kernel allows, and not exported.  There is no upstream event to
 * fall back on.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bpfutil.h"
#include "probe_roles.h"
#include "row_vm.h"
#include "source_bpf.h"

static const unsigned int lost_reasons[] = {
	TDX_LOST_STATS_FULL, TDX_LOST_TRANS_FULL, TDX_LOST_UNKNOWN_ROLE,
	TDX_LOST_MISSED,
};

struct roles_source {
	struct ks_source src;
	struct roles_probe probe;
};

static int add_slot(void *data, __u32 idx, const struct mmu_role_slot *e)
{
	struct ks_store *s = data;
	const struct mmu_role_key *k = &e->key;
	struct mmu_role_stats row;
	struct ks_vm *vm;
	struct ks_vcpu *vc;

	(void)idx;
	if (k->mmu >= KS_NR_MMUS || !mmu_role_entry_row(e, &row))
		return 0;
	vm = ks_store_row_vm(s, row.stats_id, k->pid, NULL);
	if (!vm || !(vc = ks_vm_vcpu(vm, k->vcpu_id)))
		return 0;
#define ADD(field, ...) vc->roles.field[k->mmu] += row.field;
	MMU_ROLE_ROW_COUNTERS(ADD)
#undef ADD
	for (int c = 0; c < KS_NR_CAUSES && c < MMU_ROLE_NR_CAUSES; c++)
		vc->roles.cause[k->mmu][c] += row.cause[c];
	return 0;
}

static int roles_collect(struct ks_source *src, struct ks_store *s)
{
	struct roles_source *rs = (struct roles_source *)src;
	__u32 used;
	int err;

	err = mmu_roles_read(rs->probe.roles_fd, add_slot, s, &used);
	if (!err) {
		ks_store_map(s, src->name, "roles", used, MMU_ROLE_SLOTS);
		err = ks_store_tdx_lost(s, src->name, rs->probe.lost_fd,
					rs->probe.bpf.obj, lost_reasons, sizeof(lost_reasons) /
					sizeof(lost_reasons[0]));
	}
	if (err)
		return err;
	ks_store_bpf_progs(s, src->name, rs->probe.bpf.obj);
	return 0;
}

/* The VMM of @vm exited and its VM expired: drop its rows. */
static void roles_forget(struct ks_source *src, const struct ks_vm *vm)
{
	struct roles_source *rs = (struct roles_source *)src;

	if (vm->pid > 0)
		roles_probe_delete_pid(&rs->probe, vm->pid);
}

static void roles_destroy(struct ks_source *src)
{
	struct roles_source *rs = (struct roles_source *)src;

	roles_probe_close(&rs->probe);
	free(rs);
}

struct ks_source *roles_source_new(const struct exporter_env *env, char *err,
				    size_t err_len)
{
	struct roles_source *rs = calloc(1, sizeof(*rs));
	struct ks_mode m;

	if (!rs) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	rs->src = (struct ks_source){
		.name = "roles",
		.mode = "series",
		.have = KS_HAVE_ROLES,
		.collect = roles_collect,
		.forget = roles_forget,
		.destroy = roles_destroy,
	};
	if (roles_probe_detect(&m) != KS_MODE_SERIES) {
		snprintf(err, err_len, "roles: %s", m.desc);
		free(rs);
		return NULL;
	}
	if (roles_probe_open(&rs->probe, &m, env->pid, NULL, false, err,
			     err_len)) {
		free(rs);
		return NULL;
	}
	return &rs->src;
}
