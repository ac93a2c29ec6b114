// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Hyper-V TLB flush FIFOs (probe_hvflush): per (VM, vCPU, FIFO) rows and
 * the host-wide counters.  The rows are dumped here rather than with
 * hv_read_rows(), which deletes the rows of exited VMMs at once: a VMM that
 * exits between two scrapes would never have its final counts exported.
 * Here they are deleted when the VM expires (forget).
 */
#include <stdio.h>
#include <stdlib.h>

#include "bpfutil.h"
#include "hist.h"
#include "probe_hvflush.h"
#include "row_vm.h"
#include "source_bpf.h"

struct hv_source {
	struct ks_source src;
	struct ks_mode mode;		/* src.detail is its description */
	struct hv_probe probe;
};

static void add_row(struct ks_store *s, const void *key, const void *val)
{
	const struct hvflush_key *k = key;
	const struct hvflush_row *v = val;
	struct ks_hvfifo *h;
	struct ks_vcpu *vc;
	struct ks_vm *vm;

	if (k->fifo >= KS_NR_FIFOS)
		return;
	vm = ks_store_row_vm(s, v->stats_id, k->pid, NULL);
	if (!vm || !(vc = ks_vm_vcpu(vm, k->vcpu_id)))
		return;
	h = &vc->hv[k->fifo];
#define ADD(field, ...) h->field += v->field;
	HVFLUSH_ROW_COUNTERS(ADD)
#undef ADD
	ks_hist_add(&h->latency, ks_slots(v->slots).v, v->sum_ns);
}

static int hv_collect(struct ks_source *src, struct ks_store *s)
{
	struct hv_source *hs = (struct hv_source *)src;
	uint64_t counters[HVFLUSH_NR_COUNTERS];
	int err;

	err = hv_probe_read_counters(&hs->probe, counters);
	if (err)
		return err;
	s->hv_hypercalls[KS_FIFO_L1] += counters[HVFLUSH_HYPERCALLS_L1];
	s->hv_hypercalls[KS_FIFO_L2] += counters[HVFLUSH_HYPERCALLS_L2];
	s->hv_synthetic_vmexits += counters[HVFLUSH_SYNTHETIC_VMEXITS];
	ks_store_lost(s, src->name, "map_full", counters[HVFLUSH_LOST]);
	ks_store_lost(s, src->name, "missed", counters[HVFLUSH_MISSED]);

	if (src->have & KS_HAVE_HV_FIFO) {
		err = ks_store_rows(s, src->name, "rows",
				    hv_probe_rows_fd(&hs->probe), add_row);
		if (err)
			return err;
	}
	ks_store_bpf_progs(s, src->name, hs->probe.bpf.obj);
	return 0;
}

/* The VMM of @vm exited and its VM expired: drop its rows. */
static void hv_forget(struct ks_source *src, const struct ks_vm *vm)
{
	struct hv_source *hs = (struct hv_source *)src;

	if (vm->pid > 0 && (src->have & KS_HAVE_HV_FIFO))
		hv_probe_delete_pid(&hs->probe, vm->pid);
}

static void hv_destroy(struct ks_source *src)
{
	struct hv_source *hs = (struct hv_source *)src;

	hv_probe_close(&hs->probe);
	free(hs);
}

struct ks_source *hvflush_source_new(const struct exporter_env *env, char *err,
				     size_t err_len)
{
	struct hv_source *hs = calloc(1, sizeof(*hs));

	if (!hs) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	hs->src = (struct ks_source){
		.name = "hvflush",
		.collect = hv_collect,
		.forget = hv_forget,
		.destroy = hv_destroy,
	};
	switch (hv_probe_detect(&hs->mode)) {
	case KS_MODE_SERIES:
		hs->src.mode = "series";
		hs->src.have = KS_HAVE_HV_HYPERCALLS | KS_HAVE_HV_FIFO;
		break;
	case KS_MODE_FALLBACK:
		hs->src.mode = "fallback";
		hs->src.have = KS_HAVE_HV_HYPERCALLS;
		break;
	default:
		snprintf(err, err_len, "hvflush: %s", hs->mode.desc);
		free(hs);
		return NULL;
	}
	if (hv_probe_open(&hs->probe, &hs->mode, env->pid, err, err_len)) {
		free(hs);
		return NULL;
	}
	hs->src.detail = hs->mode.desc;
	return &hs->src;
}
