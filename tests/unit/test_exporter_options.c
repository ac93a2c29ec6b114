// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmscope-exporter command line: defaults, every option, and every kind
 * of bad input ending in the usage exit code (2) with a message, never an
 * exit from inside the parser.  Also the synthetic VM spec parser.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kvmscope-exporter/options.h"
#include "kvmscope-exporter/source_synth.h"

static char errbuf[4096];

/* Parse a NULL-terminated list; messages land in errbuf. */
static int parse(struct exporter_env *env, ...)
{
	char *argv[32] = { "kvmscope-exporter" };
	FILE *out = fopen("/dev/null", "w");
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	va_list ap;
	int argc = 1, r;

	va_start(ap, env);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	memset(errbuf, 0, sizeof(errbuf));
	r = exporter_parse_args(argc, argv, env, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static void test_defaults(void **state)
{
	struct exporter_env env;
	struct sockaddr_in *a = (struct sockaddr_in *)&env.addr;

	(void)state;
	assert_int_equal(parse(&env, NULL), EXPORTER_ARGS_OK);
	assert_true(env.http);
	assert_int_equal(a->sin_family, AF_INET);
	assert_int_equal(ntohs(a->sin_port), KS_DEFAULT_PORT);
	assert_int_equal(ntohl(a->sin_addr.s_addr), INADDR_LOOPBACK);
	assert_int_equal(env.interval, 15);
	assert_int_equal(env.grace, 120);
	assert_int_equal(env.zero_hold, 30);	/* twice the interval */
	assert_false(env.per_vcpu);
	assert_false(env.mapgpa);
	assert_false(env.keep_caps);
	assert_null(env.user);
	assert_null(env.textfile);
	assert_int_equal(env.pid, 0);
	assert_int_equal(env.max_vms, 1000);
	assert_int_equal(env.max_vcpus, 256);
}

static void test_all_options(void **state)
{
	struct exporter_env env;
	char pid[16];

	(void)state;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_int_equal(parse(&env, "--listen", "[::1]:9999", "--textfile",
			       "/tmp/x.prom", "--interval", "5", "--grace", "0",
			       "-p", pid, "--per-vcpu", "--mapgpa", "--keep-caps",
			       "--max-connections", "4", "--timeout", "3", "-v",
			       "--max-vms", "7", "--max-vcpus", "0",
			       NULL), EXPORTER_ARGS_OK);
	assert_int_equal(env.addr.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&env.addr)->sin6_port), 9999);
	assert_string_equal(env.textfile, "/tmp/x.prom");
	assert_int_equal(env.interval, 5);
	assert_int_equal(env.grace, 0);
	assert_int_equal(env.zero_hold, 10);	/* twice this interval */
	assert_int_equal(env.pid, getpid());
	assert_true(env.per_vcpu && env.mapgpa && env.keep_caps && env.verbose);
	assert_int_equal(env.max_connections, 4);
	assert_int_equal(env.timeout, 3);
	assert_int_equal(env.max_vms, 7);
	assert_int_equal(env.max_vcpus, 0);	/* no limit */

	assert_int_equal(parse(&env, "--listen", "none", "-t", "/tmp/y.prom",
			       NULL), EXPORTER_ARGS_OK);
	assert_false(env.http);
	/* Given, the hold is what it says, whatever the interval. */
	assert_int_equal(parse(&env, "--zero-hold", "0", "-i", "7", NULL),
			 EXPORTER_ARGS_OK);
	assert_int_equal(env.zero_hold, 0);
	assert_int_equal(parse(&env, "-i", "7", "--zero-hold", "45", NULL),
			 EXPORTER_ARGS_OK);
	assert_int_equal(env.zero_hold, 45);
	assert_int_equal(parse(&env, "-l", ":0", NULL), EXPORTER_ARGS_OK);
	assert_int_equal(((struct sockaddr_in *)&env.addr)->sin_addr.s_addr,
			 htonl(INADDR_ANY));
	assert_int_equal(parse(&env, "--user", "prometheus", NULL), EXPORTER_ARGS_OK);
	assert_string_equal(env.user, "prometheus");
	assert_false(env.keep_caps);
}

static void test_help(void **state)
{
	struct exporter_env env;

	(void)state;
	assert_int_equal(parse(&env, "--help", NULL), EXPORTER_ARGS_EXIT);
	assert_int_equal(parse(&env, "-h", NULL), EXPORTER_ARGS_EXIT);
	assert_int_equal(parse(&env, "--usage", NULL), EXPORTER_ARGS_EXIT);
}

/* Each bad command line: exit 2 and a message that names the problem. */
static void bad(const char *want, ...)
{
	char *argv[8] = { "kvmscope-exporter" };
	struct exporter_env env;
	FILE *out = fopen("/dev/null", "w");
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	va_list ap;
	int argc = 1, r;

	va_start(ap, want);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	memset(errbuf, 0, sizeof(errbuf));
	r = exporter_parse_args(argc, argv, &env, out, err);
	fclose(out);
	fclose(err);
	if (r != EXPORTER_ARGS_USAGE || !strstr(errbuf, want))
		fail_msg("%s %s: got %d, message '%s', wanted '%s'", argv[1],
			 argc > 2 ? argv[2] : "", r, errbuf, want);
}

