/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one reader of the probes' maps: a hash map's whole dump or an
 * array's walk in a few syscalls (a 1024-vCPU VM has thousands of rows,
 * and one lookup per row would dominate a refresh), and deleting the rows
 * of one VMM.
 */
#ifndef KVMSCOPE_PROBE_MAPDUMP_H
#define KVMSCOPE_PROBE_MAPDUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <linux/types.h>

/* Every entry of a hash map: parallel key and value arrays. */
struct ks_map_dump {
	void *keys;
	void *vals;
	uint32_t n;
	uint32_t cap;		/* entries the buffers have room for */
	uint32_t key_size, value_size, max_entries;
};

/*
 * Read all of the map @fd (not per-CPU) with BPF_MAP_LOOKUP_BATCH, falling back
 * to get_next_key + lookup where batching is unsupported.  Entries deleted
 * or added concurrently may be missed or seen: a snapshot of counters that
 * only grow.  The buffers grow with the entries read, not the map's
 * capacity.  Returns 0 or -errno; free with ks_map_dump_free().
 */
int ks_map_dump(int fd, struct ks_map_dump *d);
void ks_map_dump_free(struct ks_map_dump *d);

#define KS_DUMP_KEY(d, type, i) ((const type *)(d)->keys + (i))
#define KS_DUMP_VAL(d, type, i) ((const type *)(d)->vals + (i))

/*
 * Call @fn(@ctx, index, value) for each slot of the array map @fd, in
 * index order, read a few dozen at a time into one small buffer: a
 * reader of a large table (the roles' 768 kB) then allocates nothing of
 * its size.  Stops at @fn's first non-zero return and returns it, else 0
 * or -errno (-EINVAL if @fd is not an array).
 */
typedef int (*ks_array_slot_fn)(void *ctx, __u32 idx, const void *val);
int ks_array_walk(int fd, ks_array_slot_fn fn, void *ctx);

/*
 * Move every entry of the hash map @fd to @fn(@ctx, key, value), which
 * returns 0 or -errno: take the first key and delete it until the map is
 * empty, so entries added meanwhile are taken too, and none twice.  @key
 * and @val are buffers of the map's key and value sizes.  Returns 0 or
 * the first -errno.
 */
typedef int (*ks_map_take_fn)(void *ctx, const void *key, const void *val);
int ks_map_drain(int fd, void *key, void *val, ks_map_take_fn fn, void *ctx);

/*
 * Delete every entry of the hash map @fd whose key (or, @in_value, whose
 * value) holds @pid at byte @pid_off: the rows of a VMM that is gone.
 */
void ks_map_delete_pid(int fd, __u32 pid, size_t pid_off, bool in_value);

#endif /* KVMSCOPE_PROBE_MAPDUMP_H */
