/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The interactive screen (ncurses): draws snapshots and turns keys into
 * changes of the view, kvm_stat style.  Only used on a terminal; -b and
 * -j never touch the terminal.
 */
#ifndef HVFLUSH_TOP_SCREEN_H
#define HVFLUSH_TOP_SCREEN_H

#include <stdio.h>

#include "report.h"

enum hv_action {
	HV_ACT_TIMEOUT,		/* nothing happened before the timeout */
	HV_ACT_REDRAW,		/* the view changed: draw the last snapshot again */
	HV_ACT_RESET,		/* 'r': restart totals */
	HV_ACT_DELAY,		/* 'd': view->interval changed */
	HV_ACT_QUIT,		/* 'q' */
};

/*
 * Take over the terminal on @out and @in (stdout and stdin).  Returns 0,
 * or -1 if it is not a usable one.  Names on it are escaped for the
 * locale's character set (termtext.h): ks_term_setup_locale() first.
 */
int hv_screen_open(FILE *out, FILE *in);
/* Give the terminal back as it was; safe to call if not open. */
void hv_screen_close(void);

void hv_screen_draw(const struct hv_snapshot *snap, const struct hv_view *view,
		    const struct hv_row *const *rows, size_t nr);

/*
 * Wait up to @timeout_ms for a key and apply it to @view: s cycles the sort
 * key, p and g prompt for the PID and VM filters, d (as in top) for the
 * refresh interval, h shows the help.  A
 * signal ends the wait early with HV_ACT_TIMEOUT.
 */
enum hv_action hv_screen_key(struct hv_view *view, int timeout_ms);

#endif /* HVFLUSH_TOP_SCREEN_H */
