// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmscope-exporter protobuf exposition: what proto.c encodes, decoded
 * again with protobuf-c from metrics.proto, is what the text exposition
 * says (families, types, labels, values, classic buckets), and the
 * native histogram holds the slots: slot 0 in the zero bucket, slot n in
 * schema-0 bucket n-29, bounds 2^30/10^9 below the slot's, never more.
 * And the Accept negotiation that picks it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.pb-c.h"
#include "utf8.h"
#include "kvmscope-exporter/expo.h"
#include "kvmscope-exporter/http.h"
#include "kvmscope-exporter/proto.h"

#define NSLOTS 40

typedef Io__Prometheus__Client__MetricFamily Family;

/* Unpack every delimited MetricFamily of @b into @out; returns how many. */
static int decode(const struct ks_buf *b, Family **out, int max)
{
	size_t off = 0;
	int n = 0;

	while (off < b->len) {
		uint64_t len = 0;
		int shift = 0;
		uint8_t c;

		do {
			assert_true(off < b->len);
			c = (uint8_t)b->data[off++];
			len |= (uint64_t)(c & 0x7f) << shift;
			shift += 7;
		} while (c & 0x80);
		assert_true(len <= b->len - off);
		assert_true(n < max);
		out[n] = io__prometheus__client__metric_family__unpack(
			NULL, len, (const uint8_t *)b->data + off);
		assert_non_null(out[n]);
		off += len;
		n++;
	}
	assert_int_equal(off, b->len);	/* ends with a whole message */
	return n;
}

static void free_all(Family **f, int n)
{
	for (int i = 0; i < n; i++)
		io__prometheus__client__metric_family__free_unpacked(f[i], NULL);
}

static void proto_buf(struct ks_buf *b, enum ks_hist_mode mode)
{
	*b = (struct ks_buf){ 0 };
	b->proto = ks_proto_new(mode);
	assert_non_null(b->proto);
}

static void proto_done(struct ks_buf *b)
{
	expo_end(b);
	ks_proto_free(b->proto);
	b->proto = NULL;
	assert_false(b->oom);
}

static void test_families(void **state)
{
	struct ks_label l[3] = {
		{ "vm", "kvm-1" }, { "vm_name", NULL }, { "dir", "to\xffx" },
	};
	struct ks_buf b;
	Family *f[4];
	int n;

	(void)state;
	proto_buf(&b, KS_HIST_BOTH);
	expo_family(&b, "a_total", "counter", "A \"counter\".\nTwo lines.");
	expo_sample_u64(&b, "a_total", l, 3, 42);
	expo_sample_u64(&b, "a_total", l, 1, 7);
	expo_family(&b, "b_seconds", "gauge", "A gauge.");
	expo_sample_seconds(&b, "b_seconds", NULL, 0, 1500000001ULL);
	expo_family(&b, "c_ratio", "gauge", "Empty family.");
	proto_done(&b);

	n = decode(&b, f, 4);
	assert_int_equal(n, 3);
	assert_string_equal(f[0]->name, "a_total");
	assert_string_equal(f[0]->help, "A \"counter\".\nTwo lines.");
	assert_int_equal(f[0]->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER);
	assert_int_equal(f[0]->n_metric, 2);
	/* NULL values are left out; invalid UTF-8 becomes U+FFFD. */
	assert_int_equal(f[0]->metric[0]->n_label, 2);
	assert_string_equal(f[0]->metric[0]->label[0]->name, "vm");
	assert_string_equal(f[0]->metric[0]->label[0]->value, "kvm-1");
	assert_string_equal(f[0]->metric[0]->label[1]->name, "dir");
	assert_string_equal(f[0]->metric[0]->label[1]->value, "to" KS_UTF8_REPLACEMENT "x");
	assert_non_null(f[0]->metric[0]->counter);
	assert_true(f[0]->metric[0]->counter->value == 42);
	assert_int_equal(f[0]->metric[1]->n_label, 1);
	assert_true(f[0]->metric[1]->counter->value == 7);
	assert_int_equal(f[1]->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE);
	assert_int_equal(f[1]->metric[0]->n_label, 0);
	assert_non_null(f[1]->metric[0]->gauge);
	assert_true(f[1]->metric[0]->gauge->value == 1.500000001);
	assert_string_equal(f[2]->name, "c_ratio");
	assert_int_equal(f[2]->n_metric, 0);
	free_all(f, n);
	ks_buf_free(&b);
}

