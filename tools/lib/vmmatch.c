// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "sizes.h"
#include "vmmatch.h"
#include "vmname.h"

int ks_parse_vm_pattern(const char *arg, char *buf, size_t len, char *err,
			size_t err_len)
{
	if (!arg[0] || strlen(arg) >= len) {
		snprintf(err, err_len,
			 "--vm: expected a glob of 1 to %zu characters on the VM name or stats id",
			 len - 1);
		return -EINVAL;
	}
	strcpy(buf, arg);
	return 0;
}

bool ks_vm_match(const char *pattern, const char *name, const char *stats_id)
{
	if (!pattern[0])
		return true;
	return (name && !fnmatch(pattern, name, 0)) ||
	       (stats_id && !fnmatch(pattern, stats_id, 0));
}

bool ks_vm_pattern_is_stats_id(const char *pattern)
{
	return strlen(pattern) < KS_STATS_ID_LEN &&
	       !strpbrk(pattern, "*?[\\") && ks_stats_id_pid(pattern) > 0;
}
