/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the BPF-backed sources share above the probes: the self-metrics
 * every source reports, and the store's VM of a row.
 */
#ifndef KVMSCOPE_EXPORTER_BPFUTIL_H
#define KVMSCOPE_EXPORTER_BPFUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>

#include "store.h"

/*
 * The lost-event counters of a tdx object (its per-CPU "lost" map @lost_fd)
 * into the store, for the @n reasons (enum tdx_lost) it can count.
 * Returns 0 or -errno.
 */
int ks_store_tdx_lost(struct ks_store *s, const char *source, int lost_fd,
		      const unsigned int *reasons, size_t n);

/* Adds one map entry to the store. */
typedef void (*ks_store_row_fn)(struct ks_store *s, const void *key,
				const void *val);

/*
 * Every entry of the hash map @fd through @add, and how full the map is
 * (kvmscope_bpf_map_fill_ratio of @map in @source).  Returns 0 or -errno.
 */
int ks_store_rows(struct ks_store *s, const char *source, const char *map,
		  int fd, ks_store_row_fn add);

/* kvmscope_bpf_prog_*: run count and time of every loaded program. */
void ks_store_bpf_progs(struct ks_store *s, const char *source,
			const struct bpf_object *obj);

/* The VM id of a row: its stats_id, else "kvm-<pid>" (fallback mode). */
void ks_vm_id(char *buf, size_t len, const char *stats_id, int pid);

/*
 * The store's VM for a row of VMM process @pid: live while the process
 * exists, gone (exported for the grace period, then forgotten) once it
 * exited.  Looks the VM's name up once, while the process is there; a VMM
 * gone before that is named by @comm, its comm as the BPF programs kept it
 * (NULL if the row has none).  NULL on ENOMEM.
 */
struct ks_vm *ks_store_row_vm(struct ks_store *s, const char *stats_id,
			      int pid, const char *comm);

#endif /* KVMSCOPE_EXPORTER_BPFUTIL_H */
