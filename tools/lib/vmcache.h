/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * VM names by VMM pid, each looked up in /proc once (ks_vm_name()): a
 * refresh of thousands of rows must not read /proc for every row, and a
 * VMM that has exited can still be named by its first lookup.  The one
 * cache of hvflush-top, tdx-trace and the exporter.
 */
#ifndef KVMSCOPE_VMCACHE_H
#define KVMSCOPE_VMCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define KS_VM_CACHE_NAME_LEN	64
/* Past this many VMMs the oldest entries are replaced: bounded memory. */
#define KS_VM_CACHE_MAX		4096

struct ks_vm_cache {
	struct ks_vm_cache_entry {
		pid_t pid;
		bool found;	/* a name from /proc, not the "?" fallback */
		char name[KS_VM_CACHE_NAME_LEN];
	} *v;
	size_t nr, cap, next;	/* next: the entry to replace when full */
	/* What ks_vm_cache_name() returns when it names by the fallback. */
	char fallback[KS_VM_CACHE_NAME_LEN];
};

/* The name /proc gave VMM @pid at its first lookup; NULL if it had exited. */
const char *ks_vm_cache_lookup(struct ks_vm_cache *c, pid_t pid);
/*
 * The name of VMM @pid.  One that exited before its first lookup is named
 * by @fallback, what its rows carry (the comm or the stats id the BPF
 * programs recorded; NULL or "" if none), else "?".  Names are valid UTF-8
 * (utf8.h), @fallback too: the result is a copy of it then, valid until
 * the next call.
 */
const char *ks_vm_cache_name(struct ks_vm_cache *c, pid_t pid,
			     const char *fallback);
/* Drop @pid: its VMM is gone and its rows with it. */
void ks_vm_cache_forget(struct ks_vm_cache *c, pid_t pid);
void ks_vm_cache_free(struct ks_vm_cache *c);

#endif /* KVMSCOPE_VMCACHE_H */
