// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * MMU role computations from tdx-trace's tdx_roles.bpf.c, loaded with its
 * program selection (tdx_roles_select_progs()): per (VMM, vCPU, MMU)
 * counts of computations, changes and their causes.  Only the kvm_mmu_role
 * program is loaded: the kvm_init_mmu cost programs are fentry/fexit,
 * which not every kernel allows, and not exported.  There is no upstream
 * event to fall back on.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tdx_roles.skel.h"

#include "../tdx-trace/roles.h"
#include "../tdx-trace/runtime.h"
#include "bpfutil.h"
#include "mapdump.h"
#include "probe.h"
#include "mode.h"
#include "source_bpf.h"
#include "vmname.h"

static const unsigned int lost_reasons[] = {
	TDX_LOST_STATS_FULL, TDX_LOST_TRANS_FULL,
};

struct roles_source {
	struct ks_source src;
	struct tdx_roles_bpf *skel;
	struct bpf_link *link;
};

static void add_role(struct ks_store *s, const struct tdx_role_key *k,
		     const struct tdx_role_stats *v)
{
	struct ks_vm *vm;
	struct ks_vcpu *vc;

	if (k->mmu >= KS_NR_MMUS)
		return;
	vm = ks_store_row_vm(s, v->stats_id, k->pid, NULL);
	if (!vm || !(vc = ks_vm_vcpu(vm, k->vcpu_id)))
		return;
	vc->roles.computed[k->mmu] += v->computed;
	for (int c = 0; c < KS_NR_CAUSES && c < TDX_NR_CAUSES; c++)
		vc->roles.changed[k->mmu][c] += v->cause[c];
}

static int roles_collect(struct ks_source *src, struct ks_store *s)
{
	struct roles_source *rs = (struct roles_source *)src;
	struct ks_map_dump d;
	int err;

	err = ks_map_dump(bpf_map__fd(rs->skel->maps.roles), &d);
	if (err)
		return err;
	for (uint32_t i = 0; i < d.n; i++)
		add_role(s, KS_DUMP_KEY(&d, struct tdx_role_key, i),
			 KS_DUMP_VAL(&d, struct tdx_role_stats, i));
	ks_store_map(s, src->name, "roles", d.n, d.max_entries);
	ks_map_dump_free(&d);

	err = ks_store_tdx_lost(s, src->name, rs->skel->maps.lost, lost_reasons,
				sizeof(lost_reasons) / sizeof(lost_reasons[0]));
	if (err)
		return err;
	ks_store_bpf_progs(s, src->name, rs->skel->obj);
	return 0;
}

static void roles_forget(struct ks_source *src, const char *id)
{
	struct roles_source *rs = (struct roles_source *)src;
	pid_t pid = ks_stats_id_pid(id);

	if (pid <= 0)
		return;
	ks_map_delete_pid(bpf_map__fd(rs->skel->maps.roles), pid,
			  offsetof(struct tdx_role_key, pid), false);
	ks_map_delete_pid(bpf_map__fd(rs->skel->maps.transitions), pid,
			  offsetof(struct tdx_trans_key, pid), false);
}

static void roles_destroy(struct ks_source *src)
{
	struct roles_source *rs = (struct roles_source *)src;

	bpf_link__destroy(rs->link);
	tdx_roles_bpf__destroy(rs->skel);
	free(rs);
}

static int load(struct roles_source *rs, bool btf, pid_t pid)
{
	struct tdx_roles_bpf *skel = tdx_roles_bpf__open();
	int err;

	if (!skel)
		return -errno;
	skel->rodata->targ_pid = pid;
	tdx_roles_select_progs(skel, btf, false);
	err = tdx_roles_bpf__load(skel);
	if (err) {
		tdx_roles_bpf__destroy(skel);
		return err;
	}
	rs->skel = skel;
	return 0;
}

struct ks_source *roles_source_new(const struct exporter_env *env, char *err,
				    size_t err_len)
{
	pid_t pid = env->pid;

	struct roles_source *rs = calloc(1, sizeof(*rs));
	struct ks_mode m;
	int e;

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
	if (ks_mode_detect(tdx_roles_series_events, NULL, &m) != KS_MODE_SERIES) {
		snprintf(err, err_len, "roles: %s", m.desc);
		free(rs);
		return NULL;
	}
	e = m.tp_btf ? load(rs, true, pid) : -1;
	if (e)
		e = load(rs, false, pid);
	if (e) {
		ks_probe_load_error(err, err_len, "roles", e);
		free(rs);
		return NULL;
	}
	rs->link = bpf_program__attach(tdx_roles_role_prog(rs->skel));
	if (!rs->link) {
		snprintf(err, err_len, "roles: attaching kvm_mmu_role: %s",
			 strerror(errno));
		roles_destroy(&rs->src);
		return NULL;
	}
	return &rs->src;
}
