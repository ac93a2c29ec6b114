// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Whole-map reads of the probes' maps: see mapdump.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "mapdump.h"

/* Room for this many entries first; a walk's batch. */
#define KS_DUMP_FIRST	64

void ks_map_dump_free(struct ks_map_dump *d)
{
	free(d->keys);
	free(d->vals);
	memset(d, 0, sizeof(*d));
}

/*
 * Make room for @want entries, at most max_entries, by doubling.  The
 * buffers follow what the map holds, not what it could hold: hvflush's
 * 16384-row map with a dozen rows is read into a few kB.  Buffers of its
 * capacity (7.8 MB) on every read ended up in glibc's heap once its
 * dynamic mmap threshold rose past that size, and the exporter's RSS
 * grew by 7 MB the first time calloc() cleared a reused one.
 */
static int grow(struct ks_map_dump *d, uint32_t want)
{
	uint32_t cap = d->cap ? d->cap : 1;
	void *k, *v;

	if (want > d->max_entries)
		want = d->max_entries;
	while (cap < want)
		cap = cap > d->max_entries / 2 ? d->max_entries : cap * 2;
	if (cap <= d->cap)
		return 0;
	k = realloc(d->keys, (size_t)cap * d->key_size);
	if (!k)
		return -ENOMEM;
	d->keys = k;
	v = realloc(d->vals, (size_t)cap * d->value_size);
	if (!v)
		return -ENOMEM;
	d->vals = v;
	d->cap = cap;
	return 0;
}

/* One lookup per key: kernels or map types without batch support. */
static int dump_slow(int fd, struct ks_map_dump *d)
{
	char *key = malloc(2 * (size_t)d->key_size), *prev;
	bool first = true;
	int err = 0;

	if (!key)
		return -ENOMEM;
	prev = key + d->key_size;
	while (d->n < d->max_entries &&
	       !bpf_map_get_next_key(fd, first ? NULL : prev, key)) {
		first = false;
		memcpy(prev, key, d->key_size);
		err = grow(d, d->n + 1);
		if (err)
			break;
		/* Deleted since get_next_key: skip it, keep walking from it. */
		if (bpf_map_lookup_elem(fd, key, (char *)d->vals +
					(size_t)d->n * d->value_size))
			continue;
		memcpy((char *)d->keys + (size_t)d->n * d->key_size, key,
		       d->key_size);
		d->n++;
	}
	free(key);
	return err;
}

int ks_map_dump(int fd, struct ks_map_dump *d)
{
	struct bpf_map_info info = {};
	__u32 count, token = 0, len = sizeof(info);
	bool first = true;
	int err;

	memset(d, 0, sizeof(*d));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	d->key_size = info.key_size;
	d->value_size = info.value_size;
	d->max_entries = info.max_entries;
	err = grow(d, KS_DUMP_FIRST);
	while (!err) {
		if (d->n == d->cap) {
			err = grow(d, d->n + 1);
			if (err)
				break;
		}
		count = d->cap - d->n;
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token,
					   (char *)d->keys + (size_t)d->n * d->key_size,
					   (char *)d->vals + (size_t)d->n * d->value_size,
					   &count, NULL);
		if (err)
			err = -errno;
		/*
		 * The next bucket holds more than the room left, and the
		 * token names it: make room, ask again.  At full size,
		 * entries added since the read began are the ones missed.
		 */
		if (err == -ENOSPC && d->cap < d->max_entries) {
			first = false;
			err = grow(d, d->cap + 1);
			continue;
		}
		if (err && err != -ENOENT && err != -ENOSPC) {
			if (first && (err == -EINVAL || err == -ENOTSUP ||
				      err == -EOPNOTSUPP))
				err = dump_slow(fd, d);
			break;
		}
		d->n += count;
		first = false;
		/* ENOENT: that was the last bucket. */
		if (err || d->n >= d->max_entries)
			return 0;
	}
	if (err)
		ks_map_dump_free(d);
	return err;
}

/* Slot by slot: kernels without batch lookups of arrays. */
static int walk_slow(int fd, __u32 max_entries, void *val,
		     ks_array_slot_fn fn, void *ctx)
{
	int err = 0;

	for (__u32 i = 0; i < max_entries && !err; i++) {
		if (bpf_map_lookup_elem(fd, &i, val))
			return -errno;
		err = fn(ctx, i, val);
	}
	return err;
}

int ks_array_walk(int fd, ks_array_slot_fn fn, void *ctx)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), token = 0, count, done = 0;
	__u32 keys[KS_DUMP_FIRST];
	char *vals;
	int err = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_ARRAY)
		return -EINVAL;		/* keys[] holds indexes */
	vals = malloc((size_t)KS_DUMP_FIRST * info.value_size);
	if (!vals)
		return -ENOMEM;
	while (!err && done < info.max_entries) {
		count = KS_DUMP_FIRST;
		if (bpf_map_lookup_batch(fd, done ? &token : NULL, &token, keys,
					 vals, &count, NULL)) {
			err = -errno;
			if (!done && (err == -EINVAL || err == -ENOTSUP ||
				      err == -EOPNOTSUPP)) {
				err = walk_slow(fd, info.max_entries, vals, fn,
						ctx);
				break;
			}
			/* ENOENT: the last slots came with it. */
			if (err != -ENOENT)
				break;
			err = 0;
			done = info.max_entries;
		} else {
			done += count;
		}
		for (__u32 i = 0; i < count && !err; i++)
			err = fn(ctx, keys[i], vals + (size_t)i * info.value_size);
	}
	free(vals);
	return err;
}

int ks_map_drain(int fd, void *key, void *val, ks_map_take_fn fn, void *ctx)
{
	int err;

	while (!bpf_map_get_next_key(fd, NULL, key)) {
		if (bpf_map_lookup_and_delete_elem(fd, key, val))
			return -errno;
		err = fn(ctx, key, val);
		if (err)
			return err;
	}
	return 0;
}

void ks_map_delete_pid(int fd, __u32 pid, size_t pid_off, bool in_value)
{
	struct ks_map_dump d;

	if (ks_map_dump(fd, &d))
		return;
	for (uint32_t i = 0; i < d.n; i++) {
		const char *k = (const char *)d.keys + (size_t)i * d.key_size;
		const char *v = (const char *)d.vals + (size_t)i * d.value_size;
		__u32 kpid;

		memcpy(&kpid, (in_value ? v : k) + pid_off, sizeof(kpid));
		if (kpid == pid)
			bpf_map_delete_elem(fd, k);
	}
	ks_map_dump_free(&d);
}
