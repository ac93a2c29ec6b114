// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmscope-exporter exposition: exact bucket edges from log2 slots,
 * cumulative counts, +Inf == _count, _sum in seconds, label and HELP
 * escaping, HELP/TYPE lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kvmscope-exporter/expo.h"

static char *seconds(unsigned __int128 ns)
{
	static char out[64];
	struct ks_buf b = { 0 };

	expo_seconds(&b, ns);
	snprintf(out, sizeof(out), "%s", b.data);
	ks_buf_free(&b);
	return out;
}

static void test_seconds_exact(void **state)
{
	(void)state;
	assert_string_equal(seconds(0), "0");
	assert_string_equal(seconds(1), "0.000000001");
	assert_string_equal(seconds(2), "0.000000002");
	assert_string_equal(seconds(1024), "0.000001024");
	assert_string_equal(seconds(1000000000ULL), "1");
	assert_string_equal(seconds(1500000000ULL), "1.5");
	assert_string_equal(seconds(1ULL << 32), "4.294967296");
	assert_string_equal(seconds(1ULL << 35), "34.359738368");
	/* 2^64 ns: past u64, still exact. */
	assert_string_equal(seconds((unsigned __int128)1 << 64),
			    "18446744073.709551616");
}

/* The value of the line starting with @prefix (whole series name+labels). */
static const char *line_value(const char *text, const char *series)
{
	static char val[64];
	const char *p = text;
	size_t n = strlen(series);

	while ((p = strstr(p, series))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ') {
			const char *e = strchr(p + n + 1, '\n');

			snprintf(val, sizeof(val), "%.*s", (int)(e - p - n - 1),
				 p + n + 1);
			return val;
		}
		p += n;
	}
	return NULL;
}

static void test_histogram_buckets(void **state)
{
	struct ks_label l[] = { { "vm", "kvm-1" }, { "fifo", "l1" } };
	uint64_t slots[64] = { 0 };
	struct ks_buf b = { 0 };
	const char *v;

	(void)state;
	slots[0] = 1;	/* values 0,1: below the first edge */
	slots[3] = 2;	/* [8, 16) */
	slots[9] = 4;	/* [512, 1024): le=1.024us, the first bucket */
	slots[10] = 8;	/* [1024, 2048) */
	slots[20] = 16;
	slots[40] = 32;	/* beyond the last edge: only in +Inf */
	expo_log2_histogram(&b, "x_seconds", l, 2, slots, 64, 9, 34, 1, 123456789);
	assert_false(b.oom);

	/* slot 9's edge is 2^10 ns, and it includes every slot below. */
	v = line_value(b.data, "x_seconds_bucket{vm=\"kvm-1\",fifo=\"l1\",le=\"0.000001024\"}");
	assert_non_null(v);
	assert_string_equal(v, "7");
	v = line_value(b.data, "x_seconds_bucket{vm=\"kvm-1\",fifo=\"l1\",le=\"0.000002048\"}");
	assert_non_null(v);
	assert_string_equal(v, "15");
	/* Slot 20 is [2^20, 2^21) ns: counted from le = 2^21 ns on. */
	v = line_value(b.data, "x_seconds_bucket{vm=\"kvm-1\",fifo=\"l1\",le=\"0.001048576\"}");
	assert_string_equal(v, "15");
	v = line_value(b.data, "x_seconds_bucket{vm=\"kvm-1\",fifo=\"l1\",le=\"0.002097152\"}");
	assert_string_equal(v, "31");
	/* The last edge, 2^35 ns, does not hold slot 40. */
	v = line_value(b.data, "x_seconds_bucket{vm=\"kvm-1\",fifo=\"l1\",le=\"34.359738368\"}");
	assert_string_equal(v, "31");
	v = line_value(b.data, "x_seconds_bucket{vm=\"kvm-1\",fifo=\"l1\",le=\"+Inf\"}");
	assert_string_equal(v, "63");
	v = line_value(b.data, "x_seconds_count{vm=\"kvm-1\",fifo=\"l1\"}");
	assert_string_equal(v, "63");
	v = line_value(b.data, "x_seconds_sum{vm=\"kvm-1\",fifo=\"l1\"}");
	assert_string_equal(v, "0.123456789");
	/* No edge below the first slot asked for, none above the last. */
	assert_null(strstr(b.data, "le=\"0.000000512\""));
	assert_null(strstr(b.data, "le=\"68.719476736\""));
	ks_buf_free(&b);
}

