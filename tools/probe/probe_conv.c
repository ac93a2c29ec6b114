// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpf/conversions.bpf.c loaded and attached: see probe_conv.h. */
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mapdump.h"
#include "probe.h"
#include "probe_conv.h"
#include "conversions.skel.h"

static const char *const series_events[] = {
	"kvm:kvm_vm_set_mem_attributes",
	"kvm:kvm_vm_set_mem_attributes_done",
	"kvmmmu:tdp_mmu_zap_leafs",
	NULL,
};

const struct ks_event_set conv_series[] = {
	{ series_events, NULL },
	{ NULL },
};

/* Both fallbacks find the VM at the ioctl's entry. */
static const char *const attr_event_events[] = {
	"kvm:kvm_vm_set_mem_attributes",
	"syscalls:sys_enter_ioctl",
	"syscalls:sys_exit_ioctl",
	"kvmmmu:kvm_tdp_mmu_spte_changed",
	NULL,
};

static const char *const ioctl_events[] = {
	"syscalls:sys_enter_ioctl",
	"syscalls:sys_exit_ioctl",
	"kvmmmu:kvm_tdp_mmu_spte_changed",
	NULL,
};

const struct ks_event_set conv_fallbacks[] = {
	[CONV_FB_ATTR_EVENT] = {
		attr_event_events,
		"kvm:kvm_vm_set_mem_attributes and the ioctl on VM files",
	},
	[CONV_FB_IOCTL] = {
		ioctl_events,
		"the KVM_SET_MEMORY_ATTRIBUTES ioctl on VM files",
	},
	{ NULL },
};

#define FALLBACK_UNSEEN \
	"no TLB flushes, yields or no-op flag; zap counts from kvm_tdp_mmu_spte_changed"

const char *const conv_fallback_unseen[] = {
	[CONV_FB_ATTR_EVENT] = FALLBACK_UNSEEN
		"; calls KVM rejects before changing attributes are not seen",
	[CONV_FB_IOCTL] = FALLBACK_UNSEEN,
};

const char *const conv_fallback_unavailable[] = {
	"flushes", "yields", "yield_flushes", "root_walks", "noop", NULL,
};

const char *const conv_mapgpa_events[] = {
	"kvm:kvm_hypercall",
	"kvm:kvm_userspace_exit",
	"kvm:kvm_entry",
	NULL,
};

static const char *const mapgpa_hcall_done_events[] = {
	"kvm:kvm_hypercall",
	"kvm:kvm_map_gpa_range_exit",
	"kvm:kvm_hypercall_done",
	NULL,
};

static const char *const mapgpa_tdx_events[] = {
	"kvm:kvm_tdx_map_gpa",
	"kvm:kvm_tdx_map_gpa_done",
	"kvm:kvm_map_gpa_range_exit",
	NULL,
};

static const char *const mapgpa_snp_events[] = {
	"kvm:kvm_snp_psc",
	"kvm:kvm_snp_psc_done",
	"kvm:kvm_snp_psc_msr",
	"kvm:kvm_snp_psc_msr_done",
	"kvm:kvm_map_gpa_range_exit",
	NULL,
};

const char conv_mapgpa_needs[] =
	"--mapgpa needs kvm:kvm_hypercall and the series' kvm:kvm_hypercall_done and "
	"kvm:kvm_map_gpa_range_exit, or else kvm:kvm_userspace_exit and kvm:kvm_entry";

unsigned int conv_mapgpa_sets(void)
{
	unsigned int hcall = 0;

	if (ks_tracefs_has_events(mapgpa_hcall_done_events))
		hcall = CONV_MAPGPA_HCALL_DONE;
	else if (ks_tracefs_has_events(conv_mapgpa_events))
		hcall = CONV_MAPGPA_HYPERCALL;
	if (!hcall)
		return 0;
	return hcall |
	       (ks_tracefs_has_events(mapgpa_tdx_events) ? CONV_MAPGPA_TDX : 0) |
	       (ks_tracefs_has_events(mapgpa_snp_events) ? CONV_MAPGPA_SNP : 0);
}

