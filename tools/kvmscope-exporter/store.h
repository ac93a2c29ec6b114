/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The exporter's view of the in-kernel aggregates: per VM, per vCPU, the
 * counters and log2 histograms the sources (BPF-backed or synthetic) copy
 * out of their maps on every collection.
 *
 * Sources report cumulative values into a staging store of their own: at
 * each collection a source adds what its maps hold now to the entries it
 * touches, and the first touch of a VM in a collection zeroes that VM, so
 * the staging store holds exactly the latest map contents.  Only a
 * collection that succeeded is committed into the store that is rendered
 * (ks_store_commit()), so a source failing halfway leaves its last good
 * values in place rather than zeros or a partial sum: Prometheus would read
 * either as a counter reset.
 *
 * A VM is live while its VMM process exists.  A gone VM (its VMM exited,
 * or a source no longer reports it) stays exported with its final values
 * for a grace period after it was last seen live, or after it was first
 * seen at all if it was never seen live (a VMM that ran between two
 * scrapes still gets its counts exported).  Then it is dropped, and each
 * source is told to forget it (delete its map entries).  This bounds the
 * series to live VMs plus the ones that went away within the grace.
 */
#ifndef KVMSCOPE_EXPORTER_STORE_H
#define KVMSCOPE_EXPORTER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conversions.h"
#include "hvflush.h"
#include "mmu_roles.h"
#include "sizes.h"
#include "vmcache.h"

#define KS_VM_NAME_LEN	64

struct ks_hist {
	uint64_t slots[KS_HIST_SLOTS];	/* log2 slots of nanoseconds */
	uint64_t sum_ns;
};

enum ks_dir { KS_DIR_SHARED, KS_DIR_PRIVATE, KS_NR_DIRS };
enum ks_level { KS_LEVEL_4K, KS_LEVEL_2M, KS_LEVEL_1G, KS_NR_LEVELS };
/*
 * Whose role, numbered as enum mmu_kind: a guest page walker (gva_walk,
 * ngpa_walk) or an MMU (root, guest).
 */
enum ks_mmu {
	KS_MMU_GVA_WALK, KS_MMU_NGPA_WALK, KS_MMU_ROOT, KS_MMU_GUEST,
	KS_NR_MMUS
};
/* Why a role changed, numbered as enum mmu_role_cause. */
enum ks_cause {
	KS_CAUSE_INIT,		/* CPUID, or the role's first computation */
	KS_CAUSE_NESTED,	/* NPT/EPT for L2, or base.guest_mode moved */
	KS_CAUSE_SMM,		/* base.smm moved */
	KS_CAUSE_MODE,		/* CR0.WP, or other CR0/CR4/EFER bits */
	KS_NR_CAUSES,
};
enum ks_fifo { KS_FIFO_L1, KS_FIFO_L2, KS_NR_FIFOS };

extern const char *const ks_dir_names[KS_NR_DIRS];
extern const char *const ks_level_names[KS_NR_LEVELS];
extern const char *const ks_mmu_names[KS_NR_MMUS];
extern const char *const ks_cause_names[KS_NR_CAUSES];
extern const char *const ks_fifo_names[KS_NR_FIFOS];

/*
 * The counters of the kernel rows, a field each as the row lists in the
 * bpf/ headers name them: a counter added there is in the store, the
 * per-VM sums and the metrics with no change here.  Every member of
 * ks_conv, ks_roles, ks_hvfifo and ks_mapgpa is a cumulative uint64_t:
 * ks_store_commit() holds each one monotonic, as an array.
 */
#define KS_COUNTER(field, ...)		uint64_t field;
#define KS_COUNTER_BY_MMU(field, ...)	uint64_t field[KS_NR_MMUS];

/* Memory attribute conversions of one VM in one direction. */
struct ks_conv {
	CONV_ROW_COUNTERS(KS_COUNTER)	/* count, noop, errors, pages, ... */
	uint64_t zapped[KS_NR_LEVELS];	/* leaf SPTEs zapped */
	struct ks_hist duration;
};

/* MMU role computations of one vCPU, by MMU. */
struct ks_roles {
	MMU_ROLE_ROW_COUNTERS(KS_COUNTER_BY_MMU)	/* computed[mmu], ... */
	uint64_t cause[KS_NR_MMUS][KS_NR_CAUSES];	/* changes by cause */
};

/* One Hyper-V TLB flush FIFO of one (target) vCPU. */
struct ks_hvfifo {
	HVFLUSH_ROW_COUNTERS(KS_COUNTER)	/* enqueues, drains, ... */
	struct ks_hist latency;	/* first enqueue -> drain */
};

