// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Map dumps and program stats for the BPF sources: see bpfutil.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "../tdx-trace/runtime.h"
#include "args.h"
#include "bpfutil.h"
#include "vmname.h"

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

int ks_map_dump(const struct bpf_map *map, struct ks_map_dump *d)
{
	int fd = bpf_map__fd(map);
	__u32 count, token = 0;
	bool first = true;
	int err;

	memset(d, 0, sizeof(*d));
	d->key_size = bpf_map__key_size(map);
	d->value_size = bpf_map__value_size(map);
	d->max_entries = bpf_map__max_entries(map);
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

void ks_map_delete_pid(const struct bpf_map *map, __u32 pid, size_t pid_off)
{
	struct ks_map_dump d;

	if (ks_map_dump(map, &d))
		return;
	for (uint32_t i = 0; i < d.n; i++) {
		const char *k = (const char *)d.keys + (size_t)i * d.key_size;
		__u32 kpid;

		memcpy(&kpid, k + pid_off, sizeof(kpid));
		if (kpid == pid)
			bpf_map_delete_elem(bpf_map__fd(map), k);
	}
	ks_map_dump_free(&d);
}

int ks_store_tdx_lost(struct ks_store *s, const char *source,
		      const struct bpf_map *lost, const unsigned int *reasons,
		      size_t n)
{
	uint64_t v[TDX_NR_LOST];
	int err = tdx_read_lost(bpf_map__fd(lost), v);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		ks_store_lost(s, source, tdx_lost_name(reasons[i]),
			      v[reasons[i]]);
	return 0;
}

void ks_load_error(char *err, size_t err_len, const char *source, int e)
{
	snprintf(err, err_len, "%s: loading BPF programs: %s%s", source,
		 strerror(-e), e == -EPERM ? " (needs CAP_BPF and CAP_PERFMON)" :
		 " (-v shows why)");
}

void ks_store_bpf_progs(struct ks_store *s, const char *source,
			const struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		ks_store_prog(s, source, bpf_program__name(prog),
			      info.run_cnt, info.run_time_ns);
	}
}

void ks_vm_id(char *buf, size_t len, const char *stats_id, int pid)
{
	if (stats_id && stats_id[0])
		snprintf(buf, len, "%.*s", KS_VM_ID_LEN - 1, stats_id);
	else
		snprintf(buf, len, "kvm-%d", pid);
}

struct ks_vm *ks_store_row_vm(struct ks_store *s, const char *stats_id,
			      int pid, const char *comm)
{
	bool alive = ks_pid_exists(pid);
	char id[KS_VM_ID_LEN];
	struct ks_vm *vm;

	ks_vm_id(id, sizeof(id), stats_id, pid);
	vm = alive ? ks_store_vm(s, id) : ks_store_gone_vm(s, id);
	if (vm && alive && !vm->name[0]) {
		char name[KS_VM_NAME_LEN];

		if (!ks_vm_name(pid, name, sizeof(name)))
			snprintf(vm->name, sizeof(vm->name), "%s", name);
	} else if (vm && !vm->name[0] && comm) {
		snprintf(vm->name, sizeof(vm->name), "%.*s", TDX_COMM_LEN, comm);
	}
	return vm;
}

void ks_hist_add_kernel(struct ks_hist *h, const __u64 *slots, int n,
			__u64 sum_ns)
{
	uint64_t v[KS_HIST_SLOTS] = { 0 };

	if (n > KS_HIST_SLOTS)
		n = KS_HIST_SLOTS;
	for (int i = 0; i < n; i++)
		v[i] = slots[i];
	ks_hist_add(h, v, n, sum_ns);
}
