// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for kvmscope-exporter's HTTP handling: each input is
 * the raw bytes a client sends.  They go through a socketpair to the real
 * server (libmicrohttpd with the exporter's limits and request handler,
 * serving a fixed synthetic store), and the response is read back, so the
 * whole path runs: request parsing, header limits, routing, scraping and
 * the response.  ASan/UBSan turn any memory error into a crash.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kvmscope-exporter/collector.h"
#include "kvmscope-exporter/http.h"

static int fixed_collect(struct ks_source *src, struct ks_store *s)
{
	struct ks_vm *vm = ks_store_vm(s, "kvm-1\"\\\n");

	(void)src;
	if (!vm)
		return -ENOMEM;
	vm->conv[KS_DIR_PRIVATE].count = 3;
	vm->conv[KS_DIR_PRIVATE].duration.slots[12] = 3;
	return 0;
}

static void nop_destroy(struct ks_source *src)
{
	(void)src;
}

static struct ks_source fixed = {
	.name = "fuzz", .mode = "synthetic", .have = KS_HAVE_CONV,
	.collect = fixed_collect, .destroy = nop_destroy,
};

static struct ks_collector collector;
static struct ks_http *server;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ks_render_opts o = { .version = "fuzz", .kernel = "k",
				    .mode = "synthetic" };
	struct ks_http_opts ho = { .max_connections = 4, .timeout = 1,
				   .no_listen = true };
	char err[160];

	(void)argc;
	(void)argv;
	ks_collector_init(&collector, 60, &o);
	ks_collector_add(&collector, &fixed);
	server = ks_http_start(&ho, &collector, err, sizeof(err));
	if (!server)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2], sndbuf = 1 << 20;
	size_t off = 0;
	char buf[65536];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 0;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (ks_http_add(server, sv[1])) {
		close(sv[0]);
		return 0;
	}
	/* The server may answer (and close) before taking everything. */
	while (off < size) {
		ssize_t n = send(sv[0], data + off, size - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n <= 0)
			break;
		off += n;
	}
	shutdown(sv[0], SHUT_WR);
	/*
	 * Read the answer.  An incomplete request gets none until the 1s
	 * connection timeout: stop waiting after 20ms of silence instead and
	 * let the server meet the closed socket, or the fuzzer crawls.
	 */
	for (;;) {
		struct pollfd p = { .fd = sv[0], .events = POLLIN };

		if (poll(&p, 1, 20) <= 0 || read(sv[0], buf, sizeof(buf)) <= 0)
			break;
	}
	close(sv[0]);
	return 0;
}
