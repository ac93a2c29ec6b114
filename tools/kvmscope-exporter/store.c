// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-VM/vCPU aggregates with grace-period expiry: see store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "store.h"
#include "vmname.h"

const char *const ks_dir_names[KS_NR_DIRS] = { "shared", "private" };
const char *const ks_level_names[KS_NR_LEVELS] = { "4k", "2m", "1g" };
const char *const ks_mmu_names[KS_NR_MMUS] = {
	"gva_walk", "ngpa_walk", "root", "guest",
};
const char *const ks_cause_names[KS_NR_CAUSES] = {
	"init", "nested", "smm", "mode",
};
const char *const ks_fifo_names[KS_NR_FIFOS] = { "l1", "l2" };

void ks_store_init(struct ks_store *s)
{
	memset(s, 0, sizeof(*s));
}

static void vm_free(struct ks_vm *vm)
{
	free(vm->vcpus);
	free(vm);
}

void ks_store_free(struct ks_store *s)
{
	for (size_t i = 0; i < s->nr_vms; i++)
		vm_free(s->vms[i]);
	free(s->vms);
	free(s->progs);
	free(s->maps);
	free(s->lost);
	ks_vm_cache_free(&s->names);
	memset(s, 0, sizeof(*s));
}

void ks_store_begin(struct ks_store *s, double now)
{
	s->gen++;
	s->now = now;
	s->nr_progs = s->nr_maps = s->nr_lost = 0;
	memset(s->hv_hypercalls, 0, sizeof(s->hv_hypercalls));
	s->hv_synthetic_vmexits = 0;
}

/* Index of @id in the sorted VM array, or where it would go (~index). */
static long vm_index(const struct ks_store *s, const char *id)
{
	size_t lo = 0, hi = s->nr_vms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(s->vms[mid]->id, id);

		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return ~(long)lo;
}

struct ks_vm *ks_store_find(const struct ks_store *s, const char *id)
{
	long i = vm_index(s, id);

	return i >= 0 ? s->vms[i] : NULL;
}

/* Zero the counters, keep identity (id, name, vCPU ids). */
static void vm_zero(struct ks_vm *vm)
{
	memset(vm->conv, 0, sizeof(vm->conv));
	for (size_t i = 0; i < vm->nr_vcpus; i++) {
		int id = vm->vcpus[i].id;

		memset(&vm->vcpus[i], 0, sizeof(vm->vcpus[i]));
		vm->vcpus[i].id = id;
	}
}

static struct ks_vm *touch(struct ks_store *s, const char *id, bool alive)
{
	long i = vm_index(s, id);
	struct ks_vm *vm;

	if (i < 0) {
		size_t at = ~i;

		if (ks_grow((void **)&s->vms, &s->cap_vms, s->nr_vms + 1,
			    sizeof(*s->vms)))
			return NULL;
		vm = calloc(1, sizeof(*vm));
		if (!vm)
			return NULL;
		snprintf(vm->id, sizeof(vm->id), "%s", id);
		vm->last_seen = s->now;	/* first sighting starts the clock */
		memmove(&s->vms[at + 1], &s->vms[at],
			(s->nr_vms - at) * sizeof(*s->vms));
		s->vms[at] = vm;
		s->nr_vms++;
	} else {
		vm = s->vms[i];
	}
	if (vm->gen != s->gen) {
		vm_zero(vm);
		vm->gen = s->gen;
		vm->alive = false;
	}
	if (alive) {
		vm->alive = true;
		vm->last_seen = s->now;
	}
	return vm;
}

struct ks_vm *ks_store_vm(struct ks_store *s, const char *id)
{
	return touch(s, id, true);
}

struct ks_vm *ks_store_gone_vm(struct ks_store *s, const char *id)
{
	return touch(s, id, false);
}

struct ks_vcpu *ks_vm_vcpu(struct ks_vm *vm, int id)
{
	size_t lo = 0, hi = vm->nr_vcpus;

