/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A snapshot as text lines (shared by the screen and -b) and as one JSON
 * object (-j).  Field names of the JSON are stable: scripts rely on them.
 */
#ifndef HVFLUSH_TOP_REPORT_H
#define HVFLUSH_TOP_REPORT_H

#include <stdio.h>
#include <time.h>

#include "json_writer.h"
#include "stats.h"

#define HV_LINE_MAX	256
#define HV_HEADER_LINES	4

/* Everything shown besides the snapshot itself. */
struct hv_view {
	enum hv_sort sort;
	struct hv_filter filter;
	bool series;		/* false: fallback, hypercall counters only */
	const char *mode_name;	/* "series" or "fallback" */
	const char *mode_desc;	/* one line, from ks_mode_detect() */
	double now;		/* wall clock of the snapshot: epoch seconds */
	double interval;	/* seconds between refreshes: -d, the 'd' key */
	time_t reset;		/* wall clock of the last reset, 0: none */
};

/* The line saying what a kernel without the series cannot show. */
extern const char hv_fallback_note[];

/* "-" (NAN), "850ns", "12.3us", "4.56ms", "1.23s". */
void hv_format_ns(char *buf, size_t len, double ns);

/*
 * Fill @lines; @shown of the snapshot's rows pass the filter.  The first
 * line of a final snapshot says "final (whole run)"; the fourth counts
 * exited rows dropped, if any.
 */
void hv_format_header(char lines[HV_HEADER_LINES][HV_LINE_MAX],
		      const struct hv_snapshot *snap,
		      const struct hv_view *view, size_t shown);
void hv_format_columns(char *buf, size_t len);
void hv_format_row(char *buf, size_t len, const struct hv_row *row);

/* Where the title of @sort's column is in hv_format_columns()' line. */
void hv_sort_column(enum hv_sort sort, int *start, int *width);

/* Header, column titles and @rows, then an empty line: one -b snapshot. */
void hv_print_text(FILE *f, const struct hv_snapshot *snap,
		   const struct hv_view *view, const struct hv_row *const *rows,
		   size_t nr);

/* One JSON object (one line) for the snapshot and @rows; "type" is
 * "final" for the snapshot that ends a run, else "interval". */
void hv_write_json(json_writer_t *w, const struct hv_snapshot *snap,
		   const struct hv_view *view, const struct hv_row *const *rows,
		   size_t nr);

#endif /* HVFLUSH_TOP_REPORT_H */
