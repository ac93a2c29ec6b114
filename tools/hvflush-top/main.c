// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hvflush-top: which vCPUs wait for Hyper-V TLB flushes, and how long.
 *
 * Interactive (ncurses) by default; -b prints plain text snapshots and -j
 * JSON lines.  See bpf/hvflush.bpf.c for what the kernel side measures.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli.h"
#include "csv.h"
#include "mode.h"
#include "output.h"
#include "probe_hvflush.h"
#include "report.h"
#include "screen.h"
#include "signals.h"
#include "termtext.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The JSON "time", as tdx-trace's: seconds since the epoch, fractional. */
static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read the maps and fold them into the model: one snapshot. */
static int refresh(const struct hv_probe *probe, struct hv_model *model,
		   struct hv_names *names, bool final, struct hv_snapshot *snap)
{
	uint64_t counters[HVFLUSH_NR_COUNTERS];
	struct hv_raw_row *raw = NULL;
	size_t nr_raw = 0;
	int err;

	err = hv_probe_read_counters(probe, counters);
	if (!err)
		err = hv_read_rows(hv_probe_rows_fd(probe), names, &raw, &nr_raw);
	if (!err) {
		hv_snapshot_free(snap);
		err = hv_model_update(model, raw, nr_raw, counters, mono_ns(),
				      final, snap);
	}
	free(raw);
	if (err)
		p_err("failed to read the BPF maps: %s", strerror(-err));
	return err;
}

/* Print the snapshot in the output mode; the screen shows it instead. */
static int show(const struct hv_env *env, const struct hv_snapshot *snap,
		const struct hv_view *view, json_writer_t *json)
{
	const struct hv_row **rows;
	size_t nr;

	rows = calloc(snap->nr_rows ? snap->nr_rows : 1, sizeof(*rows));
	if (!rows) {
		p_err("out of memory");
		return -ENOMEM;
	}
	nr = hv_select_rows(snap, &view->filter, view->sort, rows);
	if (json)
		hv_write_json(json, snap, view, rows, nr);
	else if (env->csv)
		hv_csv_line(stdout, snap, view);
	else if (env->batch)
		hv_print_text(stdout, snap, view, rows, nr);
	else
		hv_screen_draw(snap, view, rows, nr);
	free(rows);
	if (json && jsonw_too_deep(json)) {
		p_err("JSON output nested deeper than %d levels", JSONW_MAX_DEPTH);
		return -E2BIG;
	}
	return 0;
}

/*
 * -L: point stdout at FILE, appended to, so that every output and
 * p_err()'s JSON line go there.  The file is opened first and stdout keeps
 * its old file if that fails.  A CSV log starts with its column titles
 * when the file is empty.  Returns 0 or -errno, said.
 */
