/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A source of aggregates: the BPF programs of tdx-trace or hvflush-top, or
 * a synthetic stand-in for tests and benchmarks.  The collector knows
 * sources only through this interface, so everything above it (store,
 * rendering, HTTP, textfile) runs the same on synthetic map contents.
 */
#ifndef KVMSCOPE_EXPORTER_SOURCE_H
#define KVMSCOPE_EXPORTER_SOURCE_H

#include "store.h"

struct ks_source {
	const char *name;	/* "tdx", "hvflush", "synthetic": a label value */
	const char *mode;	/* "series", "fallback" or "synthetic" */
	const char *detail;	/* the mode in a line: what it uses, or NULL */
	unsigned int have;	/* KS_HAVE_* families it fills */
	/*
	 * Add the current map contents of every live VM to @store (via
	 * ks_store_vm()), and its self stats, named by src->name.  VMs whose
	 * VMM is gone must not be touched, so they age out.  @store is the
	 * source's own (store.h): what it holds is exported only if this
	 * returns 0, else the last good values stay.  Returns 0 or -errno.
	 */
	int (*collect)(struct ks_source *src, struct ks_store *store);
	/*
	 * @vm expired: drop whatever is kept for it (the map entries of its
	 * VMM, vm->pid).
	 */
	void (*forget)(struct ks_source *src, const struct ks_vm *vm);
	void (*destroy)(struct ks_source *src);
};

#endif /* KVMSCOPE_EXPORTER_SOURCE_H */
