// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Loading and attaching a probe module's object: see probe.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "probe.h"

int ks_probe_load(ks_probe_load_fn load, void *ctx, bool tp_btf,
		  bool *retried)
{
	int err;

	*retried = false;
	if (tp_btf) {
		err = load(ctx, true);
		if (!err)
			return 0;
		p_info("tp_btf programs did not load (%s), using raw_tp",
		       strerror(-err));
		*retried = true;
	}
	return load(ctx, false);
}

int ks_probe_attach_prog(struct bpf_program *prog,
			 struct ks_probe_links *links)
{
	struct bpf_link *link;

	if (links->nr == KS_PROBE_MAX_LINKS)
		return -E2BIG;
	link = bpf_program__attach(prog);
	if (!link)
		return -errno;
	links->link[links->nr++] = link;
	return 0;
}

int ks_probe_attach(struct bpf_object *obj, struct ks_probe_links *links,
		    const char **failed)
{
	struct bpf_program *prog;
	int err;

	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog))
			continue;
		*failed = bpf_program__name(prog);
		err = ks_probe_attach_prog(prog, links);
		if (err)
			return err;
	}
	return 0;
}

void ks_probe_detach_to(struct ks_probe_links *links, int keep)
{
	while (links->nr > keep)
		bpf_link__destroy(links->link[--links->nr]);
}

void ks_probe_detach(struct ks_probe_links *links)
{
	ks_probe_detach_to(links, 0);
}

void ks_probe_load_error(char *buf, size_t len, const char *what, int err)
{
	snprintf(buf, len, "%s: loading BPF programs: %s (%s)", what,
		 strerror(-err), err == -EPERM ?
		 "needs root, or CAP_BPF and CAP_PERFMON" :
		 "-v shows the libbpf and verifier log");
}