/* MapGPA hypercalls (KVM_HC_MAP_GPA_RANGE) of one vCPU, as the guest sees them. */
struct ks_mapgpa {
	MAPGPA_ROW_COUNTERS(KS_COUNTER)	/* count, pages, to_private, ... */
	/*
	 * count by direction, derived from count and to_private when
	 * committed: the kernel adds to them one after the other, so a read
	 * between the two would make a derivation at render time dip.
	 */
	uint64_t requests[KS_NR_DIRS];
	struct ks_hist latency;		/* hypercall -> next VM entry */
};

#undef KS_COUNTER
#undef KS_COUNTER_BY_MMU

/* The VM the folded VMs add up in (its id and name), never a VM's id. */
#define KS_VM_OTHER	"_other"
/* The vCPU a VM's folded vCPUs add up in, rendered vcpu="_other". */
#define KS_VCPU_OTHER	(-1)

struct ks_vcpu {
	int id;				/* KS_VCPU_OTHER: the folded ones */
	bool folded;			/* past max_vcpus: counted in _other */
	struct ks_mapgpa mapgpa;
	struct ks_roles roles;
	struct ks_hvfifo hv[KS_NR_FIFOS];
};

struct ks_vm {
	/* kvm->stats_id: "kvm-<tid>" of the thread that created the VM */
	char id[KS_STATS_ID_LEN];
	/*
	 * The VMM process, which every kernel row is keyed or tagged by:
	 * what the VM's liveness, name and map entries go by, never the
	 * thread its id names.  0 if not known (set by ks_store_row_vm()).
	 */
	pid_t pid;
	char name[KS_VM_NAME_LEN];	/* QEMU -name or comm; "" if unknown */
	struct ks_conv conv[KS_NR_DIRS];
	struct ks_vcpu *vcpus;		/* sorted by id */
	size_t nr_vcpus, cap_vcpus;
	size_t nr_folded_vcpus;		/* of them, folded into KS_VCPU_OTHER */
	struct ks_vcpu total;		/* the vCPUs summed: ks_vm_sum_vcpus() */
	uint64_t gen;			/* collection that last touched it */
	bool folded;			/* past max_vms: counted in _other */
	bool alive;			/* ... and saw its VMM running */
	unsigned int sources;		/* bits of the sources it came from */
	double first_seen;		/* monotonic seconds, first sighting */
	double last_seen;		/* monotonic seconds it was last live */
};

/* Self-observability, rebuilt on every collection. */
struct ks_prog_stat {
	char source[16];
	char name[64];
	uint64_t run_cnt;
	uint64_t run_time_ns;
};

struct ks_map_stat {
	char source[16];
	char name[64];
	uint32_t entries;
	uint32_t max_entries;
};

struct ks_lost_stat {
	char source[16];
	char reason[32];	/* "ringbuf_full", "map_full", ... */
	uint64_t count;
};

/* Families a source provides; only those are rendered. */
enum {
	KS_HAVE_CONV		= 1 << 0,	/* counts, zaps, duration */
	KS_HAVE_CONV_SERIES	= 1 << 1,	/* no-ops, TLB flushes */
	KS_HAVE_MAPGPA		= 1 << 2,
	KS_HAVE_ROLES		= 1 << 3,
	KS_HAVE_HV_HYPERCALLS	= 1 << 4,
	KS_HAVE_HV_FIFO		= 1 << 5,	/* per-vCPU FIFO rows */
};

struct ks_store {
	struct ks_vm **vms;		/* sorted by id; folded ones too */
	size_t nr_vms, cap_vms;
	/* Limits of the rendered store (ks_store_limit()), 0: none. */
	size_t max_vms, max_vcpus;
	struct ks_vm *other;		/* "_other", once a VM folded */
	size_t nr_folded;		/* VMs in vms folded into it */
	uint64_t folded_total;		/* VMs ever folded */
	uint64_t gen;
	double now;
	unsigned int have;		/* KS_HAVE_* */
	/*
	 * VM names by VMM pid (row_vm.c), not owned: one cache for the store
	 * and the staging stores, so a VMM is looked up in /proc once.
	 */
	struct ks_vm_cache *names;
	/* Host-wide Hyper-V counters, not per VM. */
	uint64_t hv_hypercalls[KS_NR_FIFOS];	/* by the issuer's level */
	uint64_t hv_synthetic_vmexits;
	struct ks_prog_stat *progs;
	size_t nr_progs, cap_progs;
	struct ks_map_stat *maps;
	size_t nr_maps, cap_maps;
	struct ks_lost_stat *lost;
	size_t nr_lost, cap_lost;
};

/* @names: the VM name cache it shares (row_vm.c), or NULL if unnamed. */
void ks_store_init(struct ks_store *s, struct ks_vm_cache *names);
void ks_store_free(struct ks_store *s);