static const uint64_t sparse[NSLOTS] = {
	[0] = 3, [5] = 2, [6] = 4, [10] = 1, [39] = 5,
};

/* The native buckets of @h as counts per bucket index, from the deltas. */
static int native_counts(const Io__Prometheus__Client__Histogram *h,
			 int *idx, uint64_t *cnt, int max)
{
	int64_t c = 0;
	int n = 0, at = 0;
	size_t d = 0;

	for (size_t s = 0; s < h->n_positive_span; s++) {
		at += h->positive_span[s]->offset;
		for (uint32_t k = 0; k < h->positive_span[s]->length; k++) {
			assert_true(d < h->n_positive_delta);
			assert_true(n < max);
			c += h->positive_delta[d++];
			assert_true(c >= 0);
			idx[n] = at++;
			cnt[n++] = (uint64_t)c;
		}
	}
	assert_int_equal(d, h->n_positive_delta);
	return n;
}

static void test_native(void **state)
{
	const struct ks_label l = { "vm", "kvm-1" };
	const Io__Prometheus__Client__Histogram *h;
	struct ks_buf b;
	uint64_t cnt[NSLOTS];
	int idx[NSLOTS], n;
	Family *f[1];

	(void)state;
	proto_buf(&b, KS_HIST_NATIVE);
	expo_family(&b, "x_seconds", "histogram", "X.");
	expo_log2_histogram(&b, "x_seconds", &l, 1, sparse, NSLOTS, 9, 34, 1,
			    123456789);
	proto_done(&b);
	assert_int_equal(decode(&b, f, 1), 1);
	assert_int_equal(f[0]->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM);
	h = f[0]->metric[0]->histogram;
	assert_non_null(h);
	assert_int_equal(h->n_bucket, 0);	/* native only */
	assert_true(h->has_schema);
	assert_int_equal(h->schema, 0);
	assert_true(h->zero_threshold == 1.0 / (1 << 29));
	assert_int_equal(h->zero_count, 3);
	assert_int_equal(h->sample_count, 15);
	assert_true(h->sample_sum == 0.123456789);
	/* Runs 5-6, 10, 39: three spans, index = slot - 29. */
	assert_int_equal(h->n_positive_span, 3);
	assert_int_equal(h->positive_span[0]->offset, 5 - 29);
	assert_int_equal(h->positive_span[0]->length, 2);
	assert_int_equal(h->positive_span[1]->offset, 10 - 7);
	assert_int_equal(h->positive_span[2]->offset, 39 - 11);
	n = native_counts(h, idx, cnt, NSLOTS);
	assert_int_equal(n, 4);
	assert_int_equal(idx[0], -24);
	assert_int_equal(cnt[0], 2);
	assert_int_equal(idx[1], -23);
	assert_int_equal(cnt[1], 4);
	assert_int_equal(idx[2], -19);
	assert_int_equal(cnt[2], 1);
	assert_int_equal(idx[3], 10);
	assert_int_equal(cnt[3], 5);
	free_all(f, 1);
	ks_buf_free(&b);
}

/*
 * Slot n, [2^n, 2^(n+1)) ns, in bucket i, (2^(i-1), 2^i] s: both bounds
 * are the slot's over 2^30/10^9 exactly, so the native histogram is off
 * by that factor (7.4%), not a slot.  Not "exact": 10^9 is no power of 2.
 */
