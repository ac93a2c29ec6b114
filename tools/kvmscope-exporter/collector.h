/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The collector ties sources, store and rendering together.  A scrape (an
 * HTTP request or a textfile tick) collects from every source, expires
 * VMs past their grace period and renders the exposition, all under one
 * lock: HTTP requests and the textfile timer run on different threads.
 * Collecting at scrape time keeps samples aligned with Prometheus' scrape
 * timestamps instead of lagging by an internal refresh interval.
 *
 * Each source collects into a staging store of its own, committed into
 * the rendered store only if the collection succeeded (store.h): a source
 * that fails keeps its last values, and counts in
 * kvmscope_collector_errors_total.
 */
#ifndef KVMSCOPE_EXPORTER_COLLECTOR_H
#define KVMSCOPE_EXPORTER_COLLECTOR_H

#include <pthread.h>
#include <stdbool.h>

#include "expo.h"
#include "render.h"
#include "source.h"
#include "store.h"

#define KS_MAX_SOURCES 4

struct ks_collector {
	struct ks_source *sources[KS_MAX_SOURCES];
	struct ks_source_stat stats[KS_MAX_SOURCES];
	struct ks_store stage[KS_MAX_SOURCES];	/* what each source read */
	int nr_sources;
	struct ks_source_stat down[KS_MAX_SOURCES];	/* could not attach */
	int nr_down;
	struct ks_store store;		/* what is rendered */
	struct ks_vm_cache names;	/* the stores' VM names */
	struct ks_render_opts ropts;
	double grace;			/* seconds a gone VM stays exported */
	double (*clock)(void);		/* monotonic seconds; tests replace it */
	double last_scrape;		/* duration of the previous scrape */
	double last_collect;		/* when the last collection began */
	unsigned long long scrapes;
	pthread_mutex_t lock;
};

/* Monotonic clock in seconds (CLOCK_MONOTONIC). */
double ks_monotonic(void);

void ks_collector_init(struct ks_collector *c, double grace,
		       const struct ks_render_opts *ropts);
/* Takes ownership of @src (destroyed by ks_collector_free). -E2BIG if full. */
int ks_collector_add(struct ks_collector *c, struct ks_source *src);
/*
 * A source that could not attach: exported as kvmscope_collector_up 0
 * with @reason ("no events", "not permitted"), so that its alert fires
 * instead of the series being absent.  Both strings must outlive @c.
 * -E2BIG if full.
 */
int ks_collector_add_down(struct ks_collector *c, const char *name,
			  const char *reason);
void ks_collector_free(struct ks_collector *c);

/*
 * Collect and expire without rendering, unless a scrape collected in the
 * last @every seconds: keeps the sources' state (and the expiry of gone
 * VMs) moving when nobody scrapes, and never holds the lock a scrape
 * waits for when scrapes come often enough to do it.  Returns the seconds
 * until the next tick is due, at most @every.
 */
double ks_collector_tick(struct ks_collector *c, double every);

/*
 * Collect from all sources, expire, and render into @out (reset first).
 * Returns 0, or -ENOMEM if the exposition could not be built.  A failing
 * source does not fail the scrape: it shows as kvmscope_collector_up 0,
 * with its last values.
 */
int ks_collector_scrape(struct ks_collector *c, struct ks_buf *out);

#endif /* KVMSCOPE_EXPORTER_COLLECTOR_H */
