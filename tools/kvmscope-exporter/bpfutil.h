/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Map and program helpers for the BPF-backed sources: whole-map dumps in
 * a few syscalls (a 1024-vCPU VM has thousands of rows, and one lookup per
 * row would dominate the scrape), and the self-metrics every source reports.
 */
#ifndef KVMSCOPE_EXPORTER_BPFUTIL_H
#define KVMSCOPE_EXPORTER_BPFUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>

#include "store.h"

/* Every entry of a hash map: parallel key and value arrays. */
struct ks_map_dump {
	void *keys;
	void *vals;
	uint32_t n;
	uint32_t key_size, value_size, max_entries;
};

/*
 * Read all of @map (not per-CPU) with BPF_MAP_LOOKUP_BATCH, falling back
 * to get_next_key + lookup where batching is unsupported.  Entries deleted
 * or added concurrently may be missed or seen: a snapshot of counters that
 * only grow.  Returns 0 or -errno; free with ks_map_dump_free().
 */
int ks_map_dump(const struct bpf_map *map, struct ks_map_dump *d);
void ks_map_dump_free(struct ks_map_dump *d);

/*
 * Delete every entry of @map (a hash map) whose key holds @pid at byte
 * @pid_off: the rows of a VMM whose VM expired.
 */
void ks_map_delete_pid(const struct bpf_map *map, __u32 pid, size_t pid_off);

/*
 * The lost-event counters of a tdx-trace object (its per-CPU "lost" map)
 * into the store, for the @n reasons (enum tdx_lost) it can count.
 * Returns 0 or -errno.
 */
int ks_store_tdx_lost(struct ks_store *s, const char *source,
		      const struct bpf_map *lost, const unsigned int *reasons,
		      size_t n);

/* "<source>: loading BPF programs: <why>" into @err, with a hint. */
void ks_load_error(char *err, size_t err_len, const char *source, int e);

#define KS_DUMP_KEY(d, type, i) ((const type *)(d)->keys + (i))
#define KS_DUMP_VAL(d, type, i) ((const type *)(d)->vals + (i))

/* Add a kernel log2 histogram (__u64 slots, exact sum) to @h. */
void ks_hist_add_kernel(struct ks_hist *h, const __u64 *slots, int n,
			__u64 sum_ns);

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
