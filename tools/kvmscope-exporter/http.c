// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /metrics over libmicrohttpd: see http.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "http.h"
#include "openmetrics.h"
#include "process.h"
#include "proto.h"
#include "waitq.h"

#define REALM "kvmscope-exporter"

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
	const char *path;		/* the telemetry path */
	struct ks_web_config *web;	/* NULL: none */
	enum ks_hist_mode hist;		/* histograms in protobuf */
	char index[1024];		/* the landing page, linking to path */
};

enum ks_route ks_http_route(const char *method, const char *url,
			    const char *path)
{
	bool metrics = !strcmp(url, path), index = !strcmp(url, "/");

	if (!metrics && !index)
		return KS_ROUTE_NOT_FOUND;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return KS_ROUTE_BAD_METHOD;
	return metrics ? KS_ROUTE_METRICS : KS_ROUTE_INDEX;
}

/*
 * One element of a comma-separated header: its media type or coding
 * (lower-cased, cut to fit), q, and the parameters we look at.
 */
struct elem {
	char type[64];
	double q;
	char version[16];
	char proto[64];		/* protobuf: the message type */
	char encoding[16];	/* protobuf: "delimited" */
};

/* Where the value of parameter @key (@kl bytes) goes, NULL: ignored. */
static char *param(struct elem *e, const char *key, size_t kl, size_t *n)
{
	static const struct {
		const char *key;
		size_t off, n;
	} params[] = {
		{ "version", offsetof(struct elem, version), sizeof(e->version) },
		{ "proto", offsetof(struct elem, proto), sizeof(e->proto) },
		{ "encoding", offsetof(struct elem, encoding), sizeof(e->encoding) },
	};

	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		if (strlen(params[i].key) == kl &&
		    !strncasecmp(key, params[i].key, kl)) {
			*n = params[i].n;
			return (char *)e + params[i].off;
		}
	}
	return NULL;
}

/* Parses the element at @p into @e; returns where the next starts, or NULL at the end. */
static const char *header_elem(const char *p, struct elem *e)
{
	size_t i = 0;

	memset(e, 0, sizeof(*e));
	e->q = 1;
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	if (!*p)
		return NULL;
	while (*p && *p != ';' && *p != ',' && *p != ' ' && *p != '\t') {
		if (i + 1 < sizeof(e->type))
			e->type[i++] = tolower((unsigned char)*p);
		p++;
	}
	while (*p && *p != ',') {
		const char *key;
		size_t kl, vl = 0, vn;
		char *v;

		while (*p == ';' || *p == ' ' || *p == '\t')
			p++;
		key = p;
		while (*p && *p != '=' && *p != ';' && *p != ',')
			p++;
		kl = p - key;
		while (kl && (key[kl - 1] == ' ' || key[kl - 1] == '\t'))
			kl--;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (kl == 1 && tolower((unsigned char)key[0]) == 'q')
			e->q = strtod(p, NULL);
		else if ((v = param(e, key, kl, &vn))) {
			for (; *p && *p != ';' && *p != ',' && *p != ' ' &&
			       vl + 1 < vn; p++)
				if (*p != '"')
					v[vl++] = *p;
		}
		while (*p && *p != ';' && *p != ',')
			p++;
	}
	return p;
}

enum ks_format ks_http_format(const char *accept)
{
	double q_om = 0, q_text = 0, q_pb = 0;
	const char *p = accept;
	struct elem e;

	while (p && (p = header_elem(p, &e))) {
		if (!strcmp(e.type, "application/openmetrics-text") &&
		    (!e.version[0] || !strcmp(e.version, "1.0.0"))) {
			if (e.q > q_om)
				q_om = e.q;
		} else if (!strcmp(e.type, "application/vnd.google.protobuf") &&
			   !strcmp(e.proto, "io.prometheus.client.MetricFamily") &&
			   !strcmp(e.encoding, "delimited")) {
			if (e.q > q_pb)
				q_pb = e.q;
		} else if ((!strcmp(e.type, "text/plain") &&
			    (!e.version[0] || !strcmp(e.version, "0.0.4"))) ||
			   !strcmp(e.type, "text/*") || !strcmp(e.type, "*/*")) {
			if (e.q > q_text)
				q_text = e.q;
		}
	}
	/* Ties go to the text formats: they are what a human reads. */
	if (q_pb > 0 && q_pb > q_om && q_pb > q_text)
		return KS_FORMAT_PROTOBUF;
	return q_om > 0 && q_om >= q_text ? KS_FORMAT_OPENMETRICS
					  : KS_FORMAT_TEXT;
}

bool ks_http_gzip(const char *accept_encoding)
{
	const char *p = accept_encoding;
	struct elem e;

	while (p && (p = header_elem(p, &e)))
		if ((!strcmp(e.type, "gzip") || !strcmp(e.type, "x-gzip")))
			return e.q > 0;
	return false;
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

/*
 * gzip @in into @out (empty).  Speed over ratio: scrapes are served one at a time,
 * and the exposition's repetitive text compresses well at level 1 too.
 */
static int gzip_buf(const struct ks_buf *in, struct ks_buf *out)
{
	z_stream z = { 0 };
	size_t cap;
	int r;

	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, in->len);
	out->data = malloc(cap + 1);	/* ks_buf_steal() wants room for a NUL */
	if (!out->data) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	out->cap = cap + 1;
	z.next_in = (Bytef *)in->data;
	z.avail_in = in->len;
	z.next_out = (Bytef *)out->data;
	z.avail_out = cap;
	r = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return r == Z_STREAM_END ? 0 : -EIO;
}

