/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Using bpf/hvflush.bpf.c: which programs to load on this kernel, and
 * reading its maps for one refresh (the per-CPU counters summed, every row
 * with the name of its VM).  The exporter uses these too.
 */
#ifndef HVFLUSH_TOP_COLLECT_H
#define HVFLUSH_TOP_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "mode.h"
#include "stats.h"

struct hvflush_bpf;

/*
 * Events for ks_mode_detect(): the series needs all of hv_series_events,
 * the fallback (hypercall counts only) all of hv_fallback_events.
 */
extern const char *const hv_series_events[];
extern const char *const *const hv_fallback_events;

/*
 * Autoload one program of each tp_btf/raw_tp pair, and only for the events
 * mode @m uses; call between open and load.
 */
void hv_select_programs(struct hvflush_bpf *obj, const struct ks_mode *m);

/* VM names by VMM PID, so /proc is read once per VM. */
struct hv_names {
	struct hv_name { pid_t pid; char name[HV_NAME_LEN]; } *v;
	size_t nr;
};

void hv_names_free(struct hv_names *names);

/* Sum the per-CPU @counters map.  Returns 0 or -errno. */
int hv_read_counters(int counters_fd, uint64_t out[HVFLUSH_NR_COUNTERS]);

/*
 * Read every row of the @rows map into a new array (*out, freed by the
 * caller).  Rows of VMMs that have exited are returned one last time, with
 * their final counts and ->exited set, and deleted from the map at once,
 * which keeps it from filling up with dead VMs; hvflush-top's model keeps
 * showing them (hv_model_update()).  Returns 0 or -errno.
 */
int hv_read_rows(int rows_fd, struct hv_names *names,
		 struct hv_raw_row **out, size_t *nr);

#endif /* HVFLUSH_TOP_COLLECT_H */
