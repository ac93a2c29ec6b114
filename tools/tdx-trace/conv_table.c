// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conv_table.h"
#include "grow.h"

void tdx_conv_stats_merge(struct conv_stats *dst,
			  const struct conv_stats *src)
{
	int i;

#define ADD(field, ...) dst->field += src->field;
	CONV_ROW_COUNTERS(ADD)
#undef ADD
	for (i = 0; i < CONV_NR_LEVELS; i++)
		dst->zapped[i] += src->zapped[i];
	dst->dur_sum_ns += src->dur_sum_ns;
	for (i = 0; i < KS_HIST_SLOTS; i++) {
		dst->dur_slots[i] += src->dur_slots[i];
		dst->pages_slots[i] += src->pages_slots[i];
	}
	if (!dst->stats_id[0])
		memcpy(dst->stats_id, src->stats_id, sizeof(dst->stats_id));
	if (!dst->comm[0])
		memcpy(dst->comm, src->comm, sizeof(dst->comm));
}

void tdx_mapgpa_stats_merge(struct mapgpa_stats *dst,
			    const struct mapgpa_stats *src)
{
	int i;

#define ADD(field, ...) dst->field += src->field;
	MAPGPA_ROW_COUNTERS(ADD)
#undef ADD
	dst->lat_sum_ns += src->lat_sum_ns;
	for (i = 0; i < KS_HIST_SLOTS; i++)
		dst->lat_slots[i] += src->lat_slots[i];
	if (!dst->comm[0])
		memcpy(dst->comm, src->comm, sizeof(dst->comm));
}

int tdx_table_add_conv(struct tdx_conv_table *t, const struct conv_key *k,
		       const struct conv_stats *s)
{
	struct tdx_conv_entry *e = ks_grow_row((void **)&t->conv, &t->nr_conv,
					       &t->cap_conv, k, sizeof(*k),
					       sizeof(*e));

	if (!e)
		return -ENOMEM;
	tdx_conv_stats_merge(&e->s, s);
	return 0;
}

int tdx_table_add_mapgpa(struct tdx_conv_table *t, const struct mapgpa_key *k,
			 const struct mapgpa_stats *s)
{
	struct tdx_mapgpa_entry *e = ks_grow_row((void **)&t->mapgpa,
						 &t->nr_mapgpa, &t->cap_mapgpa,
						 k, sizeof(*k), sizeof(*e));

	if (!e)
		return -ENOMEM;
	tdx_mapgpa_stats_merge(&e->s, s);
	return 0;
}

int tdx_table_merge(struct tdx_conv_table *dst, const struct tdx_conv_table *src)
{
	size_t i;

	for (i = 0; i < src->nr_conv; i++)
		if (tdx_table_add_conv(dst, &src->conv[i].key, &src->conv[i].s))
			return -ENOMEM;
	for (i = 0; i < src->nr_mapgpa; i++)
		if (tdx_table_add_mapgpa(dst, &src->mapgpa[i].key,
					 &src->mapgpa[i].s))
			return -ENOMEM;
	return 0;
}

static int cmp_conv(const void *a, const void *b)
{
	const struct conv_key *x = &((const struct tdx_conv_entry *)a)->key;
	const struct conv_key *y = &((const struct tdx_conv_entry *)b)->key;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->dir < y->dir ? -1 : x->dir > y->dir;
}

static int cmp_mapgpa(const void *a, const void *b)
{
	const struct mapgpa_key *x = &((const struct tdx_mapgpa_entry *)a)->key;
	const struct mapgpa_key *y = &((const struct tdx_mapgpa_entry *)b)->key;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->vcpu_id < y->vcpu_id ? -1 : x->vcpu_id > y->vcpu_id;
}

void tdx_table_sort(struct tdx_conv_table *t)
{
	if (t->nr_conv)
		qsort(t->conv, t->nr_conv, sizeof(*t->conv), cmp_conv);
	if (t->nr_mapgpa)
		qsort(t->mapgpa, t->nr_mapgpa, sizeof(*t->mapgpa), cmp_mapgpa);
}

void tdx_table_totals(const struct tdx_conv_table *t,
		      struct conv_stats *total)
{
	size_t i;

	memset(total, 0, sizeof(*total));
	for (i = 0; i < t->nr_conv; i++)
		tdx_conv_stats_merge(total, &t->conv[i].s);
}

void tdx_table_clear(struct tdx_conv_table *t)
{
	t->nr_conv = 0;
	t->nr_mapgpa = 0;
}

void tdx_table_free(struct tdx_conv_table *t)
{
	free(t->conv);
	free(t->mapgpa);
	memset(t, 0, sizeof(*t));
}

double tdx_noop_ratio(const struct conv_stats *s)
{
	return s->count ? (double)s->noop / (double)s->count : 0.0;
}

double tdx_mean_ns(uint64_t sum_ns, uint64_t count)
{
	return count ? (double)sum_ns / (double)count : 0.0;
}
