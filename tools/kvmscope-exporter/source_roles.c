// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * MMU role computations (probe_roles): per (VMM, vCPU, MMU) counts of
 * computations, changes and their causes, summed over the kernel's
 * slots (one per distinct computation).  Only the kvm_mmu_role program
 * is loaded: the kvm_init_mmu cost programs are fentry/fexit, which not
 * every kernel allows, and not exported.  There is no upstream event to
 * fall back on.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "bpfutil.h"
#include "probe_roles.h"
#include "row_vm.h"
#include "source_bpf.h"

static const unsigned int lost_reasons[] = {
	TDX_LOST_STATS_FULL, TDX_LOST_TRANS_FULL, TDX_LOST_UNKNOWN_ROLE,
	TDX_LOST_MISSED,
};

/*
 * Expired VMMs' slots are freed by the next collection's read of the
 * table, not one read of it per VMM: under churn, reading the whole
 * table per expired VM made collections take a second.
 */
struct roles_source {
	struct ks_source src;
	struct roles_probe probe;
	pid_t *expired;			/* forgotten since the last collection */
	size_t n_expired, cap_expired;
};

struct collect_ctx {
	struct roles_source *rs;
	struct ks_store *store;
};

static bool expired(const struct roles_source *rs, __u32 pid)
{
	for (size_t i = 0; i < rs->n_expired; i++)
		if ((__u32)rs->expired[i] == pid)
			return true;
	return false;
}

static int add_slot(void *data, __u32 idx, const struct mmu_role_slot *e)
{
	const struct collect_ctx *ctx = data;
	struct ks_store *s = ctx->store;
	const struct mmu_role_key *k = &e->key;
	struct mmu_role_stats row;
	struct ks_vm *vm;
	struct ks_vcpu *vc;

	if (expired(ctx->rs, k->pid)) {
		mmu_roles_free_slot(ctx->rs->probe.roles_fd, idx);
		return 0;
	}
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
	struct collect_ctx ctx = { .rs = rs, .store = s };
	__u32 used;
	int err;

	err = mmu_roles_read(rs->probe.roles_fd, add_slot, &ctx, &used);
	if (!err)
		rs->n_expired = 0;
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

/*
 * The VMM of @vm exited and its VM expired: its slots go at the next
 * collection, which leaves them out.  Out of memory: freed at once.
 */
static void roles_forget(struct ks_source *src, const struct ks_vm *vm)
{
	struct roles_source *rs = (struct roles_source *)src;

	if (vm->pid <= 0)
		return;
	if (rs->n_expired == rs->cap_expired) {
		size_t cap = rs->cap_expired ? 2 * rs->cap_expired : 16;
		pid_t *p = realloc(rs->expired, cap * sizeof(*p));

		if (!p) {
			roles_probe_delete_pid(&rs->probe, vm->pid);
			return;
		}
		rs->expired = p;
		rs->cap_expired = cap;
	}
	rs->expired[rs->n_expired++] = vm->pid;
}

static void roles_destroy(struct ks_source *src)
{
	struct roles_source *rs = (struct roles_source *)src;

	roles_probe_close(&rs->probe);
	free(rs->expired);
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
