// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kvmscope metric families: see render.h and dashboards/README.md. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* Label sets: vm, vm_name, then vcpu (when per-vCPU), then specifics. */
enum { L_VM, L_NAME, L_VCPU, L_A, L_B, L_MAX };

struct labels {
	struct ks_label l[L_MAX];
	char vcpu[16];
};

static void labels_vm(struct labels *ls, const struct ks_vm *vm)
{
	memset(ls, 0, sizeof(*ls));
	ls->l[L_VM] = (struct ks_label){ "vm", vm->id };
	ls->l[L_NAME] = (struct ks_label){ "vm_name",
					   vm->name[0] ? vm->name : NULL };
	ls->l[L_VCPU].name = "vcpu";	/* value set per vCPU, if at all */
}

static void labels_vcpu(struct labels *ls, const struct ks_vcpu *v)
{
	if (v->id == KS_VCPU_OTHER)
		snprintf(ls->vcpu, sizeof(ls->vcpu), "_other");
	else
		snprintf(ls->vcpu, sizeof(ls->vcpu), "%d", v->id);
	ls->l[L_VCPU].value = ls->vcpu;
}

static void set(struct labels *ls, int which, const char *name,
		const char *value)
{
	ls->l[which] = (struct ks_label){ name, value };
}

static void render_info(struct ks_buf *b, const struct ks_render_opts *o,
			const struct ks_render_extra *x,
			const struct ks_store *s)
{
	struct ks_label l[3];
	size_t live = 0;

	expo_family(b, "kvmscope_info", "gauge",
		    "kvmscope exporter version, kernel release and mode: series (the kvmscope tracepoints) or fallback (upstream events only).");
	l[0] = (struct ks_label){ "version", o->version };
	l[1] = (struct ks_label){ "kernel", o->kernel };
	l[2] = (struct ks_label){ "mode", o->mode };
	expo_sample_u64(b, "kvmscope_info", l, 3, 1);

	expo_family(b, "kvmscope_collector_info", "gauge",
		    "Each source of metrics and the events it runs on: series or fallback.");
	for (int i = 0; i < x->nr_sources; i++) {
		l[0] = (struct ks_label){ "collector", x->sources[i].name };
		l[1] = (struct ks_label){ "mode", x->sources[i].mode };
		expo_sample_u64(b, "kvmscope_collector_info", l, 2, 1);
	}
	expo_family(b, "kvmscope_collector_up", "gauge",
		    "Whether the last collection from this source succeeded; 0 with a reason: it could not attach.");
	for (int i = 0; i < x->nr_sources; i++) {
		l[0] = (struct ks_label){ "collector", x->sources[i].name };
		expo_sample_u64(b, "kvmscope_collector_up", l, 1,
				x->sources[i].up);
	}
	for (int i = 0; i < x->nr_down; i++) {
		l[0] = (struct ks_label){ "collector", x->down[i].name };
		l[1] = (struct ks_label){ "reason", x->down[i].reason };
		expo_sample_u64(b, "kvmscope_collector_up", l, 2, 0);
	}
	expo_family(b, "kvmscope_collector_duration_seconds", "gauge",
		    "Time the last collection from this source took.");
	for (int i = 0; i < x->nr_sources; i++) {
		l[0] = (struct ks_label){ "collector", x->sources[i].name };
		expo_sample_double(b, "kvmscope_collector_duration_seconds",
				   l, 1, x->sources[i].duration);
	}
	expo_family(b, "kvmscope_collector_errors_total", "counter",
		    "Collections from this source that failed: its series kept their last values.");
	for (int i = 0; i < x->nr_sources; i++) {
		l[0] = (struct ks_label){ "collector", x->sources[i].name };
		expo_sample_u64(b, "kvmscope_collector_errors_total", l, 1,
				x->sources[i].errors);
	}
	expo_family(b, "kvmscope_collector_clamps_total", "counter",
		    "Counter values this source read lower than the value exported: a torn or reset read, not exported (the exported value stays).");
	for (int i = 0; i < x->nr_sources; i++) {
		l[0] = (struct ks_label){ "collector", x->sources[i].name };
		expo_sample_u64(b, "kvmscope_collector_clamps_total",
				l, 1, x->sources[i].clamps);
	}
	expo_family(b, "kvmscope_scrape_duration_seconds", "gauge",
		    "Time the previous scrape took to collect and render.");
	expo_sample_double(b, "kvmscope_scrape_duration_seconds", NULL, 0,
			   x->last_scrape);

	for (size_t i = 0; i < s->nr_vms; i++)
		live += ks_vm_live(s, s->vms[i]);
	expo_family(b, "kvmscope_vms", "gauge",
		    "VMs exported: live, or gone and kept for the grace period.");
	l[0] = (struct ks_label){ "state", "live" };
	expo_sample_u64(b, "kvmscope_vms", l, 1, live);
	l[0] = (struct ks_label){ "state", "expiring" };
	expo_sample_u64(b, "kvmscope_vms", l, 1, s->nr_vms - live);
	/* A counter named kvmscope_vms_folded_total would clash in OpenMetrics. */
	expo_family(b, "kvmscope_vms_folded", "gauge",
		    "Live VMs past --max-vms: exported only summed into the VM _other (itself one of kvmscope_vms), and dropped with no grace once gone.");
	expo_sample_u64(b, "kvmscope_vms_folded", NULL, 0, s->nr_folded);
	expo_family(b, "kvmscope_vm_folds_total", "counter",
		    "VMs folded into the VM _other since the exporter started.");
	expo_sample_u64(b, "kvmscope_vm_folds_total", NULL, 0,
			s->folded_total);
}

