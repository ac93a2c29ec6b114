// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Hyper-V TLB flush FIFOs from hvflush-top's hvflush.bpf.c, loaded with
 * hvflush-top's program selection (hv_select_programs()): per (VM, vCPU,
 * FIFO) rows and the host-wide counters (read with hv_read_counters()).
 * The rows are dumped here rather than with hv_read_rows(), which deletes
 * the rows of exited VMMs at once: a VMM that exits between two scrapes
 * would never have its final counts exported.  Here they are deleted when
 * the VM expires (forget).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hvflush.skel.h"

#include "../hvflush-top/collect.h"
#include "bpfutil.h"
#include "mode.h"
#include "source_bpf.h"
#include "vmname.h"

struct hv_source {
	struct ks_source src;
	struct hvflush_bpf *skel;
	struct bpf_link *links[8];
	int nr_links;
};

static void add_row(struct ks_store *s, const struct hvflush_key *k,
		    const struct hvflush_row *v)
{
	struct ks_hvfifo *h;
	struct ks_vcpu *vc;
	struct ks_vm *vm;

	if (k->fifo >= KS_NR_FIFOS)
		return;
	vm = ks_store_row_vm(s, v->stats_id, v->pid, NULL);
	if (!vm || !(vc = ks_vm_vcpu(vm, k->vcpu_id)))
		return;
	h = &vc->hv[k->fifo];
	h->enqueues += v->enqueues;
	h->flush_all += v->flush_all;
	h->overflows += v->overflows;
	h->drains += v->drains;
	h->purges += v->purges;
	ks_hist_add_kernel(&h->latency, v->slots, HVFLUSH_SLOTS, v->sum_ns);
}

static int hv_collect(struct ks_source *src, struct ks_store *s)
{
	struct hv_source *hs = (struct hv_source *)src;
	uint64_t counters[HVFLUSH_NR_COUNTERS];
	struct ks_map_dump d;
	int err;

	err = hv_read_counters(bpf_map__fd(hs->skel->maps.counters), counters);
	if (err)
		return err;
	s->hv_hypercalls[KS_FIFO_L1] += counters[HVFLUSH_HYPERCALLS_L1];
	s->hv_hypercalls[KS_FIFO_L2] += counters[HVFLUSH_HYPERCALLS_L2];
	s->hv_synthetic_vmexits += counters[HVFLUSH_SYNTHETIC_VMEXITS];
	ks_store_lost(s, src->name, "map_full", counters[HVFLUSH_LOST]);

	if (src->have & KS_HAVE_HV_FIFO) {
		err = ks_map_dump(hs->skel->maps.rows, &d);
		if (err)
			return err;
		for (uint32_t i = 0; i < d.n; i++)
			add_row(s, KS_DUMP_KEY(&d, struct hvflush_key, i),
				KS_DUMP_VAL(&d, struct hvflush_row, i));
		ks_store_map(s, src->name, "rows", d.n, d.max_entries);
		ks_map_dump_free(&d);
	}
	ks_store_bpf_progs(s, src->name, hs->skel->obj);
	return 0;
}

/* The VMM of @id exited and its VM expired: drop its rows. */
static void hv_forget(struct ks_source *src, const char *id)
{
	struct hv_source *hs = (struct hv_source *)src;
	pid_t pid = ks_stats_id_pid(id);
	struct ks_map_dump d;

	if (pid <= 0 || !(src->have & KS_HAVE_HV_FIFO) ||
	    ks_map_dump(hs->skel->maps.rows, &d))
		return;
	for (uint32_t i = 0; i < d.n; i++)
		if (KS_DUMP_VAL(&d, struct hvflush_row, i)->pid == pid)
			bpf_map_delete_elem(bpf_map__fd(hs->skel->maps.rows),
					    KS_DUMP_KEY(&d, struct hvflush_key, i));
	ks_map_dump_free(&d);
}

static void hv_destroy(struct ks_source *src)
{
	struct hv_source *hs = (struct hv_source *)src;

	for (int i = 0; i < hs->nr_links; i++)
		bpf_link__destroy(hs->links[i]);
	hvflush_bpf__destroy(hs->skel);
	free(hs);
}

struct ks_source *hvflush_source_new(const struct exporter_env *env, char *err,
				    size_t err_len)
{
	pid_t pid = env->pid;

	struct hv_source *hs = calloc(1, sizeof(*hs));
	struct bpf_program *prog;
	struct ks_mode m;
	int e;

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
	switch (ks_mode_detect(hv_series_events, hv_fallback_events, &m)) {
	case KS_MODE_SERIES:
		hs->src.mode = "series";
		hs->src.have = KS_HAVE_HV_HYPERCALLS | KS_HAVE_HV_FIFO;
		break;
	case KS_MODE_FALLBACK:
		hs->src.mode = "fallback";
		hs->src.have = KS_HAVE_HV_HYPERCALLS;
		break;
	default:
		snprintf(err, err_len, "hvflush: %s", m.desc);
		free(hs);
		return NULL;
	}
	hs->skel = hvflush_bpf__open();
	if (!hs->skel) {
		e = -errno;
		goto fail_load;
	}
	hs->skel->rodata->targ_pid = pid;
	hv_select_programs(hs->skel, &m);
	e = hvflush_bpf__load(hs->skel);
	if (e)
		goto fail_load;
	bpf_object__for_each_program(prog, hs->skel->obj) {
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		link = bpf_program__attach(prog);
		if (!link ||
		    hs->nr_links == (int)(sizeof(hs->links) / sizeof(hs->links[0]))) {
			snprintf(err, err_len, "hvflush: attaching %s: %s",
				 bpf_program__name(prog),
				 link ? "too many programs" : strerror(errno));
			bpf_link__destroy(link);
			hv_destroy(&hs->src);
			return NULL;
		}
		hs->links[hs->nr_links++] = link;
	}
	return &hs->src;
fail_load:
	ks_load_error(err, err_len, "hvflush", e);
	hvflush_bpf__destroy(hs->skel);
	free(hs);
	return NULL;
}
