// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE	/* qsort_r */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "hist.h"
#include "stats.h"
#include "vmmatch.h"

static const char *const sort_names[HV_NR_SORTS] = {
	[HV_SORT_RATE] = "rate",
	[HV_SORT_P99] = "p99",
	[HV_SORT_MAX] = "max",
	[HV_SORT_OVERFLOW] = "overflow",
};

static const char *const counter_names[HVFLUSH_NR_COUNTERS] = {
	[HVFLUSH_HYPERCALLS_L1] = "hypercalls_l1",
	[HVFLUSH_HYPERCALLS_L2] = "hypercalls_l2",
	[HVFLUSH_ENQUEUES] = "enqueues",
	[HVFLUSH_OVERFLOWS] = "overflows",
	[HVFLUSH_DRAINS] = "drains",
	[HVFLUSH_PURGES] = "purges",
	[HVFLUSH_EMPTY_DEQUEUES] = "empty_dequeues",
	[HVFLUSH_SYNTHETIC_VMEXITS] = "synthetic_vmexits",
	[HVFLUSH_LOST] = "lost",
	[HVFLUSH_ABANDONED] = "abandoned",
	[HVFLUSH_MISSED] = "missed",
};

const char *hv_sort_name(enum hv_sort sort)
{
	return sort < HV_NR_SORTS ? sort_names[sort] : "?";
}

