// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "csv.h"

void hv_csv_header(FILE *f)
{
	int c;

	fputs("time,type,interval_s", f);
	for (c = 0; c < HVFLUSH_NR_COUNTERS; c++)
		fprintf(f, ",%s,%s_per_s", hv_counter_name(c),
			hv_counter_name(c));
	fputc('\n', f);
}

void hv_csv_line(FILE *f, const struct hv_snapshot *snap,
		 const struct hv_view *view)
{
	int c;

	fprintf(f, "%.6f,%s,%.6f", view->now,
		snap->final ? "final" : "interval", snap->elapsed_s);
	for (c = 0; c < HVFLUSH_NR_COUNTERS; c++) {
		if (!view->series && !hv_counter_in_fallback(c))
			fputs(",,", f);
		else
			fprintf(f, ",%llu,%.3f",
				(unsigned long long)snap->totals[c],
				snap->rates[c]);
	}
	fputc('\n', f);
}
