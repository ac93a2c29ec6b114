// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>

#include "conv_format.h"
#include "runtime.h"
#include "termtext.h"
#include "utf8.h"

enum conv_dir tdx_dir_of(uint64_t attributes)
{
	return attributes & CONV_ATTR_PRIVATE ? CONV_DIR_PRIVATE : CONV_DIR_SHARED;
}

const char *tdx_dir_name(uint64_t attributes)
{
	return tdx_dir_of(attributes) == CONV_DIR_PRIVATE ? "private" : "shared";
}

uint64_t tdx_conv_pages(uint64_t gfn_start, uint64_t gfn_end)
{
	return gfn_end > gfn_start ? gfn_end - gfn_start : 0;
}

void tdx_conv_vm_label(const struct conv_event *e, char *buf, size_t len)
{
	tdx_vm_label(buf, len, e->valid & CONV_F_VM ? e->stats_id : "", e->pid);
}

void tdx_conv_print_header(FILE *f, bool timestamp)
{
	if (timestamp)
		fprintf(f, "%-12s ", "TIME");
	fprintf(f, "%-16s %-16s %-7s %-27s %8s %-7s %10s %6s %5s %4s %5s %4s %4s\n",
		"VM", "NAME", "TID", "GPA", "PAGES", "DIR", "DUR(us)", "4K",
		"2M", "1G", "FLUSH", "NOOP", "RET");
}

void tdx_conv_print_line(FILE *f, const struct conv_event *e,
			 const char *vm_name, const char *time_str)
{
	char vm[KS_STATS_ID_LEN + 8], name[KS_TERM_LEN(16)], gpa[40],
	     flushes[12];
	const char *noop = "-";

	tdx_conv_vm_label(e, vm, sizeof(vm));
	snprintf(gpa, sizeof(gpa), "%#llx-%#llx",
		 (unsigned long long)e->gfn_start << CONV_PAGE_SHIFT,
		 (unsigned long long)e->gfn_end << CONV_PAGE_SHIFT);
	snprintf(flushes, sizeof(flushes), "-");
	if (e->valid & CONV_F_FLUSHES)
		snprintf(flushes, sizeof(flushes), "%u", e->flushes);
	if (e->valid & CONV_F_NOOP)
		noop = e->noop ? "yes" : "no";

	if (time_str)
		fprintf(f, "%-12s ", time_str);
	fprintf(f, "%-16s %s %-7u %-27s %8llu %-7s %10.1f ", vm,
		ks_term_name(name, sizeof(name), vm_name, 16), e->tid, gpa,
		(unsigned long long)tdx_conv_pages(e->gfn_start, e->gfn_end),
		tdx_dir_name(e->attributes), (double)e->duration_ns / 1000.0);
	if (e->valid & CONV_F_ZAPPED)
		fprintf(f, "%6u %5u %4u", e->zapped[0], e->zapped[1],
			e->zapped[2]);
	else
		fprintf(f, "%6s %5s %4s", "-", "-", "-");
	fprintf(f, " %5s %4s %4d\n", flushes, noop, e->ret);
}

static void uint_or_null(json_writer_t *w, const char *name, bool valid,
			 uint64_t v)
{
	if (valid)
		jsonw_uint_field(w, name, v);
	else
		jsonw_null_field(w, name);
}

void tdx_conv_json(json_writer_t *w, const struct conv_event *e,
		   const char *vm_name, double wall)
{
	bool zapped = e->valid & CONV_F_ZAPPED, fl = e->valid & CONV_F_FLUSHES;
	char comm[KS_UTF8_COPY_LEN(TDX_COMM_LEN)];

	jsonw_start_object(w);
	jsonw_string_field(w, "type", "conversion");
	jsonw_uint_field(w, "ts_ns", e->ts_ns);
	jsonw_float_field(w, "time", wall);
	tdx_json_vm(w, e->valid & CONV_F_VM ? e->stats_id : "", e->pid, vm_name);
	jsonw_uint_field(w, "tid", e->tid);
	/* The thread's comm as the kernel had it: any bytes, maybe no NUL. */
	ks_utf8_copy(comm, sizeof(comm), e->comm, TDX_COMM_LEN);
	jsonw_string_field(w, "comm", comm);
	jsonw_uint_field(w, "gpa_start", e->gfn_start << CONV_PAGE_SHIFT);
	jsonw_uint_field(w, "gpa_end", e->gfn_end << CONV_PAGE_SHIFT);
	jsonw_uint_field(w, "gfn_start", e->gfn_start);
	jsonw_uint_field(w, "gfn_end", e->gfn_end);
	jsonw_uint_field(w, "pages", tdx_conv_pages(e->gfn_start, e->gfn_end));
	jsonw_string_field(w, "direction", tdx_dir_name(e->attributes));
	jsonw_uint_field(w, "attributes", e->attributes);
	jsonw_uint_field(w, "duration_ns", e->duration_ns);
	uint_or_null(w, "zapped_4k", zapped, e->zapped[0]);
	uint_or_null(w, "zapped_2m", zapped, e->zapped[1]);
	uint_or_null(w, "zapped_1g", zapped, e->zapped[2]);
	uint_or_null(w, "root_walks", fl, e->root_walks);
	uint_or_null(w, "yields", fl, e->yields);
	uint_or_null(w, "yield_flushes", fl, e->yield_flushes);
	uint_or_null(w, "flushes", fl, e->flushes);
	if (e->valid & CONV_F_NOOP)
		jsonw_bool_field(w, "noop", e->noop);
	else
		jsonw_null_field(w, "noop");
	jsonw_int_field(w, "ret", e->ret);
	jsonw_end_object(w);
}
