/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/hvflush.bpf.c, for hvflush-top and the exporter: its events on this
 * kernel, which programs to load, loading and attaching them, and reading
 * its maps (the per-CPU counters summed, every row with its VM's name).
 */
#ifndef KVMSCOPE_PROBE_HVFLUSH_H
#define KVMSCOPE_PROBE_HVFLUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hvflush.h"
#include "mode.h"
#include "probe.h"
#include "vmcache.h"

#define HV_NAME_LEN KS_VM_CACHE_NAME_LEN

struct hvflush_bpf;

/*
 * Events for ks_mode_detect(): the series (kvm_hv_flush_tlb_{en,de}queue,
 * kvm_nested_vmexit_inject and the hypercalls), else the fallback,
 * hypercall counts only, from hv_fallback_events.
 */
extern const struct ks_event_set hv_series[];
extern const char *const hv_fallback_events[];

/* ks_mode_detect() with the lists above. */
enum ks_mode_kind hv_probe_detect(struct ks_mode *m);

/*
 * Autoload one program of each tp_btf/raw_tp pair, and only for the events
 * mode @m uses, with the series the programs of VMs' ends (fentry on
 * kvm_destroy_vm included); call between open and load.
 */
void hv_select_programs(struct hvflush_bpf *obj, const struct ks_mode *m);

/* The object, loaded and attached. */
struct hv_probe {
	struct hvflush_bpf *skel;
	struct ks_probe bpf;		/* skel's object and links */
	bool vm_destroy;		/* VMs' ends seen, not only VMMs' (fentry) */
};

/*
 * Load for mode @m (series or fallback) and VMM @pid (0: all) and attach.
 * Returns 0, or -errno with the reason in @err.
 */
int hv_probe_open(struct hv_probe *p, const struct ks_mode *m, pid_t pid,
		  char *err, size_t err_len);
void hv_probe_close(struct hv_probe *p);

/* The maps' fds: rows (struct hvflush_key/row) and per-CPU counters. */
int hv_probe_rows_fd(const struct hv_probe *p);
int hv_probe_counters_fd(const struct hv_probe *p);

/*
 * Start the rows' maximum latency over: rows of an older generation take
 * their next wait as the maximum (a reset cannot subtract one).
 */
void hv_probe_set_max_gen(struct hv_probe *p, uint64_t gen);

/* Drop the rows of VMM @pid. */
void hv_probe_delete_pid(const struct hv_probe *p, pid_t pid);

/* The VM names of the rows, forgotten with the rows of exited VMMs. */
struct hv_names {
	struct ks_vm_cache cache;
};

void hv_names_free(struct hv_names *names);

/* A kernel row as read from the map, with the VM's name from /proc. */
struct hv_raw_row {
	struct hvflush_key key;
	struct hvflush_row val;
	char name[HV_NAME_LEN];
	bool exited;		/* the VMM is gone: these are the final counts */
};

/*
 * Sum the per-CPU counters map, and the events the programs missed
 * (HVFLUSH_MISSED).  Returns 0 or -errno.
 */
int hv_probe_read_counters(const struct hv_probe *p,
			   uint64_t out[HVFLUSH_NR_COUNTERS]);

/*
 * Read every row of the @rows map into a new array (*out, freed by the
 * caller).  Rows of VMMs that have exited are returned one last time, with
 * their final counts and ->exited set, and deleted from the map at once,
 * which keeps it from filling up with dead VMs; hvflush-top's model keeps
 * showing them (hv_model_update()).  Returns 0 or -errno.
 */
int hv_read_rows(int rows_fd, struct hv_names *names,
		 struct hv_raw_row **out, size_t *nr);

#endif /* KVMSCOPE_PROBE_HVFLUSH_H */