enum ks_mode_kind conv_probe_detect(struct ks_mode *m)
{
	return ks_mode_detect(conv_series, conv_fallbacks, m);
}

void conv_select_progs(struct conversions_bpf *skel, enum conv_progs which,
		       unsigned int mapgpa)
{
	bool entry = mapgpa & CONV_MAPGPA_HYPERCALL, tdx = mapgpa & CONV_MAPGPA_TDX;
	bool done = mapgpa & CONV_MAPGPA_HCALL_DONE, snp = mapgpa & CONV_MAPGPA_SNP;
	bool btf = which == CONV_PROGS_SERIES_BTF;
	bool raw = which == CONV_PROGS_SERIES_RAW;
	bool attr = which == CONV_PROGS_ATTR_EVENT;
	bool ioctl = which == CONV_PROGS_IOCTL;

	bpf_program__set_autoload(skel->progs.conv_attrs_btf, btf);
	bpf_program__set_autoload(skel->progs.conv_zap_leafs_btf, btf);
	bpf_program__set_autoload(skel->progs.conv_done_btf, btf);
	bpf_program__set_autoload(skel->progs.conv_attrs_raw, raw || attr);
	bpf_program__set_autoload(skel->progs.conv_zap_leafs_raw, raw);
	bpf_program__set_autoload(skel->progs.conv_done_raw, raw);
	bpf_program__set_autoload(skel->progs.fb_ioctl_enter, attr || ioctl);
	bpf_program__set_autoload(skel->progs.fb_ioctl_exit, attr || ioctl);
	bpf_program__set_autoload(skel->progs.fb_spte_changed_raw, attr || ioctl);
	bpf_program__set_autoload(skel->progs.conv_task_exit, true);
	bpf_program__set_autoload(skel->progs.mapgpa_hcall_raw, entry || done);
	bpf_program__set_autoload(skel->progs.mapgpa_uexit_raw, entry);
	bpf_program__set_autoload(skel->progs.mapgpa_entry_raw, entry);
	bpf_program__set_autoload(skel->progs.mapgpa_hcall_done_btf, done && btf);
	bpf_program__set_autoload(skel->progs.mapgpa_hcall_done_raw, done && !btf);
	bpf_program__set_autoload(skel->progs.mapgpa_tdx_raw, tdx);
	bpf_program__set_autoload(skel->progs.mapgpa_tdx_done_raw, tdx);
	bpf_program__set_autoload(skel->progs.mapgpa_chunk_raw, done || tdx || snp);
	bpf_program__set_autoload(skel->progs.mapgpa_snp_raw, snp);
	bpf_program__set_autoload(skel->progs.mapgpa_snp_done_raw, snp);
	bpf_program__set_autoload(skel->progs.mapgpa_snp_msr_raw, snp);
	bpf_program__set_autoload(skel->progs.mapgpa_snp_msr_done_raw, snp);
	skel->rodata->mapgpa_latency = mapgpa != 0;
	skel->rodata->thread_mask = bpf_map__max_entries(skel->maps.threads) - 1;
	/*
	 * Without MapGPA, nothing looks in mapgpa_threads (2.5 MiB) or the
	 * rows (1.8 MiB, a slot to fill at load each).
	 */
	if (!mapgpa) {
		bpf_map__set_max_entries(skel->maps.mapgpa_threads, 1);
		bpf_map__set_max_entries(skel->maps.mapgpa_rows, 1);
		bpf_map__set_max_entries(skel->maps.mapgpa_free, 1);
	}
	skel->rodata->open_at_event = attr;
}

struct load_ctx {
	struct conv_probe *p;
	const struct conv_probe_opts *o;
	bool series;
	int set;	/* enum conv_fallback, without the series */
};

