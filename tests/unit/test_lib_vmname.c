// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tools/lib/vmname: VM names from QEMU command lines, comm, stats ids. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <cmocka.h>

#include "vmname.h"

/* argv given as one string with '|' for the NULs of /proc/<pid>/cmdline. */
static int name_of(const char *argv, char *buf, size_t len)
{
	char cmdline[512];
	size_t n = strlen(argv), i;

	for (i = 0; i <= n; i++)
		cmdline[i] = argv[i] == '|' ? '\0' : argv[i];
	return ks_vm_name_from_cmdline(cmdline, n + 1, buf, len);
}

#define assert_name(argv, expect) do {				\
	char b[64] = "";					\
	assert_int_equal(name_of(argv, b, sizeof(b)), 0);	\
	assert_string_equal(b, expect);				\
} while (0)

static void test_qemu_name_forms(void **state)
{
	(void)state;
	assert_name("qemu-system-x86_64|-m|4G|-name|web1|-smp|2", "web1");
	assert_name("qemu|-name|guest=db,debug-threads=on", "db");
	assert_name("qemu|-name|debug-threads=on,guest=db2", "db2");
	assert_name("qemu|-name|vm1,process=qemu-vm1", "vm1");
	assert_name("qemu|--name|dash", "dash");
	assert_name("qemu|-name|guest=a,,b,debug-threads=on", "a,b");
	assert_name("qemu|-name|x,,y", "x,y");
}

static void test_no_name(void **state)
{
	char b[64] = "untouched";

	(void)state;
	assert_int_equal(name_of("qemu|-m|4G", b, sizeof(b)), -ENOENT);
	assert_int_equal(name_of("qemu|-name", b, sizeof(b)), -ENOENT);
	assert_int_equal(name_of("qemu|-name|debug-threads=on", b, sizeof(b)),
			 -ENOENT);
	assert_int_equal(name_of("selftest|-n|4", b, sizeof(b)), -ENOENT);
	assert_string_equal(b, "untouched");
}

static void test_truncates(void **state)
{
	char b[5];

	(void)state;
	assert_int_equal(name_of("q|-name|abcdefgh", b, sizeof(b)), 0);
	assert_string_equal(b, "abcd");
}

/* 22 three-byte characters after two ASCII ones: 68 bytes. */
#define JP_NAME "db本番データベース東京リージョン第一仮想計算機"
/* What fits in 63 bytes without cutting a character: 62 of them. */
#define JP_NAME_CUT "db本番データベース東京リージョン第一仮想計"
#define FFFD "\xef\xbf\xbd"

/* A name of any bytes is valid UTF-8, cut between characters. */
static void test_name_utf8(void **state)
{
	char big[128];

	(void)state;
	assert_int_equal(strlen(JP_NAME), 68);
	assert_int_equal(name_of("q|-name|guest=" JP_NAME ",debug-threads=on",
				 big, sizeof(big)), 0);
	assert_string_equal(big, JP_NAME);
	assert_name("q|-name|" JP_NAME, JP_NAME_CUT);
	assert_name("q|-name|\xff\xfe", FFFD FFFD);
	/* An overlong "/" and an overlong NUL, byte by byte. */
	assert_name("q|-name|a\xc0\xaf" "b", "a" FFFD FFFD "b");
	assert_name("q|-name|\xe0\x80\x80", FFFD FFFD FFFD);
	assert_name("q|-name|a\x80" "b", "a" FFFD "b");
	assert_name("q|-name|ok\xe6\x97", "ok" FFFD FFFD);
	/* A UTF-16 surrogate (U+D800) is no character either. */
	assert_name("q|-name|\xed\xa0\x80", FFFD FFFD FFFD);
}

static void test_comm_fallback(void **state)
{
	char b[64];

	(void)state;
	assert_int_equal(prctl(PR_SET_NAME, "tdx-vmm-test"), 0);
	assert_int_equal(ks_proc_comm(getpid(), b, sizeof(b)), 0);
	assert_string_equal(b, "tdx-vmm-test");
	/* This process has no -name: its name is its comm. */
	assert_int_equal(ks_vm_name(getpid(), b, sizeof(b)), 0);
	assert_string_equal(b, "tdx-vmm-test");
	assert_int_equal(ks_vm_name(2147483646, b, sizeof(b)), -ENOENT);
	assert_string_equal(b, "?");
}

/* prctl(PR_SET_NAME) takes any bytes; ESC is valid UTF-8 and stays. */
static void test_comm_utf8(void **state)
{
	char b[64];

	(void)state;
	assert_int_equal(prctl(PR_SET_NAME, "\xff\xfe\x1b[2J\xe6\x97"), 0);
	assert_int_equal(ks_proc_comm(getpid(), b, sizeof(b)), 0);
	assert_string_equal(b, FFFD FFFD "\x1b[2J" FFFD FFFD);
	assert_int_equal(ks_vm_name(getpid(), b, sizeof(b)), 0);
	assert_string_equal(b, FFFD FFFD "\x1b[2J" FFFD FFFD);
	/* Too long for @b: cut before the U+FFFD that does not fit. */
	assert_int_equal(ks_proc_comm(getpid(), b, 6), 0);
	assert_string_equal(b, FFFD);
}

static void test_stats_id_pid(void **state)
{
	(void)state;
	assert_int_equal(ks_stats_id_pid("kvm-1234"), 1234);
	assert_int_equal(ks_stats_id_pid("kvm-1"), 1);
	assert_int_equal(ks_stats_id_pid("kvm-"), -1);
	assert_int_equal(ks_stats_id_pid("kvm-0"), -1);
	assert_int_equal(ks_stats_id_pid("kvm-12a"), -1);
	assert_int_equal(ks_stats_id_pid("vm-12"), -1);
	assert_int_equal(ks_stats_id_pid("kvm-1234/vcpu-0"), -1);
	assert_int_equal(ks_stats_id_pid("kvm-99999999999"), -1);
}

static void test_vm_stats_id(void **state)
{
	char buf[64];

	(void)state;
	ks_vm_stats_id(buf, sizeof(buf), "kvm-7", 1234);
	assert_string_equal(buf, "kvm-7");
	/* Fallback-mode rows carry no stats id: KVM's for the VMM's VMs. */
	ks_vm_stats_id(buf, sizeof(buf), "", 1234);
	assert_string_equal(buf, "kvm-1234");
	ks_vm_stats_id(buf, sizeof(buf), NULL, 1234);
	assert_string_equal(buf, "kvm-1234");
	ks_vm_stats_id(buf, sizeof(buf), "kvm-\xff", 1234);
	assert_string_equal(buf, "kvm-" FFFD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_name_forms),
		cmocka_unit_test(test_no_name),
		cmocka_unit_test(test_truncates),
		cmocka_unit_test(test_name_utf8),
		cmocka_unit_test(test_comm_fallback),
		cmocka_unit_test(test_comm_utf8),
		cmocka_unit_test(test_stats_id_pid),
		cmocka_unit_test(test_vm_stats_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
