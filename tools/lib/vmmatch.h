/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --vm, the same in every kvmscope tool: an fnmatch(3) glob matched
 * against a VM's name (QEMU -name, else the VMM's comm) and against its
 * stats id (kvm-<pid>).  A VM is shown if either matches.
 */
#ifndef KVMSCOPE_VMMATCH_H
#define KVMSCOPE_VMMATCH_H

#include <stdbool.h>
#include <stddef.h>

/* Room for a --vm pattern, its NUL included. */
#define KS_VM_PATTERN_LEN 64

/*
 * Check and copy a --vm argument into @buf (@len bytes): 1 to len - 1
 * characters.  Returns 0, or -EINVAL with @err filled.
 */
int ks_parse_vm_pattern(const char *arg, char *buf, size_t len, char *err,
			size_t err_len);

/* Does @pattern ("" matches every VM) match @name or @stats_id? */
bool ks_vm_match(const char *pattern, const char *name, const char *stats_id);

/*
 * @pattern is a plain stats id ("kvm-1234", no glob characters): a BPF
 * program can compare it with kvm->stats_id in the kernel, which is then
 * the same as ks_vm_match() but for a VM given a -name that looks like
 * another VM's stats id.
 */
bool ks_vm_pattern_is_stats_id(const char *pattern);

#endif /* KVMSCOPE_VMMATCH_H */
