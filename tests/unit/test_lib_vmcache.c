// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tools/lib/vmcache.c: names by pid, looked up once, comm fallback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmcache.h"
#include "vmname.h"

/* A pid no process has: the kernel's pid_max is at most 2^22. */
#define GONE_PID 0x7ffffff0

static void test_live_process(void **state)
{
	struct ks_vm_cache c = {};
	char want[KS_VM_CACHE_NAME_LEN];
	const char *first;

	(void)state;
	assert_int_equal(ks_vm_name(getpid(), want, sizeof(want)), 0);
	first = ks_vm_cache_name(&c, getpid(), "ignored");
	assert_string_equal(first, want);
	/* Looked up once: the same entry the second time. */
	assert_ptr_equal(ks_vm_cache_name(&c, getpid(), NULL), first);
	assert_ptr_equal(ks_vm_cache_lookup(&c, getpid()), first);
	assert_int_equal(c.nr, 1);
	ks_vm_cache_forget(&c, getpid());
	assert_int_equal(c.nr, 0);
	ks_vm_cache_free(&c);
}

static void test_gone_process(void **state)
{
	struct ks_vm_cache c = {};

	(void)state;
	assert_string_equal(ks_vm_cache_name(&c, GONE_PID, "qemu-kvm"),
			    "qemu-kvm");
	assert_string_equal(ks_vm_cache_name(&c, GONE_PID, NULL), "?");
	assert_string_equal(ks_vm_cache_name(&c, GONE_PID, ""), "?");
	assert_null(ks_vm_cache_lookup(&c, GONE_PID));
	ks_vm_cache_free(&c);
	assert_null(c.v);
}

/* The comm a BPF program kept is any bytes: named in valid UTF-8. */
static void test_gone_process_utf8(void **state)
{
	struct ks_vm_cache c = {};

	(void)state;
	assert_string_equal(ks_vm_cache_name(&c, GONE_PID, "\xff\xfe\x1b[2J"),
			    "\xef\xbf\xbd\xef\xbf\xbd\x1b[2J");
	/* The kernel cut a comm in a character: its head is no character. */
	assert_string_equal(ks_vm_cache_name(&c, GONE_PID, "qemu-\xe6\x97"),
			    "qemu-\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(ks_vm_cache_name(&c, GONE_PID, "ok-\xe6\x97\xa5"),
			    "ok-\xe6\x97\xa5");
	ks_vm_cache_free(&c);
}

static void test_bounded(void **state)
{
	struct ks_vm_cache c = {};

	(void)state;
	for (int i = 0; i < KS_VM_CACHE_MAX + 10; i++)
		ks_vm_cache_name(&c, GONE_PID - 1 - i, NULL);
	assert_int_equal(c.nr, KS_VM_CACHE_MAX);
	ks_vm_cache_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_process),
		cmocka_unit_test(test_gone_process),
		cmocka_unit_test(test_gone_process_utf8),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
