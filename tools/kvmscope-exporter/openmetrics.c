// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Prometheus text 0.0.4 to OpenMetrics 1.0.0: see openmetrics.h. */
#include <stdbool.h>
#include <string.h>

#include "openmetrics.h"

/* The line at @p (without its newline), and where the next one starts. */
static size_t line_len(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', end - p);

	if (!nl)
		nl = end;
	*next = nl < end ? nl + 1 : end;
	return nl - p;
}

static bool has_prefix(const char *p, size_t n, const char *prefix)
{
	size_t pl = strlen(prefix);

	return n >= pl && !memcmp(p, prefix, pl);
}

/* Length of the metric name at @p: up to a space or '{'. */
static size_t name_len(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] != ' ' && p[i] != '{')
		i++;
	return i;
}

static bool ends_total(const char *name, size_t n)
{
	return n > 6 && !memcmp(name + n - 6, "_total", 6);
}

void ks_openmetrics(const char *text, size_t len, struct ks_buf *out)
{
	const char *p = text, *end = text + len, *next;
	/* The current family: its name in samples, and whether a counter. */
	const char *fam = NULL;
	size_t fam_len = 0;
	bool counter = false;

	while (p < end) {
		size_t n = line_len(p, end, &next);

		if (has_prefix(p, n, "# HELP ")) {
			const char *name = p + 7, *tnext;
			size_t nl = name_len(name, n - 7);
			size_t tn = line_len(next, end, &tnext);
			bool is_counter;

			/* The TYPE line next says if it is a counter. */
			is_counter = has_prefix(next, tn, "# TYPE ") &&
				     tn == 7 + nl + 8 &&
				     !memcmp(next + 7, name, nl) &&
				     !memcmp(next + 7 + nl, " counter", 8);
			ks_buf_puts(out, "# HELP ");
			ks_buf_put(out, name, is_counter && ends_total(name, nl) ?
				   nl - 6 : nl);
			for (const char *h = name + nl; h < p + n; h++) {
				if (*h == '"')
					ks_buf_putc(out, '\\');
				ks_buf_putc(out, *h);
			}
			ks_buf_putc(out, '\n');
		} else if (has_prefix(p, n, "# TYPE ")) {
			const char *name = p + 7;
			size_t nl = name_len(name, n - 7);

			fam = name;
			fam_len = nl;
			counter = n - 7 - nl == 8 &&
				  !memcmp(name + nl, " counter", 8);
			ks_buf_puts(out, "# TYPE ");
			ks_buf_put(out, name, counter && ends_total(name, nl) ?
				   nl - 6 : nl);
			ks_buf_put(out, name + nl, n - 7 - nl);
			ks_buf_putc(out, '\n');
		} else if (n && p[0] != '#') {
			size_t nl = name_len(p, n);

			ks_buf_put(out, p, nl);
			/* A counter's samples are name_total. */
			if (counter && nl == fam_len && !memcmp(p, fam, nl) &&
			    !ends_total(p, nl))
				ks_buf_puts(out, "_total");
			ks_buf_put(out, p + nl, n - nl);
			ks_buf_putc(out, '\n');
		}
		/* Other comments and blank lines have no place in OpenMetrics. */
		p = next;
	}
	ks_buf_puts(out, "# EOF\n");
}