	/* Sources walk vCPUs in id order: try the append case first. */
	if (vm->nr_vcpus && vm->vcpus[vm->nr_vcpus - 1].id < id) {
		lo = vm->nr_vcpus;
	} else {
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (vm->vcpus[mid].id == id)
				return &vm->vcpus[mid];
			if (vm->vcpus[mid].id < id)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	if (ks_grow((void **)&vm->vcpus, &vm->cap_vcpus, vm->nr_vcpus + 1,
		    sizeof(*vm->vcpus)))
		return NULL;
	memmove(&vm->vcpus[lo + 1], &vm->vcpus[lo],
		(vm->nr_vcpus - lo) * sizeof(*vm->vcpus));
	memset(&vm->vcpus[lo], 0, sizeof(*vm->vcpus));
	vm->vcpus[lo].id = id;
	vm->nr_vcpus++;
	return &vm->vcpus[lo];
}

void ks_vm_sum_vcpus(struct ks_vm *vm)
{
	struct ks_vcpu *t = &vm->total;

	memset(t, 0, sizeof(*t));
	t->id = -1;
	for (size_t j = 0; j < vm->nr_vcpus; j++) {
		const struct ks_vcpu *v = &vm->vcpus[j];

		for (int m = 0; m < KS_NR_MMUS; m++) {
#define ADD(field, ...) t->roles.field[m] += v->roles.field[m];
			MMU_ROLE_ROW_COUNTERS(ADD)
#undef ADD
			for (int c = 0; c < KS_NR_CAUSES; c++)
				t->roles.cause[m][c] += v->roles.cause[m][c];
		}
		for (int f = 0; f < KS_NR_FIFOS; f++) {
#define ADD(field, ...) t->hv[f].field += v->hv[f].field;
			HVFLUSH_ROW_COUNTERS(ADD)
#undef ADD
			ks_hist_add(&t->hv[f].latency, v->hv[f].latency.slots,
				    v->hv[f].latency.sum_ns);
		}
#define ADD(field, ...) t->mapgpa.field += v->mapgpa.field;
		MAPGPA_ROW_COUNTERS(ADD)
#undef ADD
		ks_hist_add(&t->mapgpa.latency, v->mapgpa.latency.slots,
			    v->mapgpa.latency.sum_ns);
	}
}

size_t ks_store_expire(struct ks_store *s, double grace,
		       void (*forget)(void *ctx, const char *id), void *ctx)
{
	size_t kept = 0, dropped = 0;

	for (size_t i = 0; i < s->nr_vms; i++) {
		struct ks_vm *vm = s->vms[i];

		if (!ks_vm_live(s, vm) && s->now - vm->last_seen >= grace) {
			if (forget)
				forget(ctx, vm->id);
			/* A new VMM may get the pid: look its name up again. */
			ks_vm_cache_forget(&s->names, ks_stats_id_pid(vm->id));
			vm_free(vm);
			dropped++;
			continue;
		}
		s->vms[kept++] = vm;
	}
	s->nr_vms = kept;
	return dropped;
}

#define APPEND(s, arr, nr, cap) \
	(ks_grow((void **)&(s)->arr, &(s)->cap, (s)->nr + 1, \
		 sizeof(*(s)->arr)) ? NULL : &(s)->arr[(s)->nr++])

void ks_store_prog(struct ks_store *s, const char *source, const char *name,
		   uint64_t run_cnt, uint64_t run_time_ns)
{
	struct ks_prog_stat *p = APPEND(s, progs, nr_progs, cap_progs);

	if (!p)
		return;
	snprintf(p->source, sizeof(p->source), "%s", source);
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->run_cnt = run_cnt;
	p->run_time_ns = run_time_ns;
}

void ks_store_map(struct ks_store *s, const char *source, const char *name,
		  uint32_t entries, uint32_t max_entries)
{
	struct ks_map_stat *m = APPEND(s, maps, nr_maps, cap_maps);

	if (!m)
		return;
	snprintf(m->source, sizeof(m->source), "%s", source);
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->entries = entries;
	m->max_entries = max_entries;
}

void ks_store_lost(struct ks_store *s, const char *source, const char *reason,
		   uint64_t count)
{
	struct ks_lost_stat *l = APPEND(s, lost, nr_lost, cap_lost);

	if (!l)
		return;
	snprintf(l->source, sizeof(l->source), "%s", source);
	snprintf(l->reason, sizeof(l->reason), "%s", reason);
	l->count = count;
}

void ks_hist_add(struct ks_hist *h, const uint64_t *slots, uint64_t sum_ns)
{
	for (int i = 0; i < KS_HIST_SLOTS; i++)
		h->slots[i] += slots[i];
	h->sum_ns += sum_ns;
}