static int load(void *data, bool tp_btf, struct bpf_object **obj)
{
	struct load_ctx *ctx = data;
	const struct conv_probe_opts *o = ctx->o;
	struct conversions_bpf *skel = conversions_bpf__open();
	enum conv_progs which;
	int err;

	if (!skel)
		return -errno;
	if (ctx->series)
		which = tp_btf ? CONV_PROGS_SERIES_BTF : CONV_PROGS_SERIES_RAW;
	else if (ctx->set == CONV_FB_ATTR_EVENT)
		which = CONV_PROGS_ATTR_EVENT;
	else
		which = CONV_PROGS_IOCTL;
	skel->rodata->targ_pid = o->pid;
	if (o->vm)
		memcpy((char *)skel->rodata->targ_vm, o->vm,
		       strnlen(o->vm, KS_STATS_ID_LEN));
	skel->rodata->min_ns = o->min_ns;
	skel->rodata->dir_filter = o->dir;
	skel->rodata->stream = o->stream;
	ctx->p->mapgpa_sets = o->mapgpa ? conv_mapgpa_sets() : 0;
	conv_select_progs(skel, which, ctx->p->mapgpa_sets);
	err = conversions_bpf__load(skel) ?: conv_probe_init_slots(skel);
	if (err) {
		conversions_bpf__destroy(skel);
		return err;
	}
	ctx->p->skel = skel;
	*obj = skel->obj;
	return 0;
}

int conv_probe_open(struct conv_probe *p, const struct ks_mode *m,
		    const struct conv_probe_opts *o, char *err, size_t err_len)
{
	struct load_ctx ctx = {
		.p = p, .o = o, .series = m->kind == KS_MODE_SERIES,
		.set = m->set,
	};
	int e;

	memset(p, 0, sizeof(*p));
	e = ks_probe_open(&p->bpf, load, &ctx, ctx.series && m->tp_btf,
			  "conversions", err, err_len);
	if (e) {
		conv_probe_close(p);
		return e;
	}
	p->stats_fd = bpf_map__fd(p->skel->maps.stats);
	p->slots_fd = bpf_map__fd(p->skel->maps.conv_slots);
	p->nr_slots = bpf_map__max_entries(p->skel->maps.stats);
	p->mapgpa_fd = bpf_map__fd(p->skel->maps.mapgpa);
	p->mapgpa_rows_fd = bpf_map__fd(p->skel->maps.mapgpa_rows);
	p->nr_mapgpa_rows = bpf_map__max_entries(p->skel->maps.mapgpa_rows);
	p->events_fd = bpf_map__fd(p->skel->maps.events);
	p->lost_fd = bpf_map__fd(p->skel->maps.lost);
	return 0;
}

void conv_probe_close(struct conv_probe *p)
{
	ks_probe_close(&p->bpf);
	conversions_bpf__destroy(p->skel);
	p->skel = NULL;
	free(p->seen);
	p->seen = NULL;
}

/* Every slot of array @slots, as @init, to the free list @free. */
static int init_slots(const struct bpf_map *slots, const struct bpf_map *free,
		      const void *init)
{
	int slots_fd = bpf_map__fd(slots), free_fd = bpf_map__fd(free);

	for (__u32 i = 0; i < bpf_map__max_entries(slots); i++)
		if (bpf_map_update_elem(slots_fd, &i, init, BPF_ANY) ||
		    bpf_map_update_elem(free_fd, NULL, &i, BPF_ANY))
			return -errno;
	return 0;
}

int conv_probe_init_slots(struct conversions_bpf *skel)
{
	/* Generation 0 is no thread's cache: a slot starts at 1. */
	const struct conv_vmm v = { .gen = 1 };
	const struct mapgpa_row r = {};

	return init_slots(skel->maps.stats, skel->maps.free_slots, &v) ?:
	       init_slots(skel->maps.mapgpa_rows, skel->maps.mapgpa_free, &r);
}

