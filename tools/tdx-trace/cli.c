// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "version.h"

const struct tdx_cmd tdx_cmds[] = {
	{ "conversions", cmd_conversions },
	{ "roles", cmd_roles },
	{ NULL, NULL },
};

static const char doc[] =
"Trace what private<->shared memory conversions and MMU role\n"
"recomputations cost KVM guests (kvmscope series tracepoints).\n"
"\n"
"USAGE: tdx-trace [conversions] [-s] [-T] [-j] [-u|-m] [-p PID] [--vm GLOB]\n"
"                 [--min-us N] [--private|--shared] [--mapgpa]\n"
"                 [interval [count]]\n"
"       tdx-trace roles [-j] [-u|-m] [-p PID] [--vm GLOB] [interval [count]]\n"
"\n"
"interval: seconds, fractions too (0.5); count: that many intervals.\n"
"\n"
"conversions (default): one line per KVM_SET_MEMORY_ATTRIBUTES conversion\n"
"  (VM, thread, GPA range, direction, duration, SPTEs zapped per level, TLB\n"
"  flushes, no-op, return code); with -s, per-interval log2 histograms of\n"
"  duration and size per VM and direction; with --mapgpa also the guest's\n"
"  MapGPA hypercall -> return latency per vCPU (opt-in: without the\n"
"  series it attaches to kvm_entry, which every VM entry of every VM then\n"
"  pays for).  Without the series, falls back to upstream events and says\n"
"  which fields it cannot observe.\n"
"roles: per VM/vCPU/MMU role recomputations, changed vs unchanged, by\n"
"  cause, the top transitions decoded, and kvm_init_mmu() cost where\n"
"  fentry can attach.\n"
"\n"
"EXAMPLES:\n"
"    tdx-trace                      # every conversion until Ctrl-C\n"
"    tdx-trace -T -p 1234           # conversions of PID 1234, timestamped\n"
"    tdx-trace --private --min-us 100  # to-private conversions >= 100us\n"
"    tdx-trace -s 5                 # histograms every 5 seconds\n"
"    tdx-trace -s 0.5 20            # ... every half second, 20 times\n"
"    tdx-trace -s -m 5              # ... with times in milliseconds\n"
"    tdx-trace -s --mapgpa          # ... and the guests' MapGPA latency\n"
"    tdx-trace conversions 1 10 -j  # JSON lines, 10 one-second intervals\n"
"    tdx-trace roles 1              # role recomputations every second\n"
"\n"
"Exit status: 0 ok, 1 runtime failure (no BTF, no privileges, nothing to\n"
"attach), 2 bad command line.\n"
"\v";

enum {
	OPT_VM = 0x100,
	OPT_MIN_US,
	OPT_PRIVATE,
	OPT_SHARED,
	OPT_MAPGPA,
	OPT_USAGE,
};

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Only this VMM process", 0 },
	{ "vm", OPT_VM, "GLOB", 0, "Only VMs whose name (QEMU -name) or stats id (kvm-<pid>) matches this glob", 0 },
	{ "summary", 's', NULL, 0, "conversions: histograms per interval instead of one line per conversion", 0 },
	{ "timestamp", 'T', NULL, 0, "conversions: print a time column", 0 },
	{ "min-us", OPT_MIN_US, "N", 0, "conversions: only those taking >= N microseconds", 0 },
	{ "private", OPT_PRIVATE, NULL, 0, "conversions: only shared -> private", 0 },
	{ "shared", OPT_SHARED, NULL, 0, "conversions: only private -> shared", 0 },
	{ "mapgpa", OPT_MAPGPA, NULL, 0, "conversions: also MapGPA hypercall latency per vCPU (without the series, costs every VM entry)", 0 },
	{ "microseconds", 'u', NULL, 0, "Time histograms in microseconds (default nanoseconds; JSON stays in ns)", 0 },
	{ "milliseconds", 'm', NULL, 0, "Time histograms in milliseconds", 0 },
	{ "json", 'j', NULL, 0, "JSON lines on stdout", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose debug output (libbpf)", 0 },
	{ "help", 'h', NULL, 0, "Show this help", 0 },
	{ "usage", OPT_USAGE, NULL, OPTION_HIDDEN, "Show a short usage message", 0 },
	{},
};