static void test_bad_input(void **state)
{
	(void)state;
	/* getopt reports these on stderr itself; argp adds the hint. */
	bad("--help", "--bogus", NULL);
	bad("--help", "-Z", NULL);
	bad("interval", "--interval", "0", NULL);
	bad("interval", "--interval", "1x", NULL);
	bad("interval", "--interval", "-3", NULL);
	bad("interval", "--interval", "", NULL);
	bad("grace", "--grace", "99999999999999999999", NULL);
	bad("zero-hold", "--zero-hold", "-1", NULL);
	bad("zero-hold", "--zero-hold", "604801", NULL);
	bad("zero-hold", "--zero-hold", "2s", NULL);
	bad("PID", "-p", "0", NULL);
	bad("PID", "-p", "abc", NULL);
	bad("4194304", "-p", "4194304", NULL);		/* beyond pid_max */
	bad("port", "--listen", "127.0.0.1:65536", NULL);
	bad("port", "--listen", "127.0.0.1:", NULL);
	bad("ADDR:PORT", "--listen", "127.0.0.1", NULL);
	bad("IPv4", "--listen", "example.org:80", NULL);
	bad("IPv6", "--listen", "[::g]:80", NULL);
	bad("[IPv6]:PORT", "--listen", "[::1]80", NULL);
	bad("nothing to serve", "--listen", "none", NULL);
	bad("unexpected argument", "5", NULL);
	bad("max-connections", "--max-connections", "0", NULL);
	bad("max-vms", "--max-vms", "-1", NULL);
	bad("max-vms", "--max-vms", "1000001", NULL);
	bad("max-vms", "--max-vms", "10k", NULL);
	bad("max-vcpus", "--max-vcpus", "", NULL);
	bad("--help", "--textfile", NULL);
	bad("empty path", "--textfile", "", NULL);
	bad("empty name", "--user", "", NULL);
	/* --keep-caps stays root: a user to become contradicts it. */
	bad("exclusive", "--keep-caps", "--user", "nobody", NULL);
}

static void test_listen_parse(void **state)
{
	struct sockaddr_storage a;
	socklen_t len;
	char err[160], buf[64];

	(void)state;
	assert_int_equal(exporter_parse_listen("localhost:80", &a, &len, err,
					       sizeof(err)), 0);
	assert_string_equal(exporter_format_addr(&a, 80, buf, sizeof(buf)),
			    "127.0.0.1:80");
	assert_int_equal(exporter_parse_listen("[::]:9", &a, &len, err,
					       sizeof(err)), 0);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_string_equal(exporter_format_addr(&a, 9, buf, sizeof(buf)),
			    "[::]:9");
}

static void test_synth_spec(void **state)
{
	const char ok[] =
		"# comment\n"
		"kvm-2 name=b vcpus=64 rate=0   # trailing comment\n"
		"\n"
		"  kvm-1\tname=a\"\\ hold\n";
	struct synth_vm *vms;
	char err[160];
	int n;

	(void)state;
	n = synth_parse(ok, sizeof(ok) - 1, &vms, err, sizeof(err));
	assert_int_equal(n, 2);
	assert_string_equal(vms[0].id, "kvm-1");	/* sorted */
	assert_string_equal(vms[0].name, "a\"\\");
	assert_int_equal(vms[0].vcpus, 1);
	assert_int_equal(vms[0].rate, 10);
	assert_int_equal(vms[0].hold, 1);
	assert_int_equal(vms[1].hold, 0);
	assert_int_equal(vms[1].vcpus, 64);
	assert_int_equal(vms[1].rate, 0);
	free(vms);

	assert_int_equal(synth_parse("", 0, &vms, err, sizeof(err)), 0);
	free(vms);

	assert_int_equal(synth_parse("kvm-1\nkvm-1\n", 12, &vms, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(synth_parse("kvm-1 vcpus=0", 13, &vms, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 1"));
	assert_int_equal(synth_parse("\nkvm-1 color=red", 16, &vms, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 2: unknown attribute 'color'"));
	assert_int_equal(synth_parse("kvm-1 rate", 10, &vms, err, sizeof(err)), -EINVAL);
	assert_int_equal(synth_parse("kvm-1 held", 10, &vms, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'held' is not key=value or hold"));
	assert_int_equal(synth_parse("kvm-1 vcpus=4097", 16, &vms, err, sizeof(err)), -EINVAL);
	assert_int_equal(synth_parse("a\0b", 3, &vms, err, sizeof(err)), -EINVAL);
	/* The folded VMs' id: a VM of its own would be summed into them. */
	assert_int_equal(synth_parse("kvm-1\n_other\n", 13, &vms, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 2: VM id _other"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_listen_parse),
		cmocka_unit_test(test_synth_spec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
