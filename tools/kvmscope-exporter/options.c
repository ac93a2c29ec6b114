// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* kvmscope-exporter command line: see options.h. */
#include <argp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "args.h"
#include "options.h"
#include "version.h"

static const char doc[] =
"Serve kvmscope's in-kernel KVM aggregates to Prometheus.\n"
"\n"
"Loads the tdx-trace (memory conversions, MMU roles) and hvflush-top\n"
"(Hyper-V TLB flush FIFOs) BPF programs, then serves /metrics in the\n"
"Prometheus text format (OpenMetrics, gzip when asked; TLS and basic auth\n"
"with --web.config.file) and/or writes a node_exporter textfile.  Needs\n"
"CAP_BPF and CAP_PERFMON, CAP_DAC_READ_SEARCH for tracefs if not root, and\n"
"CAP_SYS_ADMIN where KVM is a module (its BTF) or where tracefs is not\n"
"mounted (it then mounts one in a mount namespace of its own).  Once\n"
"attached, listening and holding the textfile's directory open, it drops\n"
"every capability and, started as root, becomes --user (default nobody),\n"
"which must be able to write that directory.  SIGHUP: the textfile's\n"
"directory is looked up again and the file written at once.\n"
"\n"
"USAGE: kvmscope-exporter [--listen ADDR:PORT] [--textfile PATH] [OPTION...]\n"
"\n"
"EXAMPLES:\n"
"    kvmscope-exporter                       # serve 127.0.0.1:9789/metrics\n"
"    kvmscope-exporter --listen [::1]:9789   # IPv6 loopback\n"
"    kvmscope-exporter --web.config.file /etc/kvmscope/web.yml   # TLS, basic auth\n"
"    kvmscope-exporter --listen none --user prometheus --textfile \\\n"
"        /var/lib/prometheus/node-exporter/kvmscope.prom   # textfile only\n"
"    kvmscope-exporter -p 1234 --per-vcpu    # one VMM, per-vCPU histograms\n"
"    kvmscope-exporter --mapgpa              # also MapGPA latency\n"
"    kvmscope-exporter --synthetic vms.txt   # synthetic data (tests, demos)\n";

enum {
	OPT_PER_VCPU = 0x100,
	OPT_MAPGPA,
	OPT_KEEP_CAPS,
	OPT_USER,
	OPT_SYNTHETIC,
	OPT_MAX_CONN,
	OPT_TIMEOUT,
	OPT_MAX_VMS,
	OPT_MAX_VCPUS,
	OPT_USAGE,
	OPT_ZERO_HOLD,
	OPT_TELEMETRY_PATH,
	OPT_WEB_CONFIG,
	OPT_NATIVE_HIST,
};

/* --zero-hold not given: twice the interval (set after parsing). */
#define ZERO_HOLD_UNSET UINT_MAX

