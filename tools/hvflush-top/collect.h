/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading the maps of bpf/hvflush.bpf.c for one refresh: the per-CPU
 * counters summed, and every row with the name of its VM.
 */
#ifndef HVFLUSH_TOP_COLLECT_H
#define HVFLUSH_TOP_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

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
 * caller).  Rows of VMMs that have exited are deleted from the map, which
 * keeps it from filling up with dead VMs.  Returns 0 or -errno.
 */
int hv_read_rows(int rows_fd, struct hv_names *names,
		 struct hv_raw_row **out, size_t *nr);

#endif /* HVFLUSH_TOP_COLLECT_H */
