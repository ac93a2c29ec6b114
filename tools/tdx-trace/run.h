/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The run of a tdx-trace command, the same for conversions and roles:
 * output and signals set up, then waiting for events and intervals, a
 * report after each interval and one for the whole run at the end.  The
 * commands supply what differs (struct tdx_run_ops).
 */
#ifndef TDX_TRACE_RUN_H
#define TDX_TRACE_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "json_writer.h"
#include "tdx_trace.h"

struct tdx_run;

struct tdx_run_ops {
	/*
	 * Choose the mode, load and attach, say what is measured.  Returns
	 * 0 or the exit code, with the reason printed.
	 */
	int (*start)(struct tdx_run *r);
	/* Undo start(), also when it failed halfway. */
	void (*stop)(struct tdx_run *r);
	/*
	 * Take what events came until @deadline (CLOCK_MONOTONIC seconds)
	 * at most.  Returns 0 or -errno.  NULL: only sleep.
	 */
	int (*wait)(struct tdx_run *r, double deadline);
	/* Once a second: name the rows' VMs while their VMMs still run. */
	void (*name_vms)(struct tdx_run *r);
	/*
	 * Move the rows the kernel aggregated since the last report into
	 * the interval's table and the run's, which @final ends.  Returns 0
	 * or -errno.
	 */
	int (*drain)(struct tdx_run *r, bool final);
	/* The interval's report, or with @final the whole run's. */
	void (*print)(struct tdx_run *r, const uint64_t lost[TDX_NR_LOST],
		      bool final);
};

struct tdx_run {
	const struct tdx_env *env;
	const struct tdx_run_ops *ops;
	json_writer_t *jw;		/* -j, else NULL */
	int lost_fd;			/* the object's "lost" array: start() */
	const struct bpf_object *obj;	/* its programs' missed events: start() */
};

/*
 * Run a command for @env: set up output (-j, -v), libbpf's log and the
 * signal handlers, start, report after every interval until the count of
 * them or a signal, then report the whole run, and stop.  @r is the first
 * member of the command's context, which the ops get.  Returns the exit
 * code.
 */
int tdx_run(struct tdx_run *r, const struct tdx_env *env,
	    const struct tdx_run_ops *ops);

#endif /* TDX_TRACE_RUN_H */
