// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Loading and attaching a probe module's object: see probe.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

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

/* The tp_btf programs, else or when refused their raw_tp twins. */
static int load_twins(struct ks_probe *p, ks_probe_load_fn load, void *ctx,
		      bool tp_btf, const char *what, char *err, size_t err_len)
{
	int e;

	if (tp_btf) {
		e = load(ctx, true, &p->obj);
		if (!e)
			return 0;
		p_info("tp_btf programs did not load (%s), using raw_tp",
		       strerror(-e));
		p->raw_retry = true;
	}
	e = load(ctx, false, &p->obj);
	if (e)
		load_error(err, err_len, what, e);
	return e;
}

int ks_probe_open(struct ks_probe *p, ks_probe_load_fn load, void *ctx,
		  bool tp_btf, const char *what, char *err, size_t err_len)
{
	int e;

	memset(p, 0, sizeof(*p));
	e = load_twins(p, load, ctx, tp_btf, what, err, err_len);
	if (!e)
		e = ks_probe_attach(p->obj, &p->links, what, err, err_len);
	return e;
}

int ks_probe_load_fentry(ks_probe_load_fentry_fn load, void *ctx, bool tp_btf,
			 bool want, struct bpf_object **obj)
{
	libbpf_print_fn_t saved = NULL;
	int err;

	if (want) {
		if (!ks_verbose)
			saved = libbpf_set_print(NULL);
		err = load(ctx, tp_btf, true, obj);
		if (!ks_verbose)
			libbpf_set_print(saved);
		if (!err)
			return 0;
	}
	return load(ctx, tp_btf, false, obj);
}

void ks_probe_close(struct ks_probe *p)
{
	ks_probe_detach(&p->links, 0);
	p->obj = NULL;
}

static int attach_prog(struct bpf_program *prog, struct ks_probe_links *l)
{
	if (l->nr == KS_PROBE_MAX_LINKS)
		return -E2BIG;
	l->link[l->nr] = bpf_program__attach(prog);
	if (!l->link[l->nr])
		return -errno;
	l->nr++;
	return 0;
}

int ks_probe_attach(struct bpf_object *obj, struct ks_probe_links *l,
		    const char *what, char *err, size_t err_len)
{
	struct bpf_program *prog;
	int keep = l->nr, e;

	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog))
			continue;
		e = attach_prog(prog, l);
		if (e == -E2BIG) {
			snprintf(err, err_len, "%s: attaching %s: more than %d programs",
				 what, bpf_program__name(prog), KS_PROBE_MAX_LINKS);
			ks_probe_detach(l, keep);
			return e;
		}
		if (e) {
			snprintf(err, err_len, "%s: attaching %s: %s", what,
				 bpf_program__name(prog), strerror(-e));
			ks_probe_detach(l, keep);
			return e;
		}
	}
	return 0;
}

uint64_t ks_probe_missed(const struct bpf_object *obj)
{
	struct bpf_program *prog;
	uint64_t missed = 0;

	if (!obj)
		return 0;
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			missed += info.recursion_misses;
	}
	return missed;
}

void ks_probe_detach(struct ks_probe_links *l, int keep)
{
	while (l->nr > keep)
		bpf_link__destroy(l->link[--l->nr]);
}
