// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Scrape = collect from every source + expire + render: see collector.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "collector.h"

double ks_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void ks_collector_init(struct ks_collector *c, double grace,
		       const struct ks_render_opts *ropts)
{
	memset(c, 0, sizeof(*c));
	ks_store_init(&c->store, &c->names);
	c->ropts = *ropts;
	c->grace = grace;
	c->clock = ks_monotonic;
	c->last_collect = -HUGE_VAL;	/* the first tick collects */
	pthread_mutex_init(&c->lock, NULL);
}

int ks_collector_add(struct ks_collector *c, struct ks_source *src)
{
	if (c->nr_sources == KS_MAX_SOURCES)
		return -E2BIG;
	c->stats[c->nr_sources].name = src->name;
	c->stats[c->nr_sources].mode = src->mode;
	ks_store_init(&c->stage[c->nr_sources], &c->names);
	c->sources[c->nr_sources++] = src;
	c->store.have |= src->have;
	return 0;
}

int ks_collector_add_down(struct ks_collector *c, const char *name,
			  const char *reason)
{
	if (c->nr_down == KS_MAX_SOURCES)
		return -E2BIG;
	c->down[c->nr_down++] = (struct ks_source_stat){
		.name = name, .mode = "none", .reason = reason,
	};
	return 0;
}

void ks_collector_free(struct ks_collector *c)
{
	for (int i = 0; i < c->nr_sources; i++) {
		c->sources[i]->destroy(c->sources[i]);
		ks_store_free(&c->stage[i]);
	}
	ks_store_free(&c->store);
	ks_vm_cache_free(&c->names);
	pthread_mutex_destroy(&c->lock);
}

/* Every source forgets an expired VM: each may hold map entries for it. */
static void forget_all(void *ctx, const struct ks_vm *vm)
{
	struct ks_collector *c = ctx;

	for (int i = 0; i < c->nr_sources; i++)
		if (c->sources[i]->forget)
			c->sources[i]->forget(c->sources[i], vm);
}

/* -1 if unknown (no procfs, or a kernel without the knob). */
static int bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Caller holds c->lock. */
static void collect_locked(struct ks_collector *c, double now)
{
	unsigned int failed = 0;

	c->last_collect = now;
	ks_store_tick(&c->store, now);
	for (int i = 0; i < c->nr_sources; i++) {
		struct ks_source *src = c->sources[i];
		struct ks_source_stat *st = &c->stats[i];
		double t = c->clock();

		ks_store_begin(&c->stage[i], now);
		st->up = src->collect(src, &c->stage[i]) == 0 &&
			 ks_store_commit(&c->store, &c->stage[i], src->have,
					 1u << i, src->name, &st->clamps) == 0;
		st->duration = c->clock() - t;
		if (!st->up) {
			st->errors++;
			failed |= 1u << i;
		}
	}
	ks_store_keep(&c->store, failed);
	ks_store_expire(&c->store, c->grace, c->ropts.zero_hold, forget_all,
			c);
}

double ks_collector_tick(struct ks_collector *c, double every)
{
	double now, age;

	pthread_mutex_lock(&c->lock);
	now = c->clock();
	age = now - c->last_collect;
	if (age < 0 || age >= every) {
		collect_locked(c, now);
		age = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return every - age;
}

int ks_collector_scrape(struct ks_collector *c, struct ks_buf *out)
{
	struct ks_render_extra x;
	double start;
	int err = 0;

	pthread_mutex_lock(&c->lock);
	start = c->clock();
	collect_locked(c, start);
	x = (struct ks_render_extra){
		.sources = c->stats,
		.nr_sources = c->nr_sources,
		.down = c->down,
		.nr_down = c->nr_down,
		.last_scrape = c->last_scrape,
		.bpf_stats_enabled = c->store.nr_progs ? bpf_stats_enabled() : -1,
	};
	ks_buf_reset(out);
	err = ks_render(out, &c->store, &c->ropts, &x);
	if (out->oom)
		err = -ENOMEM;
	c->last_scrape = c->clock() - start;
	c->scrapes++;
	pthread_mutex_unlock(&c->lock);
	return err;
}
