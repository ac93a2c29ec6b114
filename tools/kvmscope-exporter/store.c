// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-VM/vCPU aggregates, commits and grace-period expiry: see store.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "store.h"

const char *const ks_dir_names[KS_NR_DIRS] = { "shared", "private" };
const char *const ks_level_names[KS_NR_LEVELS] = { "4k", "2m", "1g" };
const char *const ks_mmu_names[KS_NR_MMUS] = {
	"gva_walk", "ngpa_walk", "root", "guest",
};
const char *const ks_cause_names[KS_NR_CAUSES] = {
	"init", "nested", "smm", "mode",
};
const char *const ks_fifo_names[KS_NR_FIFOS] = { "l1", "l2" };

void ks_store_init(struct ks_store *s, struct ks_vm_cache *names)
{
	memset(s, 0, sizeof(*s));
	s->names = names;
}

void ks_store_limit(struct ks_store *s, size_t max_vms, size_t max_vcpus)
{
	s->max_vms = max_vms;
	s->max_vcpus = max_vcpus;
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
	memset(s, 0, sizeof(*s));
}

void ks_store_tick(struct ks_store *s, double now)
{
	s->gen++;
	s->now = now;
}

void ks_store_begin(struct ks_store *s, double now)
{
	ks_store_tick(s, now);
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

/* Zero the counters, keep identity (id, name, vCPU ids, folding). */
static void vm_zero(struct ks_vm *vm)
{
	memset(vm->conv, 0, sizeof(vm->conv));
	for (size_t i = 0; i < vm->nr_vcpus; i++) {
		int id = vm->vcpus[i].id;
		bool folded = vm->vcpus[i].folded;

		memset(&vm->vcpus[i], 0, sizeof(vm->vcpus[i]));
		vm->vcpus[i].id = id;
		vm->vcpus[i].folded = folded;
	}
}

/* The VM @id, created (zeroed, first seen now) if new.  NULL on ENOMEM. */
static struct ks_vm *vm_get(struct ks_store *s, const char *id)
{
	long i = vm_index(s, id);
	struct ks_vm *vm;
	size_t at;

	if (i >= 0)
		return s->vms[i];
	at = ~i;
	if (ks_grow((void **)&s->vms, &s->cap_vms, s->nr_vms + 1,
		    sizeof(*s->vms)))
		return NULL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	snprintf(vm->id, sizeof(vm->id), "%s", id);
	/* First sighting starts the clocks: zero hold, and grace if never live. */
	vm->first_seen = vm->last_seen = s->now;
	memmove(&s->vms[at + 1], &s->vms[at],
		(s->nr_vms - at) * sizeof(*s->vms));
	s->vms[at] = vm;
	s->nr_vms++;
	return vm;
}

/* @vm seen in this collection, with its VMM running if @alive. */
static void mark(struct ks_store *s, struct ks_vm *vm, bool alive)
{
	if (vm->gen != s->gen) {
		vm->gen = s->gen;
		vm->alive = false;
	}
	if (alive) {
		vm->alive = true;
		vm->last_seen = s->now;
	}
}

static struct ks_vm *touch(struct ks_store *s, const char *id, bool alive)
{
	struct ks_vm *vm = vm_get(s, id);

	if (!vm)
		return NULL;
	if (vm->gen != s->gen)
		vm_zero(vm);
	mark(s, vm, alive);
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

/* Index of vCPU @id of @vm, or where it would go (~index). */
static long vcpu_index(const struct ks_vm *vm, int id)
{
	size_t lo = 0, hi = vm->nr_vcpus;

	/* Sources walk vCPUs in id order: try the append case first. */
	if (vm->nr_vcpus && vm->vcpus[vm->nr_vcpus - 1].id < id)
		return ~(long)vm->nr_vcpus;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (vm->vcpus[mid].id == id)
			return mid;
		if (vm->vcpus[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return ~(long)lo;
}

struct ks_vcpu *ks_vm_vcpu(struct ks_vm *vm, int id)
{
	long i = vcpu_index(vm, id);
	size_t lo;

	if (i >= 0)
		return &vm->vcpus[i];
	lo = ~i;
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

		if (v->folded)		/* in KS_VCPU_OTHER already */
			continue;
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
		for (int d = 0; d < KS_NR_DIRS; d++)
			t->mapgpa.requests[d] += v->mapgpa.requests[d];
		ks_hist_add(&t->mapgpa.latency, v->mapgpa.latency.slots,
			    v->mapgpa.latency.sum_ns);
	}
}

/*
 * Take the counters at @from into @to, @size bytes of uint64_t (the
 * structs are counters only, see store.h), each unless it is lower than
 * the value @to holds: that one is kept, and counted in the return value.
 * What each one grew by is added to @sum too, if not NULL (the _other of
 * a folded VM or vCPU): a held value adds nothing, so @sum never dips.
 */
static uint64_t advance(void *to, const void *from, size_t size, void *sum)
{
	uint64_t *t = to, *o = sum, decreases = 0;
	const uint64_t *f = from;

	for (size_t i = 0; i < size / sizeof(uint64_t); i++) {
		if (f[i] < t[i]) {
			decreases++;
			continue;
		}
		if (o)
			o[i] += f[i] - t[i];
		t[i] = f[i];
	}
	return decreases;
}

_Static_assert(sizeof(struct ks_conv) % sizeof(uint64_t) == 0, "counters only");
_Static_assert(sizeof(struct ks_roles) % sizeof(uint64_t) == 0, "counters only");
_Static_assert(sizeof(struct ks_hvfifo) % sizeof(uint64_t) == 0, "counters only");
_Static_assert(sizeof(struct ks_mapgpa) % sizeof(uint64_t) == 0, "counters only");

enum { HAVE_VCPU = KS_HAVE_MAPGPA | KS_HAVE_ROLES | KS_HAVE_HV_FIFO };

/*
 * The families of @have of the staged vCPU @f into @vc, and what they grew
 * by into @sum if not NULL.
 */
static uint64_t commit_vcpu(struct ks_vcpu *vc, struct ks_vcpu *f,
			    unsigned int have, struct ks_vcpu *sum)
{
	uint64_t decreases = 0;

	if (have & KS_HAVE_MAPGPA) {
		struct ks_mapgpa *m = &f->mapgpa;

		/* A read between the kernel's two adds has to_private behind. */
		m->requests[KS_DIR_SHARED] = m->count > m->to_private ?
					     m->count - m->to_private : 0;
		m->requests[KS_DIR_PRIVATE] = m->to_private;
		decreases += advance(&vc->mapgpa, m, sizeof(*m),
				     sum ? &sum->mapgpa : NULL);
	}
	if (have & KS_HAVE_ROLES)
		decreases += advance(&vc->roles, &f->roles, sizeof(f->roles),
				     sum ? &sum->roles : NULL);
	if (have & KS_HAVE_HV_FIFO)
		decreases += advance(vc->hv, f->hv, sizeof(f->hv),
				     sum ? sum->hv : NULL);
	return decreases;
}

/* The VM "_other" of @s, created if new.  NULL on ENOMEM. */
static struct ks_vm *other_vm(struct ks_store *s)
{
	if (!s->other) {
		s->other = vm_get(s, KS_VM_OTHER);
		if (s->other)
			snprintf(s->other->name, sizeof(s->other->name), "%s",
				 KS_VM_OTHER);
	}
	return s->other;
}

/*
 * The VM @id of the rendered store @s, created if new: folded if @s
 * already renders max_vms VMs of its own.  NULL on ENOMEM.
 */
static struct ks_vm *commit_vm(struct ks_store *s, const char *id)
{
	size_t shown = s->nr_vms - s->nr_folded - (s->other != NULL);
	struct ks_vm *vm = ks_store_find(s, id);
	bool fold;

	if (vm)
		return vm;
	fold = s->max_vms && shown >= s->max_vms;
	if (fold && !other_vm(s))
		return NULL;
	vm = vm_get(s, id);
	if (vm && fold) {
		vm->folded = true;
		s->nr_folded++;
		s->folded_total++;
	}
	return vm;
}

/*
 * The vCPU @id of @vm in the rendered store @s, created if new, and where
 * what it grows by goes too (*@sum): _other's vCPU for a folded VM, the
 * VM's KS_VCPU_OTHER for a vCPU folded as new past max_vcpus, else NULL.
 * NULL on ENOMEM.
 */
static struct ks_vcpu *commit_vcpu_of(struct ks_store *s, struct ks_vm *vm,
				      int id, struct ks_vcpu **sum)
{
	long i = vcpu_index(vm, id);
	struct ks_vcpu *vc;
	size_t shown;
	bool fold;

	*sum = NULL;
	if (vm->folded) {
		*sum = ks_vm_vcpu(s->other, KS_VCPU_OTHER);
		return *sum ? ks_vm_vcpu(vm, id) : NULL;
	}
	if (i >= 0) {
		vc = &vm->vcpus[i];
	} else {
		shown = vm->nr_vcpus - vm->nr_folded_vcpus -
			(vm->nr_vcpus && vm->vcpus[0].id == KS_VCPU_OTHER);
		fold = s->max_vcpus && shown >= s->max_vcpus;
		/* KS_VCPU_OTHER first: adding it moves the vCPUs. */
		if (fold && !ks_vm_vcpu(vm, KS_VCPU_OTHER))
			return NULL;
		vc = ks_vm_vcpu(vm, id);
		if (!vc)
			return NULL;
		if (fold) {
			vc->folded = true;
			vm->nr_folded_vcpus++;
		}
	}
	if (vc->folded)
		*sum = &vm->vcpus[0];	/* KS_VCPU_OTHER sorts first */
	return vc;
}

/* Self stats: each starts with the name of its source (char[16]). */
_Static_assert(offsetof(struct ks_prog_stat, source) == 0, "source first");
_Static_assert(offsetof(struct ks_map_stat, source) == 0, "source first");
_Static_assert(offsetof(struct ks_lost_stat, source) == 0, "source first");

/* Replace @source's rows of the array *@arr by the @nr_from at @from. */
static int replace_rows(void **arr, size_t *nr, size_t *cap, const void *from,
			size_t nr_from, size_t size, const char *source)
{
	char *a;
	size_t kept = 0;

	if (ks_grow(arr, cap, *nr + nr_from, size))
		return -ENOMEM;
	a = *arr;
	for (size_t i = 0; i < *nr; i++) {
		if (!strncmp(a + i * size, source, 16))
			continue;
		memmove(a + kept * size, a + i * size, size);
		kept++;
	}
	if (nr_from)
		memcpy(a + kept * size, from, nr_from * size);
	*nr = kept + nr_from;
	return 0;
}

#define REPLACE_ROWS(s, from, arr, nr, cap, source)			\
	replace_rows((void **)&(s)->arr, &(s)->nr, &(s)->cap, (from)->arr,	\
		     (from)->nr, sizeof(*(s)->arr), source)

/* Free the VMs of @s not touched in its current collection. */
static void prune(struct ks_store *s)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->nr_vms; i++) {
		if (s->vms[i]->gen != s->gen) {
			vm_free(s->vms[i]);
			continue;
		}
		s->vms[kept++] = s->vms[i];
	}
	s->nr_vms = kept;
}

int ks_store_commit(struct ks_store *s, struct ks_store *from,
		    unsigned int have, unsigned int bit, const char *source,
		    uint64_t *decreases)
{
	prune(from);
	for (size_t i = 0; i < from->nr_vms; i++) {
		struct ks_vm *f = from->vms[i];
		struct ks_vm *vm = commit_vm(s, f->id);

		if (!vm)
			return -ENOMEM;
		mark(s, vm, f->alive);
		if (vm->folded)
			mark(s, s->other, f->alive);
		vm->sources |= bit;
		if (f->pid)
			vm->pid = f->pid;
		if (!vm->name[0])
			memcpy(vm->name, f->name, sizeof(vm->name));
		if (have & KS_HAVE_CONV)
			*decreases += advance(vm->conv, f->conv, sizeof(f->conv),
					      vm->folded ? s->other->conv : NULL);
		for (size_t j = 0; (have & HAVE_VCPU) && j < f->nr_vcpus; j++) {
			struct ks_vcpu *sum, *vc;

			vc = commit_vcpu_of(s, vm, f->vcpus[j].id, &sum);
			if (!vc)
				return -ENOMEM;
			*decreases += commit_vcpu(vc, &f->vcpus[j], have, sum);
		}
	}
	if (have & KS_HAVE_HV_HYPERCALLS)
		*decreases += advance(s->hv_hypercalls, from->hv_hypercalls,
				      sizeof(from->hv_hypercalls), NULL);
	if (have & KS_HAVE_HV_FIFO)
		*decreases += advance(&s->hv_synthetic_vmexits,
				      &from->hv_synthetic_vmexits,
				      sizeof(from->hv_synthetic_vmexits), NULL);
	if (REPLACE_ROWS(s, from, progs, nr_progs, cap_progs, source) ||
	    REPLACE_ROWS(s, from, maps, nr_maps, cap_maps, source) ||
	    REPLACE_ROWS(s, from, lost, nr_lost, cap_lost, source))
		return -ENOMEM;
	return 0;
}

void ks_store_keep(struct ks_store *s, unsigned int failed)
{
	for (size_t i = 0; i < s->nr_vms; i++) {
		struct ks_vm *vm = s->vms[i];

		/* gen only: alive and last_seen stay as last read. */
		if ((vm->sources & failed) && vm->gen != s->gen)
			vm->gen = s->gen;
	}
}

size_t ks_store_expire(struct ks_store *s, double grace, double zero_hold,
		       void (*forget)(void *ctx, const struct ks_vm *vm),
		       void *ctx)
{
	size_t kept = 0, dropped = 0;

	for (size_t i = 0; i < s->nr_vms; i++) {
		struct ks_vm *vm = s->vms[i];
		double since = vm->last_seen;

		if (since < vm->first_seen + zero_hold)
			since = vm->first_seen + zero_hold;
		/*
		 * _other stays: a new series would restart its counters.  A
		 * folded VM has no grace: its final values are in _other
		 * already, so holding it would only hold memory.
		 */
		if (vm != s->other && !ks_vm_live(s, vm) &&
		    (vm->folded || s->now - since >= grace)) {
			if (forget)
				forget(ctx, vm);
			/* A new VMM may get the pid: look its name up again. */
			if (s->names && vm->pid)
				ks_vm_cache_forget(s->names, vm->pid);
			s->nr_folded -= vm->folded;
			vm_free(vm);
			dropped++;
			continue;
		}
		s->vms[kept++] = vm;
	}
	s->nr_vms = kept;
	/* _other is live while it holds VMs that are exported. */
	if (s->other) {
		s->other->gen = s->gen;
		s->other->alive = s->nr_folded > 0;
	}
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
