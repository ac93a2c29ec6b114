// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "version.h"
#include "vmmatch.h"

enum { OPT_VM = 1000, OPT_KEEP_EXITED, OPT_USAGE };

/* Numbers from stats.h into the help text. */
#define STR_(x) #x
#define STR(x) STR_(x)

static const char doc[] =
"Show which vCPUs wait for Hyper-V TLB flushes, and how long.\n"
"\n"
"A row per target (VM, vCPU, FIFO): L1 is the FIFO of flushes L1 asked for,\n"
"L2 the \"Direct Virtual Flush\" FIFO of its nested guest.  Latency runs from\n"
"the oldest flush queued on the FIFO to the drain or purge that ends it\n"
"(needs the kvmscope kernel series; without it only the flush hypercall\n"
"rates are shown).  Rates are per second over the last interval; totals,\n"
"latency percentiles and maxima are since the start or the last reset.\n"
"\n"
"When a VMM exits, its rows stay for --keep-exited snapshots, the one that\n"
"finds it gone included, frozen at their final counts with rates 0 and\n"
"\"exit\" in the PEND column (JSON: \"exited\": true).\n"
"\n"
"With -b and -j the last snapshot is the final one, whether the count ran\n"
"out or SIGINT, SIGTERM or SIGHUP stopped the run.  Its first line says\n"
"\"final (whole run)\" (JSON: \"type\": \"final\", other snapshots \"interval\")\n"
"and it has every row of the run, exited ones too: the newest " STR(HV_EXITED_MAX) " of\n"
"those, and a count of older ones dropped (\"exited rows dropped\").\n"
"\n"
"With -d, a lone positional argument is the count.  -b takes no count (as\n"
"top's): \"-b 5\" alone is refused as ambiguous; write -b -n 5 or -b -d 5.\n"
"Intervals may be fractions of a second (0.5).  Without a terminal on\n"
"stdout, snapshots are printed as with -b.\n"
"\n"
"-L FILE appends what would go to stdout to FILE, as kvm_stat -L; SIGHUP\n"
"then reopens FILE (after logrotate moved it) instead of ending the run.\n"
"\n"
"EXAMPLES:\n"
"    hvflush-top                  # interactive, refresh every second\n"
"    hvflush-top -p 1234 -s p99   # one VMM, worst p99 latency first\n"
"    hvflush-top --vm 'win*'      # VMs whose QEMU -name starts with win\n"
"    hvflush-top -b -d 5 12       # 12 plain-text snapshots, 5 s apart\n"
"    hvflush-top -b -n 3 0.5      # 3 snapshots, half a second apart\n"
"    hvflush-top -j 2 10          # 10 JSON lines, one every 2 s\n"
"    hvflush-top -j --keep-exited 10  # until Ctrl-C, then the final line\n"
"    hvflush-top -c -L /var/log/hvflush.csv 60  # CSV log, a line a minute\n"
"\n"
"KEYS (interactive):\n"
"    s  next sort key     p  filter by PID     g  filter by VM name/stats id\n"
"    d  refresh interval  r  reset totals      h  help      q  quit\n"
"\n"
"OPTIONS:";

