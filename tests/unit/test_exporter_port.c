// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmscope-exporter's HTTP server owns its port: a second server on a
 * bound port fails with "port N is in use" instead of sharing it (with
 * SO_REUSEPORT the kernel would split the scrapes between the two).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kvmscope-exporter/collector.h"
#include "kvmscope-exporter/http.h"

static struct ks_http *start(struct ks_collector *c, int port, char *err,
			     size_t err_len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct ks_http_opts ho = {
		.addr = (struct sockaddr *)&a, .addr_len = sizeof(a),
		.max_connections = 4, .timeout = 2,
	};

	return ks_http_start(&ho, c, err, err_len);
}

static void test_busy_port_fails(void **state)
{
	struct ks_render_opts o = { .version = "t", .kernel = "k", .mode = "synthetic" };
	char err[160] = "", want[64];
	struct ks_http *first, *second;
	struct ks_collector c;
	int port;

	(void)state;
	ks_collector_init(&c, 60, &o);
	first = start(&c, 0, err, sizeof(err));
	assert_non_null(first);
	port = ks_http_port(first);
	assert_true(port > 0);

	second = start(&c, port, err, sizeof(err));
	print_message("# second server on port %d: %s\n", port,
		      second ? "started" : err);
	assert_null(second);
	snprintf(want, sizeof(want), "port %d is in use", port);
	assert_string_equal(err, want);

	ks_http_stop(second);
	ks_http_stop(first);
	ks_collector_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_port_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
