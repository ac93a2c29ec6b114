// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tdx-trace argument parsing, in-process: every path that must end in exit
 * code 2 returns TDX_PARSE_USAGE with a message instead of exiting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tdx-trace/cli.h"
#include "tdx-trace/runtime.h"

#define MAX_ARGS 16

/* Parse a NULL-terminated list of arguments (argv[0] added). */
static enum tdx_parse_result parse(struct tdx_env *env, ...)
{
	char *argv[MAX_ARGS] = { "tdx-trace" };
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, env);
	while ((a = va_arg(ap, char *)) && argc < MAX_ARGS - 1)
		argv[argc++] = a;
	va_end(ap);
	return tdx_parse_args(argc, argv, env);
}

static void test_defaults(void **state)
{
	struct tdx_env env;

	(void)state;
	assert_int_equal(parse(&env, NULL), TDX_PARSE_RUN);
	assert_string_equal(env.cmd->name, "conversions");
	assert_int_equal(env.pid, 0);
	assert_int_equal(env.interval, 0);
	assert_int_equal(env.count, 0);
	assert_int_equal(env.dir, CONV_FILTER_ANY);
	assert_false(env.summary || env.json || env.timestamp || env.verbose);
	assert_false(env.mapgpa);	/* opt-in: it costs every VM entry */
}

static void test_commands_and_positionals(void **state)
{
	struct tdx_env env;

	(void)state;
	assert_int_equal(parse(&env, "conversions", "1", "1", "-j", NULL),
			 TDX_PARSE_RUN);
	assert_string_equal(env.cmd->name, "conversions");
	assert_int_equal(env.interval, 1);
	assert_int_equal(env.count, 1);
	assert_true(env.json);

	assert_int_equal(parse(&env, "roles", "5", NULL), TDX_PARSE_RUN);
	assert_string_equal(env.cmd->name, "roles");
	assert_int_equal(env.interval, 5);
	assert_int_equal(env.count, 0);

	/* Unique prefixes, bpftool style. */
	assert_int_equal(parse(&env, "rol", NULL), TDX_PARSE_RUN);
	assert_string_equal(env.cmd->name, "roles");
	assert_int_equal(parse(&env, "c", "-s", "2", "3", NULL), TDX_PARSE_RUN);
	assert_string_equal(env.cmd->name, "conversions");
	assert_true(env.summary);
	assert_int_equal(env.count, 3);

	/* Fractions of a second, as top and kvm_stat take them. */
	assert_int_equal(parse(&env, "roles", "0.5", "4", NULL), TDX_PARSE_RUN);
	assert_true(env.interval == 0.5);
	assert_int_equal(env.count, 4);
	assert_int_equal(parse(&env, "-s", ".25", NULL), TDX_PARSE_RUN);
	assert_true(env.interval == 0.25);

	/* Interval without a command means conversions. */
	assert_int_equal(parse(&env, "-s", "10", NULL), TDX_PARSE_RUN);
	assert_string_equal(env.cmd->name, "conversions");
	assert_int_equal(env.interval, 10);
}

static void test_filters(void **state)
{
	struct tdx_env env;
	char self[16];

	(void)state;
	snprintf(self, sizeof(self), "%d", getpid());
	assert_int_equal(parse(&env, "-p", self, "--vm", "kvm-77", "--min-us",
			       "250", "--shared", "-T", "-v", NULL),
			 TDX_PARSE_RUN);
	assert_int_equal(env.pid, getpid());
	assert_string_equal(env.vm, "kvm-77");
	assert_int_equal(env.min_us, 250);
	assert_int_equal(env.dir, CONV_FILTER_SHARED);
	assert_true(env.timestamp && env.verbose);
	assert_int_equal(parse(&env, "--private", NULL), TDX_PARSE_RUN);
	assert_int_equal(env.dir, CONV_FILTER_PRIVATE);
	assert_int_equal(parse(&env, "-s", "--mapgpa", NULL), TDX_PARSE_RUN);
	assert_true(env.mapgpa);
	assert_int_equal(parse(&env, "roles", "-p", self, "--vm", "kvm-1", NULL),
			 TDX_PARSE_RUN);
	/* Histogram units as libbpf-tools: nanoseconds unless -u or -m. */
	assert_int_equal(env.unit, KS_UNIT_NSECS);
	assert_int_equal(parse(&env, "-s", "-u", NULL), TDX_PARSE_RUN);
	assert_int_equal(env.unit, KS_UNIT_USECS);
	assert_int_equal(parse(&env, "roles", "-m", NULL), TDX_PARSE_RUN);
	assert_int_equal(env.unit, KS_UNIT_MSECS);
}