static void render_self(struct ks_buf *b, const struct ks_store *s,
			const struct ks_render_extra *x)
{
	struct ks_label l[2];

	if (x->bpf_stats_enabled >= 0) {
		expo_family(b, "kvmscope_bpf_stats_enabled", "gauge",
			    "kernel.bpf_stats_enabled: BPF program run counts and times are only maintained while it is 1.");
		expo_sample_u64(b, "kvmscope_bpf_stats_enabled", NULL, 0,
				x->bpf_stats_enabled);
	}
	if (s->nr_progs) {
		expo_family(b, "kvmscope_bpf_prog_runs_total", "counter",
			    "Runs of each attached BPF program (while bpf_stats are enabled).");
		for (size_t i = 0; i < s->nr_progs; i++) {
			l[0] = (struct ks_label){ "collector", s->progs[i].source };
			l[1] = (struct ks_label){ "prog", s->progs[i].name };
			expo_sample_u64(b, "kvmscope_bpf_prog_runs_total", l, 2,
					s->progs[i].run_cnt);
		}
		expo_family(b, "kvmscope_bpf_prog_run_seconds_total", "counter",
			    "Time spent in each attached BPF program (while bpf_stats are enabled).");
		for (size_t i = 0; i < s->nr_progs; i++) {
			l[0] = (struct ks_label){ "collector", s->progs[i].source };
			l[1] = (struct ks_label){ "prog", s->progs[i].name };
			expo_sample_seconds(b, "kvmscope_bpf_prog_run_seconds_total",
					    l, 2, s->progs[i].run_time_ns);
		}
	}
	if (s->nr_maps) {
		expo_family(b, "kvmscope_bpf_map_fill_ratio", "gauge",
			    "Entries over max_entries of each aggregation map; at 1 new keys are lost.");
		for (size_t i = 0; i < s->nr_maps; i++) {
			const struct ks_map_stat *m = &s->maps[i];

			l[0] = (struct ks_label){ "collector", m->source };
			l[1] = (struct ks_label){ "map", m->name };
			expo_sample_double(b, "kvmscope_bpf_map_fill_ratio", l, 2,
					   m->max_entries ?
					   (double)m->entries / m->max_entries : 0);
		}
	}
	expo_family(b, "kvmscope_lost_events_total", "counter",
		    "Events the BPF programs could not record (ring buffer or map full), counted in the kernel.");
	for (size_t i = 0; i < s->nr_lost; i++) {
		l[0] = (struct ks_label){ "collector", s->lost[i].source };
		l[1] = (struct ks_label){ "reason", s->lost[i].reason };
		expo_sample_u64(b, "kvmscope_lost_events_total", l, 2,
				s->lost[i].count);
	}
}

