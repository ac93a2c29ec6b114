/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Log2 histograms as aggregated in the kernel by kvmscope's BPF programs
 * (bpf/bits.bpf.h): slot 0 counts values 0 and 1, slot n >= 1 counts
 * [2^n, 2^(n+1)).  Counts are u64 so per-CPU maps can be summed without
 * overflow.
 */
#ifndef KVMSCOPE_HIST_H
#define KVMSCOPE_HIST_H

#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#include "json_writer.h"
#include "sizes.h"

/*
 * A kernel histogram's slots, __u64 (unsigned long long) in the bpf/
 * headers, as the uint64_t (unsigned long on x86-64) taken here: distinct
 * types to the compiler, the same values.
 */
struct ks_slots {
	uint64_t v[KS_HIST_SLOTS];
};
struct ks_slots ks_slots(const __u64 *kernel);

/* Inclusive bounds of a slot: [0,1], [2,3], [4,7], ... */
uint64_t ks_log2_slot_lo(int slot);
uint64_t ks_log2_slot_hi(int slot);

uint64_t ks_log2_total(const uint64_t *slots, int n);

/*
 * Print in libbpf-tools print_log2_hist() style:
 *	     usecs               : count    distribution
 *	         0 -> 1          : 3        |****                    |
 * Nothing is printed for an empty histogram.
 */
void ks_print_log2_hist(FILE *f, const uint64_t *slots, int n,
			const char *val_type);

/* The unit a histogram of nanoseconds is printed in (-u, -m). */
enum ks_time_unit {
	KS_UNIT_NSECS,
	KS_UNIT_USECS,		/* -u */
	KS_UNIT_MSECS,		/* -m, as libbpf-tools' runqlat -m */
};

/*
 * ks_print_log2_hist() of a histogram of nanoseconds, its bounds in
 * @unit.  The kernel's slots are log2 of nanoseconds, which no log2 slot
 * of microseconds or milliseconds matches (10^3 is no power of 2): the
 * slots stay, their bounds are divided, exactly, with decimals
 * ("1.024 -> 2.047" usecs for 1024 to 2047 ns).
 */
void ks_print_log2_hist_ns(FILE *f, const uint64_t *ns_slots, int n,
			   enum ks_time_unit unit);

/*
 * Estimate the @pct percentile (0 < pct <= 100) of the values counted in
 * @slots, assuming values are spread uniformly within a slot: find the slot
 * holding the rank r = ceil(pct/100 * total); if it is the k-th of the n
 * values there, return lo + (k - 0.5) / n * (hi + 1 - lo), the middle of
 * its share of the slot.  The result always lies inside that slot, so the
 * error is bounded by the slot's width (a factor of 2).  Returns NAN for
 * an empty histogram.
 */
double ks_log2_percentile(const uint64_t *slots, int n, double pct);

/*
 * ks_log2_percentile(), never above @max, the largest value measured
 * (UINT64_MAX if unknown): the middle of a value's share of the top slot
 * can lie above what was measured.
 */
double ks_log2_percentile_max(const uint64_t *slots, int n, double pct,
			      uint64_t max);

/*
 * Write {"count":N,"p50":x,"p90":x,"p99":x,"slots":[{"lo":a,"hi":b,
 * "count":c},...]} with only the non-empty slots, as the value of the
 * field @name of the current object; the percentiles are
 * ks_log2_percentile_max()'s with @max.
 */
void ks_jsonw_log2_hist_max(json_writer_t *w, const char *name,
			    const uint64_t *slots, int n, uint64_t max);
/* The same where the largest value is not known. */
void ks_jsonw_log2_hist(json_writer_t *w, const char *name,
			const uint64_t *slots, int n);

#endif /* KVMSCOPE_HIST_H */
