// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmscope-exporter: load the tdx-trace and hvflush-top BPF programs once
 * and serve their in-kernel aggregates to Prometheus, over HTTP and/or as
 * a node_exporter textfile.  See dashboards/README.md for the metrics.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "caps.h"
#include "collector.h"
#include "http.h"
#include "options.h"
#include "output.h"
#include "signals.h"
#include "source_bpf.h"
#include "source_synth.h"
#include "textfile.h"

#define KVMSCOPE_VERSION "0.1.0"

static void sleep_interval(unsigned int secs)
{
	struct timespec ts = { .tv_sec = secs };

	/* SIGINT/SIGTERM interrupt it (no SA_RESTART): shutdown is prompt. */
	while (!ks_exiting && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int write_textfile(struct ks_collector *c, struct ks_textfile *tf)
{
	struct ks_buf out = { 0 };
	int err;

	err = ks_collector_scrape(c, &out);
	if (!err)
		err = ks_textfile_write(tf, out.data, out.len);
	ks_buf_free(&out);
	return err;
}

/* libmicrohttpd's thread must not take the signals main() sleeps on. */
static void block_exit_signals(bool block)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

int main(int argc, char **argv)
{
	struct ks_render_opts ropts = { .version = KVMSCOPE_VERSION };
	struct ks_textfile tf = { .dir_fd = -1 };
	struct exporter_env env;
	bool first_write = true;
	struct ks_collector c;
	struct ks_http *http = NULL;
	struct utsname uts;
	char err[256];
	int ret = KS_EXIT_FAIL, r;

	r = exporter_parse_args(argc, argv, &env, stdout, stderr);
	if (r == EXPORTER_ARGS_EXIT)
		return 0;
	if (r == EXPORTER_ARGS_USAGE)
		return KS_EXIT_USAGE;
	ks_verbose = env.verbose;
	ks_setup_libbpf();
	if (ks_setup_signals()) {
		p_err("cannot install signal handlers");
		return KS_EXIT_FAIL;
	}

	uname(&uts);
	ropts.kernel = uts.release;
	ropts.per_vcpu = env.per_vcpu;
	ks_collector_init(&c, env.grace, &ropts);

	if (env.synthetic) {
		struct ks_source *src = synth_source_new(env.synthetic, env.pid,
							 err, sizeof(err));

		if (!src) {
			p_err("%s", err);
			goto cleanup;
		}
		ks_collector_add(&c, src);
		c.ropts.mode = "synthetic";
	} else {
		if (ks_bpf_sources_add(&c, &env, err, sizeof(err))) {
			p_err("%s", err);
			goto cleanup;
		}
	}
	p_info("mode: %s", c.ropts.mode);

	if (env.textfile) {
		r = ks_textfile_open(&tf, env.textfile);
		if (r) {
			p_err("textfile %s: %s", env.textfile, strerror(-r));
			goto cleanup;
		}
	}

	/* Attached: from here on only map fds and /proc are needed. */
	if (!env.keep_caps) {
		r = ks_drop_caps();
		if (r) {
			p_err("cannot drop capabilities: %s (--keep-caps to run with them)",
			      strerror(-r));
			goto cleanup;
		}
	}

	if (env.http) {
		struct ks_http_opts ho = {
			.addr = (const struct sockaddr *)&env.addr,
			.addr_len = env.addr_len,
			.max_connections = env.max_connections,
			.timeout = env.timeout,
			.verbose = env.verbose,
		};

		block_exit_signals(true);
		http = ks_http_start(&ho, &c, err, sizeof(err));
		block_exit_signals(false);
		if (!http) {
			p_err("%s on %s", err, env.listen);
			goto cleanup;
		}
		p_info("serving http://%s/metrics",
		       exporter_format_addr(&env.addr, ks_http_port(http), err,
					    sizeof(err)));
	}
	if (env.textfile)
		p_info("writing %s every %us", env.textfile, env.interval);

	while (!ks_exiting) {
		if (env.textfile) {
			r = write_textfile(&c, &tf);
			if (r)
				p_err("textfile %s: %s", env.textfile, strerror(-r));
			/*
			 * The first write proves the setup (directory, its
			 * permissions, space); later failures may pass, and
			 * leave the last good file in place meanwhile.
			 */
			if (r && first_write)
				goto cleanup;
			first_write = false;
		} else {
			ks_collector_collect(&c);
		}
		sleep_interval(env.interval);
	}
	ret = 0;
cleanup:
	ks_http_stop(http);
	ks_textfile_close(&tf);
	ks_collector_free(&c);
	return ret;
}