/* Exact command name, or a unique prefix of one ("conv", "rol"). */
static const struct tdx_cmd *find_cmd(const char *arg)
{
	const struct tdx_cmd *c, *found = NULL;
	size_t len = strlen(arg);

	for (c = tdx_cmds; c->name; c++) {
		if (!strcmp(c->name, arg))
			return c;
		if (!strncmp(c->name, arg, len)) {
			if (found)
				return NULL;
			found = c;
		}
	}
	return found;
}

static int parse_positional(struct tdx_env *env, const char *arg)
{
	const struct tdx_cmd *c;

	/* A command may only come first. */
	if (!env->cmd && env->nr_positional == 0 &&
	    arg[0] >= 'a' && arg[0] <= 'z') {
		c = find_cmd(arg);
		if (!c) {
			snprintf(env->err, sizeof(env->err),
				 "unknown command '%s' (conversions, roles)", arg);
			return EINVAL;
		}
		env->cmd = c;
		return 0;
	}
	if (ks_parse_interval_count(arg, env->nr_positional, &env->interval,
				    &env->count, env->err, sizeof(env->err)))
		return EINVAL;
	env->nr_positional++;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct tdx_env *env = state->input;
	uint64_t v;

	switch (key) {
	case 'p':
		if (ks_parse_pid(arg, &env->pid, env->err, sizeof(env->err)))
			return EINVAL;
		break;
	case OPT_VM:
		if (ks_parse_vm_pattern(arg, env->vm, sizeof(env->vm),
					env->err, sizeof(env->err)))
			return EINVAL;
		break;
	case 's':
		env->summary = true;
		break;
	case 'T':
		env->timestamp = true;
		break;
	case OPT_MIN_US:
		/* Bounded so the nanosecond threshold cannot overflow. */
		if (ks_parse_u64(arg, "--min-us", 0, UINT64_MAX / 1000, &v,
				 env->err, sizeof(env->err)))
			return EINVAL;
		env->min_us = v;
		break;
	case OPT_PRIVATE:
	case OPT_SHARED:
		if (env->dir != CONV_FILTER_ANY) {
			snprintf(env->err, sizeof(env->err),
				 "--private and --shared are exclusive");
			return EINVAL;
		}
		env->dir = key == OPT_PRIVATE ? CONV_FILTER_PRIVATE
					      : CONV_FILTER_SHARED;
		break;
	case OPT_MAPGPA:
		env->mapgpa = true;
		break;
	case 'u':
	case 'm':
		if (env->unit != KS_UNIT_NSECS) {
			snprintf(env->err, sizeof(env->err),
				 "-u and -m are exclusive");
			return EINVAL;
		}
		env->unit = key == 'u' ? KS_UNIT_USECS : KS_UNIT_MSECS;
		break;
	case 'j':
		env->json = true;
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
		return parse_positional(env, arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Options that only make sense for conversions. */
static int check_cmd_options(struct tdx_env *env)
{
	if (env->cmd == &tdx_cmds[0])
		return 0;
	if (env->summary || env->timestamp || env->min_us ||
	    env->dir != CONV_FILTER_ANY || env->mapgpa) {
		snprintf(env->err, sizeof(env->err),
			 "-s, -T, --min-us, --private, --shared and --mapgpa only apply to conversions");
		return EINVAL;
	}
	return 0;
}

enum tdx_parse_result tdx_parse_args(int argc, char **argv,
				     struct tdx_env *env)
{
	static const struct argp argp = {
		.options = opts,
		.parser = parse_opt,
		.args_doc = "[conversions|roles] [interval [count]]",
		.doc = doc,
		.children = ks_version_children,
	};
	int err;

	memset(env, 0, sizeof(*env));
	argp_err_exit_status = KS_EXIT_USAGE;
	err = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP,
			 NULL, env);
	if (err == EINTR)
		return TDX_PARSE_EXIT_OK;
	if (err)
		return TDX_PARSE_USAGE;
	if (!env->cmd)
		env->cmd = &tdx_cmds[0];
	if (check_cmd_options(env))
		return TDX_PARSE_USAGE;
	return TDX_PARSE_RUN;
}