int hv_sort_parse(const char *name, enum hv_sort *sort)
{
	int i;

	for (i = 0; i < HV_NR_SORTS; i++) {
		if (!strcmp(name, sort_names[i])) {
			*sort = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *hv_counter_name(enum hvflush_counter c)
{
	return c < HVFLUSH_NR_COUNTERS ? counter_names[c] : "?";
}

bool hv_counter_in_fallback(enum hvflush_counter c)
{
	return c == HVFLUSH_HYPERCALLS_L1 || c == HVFLUSH_HYPERCALLS_L2 ||
	       c == HVFLUSH_LOST || c == HVFLUSH_MISSED;
}

const char *hv_fifo_name(__u32 fifo)
{
	return fifo == HVFLUSH_FIFO_L2 ? "L2" : "L1";
}

uint64_t hv_row_max(const struct hv_row *row)
{
	return row->has_max ? row->max_ns : UINT64_MAX;
}

static int key_cmp(const struct hvflush_key *a, const struct hvflush_key *b)
{
	if (a->kvm != b->kvm)
		return a->kvm < b->kvm ? -1 : 1;
	if (a->vcpu_id != b->vcpu_id)
		return a->vcpu_id < b->vcpu_id ? -1 : 1;
	if (a->fifo != b->fifo)
		return a->fifo < b->fifo ? -1 : 1;
	return 0;
}

static int track_cmp(const void *a, const void *b)
{
	return key_cmp(&((const struct hv_track *)a)->key,
		       &((const struct hv_track *)b)->key);
}

void hv_model_init(struct hv_model *m, uint64_t now_ns)
{
	memset(m, 0, sizeof(*m));
	m->prev_time_ns = now_ns;
	m->keep_exited = HV_KEEP_EXITED_DEFAULT;
	m->max_exited = HV_EXITED_MAX;
}

void hv_model_free(struct hv_model *m)
{
	free(m->tracks);
	m->tracks = NULL;
	m->nr_tracks = 0;
	free(m->exited);
	m->exited = NULL;
	m->nr_exited = m->cap_exited = 0;
}

void hv_snapshot_free(struct hv_snapshot *snap)
{
	free(snap->rows);
	snap->rows = NULL;
	snap->nr_rows = 0;
}

static double per_second(uint64_t delta, double elapsed_s)
{
	return elapsed_s > 0 ? (double)delta / elapsed_s : 0;
}

static void fill_row(struct hv_row *r, const struct hv_raw_row *raw,
		     const struct hv_track *t, const struct hv_model *m,
		     uint64_t now_ns, double elapsed_s)
{
	const struct hvflush_row *v = &raw->val, *base = &t->base,
				 *prev = &t->prev;
	uint64_t sum_ns;
	int i;

	memset(r, 0, sizeof(*r));
	r->key = raw->key;
	r->pid = raw->key.pid;
	memcpy(r->stats_id, v->stats_id, sizeof(r->stats_id));
	r->stats_id[sizeof(r->stats_id) - 1] = '\0';
	memcpy(r->name, raw->name, sizeof(r->name));
	r->name[sizeof(r->name) - 1] = '\0';

	r->enqueue_rate = per_second(v->enqueues - prev->enqueues, elapsed_s);
	r->drain_rate = per_second(v->drains + v->purges - prev->drains -
				   prev->purges, elapsed_s);
#define SINCE_BASE(field, ...) r->field = v->field - base->field;
	HVFLUSH_ROW_COUNTERS(SINCE_BASE)
#undef SINCE_BASE

	for (i = 0; i < KS_HIST_SLOTS; i++)
		r->slots[i] = v->slots[i] - base->slots[i];
	r->samples = ks_log2_total(r->slots, KS_HIST_SLOTS);
	sum_ns = v->sum_ns - base->sum_ns;
	r->mean_ns = r->samples ? (double)sum_ns / (double)r->samples : NAN;
	/* A max from before the last reset belongs to an older generation. */
	r->has_max = r->samples && v->max_gen == m->max_gen;
	r->max_ns = r->has_max ? v->max_ns : 0;
	r->p50_ns = ks_log2_percentile_max(r->slots, KS_HIST_SLOTS, 50,
					   hv_row_max(r));
	r->p99_ns = ks_log2_percentile_max(r->slots, KS_HIST_SLOTS, 99,
					   hv_row_max(r));

	r->pending = v->pending;
	r->fifo_len = v->fifo_len;
	r->exited = raw->exited;
	r->wait_ns = v->oldest_ns && now_ns > v->oldest_ns ?
		     now_ns - v->oldest_ns : 0;
}

/*
 * Make room for @nr_gone more exited rows within max_exited: the oldest
 * go first, then, if the newly gone alone are too many, the first of them
 * (*@skip).  Every one dropped is counted.
 */
static void exited_room(struct hv_model *m, size_t nr_gone, size_t *skip)
{
	size_t total = m->nr_exited + nr_gone, drop, old;

	drop = total > m->max_exited ? total - m->max_exited : 0;
	old = drop < m->nr_exited ? drop : m->nr_exited;
	memmove(m->exited, m->exited + old,
		(m->nr_exited - old) * sizeof(*m->exited));
	m->nr_exited -= old;
	m->exited_dropped += drop;
	*skip = drop - old;
}

int hv_model_update(struct hv_model *m, const struct hv_raw_row *raw,
		    size_t nr_raw, const uint64_t *counters, uint64_t now_ns,
		    bool final, struct hv_snapshot *snap)
{
	double elapsed_s = now_ns > m->prev_time_ns ?
			   (double)(now_ns - m->prev_time_ns) / 1e9 : 0;
	size_t i, n = 0, nr_gone = 0, nr_live, keep, skip;
	struct hv_track *tracks;
	int c;

	for (i = 0; i < nr_raw; i++)
		nr_gone += raw[i].exited;
	nr_live = nr_raw - nr_gone;
	keep = m->nr_exited + nr_gone;
	if (keep > m->max_exited)
		keep = m->max_exited;

	/* Allocate everything first: a failure leaves the model as it was. */
	memset(snap, 0, sizeof(*snap));
	if (ks_grow((void **)&m->exited, &m->cap_exited, keep ? keep : 1,
		    sizeof(*m->exited)))
		return -ENOMEM;
	tracks = calloc(nr_live ? nr_live : 1, sizeof(*tracks));
	snap->rows = calloc(nr_live + keep ? nr_live + keep : 1,
			    sizeof(*snap->rows));
	if (!tracks || !snap->rows) {
		free(tracks);
		hv_snapshot_free(snap);
		return -ENOMEM;
	}

	exited_room(m, nr_gone, &skip);
	for (i = 0; i < nr_raw; i++) {
		struct hv_track key = { .key = raw[i].key }, *old, *t;
		struct hv_exited *e;

		/* A row new since the last refresh started from zero. */
		old = m->nr_tracks ? bsearch(&key, m->tracks, m->nr_tracks,
					     sizeof(*m->tracks), track_cmp)
				   : NULL;
		if (!raw[i].exited) {
			t = &tracks[n];
			*t = old ? *old : key;
			fill_row(&snap->rows[n++], &raw[i], t, m, now_ns,
				 elapsed_s);
			t->prev = raw[i].val;
			continue;
		}
		/* Gone: no track, so its key starts a new row if reused. */
		if (skip) {
			skip--;
			continue;
		}
		e = &m->exited[m->nr_exited++];
		fill_row(&e->row, &raw[i], old ? old : &key, m, now_ns,
			 elapsed_s);
		/* Nothing happens in a VM that is gone. */
		e->row.enqueue_rate = e->row.drain_rate = 0;
		e->left = m->keep_exited;
	}
	qsort(tracks, nr_live, sizeof(*tracks), track_cmp);
	free(m->tracks);
	m->tracks = tracks;
	m->nr_tracks = nr_live;

	/*
	 * An exited row is in keep_exited snapshots, the one that found it
	 * gone included, and in the final one.
	 */
	for (i = 0; i < m->nr_exited; i++) {
		struct hv_exited *e = &m->exited[i];

		if (e->left || final)
			snap->rows[n++] = e->row;
		if (e->left)
			e->left--;
	}

	for (c = 0; c < HVFLUSH_NR_COUNTERS; c++) {
		snap->totals[c] = counters[c] - m->base_counters[c];
		snap->rates[c] = per_second(counters[c] - m->prev_counters[c],
					    elapsed_s);
		m->prev_counters[c] = counters[c];
	}
	snap->nr_rows = n;
	snap->elapsed_s = elapsed_s;
	snap->final = final;
	snap->exited_dropped = m->exited_dropped;
	m->prev_time_ns = now_ns;
	return 0;
}

uint64_t hv_model_reset(struct hv_model *m)
{
	size_t i;

	for (i = 0; i < m->nr_tracks; i++)
		m->tracks[i].base = m->tracks[i].prev;
	memcpy(m->base_counters, m->prev_counters, sizeof(m->base_counters));
	m->nr_exited = 0;
	m->exited_dropped = 0;
	return ++m->max_gen;
}

void hv_snapshot_drop_exited(struct hv_snapshot *snap)
{
	size_t i, n = 0;

	for (i = 0; i < snap->nr_rows; i++)
		if (!snap->rows[i].exited)
			snap->rows[n++] = snap->rows[i];
	snap->nr_rows = n;
}

bool hv_row_matches(const struct hv_row *row, const struct hv_filter *f)
{
	if (f->pid && row->pid != f->pid)
		return false;
	return ks_vm_match(f->vm, row->name, row->stats_id);
}

/* NAN (no samples) sorts below every value. */
static int cmp_desc_nan_last(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return a > b ? -1 : a < b ? 1 : 0;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b ? 1 : 0;
}

static int row_cmp(const void *pa, const void *pb, void *psort)
{
	const struct hv_row *a = *(const struct hv_row *const *)pa;
	const struct hv_row *b = *(const struct hv_row *const *)pb;
	enum hv_sort sort = *(const enum hv_sort *)psort;
	int d = 0;

	switch (sort) {
	case HV_SORT_RATE:
		d = cmp_desc_nan_last(a->enqueue_rate, b->enqueue_rate);
		break;
	case HV_SORT_P99:
		d = cmp_desc_nan_last(a->p99_ns, b->p99_ns);
		break;
	case HV_SORT_MAX:
		d = cmp_desc_nan_last(a->has_max ? (double)a->max_ns : NAN,
				      b->has_max ? (double)b->max_ns : NAN);
		break;
	case HV_SORT_OVERFLOW:
		d = cmp_u64_desc(a->overflows, b->overflows);
		break;
	case HV_NR_SORTS:
		break;
	}
	if (d)
		return d;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return key_cmp(&a->key, &b->key);
}

size_t hv_select_rows(const struct hv_snapshot *snap,
		      const struct hv_filter *f, enum hv_sort sort,
		      const struct hv_row **out)
{
	size_t i, n = 0;

	for (i = 0; i < snap->nr_rows; i++)
		if (hv_row_matches(&snap->rows[i], f))
			out[n++] = &snap->rows[i];
	qsort_r(out, n, sizeof(*out), row_cmp, &sort);
	return n;
}
