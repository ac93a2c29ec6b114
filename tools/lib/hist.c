// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>

#include "hist.h"

struct ks_slots ks_slots(const __u64 *kernel)
{
	struct ks_slots s;
	int i;

	for (i = 0; i < KS_HIST_SLOTS; i++)
		s.v[i] = kernel[i];
	return s;
}

uint64_t ks_log2_slot_lo(int slot)
{
	return slot == 0 ? 0 : 1ULL << slot;
}

uint64_t ks_log2_slot_hi(int slot)
{
	return slot >= 63 ? UINT64_MAX : (1ULL << (slot + 1)) - 1;
}

uint64_t ks_log2_total(const uint64_t *slots, int n)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < n; i++)
		total += slots[i];
	return total;
}

static void print_stars(FILE *f, uint64_t val, uint64_t val_max, int width)
{
	int stars = val_max ? (int)(val * width / val_max) : 0;
	int i;

	for (i = 0; i < stars; i++)
		fputc('*', f);
	for (; i < width; i++)
		fputc(' ', f);
}

/* @v / 10^@decimals, exactly: "2047" with 3 decimals is "2.047". */
static void format_scaled(char *buf, size_t len, uint64_t v,
			  unsigned int decimals)
{
	uint64_t p = 1;
	unsigned int i;

	for (i = 0; i < decimals; i++)
		p *= 10;
	if (decimals)
		snprintf(buf, len, "%llu.%0*llu", (unsigned long long)(v / p),
			 (int)decimals, (unsigned long long)(v % p));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void print_log2_hist(FILE *f, const uint64_t *slots, int n,
			    const char *val_type, unsigned int decimals)
{
	char lo[32], hi[32];
	int idx_max = -1, i, width, stars;
	uint64_t val_max = 0;

	for (i = 0; i < n; i++) {
		if (slots[i])
			idx_max = i;
		if (slots[i] > val_max)
			val_max = slots[i];
	}
	if (idx_max < 0)
		return;

	/* Wide bounds need wide columns; keep the line under 80 chars. */
	width = (idx_max <= 32 ? 10 : 20) + (decimals ? decimals + 1 : 0);
	stars = idx_max <= 32 ? 40 : 20;
	fprintf(f, "%*s%-*s : count    distribution\n", width - 5, "",
		width + 9, val_type);
	for (i = 0; i <= idx_max; i++) {
		format_scaled(lo, sizeof(lo), ks_log2_slot_lo(i), decimals);
		format_scaled(hi, sizeof(hi), ks_log2_slot_hi(i), decimals);
		fprintf(f, "%*s -> %-*s : %-8llu |", width, lo, width, hi,
			(unsigned long long)slots[i]);
		print_stars(f, slots[i], val_max, stars);
		fputs("|\n", f);
	}
}

void ks_print_log2_hist(FILE *f, const uint64_t *slots, int n,
			const char *val_type)
{
	print_log2_hist(f, slots, n, val_type, 0);
}

void ks_print_log2_hist_ns(FILE *f, const uint64_t *ns_slots, int n,
			   enum ks_time_unit unit)
{
	static const struct {
		const char *name;
		unsigned int decimals;
	} units[] = {
		[KS_UNIT_NSECS] = { "nsecs", 0 },
		[KS_UNIT_USECS] = { "usecs", 3 },
		[KS_UNIT_MSECS] = { "msecs", 6 },
	};

	print_log2_hist(f, ns_slots, n, units[unit].name, units[unit].decimals);
}

double ks_log2_percentile(const uint64_t *slots, int n, double pct)
{
	uint64_t total = ks_log2_total(slots, n), cum = 0, rank;
	double exact;
	int i;

	if (!total)
		return NAN;
	if (pct <= 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	exact = pct / 100.0 * (double)total;
	rank = (uint64_t)exact;
	if ((double)rank < exact)	/* ceil() without libm */
		rank++;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < n; i++) {
		double lo, hi;

		if (!slots[i] || cum + slots[i] < rank) {
			cum += slots[i];
			continue;
		}
		lo = (double)ks_log2_slot_lo(i);
		hi = (double)ks_log2_slot_hi(i) + 1.0;
		/* The k-th of n values in a slot sits mid-way in its 1/n share. */
		return lo + (hi - lo) * ((double)(rank - cum) - 0.5) /
			    (double)slots[i];
	}
	return NAN;	/* unreachable: rank <= total */
}

double ks_log2_percentile_max(const uint64_t *slots, int n, double pct,
			      uint64_t max)
{
	double p = ks_log2_percentile(slots, n, pct);

	return p > (double)max ? (double)max : p;	/* NAN stays NAN */
}

void ks_jsonw_log2_hist(json_writer_t *w, const char *name,
			const uint64_t *slots, int n)
{
	ks_jsonw_log2_hist_max(w, name, slots, n, UINT64_MAX);
}

void ks_jsonw_log2_hist_max(json_writer_t *w, const char *name,
			    const uint64_t *slots, int n, uint64_t max)
{
	int i;

	jsonw_name(w, name);
	jsonw_start_object(w);
	jsonw_uint_field(w, "count", ks_log2_total(slots, n));
	jsonw_float_field(w, "p50", ks_log2_percentile_max(slots, n, 50, max));
	jsonw_float_field(w, "p90", ks_log2_percentile_max(slots, n, 90, max));
	jsonw_float_field(w, "p99", ks_log2_percentile_max(slots, n, 99, max));
	jsonw_name(w, "slots");
	jsonw_start_array(w);
	for (i = 0; i < n; i++) {
		if (!slots[i])
			continue;
		jsonw_start_object(w);
		jsonw_uint_field(w, "lo", ks_log2_slot_lo(i));
		jsonw_uint_field(w, "hi", ks_log2_slot_hi(i));
		jsonw_uint_field(w, "count", slots[i]);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}
