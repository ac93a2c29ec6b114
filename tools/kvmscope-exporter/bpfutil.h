/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the BPF-backed sources share above the probes: reading a map's rows
 * into the store, and the self-metrics every source reports.
 */
#ifndef KVMSCOPE_EXPORTER_BPFUTIL_H
#define KVMSCOPE_EXPORTER_BPFUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>

#include "store.h"

/*
 * The lost-event counters of a tdx object (its per-CPU "lost" map @lost_fd,
 * and the events its programs @obj missed) into the store, for the @n
 * reasons (enum tdx_lost) it can count.  Returns 0 or -errno.
 */
int ks_store_tdx_lost(struct ks_store *s, const char *source, int lost_fd,
		      const struct bpf_object *obj, const unsigned int *reasons,
		      size_t n);

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

#endif /* KVMSCOPE_EXPORTER_BPFUTIL_H */
