// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmscope-exporter: VM names of any bytes, taken the way the BPF sources
 * take them (ks_store_row_vm(): /proc of a live VMM, else the comm its rows
 * kept), become label values Prometheus accepts.  Live VMMs here are child
 * processes: one renamed with prctl(PR_SET_NAME) to bytes that are not
 * UTF-8, one with a 68-byte Japanese QEMU -name.  The scrape is then
 * checked by promtool, which rejects it whole over one invalid value.
 */
#define _GNU_SOURCE	/* pipe2() */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "kvmscope-exporter/render.h"
#include "kvmscope-exporter/row_vm.h"

/* A pid no process has: the kernel's pid_max is at most 2^22. */
#define GONE_PID	0x7ffffff0
#define FFFD		"\xef\xbf\xbd"
/* 22 three-byte characters after two ASCII ones: 68 bytes. */
#define JP_NAME		"db本番データベース東京リージョン第一仮想計算機"
/* What fits in a 64-byte name without cutting a character: 62 bytes. */
#define JP_NAME_CUT	"db本番データベース東京リージョン第一仮想計"

/*
 * The children die with this process, should an assertion end it before
 * they are reaped.
 */

/* A child that renames itself to @comm, then waits to be killed. */
static pid_t renamed_child(const char *comm)
{
	int fd[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, comm);
		if (write(fd[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fd[1]);
	assert_int_equal(read(fd[0], &c, 1), 1);
	close(fd[0]);
	return pid;
}

/*
 * A child whose command line is a QEMU's with -name @opts: a shell that
 * reads a pipe nobody writes (*@in, open until reap()), with those
 * arguments.  Returns once it has exec'd: the close-on-exec pipe it holds
 * is closed then.
 */
static pid_t qemu_like_child(const char *opts, int *in_fd)
{
	int fd[2], in[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe2(fd, O_CLOEXEC), 0);
	assert_int_equal(pipe(in), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], STDIN_FILENO);
		execl("/bin/sh", "sh", "-c", "read x", "qemu-system-x86_64",
		      "-name", opts, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	close(in[0]);
	*in_fd = in[1];
	assert_int_equal(read(fd[0], &c, 1), 0);
	close(fd[0]);
	return pid;
}

static void reap(pid_t pid, int fd)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (fd >= 0)
		close(fd);
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle)) {
		print_error("exposition lacks '%s'\n", needle);
		fail();
	}
}

/* promtool check metrics on @text; fails the test with its output. */
static void promtool_check(const char *text)
{
	char path[] = "/tmp/kvmscope-names-XXXXXX", cmd[128], out[4096];
	size_t n = 0;
	FILE *p;
	int fd, status;

	if (system("command -v promtool >/dev/null 2>&1"))
		fail_msg("promtool is not installed (lab/deps.sh installs Debian's prometheus)");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics <%s 2>&1", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	status = pclose(p);
	unlink(path);
	if (status) {
		print_error("%s", out);
		fail_msg("promtool check metrics rejects the exposition (status %d)",
			 status);
	}
}

static void test_names_in_exposition(void **state)
{
	pid_t renamed = renamed_child("\xff\xfe\x1b[2J");
	int qemu_in;
	pid_t qemu = qemu_like_child("guest=" JP_NAME ",debug-threads=on",
				     &qemu_in);
	struct ks_render_opts o = {
		.version = "test", .kernel = "k", .mode = "series",
	};
	struct ks_render_extra x = { .bpf_stats_enabled = -1 };
	struct ks_buf b = { 0 };
	struct ks_vm_cache names = { 0 };
	struct ks_store s;
	struct ks_vm *vm;

	(void)state;
	ks_store_init(&s, &names);
	ks_store_begin(&s, 1);
	s.have = KS_HAVE_CONV;
	vm = ks_store_row_vm(&s, NULL, renamed, "ignored");
	assert_non_null(vm);
	vm->conv[KS_DIR_PRIVATE].count = 1;
	vm = ks_store_row_vm(&s, NULL, qemu, NULL);
	assert_non_null(vm);
	vm->conv[KS_DIR_PRIVATE].count = 2;
	/* Gone before its first lookup: the comm its rows kept names it. */
	vm = ks_store_row_vm(&s, "kvm-2147483632", GONE_PID,
			     "\xff\x1b[8m\xe6\x97");
	assert_non_null(vm);
	vm->conv[KS_DIR_PRIVATE].count = 3;
	vm = ks_store_row_vm(&s, "kvm-2147483633", GONE_PID + 1,
			     "q\"e\\m\nu");
	assert_non_null(vm);
	vm->conv[KS_DIR_PRIVATE].count = 4;
	/* A name of other origin, not UTF-8: the writer makes it so. */
	vm = ks_store_vm(&s, "kvm-3");
	assert_non_null(vm);
	strcpy(vm->name, "syn\xc0\xaf");
	vm->conv[KS_DIR_PRIVATE].count = 5;

	assert_int_equal(ks_render(&b, &s, &o, &x), 0);
	assert_false(b.oom);
	assert_contains(b.data, "vm_name=\"" FFFD FFFD "\x1b[2J\"");
	assert_contains(b.data, "vm_name=\"" JP_NAME_CUT "\"");
	assert_contains(b.data, "vm_name=\"" FFFD "\x1b[8m" FFFD FFFD "\"");
	assert_contains(b.data, "vm_name=\"q\\\"e\\\\m\\nu\"");
	assert_contains(b.data, "vm_name=\"syn" FFFD FFFD "\"");
	promtool_check(b.data);

	ks_buf_free(&b);
	ks_store_free(&s);
	ks_vm_cache_free(&names);
	reap(renamed, -1);
	reap(qemu, qemu_in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_in_exposition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
