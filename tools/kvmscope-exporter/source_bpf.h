/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF-backed sources: tdx-trace's conversion and MMU role programs and
 * hvflush-top's FIFO programs, each loaded in the best mode the kernel
 * offers (tp_btf, raw_tp twins, or the upstream-event fallback).  Their
 * maps are read in place, never drained: the kernel's counters are the
 * cumulative values Prometheus wants, and entries of VMs whose VMM exited
 * are deleted once the VM expires (forget).
 */
#ifndef KVMSCOPE_EXPORTER_SOURCE_BPF_H
#define KVMSCOPE_EXPORTER_SOURCE_BPF_H

#include <stddef.h>
#include <sys/types.h>

#include "collector.h"
#include "options.h"
#include "source.h"

/*
 * Each constructor loads and attaches its programs (for env->pid; the
 * conversions with env->mapgpa also the MapGPA latency ones), or returns
 * NULL with the reason in @err (events missing, no privileges, verifier).
 */
struct ks_source *conv_source_new(const struct exporter_env *env, char *err,
				  size_t err_len);
struct ks_source *roles_source_new(const struct exporter_env *env, char *err,
				   size_t err_len);
struct ks_source *hvflush_source_new(const struct exporter_env *env, char *err,
				     size_t err_len);

/*
 * Add every source that attaches; the others are reported with p_info.
 * Sets c->ropts.mode: "series" if all three run on the kvmscope series,
 * else "fallback".  Returns 0, or -ENOENT with @err when none attached.
 */
int ks_bpf_sources_add(struct ks_collector *c, const struct exporter_env *env,
		       char *err, size_t err_len);

#endif /* KVMSCOPE_EXPORTER_SOURCE_BPF_H */