/* Walk every bucket line: le strictly increasing, counts non-decreasing. */
static void test_histogram_cumulative(void **state)
{
	uint64_t slots[64];
	struct ks_buf b = { 0 };
	double prev_le = -1;
	uint64_t prev = 0, count = 0, inf = 0, total = 0;
	int buckets = 0;
	char *line, *save = NULL;

	(void)state;
	for (int i = 0; i < 64; i++)
		total += slots[i] = (uint64_t)(i * 7919) % 13;
	expo_log2_histogram(&b, "h_seconds", NULL, 0, slots, 64, 0, 63, 1000, 0);
	for (line = strtok_r(b.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v;
		char le[64];

		if (sscanf(line, "h_seconds_bucket{le=\"%63[^\"]\"} %llu", le, &v) == 2) {
			if (!strcmp(le, "+Inf")) {
				inf = v;
				assert_true(v >= prev);
				continue;
			}
			assert_true(strtod(le, NULL) > prev_le);
			assert_true(v >= prev);
			prev_le = strtod(le, NULL);
			prev = v;
			buckets++;
		} else if (sscanf(line, "h_seconds_count %llu", &v) == 1) {
			count = v;
		}
	}
	assert_int_equal(buckets, 64);
	assert_int_equal(inf, total);
	assert_int_equal(count, total);
	/* unit 1000 ns: slot 0's edge is 2 us. */
	assert_true(prev_le > 1.8e13 && prev_le < 1.9e13);	/* 2^64 us */
	ks_buf_free(&b);
}

static void test_histogram_units(void **state)
{
	uint64_t slots[4] = { 0, 1, 0, 0 };
	struct ks_buf b = { 0 };

	(void)state;
	/* Microsecond slots: slot 1 is [2, 4) us, le = 4 us. */
	expo_log2_histogram(&b, "u_seconds", NULL, 0, slots, 4, 0, 3, 1000, 3);
	assert_non_null(strstr(b.data, "u_seconds_bucket{le=\"0.000002\"} 0\n"));
	assert_non_null(strstr(b.data, "u_seconds_bucket{le=\"0.000004\"} 1\n"));
	assert_non_null(strstr(b.data, "u_seconds_sum 0.000003\n"));
	ks_buf_free(&b);
}

static void test_label_escaping(void **state)
{
	struct ks_label l[] = {
		{ "vm", "a\\b\"c\nd" },
		{ "skipped", NULL },
		{ "vcpu", "3" },
	};
	struct ks_buf b = { 0 };

	(void)state;
	expo_sample_u64(&b, "m_total", l, 3, 42);
	assert_string_equal(b.data, "m_total{vm=\"a\\\\b\\\"c\\nd\",vcpu=\"3\"} 42\n");
	ks_buf_reset(&b);
	expo_sample_u64(&b, "bare", NULL, 0, 18446744073709551615ULL);
	assert_string_equal(b.data, "bare 18446744073709551615\n");
	ks_buf_free(&b);
}

#define FFFD "\xef\xbf\xbd"

/*
 * One label value that is not UTF-8 would make Prometheus reject the whole
 * scrape: each byte that starts no character becomes U+FFFD; valid UTF-8,
 * control characters included, stays.
 */
static void test_label_utf8(void **state)
{
	static const struct {
		const char *value, *want;
	} cases[] = {
		{ "\xff\xfe", FFFD FFFD },
		{ "a\xc0\xaf", "a" FFFD FFFD },		/* overlong "/" */
		{ "a\x80" "b", "a" FFFD "b" },		/* lone continuation */
		{ "ok\xe6\x97", "ok" FFFD FFFD },		/* cut short */
		{ "\xed\xa0\x80", FFFD FFFD FFFD },	/* surrogate */
		{ "\xe6\x97\xa5\x1b[2J\xc2\x9b", "\xe6\x97\xa5\x1b[2J\xc2\x9b" },
		{ "\xff\"\\\n", FFFD "\\\"\\\\\\n" },
	};
	struct ks_buf b = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ks_buf_reset(&b);
		expo_escape_label(&b, cases[i].value);
		assert_string_equal(b.data, cases[i].want);
	}
	ks_buf_reset(&b);
	expo_escape_help(&b, "\xff\"\n");
	assert_string_equal(b.data, FFFD "\"\\n");
	ks_buf_free(&b);
}

static void test_help_type(void **state)
{
	struct ks_buf b = { 0 };

	(void)state;
	/* HELP escapes backslash and newline, not quotes. */
	expo_family(&b, "m_total", "counter", "Say \"hi\"\\\nbye");
	assert_string_equal(b.data,
			    "# HELP m_total Say \"hi\"\\\\\\nbye\n"
			    "# TYPE m_total counter\n");
	ks_buf_free(&b);
}

static void test_double_values(void **state)
{
	struct ks_buf b = { 0 };

	(void)state;
	expo_sample_double(&b, "r", NULL, 0, 0.25);
	expo_sample_double(&b, "n", NULL, 0, 0.0 / 0.0);
	expo_sample_double(&b, "i", NULL, 0, 1.0 / 0.0);
	assert_string_equal(b.data, "r 0.25\nn NaN\ni +Inf\n");
	ks_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seconds_exact),
		cmocka_unit_test(test_histogram_buckets),
		cmocka_unit_test(test_histogram_cumulative),
		cmocka_unit_test(test_histogram_units),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_label_utf8),
		cmocka_unit_test(test_help_type),
		cmocka_unit_test(test_double_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