static const struct argp_option opts[] = {
	{ "listen", 'l', "ADDR:PORT", 0,
	  "Serve /metrics here (default " KS_DEFAULT_LISTEN "; port 0 picks a free one; \"none\": no HTTP)", 0 },
	{ "web.listen-address", 'l', "ADDR:PORT", OPTION_ALIAS, NULL, 0 },
	{ "web.telemetry-path", OPT_TELEMETRY_PATH, "PATH", 0,
	  "Serve the metrics at this path (default " KS_DEFAULT_TELEMETRY_PATH ")", 0 },
	{ "web.config.file", OPT_WEB_CONFIG, "FILE", 0,
	  "TLS and basic auth, in the Prometheus exporter-toolkit web configuration format (YAML)", 0 },
	{ "textfile", 't', "PATH", 0,
	  "Also write the metrics to PATH every interval, atomically (node_exporter textfile collector)", 0 },
	{ "interval", 'i', "SECONDS", 0,
	  "Textfile write and VM expiry period (default 15)", 0 },
	{ "grace", 'g', "SECONDS", 0,
	  "Keep exporting a VM this long after it is gone (default 120)", 0 },
	{ "zero-hold", OPT_ZERO_HOLD, "SECONDS", 0,
	  "Export a new VM's counters as 0 this long, so that every scraper sees them start: at least two scrape intervals (default twice --interval)", 0 },
	{ "pid", 'p', "PID", 0, "Only the VMs of this VMM process", 0 },
	{ "per-vcpu", OPT_PER_VCPU, NULL, 0,
	  "vcpu label on vCPU-scoped counters and histograms (default: per VM)", 0 },
	{ "max-vms", OPT_MAX_VMS, "N", 0,
	  "Export at most N VMs as their own series; newer ones are summed into vm=\"_other\" until they are gone (0: no limit; default 1000)", 0 },
	{ "max-vcpus", OPT_MAX_VCPUS, "N", 0,
	  "With --per-vcpu, at most N vCPUs of a VM as their own series; the others are summed into vcpu=\"_other\" (0: no limit; default 256)", 0 },
	{ "native-histograms", OPT_NATIVE_HIST, "both|native|classic", 0,
	  "Histograms in the protobuf exposition (Prometheus with native histograms asks for it): native (schema 0) and classic buckets, or only one of them (default both); text always has classic buckets", 0 },
	{ "mapgpa", OPT_MAPGPA, NULL, 0,
	  "Also MapGPA hypercall latency per vCPU (without the series, attaches to kvm_entry, which every VM entry then pays for)", 0 },
	{ "user", OPT_USER, "NAME", 0,
	  "Started as root, serve as this user once attached (default nobody); it must be able to write the textfile's directory", 0 },
	{ "keep-caps", OPT_KEEP_CAPS, NULL, 0,
	  "Stay root with every capability (kernels before 6.5 need it to read BPF maps): not recommended, says so at startup", 0 },
	{ "synthetic", OPT_SYNTHETIC, "FILE", 0,
	  "Serve synthetic map contents from this VM spec instead of BPF (re-read on every scrape)", 0 },
	{ "max-connections", OPT_MAX_CONN, "N", 0,
	  "HTTP connections awaiting their request at once; a new one closes the oldest (default 64)", 0 },
	{ "timeout", OPT_TIMEOUT, "SECONDS", 0,
	  "Close an HTTP connection whose request is not whole this long after connecting, or whose response stalls this long (default 5)", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose debug output", 0 },
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Show a short usage message", -1 },
	{},
};

struct parse_ctx {
	struct exporter_env *env;
	FILE *help_out;
	FILE *err_out;
};

int exporter_parse_listen(const char *s, struct sockaddr_storage *addr,
			  socklen_t *len, char *err, size_t err_len)
{
	const char *colon, *host_end, *host = s;
	char hostbuf[INET6_ADDRSTRLEN];
	uint64_t port;
	size_t hl;

	memset(addr, 0, sizeof(*addr));
	if (s[0] == '[') {
		host_end = strchr(s, ']');
		if (!host_end || host_end[1] != ':') {
			snprintf(err, err_len, "listen address '%s': expected [IPv6]:PORT", s);
			return -EINVAL;
		}
		host = s + 1;
		colon = host_end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			snprintf(err, err_len, "listen address '%s': expected ADDR:PORT", s);
			return -EINVAL;
		}
		host_end = colon;
	}
	if (ks_parse_u64(colon + 1, "port", 0, 65535, &port, err, err_len))
		return -EINVAL;
	hl = host_end - host;
	if (hl >= sizeof(hostbuf)) {
		snprintf(err, err_len, "listen address '%s': bad address", s);
		return -EINVAL;
	}
	memcpy(hostbuf, host, hl);
	hostbuf[hl] = '\0';

	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;

		if (inet_pton(AF_INET6, hostbuf, &a6->sin6_addr) != 1) {
			snprintf(err, err_len, "listen address '%s': '%s' is not an IPv6 address",
				 s, hostbuf);
			return -EINVAL;
		}
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)addr;

		if (!hl)
			a4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (!strcmp(hostbuf, "localhost"))
			a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, hostbuf, &a4->sin_addr) != 1) {
			snprintf(err, err_len, "listen address '%s': '%s' is not an IPv4 address (use [ADDR] for IPv6)",
				 s, hostbuf);
			return -EINVAL;
		}
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
	}
	return 0;
}

const char *exporter_format_addr(const struct sockaddr_storage *addr,
				 int port, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (addr->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr,
			  host, sizeof(host));
		snprintf(buf, len, "[%s]:%d", host, port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr,
			  host, sizeof(host));
		snprintf(buf, len, "%s:%d", host, port);
	}
	return buf;
}