/*
 * Bound the series of the rendered store @s: past @max_vms VMs (0: no
 * limit), a VM seen for the first time is folded into the VM "_other"
 * (vm_name "_other"), and past @max_vcpus vCPUs of a VM, a new vCPU is
 * folded into its vCPU KS_VCPU_OTHER (rendered vcpu="_other").  The newest
 * fold, so established VMs keep their identity, and a VM or vCPU stays
 * folded until it is dropped, even once room appears: un-folding it would
 * take its counts out of _other, which would go backwards.  _other
 * accumulates the increases the folded ones commit (their own values are
 * kept, unrendered, to know them), so it only grows, whichever of them
 * comes or goes; it is never expired.  A folded VM is dropped (and
 * forgotten) as soon as it is gone, with no grace: its final values are
 * in _other, and a host churning through VMs past the limit then holds
 * the state of its live ones only.
 */
void ks_store_limit(struct ks_store *s, size_t max_vms, size_t max_vcpus);

/*
 * Start a collection into a store sources fill, at monotonic time @now:
 * clears the self stats and the host-wide counters, and VMs are zeroed at
 * their first touch.
 */
void ks_store_begin(struct ks_store *s, double now);
/*
 * Start a collection of the rendered store, which ks_store_commit() fills:
 * everything keeps its value until a source's commit replaces it.
 */
void ks_store_tick(struct ks_store *s, double now);

/*
 * Commit @from, a staging store its source just filled without error, into
 * @s: the families of @have (KS_HAVE_*) of every VM it touched in this
 * collection, its host-wide counters of @have, and the self stats of
 * @source (replacing the previous ones).  The VMs are marked as from
 * source bit @bit.  A value lower than the one @s holds is not taken: @s
 * keeps its value, so exported counters never go backwards while their VM
 * lives; *@decreases counts them.  VMs @from no longer reports are freed
 * from it.  Returns 0 or -ENOMEM (the VMs committed so far stay).
 */
int ks_store_commit(struct ks_store *s, struct ks_store *from,
		    unsigned int have, unsigned int bit, const char *source,
		    uint64_t *decreases);
/*
 * The sources of bits @failed could not be read in this collection: the
 * VMs they reported keep their values and their state, live or gone, as
 * the last good collection saw them, unless a source that did read them
 * says otherwise.  A read error neither zeroes nor expires a VM.
 */
void ks_store_keep(struct ks_store *s, unsigned int failed);

/*
 * The live VM @id, created if new; zeroed on its first touch in this
 * collection and marked seen now.  NULL on allocation failure.
 */
struct ks_vm *ks_store_vm(struct ks_store *s, const char *id);
/*
 * The same for a VM whose VMM is gone but whose final values the maps
 * still hold: its grace period runs from when it was last live (or first
 * seen).  A VM touched both ways in one collection counts as live.
 */
struct ks_vm *ks_store_gone_vm(struct ks_store *s, const char *id);

/* Live VMs: touched in the current collection with their VMM running. */
static inline bool ks_vm_live(const struct ks_store *s, const struct ks_vm *vm)
{
	return vm->gen == s->gen && vm->alive;
}
/* The vCPU @id of @vm, created (zeroed) if new.  NULL on ENOMEM. */
struct ks_vcpu *ks_vm_vcpu(struct ks_vm *vm, int id);
struct ks_vm *ks_store_find(const struct ks_store *s, const char *id);
/*
 * Sum @vm's vCPUs into vm->total (the folded ones through KS_VCPU_OTHER), for the families exported per VM: once
 * per scrape, however many families read it.
 */
void ks_vm_sum_vcpus(struct ks_vm *vm);

/*
 * Is @vm, first seen less than @zero_hold seconds ago, still exported at
 * zero?  See ks_render().
 */
static inline bool ks_vm_held(const struct ks_store *s, const struct ks_vm *vm,
			      double zero_hold)
{
	return s->now - vm->first_seen < zero_hold;
}

/*
 * End a collection: drop every VM not seen for @grace seconds or more
 * (a folded one as soon as it is gone),
 * calling @forget(@ctx, vm) for each first, and its VMM's name from the
 * cache.
 * The grace of a VM held at zero (@zero_hold) starts when the hold ends,
 * so its real values are exported for the grace period too.  Returns the
 * number dropped.
 */
size_t ks_store_expire(struct ks_store *s, double grace, double zero_hold,
		       void (*forget)(void *ctx, const struct ks_vm *vm),
		       void *ctx);

/* Self stats; silently dropped on ENOMEM (they are best effort). */
void ks_store_prog(struct ks_store *s, const char *source, const char *name,
		   uint64_t run_cnt, uint64_t run_time_ns);
void ks_store_map(struct ks_store *s, const char *source, const char *name,
		  uint32_t entries, uint32_t max_entries);
void ks_store_lost(struct ks_store *s, const char *source, const char *reason,
		   uint64_t count);

/* Add a log2 histogram of KS_HIST_SLOTS @slots into @h. */
void ks_hist_add(struct ks_hist *h, const uint64_t *slots, uint64_t sum_ns);

#endif /* KVMSCOPE_EXPORTER_STORE_H */
