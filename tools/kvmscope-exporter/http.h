/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The /metrics endpoint on libmicrohttpd: one internal polling thread
 * (epoll), a per-connection memory pool that bounds request headers
 * (larger ones get 431 from the library), and ks_waitq: a request must
 * arrive whole within the timeout, and new connections push out the
 * oldest waiting ones (see waitq.h).  A response that stalls for the
 * timeout is dropped.  The port is ours alone: a busy one fails.
 * Requests run the collector's scrape; anything but GET/HEAD on / or
 * the telemetry path gets 404 or 405.
 *
 * As the Prometheus client libraries do: the exposition is gzipped when
 * the scraper accepts gzip, in OpenMetrics when it prefers that (as
 * Prometheus does), in protobuf with native histograms when it prefers
 * that (as Prometheus with native histograms does), and followed by the
 * process_* metrics.  With a web
 * configuration (webconfig.h): TLS, client certificates, basic auth,
 * checked before any route.
 */
#ifndef KVMSCOPE_EXPORTER_HTTP_H
#define KVMSCOPE_EXPORTER_HTTP_H

#include <stdbool.h>
#include <sys/socket.h>

#include "collector.h"
#include "proto.h"
#include "webconfig.h"

/* Per-connection memory: request line + headers must fit in it. */
#define KS_HTTP_CONN_MEMORY	(32 * 1024)

struct ks_http_opts {
	const struct sockaddr *addr;	/* NULL with no_listen */
	socklen_t addr_len;
	/*
	 * > 0: a socket from ks_http_listen() on addr, which the server
	 * takes over; else the server binds addr itself.
	 */
	int listen_fd;
	unsigned int max_connections;	/* awaiting a request at once */
	unsigned int timeout;		/* seconds; see above */
	const char *telemetry_path;	/* NULL: "/metrics" */
	struct ks_web_config *web;	/* NULL: plain, open; kept by caller */
	enum ks_hist_mode hist;		/* log2 histograms in protobuf */
	bool no_listen;			/* connections come via ks_http_add() */
	bool verbose;			/* libmicrohttpd error log on stderr */
};

enum ks_route {
	KS_ROUTE_METRICS,
	KS_ROUTE_INDEX,
	KS_ROUTE_NOT_FOUND,
	KS_ROUTE_BAD_METHOD,
};

/*
 * Where a request goes; pure, for tests.  Path before any query string;
 * @metrics is the telemetry path.
 */
enum ks_route ks_http_route(const char *method, const char *url,
			    const char *metrics);

enum ks_format { KS_FORMAT_TEXT, KS_FORMAT_OPENMETRICS, KS_FORMAT_PROTOBUF };

/*
 * The format an Accept header asks for: protobuf (delimited
 * io.prometheus.client.MetricFamily, proto.h) if it weighs that more than
 * either text format; else OpenMetrics 1.0.0 if it weighs that at least
 * as much as text 0.0.4 (or text/star, or star/star); else text.  NULL
 * (no header): text.  Pure, for tests.
 */
enum ks_format ks_http_format(const char *accept);

/* Does an Accept-Encoding header accept gzip (and not at q=0)? */
bool ks_http_gzip(const char *accept_encoding);

struct ks_http;

/*
 * A listening socket on @addr (IPv6 only for an IPv6 address), to open
 * while privileged (ports below 1024) and serve from once not.  Never
 * fd 0.  Returns the fd, or -errno with a message in @msg ("port 9789 is
 * in use"): no prefix.
 */
int ks_http_listen(const struct sockaddr *addr, socklen_t addr_len,
		   char *msg, size_t msg_len);

/* NULL with a message in @err ("port 9789 is in use"): no prefix. */
struct ks_http *ks_http_start(const struct ks_http_opts *o,
			      struct ks_collector *c, char *err,
			      size_t err_len);
/* The bound port (useful with port 0); 0 if unknown. */
int ks_http_port(struct ks_http *h);
/* Hand a connected socket to the server (no_listen mode: fuzzing). */
int ks_http_add(struct ks_http *h, int fd);
void ks_http_stop(struct ks_http *h);

#endif /* KVMSCOPE_EXPORTER_HTTP_H */
