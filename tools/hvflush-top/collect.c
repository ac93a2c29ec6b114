// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "args.h"
#include "collect.h"
#include "grow.h"
#include "hvflush.skel.h"
#include "percpu.h"
#include "vmname.h"

/* The hypercall events come last: the fallback uses exactly those. */
const char *const hv_series_events[] = {
	"kvm:kvm_hv_tlb_flush_enqueue",
	"kvm:kvm_hv_tlb_flush_dequeue",
	"kvm:kvm_hv_tlb_flush_synthetic_vmexit",
	"kvm:kvm_hv_flush_tlb",
	"kvm:kvm_hv_flush_tlb_ex",
	NULL,
};
const char *const *const hv_fallback_events = &hv_series_events[3];

/* raw_tp needs no BTF for the event itself, only CO-RE for struct kvm. */
void hv_select_programs(struct hvflush_bpf *obj, const struct ks_mode *m)
{
	bool series = m->kind == KS_MODE_SERIES;
	bool fifo_btf = series && m->tp_btf;
	bool hc_btf = series ? m->tp_btf :
		      ks_btf_has_tracepoint("kvm:kvm_hv_flush_tlb") &&
		      ks_btf_has_tracepoint("kvm:kvm_hv_flush_tlb_ex");

	bpf_program__set_autoload(obj->progs.tlb_enqueue_btf, fifo_btf);
	bpf_program__set_autoload(obj->progs.tlb_enqueue_raw, series && !fifo_btf);
	bpf_program__set_autoload(obj->progs.tlb_dequeue_btf, fifo_btf);
	bpf_program__set_autoload(obj->progs.tlb_dequeue_raw, series && !fifo_btf);
	bpf_program__set_autoload(obj->progs.synthetic_vmexit_btf, fifo_btf);
	bpf_program__set_autoload(obj->progs.synthetic_vmexit_raw,
				  series && !fifo_btf);
	bpf_program__set_autoload(obj->progs.flush_tlb_btf, hc_btf);
	bpf_program__set_autoload(obj->progs.flush_tlb_raw, !hc_btf);
	bpf_program__set_autoload(obj->progs.flush_tlb_ex_btf, hc_btf);
	bpf_program__set_autoload(obj->progs.flush_tlb_ex_raw, !hc_btf);
}

void hv_names_free(struct hv_names *names)
{
	free(names->v);
	names->v = NULL;
	names->nr = 0;
}

/*
 * A VMM that exited before its first lookup has no /proc entry left to
 * name it: the stats id the kernel kept ("kvm-<pid>") still says which VM
 * it was, where "?" would say nothing.
 */
static const char *vm_name(struct hv_names *names, pid_t pid,
			   const char *stats_id)
{
	struct hv_name *grown;
	size_t i;

	for (i = 0; i < names->nr; i++)
		if (names->v[i].pid == pid)
			return names->v[i].name;
	grown = realloc(names->v, (names->nr + 1) * sizeof(*names->v));
	if (!grown)
		return "?";
	names->v = grown;
	names->v[names->nr].pid = pid;
	if (ks_vm_name(pid, names->v[names->nr].name, HV_NAME_LEN))
		snprintf(names->v[names->nr].name, HV_NAME_LEN, "%.*s",
			 HVFLUSH_STATS_ID_LEN, stats_id);
	return names->v[names->nr++].name;
}

static void forget_name(struct hv_names *names, pid_t pid)
{
	size_t i;

	for (i = 0; i < names->nr; i++) {
		if (names->v[i].pid == pid) {
			names->v[i] = names->v[--names->nr];
			return;
		}
	}
}

int hv_read_counters(int counters_fd, uint64_t out[HVFLUSH_NR_COUNTERS])
{
	return ks_percpu_sums(counters_fd, out, HVFLUSH_NR_COUNTERS);
}

int hv_read_rows(int rows_fd, struct hv_names *names,
		 struct hv_raw_row **out, size_t *nr)
{
	size_t n = 0, cap = 0, i;
	struct hv_raw_row *rows = NULL;
	struct hvflush_key key;
	bool first = true;
	int err = 0;

	while (!bpf_map_get_next_key(rows_fd, first ? NULL : &key, &key)) {
		struct hv_raw_row *r;

		first = false;
		err = ks_grow((void **)&rows, &cap, n + 1, sizeof(*rows));
		if (err)
			break;
		r = &rows[n];
		/* Deleted since get_next_key: skip it. */
		if (bpf_map_lookup_elem(rows_fd, &key, &r->val))
			continue;
		r->key = key;
		/* Reaped: all its vCPU threads are gone, the row is final. */
		r->exited = !ks_pid_exists(r->val.pid);
		snprintf(r->name, sizeof(r->name), "%s",
			 vm_name(names, r->val.pid, r->val.stats_id));
		n++;
	}
	/* Deleting during the walk would restart get_next_key. */
	for (i = 0; i < n; i++) {
		if (!rows[i].exited)
			continue;
		bpf_map_delete_elem(rows_fd, &rows[i].key);
		forget_name(names, rows[i].val.pid);
	}
	if (err) {
		free(rows);
		return err;
	}
	*out = rows;
	*nr = n;
	return 0;
}
