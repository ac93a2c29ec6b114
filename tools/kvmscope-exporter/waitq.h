/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * HTTP connections that have not yet sent a whole request.  libmicrohttpd
 * only has an idle timeout, which a client resets by sending one byte at a
 * time, and a full connection pool makes new clients wait behind the ones
 * that hold it.  Here every waiting connection has a deadline, and a new
 * one makes room by closing the oldest waiting one:
 *  - one whose request is not complete @deadline_ms after it connected is
 *    closed (a thread sweeps them);
 *  - when @max connections are waiting, a new one closes the oldest;
 *  - when its host already has @max / 2 (at least 1) waiting, it closes
 *    that host's oldest instead, so one host cannot push out the others.
 * A connection stops waiting once its request is complete; from then on
 * libmicrohttpd's idle timeout bounds it.
 *
 * "Closing" is shutdown(2): libmicrohttpd owns the socket, sees the end
 * of the stream and closes it itself.  ks_waitq_closed() runs before it
 * closes the descriptor, under the same lock, so the sweeper never shuts a
 * descriptor number that already belongs to another file.
 */
#ifndef KVMSCOPE_EXPORTER_WAITQ_H
#define KVMSCOPE_EXPORTER_WAITQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

struct ks_conn;

struct ks_waitq {
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* CLOCK_MONOTONIC; stop */
	pthread_t sweeper;
	bool stop;
	TAILQ_HEAD(, ks_conn) conns;	/* waiting, oldest first */
	unsigned int n, max, per_host;
	int64_t deadline_ms;
};

/* Starts the sweeper.  Returns 0 or a negative errno. */
int ks_waitq_init(struct ks_waitq *q, unsigned int max, int64_t deadline_ms);
/* Stops the sweeper; call once every connection is closed. */
void ks_waitq_fini(struct ks_waitq *q);

/*
 * A new connection on @fd from @peer, waiting from now.  NULL if out of
 * memory: the connection is then shut down.
 */
struct ks_conn *ks_waitq_add(struct ks_waitq *q, int fd,
			     const struct sockaddr *peer);
/* Its request is complete: no deadline, never evicted.  @c may be NULL. */
void ks_waitq_answered(struct ks_waitq *q, struct ks_conn *c);
/* libmicrohttpd is about to close it: forget and free @c (may be NULL). */
void ks_waitq_closed(struct ks_waitq *q, struct ks_conn *c);

#endif /* KVMSCOPE_EXPORTER_WAITQ_H */
