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
#include <unistd.h>

#include "caps.h"
#include "collector.h"
#include "http.h"
#include "options.h"
#include "output.h"
#include "process.h"
#include "sdnotify.h"
#include "signals.h"
#include "source_bpf.h"
#include "source_synth.h"
#include "textfile.h"
#include "version.h"
#include "webconfig.h"

static void sleep_interval(double secs)
{
	struct timespec ts = {
		.tv_sec = (time_t)secs,
		.tv_nsec = (long)((secs - (time_t)secs) * 1e9),
	};

	/*
	 * SIGINT/SIGTERM interrupt it (no SA_RESTART): shutdown is prompt;
	 * so does SIGHUP, whose textfile is then written at once.
	 */
	while (!ks_exiting && !ks_hangup && nanosleep(&ts, &ts) && errno == EINTR)
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
	sigaddset(&set, SIGHUP);
	pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/*
 * SIGHUP, by convention "reopen your files" (logrotate, a replaced
 * directory): the textfile's directory is looked up again by its path.
 * No reload of options: they are the command line's.
 */
static void hangup(struct ks_textfile *tf, const char *path)
{
	int r;

	ks_hangup = 0;
	if (!path) {
		p_info("SIGHUP: nothing to reopen (no --textfile)");
		return;
	}
	r = ks_textfile_reopen(tf);
	if (r)
		p_err("SIGHUP: textfile %s: %s; still writing into the directory held so far",
		      path, strerror(-r));
	else
		p_info("SIGHUP: textfile %s reopened", path);
}

/*
 * Who to serve as: with --keep-caps stay root (said loudly); with --user
 * that user; else nobody when started as root, or the current user.
 * Returns 0, *@u NULL for "stay", or the exit code.
 */
static int choose_user(const struct exporter_env *env, struct ks_user *buf,
		       const struct ks_user **u)
{
	const char *name = env->user;
	char err[256];

	*u = NULL;
	if (env->keep_caps) {
		p_info("Warning: --keep-caps: serving as uid %d with every capability it was started with",
		       (int)geteuid());
		return 0;
	}
	if (!name && getuid() && geteuid())
		return 0;
	*u = buf;
	if (name) {
		if (ks_user_lookup(name, buf, err, sizeof(err))) {
			p_err("%s", err);
			return KS_EXIT_USAGE;
		}
		return 0;
	}
	/*
	 * A minimal system (an initramfs, a container) may have no user
	 * database: nobody is then the kernel's overflow uid and gid.
	 */
	if (ks_user_lookup("nobody", buf, err, sizeof(err)))
		*buf = (struct ks_user){ KS_NOBODY_ID, KS_NOBODY_ID };
	return 0;
}

int main(int argc, char **argv)
{
	struct ks_render_opts ropts = { .version = ks_version };
	struct ks_textfile tf = { .dir_fd = -1 };
	struct ks_web_config web = { 0 };
	const struct ks_user *user;
	struct ks_user user_buf;
	int listen_fd = -1;
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
	r = choose_user(&env, &user_buf, &user);
	if (r)
		return r;
	if (ks_setup_signals() || ks_setup_hangup()) {
		p_err("cannot install signal handlers");
		return KS_EXIT_FAIL;
	}

	/* Before anything is attached: a bad file is a usage error. */
	if (env.web_config &&
	    ks_web_config_load(env.web_config, &web, err, sizeof(err))) {
		p_err("--web.config.file %s", err);
		return KS_EXIT_USAGE;
	}

	uname(&uts);
	ropts.kernel = uts.release;
	ropts.per_vcpu = env.per_vcpu;
	ropts.zero_hold = env.zero_hold;
	ks_collector_init(&c, env.grace, &ropts);
	ks_store_limit(&c.store, env.max_vms, env.max_vcpus);

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

	if (env.http) {
		/* systemd's socket, if it passed one, else --listen's. */
		listen_fd = ks_sd_listen_fd(&env.addr, &env.addr_len, err,
					    sizeof(err));
		if (!listen_fd)
			listen_fd = ks_http_listen((const struct sockaddr *)&env.addr,
						   env.addr_len, err, sizeof(err));
		if (listen_fd < 0) {
			p_err("cannot serve HTTP on %s: %s", env.listen, err);
			goto cleanup;
		}
	}

	if (env.http && (r = ks_process_init()))
		p_info("process_open_fds left out: /proc/self/fd: %s",
		       strerror(-r));

	/*
	 * Attached, listening, the textfile's directory open: from here on
	 * only these fds and /proc are needed.
	 */
	if (!env.keep_caps) {
		r = ks_drop_privileges(user);
		if (r) {
			p_err("cannot drop privileges: %s", strerror(-r));
			goto cleanup;
		}
		if (user)
			p_info("serving as uid %d, gid %d", (int)user->uid,
			       (int)user->gid);
	}

	if (env.http) {
		struct ks_http_opts ho = {
			.addr = (const struct sockaddr *)&env.addr,
			.addr_len = env.addr_len,
			.listen_fd = listen_fd,
			.max_connections = env.max_connections,
			.timeout = env.timeout,
			.telemetry_path = env.telemetry_path,
			.web = env.web_config ? &web : NULL,
			.hist = env.hist,
			.verbose = env.verbose,
		};

		block_exit_signals(true);
		http = ks_http_start(&ho, &c, err, sizeof(err));
		block_exit_signals(false);
		if (!http) {
			p_err("cannot serve HTTP on %s: %s", env.listen, err);
			goto cleanup;
		}
		listen_fd = -1;		/* the server's now */
		p_info("serving %s://%s%s%s", web.cert_pem ? "https" : "http",
		       exporter_format_addr(&env.addr, ks_http_port(http), err,
					    sizeof(err)), env.telemetry_path,
		       web.nr_users ? " (basic auth)" : "");
	}
	if (env.textfile)
		p_info("writing %s every %us", env.textfile, env.interval);
	ks_sd_ready();

	while (!ks_exiting) {
		if (ks_hangup)
			hangup(&tf, env.textfile);
		if (env.textfile) {
			r = write_textfile(&c, &tf);
			if (r)
				p_err("textfile %s: %s%s", env.textfile, strerror(-r),
				      r == -EACCES && user ?
				      " (the directory must be writable by --user)" : "");
			/*
			 * The first write proves the setup (directory, its
			 * permissions, space); later failures may pass, and
			 * leave the last good file in place meanwhile.
			 */
			if (r && first_write)
				goto cleanup;
			first_write = false;
			sleep_interval(env.interval);
		} else {
			sleep_interval(ks_collector_tick(&c, env.interval));
		}
	}
	ret = 0;
cleanup:
	ks_http_stop(http);
	if (listen_fd >= 0)
		close(listen_fd);
	ks_textfile_close(&tf);
	ks_collector_free(&c);
	ks_web_config_free(&web);
	return ret;
}
