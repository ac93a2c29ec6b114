// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmscope-exporter's HTTP server under a bounded loopback slowloris: a
 * real server with a pool of 8 connections and a 1 s request deadline.
 * Connections that drip a request one byte every 200 ms (each byte would
 * restart an idle timeout) and silent ones, more than the pool, must not
 * keep a scrape from being answered; a request that never completes is
 * closed at its deadline; a host flooding the server pushes out its own
 * connections, not another host's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "kvmscope-exporter/collector.h"
#include "kvmscope-exporter/http.h"

#define POOL		8
#define DEADLINE_MS	1000
#define DRIP_MS		200
/* Long enough for the old idle timeout to show it never fires. */
#define ATTACK_MS	(4 * DEADLINE_MS)
#define DRIPPERS	POOL
#define SILENT		(8 * POOL)

static const char scrape_req[] =
	"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

static int one_vm_collect(struct ks_source *src, struct ks_store *s)
{
	(void)src;
	return ks_store_vm(s, "kvm-7") ? 0 : -1;
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

static int start(void **state, unsigned int timeout)
{
	struct ks_render_opts o = { .version = "t", .kernel = "k", .mode = "synthetic" };
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct ks_http_opts ho = {
		.addr = (struct sockaddr *)&a, .addr_len = sizeof(a),
		.max_connections = POOL, .timeout = timeout,
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

static int setup(void **state)
{
	return start(state, DEADLINE_MS / 1000);
}

/* For a test that must not meet the deadline. */
static int setup_slow(void **state)
{
	return start(state, 60);
}

static int teardown(void **state)
{
	struct server *srv = *state;

	ks_http_stop(srv->h);
	ks_collector_free(&srv->c);
	free(srv);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A socket from loopback address @src, connected, then non-blocking. */
static int connect_from(int port, in_addr_t src)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = src };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

static int connect_lo(int port)
{
	return connect_from(port, htonl(INADDR_LOOPBACK));
}

static void send_all(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* One more byte of a header line that never ends; the server may be gone. */
static void drip(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		(void)!send(fds[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * Wait up to @limit_ms for @fd to be closed by the server, dripping on
 * @drippers every DRIP_MS meanwhile.  Whatever it sent is appended to
 * @buf.  Returns when it closed, as ms since @t0, or -1.
 */
static int64_t wait_closed(int fd, int64_t t0, int64_t limit_ms, int *drippers,
			   int ndrip, char *buf, size_t cap)
{
	int64_t next_drip = now_ms() + DRIP_MS;
	size_t len = strlen(buf);

	while (now_ms() - t0 < limit_ms) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (now_ms() >= next_drip) {
			drip(drippers, ndrip);
			next_drip += DRIP_MS;
		}
		if (poll(&p, 1, 20) <= 0)
			continue;
		r = recv(fd, buf + len, cap - 1 - len, 0);
		if (r > 0) {
			len += r;
			buf[len] = '\0';
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			return now_ms() - t0;
	}
	return -1;
}

static void test_scrape_during_slowloris(void **state)
{
	struct server *srv = *state;
	int drippers[DRIPPERS], silent[SILENT], fd, i;
	static char resp[1 << 16];
	int64_t t0, took;

	/* The drippers come first and fill the pool; then the silent ones. */
	for (i = 0; i < DRIPPERS; i++) {
		drippers[i] = connect_lo(srv->port);
		send_all(drippers[i], "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Drip: ");
	}
	for (i = 0; i < SILENT; i++)
		silent[i] = connect_lo(srv->port);

	t0 = now_ms();
	fd = connect_lo(srv->port);
	send_all(fd, scrape_req);
	resp[0] = '\0';
	took = wait_closed(fd, t0, ATTACK_MS, drippers, DRIPPERS, resp,
			   sizeof(resp));
	print_message("# scrape answered after %lld ms (-1: not in %d ms)\n",
		      (long long)took, ATTACK_MS);
	/*
	 * The bound: the deadline, plus a second for a busy host.  Every
	 * connection of the attack is older than the scrape's, and a full
	 * pool makes room for the newest by closing the oldest.
	 */
	assert_true(took >= 0 && took < DEADLINE_MS + 1000);
	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	assert_non_null(strstr(resp, "kvmscope_info{"));

	close(fd);
	for (i = 0; i < DRIPPERS; i++)
		close(drippers[i]);
	for (i = 0; i < SILENT; i++)
		close(silent[i]);
}

static void test_drip_closed_at_deadline(void **state)
{
	struct server *srv = *state;
	char buf[256] = "";
	int64_t t0, took;
	int fd;

	/* Before connect(): the server's clock starts after ours. */
	t0 = now_ms();
	fd = connect_lo(srv->port);
	send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Drip: ");
	took = wait_closed(fd, t0, ATTACK_MS, &fd, 1, buf, sizeof(buf));
	print_message("# dripping request closed after %lld ms (-1: not in %d ms)\n",
		      (long long)took, ATTACK_MS);
	assert_true(took >= DEADLINE_MS);
	assert_true(took < DEADLINE_MS + 1000);
	/* Closed, not answered: there was no request to answer. */
	assert_string_equal(buf, "");
	close(fd);
}

/* Whether the server closed @fd: EOF or a reset, without waiting. */
static bool closed_by_server(int fd)
{
	char c;
	ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT);

	return r == 0 || (r < 0 && errno != EAGAIN);
}

static void test_flood_spares_other_host(void **state)
{
	struct server *srv = *state;
	int flood[SILENT], other, closed = 0, i;
	static char resp[1 << 16];
	int64_t t0;

	/* The oldest connection: from another host, its request yet to come. */
	other = connect_from(srv->port, inet_addr("127.0.0.2"));
	for (i = 0; i < SILENT; i++)
		flood[i] = connect_lo(srv->port);
	/*
	 * The flood host keeps POOL / 2 connections: wait until the server
	 * closed the rest, so it has taken every one in before we go on.
	 */
	t0 = now_ms();
	while (closed < SILENT - POOL / 2 && now_ms() - t0 < ATTACK_MS) {
		struct pollfd p[SILENT];

		for (i = 0; i < SILENT; i++)
			p[i] = (struct pollfd){ .fd = flood[i], .events = POLLIN };
		poll(p, SILENT, 20);
		for (closed = 0, i = 0; i < SILENT; i++)
			closed += closed_by_server(flood[i]);
	}
	print_message("# %d of %d flood connections closed after %lld ms\n",
		      closed, SILENT, (long long)(now_ms() - t0));
	assert_int_equal(closed, SILENT - POOL / 2);

	assert_false(closed_by_server(other));
	send_all(other, scrape_req);
	resp[0] = '\0';
	t0 = now_ms();
	assert_true(wait_closed(other, t0, ATTACK_MS, NULL, 0, resp,
				sizeof(resp)) >= 0);
	assert_non_null(strstr(resp, "HTTP/1.1 200"));

	close(other);
	for (i = 0; i < SILENT; i++)
		close(flood[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scrape_during_slowloris, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drip_closed_at_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_spares_other_host, setup_slow, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