/*
 * Slot @slot of the array @rows_fd back to the queue @free_fd: the entry
 * of @key in the index @index_fd deleted if it still names the slot, the
 * slot rewritten as @zero, and only then queued, so that whoever takes it
 * next finds it clean.
 */
static void release_slot(int index_fd, const void *key, int rows_fd,
			 __u32 slot, const void *zero, int free_fd)
{
	__u32 idx;

	if (!bpf_map_lookup_elem(index_fd, key, &idx) && idx == slot)
		bpf_map_delete_elem(index_fd, key);
	if (!bpf_map_update_elem(rows_fd, &slot, zero, BPF_ANY))
		bpf_map_update_elem(free_fd, NULL, &slot, BPF_ANY);
}

/*
 * Slot @slot, last read as @v, back to the free list: zeroed, its
 * generation bumped so no thread's cache finds it, its index entry gone if
 * its VMM still has one.
 */
static void free_slot(const struct conv_probe *p, __u32 slot,
		      const struct conv_vmm *v)
{
	struct conv_vmm z = { .gen = v->gen + 1 ? v->gen + 1 : 1 };

	release_slot(p->slots_fd, &v->pid, p->stats_fd, slot, &z,
		     bpf_map__fd(p->skel->maps.free_slots));
}

/* Is @slot, held by @pid, still its live process's (its index entry)? */
static bool slot_live(const struct conv_probe *p, __u32 slot, __u32 pid)
{
	__u32 idx;

	return !bpf_map_lookup_elem(p->slots_fd, &pid, &idx) && idx == slot;
}

/*
 * A walk of the stats or MapGPA row slots (ks_array_walk(): a few dozen
 * per syscall, where a lookup per slot made 4608 syscalls a read): the
 * named rows to @fn, or (@fn NULL) those of @pid freed.
 */
struct slot_walk {
	const struct conv_probe *p;
	ks_map_take_fn fn;
	void *ctx;
	bool take;		/* MapGPA rows: each freed once read */
	__u32 pid;
	int n;			/* rows given to @fn */
};

static int stats_slot(void *data, __u32 slot, const void *val)
{
	struct slot_walk *w = data;
	const struct conv_vmm *v = val;
	int err;

	if (!w->fn) {
		if (v->pid == w->pid)
			free_slot(w->p, slot, v);
		return 0;
	}
	for (__u32 dir = 0; v->pid && dir < CONV_NR_DIRS; dir++) {
		struct conv_key k = { .pid = v->pid, .dir = dir };

		if (!v->dir[dir].count)
			continue;	/* never used */
		w->n++;
		err = w->fn(w->ctx, &k, &v->dir[dir]);
		if (err)
			return err;
	}
	return 0;
}

int conv_probe_rows(const struct conv_probe *p, ks_map_take_fn fn, void *ctx)
{
	struct slot_walk w = { .p = p, .fn = fn, .ctx = ctx };
	int err = ks_array_walk(p->stats_fd, stats_slot, &w);

	return err ? err : w.n;
}

/* @d = @cur - @prev, counter by counter; the names are @cur's. */
static void conv_stats_sub(struct conv_stats *d, const struct conv_stats *cur,
			   const struct conv_stats *prev)
{
	*d = *cur;
#define SUB(field, ...) d->field -= prev->field;
	CONV_ROW_COUNTERS(SUB)
#undef SUB
	for (int i = 0; i < CONV_NR_LEVELS; i++)
		d->zapped[i] -= prev->zapped[i];
	d->dur_sum_ns -= prev->dur_sum_ns;
	for (int i = 0; i < KS_HIST_SLOTS; i++) {
		d->dur_slots[i] -= prev->dur_slots[i];
		d->pages_slots[i] -= prev->pages_slots[i];
	}
}

