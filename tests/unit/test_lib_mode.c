// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tools/lib/mode: classifying a kernel from its tracefs events.  A fake
 * tracefs tree in a temporary directory stands for kernels with and
 * without the series; BTF is the real kernel's (it has no series events,
 * so series mode here is always the raw_tp flavour).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "mode.h"
#include "tracefs.h"

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

static const char *const series_events[] = { "kvm:series_begin", "kvmmmu:series_zap", NULL };
static const struct ks_event_set series[] = { { series_events, NULL }, { NULL } };
static const char *const upstream_new[] = { "kvm:kvm_vm_set_mem_attributes", "syscalls:sys_exit_ioctl", NULL };
static const char *const upstream_old[] = { "kvm:kvm_hypercall", "syscalls:sys_enter_ioctl", NULL };
/* Best first: the newer kernel's event, else the ioctl. */
static const struct ks_event_set fallback[] = {
	{ upstream_new, "the new event" },
	{ upstream_old, "the ioctl" },
	{ NULL },
};

static void test_none_without_events(void **state)
{
	struct ks_mode m;

	(void)state;
	assert_int_equal(ks_mode_detect(series, fallback, &m), KS_MODE_NONE);
	assert_string_equal(ks_mode_name(m.kind), "none");
	assert_string_equal(m.missing, "kvm:kvm_hypercall");
	assert_string_equal(m.desc, "no kvm:kvm_hypercall in tracefs (is kvm loaded?)");
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
	assert_int_equal(m.set, 1);
	assert_string_equal(m.missing, "kvmmmu:series_zap");
	assert_string_equal(m.desc,
		"fallback: kernel without the kvmscope series (no kvmmmu:series_zap), using the ioctl");
	/* With the newer event too, the better set wins. */
	add_event("kvm", "kvm_vm_set_mem_attributes");
	add_event("syscalls", "sys_exit_ioctl");
	assert_int_equal(ks_mode_detect(series, fallback, &m), KS_MODE_FALLBACK);
	assert_int_equal(m.set, 0);
	assert_string_equal(m.desc,
		"fallback: kernel without the kvmscope series (no kvmmmu:series_zap), using the new event");
	/* No fallback list: missing series is "none", as for roles. */
	assert_int_equal(ks_mode_detect(series, NULL, &m), KS_MODE_NONE);
	assert_string_equal(m.desc,
		"kernel without the kvmscope series (no kvmmmu:series_zap)");
}

/* How ks_mode_detect() classified, as a child's exit status. */
enum { AS_FALLBACK, AS_RUN_AS_ROOT, AS_SETUP_FAILED, AS_OTHER };

/*
 * ks_mode_detect() in a child running as nobody with only @caps: the
 * fake tracefs (mkdtemp: 0700, root's) is as closed as the real one.
 */
static int detect_as_nobody(uint64_t caps)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {
		{ .effective = (uint32_t)caps, .permitted = (uint32_t)caps },
		{ .effective = caps >> 32, .permitted = caps >> 32 },
	};
	struct ks_mode m;
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_KEEPCAPS, 1) || setgroups(0, NULL) ||
		    setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534) ||
		    syscall(SYS_capset, &hdr, data))
			_exit(AS_SETUP_FAILED);
		ks_mode_detect(series, fallback, &m);
		if (m.kind == KS_MODE_FALLBACK)
			_exit(AS_FALLBACK);
		if (m.tracefs_errno == EACCES && strstr(m.desc, "(run as root)"))
			_exit(AS_RUN_AS_ROOT);
		_exit(AS_OTHER);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * A non-root process with capabilities sees tracefs as its capabilities
 * allow (access() would check as if it had none); without them it is
 * told to run as root.
 */
static void test_capabilities_not_uid(void **state)
{
	(void)state;
	if (geteuid())
		skip();		/* needs to switch users */
	assert_int_equal(detect_as_nobody(1ULL << CAP_DAC_READ_SEARCH |
					  1ULL << CAP_BPF | 1ULL << CAP_PERFMON),
			 AS_FALLBACK);
	assert_int_equal(detect_as_nobody(1ULL << CAP_BPF | 1ULL << CAP_PERFMON),
			 AS_RUN_AS_ROOT);
}

/*
 * Versions of the series, best first: an older one is used, and named on
 * the mode line, until the kernel has every event of the best.
 */
static void test_series_versions(void **state)
{
	static const char *const v2[] = { "kvm:v2_begin", "kvmmmu:v2_zap", NULL };
	static const char *const v1[] = { "kvm:v1_begin", "kvmmmu:v1_zap", NULL };
	static const struct ks_event_set versions[] = {
		{ v2, NULL }, { v1, "the older events" }, { NULL },
	};
	struct ks_mode m;

	(void)state;
	/* Neither: the best version's first missing event is named. */
	assert_int_equal(ks_mode_detect(versions, NULL, &m), KS_MODE_NONE);
	assert_string_equal(m.desc, "kernel without the kvmscope series (no kvm:v2_begin)");
	add_event("kvm", "v1_begin");
	add_event("kvmmmu", "v1_zap");
	assert_int_equal(ks_mode_detect(versions, NULL, &m), KS_MODE_SERIES);
	assert_int_equal(m.set, 1);
	assert_string_equal(m.desc,
		"series (raw_tp: no BTF for kvm:v1_begin), using the older events");
	add_event("kvm", "v2_begin");
	assert_int_equal(ks_mode_detect(versions, NULL, &m), KS_MODE_SERIES);
	assert_int_equal(m.set, 1);
	add_event("kvmmmu", "v2_zap");
	assert_int_equal(ks_mode_detect(versions, NULL, &m), KS_MODE_SERIES);
	assert_int_equal(m.set, 0);
	assert_string_equal(m.desc, "series (raw_tp: no BTF for kvm:v2_begin)");
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
	assert_true(ks_tracefs_has_events(upstream_old));
	assert_true(ks_tracefs_has_events(series_events));
	assert_false(ks_tracefs_has_events((const char *const[]){
		"kvm:kvm_hypercall", "kvm:nope", NULL }));
	assert_true(ks_tracefs_has_events((const char *const[]){ NULL }));
	/* The host kernel's own BTF: an upstream tracepoint and a made-up one. */
	assert_true(ks_btf_has_tracepoint("sched:sched_switch"));
	assert_false(ks_btf_has_tracepoint("kvm:kvm_vm_set_mem_attributes_done_nope"));
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
		"cannot read /nonexistent-tracefs/events: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_without_events),
		cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_capabilities_not_uid),
		cmocka_unit_test(test_series_without_btf),
		cmocka_unit_test(test_tracefs_and_btf_lookups),
		cmocka_unit_test(test_unreadable_tracefs),
		cmocka_unit_test(test_series_versions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
