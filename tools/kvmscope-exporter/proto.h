/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Writer for the Prometheus protobuf exposition (metrics.proto: length-
 * delimited io.prometheus.client.MetricFamily messages), for scrapers
 * that ask for it: Prometheus with native histograms enabled does, first.
 *
 * It is not a second renderer: a ks_buf with a ks_proto attached makes
 * the expo.h calls (expo_family, expo_sample_*, expo_log2_histogram)
 * encode into it instead of writing text, so the families, labels and
 * values are those of the text exposition by construction.  Each family
 * is packed when the next one starts, or at expo_end().
 *
 * Log2 histograms carry, as asked:
 *  - classic buckets, the same edges as the text (le = 2^(slot+1) ns);
 *  - a native histogram, schema 0.  Its buckets (2^(i-1), 2^i] are powers
 *    of two in seconds, the metric's unit; the kernel's slots are powers
 *    of two in nanoseconds.  1 ns is 2^-29.897 s, so no schema aligns the
 *    two.  Slot n, [2^n, 2^(n+1)) ns, goes whole into native bucket n-29,
 *    (2^(n-30), 2^(n-29)] s, whose bounds are the slot's divided by
 *    2^30/10^9 = 1.073741824: a native bucket's bounds (and so a quantile
 *    read from native buckets) are 6.9% lower than the values it counted;
 *    never by more, never a whole slot.  The mapping is exact only in a
 *    unit of 2^30 ns.  Slot 0 (0 and 1 ns) is the zero bucket, with
 *    threshold 2^-29 s (1.86 ns): exact.  Counts and the sum are exact.
 */
#ifndef KVMSCOPE_EXPORTER_PROTO_H
#define KVMSCOPE_EXPORTER_PROTO_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "expo.h"

#define KS_CONTENT_TYPE_PROTOBUF "application/vnd.google.protobuf; " \
	"proto=io.prometheus.client.MetricFamily; encoding=delimited"

/* What log2 histograms carry in the protobuf exposition. */
enum ks_hist_mode {
	KS_HIST_BOTH,		/* classic buckets and native */
	KS_HIST_NATIVE,		/* native only */
	KS_HIST_CLASSIC,	/* classic buckets only */
};

/*
 * "both", "native", "classic"; -EINVAL for anything else.  Inline: the
 * command line parser (and its fuzzer) need nothing else of this.
 */
static inline int ks_hist_mode_parse(const char *s)
{
	if (!strcmp(s, "both"))
		return KS_HIST_BOTH;
	if (!strcmp(s, "native"))
		return KS_HIST_NATIVE;
	if (!strcmp(s, "classic"))
		return KS_HIST_CLASSIC;
	return -EINVAL;
}

struct ks_proto;

struct ks_proto *ks_proto_new(enum ks_hist_mode mode);
void ks_proto_free(struct ks_proto *p);

/*
 * Native bucket index (schema 0) of log2 slot @slot >= 1 of values in
 * units of @unit_ns nanoseconds, and the zero threshold (seconds) that
 * holds slot 0: see above.
 */
int ks_proto_native_index(int slot, uint64_t unit_ns);
double ks_proto_zero_threshold(uint64_t unit_ns);

/* Called by expo.c when b->proto is set. */
void proto_family(struct ks_buf *b, const char *name, const char *type,
		  const char *help);
void proto_sample(struct ks_buf *b, const struct ks_label *labels,
		  int nlabels, double v);
void proto_log2_histogram(struct ks_buf *b, const struct ks_label *labels,
			  int nlabels, const uint64_t *slots, int nslots,
			  int first, int last, uint64_t unit_ns, uint64_t sum);
void proto_end(struct ks_buf *b);

#endif /* KVMSCOPE_EXPORTER_PROTO_H */
