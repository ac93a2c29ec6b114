/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Writer for the Prometheus text exposition format 0.0.4, or, on a buffer
 * with a ks_proto attached, the protobuf exposition (proto.h).
 *
 * Everything is appended to a growable buffer (struct ks_buf) that the HTTP
 * handler hands to libmicrohttpd and the textfile writer writes out, so one
 * rendering path serves both.  Numbers are formatted by hand: a 1024-vCPU
 * host with per-vCPU histograms renders ~60k lines per scrape, and printf
 * would dominate the scrape time.
 *
 * Label values are escaped as the format requires (\\, \" and \n), HELP
 * text as well (\\ and \n); in both, a byte that is not UTF-8 becomes
 * U+FFFD, so no value can make a scrape unparseable.  Log2 histograms
 * become cumulative buckets whose edges are the slots' exclusive upper
 * bounds, converted to seconds exactly (decimal arithmetic on integer
 * nanoseconds, no floating point rounding).
 */
#ifndef KVMSCOPE_EXPORTER_EXPO_H
#define KVMSCOPE_EXPORTER_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ks_buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;	/* an append failed: the content is truncated */
	/*
	 * Set: the expo_* calls below encode protobuf (proto.h) instead of
	 * writing text; ks_buf_reset() keeps it.
	 */
	struct ks_proto *proto;
};

void ks_buf_reset(struct ks_buf *b);
void ks_buf_free(struct ks_buf *b);
/* Hands the (NUL-terminated) data to the caller, who must free() it. */
char *ks_buf_steal(struct ks_buf *b, size_t *len);
void ks_buf_put(struct ks_buf *b, const char *s, size_t n);
void ks_buf_puts(struct ks_buf *b, const char *s);
void ks_buf_putc(struct ks_buf *b, char c);
void ks_buf_u64(struct ks_buf *b, uint64_t v);
void ks_buf_printf(struct ks_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct ks_label {
	const char *name;
	const char *value;
};

/* "# HELP name help\n# TYPE name type\n" with HELP escaping. */
void expo_family(struct ks_buf *b, const char *name, const char *type,
		 const char *help);

/*
 * Label value escaping: \ -> \\, " -> \", newline -> \n, a byte that
 * starts no valid UTF-8 sequence -> U+FFFD.
 */
void expo_escape_label(struct ks_buf *b, const char *value);
/* HELP escaping: the same but for ". */
void expo_escape_help(struct ks_buf *b, const char *help);

/*
 * Exact decimal rendering of @ns nanoseconds as seconds ("0.000001024",
 * "4.294967296", "3"), shortest form without trailing zeros.
 */
void expo_seconds(struct ks_buf *b, unsigned __int128 ns);

/* name{labels} value\n.  Labels with a NULL value are skipped. */
void expo_sample_u64(struct ks_buf *b, const char *name,
		     const struct ks_label *labels, int nlabels, uint64_t v);
void expo_sample_double(struct ks_buf *b, const char *name,
			const struct ks_label *labels, int nlabels, double v);
/* A value in seconds given in integer nanoseconds, rendered exactly. */
void expo_sample_seconds(struct ks_buf *b, const char *name,
			 const struct ks_label *labels, int nlabels,
			 unsigned __int128 ns);

/*
 * A log2 histogram as a Prometheus histogram in seconds.
 *
 * @slots[i] counts values v (in units of @unit_ns nanoseconds) with
 * log2(v) == i: slot 0 holds 0 and 1, slot n holds [2^n, 2^(n+1)).  Buckets
 * are emitted for slots @first..@last with le = 2^(slot+1) units; because
 * buckets are cumulative, slots below @first are counted in the first bucket
 * and slots above @last only in +Inf, so any sub-range is exact.  @sum is
 * the sum of the observed values in units.  Writes name_bucket{...,le=}
 * lines, then +Inf, name_sum and name_count (+Inf == _count by
 * construction).  @nslots is the number of entries in @slots.
 */
void expo_log2_histogram(struct ks_buf *b, const char *name,
			 const struct ks_label *labels, int nlabels,
			 const uint64_t *slots, int nslots, int first, int last,
			 uint64_t unit_ns, uint64_t sum);

/* The exposition is complete: with b->proto, packs the last family. */
void expo_end(struct ks_buf *b);

#endif /* KVMSCOPE_EXPORTER_EXPO_H */
