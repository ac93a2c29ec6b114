/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every probe module (probe_conv, probe_roles, probe_hvflush) does the
 * same way with its BPF object: load it with tp_btf programs, and when the
 * verifier refuses those, again with their raw_tp twins; attach the
 * programs it chose; say why loading or attaching failed, in one wording
 * for every tool; detach.
 */
#ifndef KVMSCOPE_PROBE_H
#define KVMSCOPE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <bpf/libbpf.h>

/*
 * Opens, selects the programs (tp_btf ones, or their raw_tp twins) and
 * loads one object for @ctx, into *@obj.  Returns 0 or -errno, leaving
 * nothing open.
 */
typedef int (*ks_probe_load_fn)(void *ctx, bool tp_btf,
				struct bpf_object **obj);

/*
 * Loads one object for @ctx, with its optional fentry/fexit programs when
 * @fentry: a ks_probe_load_fn in two tries, see ks_probe_load_fentry().
 */
typedef int (*ks_probe_load_fentry_fn)(void *ctx, bool tp_btf, bool fentry,
				       struct bpf_object **obj);

/*
 * @load with the fentry programs when @want, and when the kernel refuses
 * them, without: fentry needs the function in BTF and a kernel that allows
 * trampolines, which not every host does.  The refusal is expected, so
 * its libbpf log is shown only with -v.
 */
int ks_probe_load_fentry(ks_probe_load_fentry_fn load, void *ctx, bool tp_btf,
			 bool want, struct bpf_object **obj);

/* The links of an object's attached programs. */
#define KS_PROBE_MAX_LINKS 16

struct ks_probe_links {
	struct bpf_link *link[KS_PROBE_MAX_LINKS];
	int nr;
};

/* What every probe module keeps of its object. */
struct ks_probe {
	struct bpf_object *obj;		/* loaded: its programs' stats */
	struct ks_probe_links links;	/* its programs, attached */
	bool raw_retry;			/* tp_btf refused, raw_tp twins loaded */
};

/*
 * @load with tp_btf programs when @tp_btf (the kernel's BTF has the
 * events), else or when they do not load with the raw_tp twins, then
 * attach every program it chose.  Returns 0, or -errno with "<what>:
 * loading BPF programs: <why> (<hint>)" or "<what>: attaching <program>:
 * <why>" in @err and nothing attached; the module then destroys the
 * object, if it was loaded.
 */
int ks_probe_open(struct ks_probe *p, ks_probe_load_fn load, void *ctx,
		  bool tp_btf, const char *what, char *err, size_t err_len);

/* Detach everything: ks_probe_open() undone but for the object. */
void ks_probe_close(struct ks_probe *p);

/*
 * Attach every program of @obj set to load.  Returns 0, or the -errno of
 * the first that did not attach, with "<what>: attaching <program>: <why>"
 * in @err and the others detached again.
 */
int ks_probe_attach(struct bpf_object *obj, struct ks_probe_links *l,
		    const char *what, char *err, size_t err_len);

/* Destroy the links past the first @keep. */
void ks_probe_detach(struct ks_probe_links *l, int keep);

/*
 * Events the kernel did not run @obj's programs for because the program
 * was already running on that CPU (its recursion_misses).  Tracepoints
 * that run their BPF programs preemptibly (7.x) make this happen when a
 * thread is preempted inside a program and another on the same CPU hits
 * the same event.  0 for NULL.
 */
uint64_t ks_probe_missed(const struct bpf_object *obj);

#endif /* KVMSCOPE_PROBE_H */
