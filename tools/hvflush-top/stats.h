/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hvflush-top's model, free of I/O so it can be unit tested: the raw
 * kernel rows and counters of each refresh go in, a snapshot comes out
 * with per-second rates over the last interval and totals and latency
 * since the start or the last reset ('r').  The kernel's values only grow,
 * so a reset keeps a baseline per row instead of touching the maps; only
 * the maximum latency cannot be subtracted and is restarted in the kernel
 * by bumping its generation (max_gen).
 */
#ifndef HVFLUSH_TOP_STATS_H
#define HVFLUSH_TOP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hvflush.h"

#define HV_NAME_LEN 64

enum hv_sort {
	HV_SORT_RATE,		/* enqueues per second, last interval */
	HV_SORT_P99,		/* p99 latency since start or reset */
	HV_SORT_MAX,		/* max latency since start or reset */
	HV_SORT_OVERFLOW,	/* FIFO overflows since start or reset */
	HV_NR_SORTS,
};

/* "rate", "p99", "max", "overflow". */
const char *hv_sort_name(enum hv_sort sort);
/* Returns 0 and sets @sort, or -EINVAL for an unknown name. */
int hv_sort_parse(const char *name, enum hv_sort *sort);

/* Stable JSON names of enum hvflush_counter ("hypercalls_l1", ...). */
const char *hv_counter_name(enum hvflush_counter c);
/* Does the counter exist without the series (the fallback)? */
bool hv_counter_in_fallback(enum hvflush_counter c);

/* "L1" or "L2". */
const char *hv_fifo_name(__u32 fifo);

/* A kernel row as read from the map, with the VM's name from /proc. */
struct hv_raw_row {
	struct hvflush_key key;
	struct hvflush_row val;
	char name[HV_NAME_LEN];
	bool exited;		/* the VMM is gone: these are the final counts */
};

/* One (VM, vCPU, FIFO) of a snapshot. */
struct hv_row {
	struct hvflush_key key;
	pid_t pid;
	char stats_id[HVFLUSH_STATS_ID_LEN];
	char name[HV_NAME_LEN];
	double enqueue_rate;	/* per second over the last interval */
	double drain_rate;	/* drains and purges per second */
	/* Since the start or the last reset: */
	uint64_t enqueues, drains, purges, overflows, flush_all, full_flushes;
	uint64_t slots[HVFLUSH_SLOTS];
	uint64_t samples;
	double p50_ns, p99_ns, mean_ns;	/* NAN without samples */
	bool has_max;
	uint64_t max_ns;
	/* Now: */
	uint64_t pending;	/* enqueues waiting for a drain or purge */
	uint64_t wait_ns;	/* how long the oldest of them has waited */
	uint32_t fifo_len;	/* FIFO depth after the last enqueue */
	bool exited;		/* last appearance: the VMM has exited */
};

struct hv_snapshot {
	double elapsed_s;			/* length of the last interval */
	uint64_t totals[HVFLUSH_NR_COUNTERS];	/* since start or reset */
	double rates[HVFLUSH_NR_COUNTERS];	/* per second, last interval */
	struct hv_row *rows;			/* every row, unsorted */
	size_t nr_rows;
};

/* What the model remembers of one kernel row between refreshes. */
struct hv_track {
	struct hvflush_key key;
	struct hvflush_row prev;	/* at the last refresh */
	struct hvflush_row base;	/* at the last reset */
};

struct hv_model {
	struct hv_track *tracks;	/* sorted by key */
	size_t nr_tracks;
	uint64_t prev_counters[HVFLUSH_NR_COUNTERS];
	uint64_t base_counters[HVFLUSH_NR_COUNTERS];
	uint64_t prev_time_ns;		/* CLOCK_MONOTONIC of the last refresh */
	uint64_t max_gen;		/* the kernel's current max_gen */
};

/* @now_ns: CLOCK_MONOTONIC when the programs were attached. */
void hv_model_init(struct hv_model *m, uint64_t now_ns);
void hv_model_free(struct hv_model *m);

/*
 * Fold in one refresh read at CLOCK_MONOTONIC @now_ns (the clock of
 * bpf_ktime_get_ns()) and fill @snap, whose rows the caller frees with
 * hv_snapshot_free().  Rows absent from @raw (deleted VMs) are forgotten.
 * Returns 0 or -ENOMEM.
 */
int hv_model_update(struct hv_model *m, const struct hv_raw_row *raw,
		    size_t nr_raw, const uint64_t *counters, uint64_t now_ns,
		    struct hv_snapshot *snap);

/*
 * Restart totals and latency from the last refresh.  Returns the new
 * max_gen, which the caller must store in the BPF object's max_gen.
 */
uint64_t hv_model_reset(struct hv_model *m);

void hv_snapshot_free(struct hv_snapshot *snap);

/* Rows to show: filter by VMM PID (0: any) and VM name or stats id. */
struct hv_filter {
	pid_t pid;
	char vm[HV_NAME_LEN];	/* fnmatch(3) pattern, "" matches all */
};

bool hv_row_matches(const struct hv_row *row, const struct hv_filter *f);

/*
 * Fill @out (room for snap->nr_rows) with the rows matching @f, sorted by
 * @sort, largest first; rows without latency samples sort after the rest
 * for p99 and max; ties go by PID, vCPU and FIFO.  Returns the count.
 */
size_t hv_select_rows(const struct hv_snapshot *snap,
		      const struct hv_filter *f, enum hv_sort sort,
		      const struct hv_row **out);

#endif /* HVFLUSH_TOP_STATS_H */
