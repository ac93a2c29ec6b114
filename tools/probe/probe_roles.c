// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpf/mmu_roles.bpf.c loaded and attached: see probe_roles.h. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mapdump.h"
#include "output.h"
#include "probe.h"
#include "probe_roles.h"
#include "mmu_roles.skel.h"

static const char *const series_events[] = { "kvmmmu:kvm_mmu_role", NULL };

const struct ks_event_set roles_series[] = {
	{ series_events, NULL },
	{ NULL },
};

enum ks_mode_kind roles_probe_detect(struct ks_mode *m)
{
	return ks_mode_detect(roles_series, NULL, m);
}

void mmu_roles_select_progs(struct mmu_roles_bpf *skel, bool tp_btf,
			    bool init_cost)
{
	bpf_program__set_autoload(skel->progs.role_of_btf, tp_btf);
	bpf_program__set_autoload(skel->progs.role_of_raw, !tp_btf);
	bpf_program__set_autoload(skel->progs.init_mmu_entry, init_cost);
	bpf_program__set_autoload(skel->progs.init_mmu_exit, init_cost);
}

struct load_ctx {
	struct roles_probe *p;
	pid_t pid;
	const char *vm;
	bool init_cost;
};

static int load_one(void *data, bool tp_btf, bool init_cost,
		    struct bpf_object **obj)
{
	struct load_ctx *ctx = data;
	struct mmu_roles_bpf *skel = mmu_roles_bpf__open();
	int err;

	if (!skel)
		return -errno;
	skel->rodata->targ_pid = ctx->pid;
	if (ctx->vm)
		memcpy((char *)skel->rodata->targ_vm, ctx->vm,
		       strnlen(ctx->vm, KS_STATS_ID_LEN));
	mmu_roles_select_progs(skel, tp_btf, init_cost);
	err = mmu_roles_bpf__load(skel);
	if (err) {
		mmu_roles_bpf__destroy(skel);
		return err;
	}
	ctx->p->skel = skel;
	ctx->p->init_cost = init_cost;
	*obj = skel->obj;
	return 0;
}

/*
 * With kvm_init_mmu timing first, then without (ks_probe_load_fentry).
 */
static int load(void *data, bool tp_btf, struct bpf_object **obj)
{
	struct load_ctx *ctx = data;

	return ks_probe_load_fentry(load_one, ctx, tp_btf, ctx->init_cost, obj);
}

int roles_probe_open(struct roles_probe *p, const struct ks_mode *m,
		     pid_t pid, const char *vm, bool init_cost, char *err,
		     size_t err_len)
{
	struct load_ctx ctx = {
		.p = p, .pid = pid, .vm = vm, .init_cost = init_cost,
	};
	int e;

	memset(p, 0, sizeof(*p));
	e = ks_probe_open(&p->bpf, load, &ctx, m->tp_btf, "roles", err,
			  err_len);
	/* Where the timing loads but does not attach, go without it. */
	if (e && p->init_cost) {
		roles_probe_close(p);
		ctx.init_cost = false;
		e = ks_probe_open(&p->bpf, load, &ctx, m->tp_btf, "roles", err,
				  err_len);
	}
	if (e) {
		roles_probe_close(p);
		return e;
	}
	p->roles_fd = bpf_map__fd(p->skel->maps.roles);
	p->init_cost_fd = bpf_map__fd(p->skel->maps.init_cost);
	p->lost_fd = bpf_map__fd(p->skel->maps.lost);
	return 0;
}

void roles_probe_close(struct roles_probe *p)
{
	ks_probe_close(&p->bpf);
	mmu_roles_bpf__destroy(p->skel);
	p->skel = NULL;
}

struct read_ctx {
	mmu_roles_slot_fn fn;
	void *ctx;
	__u32 used;
};

static int read_slot(void *data, __u32 idx, const void *val)
{
	struct read_ctx *r = data;
	const struct mmu_role_slot *e = val;

	if (e->state != MMU_ROLE_SLOT_READY)
		return 0;
	r->used++;
	return r->fn(r->ctx, idx, e);
}

int mmu_roles_read(int fd, mmu_roles_slot_fn fn, void *ctx, __u32 *used)
{
	struct read_ctx r = { .fn = fn, .ctx = ctx };
	int err = ks_array_walk(fd, read_slot, &r);

	if (used)
		*used = r.used;
	return err;
}

struct free_ctx {
	int fd;
	__u32 pid;
};

void mmu_roles_free_slot(int fd, __u32 idx)
{
	const struct mmu_role_slot free_slot = {};

	bpf_map_update_elem(fd, &idx, &free_slot, BPF_ANY);
}

static int free_of_pid(void *data, __u32 idx, const struct mmu_role_slot *e)
{
	const struct free_ctx *ctx = data;

	if (e->key.pid == ctx->pid)
		mmu_roles_free_slot(ctx->fd, idx);
	return 0;
}

void roles_probe_delete_pid(const struct roles_probe *p, __u32 pid)
{
	struct free_ctx ctx = { .fd = p->roles_fd, .pid = pid };

	mmu_roles_read(p->roles_fd, free_of_pid, &ctx, NULL);
}

bool mmu_role_entry_row(const struct mmu_role_slot *e,
			struct mmu_role_stats *row)
{
	const struct mmu_role_key *k = &e->key;

	if (k->mmu >= NR_MMU_KINDS || k->cause >= MMU_ROLE_NR_CAUSES)
		return false;
	memset(row, 0, sizeof(*row));
	row->computed = e->count;
	if (mmu_role_entry_changed(k)) {
		row->changed = e->count;
		row->cause[k->cause] = e->count;
	} else {
		row->unchanged = e->count;
	}
	memcpy(row->stats_id, e->stats_id, sizeof(row->stats_id));
	return true;
}
