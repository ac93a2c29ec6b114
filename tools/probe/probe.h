/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every probe module (probe_conv, probe_roles, probe_hvflush) does the
 * same way with its BPF object: load it with tp_btf programs, and when the
 * verifier refuses those, again with their raw_tp twins; attach the
 * programs it chose; say why loading failed, in one wording for every tool.
 */
#ifndef KVMSCOPE_PROBE_H
#define KVMSCOPE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <bpf/libbpf.h>

/*
 * Opens, selects the programs (tp_btf ones, or their raw_tp twins) and
 * loads one object into @ctx.  Returns 0 or -errno, leaving nothing open.
 */
typedef int (*ks_probe_load_fn)(void *ctx, bool tp_btf);

/*
 * @load with tp_btf programs when @tp_btf (the kernel's BTF has the
 * events), else or when they do not load with the raw_tp twins; *@retried
 * says the tp_btf ones were refused.  Returns 0, or the last -errno with
 * "<what>: loading BPF programs: <why> (<hint>)" in @err.
 */
int ks_probe_load(ks_probe_load_fn load, void *ctx, bool tp_btf,
		  bool *retried, const char *what, char *err, size_t err_len);

/*
 * The links of an object's attached programs live in the module's array
 * @link of @max, *@nr of them in use.
 */

/* Attach @prog as link[*nr].  Returns 0 or -errno. */
int ks_probe_attach_prog(struct bpf_program *prog, struct bpf_link **link,
			 int max, int *nr);

/*
 * Attach every program of @obj set to load.  Returns 0, or -errno with
 * @failed naming the program that did not attach (the caller then
 * detaches what did).
 */
int ks_probe_attach(struct bpf_object *obj, struct bpf_link **link, int max,
		    int *nr, const char **failed);

/* Destroy the links past the first @keep. */
void ks_probe_detach(struct bpf_link **link, int *nr, int keep);

#endif /* KVMSCOPE_PROBE_H */