static enum MHD_Result reply_metrics(struct ks_http *h,
				     struct MHD_Connection *conn)
{
	const char *accept, *encoding;
	struct ks_buf out = { 0 }, alt = { 0 };
	enum ks_format fmt;
	struct MHD_Response *r;
	enum MHD_Result ret;
	bool gz;
	size_t len;
	char *body;

	accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					     MHD_HTTP_HEADER_ACCEPT);
	encoding = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					       MHD_HTTP_HEADER_ACCEPT_ENCODING);
	fmt = ks_http_format(accept);
	gz = ks_http_gzip(encoding);
	if (fmt == KS_FORMAT_PROTOBUF && !(out.proto = ks_proto_new(h->hist)))
		goto oom;
	if (ks_collector_scrape(h->c, &out))
		goto oom;
	ks_process_render(&out);
	expo_end(&out);
	ks_proto_free(out.proto);
	out.proto = NULL;
	if (fmt == KS_FORMAT_OPENMETRICS) {
		ks_openmetrics(out.data, out.len, &alt);
		ks_buf_free(&out);
		out = alt;
		alt = (struct ks_buf){ 0 };
	}
	if (gz) {
		if (gzip_buf(&out, &alt))
			goto oom;
		ks_buf_free(&out);
		out = alt;
		alt = (struct ks_buf){ 0 };
	}
	if (out.oom)
		goto oom;
	body = ks_buf_steal(&out, &len);
	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				fmt == KS_FORMAT_PROTOBUF ?
				KS_CONTENT_TYPE_PROTOBUF :
				fmt == KS_FORMAT_OPENMETRICS ?
				KS_CONTENT_TYPE_OPENMETRICS :
				KS_CONTENT_TYPE_TEXT);
	/* Caches must not hand a gzipped or other-format body to others. */
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY,
				"Accept, Accept-Encoding");
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
					"gzip");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
oom:
	ks_proto_free(out.proto);
	ks_buf_free(&out);
	ks_buf_free(&alt);
	return reply_static(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "text/plain", "out of memory\n", NULL);
}

/* A client certificate that client_ca_file signed, if one is required. */
static bool client_cert_ok(struct ks_http *h, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	unsigned int status;

	if (!h->web || !h->web->client_ca_pem)
		return true;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	return ci && ci->tls_session &&
	       gnutls_certificate_verify_peers2(ci->tls_session, &status) ==
	       GNUTLS_E_SUCCESS && !status;
}

/* Basic auth against basic_auth_users, if there are any. */
static bool auth_ok(struct ks_http *h, struct MHD_Connection *conn)
{
	char *user, *pass = NULL;
	bool ok;

	if (!h->web || !h->web->nr_users)
		return true;
	user = MHD_basic_auth_get_username_password(conn, &pass);
	ok = user && pass && ks_web_config_auth(h->web, user, pass);
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static enum MHD_Result reply_unauthorized(struct MHD_Connection *conn)
{
	static const char body[] = "unauthorized\n";
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	ret = MHD_queue_basic_auth_fail_response(conn, REALM, r);
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
	if (!client_cert_ok(h, conn))
		return reply_static(conn, MHD_HTTP_FORBIDDEN, "text/plain",
				    "a client certificate is required\n", NULL);
	if (!auth_ok(h, conn))
		return reply_unauthorized(conn);
	switch (ks_http_route(method, url, h->path)) {
	case KS_ROUTE_METRICS:
		return reply_metrics(h, conn);
	case KS_ROUTE_INDEX:
		return reply_static(conn, MHD_HTTP_OK, "text/html; charset=utf-8",
				    h->index, NULL);
	case KS_ROUTE_BAD_METHOD:
		return reply_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				    "text/plain", "method not allowed\n",
				    "GET, HEAD");
	case KS_ROUTE_NOT_FOUND:
	default:
		return reply_static(conn, MHD_HTTP_NOT_FOUND, "text/plain",
				    "not found\n", NULL);
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

/* The landing page: a link to @path, which is HTML-escaped. */
static void index_page(char *buf, size_t len, const char *path)
{
	size_t n;

	n = snprintf(buf, len,
		     "<html><head><title>kvmscope exporter</title></head><body>\n"
		     "<h1>kvmscope exporter</h1>\n<p><a href=\"");
	for (const char *p = path; *p && n + 8 < len; p++) {
		const char *e = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" :
				*p == '>' ? "&gt;" : *p == '"' ? "&quot;" : NULL;

		if (e)
			n += snprintf(buf + n, len - n, "%s", e);
		else
			buf[n++] = *p;
	}
	snprintf(buf + n, len - n, "\">Metrics</a></p>\n</body></html>\n");
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
	/* TLS, if configured: key, certificate, the clients' CA. */
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	int r;

	if (!h) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	h->c = c;
	h->web = o->web;
	h->hist = o->hist;
	h->path = o->telemetry_path ? o->telemetry_path : "/metrics";
	index_page(h->index, sizeof(h->index), h->path);
	if (o->listen_fd > 0)
		listen[0] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET,
						     o->listen_fd, NULL };
	else if (!o->no_listen)
		listen[0] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0,
						     (void *)o->addr };
	if (o->web && o->web->cert_pem) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(err, err_len, "this libmicrohttpd has no TLS support");
			free(h);
			return NULL;
		}
		flags |= MHD_USE_TLS;
		tls[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
						  o->web->key_pem };
		tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
						  o->web->cert_pem };
		if (o->web->client_ca_pem)
			tls[2] = (struct MHD_OptionItem){
				MHD_OPTION_HTTPS_MEM_TRUST, 0,
				o->web->client_ca_pem };
	}
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
				MHD_OPTION_ARRAY, listen,
				MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
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
