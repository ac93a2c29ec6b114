// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Deadlines and eviction for connections awaiting a request: see waitq.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "waitq.h"

struct ks_conn {
	TAILQ_ENTRY(ks_conn) link;
	int64_t since_ms;
	int fd;
	bool waiting;			/* on the queue */
	sa_family_t family;
	unsigned char host[16];		/* address without the port */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_host(struct ks_conn *c, const struct sockaddr *peer)
{
	c->family = peer ? peer->sa_family : AF_UNSPEC;
	if (c->family == AF_INET)
		memcpy(c->host, &((const struct sockaddr_in *)peer)->sin_addr, 4);
	else if (c->family == AF_INET6)
		memcpy(c->host, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
}

static bool same_host(const struct ks_conn *a, const struct ks_conn *b)
{
	return a->family == b->family && !memcmp(a->host, b->host, sizeof(a->host));
}

/* The two below are called with the lock held. */
static void unqueue(struct ks_waitq *q, struct ks_conn *c)
{
	TAILQ_REMOVE(&q->conns, c, link);
	c->waiting = false;
	q->n--;
}

static void drop(struct ks_waitq *q, struct ks_conn *c)
{
	shutdown(c->fd, SHUT_RDWR);
	unqueue(q, c);
}

static void *sweep(void *arg)
{
	struct ks_waitq *q = arg;

	pthread_mutex_lock(&q->lock);
	while (!q->stop) {
		/* One arriving meanwhile has a deadline later than this. */
		int64_t now = now_ms(), wake = now + q->deadline_ms;
		struct ks_conn *c;
		struct timespec ts;

		while ((c = TAILQ_FIRST(&q->conns))) {
			if (c->since_ms + q->deadline_ms > now) {
				wake = c->since_ms + q->deadline_ms;
				break;
			}
			drop(q, c);
		}
		ts.tv_sec = wake / 1000;
		ts.tv_nsec = wake % 1000 * 1000000;
		pthread_cond_timedwait(&q->wake, &q->lock, &ts);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int ks_waitq_init(struct ks_waitq *q, unsigned int max, int64_t deadline_ms)
{
	pthread_condattr_t ca;
	int err;

	memset(q, 0, sizeof(*q));
	TAILQ_INIT(&q->conns);
	q->max = max;
	q->per_host = max / 2 ? max / 2 : 1;
	q->deadline_ms = deadline_ms;
	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->wake, &ca);
	pthread_condattr_destroy(&ca);
	err = pthread_create(&q->sweeper, NULL, sweep, q);
	if (err) {
		pthread_cond_destroy(&q->wake);
		pthread_mutex_destroy(&q->lock);
		return -err;
	}
	return 0;
}

void ks_waitq_fini(struct ks_waitq *q)
{
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->sweeper, NULL);
	pthread_cond_destroy(&q->wake);
	pthread_mutex_destroy(&q->lock);
}

struct ks_conn *ks_waitq_add(struct ks_waitq *q, int fd,
			     const struct sockaddr *peer)
{
	struct ks_conn *c = calloc(1, sizeof(*c)), *o, *oldest_same = NULL;
	unsigned int same = 0;

	if (!c) {
		shutdown(fd, SHUT_RDWR);
		return NULL;
	}
	c->fd = fd;
	set_host(c, peer);
	pthread_mutex_lock(&q->lock);
	c->since_ms = now_ms();
	TAILQ_FOREACH(o, &q->conns, link) {
		if (same_host(o, c) && !same++)
			oldest_same = o;
	}
	if (same >= q->per_host)
		drop(q, oldest_same);
	else if (q->n >= q->max)
		drop(q, TAILQ_FIRST(&q->conns));
	TAILQ_INSERT_TAIL(&q->conns, c, link);
	c->waiting = true;
	q->n++;
	pthread_mutex_unlock(&q->lock);
	return c;
}

void ks_waitq_answered(struct ks_waitq *q, struct ks_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&q->lock);
	if (c->waiting)
		unqueue(q, c);
	pthread_mutex_unlock(&q->lock);
}

void ks_waitq_closed(struct ks_waitq *q, struct ks_conn *c)
{
	ks_waitq_answered(q, c);
	free(c);
}
