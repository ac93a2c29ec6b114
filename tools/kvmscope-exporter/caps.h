/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Dropping privileges once the BPF programs are attached.  After that the
 * exporter only reads maps through the fds it already holds (no capability
 * needed since Linux 6.5 moved the unprivileged_bpf_disabled check into
 * map and program creation), reads /proc, serves on a socket it already
 * listens on and writes the textfile into a directory it already holds
 * open.  So it serves with no capabilities at all, and, when started as
 * root, as an unprivileged user: uid 0 without capabilities still owns
 * /etc, /root and much of the rest, and could rewrite them.
 */
#ifndef KVMSCOPE_EXPORTER_CAPS_H
#define KVMSCOPE_EXPORTER_CAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * nobody's uid and gid where no user database names it: the kernel's
 * default overflow ids, which nobody conventionally has.
 */
#define KS_NOBODY_ID	65534

/* The user to serve as. */
struct ks_user {
	uid_t uid;
	gid_t gid;	/* its primary group, the only one kept */
};

/*
 * Look up the user @name (or a numeric uid) in the user database; done
 * before the drop, as NSS may need what the user cannot read.  uid 0 is
 * refused: serving as root is what the drop is for.  Returns 0, or
 * -ENOENT or -EPERM with a message in @err.
 */
int ks_user_lookup(const char *name, struct ks_user *u, char *err,
		   size_t err_len);

/*
 * Drop privileges for good: set no_new_privs (no execve() can gain any),
 * empty the bounding set (when CAP_SETPCAP allows) and the ambient set;
 * with @u, leave every supplementary group and set the real, effective
 * and saved gid and uid to @u's; then clear the effective, permitted and
 * inheritable capabilities, and check that all of it holds.  @u NULL
 * keeps the current user.  Capabilities and no_new_privs are per thread:
 * call it before starting any thread.  Returns 0 or -errno.
 */
int ks_drop_privileges(const struct ks_user *u);

/* The calling thread's effective capability mask (for checks and tests). */
int ks_caps_effective(uint64_t *mask);

#endif /* KVMSCOPE_EXPORTER_CAPS_H */
