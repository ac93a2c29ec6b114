// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpf/hvflush.bpf.c loaded, attached and read: see probe_hvflush.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "args.h"
#include "hvflush.skel.h"
#include "mapdump.h"
#include "output.h"
#include "percpu.h"
#include "probe_hvflush.h"

/* The series' events end with the hypercalls: all the fallback has. */
static const char *const series_events[] = {
	"kvm:kvm_hv_flush_tlb_enqueue",
	"kvm:kvm_hv_flush_tlb_dequeue",
	"kvm:kvm_nested_vmexit_inject",
	"kvm:kvm_hv_flush_tlb",
	"kvm:kvm_hv_flush_tlb_ex",
	NULL,
};

const struct ks_event_set hv_series[] = {
	{ series_events, NULL },
	{ NULL },
};

const char *const hv_fallback_events[] = {
	"kvm:kvm_hv_flush_tlb",
	"kvm:kvm_hv_flush_tlb_ex",
	NULL,
};

static const struct ks_event_set hv_fallbacks[] = {
	{ hv_fallback_events, "kvm:kvm_hv_flush_tlb{,_ex}: hypercall counts only" },
	{ NULL },
};

enum ks_mode_kind hv_probe_detect(struct ks_mode *m)
{
	return ks_mode_detect(hv_series, hv_fallbacks, m);
}

/*
 * Whether the tp_btf programs can be tried: raw_tp needs no BTF for the
 * event itself, only CO-RE for struct kvm.  The fallback has no series
 * events, but its hypercall events may still be in BTF.
 */
static bool want_btf(const struct ks_mode *m)
{
	if (m->kind == KS_MODE_SERIES)
		return m->tp_btf;
	return ks_btf_has_tracepoint("kvm:kvm_hv_flush_tlb") &&
	       ks_btf_has_tracepoint("kvm:kvm_hv_flush_tlb_ex");
}

/*
 * @series: the series' programs too, not only the hypercalls', and the
 * ends of VMs that clear their rows' waits; @vm_destroy: that one too
 * (fentry).
 */
static void select_twins(struct hvflush_bpf *obj, bool series, bool btf,
			 bool vm_destroy)
{
	bpf_program__set_autoload(obj->progs.flush_enqueue_btf, series && btf);
	bpf_program__set_autoload(obj->progs.flush_enqueue_raw, series && !btf);
	bpf_program__set_autoload(obj->progs.flush_dequeue_btf, series && btf);
	bpf_program__set_autoload(obj->progs.flush_dequeue_raw, series && !btf);
	bpf_program__set_autoload(obj->progs.vmexit_inject_btf, series && btf);
	bpf_program__set_autoload(obj->progs.vmexit_inject_raw, series && !btf);
	bpf_program__set_autoload(obj->progs.flush_tlb_btf, btf);
	bpf_program__set_autoload(obj->progs.flush_tlb_raw, !btf);
	bpf_program__set_autoload(obj->progs.flush_tlb_ex_btf, btf);
	bpf_program__set_autoload(obj->progs.flush_tlb_ex_raw, !btf);
	bpf_program__set_autoload(obj->progs.vmm_exit, series);
	bpf_program__set_autoload(obj->progs.vm_destroy, series && vm_destroy);
}

void hv_select_programs(struct hvflush_bpf *obj, const struct ks_mode *m)
{
	bool series = m->kind == KS_MODE_SERIES;

	select_twins(obj, series, want_btf(m), series);
}

struct load_ctx {
	struct hv_probe *p;
	bool series;
	bool vm_destroy;	/* try fentry on kvm_destroy_vm */
	pid_t pid;
};

static int load_one(void *data, bool tp_btf, bool vm_destroy,
		    struct bpf_object **obj)
{
	struct load_ctx *ctx = data;
	struct hvflush_bpf *skel = hvflush_bpf__open();
	int err;

	if (!skel)
		return -errno;
	skel->rodata->targ_pid = ctx->pid;
	select_twins(skel, ctx->series, tp_btf, vm_destroy);
	err = hvflush_bpf__load(skel);
	if (err) {
		hvflush_bpf__destroy(skel);
		return err;
	}
	ctx->p->skel = skel;
	ctx->p->vm_destroy = vm_destroy;
	*obj = skel->obj;
	return 0;
}

