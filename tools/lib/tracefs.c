// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>

#include "tracefs.h"

const char *ks_tracefs_root;

/*
 * Before Linux 4.1 the tracing directory under debugfs was debugfs itself;
 * since, it is a tracefs automounted on first access (statfs does that).
 */
static bool is_tracefs(const char *dir, bool under_debugfs)
{
	struct statfs st;

	if (statfs(dir, &st))
		return false;
	return st.f_type == TRACEFS_MAGIC ||
	       (under_debugfs && st.f_type == DEBUGFS_MAGIC);
}

/*
 * A mount namespace of our own, whose mounts do not propagate back to the
 * host's (on systemd hosts / is a shared mount) while the host's later
 * mounts still reach us: MS_SLAVE, not MS_PRIVATE.
 */
static int mount_private(void)
{
	if (unshare(CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
		return -errno;
	if (mount("tracefs", KS_TRACEFS_MNT, "tracefs", 0, NULL))
		return -errno;
	return 0;
}

const char *ks_tracefs_dir(char *err, size_t len)
{
	static const char *dir;
	static char why[200];
	static int why_errno;
	int r;

	if (ks_tracefs_root)
		return ks_tracefs_root;
	if (!dir && !why_errno) {
		if (is_tracefs(KS_TRACEFS_MNT, false))
			dir = KS_TRACEFS_MNT;
		else if (is_tracefs("/sys/kernel/debug/tracing", true))
			dir = "/sys/kernel/debug/tracing";
		else if (!(r = mount_private()))
			dir = KS_TRACEFS_MNT;
		else if (r == -EPERM) {
			why_errno = EPERM;
			snprintf(why, sizeof(why),
				 "tracefs is not mounted, and mounting it needs CAP_SYS_ADMIN; as root run: mount -t tracefs tracefs %s",
				 KS_TRACEFS_MNT);
		} else {
			why_errno = -r;
			snprintf(why, sizeof(why),
				 "tracefs is not mounted, and mounting it on %s failed: %s; as root run: mount -t tracefs tracefs %s",
				 KS_TRACEFS_MNT, strerror(-r), KS_TRACEFS_MNT);
		}
	}
	if (!dir) {
		snprintf(err, len, "%s", why);
		errno = why_errno;
	}
	return dir;
}
