// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tools/lib/args: strict number parsing, PIDs, interval/count. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "args.h"

static int parse(const char *s, uint64_t min, uint64_t max, uint64_t *v,
		 char *err)
{
	return ks_parse_u64(s, "N", min, max, v, err, KS_ERR_LEN);
}

static void test_u64_accepts(void **state)
{
	char err[KS_ERR_LEN];
	uint64_t v;

	(void)state;
	assert_int_equal(parse("0", 0, 10, &v, err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse("10", 0, 10, &v, err), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse("007", 0, 10, &v, err), 0);
	assert_int_equal(v, 7);
	assert_int_equal(parse("18446744073709551615", 0, UINT64_MAX, &v, err), 0);
	assert_true(v == UINT64_MAX);
}

static void test_u64_rejects(void **state)
{
	static const char *const bad[] = {
		"", " 1", "1 ", "-1", "+1", "1x", "0x10", "1.5", "1e3", "abc",
	};
	char err[KS_ERR_LEN];
	uint64_t v = 42;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(bad[i], 0, 100, &v, err), -EINVAL);
		assert_true(strncmp(err, "N: ", 3) == 0);
	}
	assert_int_equal(v, 42);	/* untouched on error */
	assert_int_equal(parse("18446744073709551616", 0, UINT64_MAX, &v, err),
			 -ERANGE);
	assert_non_null(strstr(err, "too large"));
	assert_int_equal(parse("11", 0, 10, &v, err), -ERANGE);
	assert_string_equal(err, "N: 11 is out of range [0, 10]");
	assert_int_equal(parse("0", 1, 10, &v, err), -ERANGE);
	assert_int_equal(v, 42);
}

static void test_pid(void **state)
{
	char err[KS_ERR_LEN], self[16];
	pid_t pid;

	(void)state;
	snprintf(self, sizeof(self), "%d", getpid());
	assert_int_equal(ks_parse_pid(self, &pid, err, sizeof(err)), 0);
	assert_int_equal(pid, getpid());
	assert_true(ks_pid_exists(1));		/* EPERM still means "exists" */
	assert_false(ks_pid_exists(INT_MAX - 1));
	assert_false(ks_pid_exists(0));
	assert_int_equal(ks_parse_pid("2147483646", &pid, err, sizeof(err)), -ESRCH);
	assert_string_equal(err, "PID 2147483646: no such process");
	assert_int_equal(ks_parse_pid("0", &pid, err, sizeof(err)), -ERANGE);
	assert_int_equal(ks_parse_pid("2147483648", &pid, err, sizeof(err)), -ERANGE);
	assert_int_equal(ks_parse_pid("12a", &pid, err, sizeof(err)), -EINVAL);
}

static void test_interval_count(void **state)
{
	unsigned int count = 0;
	double interval = 0;
	char err[KS_ERR_LEN];

	(void)state;
	assert_int_equal(ks_parse_interval_count("5", 0, &interval, &count, err,
						 sizeof(err)), 0);
	assert_int_equal(ks_parse_interval_count("3", 1, &interval, &count, err,
						 sizeof(err)), 0);
	assert_true(interval == 5);
	assert_int_equal(count, 3);
	assert_int_equal(ks_parse_interval_count("0", 0, &interval, &count, err,
						 sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "interval"));
	assert_int_equal(ks_parse_interval_count("0", 1, &interval, &count, err,
						 sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "count"));
	assert_int_equal(ks_parse_interval_count("1", 2, &interval, &count, err,
						 sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unexpected argument '1'"));
	assert_true(interval == 5);
	assert_int_equal(count, 3);
	/* The count stays whole. */
	assert_int_equal(ks_parse_interval_count("1.5", 1, &interval, &count,
						 err, sizeof(err)), -EINVAL);
}

/* Intervals as top and kvm_stat take them: fractions of a second too. */
static void test_interval_fraction(void **state)
{
	static const char *const bad[] = {
		"", ".", "-1", "+1", " 1", "1 ", "1s", "1e3", "0x10", "inf",
		"nan", "1.2.3", "1,5", NULL,
	};
	static const char *const out_of_range[] = {
		"0", "0.0", "0.0009", "2147483648", "99999999999999999999999", NULL,
	};
	char err[KS_ERR_LEN];
	double v = -1;
	int i;

	(void)state;
	assert_int_equal(ks_parse_interval("0.5", "-d", &v, err, sizeof(err)), 0);
	assert_true(v == 0.5);
	assert_int_equal(ks_parse_interval(".25", "-d", &v, err, sizeof(err)), 0);
	assert_true(v == 0.25);
	assert_int_equal(ks_parse_interval("2.", "-d", &v, err, sizeof(err)), 0);
	assert_true(v == 2);
	assert_int_equal(ks_parse_interval("0.001", "-d", &v, err, sizeof(err)), 0);
	assert_true(v == 0.001);
	assert_int_equal(ks_parse_interval("2147483647", "-d", &v, err,
					   sizeof(err)), 0);
	for (i = 0; bad[i]; i++) {
		v = -1;
		assert_int_equal(ks_parse_interval(bad[i], "-d", &v, err,
						   sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "-d: '"));
		assert_true(v == -1);
	}
	for (i = 0; out_of_range[i]; i++) {
		assert_int_equal(ks_parse_interval(out_of_range[i], "-d", &v,
						   err, sizeof(err)), -ERANGE);
		assert_non_null(strstr(err, "is out of range"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_accepts),
		cmocka_unit_test(test_u64_rejects),
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_interval_count),
		cmocka_unit_test(test_interval_fraction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