static int open_log(const struct hv_env *env)
{
	struct stat st;
	int fd, err = 0;

	fd = open(env->log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		err = -errno;
	else if (fflush(stdout) || dup2(fd, STDOUT_FILENO) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (err) {
		p_err("-L %s: %s", env->log_file, strerror(-err));
		return err;
	}
	if (env->csv && !fstat(STDOUT_FILENO, &st) && st.st_size == 0)
		hv_csv_header(stdout);
	return 0;
}

/* The interval in nanoseconds: at least a millisecond, at most INT_MAX s. */
static uint64_t interval_ns(const struct hv_view *view)
{
	return (uint64_t)(view->interval * 1e9);
}

/* Milliseconds to wait for @deadline_ns, at most a second at a time. */
static int timeout_ms(uint64_t deadline_ns)
{
	uint64_t now = mono_ns(), ms;

	if (now >= deadline_ns)
		return 0;
	ms = (deadline_ns - now + 999999) / 1000000;
	return ms > 1000 ? 1000 : (int)ms;
}

int main(int argc, char **argv)
{
	struct hv_snapshot snap = {};
	struct hv_names names = {};
	struct hv_probe probe = {};
	json_writer_t *json = NULL;
	struct hv_model model = {};
	unsigned int shown = 0;
	uint64_t deadline;
	bool final;
	struct hv_view view;
	struct hv_env env;
	struct ks_mode mode;
	char why[256];
	int err;

	ks_term_setup_locale();
	err = hv_parse_args(argc, argv, &env, 0);
	if (err == EINTR)
		return ks_flush_stdout() ? KS_EXIT_FAIL : 0;	/* the help */
	if (err) {
		if (env.err[0])
			p_err("%s (see hvflush-top --help)", env.err);
		return KS_EXIT_USAGE;
	}
	ks_json_output = env.json;
	ks_verbose = env.verbose;
	/* Without a terminal the screen makes no sense: print snapshots. */
	env.batch = env.batch || env.json || env.csv || env.log_file ||
		    !isatty(STDOUT_FILENO);
	ks_setup_libbpf();

	if (hv_probe_detect(&mode) == KS_MODE_NONE) {
		/* Unprivileged, tracefs is unreadable and every event "missing". */
		p_err("nothing to trace: %s%s", mode.desc, geteuid() ?
		      "; not root: tracefs and BPF tracing need root (or CAP_BPF, CAP_PERFMON and tracefs access)" : "");
		return KS_EXIT_FAIL;
	}
	/* With -L, SIGHUP reopens the file (logrotate) instead of ending. */
	if (ks_setup_signals() || (env.log_file && ks_setup_hangup())) {
		p_err("failed to install signal handlers: %s", strerror(errno));
		return KS_EXIT_FAIL;
	}
	if (env.log_file ? open_log(&env) : 0)
		return KS_EXIT_FAIL;
	if (env.csv && !env.log_file)
		hv_csv_header(stdout);

	err = hv_probe_open(&probe, &mode, env.filter.pid, why, sizeof(why));
	if (err) {
		p_err("%s", why);
		goto cleanup;
	}
	hv_model_init(&model, mono_ns());
	model.keep_exited = env.keep_exited;

	view = (struct hv_view){
		.sort = env.sort,
		.filter = env.filter,
		.series = mode.kind == KS_MODE_SERIES,
		.mode_name = ks_mode_name(mode.kind),
		.mode_desc = mode.desc,
		.now = wall_now(),
		.interval = env.interval,
	};
	if (env.json) {
		json = jsonw_new(stdout);
		if (!json) {
			err = -ENOMEM;
			p_err("out of memory");
			goto cleanup;
		}
	} else if (!env.batch && hv_screen_open(stdout, stdin)) {
		err = -ENOTTY;
		p_err("cannot use the terminal (TERM=%s); try -b",
		      getenv("TERM") ?: "");
		goto cleanup;
	}

	/* The screen starts with an empty snapshot rather than a blank page. */
	if (!env.batch) {
		err = refresh(&probe, &model, &names, false, &snap);
		if (!err)
			err = show(&env, &snap, &view, json);
	}
	deadline = mono_ns() + interval_ns(&view);
	while (!err && !ks_exiting) {
		int ms = timeout_ms(deadline);
		enum hv_action act;

		/* Snapshots that cannot be written end the run, said. */
		if (env.batch) {
			err = ks_flush_stdout();
			if (err)
				break;
		}
		if (ks_hangup) {
			ks_hangup = 0;
			/* Failing, it keeps writing to the file it has. */
			open_log(&env);
		}
		if (ms > 0 && env.batch) {
			usleep(ms * 1000);	/* a signal cuts it short */
			continue;
		}
		if (ms > 0) {
			act = hv_screen_key(&view, ms);
			if (act == HV_ACT_QUIT)
				break;
			/* As top: the next refresh is a new interval away. */
			if (act == HV_ACT_DELAY)
				deadline = mono_ns() + interval_ns(&view);
			if (act == HV_ACT_RESET) {
				hv_probe_set_max_gen(&probe, hv_model_reset(&model));
				hv_snapshot_drop_exited(&snap);
				view.reset = time(NULL);
			}
			if (act != HV_ACT_TIMEOUT)
				err = show(&env, &snap, &view, json);
			continue;
		}
		deadline += interval_ns(&view);
		/* -b and -j end with the final snapshot; the screen just quits. */
		final = env.batch && env.count && shown + 1 >= env.count;
		err = refresh(&probe, &model, &names, final, &snap);
		if (err)
			break;
		view.now = wall_now();
		err = show(&env, &snap, &view, json);
		if (env.count && ++shown >= env.count)
			break;
	}
	/*
	 * Stopped by SIGINT, SIGTERM or SIGHUP: a script still gets the
	 * final snapshot, with what happened since the last one.
	 */
	if (!err && env.batch && !snap.final) {
		err = refresh(&probe, &model, &names, true, &snap);
		if (!err) {
			view.now = wall_now();
			err = show(&env, &snap, &view, json);
		}
	}

	if (!err && env.batch)
		err = ks_flush_stdout();

cleanup:
	hv_screen_close();
	jsonw_destroy(&json);
	hv_snapshot_free(&snap);
	hv_model_free(&model);
	hv_names_free(&names);
	hv_probe_close(&probe);
	return err ? KS_EXIT_FAIL : 0;
}
