/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hvflush-top's command line.  Parsing never exits when asked not to, so
 * unit tests can check every error in-process.
 */
#ifndef HVFLUSH_TOP_CLI_H
#define HVFLUSH_TOP_CLI_H

#include <stdbool.h>
#include <sys/types.h>

#include "args.h"
#include "stats.h"

struct hv_env {
	double interval;	/* seconds between refreshes */
	unsigned int count;	/* refreshes before exiting, 0: until stopped */
	struct hv_filter filter;	/* -p also filters in the kernel */
	enum hv_sort sort;
	unsigned int keep_exited;	/* snapshots an exited VM's rows stay in */
	bool batch;		/* plain text snapshots, no terminal control */
	bool json;		/* JSON lines; implies batch */
	bool csv;		/* -c: a CSV line per snapshot; implies batch */
	const char *log_file;	/* -L: output there, reopened on SIGHUP */
	bool verbose;
	char err[KS_ERR_LEN];	/* why parsing failed */
};

/*
 * Parse @argv into @env; never exits.  @argp_flags is 0 for the tool
 * (argp prints its own errors, such as an unknown option) or ARGP_NO_ERRS
 * for tests.  Returns 0 (run), EINTR (--help or --usage was printed: exit
 * 0) or another errno value with env->err set, for main() to report with
 * p_err() (empty for errors argp found and printed itself).
 */
int hv_parse_args(int argc, char **argv, struct hv_env *env, int argp_flags);

#endif /* HVFLUSH_TOP_CLI_H */
