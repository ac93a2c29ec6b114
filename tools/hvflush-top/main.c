// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hvflush-top: which vCPUs wait for Hyper-V TLB flushes, and how long.
 *
 * Interactive (ncurses) by default; -b prints plain text snapshots and -j
 * JSON lines.  See bpf/hvflush.bpf.c for what the kernel side measures.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "collect.h"
#include "hvflush.skel.h"
#include "mode.h"
#include "output.h"
#include "report.h"
#include "screen.h"
#include "signals.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void explain_load_error(int err)
{
	if (err == -EPERM || err == -EACCES)
		p_err("failed to load BPF programs: %s (needs root, or CAP_BPF and CAP_PERFMON)",
		      strerror(-err));
	else
		p_err("failed to load BPF programs: %s (-v shows the verifier log)",
		      strerror(-err));
}

/* Read the maps and fold them into the model: one snapshot. */
static int refresh(struct hvflush_bpf *obj, struct hv_model *model,
		   struct hv_names *names, bool final, struct hv_snapshot *snap)
{
	uint64_t counters[HVFLUSH_NR_COUNTERS];
	struct hv_raw_row *raw = NULL;
	size_t nr_raw = 0;
	int err;

	err = hv_read_counters(bpf_map__fd(obj->maps.counters), counters);
	if (!err)
		err = hv_read_rows(bpf_map__fd(obj->maps.rows), names, &raw,
				   &nr_raw);
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
	else if (env->batch)
		hv_print_text(stdout, snap, view, rows, nr);
	else
		hv_screen_draw(snap, view, rows, nr);
	free(rows);
	return 0;
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
	struct hvflush_bpf *obj = NULL;
	json_writer_t *json = NULL;
	struct hv_model model = {};
	unsigned int shown = 0;
	uint64_t deadline;
	bool final;
	struct hv_view view;
	struct hv_env env;
	struct ks_mode mode;
	int err;

	if (hv_parse_args(argc, argv, &env, 0))
		return KS_EXIT_USAGE;	/* argp already said why */
	ks_json_output = env.json;
	ks_verbose = env.verbose;
	/* Without a terminal the screen makes no sense: print snapshots. */
	env.batch = env.batch || env.json || !isatty(STDOUT_FILENO);
	ks_setup_libbpf();

	if (ks_mode_detect(hv_series_events, hv_fallback_events, &mode) == KS_MODE_NONE) {
		/* Unprivileged, tracefs is unreadable and every event "missing". */
		p_err("nothing to trace: %s%s", mode.desc, geteuid() ?
		      "; not root: tracefs and BPF tracing need root (or CAP_BPF, CAP_PERFMON and tracefs access)" : "");
		return KS_EXIT_FAIL;
	}
	if (ks_setup_signals()) {
		p_err("failed to install signal handlers: %s", strerror(errno));
		return KS_EXIT_FAIL;
	}

	obj = hvflush_bpf__open();
	if (!obj) {
		p_err("failed to open the BPF object: %s", strerror(errno));
		return KS_EXIT_FAIL;
	}
	obj->rodata->targ_pid = env.filter.pid;
	hv_select_programs(obj, &mode);

	err = hvflush_bpf__load(obj);
	if (err) {
		explain_load_error(err);
		goto cleanup;
	}
	err = hvflush_bpf__attach(obj);
	if (err) {
		p_err("failed to attach to the KVM tracepoints: %s", strerror(-err));
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
		.now = time(NULL),
	};
	if (env.json) {
		json = jsonw_new(stdout);
		if (!json) {
			err = -ENOMEM;
			p_err("out of memory");
			goto cleanup;
		}
	} else if (!env.batch && hv_screen_open()) {
		err = -ENOTTY;
		p_err("cannot use the terminal (TERM=%s); try -b",
		      getenv("TERM") ?: "");
		goto cleanup;
	}

	/* The screen starts with an empty snapshot rather than a blank page. */
	if (!env.batch) {
		err = refresh(obj, &model, &names, false, &snap);
		if (!err)
			err = show(&env, &snap, &view, json);
	}
	deadline = mono_ns() + env.interval * 1000000000ULL;
	while (!err && !ks_exiting) {
		int ms = timeout_ms(deadline);
		enum hv_action act;

		if (ms > 0 && env.batch) {
			usleep(ms * 1000);	/* a signal cuts it short */
			continue;
		}
		if (ms > 0) {
			act = hv_screen_key(&view, ms);
			if (act == HV_ACT_QUIT)
				break;
			if (act == HV_ACT_RESET) {
				obj->bss->max_gen = hv_model_reset(&model);
				hv_snapshot_drop_exited(&snap);
				view.reset = time(NULL);
			}
			if (act != HV_ACT_TIMEOUT)
				err = show(&env, &snap, &view, json);
			continue;
		}
		deadline += env.interval * 1000000000ULL;
		/* -b and -j end with the final snapshot; the screen just quits. */
		final = env.batch && env.count && shown + 1 >= env.count;
		err = refresh(obj, &model, &names, final, &snap);
		if (err)
			break;
		view.now = time(NULL);
		err = show(&env, &snap, &view, json);
		if (env.count && ++shown >= env.count)
			break;
	}
	/*
	 * Stopped by SIGINT or SIGTERM: a script still gets the final
	 * snapshot, with what happened since the last one.
	 */
	if (!err && env.batch && !snap.final) {
		err = refresh(obj, &model, &names, true, &snap);
		if (!err) {
			view.now = time(NULL);
			err = show(&env, &snap, &view, json);
		}
	}

cleanup:
	hv_screen_close();
	jsonw_destroy(&json);
	hv_snapshot_free(&snap);
	hv_model_free(&model);
	hv_names_free(&names);
	hvflush_bpf__destroy(obj);
	return err ? KS_EXIT_FAIL : 0;
}