/* --vm is a glob on the name or stats id, as in hvflush-top. */
static void test_vm_glob(void **state)
{
	struct tdx_env env;
	char self[32];

	(void)state;
	assert_int_equal(parse(&env, "--vm", "win*", NULL), TDX_PARSE_RUN);
	assert_string_equal(env.vm, "win*");
	/* Only a plain stats id is left to the BPF programs... */
	assert_string_equal(tdx_kernel_vm("kvm-77"), "kvm-77");
	assert_null(tdx_kernel_vm("kvm-7*"));
	assert_null(tdx_kernel_vm("win10"));
	assert_null(tdx_kernel_vm(""));
	/* ... the rest is matched here, on the stats id or the name. */
	assert_true(tdx_vm_wanted("", "kvm-77", 77, NULL));
	assert_true(tdx_vm_wanted("kvm-7*", "kvm-77", 77, NULL));
	assert_false(tdx_vm_wanted("kvm-8*", "kvm-77", 77, NULL));
	/* Rows without a stats id (fallback, MapGPA) are the VMM's VMs. */
	snprintf(self, sizeof(self), "kvm-%d", getpid());
	assert_true(tdx_vm_wanted(self, NULL, getpid(), NULL));
	/* This process has no -name: its comm is the VM name. */
	assert_true(tdx_vm_wanted("test_tdx_cl*", NULL, getpid(), NULL));
	assert_false(tdx_vm_wanted("win*", NULL, getpid(), NULL));
}

/* Each of these is a usage error with a message naming the problem. */
static void expect_usage(const char *needle, ...)
{
	char *argv[MAX_ARGS] = { "tdx-trace" };
	struct tdx_env env;
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, needle);
	while ((a = va_arg(ap, char *)) && argc < MAX_ARGS - 1)
		argv[argc++] = a;
	va_end(ap);
	assert_int_equal(tdx_parse_args(argc, argv, &env), TDX_PARSE_USAGE);
	if (!strstr(env.err, needle)) {
		print_error("'%s' not in '%s'\n", needle, env.err);
		fail();
	}
}

static void test_usage_errors(void **state)
{
	(void)state;
	expect_usage("PID: 'x' is not", "-p", "x", NULL);
	expect_usage("PID: 0 is out of range", "-p", "0", NULL);
	expect_usage("PID 2147483646: no such process", "-p", "2147483646", NULL);
	expect_usage("interval: 0 is out of range", "0", NULL);
	expect_usage("interval: '1s' is not", "1s", NULL);
	expect_usage("interval: 0.0001 is out of range", "0.0001", NULL);
	expect_usage("interval: '1e3' is not", "1e3", NULL);
	expect_usage("count: 0 is out of range", "roles", "1", "0", NULL);
	expect_usage("unexpected argument '3'", "1", "2", "3", NULL);
	expect_usage("unknown command 'frobnicate'", "frobnicate", NULL);
	/* "conversions" after an interval is not a command any more. */
	expect_usage("count: 'conversions' is not", "1", "conversions", NULL);
	expect_usage("--min-us: 'ten' is not", "--min-us", "ten", NULL);
	expect_usage("--min-us: 18446744073709552 is out of range",
		     "--min-us", "18446744073709552", NULL);
	expect_usage("exclusive", "--shared", "--private", NULL);
	expect_usage("-u and -m are exclusive", "-u", "-m", NULL);
	expect_usage("--vm: expected a glob", "--vm", "", NULL);
	expect_usage("only apply to conversions", "roles", "--min-us", "5", NULL);
	expect_usage("only apply to conversions", "roles", "-T", NULL);
	expect_usage("only apply to conversions", "roles", "--private", NULL);
	expect_usage("only apply to conversions", "roles", "--mapgpa", NULL);
}

static void test_argp_errors(void **state)
{
	struct tdx_env env;

	(void)state;
	/* argp reports these itself; the result is still "exit 2". */
	assert_int_equal(parse(&env, "--no-such-option", NULL), TDX_PARSE_USAGE);
	assert_int_equal(parse(&env, "-p", NULL), TDX_PARSE_USAGE);
	assert_int_equal(parse(&env, "-1", NULL), TDX_PARSE_USAGE);
}

static void test_help(void **state)
{
	struct tdx_env env;
	FILE *saved = stdout;

	(void)state;
	/* Help goes to stdout and means "exit 0", not "run". */
	stdout = fopen("/dev/null", "w");
	assert_int_equal(parse(&env, "--help", NULL), TDX_PARSE_EXIT_OK);
	assert_int_equal(parse(&env, "roles", "-h", NULL), TDX_PARSE_EXIT_OK);
	assert_int_equal(parse(&env, "--usage", NULL), TDX_PARSE_EXIT_OK);
	fclose(stdout);
	stdout = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_commands_and_positionals),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_vm_glob),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_argp_errors),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
