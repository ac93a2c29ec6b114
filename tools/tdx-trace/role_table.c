// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tdx-trace roles' tables: see role_table.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "probe_roles.h"
#include "role_table.h"

static int add_row(struct tdx_role_table *t, const struct tdx_role_key *k,
		   const struct mmu_role_stats *s)
{
	struct tdx_role_entry *e = ks_grow_row((void **)&t->roles, &t->nr_roles,
					       &t->cap_roles, k, sizeof(*k),
					       sizeof(*e));
	int c;

	if (!e)
		return -ENOMEM;
#define ADD(field, ...) e->s.field += s->field;
	MMU_ROLE_ROW_COUNTERS(ADD)
#undef ADD
	for (c = 0; c < MMU_ROLE_NR_CAUSES; c++)
		e->s.cause[c] += s->cause[c];
	if (!e->s.stats_id[0])
		memcpy(e->s.stats_id, s->stats_id, sizeof(e->s.stats_id));
	return 0;
}

static int add_trans(struct tdx_role_table *t, const struct tdx_trans_key *k,
		     uint64_t count)
{
	struct tdx_trans_entry *e = ks_grow_row((void **)&t->trans, &t->nr_trans,
						&t->cap_trans, k, sizeof(*k),
						sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->count += count;
	return 0;
}

int tdx_role_table_add(struct tdx_role_table *t, const struct mmu_role_slot *e)
{
	const struct mmu_role_key *k = &e->key;
	struct tdx_role_key rk = {
		.pid = k->pid, .vcpu_id = k->vcpu_id, .mmu = k->mmu,
	};
	struct tdx_trans_key tk = {
		.old_role = k->old_role, .new_role = k->new_role,
		.pid = k->pid, .mmu = k->mmu, .cause = k->cause,
	};
	struct mmu_role_stats row;

	if (!mmu_role_entry_row(e, &row))
		return 0;
	if (add_row(t, &rk, &row))
		return -ENOMEM;
	if (mmu_role_entry_changed(k) && add_trans(t, &tk, e->count))
		return -ENOMEM;
	return 0;
}

int tdx_role_table_merge(struct tdx_role_table *dst,
			 const struct tdx_role_table *src)
{
	size_t i;
	int s;

	for (i = 0; i < src->nr_roles; i++)
		if (add_row(dst, &src->roles[i].key, &src->roles[i].s))
			return -ENOMEM;
	for (i = 0; i < src->nr_trans; i++)
		if (add_trans(dst, &src->trans[i].key, src->trans[i].count))
			return -ENOMEM;
	for (s = 0; s < KS_HIST_SLOTS; s++)
		dst->init_cost[s] += src->init_cost[s];
	return 0;
}

static int cmp_row(const void *a, const void *b)
{
	const struct tdx_role_key *x = &((const struct tdx_role_entry *)a)->key;
	const struct tdx_role_key *y = &((const struct tdx_role_entry *)b)->key;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->vcpu_id != y->vcpu_id)
		return x->vcpu_id < y->vcpu_id ? -1 : 1;
	return x->mmu < y->mmu ? -1 : x->mmu > y->mmu;
}

static int cmp_trans(const void *a, const void *b)
{
	const struct tdx_trans_entry *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

void tdx_role_table_sort(struct tdx_role_table *t)
{
	if (t->nr_roles)
		qsort(t->roles, t->nr_roles, sizeof(*t->roles), cmp_row);
	if (t->nr_trans)
		qsort(t->trans, t->nr_trans, sizeof(*t->trans), cmp_trans);
}

void tdx_role_table_clear(struct tdx_role_table *t)
{
	t->nr_roles = t->nr_trans = 0;
	memset(t->init_cost, 0, sizeof(t->init_cost));
}

void tdx_role_table_free(struct tdx_role_table *t)
{
	free(t->roles);
	free(t->trans);
	memset(t, 0, sizeof(*t));
}
