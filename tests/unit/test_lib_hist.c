// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tools/lib/hist: log2 slot bounds, printing, percentile estimation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hist.h"

#define N 40

static void test_slot_bounds(void **state)
{
	(void)state;
	assert_int_equal(ks_log2_slot_lo(0), 0);
	assert_int_equal(ks_log2_slot_hi(0), 1);
	assert_int_equal(ks_log2_slot_lo(1), 2);
	assert_int_equal(ks_log2_slot_hi(1), 3);
	assert_int_equal(ks_log2_slot_lo(10), 1024);
	assert_int_equal(ks_log2_slot_hi(10), 2047);
	assert_true(ks_log2_slot_hi(63) == UINT64_MAX);
}

static char *print(const uint64_t *slots, int n, const char *unit)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ks_print_log2_hist(f, slots, n, unit);
	fclose(f);
	return buf;
}

static void test_print(void **state)
{
	uint64_t slots[N] = { [0] = 1, [2] = 4, [3] = 8 };
	char *out = print(slots, N, "nsecs");

	(void)state;
	/* libbpf-tools print_log2_hist layout, up to the last non-empty slot. */
	assert_string_equal(out,
		"     nsecs               : count    distribution\n"
		"         0 -> 1          : 1        |*****                                   |\n"
		"         2 -> 3          : 0        |                                        |\n"
		"         4 -> 7          : 4        |********************                    |\n"
		"         8 -> 15         : 8        |****************************************|\n");
	free(out);
}

/* -u and -m: the same log2 slots of nanoseconds, bounds in the unit. */
static void test_print_units(void **state)
{
	uint64_t slots[N] = { [0] = 1, [10] = 3, [20] = 6 };
	char *buf = NULL, *plain;
	size_t len = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&buf, &len);
	ks_print_log2_hist_ns(f, slots, 11, KS_UNIT_USECS);
	fclose(f);
	assert_string_equal(buf,
		"         usecs                   : count    distribution\n"
		"         0.000 -> 0.001          : 1        |*************                           |\n"
		"         0.002 -> 0.003          : 0        |                                        |\n"
		"         0.004 -> 0.007          : 0        |                                        |\n"
		"         0.008 -> 0.015          : 0        |                                        |\n"
		"         0.016 -> 0.031          : 0        |                                        |\n"
		"         0.032 -> 0.063          : 0        |                                        |\n"
		"         0.064 -> 0.127          : 0        |                                        |\n"
		"         0.128 -> 0.255          : 0        |                                        |\n"
		"         0.256 -> 0.511          : 0        |                                        |\n"
		"         0.512 -> 1.023          : 0        |                                        |\n"
		"         1.024 -> 2.047          : 3        |****************************************|\n");
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	ks_print_log2_hist_ns(f, slots, N, KS_UNIT_MSECS);
	fclose(f);
	/* 2^20 ns is 1.048576 ms; the line with the most counts is full. */
	assert_non_null(strstr(buf, "            msecs                      : count"));
	assert_non_null(strstr(buf, "      1.048576 -> 2.097151          : 6        |****************************************|\n"));
	assert_non_null(strstr(buf, "      0.000000 -> 0.000001          : 1        |"));
	free(buf);

	/* nsecs is ks_print_log2_hist()'s layout, unchanged. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	ks_print_log2_hist_ns(f, slots, 3, KS_UNIT_NSECS);
	fclose(f);
	plain = print(slots, 3, "nsecs");
	assert_string_equal(buf, plain);
	free(plain);
	free(buf);
}

static void test_print_empty_and_wide(void **state)
{
	uint64_t slots[N] = {};
	char *out = print(slots, N, "nsecs");

	(void)state;
	assert_string_equal(out, "");	/* nothing for an empty histogram */
	free(out);

	slots[34] = 3;	/* past 2^32: wide columns, half-width bars */
	out = print(slots, N, "pages");
	assert_non_null(strstr(out, "               pages                         : count    distribution\n"));
	assert_non_null(strstr(out, "         17179869184 -> 34359738367          : 3        |********************|\n"));
	free(out);
}

static void test_percentiles(void **state)
{
	uint64_t slots[N] = { [0] = 1, [2] = 3, [3] = 10, [5] = 2 };

	(void)state;
	assert_int_equal(ks_log2_total(slots, N), 16);
	/* p50: rank 8 is the 4th of 10 values in [8, 16): 8 + 3.5/10 * 8. */
	assert_float_equal(ks_log2_percentile(slots, N, 50), 10.8, 1e-9);
	/* p100: the 2nd of 2 values in [32, 64): 32 + 1.5/2 * 32. */
	assert_float_equal(ks_log2_percentile(slots, N, 100), 56.0, 1e-9);
	/* p1: rank 1, the only value in slot 0 ([0, 2)): its middle. */
	assert_float_equal(ks_log2_percentile(slots, N, 1), 1.0, 1e-9);
	/* p90: rank ceil(14.4) = 15, the 1st of 2 in [32, 64). */
	assert_float_equal(ks_log2_percentile(slots, N, 90), 40.0, 1e-9);
	assert_true(isnan(ks_log2_percentile((uint64_t[N]){}, N, 50)));
	/* Bounded by the largest value measured, where it is known. */
	assert_float_equal(ks_log2_percentile_max(slots, N, 100, 50), 50.0, 1e-9);
	assert_float_equal(ks_log2_percentile_max(slots, N, 50, 50), 10.8, 1e-9);
	assert_true(isnan(ks_log2_percentile_max((uint64_t[N]){}, N, 50, 50)));
}

static void test_percentile_stays_in_slot(void **state)
{
	uint64_t slots[N] = {};
	double p;
	int slot;

	(void)state;
	for (slot = 0; slot < 39; slot++) {
		memset(slots, 0, sizeof(slots));
		slots[slot] = 1000;
		for (p = 0.1; p <= 100; p += 7.3) {
			double v = ks_log2_percentile(slots, N, p);

			assert_true(v >= (double)ks_log2_slot_lo(slot));
			assert_true(v <= (double)ks_log2_slot_hi(slot) + 1);
		}
	}
}

static void test_json(void **state)
{
	uint64_t slots[N] = { [3] = 2, [5] = 1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_writer_t *w = jsonw_new(f);

	(void)state;
	/* p50 is rank 2, the 2nd of 2 in [8, 16): 8 + 1.5/2 * 8 = 14. */
	jsonw_start_object(w);
	ks_jsonw_log2_hist(w, "lat", slots, N);
	jsonw_end_object(w);
	jsonw_destroy(&w);
	fclose(f);
	assert_string_equal(buf,
		"{\"lat\":{\"count\":3,\"p50\":14,\"p90\":48,\"p99\":48,"
		"\"slots\":[{\"lo\":8,\"hi\":15,\"count\":2},"
		"{\"lo\":32,\"hi\":63,\"count\":1}]}}\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_bounds),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_print_units),
		cmocka_unit_test(test_print_empty_and_wide),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_percentile_stays_in_slot),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