static int parse_uint(struct argp_state *state, const char *arg,
		      const char *what, uint64_t min, uint64_t max,
		      unsigned int *out)
{
	char err[KS_ERR_LEN];
	uint64_t v;

	if (ks_parse_u64(arg, what, min, max, &v, err, sizeof(err))) {
		argp_error(state, "%s", err);
		return EINVAL;
	}
	*out = v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_ctx *ctx = state->input;
	struct exporter_env *env = ctx->env;
	char err[KS_ERR_LEN];

	switch (key) {
	case ARGP_KEY_INIT:
		state->out_stream = ctx->help_out;
		state->err_stream = ctx->err_out;
		break;
	case 'l':
		env->listen = arg;
		if (!strcmp(arg, "none")) {
			env->http = false;
			break;
		}
		env->http = true;
		if (exporter_parse_listen(arg, &env->addr, &env->addr_len, err,
					  sizeof(err))) {
			argp_error(state, "%s", err);
			return EINVAL;
		}
		break;
	case OPT_TELEMETRY_PATH:
		/* "/" is the landing page; a query string could never match. */
		if (arg[0] != '/' || !arg[1] || strpbrk(arg, "?#")) {
			argp_error(state, "--web.telemetry-path '%s': expected an absolute path other than / (e.g. /metrics)",
				   arg);
			return EINVAL;
		}
		env->telemetry_path = arg;
		break;
	case OPT_WEB_CONFIG:
		if (!arg[0]) {
			argp_error(state, "--web.config.file: empty path");
			return EINVAL;
		}
		env->web_config = arg;
		break;
	case 't':
		if (!arg[0]) {
			argp_error(state, "--textfile: empty path");
			return EINVAL;
		}
		env->textfile = arg;
		break;
	case 'i':
		return parse_uint(state, arg, "interval", 1, 86400, &env->interval);
	case 'g':
		return parse_uint(state, arg, "grace", 0, 7 * 86400, &env->grace);
	case OPT_ZERO_HOLD:
		return parse_uint(state, arg, "zero-hold", 0, 7 * 86400,
				  &env->zero_hold);
	case 'p':
		if (ks_parse_pid(arg, &env->pid, err, sizeof(err))) {
			argp_error(state, "%s", err);
			return EINVAL;
		}
		break;
	case OPT_PER_VCPU:
		env->per_vcpu = true;
		break;
	case OPT_NATIVE_HIST: {
		int m = ks_hist_mode_parse(arg);

		if (m < 0) {
			argp_error(state, "--native-histograms: '%s' is not both, native or classic",
				   arg);
			return EINVAL;
		}
		env->hist = m;
		break;
	}
	case OPT_MAPGPA:
		env->mapgpa = true;
		break;
	case OPT_KEEP_CAPS:
		env->keep_caps = true;
		break;
	case OPT_USER:
		if (!arg[0]) {
			argp_error(state, "--user: empty name");
			return EINVAL;
		}
		env->user = arg;
		break;
	case OPT_SYNTHETIC:
		if (!arg[0]) {
			argp_error(state, "--synthetic: empty path");
			return EINVAL;
		}
		env->synthetic = arg;
		break;
	case OPT_MAX_CONN:
		return parse_uint(state, arg, "max-connections", 1, 1024,
				  &env->max_connections);
	case OPT_TIMEOUT:
		return parse_uint(state, arg, "timeout", 1, 3600, &env->timeout);
	case OPT_MAX_VMS:
		return parse_uint(state, arg, "max-vms", 0, 1000000,
				  &env->max_vms);
	case OPT_MAX_VCPUS:
		return parse_uint(state, arg, "max-vcpus", 0, 1000000,
				  &env->max_vcpus);
	case 'v':
		env->verbose = true;
		break;
	case 'h':
		argp_state_help(state, state->out_stream, ARGP_HELP_STD_HELP);
		env->help = true;
		break;
	case OPT_USAGE:
		argp_state_help(state, state->out_stream,
				ARGP_HELP_USAGE | ARGP_HELP_EXIT_OK);
		env->help = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s' (the interval is --interval)",
			   arg);
		return EINVAL;
	case ARGP_KEY_END:
		if (!env->http && !env->textfile && !env->help) {
			argp_error(state, "--listen none needs --textfile: nothing to serve");
			return EINVAL;
		}
		if (!env->http && env->web_config) {
			argp_error(state, "--web.config.file needs HTTP, not --listen none");
			return EINVAL;
		}
		if (env->keep_caps && env->user) {
			argp_error(state, "--keep-caps and --user are exclusive: --keep-caps stays root");
			return EINVAL;
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int exporter_parse_args(int argc, char **argv, struct exporter_env *env,
			FILE *help_out, FILE *err_out)
{
	static const struct argp argp = {
		.options = opts,
		.parser = parse_opt,
		.doc = doc,
		.children = ks_version_children,
	};
	struct parse_ctx ctx = { env, help_out, err_out };
	char err[KS_ERR_LEN];
	error_t r;

	memset(env, 0, sizeof(*env));
	env->http = true;
	env->listen = KS_DEFAULT_LISTEN;
	env->telemetry_path = KS_DEFAULT_TELEMETRY_PATH;
	env->interval = 15;
	env->grace = 120;
	env->zero_hold = ZERO_HOLD_UNSET;
	env->max_connections = 64;
	env->timeout = 5;
	env->max_vms = 1000;
	env->max_vcpus = 256;
	if (exporter_parse_listen(KS_DEFAULT_LISTEN, &env->addr, &env->addr_len,
				  err, sizeof(err)))
		return EXPORTER_ARGS_USAGE;

	r = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL,
		       &ctx);
	if (env->help || r == EINTR)	/* EINTR: --version printed */
		return EXPORTER_ARGS_EXIT;
	if (env->zero_hold == ZERO_HOLD_UNSET)
		env->zero_hold = 2 * env->interval;
	return r ? EXPORTER_ARGS_USAGE : EXPORTER_ARGS_OK;
}
