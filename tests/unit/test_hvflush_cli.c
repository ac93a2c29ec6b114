// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hvflush-top's command line, parsed in-process (ARGP_NO_EXIT): defaults,
 * the interval/count/-d/-b combinations, and every rejected input.
 */
#include <argp.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hvflush-top/cli.h"

#define QUIET (ARGP_NO_EXIT | ARGP_NO_ERRS)

/* Parse a NULL-terminated argument list after the program name. */
static int parse(struct hv_env *env, ...)
{
	char *argv[16] = { "hvflush-top" };
	int argc = 1;
	va_list ap;

	va_start(ap, env);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	return hv_parse_args(argc, argv, env, QUIET);
}

static void test_defaults(void **state)
{
	struct hv_env env;

	(void)state;
	assert_int_equal(parse(&env, NULL), 0);
	assert_int_equal(env.interval, 1);
	assert_int_equal(env.count, 0);
	assert_int_equal(env.sort, HV_SORT_RATE);
	assert_int_equal(env.filter.pid, 0);
	assert_string_equal(env.filter.vm, "");
	assert_int_equal(env.keep_exited, HV_KEEP_EXITED_DEFAULT);
	assert_int_equal(env.keep_exited, 3);
	assert_false(env.batch || env.json || env.verbose);
}

/* Rejected with an error message naming the problem. */
static void assert_rejected(const char *why, struct hv_env *env, int ret)
{
	if (!ret) {
		print_error("accepted, expected: %s\n", why);
		fail();
	}
	if (!strstr(env->err, why)) {
		print_error("error '%s' does not say '%s'\n", env->err, why);
		fail();
	}
}

static void test_interval_count(void **state)
{
	struct hv_env env;

	(void)state;
	assert_int_equal(parse(&env, "5", "3", NULL), 0);
	assert_int_equal(env.interval, 5);
	assert_int_equal(env.count, 3);

	/* With -d, a lone positional is the count: "-b -j -d 1 1". */
	assert_int_equal(parse(&env, "-b", "-j", "-d", "2", "7", NULL), 0);
	assert_int_equal(env.interval, 2);
	assert_int_equal(env.count, 7);
	assert_true(env.batch && env.json);

	/* top's -n COUNT; -b takes none. */
	assert_int_equal(parse(&env, "-b", "-n", "4", "-d", "3", NULL), 0);
	assert_int_equal(env.interval, 3);
	assert_int_equal(env.count, 4);
	assert_true(env.batch);
	assert_int_equal(parse(&env, "-n", "2", "5", NULL), 0);
	assert_int_equal(env.interval, 5);
	assert_int_equal(env.count, 2);

	assert_int_equal(parse(&env, "-b", NULL), 0);
	assert_true(env.batch);
	assert_int_equal(env.count, 0);

	/* Not ambiguous: both positionals, or -d, or -n, or -b elsewhere. */
	assert_int_equal(parse(&env, "-b", "1", "1", NULL), 0);
	assert_int_equal(env.interval, 1);
	assert_int_equal(env.count, 1);
	assert_int_equal(parse(&env, "-d", "2", "-b", "5", NULL), 0);
	assert_int_equal(env.interval, 2);
	assert_int_equal(env.count, 5);
	assert_int_equal(parse(&env, "5", "-b", NULL), 0);
	assert_int_equal(env.interval, 5);
	assert_int_equal(env.count, 0);
}

/* Fractions of a second, as top and kvm_stat take them. */
static void test_fractional_interval(void **state)
{
	struct hv_env env;

	(void)state;
	assert_int_equal(parse(&env, "-d", "0.5", NULL), 0);
	assert_true(env.interval == 0.5);
	assert_int_equal(parse(&env, "-b", "0.25", "3", NULL), 0);
	assert_true(env.interval == 0.25);
	assert_int_equal(env.count, 3);
	assert_rejected("-d: 0.0001 is out of range", &env,
			parse(&env, "-d", "0.0001", NULL));
	assert_rejected("-d: '1e3' is not", &env, parse(&env, "-d", "1e3", NULL));
	assert_rejected("count: '1.5' is not", &env, parse(&env, "1", "1.5", NULL));
}

static void test_options(void **state)
{
	char pid[16];
	struct hv_env env;

	(void)state;
	snprintf(pid, sizeof(pid), "%d", getpid());
	assert_int_equal(parse(&env, "-p", pid, "--vm", "win*", "-s", "p99",
			       "-v", NULL), 0);
	assert_int_equal(env.filter.pid, getpid());
	assert_string_equal(env.filter.vm, "win*");
	assert_int_equal(env.sort, HV_SORT_P99);
	assert_true(env.verbose);
	assert_int_equal(parse(&env, "--sort=overflow", NULL), 0);
	assert_int_equal(env.sort, HV_SORT_OVERFLOW);
	assert_int_equal(parse(&env, "-smax", NULL), 0);
	assert_int_equal(env.sort, HV_SORT_MAX);
}

