// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The run of a tdx-trace command: see run.h. */
#include <errno.h>
#include <string.h>

#include "output.h"
#include "probe_lost.h"
#include "run.h"
#include "runtime.h"
#include "signals.h"

static int setup(struct tdx_run *r)
{
	const struct tdx_env *env = r->env;
	int err;

	ks_json_output = env->json;
	ks_verbose = env->verbose;
	ks_setup_libbpf();
	err = ks_setup_signals();
	if (err) {
		p_err("installing signal handlers: %s", strerror(-err));
		return KS_EXIT_FAIL;
	}
	if (env->json) {
		r->jw = jsonw_new(stdout);
		if (!r->jw) {
			p_err("out of memory");
			return KS_EXIT_FAIL;
		}
	}
	return 0;
}

static int report(struct tdx_run *r, bool final)
{
	uint64_t lost[TDX_NR_LOST];
	int err;

	err = r->ops->drain(r, final);
	if (!err)
		err = tdx_read_lost(r->lost_fd, r->obj, lost);
	if (err) {
		p_err("reading the BPF maps: %s", strerror(-err));
		return err;
	}
	if (!r->jw)
		tdx_print_report_header(final, r->env->interval);
	r->ops->print(r, lost, final);
	fflush(stdout);
	if (r->jw && jsonw_too_deep(r->jw)) {
		p_err("JSON output nested deeper than %d levels", JSONW_MAX_DEPTH);
		return -E2BIG;
	}
	return 0;
}

static int loop(struct tdx_run *r)
{
	const struct tdx_env *env = r->env;
	double next = 0, next_names = 0, deadline;
	unsigned int done = 0;
	int err;

	if (env->interval)
		next = tdx_now_mono() + env->interval;
	while (!ks_exiting) {
		/* Output that cannot be written ends the run, said. */
		if (ks_flush_stdout())
			return KS_EXIT_FAIL;
		if (tdx_now_mono() >= next_names) {
			r->ops->name_vms(r);
			next_names = tdx_now_mono() + 1;
		}
		deadline = tdx_wake_time(env->interval ? next : 0);
		if (r->ops->wait) {
			err = r->ops->wait(r, deadline);
			if (err)
				return KS_EXIT_FAIL;
		} else {
			tdx_sleep_until(deadline);
		}
		if (!env->interval || tdx_now_mono() < next || ks_exiting)
			continue;
		if (report(r, false))
			return KS_EXIT_FAIL;
		next += env->interval;
		if (env->count && ++done >= env->count)
			break;
	}
	return report(r, true) || ks_flush_stdout() ? KS_EXIT_FAIL : 0;
}

int tdx_run(struct tdx_run *r, const struct tdx_env *env,
	    const struct tdx_run_ops *ops)
{
	int err;

	r->env = env;
	r->ops = ops;
	r->jw = NULL;
	r->lost_fd = -1;
	err = setup(r);
	if (!err)
		err = ops->start(r);
	if (!err)
		err = loop(r);
	ops->stop(r);
	jsonw_destroy(&r->jw);
	return err;
}