static void test_native_bounds(void **state)
{
	const double f = 1073741824.0 / 1e9;

	(void)state;
	for (int n = 1; n < NSLOTS; n++) {
		int i = ks_proto_native_index(n, 1);
		double up = i >= 0 ? (double)(1ULL << i) : 1.0 / (double)(1ULL << -i);
		double slot_hi = (double)(1ULL << (n + 1)) / 1e9;
		double slot_lo = (double)(1ULL << n) / 1e9;

		assert_true(up < slot_hi);
		assert_true(up / 2 < slot_lo);
		assert_true(slot_hi / up > f - 1e-12 && slot_hi / up < f + 1e-12);
		assert_true(slot_lo / (up / 2) > f - 1e-12 &&
			    slot_lo / (up / 2) < f + 1e-12);
	}
	/* Slot 0 is 0 and 1 ns: within the zero bucket, slot 1 (2 ns) not. */
	assert_true(ks_proto_zero_threshold(1) >= 1e-9);
	assert_true(ks_proto_zero_threshold(1) < 2e-9);
	/* A unit of 2^30 ns is 1.073741824 s: slot n lands in bucket n+1. */
	assert_int_equal(ks_proto_native_index(3, 1ULL << 30), 4);
	assert_true(ks_proto_zero_threshold(1ULL << 30) == 2.0);
}

/* The value of the text line @series, as a scraper parses it. */
static double text_value(const char *text, const char *series)
{
	const char *p = strstr(text, series);

	assert_non_null(p);
	return strtod(p + strlen(series), NULL);
}

/* Classic buckets: the text exposition's edges and counts, +Inf the count. */
static void test_classic_matches_text(void **state)
{
	const Io__Prometheus__Client__Histogram *h;
	uint64_t slots[NSLOTS];
	struct ks_buf b, t = { 0 };
	Family *f[1];

	(void)state;
	for (int i = 0; i < NSLOTS; i++)
		slots[i] = (uint64_t)(i * 7919 % 13);
	expo_log2_histogram(&t, "x_seconds", NULL, 0, slots, NSLOTS, 9, 34, 1,
			    987654321012ULL);
	proto_buf(&b, KS_HIST_CLASSIC);
	expo_family(&b, "x_seconds", "histogram", "X.");
	expo_log2_histogram(&b, "x_seconds", NULL, 0, slots, NSLOTS, 9, 34, 1,
			    987654321012ULL);
	proto_done(&b);
	assert_int_equal(decode(&b, f, 1), 1);
	h = f[0]->metric[0]->histogram;
	assert_false(h->has_schema);		/* classic only */
	assert_false(h->has_zero_threshold);
	assert_int_equal(h->n_positive_span, 0);
	assert_int_equal(h->n_bucket, 34 - 9 + 1);
	for (size_t i = 0; i < h->n_bucket; i++) {
		char series[64], le[64];
		const char *p;

		/* The text's le, then its count. */
		snprintf(series, sizeof(series), "x_seconds_bucket{le=\"");
		p = t.data;
		for (size_t k = 0; k <= i; k++) {
			p = strstr(p, series);
			assert_non_null(p);
			p += strlen(series);
		}
		snprintf(le, sizeof(le), "%.*s", (int)(strchr(p, '"') - p), p);
		assert_true(h->bucket[i]->upper_bound == strtod(le, NULL));
		assert_true((double)h->bucket[i]->cumulative_count ==
			    strtod(strchr(p, ' ') + 1, NULL));
	}
	assert_true((double)h->sample_count ==
		    text_value(t.data, "x_seconds_count "));
	assert_true(h->sample_sum == text_value(t.data, "x_seconds_sum "));
	free_all(f, 1);
	ks_buf_free(&b);
	ks_buf_free(&t);
}

