// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmscope-exporter's exporter conventions, in-process: content
 * negotiation (OpenMetrics as Prometheus asks for it, gzip), the
 * OpenMetrics rewrite of counters, HELP and # EOF, a source that could
 * not attach exported as kvmscope_collector_up 0 with its reason, the
 * process_* metrics against /proc, --web.* options, and
 * --web.config.file's errors and bcrypt checks.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "kvmscope-exporter/collector.h"
#include "kvmscope-exporter/http.h"
#include "kvmscope-exporter/openmetrics.h"
#include "kvmscope-exporter/options.h"
#include "kvmscope-exporter/process.h"
#include "kvmscope-exporter/webconfig.h"

/* What Prometheus 2.x sends (scrape.go's acceptHeader). */
#define PROMETHEUS_ACCEPT \
	"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

static void test_format(void **state)
{
	(void)state;
	assert_int_equal(ks_http_format(PROMETHEUS_ACCEPT), KS_FORMAT_OPENMETRICS);
	assert_int_equal(ks_http_format("application/openmetrics-text"), KS_FORMAT_OPENMETRICS);
	assert_int_equal(ks_http_format("Application/OpenMetrics-Text; version=\"1.0.0\""),
			 KS_FORMAT_OPENMETRICS);
	assert_int_equal(ks_http_format(NULL), KS_FORMAT_TEXT);
	assert_int_equal(ks_http_format("*/*"), KS_FORMAT_TEXT);
	assert_int_equal(ks_http_format("text/plain;version=0.0.4"), KS_FORMAT_TEXT);
	/* Preferred less than text, or a version we do not write. */
	assert_int_equal(ks_http_format("application/openmetrics-text;q=0.2,text/plain;q=0.9"),
			 KS_FORMAT_TEXT);
	assert_int_equal(ks_http_format("application/openmetrics-text;version=2.0.0"),
			 KS_FORMAT_TEXT);
	assert_int_equal(ks_http_format("application/openmetrics-text;q=0"), KS_FORMAT_TEXT);
	assert_int_equal(ks_http_format(",,;;=,"), KS_FORMAT_TEXT);
}

static void test_gzip(void **state)
{
	(void)state;
	assert_true(ks_http_gzip("gzip"));
	assert_true(ks_http_gzip("deflate, gzip;q=0.5, br"));
	assert_true(ks_http_gzip("GZIP"));
	assert_false(ks_http_gzip(NULL));
	assert_false(ks_http_gzip("identity"));
	assert_false(ks_http_gzip("gzip;q=0"));
	assert_false(ks_http_gzip("gzipped"));
}

static char *om(const char *text)
{
	struct ks_buf b = { 0 };
	size_t len;

	ks_openmetrics(text, strlen(text), &b);
	return ks_buf_steal(&b, &len);
}

static void test_openmetrics(void **state)
{
	char *out;

	(void)state;
	out = om("# HELP a_total Things \"done\".\n# TYPE a_total counter\n"
		 "a_total{x=\"1\"} 3\n"
		 "# HELP b Raw counter.\n# TYPE b counter\nb 4\n"
		 "# HELP g_total A gauge.\n# TYPE g_total gauge\ng_total 1\n"
		 "# HELP h Hist.\n# TYPE h histogram\n"
		 "h_bucket{le=\"+Inf\"} 2\nh_sum 0.5\nh_count 2\n");
	assert_string_equal(out,
		"# HELP a Things \\\"done\\\".\n# TYPE a counter\n"
		"a_total{x=\"1\"} 3\n"
		"# HELP b Raw counter.\n# TYPE b counter\nb_total 4\n"
		"# HELP g_total A gauge.\n# TYPE g_total gauge\ng_total 1\n"
		"# HELP h Hist.\n# TYPE h histogram\n"
		"h_bucket{le=\"+Inf\"} 2\nh_sum 0.5\nh_count 2\n"
		"# EOF\n");
	free(out);
	out = om("");
	assert_string_equal(out, "# EOF\n");
	free(out);
}

static int nop_collect(struct ks_source *src, struct ks_store *s)
{
	(void)src;
	(void)s;
	return 0;
}

static void nop_destroy(struct ks_source *src)
{
	(void)src;
}

static void test_source_down(void **state)
{
	static struct ks_source up = {
		.name = "conversions", .mode = "fallback",
		.collect = nop_collect, .destroy = nop_destroy,
	};
	struct ks_render_opts o = { .version = "t", .kernel = "k", .mode = "fallback" };
	struct ks_collector c;
	struct ks_buf b = { 0 };

	(void)state;
	ks_collector_init(&c, 60, &o);
	assert_int_equal(ks_collector_add(&c, &up), 0);
	assert_int_equal(ks_collector_add_down(&c, "roles", "no events"), 0);
	assert_int_equal(ks_collector_scrape(&c, &b), 0);
	assert_non_null(strstr(b.data, "\nkvmscope_collector_up{collector=\"conversions\"} 1\n"));
	assert_non_null(strstr(b.data, "\nkvmscope_collector_up{collector=\"roles\",reason=\"no events\"} 0\n"));
	/* Only its up series: it has no collections to time or count. */
	assert_null(strstr(b.data, "errors_total{collector=\"roles\"}"));
	ks_buf_free(&b);
	ks_collector_free(&c);
}

