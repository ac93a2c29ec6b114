/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TDX_TRACE_CONVERSIONS_H
#define TDX_TRACE_CONVERSIONS_H

#include <stdbool.h>

struct tdx_env;
struct tdx_conv_bpf;

/* Which of tdx_conv.bpf.c's program sets to load. */
enum tdx_conv_progs {
	TDX_PROGS_SERIES_BTF,	/* series events, tp_btf programs */
	TDX_PROGS_SERIES_RAW,	/* series events, raw_tp twins */
	TDX_PROGS_FALLBACK,	/* ioctl tracepoints + spte_changed */
};

/*
 * Set autoload so exactly one program set (plus, with @mapgpa, the MapGPA
 * latency programs) is loaded.  Used by the tool and by the BPF tests.
 */
void tdx_conv_select_progs(struct tdx_conv_bpf *skel, enum tdx_conv_progs which,
			   bool mapgpa);

/* "tdx-trace conversions": returns the process exit code. */
int cmd_conversions(const struct tdx_env *env);

#endif /* TDX_TRACE_CONVERSIONS_H */