/* Both: one message carries both; the native counts sum to the slots'. */
static void test_both(void **state)
{
	const Io__Prometheus__Client__Histogram *h;
	uint64_t slots[NSLOTS], cnt[NSLOTS], total;
	struct ks_buf b;
	int idx[NSLOTS], n;
	Family *f[1];

	(void)state;
	for (int i = 0; i < NSLOTS; i++)
		slots[i] = (uint64_t)((i * 31 + 5) % 9);	/* some zeros */
	proto_buf(&b, KS_HIST_BOTH);
	expo_family(&b, "x_seconds", "histogram", "X.");
	expo_log2_histogram(&b, "x_seconds", NULL, 0, slots, NSLOTS, 9, 34, 1, 1);
	proto_done(&b);
	assert_int_equal(decode(&b, f, 1), 1);
	h = f[0]->metric[0]->histogram;
	assert_int_equal(h->n_bucket, 26);
	n = native_counts(h, idx, cnt, NSLOTS);
	total = h->zero_count;
	assert_int_equal(h->zero_count, slots[0]);
	for (int k = 0; k < n; k++) {
		int slot = idx[k] + 29;

		assert_true(slot >= 1 && slot < NSLOTS);
		assert_int_equal(cnt[k], slots[slot]);
		total += cnt[k];
	}
	assert_int_equal(total, h->sample_count);
	assert_int_equal(h->bucket[25]->cumulative_count,
			 h->sample_count - slots[35] - slots[36] - slots[37] -
			 slots[38] - slots[39]);
	free_all(f, 1);
	ks_buf_free(&b);
}

/*
 * No observations yet (a VM held at zero): still native for Prometheus,
 * which decides by spans, zero count or a zero threshold > 0.
 */
static void test_empty_is_native(void **state)
{
	const uint64_t none[NSLOTS] = { 0 };
	const Io__Prometheus__Client__Histogram *h;
	struct ks_buf b;
	Family *f[1];

	(void)state;
	proto_buf(&b, KS_HIST_BOTH);
	expo_family(&b, "x_seconds", "histogram", "X.");
	expo_log2_histogram(&b, "x_seconds", NULL, 0, none, NSLOTS, 9, 34, 1, 0);
	proto_done(&b);
	assert_int_equal(decode(&b, f, 1), 1);
	h = f[0]->metric[0]->histogram;
	assert_int_equal(h->sample_count, 0);
	assert_int_equal(h->n_positive_span, 0);
	assert_int_equal(h->zero_count, 0);
	assert_true(h->zero_threshold > 0);
	free_all(f, 1);
	ks_buf_free(&b);
}

#define PROMETHEUS_PB_ACCEPT \
	"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited," \
	"application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75," \
	"text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

static void test_accept(void **state)
{
	(void)state;
	assert_int_equal(ks_http_format(PROMETHEUS_PB_ACCEPT), KS_FORMAT_PROTOBUF);
	assert_int_equal(ks_http_format("application/vnd.google.protobuf; "
					"proto=io.prometheus.client.MetricFamily; "
					"encoding=delimited"),
			 KS_FORMAT_PROTOBUF);
	/* Another message or encoding is not ours to send. */
	assert_int_equal(ks_http_format("application/vnd.google.protobuf;"
					"proto=io.prometheus.client.MetricFamily;"
					"encoding=text"),
			 KS_FORMAT_TEXT);
	assert_int_equal(ks_http_format("application/vnd.google.protobuf;"
					"proto=other.Message;encoding=delimited"),
			 KS_FORMAT_TEXT);
	assert_int_equal(ks_http_format("application/vnd.google.protobuf;"
					"encoding=delimited"),
			 KS_FORMAT_TEXT);
	/* Weighed less than a text format, or tied: text. */
	assert_int_equal(ks_http_format("application/vnd.google.protobuf;"
					"proto=io.prometheus.client.MetricFamily;"
					"encoding=delimited;q=0.5,application/openmetrics-text"),
			 KS_FORMAT_OPENMETRICS);
	assert_int_equal(ks_http_format("application/vnd.google.protobuf;"
					"proto=io.prometheus.client.MetricFamily;"
					"encoding=delimited,text/plain"),
			 KS_FORMAT_TEXT);
	assert_int_equal(ks_hist_mode_parse("both"), KS_HIST_BOTH);
	assert_int_equal(ks_hist_mode_parse("native"), KS_HIST_NATIVE);
	assert_int_equal(ks_hist_mode_parse("classic"), KS_HIST_CLASSIC);
	assert_true(ks_hist_mode_parse("Native") < 0);
	assert_true(ks_hist_mode_parse("") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_native),
		cmocka_unit_test(test_native_bounds),
		cmocka_unit_test(test_classic_matches_text),
		cmocka_unit_test(test_both),
		cmocka_unit_test(test_empty_is_native),
		cmocka_unit_test(test_accept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
