/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tdx-trace command line: the command table and argument parsing.
 * Parsing never exits the process, so tests can drive every error path:
 * tdx_parse_args() returns what main() should do.
 */
#ifndef TDX_TRACE_CLI_H
#define TDX_TRACE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "args.h"
#include "conversions.h"
#include "hist.h"
#include "vmmatch.h"

struct tdx_env;

struct tdx_cmd {
	const char *name;
	int (*run)(const struct tdx_env *env);
};

/* bpftool-style command table, NULL-terminated; [0] is the default. */
extern const struct tdx_cmd tdx_cmds[];

/* The commands (conversions.c, roles.c): each returns the exit code. */
int cmd_conversions(const struct tdx_env *env);
int cmd_roles(const struct tdx_env *env);

struct tdx_env {
	const struct tdx_cmd *cmd;
	pid_t pid;			/* -p: 0 = every process */
	char vm[KS_VM_PATTERN_LEN];	/* --vm glob (vmmatch.h): "" = every VM */
	uint64_t min_us;		/* --min-us */
	enum conv_dir_filter dir;	/* --private / --shared */
	bool summary;			/* -s */
	bool mapgpa;			/* --mapgpa: MapGPA latency too */
	bool timestamp;			/* -T */
	enum ks_time_unit unit;		/* -u, -m: time histograms' unit */
	bool json;			/* -j */
	bool verbose;			/* -v */
	double interval;		/* seconds; 0 = until SIGINT/SIGTERM/SIGHUP */
	unsigned int count;		/* intervals; 0 = unlimited */
	unsigned int nr_positional;
	char err[KS_ERR_LEN];		/* why parsing failed, if it says so */
};

enum tdx_parse_result {
	TDX_PARSE_RUN,		/* run env->cmd */
	TDX_PARSE_EXIT_OK,	/* --help was printed: exit 0 */
	TDX_PARSE_USAGE,	/* bad input: report env->err, exit 2 */
};

/*
 * Parse argv into @env.  On TDX_PARSE_USAGE, env->err holds the message
 * unless argp already printed its own (unknown option, missing argument).
 */
enum tdx_parse_result tdx_parse_args(int argc, char **argv,
				     struct tdx_env *env);

#endif /* TDX_TRACE_CLI_H */
