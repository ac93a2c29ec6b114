// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What the BPF sources share above the probes: see bpfutil.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "args.h"
#include "bpfutil.h"
#include "mapdump.h"
#include "probe_lost.h"

int ks_store_tdx_lost(struct ks_store *s, const char *source, int lost_fd,
		      const struct bpf_object *obj, const unsigned int *reasons,
		      size_t n)
{
	uint64_t v[TDX_NR_LOST];
	int err = tdx_read_lost(lost_fd, obj, v);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		ks_store_lost(s, source, tdx_lost_name(reasons[i]),
			      v[reasons[i]]);
	return 0;
}

int ks_store_rows(struct ks_store *s, const char *source, const char *map,
		  int fd, ks_store_row_fn add)
{
	struct ks_map_dump d;
	int err;

	err = ks_map_dump(fd, &d);
	if (err)
		return err;
	for (uint32_t i = 0; i < d.n; i++)
		add(s, (const char *)d.keys + (size_t)i * d.key_size,
		    (const char *)d.vals + (size_t)i * d.value_size);
	ks_store_map(s, source, map, d.n, d.max_entries);
	ks_map_dump_free(&d);
	return 0;
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
