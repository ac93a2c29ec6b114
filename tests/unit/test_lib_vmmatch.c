// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --vm, shared by tdx-trace and hvflush-top: a glob on the VM name or the
 * stats id, and which patterns the BPF programs may compare themselves.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "vmmatch.h"

static void test_match(void **state)
{
	(void)state;
	/* "" is no filter. */
	assert_true(ks_vm_match("", "win10", "kvm-12"));
	/* Either the name or the stats id. */
	assert_true(ks_vm_match("win*", "win10", "kvm-12"));
	assert_true(ks_vm_match("kvm-1?", "win10", "kvm-12"));
	assert_true(ks_vm_match("kvm-12", "win10", "kvm-12"));
	assert_true(ks_vm_match("win10", "win10", "kvm-12"));
	assert_true(ks_vm_match("[vw]in1[0-9]", "win10", "kvm-12"));
	/* Whole strings, not substrings. */
	assert_false(ks_vm_match("win", "win10", "kvm-12"));
	assert_false(ks_vm_match("kvm-1", "win10", "kvm-12"));
	assert_false(ks_vm_match("lin*", "win10", "kvm-12"));
	/* A row may lack either. */
	assert_true(ks_vm_match("kvm-*", NULL, "kvm-12"));
	assert_true(ks_vm_match("win*", "win10", NULL));
	assert_false(ks_vm_match("win*", NULL, NULL));
}

static void test_kernel_comparable(void **state)
{
	(void)state;
	assert_true(ks_vm_pattern_is_stats_id("kvm-1234"));
	/* Globs and names need every VM's rows in userspace. */
	assert_false(ks_vm_pattern_is_stats_id("kvm-*"));
	assert_false(ks_vm_pattern_is_stats_id("kvm-12?"));
	assert_false(ks_vm_pattern_is_stats_id("kvm-[12]"));
	assert_false(ks_vm_pattern_is_stats_id("kvm-1\\2"));
	assert_false(ks_vm_pattern_is_stats_id("win10"));
	assert_false(ks_vm_pattern_is_stats_id("kvm-"));
	assert_false(ks_vm_pattern_is_stats_id("kvm-0"));
	assert_false(ks_vm_pattern_is_stats_id(""));
}

static void test_parse(void **state)
{
	char buf[8], err[128];

	(void)state;
	assert_int_equal(ks_parse_vm_pattern("win*", buf, sizeof(buf), err,
					     sizeof(err)), 0);
	assert_string_equal(buf, "win*");
	assert_int_equal(ks_parse_vm_pattern("1234567", buf, sizeof(buf), err,
					     sizeof(err)), 0);
	assert_int_equal(ks_parse_vm_pattern("12345678", buf, sizeof(buf), err,
					     sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--vm: expected a glob of 1 to 7 characters"));
	assert_int_equal(ks_parse_vm_pattern("", buf, sizeof(buf), err,
					     sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_kernel_comparable),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
