// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Whole-map dumps of the probes' hash maps: see mapdump.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "mapdump.h"

void ks_map_dump_free(struct ks_map_dump *d)
{
	free(d->keys);
	free(d->vals);
	memset(d, 0, sizeof(*d));
}

/* One lookup per key: kernels or map types without batch support. */
static int dump_slow(int fd, struct ks_map_dump *d)
{
	char *k = d->keys, *v = d->vals;
	void *prev = NULL;

	while (d->n < d->max_entries &&
	       !bpf_map_get_next_key(fd, prev, k + (size_t)d->n * d->key_size)) {
		char *key = k + (size_t)d->n * d->key_size;

		prev = key;
		/* Deleted since get_next_key: skip it, keep walking from it. */
		if (bpf_map_lookup_elem(fd, key, v + (size_t)d->n * d->value_size))
			continue;
		d->n++;
	}
	return 0;
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
	d->keys = calloc(d->max_entries, d->key_size);
	d->vals = calloc(d->max_entries, d->value_size);
	if (!d->keys || !d->vals) {
		ks_map_dump_free(d);
		return -ENOMEM;
	}
	for (;;) {
		count = d->max_entries - d->n;
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token,
					   (char *)d->keys + (size_t)d->n * d->key_size,
					   (char *)d->vals + (size_t)d->n * d->value_size,
					   &count, NULL);
		if (err)
			err = -errno;
		if (err && err != -ENOENT) {
			if (first && (err == -EINVAL || err == -ENOTSUP ||
				      err == -EOPNOTSUPP))
				return dump_slow(fd, d);
			ks_map_dump_free(d);
			return err;
		}
		d->n += count;
		first = false;
		/* ENOENT: that was the last bucket. */
		if (err == -ENOENT || d->n >= d->max_entries)
			return 0;
	}
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
