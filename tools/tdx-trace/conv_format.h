/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Presenting one conversion (struct conv_event): the human line and the
 * JSON object.  JSON field names are stable; scripts and tests rely on them:
 *
 *   type "conversion", ts_ns (CLOCK_MONOTONIC), time (wall clock, seconds
 *   since the epoch), vm (stats id or null), pid, name (VM name), tid,
 *   comm, gpa_start, gpa_end (exclusive), gfn_start, gfn_end, pages,
 *   direction ("private" | "shared"), attributes, duration_ns, zapped_4k,
 *   zapped_2m, zapped_1g, root_walks, yields, yield_flushes, flushes,
 *   noop, ret.  Fields the mode cannot observe are null.
 */
#ifndef TDX_TRACE_CONV_FORMAT_H
#define TDX_TRACE_CONV_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json_writer.h"
#include "conversions.h"

/* "private" when the private attribute is set (shared -> private). */
const char *tdx_dir_name(uint64_t attributes);
enum conv_dir tdx_dir_of(uint64_t attributes);

/* Pages (4K gfns) in [gfn_start, gfn_end); 0 for an empty/inverted range. */
uint64_t tdx_conv_pages(uint64_t gfn_start, uint64_t gfn_end);

/* "kvm-1234" from the event, or "pid:1234" when the mode has no stats id. */
void tdx_conv_vm_label(const struct conv_event *e, char *buf, size_t len);

void tdx_conv_print_header(FILE *f, bool timestamp);

/* @time_str NULL leaves out the time column (no -T). */
void tdx_conv_print_line(FILE *f, const struct conv_event *e,
			 const char *vm_name, const char *time_str);

void tdx_conv_json(json_writer_t *w, const struct conv_event *e,
		   const char *vm_name, double wall);

#endif /* TDX_TRACE_CONV_FORMAT_H */
