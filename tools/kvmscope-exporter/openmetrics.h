/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * OpenMetrics 1.0.0 text from our Prometheus 0.0.4 text, for scrapers
 * that ask for it (Prometheus does, first).  The exposition is rendered
 * once, in one format (expo.h); this rewrites what differs:
 *  - a counter family is named without _total (# HELP/# TYPE lines), its
 *    samples with it (a counter whose name lacks it gets it on samples);
 *  - HELP escapes '"' too;
 *  - the exposition ends with "# EOF".
 * Samples, label escaping, +Inf/NaN and histograms are the same in both.
 */
#ifndef KVMSCOPE_EXPORTER_OPENMETRICS_H
#define KVMSCOPE_EXPORTER_OPENMETRICS_H

#include <stddef.h>

#include "expo.h"

#define KS_CONTENT_TYPE_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define KS_CONTENT_TYPE_OPENMETRICS \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

/*
 * Rewrite @text (@len bytes of expo.h output: "# HELP" right before
 * "# TYPE", each family's samples after them) into @out.
 */
void ks_openmetrics(const char *text, size_t len, struct ks_buf *out);

#endif /* KVMSCOPE_EXPORTER_OPENMETRICS_H */
