// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include <string.h>

#include "hist.h"
#include "report.h"
#include "termtext.h"

const char hv_fallback_note[] =
	"per-vCPU flush latency needs the kvmscope kernel series "
	"(its Hyper-V TLB flush FIFO events): showing hypercall rates only";

/* The table: titles and cells share these widths. */
#define CELL_MAX	14	/* the widest left-aligned column's */
enum { COL_VM, COL_PID, COL_VCPU, COL_FIFO, COL_RATE, COL_P50, COL_P99,
       COL_MAX, COL_PEND, COL_OVFL, NR_COLS };

static const struct column {
	const char *title;
	int width;
	bool left;
} columns[NR_COLS] = {
	[COL_VM]   = { "VM", CELL_MAX, true },
	[COL_PID]  = { "PID", 7, false },
	[COL_VCPU] = { "VCPU", 4, false },
	[COL_FIFO] = { "FIFO", 4, true },
	[COL_RATE] = { "ENQ/s", 8, false },
	[COL_P50]  = { "P50", 7, false },
	[COL_P99]  = { "P99", 7, false },
	[COL_MAX]  = { "MAX", 7, false },
	[COL_PEND] = { "PEND", 5, false },
	[COL_OVFL] = { "OVFL", 5, false },
};

static const int sort_columns[HV_NR_SORTS] = {
	[HV_SORT_RATE] = COL_RATE,
	[HV_SORT_P99] = COL_P99,
	[HV_SORT_MAX] = COL_MAX,
	[HV_SORT_OVERFLOW] = COL_OVFL,
};

/*
 * Columns separated by one space, cut to their width.  Left-aligned cells
 * may hold a VM's name: escaped, and cut between characters.
 */
static void join_cells(char *buf, size_t len, const char *const cells[NR_COLS])
{
	char cell[KS_TERM_LEN(CELL_MAX)];
	size_t off = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 0; i < NR_COLS && off < len; i++) {
		const struct column *c = &columns[i];

		if (c->left)
			n = snprintf(buf + off, len - off, "%s%s", i ? " " : "",
				     ks_term_name(cell, sizeof(cell), cells[i],
						  c->width));
		else
			n = snprintf(buf + off, len - off, "%s%*.*s",
				     i ? " " : "", c->width, c->width,
				     cells[i]);
		if (n < 0)
			return;
		off += n;
	}
	/* Left-aligned last columns would leave trailing blanks. */
	while (off > 0 && off < len && buf[off - 1] == ' ')
		buf[--off] = '\0';
}

