// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /metrics over libmicrohttpd: see http.h. */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "waitq.h"

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"

static const char index_page[] =
	"<html><head><title>kvmscope exporter</title></head><body>\n"
	"<h1>kvmscope exporter</h1>\n"
	"<p><a href=\"/metrics\">Metrics</a></p>\n"
	"</body></html>\n";

/*
 * Connections shut by ks_waitq count in libmicrohttpd's limit until its
 * next turn reaps them, and it accepts about 10 in a turn: room for those
 * keeps it accepting meanwhile.
 */
#define REAP_ROOM	16

struct ks_http {
	struct MHD_Daemon *d;
	struct ks_collector *c;
	struct ks_waitq waitq;
};

enum ks_route ks_http_route(const char *method, const char *url)
{
	bool metrics = !strcmp(url, "/metrics"), index = !strcmp(url, "/");

	if (!metrics && !index)
		return KS_ROUTE_NOT_FOUND;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return KS_ROUTE_BAD_METHOD;
	return metrics ? KS_ROUTE_METRICS : KS_ROUTE_INDEX;
}

static enum MHD_Result reply_static(struct MHD_Connection *conn,
				    unsigned int status, const char *type,
				    const char *body, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_metrics(struct ks_http *h,
				     struct MHD_Connection *conn)
{
	struct ks_buf out = { 0 };
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	char *body;

	if (ks_collector_scrape(h->c, &out)) {
		ks_buf_free(&out);
		return reply_static(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "text/plain", "out of memory\n", NULL);
	}
	body = ks_buf_steal(&out, &len);
	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				CONTENT_TYPE_METRICS);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct ks_http *h = cls;
	const union MHD_ConnectionInfo *ci;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	/*
	 * Answer on the first call, before any body: none of our routes
	 * takes one, and libmicrohttpd then discards it and closes.  So a
	 * connection carries one request, and once it is here the deadline
	 * is met.
	 */
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	ks_waitq_answered(&h->waitq, ci ? ci->socket_context : NULL);
	switch (ks_http_route(method, url)) {
	case KS_ROUTE_METRICS:
		return reply_metrics(h, conn);
	case KS_ROUTE_INDEX:
		return reply_static(conn, MHD_HTTP_OK, "text/html; charset=utf-8",
				    index_page, NULL);
	case KS_ROUTE_BAD_METHOD:
		return reply_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "text/plain", "method not allowed\n",
				    "GET, HEAD");
	case KS_ROUTE_NOT_FOUND:
	default:
		return reply_static(conn, MHD_HTTP_NOT_FOUND, "text/plain",
				    "not found: try /metrics\n", NULL);
	}
}

static int port_of(const struct sockaddr *a)
{
	if (a->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return ntohs(((const struct sockaddr_in *)a)->sin_port);
}

static void notify(void *cls, struct MHD_Connection *conn,
		   void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *fd, *peer;
	struct ks_http *h = cls;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		ks_waitq_closed(&h->waitq, *socket_context);
		return;
	}
	fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	peer = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	*socket_context = ks_waitq_add(&h->waitq, fd->connect_fd,
				       peer ? peer->client_addr : NULL);
}

int ks_http_listen(const struct sockaddr *addr, socklen_t addr_len,
		   char *msg, size_t msg_len)
{
	int fd, one = 1, err;

	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		snprintf(msg, msg_len, "%s", strerror(-err));
		return err;
	}
	/* Not fd 0: listen_fd 0 means "none" to ks_http_start(). */
	if (fd == 0) {
		fd = fcntl(0, F_DUPFD_CLOEXEC, 1);
		err = -errno;
		close(0);
		if (fd < 0) {
			snprintf(msg, msg_len, "%s", strerror(-err));
			return err;
		}
	}
	/*
	 * SO_REUSEADDR only: a restart rebinds past TIME_WAIT, but a second
	 * exporter on our port fails instead of sharing it.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (addr->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, addr, addr_len) || listen(fd, SOMAXCONN)) {
		err = -errno;
		close(fd);
		if (err == -EADDRINUSE)
			snprintf(msg, msg_len, "port %d is in use", port_of(addr));
		else
			snprintf(msg, msg_len, "%s", strerror(-err));
		return err;
	}
	return fd;
}

struct ks_http *ks_http_start(const struct ks_http_opts *o,
			      struct ks_collector *c, char *err,
			      size_t err_len)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	struct ks_http *h = calloc(1, sizeof(*h));
	/* Where to listen, if anywhere: the socket, else the address. */
	struct MHD_OptionItem listen[] = {
		{ MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	int r;

	if (!h) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	h->c = c;
	if (o->listen_fd > 0)
		listen[0] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET,
						     o->listen_fd, NULL };
	else if (!o->no_listen)
		listen[0] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0,
						     (void *)o->addr };
	if (o->verbose)
		flags |= MHD_USE_ERROR_LOG;
	if (o->no_listen)
		flags |= MHD_USE_NO_LISTEN_SOCKET;
	else if (o->addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	r = ks_waitq_init(&h->waitq, o->max_connections, o->timeout * 1000LL);
	if (r) {
		snprintf(err, err_len, "cannot start a thread: %s", strerror(-r));
		free(h);
		return NULL;
	}
	/*
	 * ks_waitq bounds the connections that have yet to send a request,
	 * and their time; the timeout then bounds a stalled response.  No
	 * SO_REUSEPORT: a second exporter on our port must fail to start,
	 * not take every other scrape.
	 */
	errno = 0;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h,
				MHD_OPTION_NOTIFY_CONNECTION, notify, h,
				MHD_OPTION_CONNECTION_LIMIT,
				o->max_connections + REAP_ROOM,
				MHD_OPTION_CONNECTION_TIMEOUT, o->timeout,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				(size_t)KS_HTTP_CONN_MEMORY,
				MHD_OPTION_ARRAY, listen, MHD_OPTION_END);
	if (!h->d) {
		/* bind(2)'s errno survives libmicrohttpd's cleanup. */
		if (errno == EADDRINUSE)
			snprintf(err, err_len, "port %d is in use",
				 port_of(o->addr));
		else
			snprintf(err, err_len, "%s",
				 errno ? strerror(errno) : "libmicrohttpd failed to start");
		ks_waitq_fini(&h->waitq);
		free(h);
		return NULL;
	}
	return h;
}

int ks_http_port(struct ks_http *h)
{
	const union MHD_DaemonInfo *i;

	i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	return i ? i->port : 0;
}

int ks_http_add(struct ks_http *h, int fd)
{
	struct sockaddr_in peer = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	return MHD_add_connection(h->d, fd, (struct sockaddr *)&peer,
				  sizeof(peer)) == MHD_YES ? 0 : -EIO;
}

void ks_http_stop(struct ks_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	ks_waitq_fini(&h->waitq);
	free(h);
}
