/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TDX_TRACE_CONVERSIONS_H
#define TDX_TRACE_CONVERSIONS_H

#include <stdbool.h>

struct tdx_env;
struct tdx_conv_bpf;
struct bpf_link;

/*
 * The events each program set needs, NULL-terminated, for
 * ks_mode_detect(): the series, or else the upstream fallback.  The
 * MapGPA latency programs (opt-in, both modes) need the third list.
 */
extern const char *const tdx_conv_series_events[];
extern const char *const tdx_conv_fallback_events[];
extern const char *const tdx_conv_mapgpa_events[];

/* Which of tdx_conv.bpf.c's program sets to load. */
enum tdx_conv_progs {
	TDX_PROGS_SERIES_BTF,	/* series events, tp_btf programs */
	TDX_PROGS_SERIES_RAW,	/* series events, raw_tp twins */
	TDX_PROGS_FALLBACK,	/* ioctl tracepoints + spte_changed */
};

/*
 * Set autoload so exactly one program set (plus, with @mapgpa, the MapGPA
 * latency programs) is loaded, and tell the programs whether MapGPA is
 * measured.  Before load.  Used by the tools and by the BPF tests.
 */
void tdx_conv_select_progs(struct tdx_conv_bpf *skel, enum tdx_conv_progs which,
			   bool mapgpa);

/* The links of the attached programs: at most 3 + the 3 MapGPA ones. */
struct tdx_conv_links {
	struct bpf_link *link[6];
	int nr;
};

/*
 * Attach every program tdx_conv_select_progs() chose.  Returns 0, or
 * -errno with *failed naming the program that did not attach (the caller
 * then calls tdx_conv_detach()).
 */
int tdx_conv_attach(struct tdx_conv_bpf *skel, struct tdx_conv_links *links,
		    const char **failed);
void tdx_conv_detach(struct tdx_conv_links *links);

/* "tdx-trace conversions": returns the process exit code. */
int cmd_conversions(const struct tdx_env *env);

#endif /* TDX_TRACE_CONVERSIONS_H */