void hv_format_ns(char *buf, size_t len, double ns)
{
	if (isnan(ns))
		snprintf(buf, len, "-");
	else if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

void hv_format_columns(char *buf, size_t len)
{
	const char *cells[NR_COLS];
	int i;

	for (i = 0; i < NR_COLS; i++)
		cells[i] = columns[i].title;
	join_cells(buf, len, cells);
}

void hv_sort_column(enum hv_sort sort, int *start, int *width)
{
	int i, col = sort_columns[sort < HV_NR_SORTS ? sort : HV_SORT_RATE];

	*start = 0;
	for (i = 0; i < col; i++)
		*start += columns[i].width + 1;
	*width = columns[col].width;
}

void hv_format_row(char *buf, size_t len, const struct hv_row *row)
{
	char pid[16], vcpu[16], rate[16], p50[16], p99[16], max[16],
	     pend[24], ovfl[24];
	const char *cells[NR_COLS] = {
		row->name, pid, vcpu, hv_fifo_name(row->key.fifo), rate,
		p50, p99, max, pend, ovfl,
	};

	snprintf(pid, sizeof(pid), "%d", row->pid);
	snprintf(vcpu, sizeof(vcpu), "%d", row->key.vcpu_id);
	snprintf(rate, sizeof(rate), "%.1f", row->enqueue_rate);
	hv_format_ns(p50, sizeof(p50), row->p50_ns);
	hv_format_ns(p99, sizeof(p99), row->p99_ns);
	hv_format_ns(max, sizeof(max), row->has_max ? (double)row->max_ns : NAN);
	/* A gone VM has nothing pending now: the cell says it is gone. */
	if (row->exited)
		snprintf(pend, sizeof(pend), "exit");
	else
		snprintf(pend, sizeof(pend), "%llu",
			 (unsigned long long)row->pending);
	snprintf(ovfl, sizeof(ovfl), "%llu", (unsigned long long)row->overflows);
	join_cells(buf, len, cells);
}

/* The glob escaped too: the header line has room for a plain one. */
#define FILTER_VM_LEN	(HV_NAME_LEN + 32)

static void format_filter(char *buf, size_t len, const struct hv_filter *f)
{
	char vm[FILTER_VM_LEN];

	ks_term_name(vm, sizeof(vm), f->vm, 0);
	if (f->pid && f->vm[0])
		snprintf(buf, len, "pid %d, vm '%s'", f->pid, vm);
	else if (f->pid)
		snprintf(buf, len, "pid %d", f->pid);
	else if (f->vm[0])
		snprintf(buf, len, "vm '%s'", vm);
	else
		snprintf(buf, len, "none");
}

void hv_format_header(char lines[HV_HEADER_LINES][HV_LINE_MAX],
		      const struct hv_snapshot *snap,
		      const struct hv_view *view, size_t shown)
{
	const uint64_t *t = snap->totals;
	const double *r = snap->rates;
	char clock[16], since[32], filter[FILTER_VM_LEN + 32], final[32] = "",
	     dropped[48] = "";
	time_t now = (time_t)view->now;
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	if (view->reset) {
		localtime_r(&view->reset, &tm);
		strftime(since, sizeof(since), "since reset %H:%M:%S", &tm);
	} else {
		snprintf(since, sizeof(since), "since start");
	}
	format_filter(filter, sizeof(filter), &view->filter);
	/* Scripts look for it: the last snapshot of a -b run. */
	if (snap->final)
		snprintf(final, sizeof(final), "final (%s)  ",
			 view->reset ? "since reset" : "whole run");
	if (snap->exited_dropped)
		snprintf(dropped, sizeof(dropped), "  exited rows dropped: %llu",
			 (unsigned long long)snap->exited_dropped);

	snprintf(lines[0], HV_LINE_MAX,
		 "hvflush-top %s  %sinterval %.1fs  sort: %s  mode: %s", clock,
		 final, snap->elapsed_s, hv_sort_name(view->sort),
		 view->series ? view->mode_desc : view->mode_name);
	if (view->series) {
		snprintf(lines[1], HV_LINE_MAX,
			 "hypercalls/s: L1 %.1f L2 %.1f  enqueues/s %.1f  drains/s %.1f  purges/s %.1f",
			 r[HVFLUSH_HYPERCALLS_L1], r[HVFLUSH_HYPERCALLS_L2],
			 r[HVFLUSH_ENQUEUES], r[HVFLUSH_DRAINS],
			 r[HVFLUSH_PURGES]);
		snprintf(lines[2], HV_LINE_MAX,
			 "%s: overflows (flush all) %llu  synthetic vmexits %llu  lost %llu  missed %llu",
			 since, (unsigned long long)t[HVFLUSH_OVERFLOWS],
			 (unsigned long long)t[HVFLUSH_SYNTHETIC_VMEXITS],
			 (unsigned long long)t[HVFLUSH_LOST],
			 (unsigned long long)t[HVFLUSH_MISSED]);
	} else {
		snprintf(lines[1], HV_LINE_MAX,
			 "hypercalls/s: L1 %.1f L2 %.1f  (%s: L1 %llu L2 %llu)",
			 r[HVFLUSH_HYPERCALLS_L1], r[HVFLUSH_HYPERCALLS_L2],
			 since, (unsigned long long)t[HVFLUSH_HYPERCALLS_L1],
			 (unsigned long long)t[HVFLUSH_HYPERCALLS_L2]);
		snprintf(lines[2], HV_LINE_MAX, "%s", hv_fallback_note);
	}
	snprintf(lines[3], HV_LINE_MAX, "rows: %zu of %zu  filter: %s%s", shown,
		 snap->nr_rows, filter, dropped);
}

void hv_print_text(FILE *f, const struct hv_snapshot *snap,
		   const struct hv_view *view, const struct hv_row *const *rows,
		   size_t nr)
{
	char header[HV_HEADER_LINES][HV_LINE_MAX], line[HV_LINE_MAX];
	size_t i;

	hv_format_header(header, snap, view, nr);
	for (i = 0; i < HV_HEADER_LINES; i++)
		fprintf(f, "%s\n", header[i]);
	hv_format_columns(line, sizeof(line));
	fprintf(f, "\n%s\n", line);
	for (i = 0; i < nr; i++) {
		hv_format_row(line, sizeof(line), rows[i]);
		fprintf(f, "%s\n", line);
	}
	fputc('\n', f);
	fflush(f);
}

static void json_counters(json_writer_t *w, const char *name,
			  const struct hv_view *view, const uint64_t *totals,
			  const double *rates)
{
	int c;

	jsonw_name(w, name);
	jsonw_start_object(w);
	for (c = 0; c < HVFLUSH_NR_COUNTERS; c++) {
		/* Counters the fallback cannot see are null, not 0. */
		if (!view->series && !hv_counter_in_fallback(c))
			jsonw_null_field(w, hv_counter_name(c));
		else if (totals)
			jsonw_uint_field(w, hv_counter_name(c), totals[c]);
		else
			jsonw_float_field(w, hv_counter_name(c), rates[c]);
	}
	jsonw_end_object(w);
}

static void json_row(json_writer_t *w, const struct hv_row *row)
{
	jsonw_start_object(w);
	jsonw_string_field(w, "vm", row->name);
	jsonw_string_field(w, "stats_id", row->stats_id);
	jsonw_int_field(w, "pid", row->pid);
	jsonw_bool_field(w, "exited", row->exited);
	jsonw_int_field(w, "vcpu", row->key.vcpu_id);
	jsonw_string_field(w, "fifo", hv_fifo_name(row->key.fifo));
	jsonw_float_field(w, "enqueue_rate", row->enqueue_rate);
	jsonw_float_field(w, "drain_rate", row->drain_rate);
#define FIELD(field, ...) jsonw_uint_field(w, #field, row->field);
	HVFLUSH_ROW_COUNTERS(FIELD)
#undef FIELD
	jsonw_uint_field(w, "pending", row->pending);
	jsonw_uint_field(w, "pending_wait_ns", row->wait_ns);
	jsonw_uint_field(w, "fifo_len", row->fifo_len);
	/* The percentiles as shown: never above the maximum. */
	ks_jsonw_log2_hist_max(w, "latency_ns", row->slots, KS_HIST_SLOTS,
			       hv_row_max(row));
	if (row->has_max)
		jsonw_uint_field(w, "max_ns", row->max_ns);
	else
		jsonw_null_field(w, "max_ns");
	jsonw_float_field(w, "mean_ns", row->mean_ns);
	jsonw_end_object(w);
}

void hv_write_json(json_writer_t *w, const struct hv_snapshot *snap,
		   const struct hv_view *view, const struct hv_row *const *rows,
		   size_t nr)
{
	size_t i;

	jsonw_start_object(w);
	jsonw_string_field(w, "type", snap->final ? "final" : "interval");
	jsonw_float_field(w, "time", view->now);
	jsonw_float_field(w, "interval_s", snap->elapsed_s);
	jsonw_string_field(w, "mode", view->mode_name);
	jsonw_string_field(w, "mode_desc", view->mode_desc);
	if (view->series)
		jsonw_null_field(w, "note");
	else
		jsonw_string_field(w, "note", hv_fallback_note);
	jsonw_string_field(w, "sort", hv_sort_name(view->sort));
	jsonw_name(w, "filter");
	jsonw_start_object(w);
	if (view->filter.pid)
		jsonw_int_field(w, "pid", view->filter.pid);
	else
		jsonw_null_field(w, "pid");
	if (view->filter.vm[0])
		jsonw_string_field(w, "vm", view->filter.vm);
	else
		jsonw_null_field(w, "vm");
	jsonw_end_object(w);
	json_counters(w, "totals", view, snap->totals, NULL);
	json_counters(w, "rates", view, NULL, snap->rates);
	/* Exited rows the final snapshot lacks: never dropped silently. */
	jsonw_uint_field(w, "exited_rows_dropped", snap->exited_dropped);
	jsonw_name(w, "rows");
	jsonw_start_array(w);
	for (i = 0; i < nr; i++)
		json_row(w, rows[i]);
	jsonw_end_array(w);
	jsonw_end_object(w);
}
