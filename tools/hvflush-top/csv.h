/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hvflush-top -c: kvm_stat's CSV log, one line per snapshot with every
 * counter's total and rate, for a spreadsheet or a log rotated with -L.
 * The per-vCPU rows stay in -b and -j.
 */
#ifndef HVFLUSH_TOP_CSV_H
#define HVFLUSH_TOP_CSV_H

#include <stdio.h>

#include "report.h"

/*
 * The column titles: time,type,interval_s, then for each counter its
 * total (<name>) and rate (<name>_per_s).
 */
void hv_csv_header(FILE *f);

/*
 * One snapshot: time as in JSON (epoch seconds with a fraction), type
 * interval or final, the seconds it covers, then the counters; a counter
 * the fallback cannot see is an empty field, not 0.
 */
void hv_csv_line(FILE *f, const struct hv_snapshot *snap,
		 const struct hv_view *view);

#endif /* HVFLUSH_TOP_CSV_H */