static void hist(struct ks_buf *b, const char *name, const struct labels *ls,
		 const struct ks_hist *h)
{
	expo_log2_histogram(b, name, ls->l, L_MAX, h->slots, KS_HIST_SLOTS,
			    KS_BUCKET_FIRST_SLOT, KS_BUCKET_LAST_SLOT, 1,
			    h->sum_ns);
}

/*
 * A counter family of a row list in the bpf/ headers: the store field at
 * @off of its struct, an array with one value per label value where the
 * store keeps one (roles, by MMU).  Entries without a metric name are kept
 * in the store but not exported.
 */
struct counter {
	size_t off;
	bool series;	/* only observable with the kvmscope series */
	const char *name;
	const char *help;
};

#define COUNTER(type, field, series, metric, help)			\
	{ offsetof(type, field), series, metric, help },

static const struct counter conv_counters[] = {
#define C(field, series, metric, help)					\
	COUNTER(struct ks_conv, field, series, metric, help)
	CONV_ROW_COUNTERS(C)
#undef C
};

static const struct counter mapgpa_counters[] = {
#define C(field, metric, help)						\
	COUNTER(struct ks_mapgpa, field, false, metric, help)
	MAPGPA_ROW_COUNTERS(C)
#undef C
};

static const struct counter role_counters[] = {
#define C(field, metric, help)						\
	COUNTER(struct ks_roles, field, false, metric, help)
	MMU_ROLE_ROW_COUNTERS(C)
#undef C
};