/* The value of the sample @name in @text, which must be there. */
static double value(const char *text, const char *name)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(text, key);
	assert_non_null(p);
	return strtod(p + strlen(key), NULL);
}

static void test_process(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long long vm_pages, rss_pages;
	struct ks_buf b = { 0 };
	struct rlimit rl;
	FILE *f;
	int fds = 0;

	(void)state;
	assert_int_equal(ks_process_init(), 0);
	ks_buf_puts(&b, "\n");
	ks_process_render(&b);
	f = fopen("/proc/self/statm", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%llu %llu", &vm_pages, &rss_pages), 2);
	fclose(f);
	/* Same process, moments apart: within 10%. */
	assert_true(value(b.data, "process_virtual_memory_bytes") >= 0.9 * vm_pages * page);
	assert_true(value(b.data, "process_virtual_memory_bytes") <= 1.1 * vm_pages * page);
	assert_true(value(b.data, "process_resident_memory_bytes") >= 0.9 * rss_pages * page);
	assert_true(value(b.data, "process_resident_memory_bytes") <= 1.1 * rss_pages * page);
	/* Started in the last hour, not in the future. */
	assert_true(value(b.data, "process_start_time_seconds") <= time(NULL) + 1);
	assert_true(value(b.data, "process_start_time_seconds") > time(NULL) - 3600);
	assert_true(value(b.data, "process_cpu_seconds_total") >= 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true(value(b.data, "process_max_fds") == (double)rl.rlim_cur);
	/* stdin..stderr, the kept /proc/self/fd, maybe a few of cmocka's. */
	for (int fd = 0; fd < 1024; fd++)
		fds += fcntl(fd, F_GETFD) >= 0;
	assert_true(value(b.data, "process_open_fds") == fds);
	assert_non_null(strstr(b.data, "# TYPE process_cpu_seconds_total counter\n"));
	ks_buf_free(&b);
}

static int parse(struct exporter_env *env, ...)
{
	char *argv[16] = { "kvmscope-exporter" };
	int argc = 1;
	FILE *null = fopen("/dev/null", "w");
	va_list ap;
	int r;

	va_start(ap, env);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	r = exporter_parse_args(argc, argv, env, null, null);
	fclose(null);
	return r;
}

static void test_web_options(void **state)
{
	struct exporter_env env;

	(void)state;
	assert_int_equal(parse(&env, NULL), EXPORTER_ARGS_OK);
	assert_string_equal(env.telemetry_path, "/metrics");
	assert_null(env.web_config);
	assert_int_equal(parse(&env, "--web.listen-address", "[::1]:9100",
			       "--web.telemetry-path", "/kvm",
			       "--web.config.file", "/etc/web.yml", NULL),
			 EXPORTER_ARGS_OK);
	assert_string_equal(env.listen, "[::1]:9100");
	assert_int_equal(env.addr.ss_family, AF_INET6);
	assert_string_equal(env.telemetry_path, "/kvm");
	assert_string_equal(env.web_config, "/etc/web.yml");
	assert_int_equal(parse(&env, "--web.telemetry-path", "/", NULL), EXPORTER_ARGS_USAGE);
	assert_int_equal(parse(&env, "--web.telemetry-path", "metrics", NULL), EXPORTER_ARGS_USAGE);
	assert_int_equal(parse(&env, "--web.telemetry-path", "/m?x", NULL), EXPORTER_ARGS_USAGE);
	assert_int_equal(parse(&env, "--web.config.file", "", NULL), EXPORTER_ARGS_USAGE);
	assert_int_equal(parse(&env, "--listen", "none", "-t", "/tmp/x.prom",
			       "--web.config.file", "w.yml", NULL), EXPORTER_ARGS_USAGE);
}

static char dir[] = "/tmp/test_exporter_web.XXXXXX";

static const char *file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load @text as a web config: the error message, "" if it loaded. */
static const char *load(const char *text, struct ks_web_config *wc)
{
	static char err[512];

	err[0] = '\0';
	if (ks_web_config_load(file("web.yml", text), wc, err, sizeof(err)))
		assert_true(err[0]);
	else
		err[0] = '\0';
	return err;
}

/* "s3cret" at cost 4, by python3's crypt: $2y$, as htpasswd -B writes. */
#define HASH "$2y$04$Y4o5i4wzqUaH8oCrWpgH6.oiQCwhmCDtfT9F3i35aeQB4/Va9vaZe"

static void test_web_config(void **state)
{
	struct ks_web_config wc;
	char users[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(users, sizeof(users),
		 "cd %s && for n in c other; do openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $n.key -out $n.pem -days 1 -subj /CN=localhost 2>/dev/null || exit 1; done",
		 dir);
	assert_int_equal(system(users), 0);
	file("k.pem", "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n");
	file("junk", "not a certificate\n");

	/* Empty: neither TLS nor auth, as in the toolkit. */
	assert_string_equal(load("", &wc), "");
	assert_null(wc.cert_pem);
	assert_int_equal(wc.nr_users, 0);

	snprintf(users, sizeof(users), "basic_auth_users:\n  prom: %s\n", HASH);
	assert_string_equal(load(users, &wc), "");
	assert_int_equal(wc.nr_users, 1);
	assert_true(ks_web_config_auth(&wc, "prom", "s3cret"));
	assert_int_equal(wc.crypts, 1);
	/* Accepted again from the cache: no second bcrypt. */
	assert_true(ks_web_config_auth(&wc, "prom", "s3cret"));
	assert_int_equal(wc.crypts, 1);
	/* Anything else is checked, and refused. */
	assert_false(ks_web_config_auth(&wc, "prom", "s3cret "));
	assert_false(ks_web_config_auth(&wc, "prom", ""));
	assert_false(ks_web_config_auth(&wc, "other", "s3cret"));
	assert_int_equal(wc.crypts, 4);
	assert_true(ks_web_config_auth(&wc, "prom", "s3cret"));
	ks_web_config_free(&wc);

	/* Relative files are the config's directory's. */
	assert_string_equal(load("tls_server_config:\n  cert_file: c.pem\n  key_file: c.key\n", &wc), "");
	assert_non_null(strstr(wc.cert_pem, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(wc.key_pem, "BEGIN PRIVATE KEY"));
	assert_null(wc.client_ca_pem);
	ks_web_config_free(&wc);
	assert_string_equal(load("tls_server_config:\n  cert_file: c.pem\n  key_file: c.key\n"
				 "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: other.pem\n",
				 &wc), "");
	assert_non_null(wc.client_ca_pem);
	ks_web_config_free(&wc);
	/* Files that are PEM but not a matching pair, or no key at all. */
	assert_non_null(strstr(load("tls_server_config:\n  cert_file: c.pem\n  key_file: other.key\n", &wc),
			       "web.yml:2: tls_server_config: cert_file and key_file: "));
	assert_non_null(strstr(load("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n", &wc),
			       "cert_file and key_file: "));
	assert_non_null(strstr(load("tls_server_config:\n  cert_file: c.pem\n  key_file: c.key\n"
				    "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: c.key\n", &wc),
			       "client_ca_file: "));

	assert_non_null(strstr(load("basic_auth_users:\n  prom: plaintext\n", &wc),
			       "web.yml:2: basic_auth_users: prom: expected a bcrypt hash"));
	assert_non_null(strstr(load("basic_auth_users:\n  prom: $2y$04$short\n", &wc),
			       "expected a bcrypt hash"));
	assert_non_null(strstr(load("tls_server_config:\n  cert_file: c.pem\n", &wc),
			       "cert_file and key_file go together"));
	assert_non_null(strstr(load("tls_server_config:\n  cert_file: c.pem\n  key_file: missing.pem\n", &wc),
			       "missing.pem: No such file or directory"));
	assert_non_null(strstr(load("tls_server_config:\n  cert_file: junk\n  key_file: c.key\n", &wc),
			       "not PEM"));
	assert_non_null(strstr(load("tls_server_config:\n  cert_file: c.pem\n  key_file: c.key\n  min_version: TLS13\n", &wc),
			       "web.yml:4: tls_server_config: 'min_version' is not supported"));
	assert_non_null(strstr(load("tls_server_config:\n  cert_file: c.pem\n  key_file: c.key\n  client_auth_type: RequireAndVerifyClientCert\n", &wc),
			       "needs client_ca_file"));
	assert_non_null(strstr(load("tls_server_config:\n  cert_file: c.pem\n  key_file: c.key\n  client_auth_type: RequestClientCert\n", &wc),
			       "'RequestClientCert' is not supported"));
	assert_non_null(strstr(load("http_server_config:\n  http2: false\n", &wc),
			       "'http_server_config' is not supported"));
	assert_non_null(strstr(load("tls_server_config: [\n", &wc), "web.yml:2: "));
	assert_non_null(strstr(load("- a\n", &wc), "expected a mapping"));
	assert_non_null(strstr(load("basic_auth_users:\n  a: " HASH "\n  a: " HASH "\n", &wc),
			       "a twice"));
	/* Nothing leaks from a failed load: it leaves @wc empty. */
	assert_null(wc.users);
	assert_null(wc.cert_pem);
	{
		char err[256];

		assert_int_not_equal(ks_web_config_load("/nonexistent/web.yml", &wc, err,
							sizeof(err)), 0);
		assert_string_equal(err, "/nonexistent/web.yml: No such file or directory");
	}
	snprintf(users, sizeof(users), "rm -rf %s", dir);
	assert_int_equal(system(users), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test(test_source_down),
		cmocka_unit_test(test_process),
		cmocka_unit_test(test_web_options),
		cmocka_unit_test(test_web_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
