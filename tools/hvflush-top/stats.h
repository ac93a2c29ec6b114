/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hvflush-top's model, free of I/O so it can be unit tested: the raw
 * kernel rows and counters of each refresh go in, a snapshot comes out
 * with per-second rates over the last interval and totals and latency
 * since the start or the last reset ('r').  The kernel's values only grow,
 * so a reset keeps a baseline per row instead of touching the maps; only
 * the maximum latency cannot be subtracted and is restarted in the kernel
 * by bumping its generation (max_gen).
 *
 * The kernel map loses a VM's rows as soon as its VMM is found gone; the
 * model keeps them, frozen, so that a workload of a few seconds is still
 * on screen for a few snapshots, and in the final snapshot of the run.
 */
#ifndef HVFLUSH_TOP_STATS_H
#define HVFLUSH_TOP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hvflush.h"
#include "probe_hvflush.h"

/* Snapshots an exited VM's rows stay in unless --keep-exited says. */
#define HV_KEEP_EXITED_DEFAULT	3
/*
 * Exited rows remembered for the final snapshot.  Past it the oldest are
 * dropped, and counted: memory stays bounded on a host that starts and
 * stops VMs all day.
 */
#define HV_EXITED_MAX		4096

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

/* One (VM, vCPU, FIFO) of a snapshot. */
struct hv_row {
	struct hvflush_key key;
	pid_t pid;
	char stats_id[KS_STATS_ID_LEN];
	char name[HV_NAME_LEN];
	double enqueue_rate;	/* per second over the last interval */
	double drain_rate;	/* drains and purges per second */
	/* Since the start or the last reset: */
#define HV_ROW_COUNTER(field, ...) uint64_t field;
	HVFLUSH_ROW_COUNTERS(HV_ROW_COUNTER)	/* enqueues, drains, ... */
#undef HV_ROW_COUNTER
	uint64_t slots[KS_HIST_SLOTS];
	uint64_t samples;
	/* NAN without samples; the percentiles as hv_row_max() bounds them */
	double p50_ns, p99_ns, mean_ns;
	bool has_max;
	uint64_t max_ns;
	/* Now: */
	uint64_t pending;	/* enqueues waiting for a drain or purge */
	uint64_t wait_ns;	/* how long the oldest of them has waited */
	uint32_t fifo_len;	/* FIFO depth after the last enqueue */
	/*
	 * The VMM has exited: the row is frozen at its final counts (pending
	 * and wait_ns as last read) and its rates are 0.
	 */
	bool exited;
};

/*
 * What the row's latency percentiles stay below, on the screen and in
 * JSON alike: its max_ns where it has one, else UINT64_MAX.
 */
uint64_t hv_row_max(const struct hv_row *row);

struct hv_snapshot {
	double elapsed_s;			/* length of the last interval */
	uint64_t totals[HVFLUSH_NR_COUNTERS];	/* since start or reset */
	double rates[HVFLUSH_NR_COUNTERS];	/* per second, last interval */
	struct hv_row *rows;			/* every row, unsorted */
	size_t nr_rows;
	bool final;		/* the last of the run: every exited row too */
	/* Exited rows dropped for room since start or reset: absent from final. */
	uint64_t exited_dropped;
};

/* What the model remembers of one kernel row between refreshes. */
struct hv_track {
	struct hvflush_key key;
	struct hvflush_row prev;	/* at the last refresh */
	struct hvflush_row base;	/* at the last reset */
};

/* A row of an exited VMM, as it was when the VMM was found gone. */
struct hv_exited {
	struct hv_row row;
	unsigned int left;	/* ordinary snapshots it is still shown in */
};

struct hv_model {
	struct hv_track *tracks;	/* live rows, sorted by key */
	size_t nr_tracks;
	struct hv_exited *exited;	/* in the order they exited */
	size_t nr_exited, cap_exited;
	uint64_t exited_dropped;	/* exited rows dropped past max_exited */
	uint64_t prev_counters[HVFLUSH_NR_COUNTERS];
	uint64_t base_counters[HVFLUSH_NR_COUNTERS];
	uint64_t prev_time_ns;		/* CLOCK_MONOTONIC of the last refresh */
	uint64_t max_gen;		/* the kernel's current max_gen */
	/* hv_model_init() sets the defaults; change them before the first update. */
	unsigned int keep_exited;	/* snapshots an exited row is shown in */
	size_t max_exited;		/* exited rows remembered at most */
};

/* @now_ns: CLOCK_MONOTONIC when the programs were attached. */
void hv_model_init(struct hv_model *m, uint64_t now_ns);
void hv_model_free(struct hv_model *m);

/*
 * Fold in one refresh read at CLOCK_MONOTONIC @now_ns (the clock of
 * bpf_ktime_get_ns()) and fill @snap, whose rows the caller frees with
 * hv_snapshot_free().
 *
 * A raw row marked exited is the last the kernel map will give of it: the
 * model freezes it with rates 0 and shows it in keep_exited snapshots,
 * this one included, then only in a @final snapshot, which has every
 * exited row since the start or the last reset (at most max_exited of
 * them, the oldest dropped first).  Its key is free again: a new VM at the
 * same struct kvm address is a new row.  A row that vanishes from @raw
 * without being seen exited is forgotten.  Returns 0, or -ENOMEM with the
 * model unchanged.
 */
int hv_model_update(struct hv_model *m, const struct hv_raw_row *raw,
		    size_t nr_raw, const uint64_t *counters, uint64_t now_ns,
		    bool final, struct hv_snapshot *snap);

/*
 * Restart totals and latency from the last refresh.  Exited rows have
 * nothing since then: they are forgotten, with the count of dropped ones.
 * Returns the new max_gen, which the caller must store in the BPF object's
 * max_gen.
 */
uint64_t hv_model_reset(struct hv_model *m);

/* Take the exited rows out of @snap, as a reset does for the next ones. */
void hv_snapshot_drop_exited(struct hv_snapshot *snap);

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