int conv_probe_drain(struct conv_probe *p, ks_map_take_fn fn, void *ctx)
{
	struct conv_stats d;
	struct conv_vmm v;
	int err;

	if (!p->seen) {
		p->seen = calloc(p->nr_slots, sizeof(*p->seen));
		if (!p->seen)
			return -ENOMEM;
	}
	for (__u32 slot = 0; slot < p->nr_slots; slot++) {
		struct conv_vmm *seen = &p->seen[slot];
		bool dead;

		if (bpf_map_lookup_elem(p->stats_fd, &slot, &v))
			return -errno;
		if (!v.pid)
			continue;
		/*
		 * Dead first, then read again: what its threads counted
		 * before its exit is all there is.
		 */
		dead = !slot_live(p, slot, v.pid);
		if (dead && bpf_map_lookup_elem(p->stats_fd, &slot, &v))
			return -errno;
		if (seen->pid != v.pid || seen->gen != v.gen)
			memset(seen, 0, sizeof(*seen));	/* a new owner */
		for (__u32 dir = 0; dir < CONV_NR_DIRS; dir++) {
			struct conv_key k = { .pid = v.pid, .dir = dir };

			conv_stats_sub(&d, &v.dir[dir], &seen->dir[dir]);
			if (!d.count)
				continue;
			err = fn(ctx, &k, &d);
			if (err)
				return err;
		}
		*seen = v;
		if (dead) {
			free_slot(p, slot, &v);
			memset(seen, 0, sizeof(*seen));
		}
	}
	return 0;
}

/*
 * MapGPA row @slot, last read as @r, back to the free list: its index
 * entry gone, zeroed so that no request's cached slot names it.
 */
static void free_mapgpa_row(const struct conv_probe *p, __u32 slot,
			    const struct mapgpa_row *r)
{
	const struct mapgpa_row z = {};

	release_slot(p->mapgpa_fd, &r->key, p->mapgpa_rows_fd, slot, &z,
		     bpf_map__fd(p->skel->maps.mapgpa_free));
}

static int mapgpa_row_slot(void *data, __u32 slot, const void *val)
{
	struct slot_walk *w = data;
	const struct mapgpa_row *r = val;

	if (!r->key.pid)
		return 0;	/* free, or not named yet */
	if (!w->fn) {
		if (r->key.pid == w->pid)
			free_mapgpa_row(w->p, slot, r);
		return 0;
	}
	if (w->take)
		free_mapgpa_row(w->p, slot, r);
	w->n++;
	return w->fn(w->ctx, &r->key, &r->s);
}

void conv_probe_delete_pid(const struct conv_probe *p, __u32 pid)
{
	struct slot_walk w = { .p = p, .pid = pid };

	ks_array_walk(p->stats_fd, stats_slot, &w);
	ks_array_walk(p->mapgpa_rows_fd, mapgpa_row_slot, &w);
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.mapgpa_vmm_rows), &pid);
}

/* Each named MapGPA row to @fn, freed once read if @take; the count. */
static int each_mapgpa_row(const struct conv_probe *p, ks_map_take_fn fn,
			   void *ctx, bool take)
{
	struct slot_walk w = { .p = p, .fn = fn, .ctx = ctx, .take = take };
	int err = ks_array_walk(p->mapgpa_rows_fd, mapgpa_row_slot, &w);

	return err ? err : w.n;
}

int conv_probe_mapgpa_rows(const struct conv_probe *p, ks_map_take_fn fn,
			   void *ctx)
{
	return each_mapgpa_row(p, fn, ctx, false);
}

static int take_nothing(void *ctx, const void *key, const void *val)
{
	(void)ctx, (void)key, (void)val;
	return 0;
}

int conv_probe_drain_mapgpa(const struct conv_probe *p, ks_map_take_fn fn,
			    void *ctx)
{
	__u32 pid, n;
	int err = each_mapgpa_row(p, fn, ctx, true);

	if (err < 0)
		return err;
	/* The rows are gone: every VMM may create its share again. */
	return ks_map_drain(bpf_map__fd(p->skel->maps.mapgpa_vmm_rows),
			    &pid, &n, take_nothing, NULL);
}
