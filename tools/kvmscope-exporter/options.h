/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * kvmscope-exporter's command line.  Parsing never exits and never touches
 * global state beyond argp's, so unit tests and the fuzzer drive it
 * in-process; main() maps the result to an exit code.
 */
#ifndef KVMSCOPE_EXPORTER_OPTIONS_H
#define KVMSCOPE_EXPORTER_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "proto.h"

/*
 * 9789: in the Prometheus exporter port range, not allocated on the
 * project's default port allocations page when chosen.
 */
#define KS_DEFAULT_PORT		9789
#define KS_DEFAULT_LISTEN	"127.0.0.1:9789"
#define KS_DEFAULT_TELEMETRY_PATH "/metrics"

struct exporter_env {
	bool http;			/* false with --listen none */
	struct sockaddr_storage addr;	/* --listen, parsed */
	socklen_t addr_len;
	const char *listen;		/* as given, for messages */
	const char *telemetry_path;	/* --web.telemetry-path: "/metrics" */
	const char *web_config;		/* --web.config.file, or NULL */
	const char *textfile;
	const char *synthetic;
	unsigned int interval;		/* seconds between textfile writes */
	unsigned int grace;		/* seconds a gone VM stays exported */
	unsigned int zero_hold;		/* seconds a new VM is exported at 0 */
	unsigned int max_connections;	/* awaiting a request at once */
	unsigned int timeout;		/* HTTP request deadline, s */
	unsigned int max_vms;		/* VMs with series of their own, 0: all */
	unsigned int max_vcpus;		/* the same for vCPUs of a VM */
	pid_t pid;			/* 0: every VMM */
	bool per_vcpu;
	enum ks_hist_mode hist;		/* --native-histograms */
	bool mapgpa;			/* MapGPA latency (kvm_entry) too */
	bool keep_caps;			/* stay root, capabilities and all */
	const char *user;		/* --user, NULL: nobody if root */
	bool verbose;
	bool help;			/* --help/--usage printed: exit 0 */
};

enum { EXPORTER_ARGS_OK = 0, EXPORTER_ARGS_EXIT = 1, EXPORTER_ARGS_USAGE = 2 };

/*
 * Parse the command line into @env.  Errors and --help go to @err_out and
 * @help_out.  Returns EXPORTER_ARGS_OK, EXPORTER_ARGS_EXIT (help printed,
 * exit 0) or EXPORTER_ARGS_USAGE (message printed, exit 2).
 */
int exporter_parse_args(int argc, char **argv, struct exporter_env *env,
			FILE *help_out, FILE *err_out);

/*
 * "127.0.0.1:9789", "[::1]:9789", "localhost:9789", ":9789" (all IPv4
 * addresses).  Numeric addresses only: no DNS at startup.  Port 0 binds
 * a free port.  Returns 0 or -EINVAL with a message in @err.
 */
int exporter_parse_listen(const char *s, struct sockaddr_storage *addr,
			  socklen_t *len, char *err, size_t err_len);

/* "127.0.0.1:9789" or "[::1]:9789" for @addr with @port, into @buf. */
const char *exporter_format_addr(const struct sockaddr_storage *addr,
				 int port, char *buf, size_t len);

#endif /* KVMSCOPE_EXPORTER_OPTIONS_H */