static const struct counter hv_counters[] = {
#define C(field, metric, help)						\
	COUNTER(struct ks_hvfifo, field, false, metric, help)
	HVFLUSH_ROW_COUNTERS(C)
#undef C
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Value @i of counter @c in the store struct at @base. */
static uint64_t counter_value(const void *base, const struct counter *c,
			      size_t i)
{
	return ((const uint64_t *)((const char *)base + c->off))[i];
}

/* Does @s export counter @c? */
static bool exported(const struct ks_store *s, const struct counter *c)
{
	return c->name && (!c->series || (s->have & KS_HAVE_CONV_SERIES));
}

static void render_conv(struct ks_buf *b, const struct ks_store *s)
{
	struct labels ls;

	for (size_t c = 0; c < ARRAY_SIZE(conv_counters); c++) {
		const struct counter *k = &conv_counters[c];

		if (!exported(s, k))
			continue;
		expo_family(b, k->name, "counter", k->help);
		for (size_t i = 0; i < s->nr_vms; i++) {
			labels_vm(&ls, s->vms[i]);
			for (int d = 0; d < KS_NR_DIRS; d++) {
				const struct ks_conv *conv = &s->vms[i]->conv[d];

				set(&ls, L_A, "direction", ks_dir_names[d]);
				expo_sample_u64(b, k->name, ls.l, L_MAX,
						counter_value(conv, k, 0));
			}
		}
	}
	expo_family(b, "kvmscope_mem_conversion_zapped_sptes_total", "counter",
		    "Leaf SPTEs zapped by conversions, by page size.");
	for (size_t i = 0; i < s->nr_vms; i++) {
		labels_vm(&ls, s->vms[i]);
		for (int d = 0; d < KS_NR_DIRS; d++) {
			set(&ls, L_A, "direction", ks_dir_names[d]);
			for (int lv = 0; lv < KS_NR_LEVELS; lv++) {
				set(&ls, L_B, "level", ks_level_names[lv]);
				expo_sample_u64(b, "kvmscope_mem_conversion_zapped_sptes_total",
						ls.l, L_MAX,
						s->vms[i]->conv[d].zapped[lv]);
			}
		}
	}
	expo_family(b, "kvmscope_mem_conversion_duration_seconds", "histogram",
		    "Duration of conversions, KVM_SET_MEMORY_ATTRIBUTES begin to end, including the zap and the flush.");
	for (size_t i = 0; i < s->nr_vms; i++) {
		labels_vm(&ls, s->vms[i]);
		for (int d = 0; d < KS_NR_DIRS; d++) {
			set(&ls, L_A, "direction", ks_dir_names[d]);
			hist(b, "kvmscope_mem_conversion_duration_seconds", &ls,
			     &s->vms[i]->conv[d].duration);
		}
	}
}

/*
 * vCPU-scoped families: @emit is called once per VM with its total
 * (vm->total, summed by ks_render()) or once per vCPU, depending on
 * per_vcpu.  @c: the counter of the family, if it is one of a list.
 */
typedef void (*vcpu_emit_fn)(struct ks_buf *b, struct labels *ls,
			     const struct ks_vcpu *v, const struct counter *c);

static void for_each_vcpu(struct ks_buf *b, const struct ks_store *s,
			  bool per_vcpu, vcpu_emit_fn emit,
			  const struct counter *c)
{
	struct labels ls;

	for (size_t i = 0; i < s->nr_vms; i++) {
		const struct ks_vm *vm = s->vms[i];

		labels_vm(&ls, vm);
		if (!per_vcpu) {
			emit(b, &ls, &vm->total, c);
			continue;
		}
		for (size_t j = 0; j < vm->nr_vcpus; j++) {
			if (vm->vcpus[j].folded)	/* in vcpu="_other" */
				continue;
			labels_vcpu(&ls, &vm->vcpus[j]);
			emit(b, &ls, &vm->vcpus[j], c);
		}
	}
}

/* Every exported counter of @list, a family each, through @emit. */
static void render_counters(struct ks_buf *b, const struct ks_store *s,
			    bool per_vcpu, const struct counter *list,
			    size_t n, vcpu_emit_fn emit)
{
	for (size_t i = 0; i < n; i++) {
		if (!exported(s, &list[i]))
			continue;
		expo_family(b, list[i].name, "counter", list[i].help);
		for_each_vcpu(b, s, per_vcpu, emit, &list[i]);
	}
}

static void emit_role_counter(struct ks_buf *b, struct labels *ls,
			      const struct ks_vcpu *v, const struct counter *c)
{
	for (int m = 0; m < KS_NR_MMUS; m++) {
		set(ls, L_A, "mmu", ks_mmu_names[m]);
		expo_sample_u64(b, c->name, ls->l, L_MAX,
				counter_value(&v->roles, c, m));
	}
}

static void emit_role_changed(struct ks_buf *b, struct labels *ls,
			      const struct ks_vcpu *v, const struct counter *c)
{
	(void)c;
	for (int m = 0; m < KS_NR_MMUS; m++) {
		set(ls, L_A, "mmu", ks_mmu_names[m]);
		for (int k = 0; k < KS_NR_CAUSES; k++) {
			set(ls, L_B, "cause", ks_cause_names[k]);
			expo_sample_u64(b, "kvmscope_mmu_role_changes_total",
					ls->l, L_MAX, v->roles.cause[m][k]);
		}
	}
}

static void render_roles(struct ks_buf *b, const struct ks_store *s,
			 bool per_vcpu)
{
	render_counters(b, s, per_vcpu, role_counters,
			ARRAY_SIZE(role_counters), emit_role_counter);
	expo_family(b, "kvmscope_mmu_role_changes_total", "counter",
		    "MMU role computations that changed the role, by role and cause: init (CPUID/vCPU init), nested, smm or mode (CR0/CR4/EFER); the kernel's word where it gives one.");
	for_each_vcpu(b, s, per_vcpu, emit_role_changed, NULL);
}

/* Requests by direction, as the store derived them from one read. */
static void emit_mapgpa_requests(struct ks_buf *b, struct labels *ls,
				 const struct ks_vcpu *v,
				 const struct counter *c)
{
	(void)c;
	for (int d = 0; d < KS_NR_DIRS; d++) {
		set(ls, L_A, "direction", ks_dir_names[d]);
		expo_sample_u64(b, "kvmscope_mapgpa_requests_total", ls->l,
				L_MAX, v->mapgpa.requests[d]);
	}
}

static void emit_mapgpa_counter(struct ks_buf *b, struct labels *ls,
				const struct ks_vcpu *v,
				const struct counter *c)
{
	expo_sample_u64(b, c->name, ls->l, L_MAX,
			counter_value(&v->mapgpa, c, 0));
}

static void emit_mapgpa_latency(struct ks_buf *b, struct labels *ls,
				const struct ks_vcpu *v,
				const struct counter *c)
{
	(void)c;
	hist(b, "kvmscope_mapgpa_latency_seconds", ls, &v->mapgpa.latency);
}

static void render_mapgpa(struct ks_buf *b, const struct ks_store *s,
			  bool per_vcpu)
{
	expo_family(b, "kvmscope_mapgpa_requests_total", "counter",
		    "MapGPA hypercalls (KVM_HC_MAP_GPA_RANGE) by direction requested.");
	for_each_vcpu(b, s, per_vcpu, emit_mapgpa_requests, NULL);
	render_counters(b, s, per_vcpu, mapgpa_counters,
			ARRAY_SIZE(mapgpa_counters), emit_mapgpa_counter);
	expo_family(b, "kvmscope_mapgpa_latency_seconds", "histogram",
		    "Guest-visible MapGPA latency: from the hypercall to the vCPU's next VM entry, conversion by the VMM included.");
	for_each_vcpu(b, s, per_vcpu, emit_mapgpa_latency, NULL);
}

static void emit_hv_counter(struct ks_buf *b, struct labels *ls,
			    const struct ks_vcpu *v, const struct counter *c)
{
	for (int f = 0; f < KS_NR_FIFOS; f++) {
		set(ls, L_A, "fifo", ks_fifo_names[f]);
		expo_sample_u64(b, c->name, ls->l, L_MAX,
				counter_value(&v->hv[f], c, 0));
	}
}

static void emit_hv_latency(struct ks_buf *b, struct labels *ls,
			    const struct ks_vcpu *v, const struct counter *c)
{
	(void)c;
	for (int f = 0; f < KS_NR_FIFOS; f++) {
		set(ls, L_A, "fifo", ks_fifo_names[f]);
		hist(b, "kvmscope_hv_tlb_flush_latency_seconds", ls,
		     &v->hv[f].latency);
	}
}

static void render_hv_hypercalls(struct ks_buf *b, const struct ks_store *s)
{
	struct ks_label l;

	expo_family(b, "kvmscope_hv_tlb_flush_hypercalls_total", "counter",
		    "Hyper-V TLB flush hypercalls (HvFlushVirtualAddress{Space,List}{,Ex}), host-wide, by the issuer: L1, or L2 (Direct Virtual Flush).");
	/* The issuer's level, l1 or l2: the hypercall event has no FIFO. */
	for (int f = 0; f < KS_NR_FIFOS; f++) {
		l = (struct ks_label){ "issuer", ks_fifo_names[f] };
		expo_sample_u64(b, "kvmscope_hv_tlb_flush_hypercalls_total", &l,
				1, s->hv_hypercalls[f]);
	}
}

static void render_hv_fifo(struct ks_buf *b, const struct ks_store *s,
			   bool per_vcpu)
{
	expo_family(b, "kvmscope_hv_tlb_flush_synthetic_vmexits_total",
		    "counter",
		    "L2 TLB flushes completed with L2's TLB locked, host-wide: each injects a synthetic VM-Exit into L1.");
	expo_sample_u64(b, "kvmscope_hv_tlb_flush_synthetic_vmexits_total",
			NULL, 0, s->hv_synthetic_vmexits);
	render_counters(b, s, per_vcpu, hv_counters, ARRAY_SIZE(hv_counters),
			emit_hv_counter);
	expo_family(b, "kvmscope_hv_tlb_flush_latency_seconds", "histogram",
		    "Target vCPU latency from the oldest undrained Hyper-V TLB flush request to the drain or purge of its FIFO.");
	for_each_vcpu(b, s, per_vcpu, emit_hv_latency, NULL);
}

/* @vm with every counter at 0: same id, name and vCPU ids. */
static struct ks_vm *zero_view(const struct ks_vm *vm)
{
	struct ks_vm *z = calloc(1, sizeof(*z));

	if (!z)
		return NULL;
	memcpy(z->id, vm->id, sizeof(z->id));
	memcpy(z->name, vm->name, sizeof(z->name));
	z->gen = vm->gen;
	z->alive = vm->alive;
	z->nr_vcpus = vm->nr_vcpus;
	if (vm->nr_vcpus) {
		z->vcpus = calloc(vm->nr_vcpus, sizeof(*z->vcpus));
		if (!z->vcpus) {
			free(z);
			return NULL;
		}
		for (size_t i = 0; i < vm->nr_vcpus; i++) {
			z->vcpus[i].id = vm->vcpus[i].id;
			z->vcpus[i].folded = vm->vcpus[i].folded;
		}
	}
	return z;
}

int ks_render(struct ks_buf *b, const struct ks_store *s,
	      const struct ks_render_opts *o,
	      const struct ks_render_extra *x)
{
	struct ks_store view = *s;
	int err = 0;

	view.vms = s->nr_vms ? calloc(s->nr_vms, sizeof(*view.vms)) : NULL;
	if (s->nr_vms && !view.vms) {
		view.vms = s->vms;
		err = -ENOMEM;
	}
	/* Folded VMs are rendered in _other only. */
	view.nr_vms = 0;
	for (size_t i = 0; i < s->nr_vms && view.vms != s->vms; i++) {
		struct ks_vm *vm = s->vms[i];

		if (vm->folded)
			continue;
		view.vms[view.nr_vms] = ks_vm_held(s, vm, o->zero_hold) ?
					zero_view(vm) : vm;
		if (!view.vms[view.nr_vms]) {
			view.vms[view.nr_vms] = vm;
			err = -ENOMEM;
		}
		view.nr_vms++;
	}
	if (view.vms == s->vms)
		view.nr_vms = s->nr_vms;
	for (size_t i = 0; i < view.nr_vms && !o->per_vcpu; i++)
		ks_vm_sum_vcpus(view.vms[i]);
	render_info(b, o, x, &view);
	render_self(b, &view, x);
	if (view.have & KS_HAVE_CONV)
		render_conv(b, &view);
	if (view.have & KS_HAVE_MAPGPA)
		render_mapgpa(b, &view, o->per_vcpu);
	if (view.have & KS_HAVE_ROLES)
		render_roles(b, &view, o->per_vcpu);
	if (view.have & KS_HAVE_HV_HYPERCALLS)
		render_hv_hypercalls(b, &view);
	if (view.have & KS_HAVE_HV_FIFO)
		render_hv_fifo(b, &view, o->per_vcpu);
	for (size_t i = 0, j = 0; i < s->nr_vms && view.vms != s->vms; i++) {
		if (s->vms[i]->folded)
			continue;
		if (view.vms[j] != s->vms[i]) {
			free(view.vms[j]->vcpus);
			free(view.vms[j]);
		}
		j++;
	}
	if (view.vms != s->vms)
		free(view.vms);
	return err;
}
