/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Userspace side of the in-kernel aggregation: each interval the BPF maps
 * are drained (lookup-and-delete) into a table, which is printed and then
 * merged into the run's cumulative table for the final summary.
 */
#ifndef TDX_TRACE_CONV_TABLE_H
#define TDX_TRACE_CONV_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "conversions.h"

struct tdx_conv_entry {
	struct conv_key key;
	struct conv_stats s;
};

struct tdx_mapgpa_entry {
	struct mapgpa_key key;
	struct mapgpa_stats s;
};

struct tdx_conv_table {
	struct tdx_conv_entry *conv;
	size_t nr_conv, cap_conv;
	struct tdx_mapgpa_entry *mapgpa;
	size_t nr_mapgpa, cap_mapgpa;
};

/* Sum @src into @dst (counters and histogram slots; stats_id, comm kept). */
void tdx_conv_stats_merge(struct conv_stats *dst,
			  const struct conv_stats *src);
void tdx_mapgpa_stats_merge(struct mapgpa_stats *dst,
			    const struct mapgpa_stats *src);

/* Add to the entry with the same key, creating it.  0 or -ENOMEM. */
int tdx_table_add_conv(struct tdx_conv_table *t, const struct conv_key *k,
		       const struct conv_stats *s);
int tdx_table_add_mapgpa(struct tdx_conv_table *t,
			 const struct mapgpa_key *k,
			 const struct mapgpa_stats *s);

/* Merge every entry of @src into @dst. */
int tdx_table_merge(struct tdx_conv_table *dst, const struct tdx_conv_table *src);

/* Sort by (pid, dir) and (pid, vcpu) for stable output. */
void tdx_table_sort(struct tdx_conv_table *t);

/* Sum of every conversion entry (all VMs and directions). */
void tdx_table_totals(const struct tdx_conv_table *t,
		      struct conv_stats *total);

/* Forget the entries, keep the allocations. */
void tdx_table_clear(struct tdx_conv_table *t);
void tdx_table_free(struct tdx_conv_table *t);

/* noop / count, 0 when there were no conversions. */
double tdx_noop_ratio(const struct conv_stats *s);

/* Mean of @count observations summing to @sum_ns, in ns; 0 for none. */
double tdx_mean_ns(uint64_t sum_ns, uint64_t count);

#endif /* TDX_TRACE_CONV_TABLE_H */
