// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Prometheus text format 0.0.4 writer: see expo.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"
#include "proto.h"
#include "utf8.h"

#define NSEC_PER_SEC 1000000000ULL

static bool ks_buf_reserve(struct ks_buf *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (b->oom)
		return false;
	want = b->len + extra + 1;	/* keep room for the NUL */
	if (want <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < want)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void ks_buf_reset(struct ks_buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

void ks_buf_free(struct ks_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

char *ks_buf_steal(struct ks_buf *b, size_t *len)
{
	char *p;

	if (!ks_buf_reserve(b, 0))
		return NULL;
	p = b->data;
	*len = b->len;
	memset(b, 0, sizeof(*b));
	return p;
}

void ks_buf_put(struct ks_buf *b, const char *s, size_t n)
{
	if (!ks_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void ks_buf_puts(struct ks_buf *b, const char *s)
{
	ks_buf_put(b, s, strlen(s));
}

void ks_buf_putc(struct ks_buf *b, char c)
{
	ks_buf_put(b, &c, 1);
}

void ks_buf_u64(struct ks_buf *b, uint64_t v)
{
	char tmp[20];
	int i = sizeof(tmp);

	do {
		tmp[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	ks_buf_put(b, tmp + i, sizeof(tmp) - i);
}

void ks_buf_printf(struct ks_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !ks_buf_reserve(b, n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

/*
 * Prometheus rejects the whole exposition over one label value that is not
 * UTF-8: a byte that starts no valid sequence becomes U+FFFD, whatever the
 * value came from, as in the JSON output.
 */
static void escape(struct ks_buf *b, const char *s, bool quote)
{
	const char *run = s;

	while (*s) {
		/* ASCII inline: a big scrape escapes millions of bytes. */
		int n = (unsigned char)*s < 0x80 ? 1 : ks_utf8_seq_len(s, 4);
		const char *rep;

		if (!n)
			rep = KS_UTF8_REPLACEMENT;
		else if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (quote && *s == '"')
			rep = "\\\"";
		else
			rep = NULL;
		if (!rep) {
			s += n;
			continue;
		}
		ks_buf_put(b, run, s - run);
		ks_buf_puts(b, rep);
		run = ++s;
	}
	ks_buf_put(b, run, s - run);
}

void expo_escape_label(struct ks_buf *b, const char *value)
{
	escape(b, value, true);
}

void expo_escape_help(struct ks_buf *b, const char *help)
{
	escape(b, help, false);
}

void expo_family(struct ks_buf *b, const char *name, const char *type,
		 const char *help)
{
	if (b->proto) {
		proto_family(b, name, type, help);
		return;
	}
	ks_buf_puts(b, "# HELP ");
	ks_buf_puts(b, name);
	ks_buf_putc(b, ' ');
	expo_escape_help(b, help);
	ks_buf_puts(b, "\n# TYPE ");
	ks_buf_puts(b, name);
	ks_buf_putc(b, ' ');
	ks_buf_puts(b, type);
	ks_buf_putc(b, '\n');
}

/* Exact seconds for @ns into @out (at least 64 bytes); returns the length. */
static size_t fmt_seconds(char *out, unsigned __int128 ns)
{
	unsigned __int128 secs = ns / NSEC_PER_SEC;
	uint64_t frac = ns % NSEC_PER_SEC;
	char digits[40];
	int i = sizeof(digits), width = 9;
	size_t n;

	/* 2^127 ns has a 30-digit integer part: not a u64, print it whole. */
	do {
		digits[--i] = '0' + (int)(secs % 10);
		secs /= 10;
	} while (secs);
	n = sizeof(digits) - i;
	memcpy(out, digits + i, n);
	if (frac) {
		while (frac % 10 == 0) {
			frac /= 10;
			width--;
		}
		n += snprintf(out + n, 12, ".%0*llu", width,
			      (unsigned long long)frac);
	}
	out[n] = '\0';
	return n;
}

void expo_seconds(struct ks_buf *b, unsigned __int128 ns)
{
	char s[64];

	ks_buf_put(b, s, fmt_seconds(s, ns));
}

static void series(struct ks_buf *b, const char *name,
		   const struct ks_label *labels, int nlabels,
		   const char *le)
{
	bool first = true;

	ks_buf_puts(b, name);
	for (int i = 0; i < nlabels; i++) {
		if (!labels[i].value)
			continue;
		ks_buf_putc(b, first ? '{' : ',');
		first = false;
		ks_buf_puts(b, labels[i].name);
		ks_buf_puts(b, "=\"");
		expo_escape_label(b, labels[i].value);
		ks_buf_putc(b, '"');
	}
	if (le) {
		ks_buf_puts(b, first ? "{le=\"" : ",le=\"");
		first = false;
		ks_buf_puts(b, le);
		ks_buf_putc(b, '"');
	}
	if (!first)
		ks_buf_putc(b, '}');
	ks_buf_putc(b, ' ');
}

void expo_sample_u64(struct ks_buf *b, const char *name,
		     const struct ks_label *labels, int nlabels, uint64_t v)
{
	if (b->proto) {
		proto_sample(b, labels, nlabels, (double)v);
		return;
	}
	series(b, name, labels, nlabels, NULL);
	ks_buf_u64(b, v);
	ks_buf_putc(b, '\n');
}

void expo_sample_double(struct ks_buf *b, const char *name,
			const struct ks_label *labels, int nlabels, double v)
{
	if (b->proto) {
		proto_sample(b, labels, nlabels, v);
		return;
	}
	series(b, name, labels, nlabels, NULL);
	if (isnan(v))
		ks_buf_puts(b, "NaN");
	else if (isinf(v))
		ks_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	else
		ks_buf_printf(b, "%.9g", v);
	ks_buf_putc(b, '\n');
}

void expo_sample_seconds(struct ks_buf *b, const char *name,
			 const struct ks_label *labels, int nlabels,
			 unsigned __int128 ns)
{
	if (b->proto) {
		proto_sample(b, labels, nlabels,
			     (double)(ns / NSEC_PER_SEC) +
			     (double)(uint64_t)(ns % NSEC_PER_SEC) / NSEC_PER_SEC);
		return;
	}
	series(b, name, labels, nlabels, NULL);
	expo_seconds(b, ns);
	ks_buf_putc(b, '\n');
}

/* name + suffix into a fixed buffer; metric names are short constants. */
static const char *suffixed(char *buf, size_t len, const char *name,
			    const char *suffix)
{
	snprintf(buf, len, "%s%s", name, suffix);
	return buf;
}

/*
 * The le strings of the bucket edges 2^(slot+1) * @unit_ns, formatted once
 * per unit: per-vCPU histograms of 1024 vCPUs format ~150k edges a scrape.
 */
static const char *edge(int slot, uint64_t unit_ns)
{
	static __thread struct {
		uint64_t unit_ns;
		bool done[64];
		char le[64][64];
	} cache;

	if (cache.unit_ns != unit_ns) {
		memset(cache.done, 0, sizeof(cache.done));
		cache.unit_ns = unit_ns;
	}
	if (!cache.done[slot]) {
		fmt_seconds(cache.le[slot],
			    ((unsigned __int128)1 << (slot + 1)) * unit_ns);
		cache.done[slot] = true;
	}
	return cache.le[slot];
}

void expo_log2_histogram(struct ks_buf *b, const char *name,
			 const struct ks_label *labels, int nlabels,
			 const uint64_t *slots, int nslots, int first, int last,
			 uint64_t unit_ns, uint64_t sum)
{
	char bucket[128], other[128];
	uint64_t cum = 0;
	int i = 0;

	if (b->proto) {
		proto_log2_histogram(b, labels, nlabels, slots, nslots, first,
				     last, unit_ns, sum);
		return;
	}
	suffixed(bucket, sizeof(bucket), name, "_bucket");
	if (last >= nslots)
		last = nslots - 1;
	if (last > 63)		/* 2^64 units * unit_ns still fits in 128 bits */
		last = 63;
	for (int slot = first; slot <= last; slot++) {
		for (; i <= slot; i++)
			cum += slots[i];
		/* Slot n holds [2^n, 2^(n+1)): its upper edge is 2^(n+1). */
		series(b, bucket, labels, nlabels, edge(slot, unit_ns));
		ks_buf_u64(b, cum);
		ks_buf_putc(b, '\n');
	}
	for (; i < nslots; i++)
		cum += slots[i];
	series(b, bucket, labels, nlabels, "+Inf");
	ks_buf_u64(b, cum);
	ks_buf_putc(b, '\n');
	expo_sample_seconds(b, suffixed(other, sizeof(other), name, "_sum"),
			    labels, nlabels, (unsigned __int128)sum * unit_ns);
	expo_sample_u64(b, suffixed(other, sizeof(other), name, "_count"),
			labels, nlabels, cum);
}

void expo_end(struct ks_buf *b)
{
	if (b->proto)
		proto_end(b);
}
