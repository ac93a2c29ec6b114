// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <curses.h>
#include <string.h>

#include "args.h"
#include "screen.h"
#include "signals.h"

static SCREEN *screen;
/* Shown on the last line until the next key, e.g. a rejected filter. */
static char status[KS_ERR_LEN];

static const char keys_hint[] =
	"h help  s sort  p pid  g vm  d delay  r reset  q quit";

static const char *const help_lines[] = {
	"hvflush-top: which vCPUs wait for Hyper-V TLB flushes, and how long",
	"",
	"  s   sort by the next key: rate, p99, max, overflow",
	"  p   show only the VMs of one VMM PID (empty: all)",
	"  g   show only VMs whose name or stats id matches a glob (empty: all)",
	"  d   change the refresh interval (seconds, 0.5 too), as top's d",
	"  r   reset totals, latency percentiles and maxima; forget exited VMs",
	"  h   this help",
	"  q   quit",
	"",
	"Columns: ENQ/s flushes queued on the FIFO per second; P50/P99/MAX time",
	"from the oldest queued flush to the drain or purge of the FIFO; PEND",
	"flushes waiting now; OVFL requests that overflowed the FIFO and became",
	"a full flush.  L1/L2: the FIFO of L1's own flushes or of its L2 guest.",
	"PEND \"exit\" (dimmed row): the VMM has exited; its final counts stay",
	"for --keep-exited refreshes.",
	"",
	"Press any key to continue.",
};

int hv_screen_open(FILE *out, FILE *in)
{
	screen = newterm(NULL, out, in);
	if (!screen)
		return -1;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	return 0;
}

void hv_screen_close(void)
{
	if (!screen)
		return;
	endwin();
	delscreen(screen);
	screen = NULL;
}

static void draw_line(int y, const char *s, int attr)
{
	attron(attr);
	mvaddnstr(y, 0, s, COLS);
	attroff(attr);
}

void hv_screen_draw(const struct hv_snapshot *snap, const struct hv_view *view,
		    const struct hv_row *const *rows, size_t nr)
{
	char header[HV_HEADER_LINES][HV_LINE_MAX], line[HV_LINE_MAX];
	int y = 0, last = LINES - 1, start, width, i;
	size_t r;

	erase();
	hv_format_header(header, snap, view, nr);
	for (i = 0; i < HV_HEADER_LINES && y < last; i++)
		draw_line(y++, header[i], i == 2 && !view->series ? A_BOLD : 0);
	y++;
	if (y < last) {
		hv_format_columns(line, sizeof(line));
		/* Pad the title bar to the full width. */
		attron(A_REVERSE);
		mvhline(y, 0, ' ', COLS);
		attroff(A_REVERSE);
		draw_line(y, line, A_REVERSE);
		hv_sort_column(view->sort, &start, &width);
		if (start < COLS)
			mvchgat(y, start, width, A_REVERSE | A_BOLD | A_UNDERLINE,
				0, NULL);
		y++;
	}
	for (r = 0; r < nr && y < last; r++, y++) {
		if (y == last - 1 && r + 1 < nr) {
			snprintf(line, sizeof(line), "... %zu more rows",
				 nr - r);
			draw_line(y, line, A_DIM);
			break;
		}
		hv_format_row(line, sizeof(line), rows[r]);
		draw_line(y, line, rows[r]->exited ? A_DIM : 0);
	}
	draw_line(last, status[0] ? status : keys_hint, status[0] ? A_BOLD : A_DIM);
	refresh();
}

static void show_help(void)
{
	unsigned int i;

	erase();
	for (i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]); i++)
		draw_line(i, help_lines[i], i ? 0 : A_BOLD);
	refresh();
	/* Poll, so a signal still ends the program while help is shown. */
	timeout(250);
	while (!ks_exiting && getch() == ERR)
		;
}

/* Read a line at the bottom of the screen.  Returns false on interrupt. */
static bool prompt(const char *question, char *buf, int len)
{
	int ret;

	move(LINES - 1, 0);
	clrtoeol();
	attron(A_BOLD);
	addnstr(question, COLS);
	attroff(A_BOLD);
	echo();
	curs_set(1);
	timeout(-1);
	ret = getnstr(buf, len - 1);
	curs_set(0);
	noecho();
	return ret != ERR && !ks_exiting;
}

static void prompt_pid(struct hv_view *view)
{
	char buf[32];
	pid_t pid;

	if (!prompt("Show PID (empty: all): ", buf, sizeof(buf)))
		return;
	if (!buf[0])
		view->filter.pid = 0;
	else if (!ks_parse_pid(buf, &pid, status, sizeof(status)))
		view->filter.pid = pid;
}

static void prompt_vm(struct hv_view *view)
{
	char buf[HV_NAME_LEN];

	if (prompt("Show VM name or stats id glob (empty: all): ", buf,
		   sizeof(buf)))
		strcpy(view->filter.vm, buf);
}

/* top's d: a new interval, or the old one kept with the reason shown. */
static bool prompt_delay(struct hv_view *view)
{
	char question[64], buf[32];
	double v;

	snprintf(question, sizeof(question),
		 "Change delay from %g to (empty: keep): ", view->interval);
	if (!prompt(question, buf, sizeof(buf)) || !buf[0] ||
	    ks_parse_interval(buf, "delay", &v, status, sizeof(status)))
		return false;
	view->interval = v;
	return true;
}

enum hv_action hv_screen_key(struct hv_view *view, int timeout_ms)
{
	int key;

	timeout(timeout_ms);
	key = getch();
	if (key == ERR)
		return HV_ACT_TIMEOUT;
	status[0] = '\0';
	switch (key) {
	case 'q':
		return HV_ACT_QUIT;
	case 'r':
		return HV_ACT_RESET;
	case 's':
		view->sort = (view->sort + 1) % HV_NR_SORTS;
		break;
	case 'p':
		prompt_pid(view);
		break;
	case 'g':
		prompt_vm(view);
		break;
	case 'd':
		if (prompt_delay(view))
			return HV_ACT_DELAY;
		break;
	case 'h':
	case '?':
		show_help();
		break;
	default:	/* KEY_RESIZE and unknown keys: just redraw */
		break;
	}
	return HV_ACT_REDRAW;
}