static void test_keep_exited(void **state)
{
	struct hv_env env;

	(void)state;
	assert_int_equal(parse(&env, "--keep-exited", "1", NULL), 0);
	assert_int_equal(env.keep_exited, 1);
	assert_int_equal(parse(&env, "--keep-exited=10", "-j", "2", NULL), 0);
	assert_int_equal(env.keep_exited, 10);
	assert_int_equal(env.interval, 2);
	assert_int_equal(parse(&env, "--keep-exited", "2147483647", NULL), 0);
	assert_int_equal(env.keep_exited, 2147483647);
}

static void test_errors(void **state)
{
	struct hv_env env;

	(void)state;
	assert_rejected("out of range", &env, parse(&env, "0", NULL));
	assert_rejected("out of range", &env, parse(&env, "-d", "0", NULL));
	assert_rejected("out of range", &env, parse(&env, "1", "0", NULL));
	assert_rejected("-d: '1s' is not a number of seconds", &env, parse(&env, "-d", "1s", NULL));
	assert_rejected("interval: '-1' is not a number of seconds", &env, parse(&env, "--", "-1", NULL));
	assert_rejected("out of range", &env, parse(&env, "99999999999999999999", NULL));
	/* "-b 5" is not 5 snapshots: top's -b takes no count. */
	assert_rejected("'-b 5' is ambiguous", &env, parse(&env, "-b", "5", NULL));
	assert_rejected("'-b 5' is ambiguous", &env, parse(&env, "-j", "-b", "5", NULL));
	assert_rejected("count given twice", &env, parse(&env, "-n", "2", "1", "3", NULL));
	assert_rejected("no such process", &env, parse(&env, "-p", "2147483646", NULL));
	assert_rejected("not a non-negative decimal", &env, parse(&env, "-p", "12ab", NULL));
	assert_rejected("unknown key 'latency'", &env, parse(&env, "-s", "latency", NULL));
	assert_rejected("only interval [count]", &env, parse(&env, "1", "2", "3", NULL));
	assert_rejected("interval given twice", &env, parse(&env, "-d", "1", "2", "3", NULL));
	assert_rejected("--vm", &env, parse(&env, "--vm", "", NULL));
	assert_rejected("--keep-exited: 0 is out of range [1, 2147483647]",
			&env, parse(&env, "--keep-exited", "0", NULL));
	assert_rejected("--keep-exited: '-1' is not a non-negative decimal",
			&env, parse(&env, "--keep-exited=-1", NULL));
	assert_rejected("--keep-exited: 'three' is not a non-negative decimal",
			&env, parse(&env, "--keep-exited", "three", NULL));
	assert_rejected("--keep-exited: '3s' is not a non-negative decimal",
			&env, parse(&env, "--keep-exited", "3s", NULL));
	assert_rejected("--keep-exited: empty value", &env,
			parse(&env, "--keep-exited=", NULL));
	assert_rejected("--keep-exited: 2147483648 is out of range", &env,
			parse(&env, "--keep-exited", "2147483648", NULL));
	assert_rejected("--keep-exited: '99999999999999999999' is too large",
			&env, parse(&env, "--keep-exited", "99999999999999999999", NULL));

	/* argp's own errors carry no message of ours but still fail. */
	assert_int_not_equal(parse(&env, "--frobnicate", NULL), 0);
	assert_int_not_equal(parse(&env, "-p", NULL), 0);
	assert_int_not_equal(parse(&env, "--keep-exited", NULL), 0);
}

/* kvm_stat's -c and -L FILE. */
static void test_csv_log(void **state)
{
	struct hv_env env;

	(void)state;
	assert_int_equal(parse(&env, NULL), 0);
	assert_false(env.csv);
	assert_null(env.log_file);
	assert_int_equal(parse(&env, "-c", "-L", "/tmp/hv.csv", "60", NULL), 0);
	assert_true(env.csv);
	assert_string_equal(env.log_file, "/tmp/hv.csv");
	assert_true(env.interval == 60);
	assert_rejected("-c and -j are exclusive", &env,
			parse(&env, "-c", "-j", NULL));
	assert_rejected("-L: empty file name", &env, parse(&env, "-L", "", NULL));
}

/* --help goes to stdout and means "exit 0", not "run" (ARGP_NO_EXIT). */
static void test_help(void **state)
{
	FILE *saved = stdout;
	struct hv_env env;

	(void)state;
	stdout = fopen("/dev/null", "w");
	assert_non_null(stdout);
	assert_int_equal(parse(&env, "--help", NULL), EINTR);
	assert_int_equal(parse(&env, "-j", "-h", NULL), EINTR);
	assert_int_equal(parse(&env, "--usage", NULL), EINTR);
	fclose(stdout);
	stdout = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_interval_count),
		cmocka_unit_test(test_fractional_interval),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_keep_exited),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_csv_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
