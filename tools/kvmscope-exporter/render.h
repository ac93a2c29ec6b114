/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The metric families kvmscope exports, rendered from a store.  All names
 * start with kvmscope_, use base units (seconds) and the _total suffix for
 * counters.  vCPU-scoped families are summed per VM unless per_vcpu is set:
 * a 1024-vCPU host would otherwise emit tens of thousands of bucket series.
 */
#ifndef KVMSCOPE_EXPORTER_RENDER_H
#define KVMSCOPE_EXPORTER_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "expo.h"
#include "store.h"

/*
 * Histogram buckets exported for the nanosecond log2 slots: slot 9 (le =
 * 2^10 ns ~ 1us) to slot 34 (le = 2^35 ns ~ 34s).  Faster observations are
 * in the first bucket, slower ones only in +Inf.
 */
#define KS_BUCKET_FIRST_SLOT	9
#define KS_BUCKET_LAST_SLOT	34

struct ks_render_opts {
	bool per_vcpu;		/* vcpu label on vCPU-scoped families */
	const char *version;	/* kvmscope version */
	const char *kernel;	/* uname -r */
	const char *mode;	/* "series", "fallback", "synthetic" */
	double zero_hold;	/* seconds a new VM is exported at 0 */
};

/* Health of one source: the collection just made, and since the start. */
struct ks_source_stat {
	const char *name;
	const char *mode;	/* "series", "fallback", "synthetic" */
	bool up;
	double duration;	/* seconds its collect() took */
	uint64_t errors;	/* collections that failed */
	uint64_t clamps;	/* counters read lower than exported: held */
	const char *reason;	/* never attached: why ("no events"), else NULL */
};

struct ks_render_extra {
	const struct ks_source_stat *sources;
	int nr_sources;
	/* Sources that could not attach: kvmscope_collector_up 0 only. */
	const struct ks_source_stat *down;
	int nr_down;
	double last_scrape;	/* previous scrape's duration, seconds */
	int bpf_stats_enabled;	/* kernel.bpf_stats_enabled, -1 unknown */
};

/*
 * Render @s.  A VM first seen less than o->zero_hold seconds ago has all
 * its counters and histograms at 0 (what they were when it was created):
 * Prometheus' rate() and increase() ignore a series' first sample, so a
 * VM whose series were born at their current values would have everything
 * it did before the first scrape (all of it, for a VM shorter-lived than
 * the scrape interval) left out.  The hold is a time, not a number of
 * renders, so that every reader gets the zero: each Prometheus of an HA
 * pair, the textfile, a HEAD or a health check in between.  Returns
 * -ENOMEM if the zero view could not be built (the real values are
 * rendered instead).
 */
int ks_render(struct ks_buf *b, const struct ks_store *s,
	      const struct ks_render_opts *o,
	      const struct ks_render_extra *x);

#endif /* KVMSCOPE_EXPORTER_RENDER_H */
