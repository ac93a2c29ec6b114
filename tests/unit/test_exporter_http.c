// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmscope-exporter HTTP: a real server on a loopback port answering raw
 * requests (status codes for wrong paths, methods, oversized headers and
 * garbage; the exposition content type).
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "kvmscope-exporter/collector.h"
#include "kvmscope-exporter/http.h"

static int one_vm_collect(struct ks_source *src, struct ks_store *s)
{
	struct ks_vm *vm = ks_store_vm(s, "kvm-42");

	(void)src;
	vm->conv[KS_DIR_SHARED].count = 9;
	return 0;
}

static void nop_destroy(struct ks_source *src)
{
	(void)src;
}

static struct ks_source one_vm = {
	.name = "one", .mode = "synthetic", .have = KS_HAVE_CONV,
	.collect = one_vm_collect, .destroy = nop_destroy,
};

struct server {
	struct ks_collector c;
	struct ks_http *h;
	int port;
};

static int setup(void **state)
{
	struct ks_render_opts o = { .version = "t", .kernel = "k", .mode = "synthetic" };
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct ks_http_opts ho = {
		.addr = (struct sockaddr *)&a, .addr_len = sizeof(a),
		.max_connections = 4, .timeout = 2,
	};
	struct server *srv = calloc(1, sizeof(*srv));
	char err[160];

	ks_collector_init(&srv->c, 60, &o);
	ks_collector_add(&srv->c, &one_vm);
	srv->h = ks_http_start(&ho, &srv->c, err, sizeof(err));
	if (!srv->h) {
		print_error("%s\n", err);
		return -1;
	}
	srv->port = ks_http_port(srv->h);
	*state = srv;
	return srv->port > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	struct server *srv = *state;

	ks_http_stop(srv->h);
	ks_collector_free(&srv->c);
	free(srv);
	return 0;
}

/*
 * Send the string @req raw, return the whole response (until the server
 * closes).  Its length is strlen's: counted by hand, it sent a request's
 * terminating NUL, or bytes past the end of its literal.
 */
static char *roundtrip(int port, const char *req)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 5 };
	size_t cap = 1 << 20, n = 0;
	char *buf = calloc(1, cap + 1);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t r;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	/* The server may answer and close before all of a huge request. */
	(void)!send(fd, req, strlen(req), MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	while (n < cap && (r = recv(fd, buf + n, cap - n, 0)) > 0)
		n += r;
	close(fd);
	return buf;
}

static int status(int port, const char *req)
{
	char *resp = roundtrip(port, req);
	int code = -1;

	sscanf(resp, "HTTP/1.%*d %d", &code);
	free(resp);
	return code;
}

static void test_routes(void **state)
{
	struct server *srv = *state;
	char *resp;

	assert_int_equal(ks_http_route("GET", "/metrics", "/metrics"), KS_ROUTE_METRICS);
	assert_int_equal(ks_http_route("HEAD", "/metrics", "/metrics"), KS_ROUTE_METRICS);
	assert_int_equal(ks_http_route("GET", "/", "/metrics"), KS_ROUTE_INDEX);
	assert_int_equal(ks_http_route("POST", "/metrics", "/metrics"), KS_ROUTE_BAD_METHOD);
	assert_int_equal(ks_http_route("GET", "/metrics/", "/metrics"), KS_ROUTE_NOT_FOUND);
	assert_int_equal(ks_http_route("POST", "/x", "/metrics"), KS_ROUTE_NOT_FOUND);
	/* --web.telemetry-path: there, and /metrics no longer. */
	assert_int_equal(ks_http_route("GET", "/kvm/m", "/kvm/m"), KS_ROUTE_METRICS);
	assert_int_equal(ks_http_route("GET", "/metrics", "/kvm/m"), KS_ROUTE_NOT_FOUND);
	assert_int_equal(ks_http_route("GET", "/", "/kvm/m"), KS_ROUTE_INDEX);

	/* A VM's first exposition is all zeros: take the second. */
	free(roundtrip(srv->port, "GET /metrics HTTP/1.0\r\n\r\n"));
	resp = roundtrip(srv->port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	assert_non_null(strstr(resp, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(resp, "kvmscope_mem_conversions_total{vm=\"kvm-42\",direction=\"shared\"} 9\n"));
	free(resp);

	assert_int_equal(status(srv->port, "GET /metrics?debug=1 HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
	assert_int_equal(status(srv->port, "GET / HTTP/1.0\r\n\r\n"), 200);
	assert_int_equal(status(srv->port, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
	assert_int_equal(status(srv->port, "DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
	resp = roundtrip(srv->port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
	assert_non_null(strstr(resp, "HTTP/1.1 405"));
	assert_non_null(strstr(resp, "Allow: GET, HEAD\r\n"));
	free(resp);
	/* HEAD: headers only. */
	resp = roundtrip(srv->port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	assert_null(strstr(resp, "kvmscope_info"));
	free(resp);
}

static void test_bad_requests(void **state)
{
	struct server *srv = *state;
	size_t big = 64 * 1024;
	char *req = malloc(big + 128);
	int n, code;
	char *resp;

	/* One header larger than the connection's memory pool. */
	n = sprintf(req, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(req + n, 'a', big);
	strcpy(req + n + big, "\r\n\r\n");
	resp = roundtrip(srv->port, req);
	code = -1;
	sscanf(resp, "HTTP/1.%*d %d", &code);
	assert_true(code == 431 || code == 400 || code == 413);
	free(resp);
	free(req);

	assert_int_equal(status(srv->port, "GET /metrics\r\n\r\n"), 400);
	assert_int_equal(status(srv->port, "GET /metrics HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n"), 400);
	assert_int_equal(status(srv->port, "GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n"), 505);
	assert_int_equal(status(srv->port, "BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
	/* No request line to answer: libmicrohttpd just closes. */
	assert_int_equal(status(srv->port, "GARBAGE\r\n\r\n"), -1);
	/* And the server still answers after all that. */
	assert_int_equal(status(srv->port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
