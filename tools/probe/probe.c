// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Loading and attaching a probe module's object: see probe.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "probe.h"

/*
 * -EPERM means missing privileges; anything else (-EACCES included) is the
 * verifier or BTF, which -v shows.
 */
static void load_error(char *buf, size_t len, const char *what, int err)
{
	snprintf(buf, len, "%s: loading BPF programs: %s (%s)", what,
		 strerror(-err), err == -EPERM ?
		 "needs root, or CAP_BPF and CAP_PERFMON" :
		 "-v shows the libbpf and verifier log");
}

int ks_probe_load(ks_probe_load_fn load, void *ctx, bool tp_btf,
		  bool *retried, const char *what, char *err, size_t err_len)
{
	int e;

	*retried = false;
	if (tp_btf) {
		e = load(ctx, true);
		if (!e)
			return 0;
		p_info("tp_btf programs did not load (%s), using raw_tp",
		       strerror(-e));
		*retried = true;
	}
	e = load(ctx, false);
	if (e)
		load_error(err, err_len, what, e);
	return e;
}

int ks_probe_attach_prog(struct bpf_program *prog, struct bpf_link **link,
			 int max, int *nr)
{
	if (*nr == max)
		return -E2BIG;
	link[*nr] = bpf_program__attach(prog);
	if (!link[*nr])
		return -errno;
	(*nr)++;
	return 0;
}

int ks_probe_attach(struct bpf_object *obj, struct bpf_link **link, int max,
		    int *nr, const char **failed)
{
	struct bpf_program *prog;
	int err;

	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog))
			continue;
		*failed = bpf_program__name(prog);
		err = ks_probe_attach_prog(prog, link, max, nr);
		if (err)
			return err;
	}
	return 0;
}

void ks_probe_detach(struct bpf_link **link, int *nr, int keep)
{
	while (*nr > keep)
		bpf_link__destroy(link[--*nr]);
}