static const struct argp_option opts[] = {
	{ "delay", 'd', "SECONDS", 0,
	  "Refresh interval, fractions too: 0.5 (default 1)", 0 },
	{ "batch", 'b', NULL, 0, "Plain text snapshots, no screen control", 0 },
	{ "iterations", 'n', "COUNT", 0,
	  "Exit after COUNT snapshots, as top -n (the same as a second positional)", 0 },
	{ "json", 'j', NULL, 0, "JSON lines, one object per snapshot", 0 },
	{ "csv", 'c', NULL, 0,
	  "CSV, as kvm_stat -c: a line per snapshot, every counter's total and rate", 0 },
	{ "log-to-file", 'L', "FILE", 0,
	  "Append the output (text, -j or -c) to FILE; SIGHUP reopens it (logrotate)", 0 },
	{ "pid", 'p', "PID", 0, "Only VMs of this VMM process", 0 },
	{ "vm", OPT_VM, "NAME", 0,
	  "Only VMs whose name (QEMU -name) or stats id (kvm-<pid>) matches "
	  "this glob", 0 },
	{ "sort", 's', "KEY", 0, "Sort by rate (default), p99, max or overflow", 0 },
	{ "keep-exited", OPT_KEEP_EXITED, "N", 0,
	  "Show the rows of an exited VMM in N snapshots (default "
	  STR(HV_KEEP_EXITED_DEFAULT) ")", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose libbpf debug output", 0 },
	{ "help", 'h', NULL, 0, "Show this help", 0 },
	{ "usage", OPT_USAGE, NULL, OPTION_HIDDEN, "Show a short usage message", 0 },
	{},
};

/* Parser state beyond the env: positionals are resolved at the end. */
struct parse_ctx {
	struct hv_env *env;
	const char *pos[2];
	unsigned int nr_pos;
	bool delay_set, count_set;
	const char *after_b;	/* the argument right after a lone -b */
};

/* main() reports env->err with p_err(), as every kvmscope tool does. */
static int fail(struct hv_env *env, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(env->err, sizeof(env->err), fmt, ap);
	va_end(ap);
	return err;
}

static int parse_count(struct parse_ctx *ctx, const char *s)
{
	struct hv_env *env = ctx->env;
	int err;

	if (ctx->count_set)
		return fail(env, EINVAL, "count given twice");
	err = ks_parse_interval_count(s, 1, &env->interval, &env->count,
				      env->err, sizeof(env->err));
	if (err)
		return -err;	/* env->err says why */
	ctx->count_set = true;
	return 0;
}

static int end_positionals(struct parse_ctx *ctx)
{
	struct hv_env *env = ctx->env;
	unsigned int i = 0;
	int err;

	if (!ctx->delay_set && ctx->nr_pos) {
		err = ks_parse_interval_count(ctx->pos[i++], 0, &env->interval,
					      &env->count, env->err,
					      sizeof(env->err));
		if (err)
			return -err;	/* env->err says why */
	}
	if (ctx->delay_set && ctx->nr_pos > 1)
		return fail(env, EINVAL,
			    "interval given twice (-d and '%s')", ctx->pos[0]);
	/*
	 * top's "-b 5" would be the interval 5, forever, to someone used
	 * to -b COUNT; an interval alone right after -b is refused.
	 */
	if (!ctx->delay_set && !ctx->count_set && ctx->nr_pos == 1 &&
	    ctx->pos[0] == ctx->after_b)
		return fail(env, EINVAL,
			    "'-b %s' is ambiguous: -b takes no count; write '-b -n %s' for %s snapshots or '-b -d %s' to refresh every %s s",
			    ctx->pos[0], ctx->pos[0], ctx->pos[0], ctx->pos[0],
			    ctx->pos[0]);
	return i < ctx->nr_pos ? parse_count(ctx, ctx->pos[i]) : 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_ctx *ctx = state->input;
	struct hv_env *env = ctx->env;
	uint64_t v;
	int err;

	switch (key) {
	case 'd':
		err = ks_parse_interval(arg, "-d", &env->interval, env->err,
					sizeof(env->err));
		if (err)
			return -err;	/* env->err says why */
		ctx->delay_set = true;
		break;
	case 'b':
		env->batch = true;
		if (state->next < state->argc &&
		    state->argv[state->next][0] != '-')
			ctx->after_b = state->argv[state->next];
		break;
	case 'n':
		return parse_count(ctx, arg);
	case 'j':
		env->json = true;
		break;
	case 'c':
		env->csv = true;
		break;
	case 'L':
		if (!*arg)
			return fail(env, EINVAL, "-L: empty file name");
		env->log_file = arg;
		break;
	case 'p':
		err = ks_parse_pid(arg, &env->filter.pid, env->err,
				   sizeof(env->err));
		if (err)
			return -err;	/* env->err says why */
		break;
	case OPT_VM:
		err = ks_parse_vm_pattern(arg, env->filter.vm,
					  sizeof(env->filter.vm), env->err,
					  sizeof(env->err));
		if (err)
			return -err;	/* env->err says why */
		break;
	case 's':
		if (hv_sort_parse(arg, &env->sort))
			return fail(env, EINVAL,
				    "sort: unknown key '%s' (rate, p99, max or overflow)",
				    arg);
		break;
	case OPT_KEEP_EXITED:
		err = ks_parse_u64(arg, "--keep-exited", 1, INT_MAX, &v,
				   env->err, sizeof(env->err));
		if (err)
			return -err;	/* env->err says why */
		env->keep_exited = v;
		break;
	case 'v':
		env->verbose = true;
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		return EINTR;	/* stop parsing: help was shown */
	case OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE);
		return EINTR;
	case ARGP_KEY_ARG:
		if (ctx->nr_pos == 2)
			return fail(env, EINVAL,
				    "unexpected argument '%s' (only interval [count])",
				    arg);
		ctx->pos[ctx->nr_pos++] = arg;
		break;
	case ARGP_KEY_END:
		if (env->csv && env->json)
			return fail(env, EINVAL, "-c and -j are exclusive");
		return end_positionals(ctx);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int hv_parse_args(int argc, char **argv, struct hv_env *env, int argp_flags)
{
	static const struct argp argp = {
		.options = opts,
		.parser = parse_opt,
		.args_doc = "[interval [count]]",
		.doc = doc,
		.children = ks_version_children,
	};
	struct parse_ctx ctx = { .env = env };

	memset(env, 0, sizeof(*env));
	env->interval = 1;
	env->sort = HV_SORT_RATE;
	env->keep_exited = HV_KEEP_EXITED_DEFAULT;
	argp_err_exit_status = KS_EXIT_USAGE;
	return argp_parse(&argp, argc, argv,
			  argp_flags | ARGP_NO_EXIT | ARGP_NO_HELP, NULL, &ctx);
}
