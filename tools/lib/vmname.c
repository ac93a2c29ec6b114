// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sizes.h"
#include "utf8.h"
#include "vmname.h"

/* Copy one QemuOpts element at @p into @buf, undoing ",," escapes. */
static const char *opts_element(const char *p, char *buf, size_t buf_len)
{
	size_t n = 0;

	while (*p) {
		if (*p == ',') {
			if (p[1] != ',')
				break;
			p++;	/* ",," is a literal comma */
		}
		if (n + 1 < buf_len)
			buf[n++] = *p;
		p++;
	}
	buf[n] = '\0';
	return *p == ',' ? p + 1 : p;
}

static int name_from_opts(const char *opts, char *buf, size_t buf_len)
{
	char elem[256];		/* longer than any name kept (vmcache.h) */
	const char *p = opts;
	int first = 1;

	while (*p) {
		p = opts_element(p, elem, sizeof(elem));
		if (!strncmp(elem, "guest=", 6)) {
			ks_utf8_copy(buf, buf_len, elem + 6, strlen(elem + 6));
			return 0;
		}
		/* The implied key of -name is "guest". */
		if (first && !strchr(elem, '=') && elem[0]) {
			ks_utf8_copy(buf, buf_len, elem, strlen(elem));
			return 0;
		}
		first = 0;
	}
	return -ENOENT;
}

int ks_vm_name_from_cmdline(const char *cmdline, size_t len, char *buf,
			    size_t buf_len)
{
	const char *p = cmdline, *end = cmdline + len;

	while (p < end) {
		size_t arg_len = strnlen(p, end - p);
		const char *next = p + arg_len + 1;

		if ((!strcmp(p, "-name") || !strcmp(p, "--name")) && next < end)
			return name_from_opts(next, buf, buf_len);
		p = next;
	}
	return -ENOENT;
}

static ssize_t read_proc(pid_t pid, const char *file, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

int ks_proc_comm(pid_t pid, char *buf, size_t buf_len)
{
	char comm[32];
	ssize_t n = read_proc(pid, "comm", comm, sizeof(comm));

	if (n < 0)
		return n;
	comm[strcspn(comm, "\n")] = '\0';
	ks_utf8_copy(buf, buf_len, comm, n);
	return 0;
}

int ks_vm_name(pid_t pid, char *buf, size_t buf_len)
{
	char cmdline[8192];
	ssize_t n = read_proc(pid, "cmdline", cmdline, sizeof(cmdline));

	if (n > 0 && !ks_vm_name_from_cmdline(cmdline, n, buf, buf_len))
		return 0;
	if (!ks_proc_comm(pid, buf, buf_len))
		return 0;
	snprintf(buf, buf_len, "?");
	return -ENOENT;
}

pid_t ks_stats_id_pid(const char *stats_id)
{
	long v = 0;
	const char *p;

	if (strncmp(stats_id, "kvm-", 4) || !stats_id[4])
		return -1;
	for (p = stats_id + 4; *p; p++) {
		if (*p < '0' || *p > '9' || v > INT_MAX / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v > 0 ? (pid_t)v : -1;
}

void ks_vm_stats_id(char *buf, size_t len, const char *stats_id, pid_t pid)
{
	if (stats_id && stats_id[0])
		ks_utf8_copy(buf, len, stats_id, KS_STATS_ID_LEN - 1);
	else
		snprintf(buf, len, "kvm-%d", pid);
}
