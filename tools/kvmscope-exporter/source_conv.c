// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Memory attribute conversions and MapGPA latency (probe_conv), loaded in
 * summary mode (no ring buffer stream): per (VMM, direction) and per
 * (VMM, vCPU) rows into the store.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bpfutil.h"
#include "hist.h"
#include "probe_conv.h"
#include "row_vm.h"
#include "source_bpf.h"
#include "tracefs.h"

/* The lost-event reasons this object can count (the ring buffer is off). */
static const unsigned int lost_reasons[] = {
	TDX_LOST_INFLIGHT_FULL, TDX_LOST_STATS_FULL, TDX_LOST_MAPGPA_FULL,
	TDX_LOST_MAPGPA_VMM_CAP, TDX_LOST_MISSED,
};

struct conv_source {
	struct ks_source src;
	struct ks_mode mode;		/* src.detail is its description */
	struct conv_probe probe;
};

static void add_conv(struct ks_store *s, const void *key, const void *val)
{
	const struct conv_key *k = key;
	const struct conv_stats *v = val;
	struct ks_vm *vm;
	struct ks_conv *c;

	if (k->dir >= KS_NR_DIRS)
		return;
	vm = ks_store_row_vm(s, v->stats_id, k->pid, v->comm);
	if (!vm)
		return;
	c = &vm->conv[k->dir == CONV_DIR_PRIVATE ? KS_DIR_PRIVATE : KS_DIR_SHARED];
#define ADD(field, ...) c->field += v->field;
	CONV_ROW_COUNTERS(ADD)
#undef ADD
	for (int l = 0; l < KS_NR_LEVELS && l < CONV_NR_LEVELS; l++)
		c->zapped[l] += v->zapped[l];
	ks_hist_add(&c->duration, ks_slots(v->dur_slots).v, v->dur_sum_ns);
}

static int take_conv(void *s, const void *key, const void *val)
{
	add_conv(s, key, val);
	return 0;
}

static void add_mapgpa(struct ks_store *s, const void *key, const void *val)
{
	const struct mapgpa_key *k = key;
	const struct mapgpa_stats *v = val;
	struct ks_vm *vm = ks_store_row_vm(s, v->stats_id, k->pid, v->comm);
	struct ks_vcpu *vc;

	if (!vm || !(vc = ks_vm_vcpu(vm, k->vcpu_id)))
		return;
#define ADD(field, ...) vc->mapgpa.field += v->field;
	MAPGPA_ROW_COUNTERS(ADD)
#undef ADD
	ks_hist_add(&vc->mapgpa.latency, ks_slots(v->lat_slots).v,
		    v->lat_sum_ns);
}

static int take_mapgpa(void *s, const void *key, const void *val)
{
	add_mapgpa(s, key, val);
	return 0;
}

static int conv_collect(struct ks_source *src, struct ks_store *s)
{
	struct conv_source *cs = (struct conv_source *)src;
	int rows, err = 0;

	rows = conv_probe_rows(&cs->probe, take_conv, s);
	if (rows < 0)
		err = rows;
	else
		ks_store_map(s, src->name, "stats", rows,
			     cs->probe.nr_slots * CONV_NR_DIRS);
	if (!err && (src->have & KS_HAVE_MAPGPA)) {
		rows = conv_probe_mapgpa_rows(&cs->probe, take_mapgpa, s);
		if (rows < 0)
			err = rows;
		else
			ks_store_map(s, src->name, "mapgpa", rows,
				     cs->probe.nr_mapgpa_rows);
	}
	if (!err)
		err = ks_store_tdx_lost(s, src->name, cs->probe.lost_fd,
					cs->probe.bpf.obj, lost_reasons, sizeof(lost_reasons) /
					sizeof(lost_reasons[0]));
	if (err)
		return err;
	ks_store_bpf_progs(s, src->name, cs->probe.bpf.obj);
	return 0;
}

/* The VMM of @vm exited and its VM expired: drop its kernel entries. */
static void conv_forget(struct ks_source *src, const struct ks_vm *vm)
{
	struct conv_source *cs = (struct conv_source *)src;

	if (vm->pid > 0)
		conv_probe_delete_pid(&cs->probe, vm->pid);
}

static void conv_destroy(struct ks_source *src)
{
	struct conv_source *cs = (struct conv_source *)src;

	conv_probe_close(&cs->probe);
	free(cs);
}

struct ks_source *conv_source_new(const struct exporter_env *env, char *err,
				  size_t err_len)
{
	struct conv_source *cs = calloc(1, sizeof(*cs));
	const struct conv_probe_opts o = { .pid = env->pid, .mapgpa = env->mapgpa };

	if (!cs) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	if (o.mapgpa && !conv_mapgpa_sets()) {
		snprintf(err, err_len, "conversions: %s", conv_mapgpa_needs);
		free(cs);
		return NULL;
	}
	cs->src = (struct ks_source){
		.name = "conversions",
		.have = KS_HAVE_CONV | (o.mapgpa ? KS_HAVE_MAPGPA : 0),
		.collect = conv_collect,
		.forget = conv_forget,
		.destroy = conv_destroy,
	};
	switch (conv_probe_detect(&cs->mode)) {
	case KS_MODE_SERIES:
		cs->src.mode = "series";
		cs->src.have |= KS_HAVE_CONV_SERIES;
		break;
	case KS_MODE_FALLBACK:
		cs->src.mode = "fallback";
		break;
	default:
		snprintf(err, err_len, "conversions: %s", cs->mode.desc);
		free(cs);
		return NULL;
	}
	if (conv_probe_open(&cs->probe, &cs->mode, &o, err, err_len)) {
		free(cs);
		return NULL;
	}
	cs->src.detail = cs->mode.desc;
	return &cs->src;
}
