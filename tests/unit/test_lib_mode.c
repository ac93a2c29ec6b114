// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tools/lib/mode: classifying a kernel from its tracefs events.  A fake
 * tracefs tree in a temporary directory stands for kernels with and
 * without the series; BTF is the real kernel's (it has no series events,
 * so series mode here is always the raw_tp flavour).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mode.h"

static char root[64];

static void add_event(const char *system, const char *event)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events/%s", root, system);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/events/%s/%s", root, system, event);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
	char path[128];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/kvmscope-mode-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(path, sizeof(path), "%s/events", root);
	mkdir(path, 0755);
	ks_tracefs_root = root;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) ? -1 : 0;
}

static const char *const series[] = { "kvm:series_begin", "kvmmmu:series_zap", NULL };
static const char *const fallback[] = { "kvm:kvm_hypercall", "syscalls:sys_enter_ioctl", NULL };

static void test_none_without_events(void **state)
{
	struct ks_mode m;

	(void)state;
	assert_int_equal(ks_mode_detect(series, fallback, &m), KS_MODE_NONE);
	assert_string_equal(ks_mode_name(m.kind), "none");
	assert_string_equal(m.missing, "kvm:kvm_hypercall");
	assert_non_null(strstr(m.desc, "none: no kvm:kvm_hypercall in tracefs"));
}

static void test_fallback(void **state)
{
	struct ks_mode m;

	(void)state;
	add_event("kvm", "kvm_hypercall");
	add_event("syscalls", "sys_enter_ioctl");
	add_event("kvm", "series_begin");	/* only part of the series */
	assert_int_equal(ks_mode_detect(series, fallback, &m), KS_MODE_FALLBACK);
	assert_string_equal(ks_mode_name(m.kind), "fallback");
	assert_string_equal(m.missing, "kvmmmu:series_zap");
	assert_string_equal(m.desc,
		"fallback: kernel without the kvmscope series (no kvmmmu:series_zap), using upstream events");
	/* No fallback list: missing series is "none", as for roles. */
	assert_int_equal(ks_mode_detect(series, NULL, &m), KS_MODE_NONE);
	assert_non_null(strstr(m.desc, "kvmmmu:series_zap"));
}

static void test_series_without_btf(void **state)
{
	struct ks_mode m;

	(void)state;
	add_event("kvmmmu", "series_zap");
	assert_int_equal(ks_mode_detect(series, fallback, &m), KS_MODE_SERIES);
	assert_true(m.kernel_btf);
	/* Real BTF has no btf_trace_series_begin: raw_tp twins it is. */
	assert_false(m.tp_btf);
	assert_string_equal(m.desc, "series (raw_tp: no BTF for kvm:series_begin)");
}

static void test_tracefs_and_btf_lookups(void **state)
{
	(void)state;
	assert_true(ks_tracefs_has_event("kvm:kvm_hypercall"));
	assert_false(ks_tracefs_has_event("kvm:nope"));
	assert_false(ks_tracefs_has_event("no_colon"));
	/* The host kernel's own BTF: an upstream tracepoint and a made-up one. */
	assert_true(ks_btf_has_tracepoint("sched:sched_switch"));
	assert_false(ks_btf_has_tracepoint("kvm:kvm_vm_set_mem_attributes_begin_nope"));
}

static void test_unreadable_tracefs(void **state)
{
	const char *saved = ks_tracefs_root;
	struct ks_mode m;

	(void)state;
	ks_tracefs_root = "/nonexistent-tracefs";
	assert_int_equal(ks_mode_detect(series, fallback, &m), KS_MODE_NONE);
	ks_tracefs_root = saved;
	assert_int_equal(m.tracefs_errno, ENOENT);
	/* Not "no such event": the reason is tracefs itself. */
	assert_string_equal(m.desc,
		"none: cannot read /nonexistent-tracefs/events: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_without_events),
		cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_series_without_btf),
		cmocka_unit_test(test_tracefs_and_btf_lookups),
		cmocka_unit_test(test_unreadable_tracefs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