/*
 * With fentry on kvm_destroy_vm first, then without (ks_probe_load_fentry):
 * without it a VM's waits end with its process only.
 */
static int load(void *data, bool tp_btf, struct bpf_object **obj)
{
	struct load_ctx *ctx = data;

	return ks_probe_load_fentry(load_one, ctx, tp_btf, ctx->vm_destroy, obj);
}

int hv_probe_open(struct hv_probe *p, const struct ks_mode *m, pid_t pid,
		  char *err, size_t err_len)
{
	bool series = m->kind == KS_MODE_SERIES;
	struct load_ctx ctx = {
		.p = p, .series = series, .vm_destroy = series, .pid = pid,
	};
	int e;

	memset(p, 0, sizeof(*p));
	e = ks_probe_open(&p->bpf, load, &ctx, want_btf(m), "hvflush", err,
			  err_len);
	/* Where the fentry loads but does not attach, go without it. */
	if (e && p->vm_destroy) {
		hv_probe_close(p);
		ctx.vm_destroy = false;
		e = ks_probe_open(&p->bpf, load, &ctx, want_btf(m), "hvflush",
				  err, err_len);
	}
	if (e)
		hv_probe_close(p);
	return e;
}

void hv_probe_close(struct hv_probe *p)
{
	ks_probe_close(&p->bpf);
	hvflush_bpf__destroy(p->skel);
	p->skel = NULL;
}

int hv_probe_rows_fd(const struct hv_probe *p)
{
	return bpf_map__fd(p->skel->maps.rows);
}

int hv_probe_counters_fd(const struct hv_probe *p)
{
	return bpf_map__fd(p->skel->maps.counters);
}

void hv_probe_set_max_gen(struct hv_probe *p, uint64_t gen)
{
	p->skel->bss->max_gen = gen;
}

void hv_probe_delete_pid(const struct hv_probe *p, pid_t pid)
{
	ks_map_delete_pid(hv_probe_rows_fd(p), pid,
			  offsetof(struct hvflush_key, pid), false);
}

void hv_names_free(struct hv_names *names)
{
	ks_vm_cache_free(&names->cache);
}

int hv_probe_read_counters(const struct hv_probe *p,
			   uint64_t out[HVFLUSH_NR_COUNTERS])
{
	int err = ks_percpu_sums(hv_probe_counters_fd(p), out,
				 HVFLUSH_NR_COUNTERS);

	if (!err)
		out[HVFLUSH_MISSED] = ks_probe_missed(p->bpf.obj);
	return err;
}

int hv_read_rows(int rows_fd, struct hv_names *names,
		 struct hv_raw_row **out, size_t *nr)
{
	struct hv_raw_row *rows;
	struct ks_map_dump d;
	uint32_t i;
	int err;

	err = ks_map_dump(rows_fd, &d);
	if (err)
		return err;
	rows = calloc(d.n ? d.n : 1, sizeof(*rows));
	if (!rows) {
		ks_map_dump_free(&d);
		return -ENOMEM;
	}
	for (i = 0; i < d.n; i++) {
		struct hv_raw_row *r = &rows[i];
		char id[KS_STATS_ID_LEN + 1];

		r->key = *KS_DUMP_KEY(&d, struct hvflush_key, i);
		r->val = *KS_DUMP_VAL(&d, struct hvflush_row, i);
		/* Reaped: all its vCPU threads are gone, the row is final. */
		r->exited = !ks_pid_exists(r->key.pid);
		/*
		 * A VMM that exited before its first lookup has no /proc entry
		 * left: the stats id the kernel kept ("kvm-<pid>") still says
		 * which VM it was, where "?" would say nothing.
		 */
		snprintf(id, sizeof(id), "%.*s", KS_STATS_ID_LEN,
			 r->val.stats_id);
		snprintf(r->name, sizeof(r->name), "%s",
			 ks_vm_cache_name(&names->cache, r->key.pid, id));
	}
	/* Deleted after the dump: a walk restarts when its key goes. */
	for (i = 0; i < d.n; i++) {
		if (!rows[i].exited)
			continue;
		bpf_map_delete_elem(rows_fd, &rows[i].key);
		ks_vm_cache_forget(&names->cache, rows[i].key.pid);
	}
	*out = rows;
	*nr = d.n;
	ks_map_dump_free(&d);
	return 0;
}
