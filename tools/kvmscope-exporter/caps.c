// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Privilege drop with the raw capget/capset syscalls: libcap would be one
 * more runtime dependency for two system calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int v = 63;	/* drop them all if we cannot know */

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 63;
		fclose(f);
	}
	return v;
}

int ks_user_lookup(const char *name, struct ks_user *u, char *err,
		   size_t err_len)
{
	struct passwd *pw;
	char *end;

	errno = 0;
	pw = getpwnam(name);
	if (!pw && name[0] >= '0' && name[0] <= '9') {
		unsigned long id = strtoul(name, &end, 10);

		if (!*end && id == (uid_t)id)
			pw = getpwuid(id);
	}
	if (!pw) {
		snprintf(err, err_len, "user '%s': %s", name,
			 errno ? strerror(errno) : "no such user");
		return -ENOENT;
	}
	if (!pw->pw_uid) {
		snprintf(err, err_len,
			 "user '%s' is uid 0: the exporter does not serve as root (--keep-caps does, on purpose)",
			 name);
		return -EPERM;
	}
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 0;
}

int ks_caps_effective(uint64_t *mask)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	*mask = (uint64_t)data[1].effective << 32 | data[0].effective;
	return 0;
}

static int become(const struct ks_user *u)
{
	/* setgroups() first: it needs CAP_SETGID, which setresuid() ends. */
	if (setgroups(0, NULL) || setresgid(u->gid, u->gid, u->gid) ||
	    setresuid(u->uid, u->uid, u->uid))
		return -errno;
	return 0;
}

/* Trust but verify: a silent partial drop would be worse than none. */
static int check_dropped(const struct ks_user *u)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	for (int i = 0; i < 2; i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			return -EPERM;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return -EPERM;
	if (!u)
		return 0;
	if (getresuid(&ruid, &euid, &suid) || getresgid(&rgid, &egid, &sgid))
		return -errno;
	if (ruid != u->uid || euid != u->uid || suid != u->uid ||
	    rgid != u->gid || egid != u->gid || sgid != u->gid ||
	    getgroups(0, NULL) != 0)
		return -EPERM;
	return 0;
}

int ks_drop_privileges(const struct ks_user *u)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	uint64_t eff;
	int err;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	/*
	 * The bounding set needs CAP_SETPCAP, which a CAP_BPF+CAP_PERFMON
	 * deployment does not have; no_new_privs then is what keeps an
	 * execve() from gaining capabilities back.
	 */
	if (!ks_caps_effective(&eff) && (eff & (1ULL << CAP_SETPCAP))) {
		for (int cap = 0, last = last_cap(); cap <= last; cap++)
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
				return -errno;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		return -errno;
	if (u) {
		err = become(u);
		if (err)
			return err;
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return check_dropped(u);
}
