/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The store's VM of a kernel row: which VM (its stats id), whose (its VMM
 * process), whether it is live (its VMM runs) and its name, the same way
 * for every BPF source: the one place a row becomes a VM.
 */
#ifndef KVMSCOPE_EXPORTER_ROW_VM_H
#define KVMSCOPE_EXPORTER_ROW_VM_H

#include "store.h"

/*
 * The store's VM for a row of VMM process @pid with @stats_id (NULL or ""
 * if the row has none: "kvm-<pid>" then).  KVM names a VM after the
 * thread that created it, not always the process's main thread: the VM
 * records @pid (vm->pid), and its liveness, name and expiry (the sources'
 * forget) go by @pid, never by the id.  Live while the process exists,
 * gone (exported for the grace period, then forgotten) once it exited.  Named
 * from the store's name cache (if it has one), looked up once per VMM; a
 * VMM gone before that is named by @comm, its comm as the BPF programs
 * kept it (NULL if the row has none).  NULL on ENOMEM.
 */
struct ks_vm *ks_store_row_vm(struct ks_store *s, const char *stats_id,
			      int pid, const char *comm);

#endif /* KVMSCOPE_EXPORTER_ROW_VM_H */
