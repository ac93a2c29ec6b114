// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tdx-trace conversions: the cost of each private<->shared memory attribute
 * conversion (KVM_SET_MEMORY_ATTRIBUTES), correlated in the kernel.
 *
 * Series mode: upstream's kvm_vm_set_mem_attributes opens a per-thread
 * record, every tdp_mmu_zap_leafs on the same thread adds its per-level zap
 * counts, yields and yield flushes, and the series'
 * kvm_vm_set_mem_attributes_done closes it, naming the VM.  Each program
 * exists as tp_btf (typed args) and as a raw_tp twin with the same body;
 * userspace autoloads one of the two.
 *
 * Fallback mode (kernels without the series): sys_enter/exit_ioctl with
 * KVM_SET_MEMORY_ATTRIBUTES on a VM's file bracket the conversion and name
 * the VM; kvm_tdp_mmu_spte_changed supplies the zap counts; flushes and the
 * no-op flag cannot be observed.
 *
 * Both modes, with --mapgpa only: MapGPA latency, from the guest's
 * KVM_HC_MAP_GPA_RANGE hypercall to its return, kvm_hypercall_done, where
 * the series has that event; else to the vCPU's next VM entry.  Opt-in
 * because without the series kvm_entry fires on every VM entry of every
 * VM: even a program that returns at once costs more there than all the
 * rest put together.  Where the series traces TDX's TDVMCALL<MapGPA> and SNP's page state
 * changes, which never reach kvm_hypercall, their requests are measured
 * from request to the event that returns to the guest, with the chunks
 * forwarded to the VMM, the time those spent there, RETRYs and errors.
 *
 * Closed conversions go into per-VM/direction log2 histograms and, only when
 * streaming, to the ring buffer.  Everything dropped is counted in "lost".
 */
#include "kvm_core.h"
#include "conversions.h"
#include "tdx_trace.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* More filters, set by userspace before load. */
const volatile __u64 min_ns = 0;
const volatile __u32 dir_filter = CONV_FILTER_ANY;
/* Emit one ring buffer record per conversion (not with --summary). */
const volatile bool stream = false;
/* The MapGPA latency programs are loaded (--mapgpa): count conversions. */
const volatile bool mapgpa_latency = false;
/*
 * Fallback: kvm_vm_set_mem_attributes, not the ioctl's entry, opens the
 * conversion (the 6.17+ fallback).
 */
const volatile bool open_at_event = false;

/*
 * An open conversion: only what the end cannot read itself.  Names (comm,
 * stats id) are read once per row or per streamed record, not here: begin
 * and end run on every conversion and each byte they touch costs.
 */
struct conv_open {
	__u64 ts_ns;
	__u64 gfn_start;	/* fallback: end has no range of its own */
	__u64 gfn_end;
	__u64 attributes;
	struct kvm *kvm;	/* fallback: the VM whose file the ioctl is on */
	/*
	 * What the row takes of the range, worked out by the begin, which
	 * costs far less than the end.
	 */
	__u64 pages;
	__u32 pages_slot;	/* hist_slot(pages) */
	__u8 dir;		/* enum conv_dir */
	bool live;		/* begun and not ended: the rest is this one's */
	bool opened;		/* false: only the VM is known (open_at_event) */
	__u8 pad;
	__u32 zapped[CONV_NR_LEVELS];
	__u32 yields;
	__u32 yield_flushes;
	__u32 root_walks;
	/* Its process's slot in stats, while gen is the slot's (0: none). */
	__u32 slot;
	__u32 gen;
	__u32 tid;		/* the owner, in threads; 0: free */
	__u32 pad2;
};

/*
 * Open conversions, by thread: KVM_SET_MEMORY_ATTRIBUTES runs in one
 * thread.  A thread's entry is made at its first conversion and reused
 * (live while open) until the thread exits: an insert and a delete per
 * conversion cost more than bpftrace's whole count() on the same event.
 * Not task storage: on 6.12 making a thread's storage refills a
 * bpf_mem_alloc cache inside the program, and VMM threads are made often
 * enough (one per vCPU per VM) for that to be most of the cost.
 *
 * First in threads, direct-mapped by thread id (tid & thread_mask), the
 * entry naming its owner: an array lookup the verifier inlines, where a
 * hash lookup cost about a hundred guest instructions on each of begin,
 * zap summary and end.  A thread takes a free entry with a
 * compare-and-swap and keeps it until it exits.  A thread whose entry is
 * another's (a pid_max above CONV_THREADS) keeps its conversions in the
 * inflight hash instead, sized as mapgpa_reqs: an entry per live thread
 * that converted.
 */
/*
 * The kernel's default pid_max, under which no two threads share an entry.
 * systemd raises pid_max to 4194304: there, a thread whose entry another
 * live thread holds goes to the hash, which costs more, not counts.
 */
#define CONV_THREADS	32768

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CONV_THREADS);
	__type(key, __u32);
	__type(value, struct conv_open);
} threads SEC(".maps");

/* max_entries of threads minus 1, a power of 2 minus 1 (conv_select_progs()). */
const volatile __u32 thread_mask = CONV_THREADS - 1;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct conv_open);
} inflight SEC(".maps");

/* The rows, a slot per VMM process (struct conv_vmm). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CONV_MAX_VMMS);
	__type(key, __u32);
	__type(value, struct conv_vmm);
} stats SEC(".maps");

/*
 * The slot of each live VMM process, looked up at a thread's first
 * conversion (and by MapGPA requests).  Its process's exit deletes the
 * entry: userspace frees the slot once it read it (conv_probe_drain(),
 * conv_probe_delete_pid()).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CONV_MAX_VMMS);
	__type(key, __u32);
	__type(value, __u32);
} conv_slots SEC(".maps");

/* Free slots of stats: userspace pushes them all at load, then each it frees. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, CONV_MAX_VMMS);
	__type(value, __u32);
} free_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* What ends an outstanding MapGPA request. */
enum mapgpa_kind {
	MAPGPA_HYPERCALL,	/* KVM_HC_MAP_GPA_RANGE: kvm_hypercall_done, or
				 * without the series the next VM entry */
	MAPGPA_VENDOR,		/* TDX/SNP: their _done event */
};

struct mapgpa_req {
	__u64 ts_ns;
	__u64 pages;
	__u64 attributes;
	__u64 convs_before;
	__u64 exit_ns;		/* the last chunk's exit to the VMM, 0: none */
	__u64 userspace_ns;
	__u32 exited;		/* 0 or 1 */
	__u32 chunks;
	/* Its VMM's slot in stats (conv_vmm.convs), while conv_gen is its. */
	__u32 conv_slot;
	__u32 conv_gen;
	/* Its vCPU's last slot in mapgpa_rows: its row while named so. */
	__u32 row_slot;
	__u8 kind;		/* enum mapgpa_kind */
	bool from_chunks;	/* SNP's buffer: pages and direction from the exits */
	bool live;		/* outstanding: counted in mapgpa_pending */
	__u8 pad;
	__u32 tid;		/* the owner, in mapgpa_threads; 0: free */
	__u32 pad2;
};

/*
 * MapGPA rows each VMM process created (MAPGPA_VMM_MAX_ROWS): userspace
 * resets it when it deletes rows (conv_probe_drain_mapgpa(),
 * conv_probe_delete_pid()), the process's exit deletes it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} mapgpa_vmm_rows SEC(".maps");

/*
 * Outstanding MapGPA requests, by vCPU thread: first in an array
 * direct-mapped as threads is, else in the hash; reused as inflight is.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CONV_THREADS);
	__type(key, __u32);
	__type(value, struct mapgpa_req);
} mapgpa_threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct mapgpa_req);
} mapgpa_reqs SEC(".maps");

/*
 * The MapGPA rows, a slot per (VMM process, vCPU), each naming its key:
 * the request's entry caches its vCPU's slot, so a request ends with an
 * array lookup the verifier inlines while the slot still names the
 * request's (pid, vCPU); the hash lookup it replaces was most of what a
 * kvm_hypercall_done cost above bpftrace's count().  mapgpa indexes them,
 * looked up when the cache misses; mapgpa_free holds the free slots.
 * Userspace reads the rows, frees them (zeroed, so no key matches, the
 * index entry gone) and pushes them back (conv_probe_drain_mapgpa(),
 * conv_probe_delete_pid()).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAPGPA_MAX_ROWS);
	__type(key, __u32);
	__type(value, struct mapgpa_row);
} mapgpa_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAPGPA_MAX_ROWS);
	__type(key, struct mapgpa_key);
	__type(value, __u32);
} mapgpa SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, MAPGPA_MAX_ROWS);
	__type(value, __u32);
} mapgpa_free SEC(".maps");

/*
 * Lets kvm_entry, which fires on every VM entry of every VM, skip the hash
 * lookup while no MapGPA request is outstanding.
 */
__u64 mapgpa_pending = 0;

/* This thread's MapGPA request entry (mapgpa_threads, else mapgpa_reqs). */
static __always_inline struct mapgpa_req *mapgpa_thread(__u64 id)
{
	__u32 tid = (__u32)id, idx = tid & thread_mask;
	struct mapgpa_req *req = bpf_map_lookup_elem(&mapgpa_threads, &idx);

	if (req && req->tid == tid)
		return req;
	return bpf_map_lookup_elem(&mapgpa_reqs, &tid);
}

/* This thread's open conversion entry (threads, else inflight), NULL if none. */
static __always_inline struct conv_open *conv_thread(__u64 id)
{
	__u32 tid = (__u32)id, idx = tid & thread_mask;
	struct conv_open *op = bpf_map_lookup_elem(&threads, &idx);

	if (op && op->tid == tid)
		return op;
	return bpf_map_lookup_elem(&inflight, &tid);
}

static __always_inline bool dir_wanted(__u64 attributes)
{
	bool priv = attributes & CONV_ATTR_PRIVATE;

	return dir_filter == CONV_FILTER_ANY ||
	       (dir_filter == CONV_FILTER_PRIVATE && priv) ||
	       (dir_filter == CONV_FILTER_SHARED && !priv);
}

/* Is @kvm the VM of --vm?  Only called with --vm. */
static __always_inline bool kvm_wanted(struct kvm *kvm)
{
	char stats_id[KS_STATS_ID_LEN] = {};

	BPF_CORE_READ_STR_INTO(&stats_id, kvm, stats_id);
	return vm_wanted(stats_id);
}

/* The range and direction of @op, and what its row takes of them. */
static __always_inline void conv_open_range(struct conv_open *op, __u64 start,
					    __u64 end, __u64 attributes)
{
	op->gfn_start = start;
	op->gfn_end = end;
	op->attributes = attributes;
	op->pages = end > start ? end - start : 0;
	op->pages_slot = hist_slot(op->pages);
	op->dir = attributes & CONV_ATTR_PRIVATE ? CONV_DIR_PRIVATE
						 : CONV_DIR_SHARED;
}

/* Everything but the owner and cached slot, which outlive the conversion. */
static __always_inline void conv_open_set(struct conv_open *op, __u64 ts,
					  __u64 start, __u64 end,
					  __u64 attributes, struct kvm *kvm,
					  bool opened)
{
	__u32 slot = op->slot, gen = op->gen, tid = op->tid;

	*op = (struct conv_open){
		.tid = tid,
		.slot = slot,
		.gen = gen,
		.ts_ns = ts,
		.kvm = kvm,
		.live = true,
		.opened = opened,
	};
	conv_open_range(op, start, end, attributes);
}

/*
 * Open a conversion on this thread.  Only the fallback knows the VM here
 * (@kvm, else NULL): --vm is checked by conv_end(), which has it in every
 * mode.  @opened false: the VM's ioctl began, the conversion is opened by
 * conv_accept() once KVM took the request.
 */
static __always_inline int conv_begin(struct kvm *kvm, __u64 start, __u64 end,
				      __u64 attributes, bool opened)
{
	__u64 id = bpf_get_current_pid_tgid(), ts;
	__u32 tid = (__u32)id, pid = id >> 32, idx = tid & thread_mask;
	struct conv_open *op, new;

	if ((targ_pid && pid != targ_pid) || !dir_wanted(attributes))
		return 0;
	ts = bpf_ktime_get_ns();
	/* The thread's entry is written in place: no copy through the stack. */
	op = bpf_map_lookup_elem(&threads, &idx);
	if (op && (op->tid == tid ||
		   (!op->tid && !__sync_val_compare_and_swap(&op->tid, 0, tid)))) {
		conv_open_set(op, ts, start, end, attributes, kvm, opened);
		return 0;
	}
	op = bpf_map_lookup_elem(&inflight, &tid);
	if (op) {
		conv_open_set(op, ts, start, end, attributes, kvm, opened);
		return 0;
	}
	new.slot = new.gen = 0;
	new.tid = tid;
	conv_open_set(&new, ts, start, end, attributes, kvm, opened);
	if (bpf_map_update_elem(&inflight, &tid, &new, BPF_NOEXIST))
		count_lost(TDX_LOST_INFLIGHT_FULL);
	return 0;
}

static __always_inline void conv_zap(__u32 level, __u32 n)
{
	struct conv_open *op = conv_thread(bpf_get_current_pid_tgid());

	if (!op || !op->live || !op->opened)
		return;
	/* Constant indices: a variable one loses its bounds in the verifier. */
	if (level == 0)
		op->zapped[0] += n;
	else if (level == 1)
		op->zapped[1] += n;
	else if (level == 2)
		op->zapped[2] += n;
}

/* One TDP root walked by the conversion open on this thread, if any. */
static __always_inline int conv_zap_leafs(__u32 z4k, __u32 z2m, __u32 z1g,
					  __u32 yields, __u32 yield_flushes)
{
	struct conv_open *op = conv_thread(bpf_get_current_pid_tgid());

	/* Not in a conversion: an MMU notifier or memslot zap. */
	if (!op || !op->live)
		return 0;
	op->zapped[0] += z4k;
	op->zapped[1] += z2m;
	op->zapped[2] += z1g;
	op->yields += yields;
	op->yield_flushes += yield_flushes;
	op->root_walks++;
	return 0;
}

/* A closed conversion, as end hands it to account() and the stream. */
struct conv_done {
	const struct conv_open *op;
	struct kvm *kvm;
	__u64 now;
	__u64 duration_ns;
	__u32 pid;
	__u32 flushes;
	__u32 valid;		/* CONV_F_*: what this mode observes */
	__s32 ret;
	__u64 noop;		/* 0 or 1, as the kernel passes a bool */
	__u64 flushed;
};

/*
 * The slot of VMM process @pid, into @slot: its conv_slots entry, else a
 * free slot taken for it.  NULL when every slot is taken.
 */
static __always_inline struct conv_vmm *vmm_slot(__u32 pid, __u32 *slot)
{
	__u32 *idx = bpf_map_lookup_elem(&conv_slots, &pid);
	struct conv_vmm *v;
	int err;

	if (idx) {
		*slot = *idx;
		return bpf_map_lookup_elem(&stats, slot);
	}
	if (bpf_map_pop_elem(&free_slots, slot))
		return NULL;
	err = bpf_map_update_elem(&conv_slots, &pid, slot, BPF_NOEXIST);
	if (err) {
		bpf_map_push_elem(&free_slots, slot, 0);
		idx = err == -EEXIST /* another CPU won */ ?
		      bpf_map_lookup_elem(&conv_slots, &pid) : NULL;
		if (!idx)
			return NULL;
		*slot = *idx;
		return bpf_map_lookup_elem(&stats, slot);
	}
	v = bpf_map_lookup_elem(&stats, slot);
	if (v)
		v->pid = pid;	/* after the index: userspace frees unindexed slots */
	return v;
}

/*
 * This thread's VMM slot: the one @op cached while its generation holds
 * (an inlined array lookup), else vmm_slot(), cached.  NULL, counted as
 * what it loses, when every slot is taken.
 */
static __always_inline struct conv_vmm *thread_vmm(struct conv_open *op,
						   __u32 pid, bool accounted)
{
	struct conv_vmm *v = bpf_map_lookup_elem(&stats, &op->slot);
	__u32 slot;

	/* A slot's generation is never 0, a new thread's cache is. */
	if (v && v->gen == op->gen)
		return v;
	v = vmm_slot(pid, &slot);
	if (!v) {
		if (accounted)
			count_lost(TDX_LOST_STATS_FULL);
		if (mapgpa_latency)
			count_lost(TDX_LOST_MAPGPA_FULL);
		return NULL;
	}
	op->slot = slot;
	op->gen = v->gen;
	return v;
}

/* @c into its direction's row of @v, named by its first conversion. */
static __always_inline void account(const struct conv_done *c,
				    struct conv_vmm *v)
{
	const struct conv_open *op = c->op;
	struct conv_stats *s = &v->dir[op->dir & 1];
	/* A local: a CO-RE read must start from a kernel type, not from c. */
	struct kvm *kvm = c->kvm;
	int i;

	if (!s->count) {
		BPF_CORE_READ_STR_INTO(&s->stats_id, kvm, stats_id);
		KVMSCOPE_READ_VMM_COMM(&s->comm);
	}
	/* Adding zeroes costs less than testing for them. */
	__sync_fetch_and_add(&s->count, 1);
	__sync_fetch_and_add(&s->pages, op->pages);
	__sync_fetch_and_add(&s->noop, c->noop);
	if (c->ret)
		__sync_fetch_and_add(&s->errors, 1);
	for (i = 0; i < CONV_NR_LEVELS; i++)
		__sync_fetch_and_add(&s->zapped[i], op->zapped[i]);
	__sync_fetch_and_add(&s->flushes, c->flushes);
	__sync_fetch_and_add(&s->yields, op->yields);
	__sync_fetch_and_add(&s->dur_sum_ns, c->duration_ns);
	__sync_fetch_and_add(&s->dur_slots[hist_slot(c->duration_ns)], 1);
	/* hist_slot() bounded it: the check is the verifier's. */
	if (op->pages_slot < KS_HIST_SLOTS)
		__sync_fetch_and_add(&s->pages_slots[op->pages_slot], 1);
}

/* One ring buffer record for @c, with the names the aggregate leaves out. */
static __always_inline void stream_record(const struct conv_done *c, __u32 tid)
{
	const struct conv_open *op = c->op;
	struct kvm *kvm = c->kvm;	/* see account() */
	struct conv_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(TDX_LOST_RINGBUF);
		return;
	}
	e->ts_ns = c->now;
	e->duration_ns = c->duration_ns;
	e->gfn_start = op->gfn_start;
	e->gfn_end = op->gfn_end;
	e->attributes = op->attributes;
	e->pid = c->pid;
	e->tid = tid;
	__builtin_memcpy(e->zapped, op->zapped, sizeof(e->zapped));
	e->yields = op->yields;
	e->yield_flushes = op->yield_flushes;
	e->flushes = c->flushes;
	e->root_walks = op->root_walks;
	e->ret = c->ret;
	e->valid = c->valid;
	e->noop = c->noop;
	e->flushed = c->flushed;
	e->pad[0] = e->pad[1] = 0;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	__builtin_memset(e->stats_id, 0, sizeof(e->stats_id));
	BPF_CORE_READ_STR_INTO(&e->stats_id, kvm, stats_id);
	bpf_ringbuf_submit(e, 0);
}

/* Close the conversion open on this thread: aggregate and maybe stream it. */
static __always_inline int conv_end(struct kvm *kvm, __u32 valid, __u64 noop,
				    __u64 flushed, int ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct conv_done c = {
		.kvm = kvm, .pid = id >> 32, .valid = valid, .ret = ret,
		.noop = noop, .flushed = flushed,
	};
	struct conv_open *op = conv_thread(id);
	struct conv_vmm *v = NULL;
	bool wanted;

	if (!op || !op->live)
		return 0;	/* began before we attached, or filtered */
	op->live = false;
	if (!op->opened || (targ_vm[0] && !kvm_wanted(kvm)))
		return 0;

	c.op = op;
	c.now = bpf_ktime_get_ns();
	c.duration_ns = c.now - op->ts_ns;
	c.flushes = op->yield_flushes + flushed;
	wanted = c.duration_ns >= min_ns;
	if (wanted || mapgpa_latency)
		v = thread_vmm(op, c.pid, wanted);
	/* Every conversion counts for MapGPA waits, as short as it was. */
	if (mapgpa_latency && v)
		__sync_fetch_and_add(&v->convs, 1);
	if (wanted) {
		if (v)
			account(&c, v);
		if (stream)
			stream_record(&c, tid);
	}
	return 0;
}

/*
 * The 6.17+ fallback: KVM took the request of the VM ioctl that
 * fb_ioctl_enter() saw begin on this thread; its range as KVM applies it.
 */
static __always_inline int conv_accept(__u64 start, __u64 end,
				       __u64 attributes)
{
	struct conv_open *op = conv_thread(bpf_get_current_pid_tgid());

	if (!op || !op->live)
		return 0;	/* not a VM's ioctl we saw begin, or filtered */
	op->ts_ns = bpf_ktime_get_ns();
	conv_open_range(op, start, end, attributes);
	op->opened = true;
	return 0;
}

SEC("tp_btf/kvm_vm_set_mem_attributes")
int BPF_PROG(conv_attrs_btf, gfn_t start, gfn_t end, unsigned long attr)
{
	return conv_begin(NULL, start, end, attr, true);
}

/* Also the fallback's on kernels with the event but not the series. */
SEC("raw_tp/kvm_vm_set_mem_attributes")
int BPF_PROG(conv_attrs_raw, gfn_t start, gfn_t end, unsigned long attr)
{
	if (open_at_event)
		return conv_accept(start, end, attr);
	return conv_begin(NULL, start, end, attr, true);
}

SEC("tp_btf/tdp_mmu_zap_leafs")
int BPF_PROG(conv_zap_leafs_btf, struct kvm *kvm, struct kvm_mmu_page *root,
	     gfn_t start, gfn_t end, __u32 zapped_4k, __u32 zapped_2m,
	     __u32 zapped_1g, __u32 yields, __u32 yield_flushes, bool flush)
{
	return conv_zap_leafs(zapped_4k, zapped_2m, zapped_1g, yields,
			      yield_flushes);
}

SEC("raw_tp/tdp_mmu_zap_leafs")
int BPF_PROG(conv_zap_leafs_raw, struct kvm *kvm, struct kvm_mmu_page *root,
	     gfn_t start, gfn_t end, __u32 zapped_4k, __u32 zapped_2m,
	     __u32 zapped_1g, __u32 yields, __u32 yield_flushes, bool flush)
{
	return conv_zap_leafs(zapped_4k, zapped_2m, zapped_1g, yields,
			      yield_flushes);
}

/*
 * noop and flushed are bools, which the kernel passes as 0 or 1: taken as
 * numbers, they are added without a test.
 */
SEC("tp_btf/kvm_vm_set_mem_attributes_done")
int BPF_PROG(conv_done_btf, struct kvm *kvm, gfn_t start, gfn_t end,
	     unsigned long attr, int ret, __u64 noop, __u64 flushed)
{
	return conv_end(kvm, CONV_F_SERIES_ALL, noop, flushed, ret);
}

SEC("raw_tp/kvm_vm_set_mem_attributes_done")
int BPF_PROG(conv_done_raw, struct kvm *kvm, gfn_t start, gfn_t end,
	     unsigned long attr, int ret, __u64 noop, __u64 flushed)
{
	return conv_end(kvm, CONV_F_SERIES_ALL, noop, flushed, ret);
}

/*
 * Fallbacks.  The command number alone says nothing: any process can issue
 * it on any file, with a range that dwarfs every VM's, and fill the maps
 * with conversions that never were.  Only an ioctl on a VM's file, which
 * takes /dev/kvm to make, is one: its entry finds the file and its VM, its
 * exit closes the conversion with the result.  What opens it depends on
 * the kernel:
 *  - 6.17 and later: upstream's kvm_vm_set_mem_attributes(start, end,
 *    attr) (conv_attrs_raw), which fires once KVM accepted the request,
 *    with the range in gfns as KVM will apply it.  Calls KVM rejects
 *    before (bad flags, alignment, no memory attributes on the VM) open
 *    nothing.
 *  - before: the ioctl's entry, with the range read from its user struct.
 */

struct kvm_memory_attributes {
	__u64 address;
	__u64 size;
	__u64 attributes;
	__u64 flags;
};

/* Layout of the syscalls:sys_{enter,exit}_ioctl tracepoint records (ABI). */
struct sys_enter_ioctl_ctx {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	__u64 fd;
	__u64 cmd;
	__u64 arg;
};

struct sys_exit_ioctl_ctx {
	__u64 common;
	__s32 syscall_nr;
	__u32 pad;
	__s64 ret;
};

#define ANON_INODE_FS_MAGIC	0x09041934

/*
 * The VM of this process's file @fd, NULL if @fd is no VM's.  KVM makes a
 * VM's file with anon_inode_getfile("kvm-vm", ...), its private_data the
 * struct kvm; nothing else names a file of the anonymous inode filesystem
 * so, and no other filesystem's file qualifies whatever its name.
 */
static __always_inline struct kvm *vm_of_fd(__u64 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file = NULL;
	static const char vm_name[] = "kvm-vm";
	char name[sizeof(vm_name)] = {};
	__u32 i;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	if (BPF_CORE_READ(file, f_inode, i_sb, s_magic) != ANON_INODE_FS_MAGIC)
		return NULL;
	bpf_probe_read_kernel_str(name, sizeof(name),
				  BPF_CORE_READ(file, f_path.dentry, d_name.name));
	for (i = 0; i < sizeof(name); i++)
		if (name[i] != vm_name[i])
			return NULL;
	return BPF_CORE_READ(file, private_data);
}

SEC("tracepoint/syscalls/sys_enter_ioctl")
int fb_ioctl_enter(struct sys_enter_ioctl_ctx *ctx)
{
	struct kvm_memory_attributes attrs;
	struct kvm *kvm;

	if ((__u32)ctx->cmd != CONV_KVM_SET_MEMORY_ATTRIBUTES)
		return 0;
	kvm = vm_of_fd(ctx->fd);
	if (!kvm)
		return 0;
	if (bpf_probe_read_user(&attrs, sizeof(attrs), (void *)ctx->arg))
		return 0;	/* the ioctl will fail with -EFAULT too */
	return conv_begin(kvm, attrs.address >> CONV_PAGE_SHIFT,
			  (attrs.address + attrs.size) >> CONV_PAGE_SHIFT,
			  attrs.attributes, !open_at_event);
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int fb_ioctl_exit(struct sys_exit_ioctl_ctx *ctx)
{
	struct conv_open *op = conv_thread(bpf_get_current_pid_tgid());

	if (!op || !op->live)
		return 0;
	return conv_end(op->kvm, CONV_F_FALLBACK_ALL, false, false,
			(int)ctx->ret);
}

#define SPTE_MMU_PRESENT	(1ULL << 11)	/* SPTE_MMU_PRESENT_MASK */
#define SPTE_PAGE_SIZE		(1ULL << 7)	/* PT_PAGE_SIZE_MASK */

/* A present leaf SPTE (4K, or a huge page at 2M/1G) became non-present. */
static __always_inline int fb_spte_changed(int level, __u64 old_spte,
					   __u64 new_spte)
{
	bool old_leaf = (old_spte & SPTE_MMU_PRESENT) &&
			(level == 1 || (old_spte & SPTE_PAGE_SIZE));

	if (old_leaf && !(new_spte & SPTE_MMU_PRESENT) && level >= 1 &&
	    level <= CONV_NR_LEVELS)
		conv_zap(level - 1, 1);
	return 0;
}

SEC("raw_tp/kvm_tdp_mmu_spte_changed")
int BPF_PROG(fb_spte_changed_raw, int as_id, gfn_t gfn, int level,
	     __u64 old_spte, __u64 new_spte)
{
	return fb_spte_changed(level, old_spte, new_spte);
}

/* MapGPA latency: KVM_HC_MAP_GPA_RANGE -> (VMM converts) -> next entry. */

/* Request @req, if any, is over: it no longer holds kvm_entry up. */
static __always_inline void forget_mapgpa_req(struct mapgpa_req *req)
{
	if (req && req->live) {
		req->live = false;
		__sync_fetch_and_add(&mapgpa_pending, -1);
	}
}

/*
 * The slot of @req's VMM, to count its conversions: the one @req cached
 * while its generation holds, else its VMM's now, cached (none until its
 * VMM's first conversion).  The thread's entry keeps it from request to
 * request: one hash lookup per event, the thread's own.
 */
static __always_inline struct conv_vmm *mapgpa_req_vmm(struct mapgpa_req *req,
						       __u32 pid)
{
	struct conv_vmm *v = bpf_map_lookup_elem(&stats, &req->conv_slot);
	__u32 *slot;

	if (v && v->gen == req->conv_gen)
		return v;
	slot = bpf_map_lookup_elem(&conv_slots, &pid);
	if (!slot)
		return NULL;
	req->conv_slot = *slot;
	v = bpf_map_lookup_elem(&stats, &req->conv_slot);
	if (v)
		req->conv_gen = v->gen;
	return v;
}

/* Everything but the owner and cached slot, which outlive the request. */
static __always_inline void mapgpa_req_set(struct mapgpa_req *req, __u64 ts,
					   __u64 pages, __u64 attributes,
					   __u64 convs_before, __u8 kind,
					   bool from_chunks)
{
	__u32 conv_slot = req->conv_slot, conv_gen = req->conv_gen;
	__u32 row_slot = req->row_slot;
	__u32 tid = req->tid;

	*req = (struct mapgpa_req){
		.tid = tid,
		.ts_ns = ts,
		.pages = pages,
		.attributes = attributes,
		.convs_before = convs_before,
		.conv_slot = conv_slot,
		.conv_gen = conv_gen,
		.row_slot = row_slot,
		.kind = kind,
		.from_chunks = from_chunks,
		.live = true,
	};
}

/* A request on this vCPU thread, ended by what @kind says. */
static __always_inline int mapgpa_open(__u8 kind, __u64 pages, __u64 attributes,
				       bool from_chunks)
{
	__u64 id = bpf_get_current_pid_tgid(), ts;
	__u32 tid = (__u32)id, pid = id >> 32, idx = tid & thread_mask;
	struct mapgpa_req *req, new;
	struct conv_vmm *v;

	if (targ_pid && pid != targ_pid)
		return 0;
	ts = bpf_ktime_get_ns();
	/* The thread's entry is written in place: no copy through the stack. */
	req = bpf_map_lookup_elem(&mapgpa_threads, &idx);
	if (!req || (req->tid != tid &&
		     (req->tid || __sync_val_compare_and_swap(&req->tid, 0, tid))))
		req = bpf_map_lookup_elem(&mapgpa_reqs, &tid);
	if (req) {
		/* A repeat on the same thread replaces the request: count it once. */
		if (!req->live)
			__sync_fetch_and_add(&mapgpa_pending, 1);
		v = mapgpa_req_vmm(req, pid);
		mapgpa_req_set(req, ts, pages, attributes, v ? v->convs : 0,
			       kind, from_chunks);
		return 0;
	}
	new.conv_slot = new.conv_gen = new.row_slot = 0;
	new.tid = tid;
	v = mapgpa_req_vmm(&new, pid);
	mapgpa_req_set(&new, ts, pages, attributes, v ? v->convs : 0, kind,
		       from_chunks);
	if (bpf_map_update_elem(&mapgpa_reqs, &tid, &new, BPF_NOEXIST))
		count_lost(TDX_LOST_MAPGPA_FULL);
	else
		__sync_fetch_and_add(&mapgpa_pending, 1);
	return 0;
}

static __always_inline int mapgpa_hypercall(__u64 nr, __u64 pages,
					    __u64 attributes)
{
	if (nr != CONV_KVM_HC_MAP_GPA_RANGE)
		return 0;
	return mapgpa_open(MAPGPA_HYPERCALL, pages, attributes, false);
}

static __always_inline int mapgpa_userspace_exit(void)
{
	struct mapgpa_req *req;

	if (!mapgpa_pending)
		return 0;
	req = mapgpa_thread(bpf_get_current_pid_tgid());
	if (req && req->live)
		req->exited = 1;
	return 0;
}

/*
 * Take one of the rows process @pid may create; false (counted) when it
 * holds its share already.
 */
static __always_inline bool mapgpa_row_take(__u32 pid)
{
	static const __u32 one = 1;
	__u32 *n = bpf_map_lookup_elem(&mapgpa_vmm_rows, &pid);
	int err;

	if (!n) {
		err = bpf_map_update_elem(&mapgpa_vmm_rows, &pid, &one,
					  BPF_NOEXIST);
		if (!err)
			return true;
		n = err == -EEXIST ? bpf_map_lookup_elem(&mapgpa_vmm_rows, &pid)
				   : NULL;	/* another CPU made it, or full */
		if (!n) {
			count_lost(TDX_LOST_MAPGPA_FULL);
			return false;
		}
	}
	/*
	 * Checked, then added: CPUs racing past the check can take a few
	 * more (without -mcpu=v3 no atomic returns the old value).
	 */
	if (*n >= MAPGPA_VMM_MAX_ROWS) {
		count_lost(TDX_LOST_MAPGPA_VMM_CAP);
		return false;
	}
	__sync_fetch_and_add(n, 1);
	return true;
}

/* A row taken with mapgpa_row_take() that was not created after all. */
static __always_inline void mapgpa_row_untake(__u32 pid)
{
	__u32 *n = bpf_map_lookup_elem(&mapgpa_vmm_rows, &pid);

	if (n)
		__sync_fetch_and_add(n, -1);
}

/*
 * The row of @key, a vCPU of this thread's VMM process, into @slot: its
 * index entry's, else a free slot taken and named for it.  NULL, counted,
 * when the rows or the process's share of them are all taken.
 */
static __always_inline struct mapgpa_row *mapgpa_row_slot(struct kvm_vcpu *vcpu,
							  struct mapgpa_key *key,
							  __u32 *slot)
{
	__u32 *idx = bpf_map_lookup_elem(&mapgpa, key);
	struct mapgpa_row *row;
	int err;

	if (idx) {
		*slot = *idx;
		return bpf_map_lookup_elem(&mapgpa_rows, slot);
	}
	if (!mapgpa_row_take(key->pid))
		return NULL;
	if (bpf_map_pop_elem(&mapgpa_free, slot)) {
		mapgpa_row_untake(key->pid);
		count_lost(TDX_LOST_MAPGPA_FULL);
		return NULL;
	}
	err = bpf_map_update_elem(&mapgpa, key, slot, BPF_NOEXIST);
	if (err) {
		bpf_map_push_elem(&mapgpa_free, slot, 0);
		mapgpa_row_untake(key->pid);
		if (err != -EEXIST) {
			count_lost(TDX_LOST_MAPGPA_FULL);
			return NULL;
		}
		idx = bpf_map_lookup_elem(&mapgpa, key);	/* another CPU won */
		if (!idx)
			return NULL;
		*slot = *idx;
		return bpf_map_lookup_elem(&mapgpa_rows, slot);
	}
	row = bpf_map_lookup_elem(&mapgpa_rows, slot);
	if (!row)
		return NULL;
	/* On the vCPU thread of the request: its VMM's. */
	KVMSCOPE_READ_VMM_COMM(&row->s.comm);
	if (vcpu)
		BPF_CORE_READ_STR_INTO(&row->s.stats_id, vcpu, kvm, stats_id);
	row->key.vcpu_id = key->vcpu_id;
	row->key.pid = key->pid;	/* last: userspace skips unnamed rows */
	return row;
}

/*
 * End this thread's request @req: account it to its vCPU's row and forget
 * it.  @retry, @error: how a TDX/SNP request ended for the guest.  @btf:
 * @vcpu is a tp_btf program's typed pointer (KVMSCOPE_READ()).
 */
static __always_inline void mapgpa_close(struct kvm_vcpu *vcpu,
					 struct mapgpa_req *req, __u64 now,
					 __u32 pid, bool retry, bool error,
					 bool btf)
{
	struct mapgpa_key key = { .pid = pid };
	struct mapgpa_row *row;
	struct mapgpa_stats *s = NULL;
	__u64 lat = now - req->ts_ns;
	__u32 slot;

	if (vcpu)
		key.vcpu_id = KVMSCOPE_READ(btf, vcpu, vcpu_id);

	/*
	 * The cached slot while it names this (pid, vCPU): freed, it names
	 * nobody; taken again, whoever took it; the thread may run another
	 * vCPU.  Only one slot is named so, but between userspace deleting
	 * its index entry and zeroing it.
	 */
	row = bpf_map_lookup_elem(&mapgpa_rows, &req->row_slot);
	if (!row || row->key.pid != key.pid ||
	    row->key.vcpu_id != key.vcpu_id) {
		row = mapgpa_row_slot(vcpu, &key, &slot);
		if (row)
			req->row_slot = slot;
	}
	if (row)
		s = &row->s;
	if (s) {
		struct conv_vmm *v = mapgpa_req_vmm(req, pid);

		/* Adding zeroes costs less than testing for them. */
		__sync_fetch_and_add(&s->count, 1);
		__sync_fetch_and_add(&s->pages, req->pages);
		__sync_fetch_and_add(&s->to_private,
				     (req->attributes / CONV_MAP_GPA_ENCRYPTED) & 1);
		__sync_fetch_and_add(&s->userspace_exits, req->exited);
		if (v && v->convs > req->convs_before)
			__sync_fetch_and_add(&s->conversions,
					     v->convs - req->convs_before);
		__sync_fetch_and_add(&s->chunks, req->chunks);
		__sync_fetch_and_add(&s->userspace_ns, req->userspace_ns);
		if (retry)
			__sync_fetch_and_add(&s->retries, 1);
		if (error)
			__sync_fetch_and_add(&s->errors, 1);
		__sync_fetch_and_add(&s->lat_sum_ns, lat);
		__sync_fetch_and_add(&s->lat_slots[hist_slot(lat)], 1);
	}
	forget_mapgpa_req(req);
}

/* Every VM entry of every VM: nothing before the pending check. */
static __always_inline int mapgpa_entry(struct kvm_vcpu *vcpu)
{
	struct mapgpa_req *req;
	__u64 id;

	if (!mapgpa_pending)
		return 0;
	id = bpf_get_current_pid_tgid();
	req = mapgpa_thread(id);
	/* TDX/SNP requests end with their own event, before the entry. */
	if (!req || !req->live || req->kind != MAPGPA_HYPERCALL)
		return 0;
	mapgpa_close(vcpu, req, bpf_ktime_get_ns(), id >> 32, false, false,
		     false);
	return 0;
}

/*
 * A chunk of this thread's request forwarded to the VMM
 * (kvm_map_gpa_range_exit): one of a TDX/SNP request's, or with the series
 * the guest's own KVM_HC_MAP_GPA_RANGE exit.  The time since the previous
 * chunk's exit is that chunk's in the VMM: KVM forwards the next one as
 * soon as the VMM completes the last.
 */
static __always_inline int mapgpa_chunk(__u64 npages, __u64 attributes)
{
	struct mapgpa_req *req;
	__u64 now;

	if (!mapgpa_pending)
		return 0;
	req = mapgpa_thread(bpf_get_current_pid_tgid());
	if (!req || !req->live)
		return 0;
	now = bpf_ktime_get_ns();
	if (req->exit_ns)
		req->userspace_ns += now - req->exit_ns;
	req->exit_ns = now;
	req->exited = 1;
	req->chunks++;
	if (req->from_chunks) {
		/* The direction of the buffer's first forwarded run. */
		if (req->chunks == 1)
			req->attributes = attributes;
		req->pages += npages;
	}
	return 0;
}

/*
 * This thread's request of @kind returns to the guest: a TDX/SNP request
 * at its _done event, a KVM_HC_MAP_GPA_RANGE at the series'
 * kvm_hypercall_done (where every other hypercall returns too: only a
 * pending request of the kind counts).
 */
static __always_inline int mapgpa_done(struct kvm_vcpu *vcpu, __u8 kind,
				       bool retry, bool error, bool btf)
{
	struct mapgpa_req *req;
	__u64 id, now;

	if (!mapgpa_pending)
		return 0;
	id = bpf_get_current_pid_tgid();
	req = mapgpa_thread(id);
	if (!req || !req->live || req->kind != kind)
		return 0;
	now = bpf_ktime_get_ns();
	if (req->exit_ns)
		req->userspace_ns += now - req->exit_ns;
	mapgpa_close(vcpu, req, now, id >> 32, retry, error, btf);
	return 0;
}

SEC("raw_tp/kvm_hypercall")
int BPF_PROG(mapgpa_hcall_raw, unsigned long nr, unsigned long a0,
	     unsigned long a1, unsigned long a2, unsigned long a3)
{
	return mapgpa_hypercall(nr, a1, a2);
}

/*
 * KVM_HC_MAP_GPA_RANGE serviced in KVM returns -KVM_EAGAIN (the kernel's
 * -EAGAIN) when it stopped for a signal or a pending event, with the rest
 * of the range for the guest to ask again: TDX's RETRY.  The result is
 * what the guest reads, EAX for a 32-bit caller.
 */
#define KVM_EAGAIN	11

static __always_inline int mapgpa_hcall_done(struct kvm_vcpu *vcpu, __u64 ret,
					     bool btf)
{
	bool again = ret == (__u64)-KVM_EAGAIN || ret == (__u32)-KVM_EAGAIN;

	return mapgpa_done(vcpu, MAPGPA_HYPERCALL, again, ret && !again, btf);
}

/* The vCPU id a plain load: a raw_tp twin needs a probe read for it. */
SEC("tp_btf/kvm_hypercall_done")
int BPF_PROG(mapgpa_hcall_done_btf, struct kvm_vcpu *vcpu, __u64 ret)
{
	return mapgpa_hcall_done(vcpu, ret, true);
}

SEC("raw_tp/kvm_hypercall_done")
int BPF_PROG(mapgpa_hcall_done_raw, struct kvm_vcpu *vcpu, __u64 ret)
{
	return mapgpa_hcall_done(vcpu, ret, false);
}

SEC("raw_tp/kvm_userspace_exit")
int BPF_PROG(mapgpa_uexit_raw, __u32 reason, int errno)
{
	return mapgpa_userspace_exit();
}

SEC("raw_tp/kvm_entry")
int BPF_PROG(mapgpa_entry_raw, struct kvm_vcpu *vcpu)
{
	return mapgpa_entry(vcpu);
}

/* TDX and SNP (the series' events), with --mapgpa where the kernel has them. */
#define TDVMCALL_STATUS_RETRY	1ULL
#define TDVMCALL_STATUS_ERROR	(1ULL << 63)	/* INVALID_OPERAND, ALIGN_ERROR, ... */
#define SNP_PAGE_STATE_PRIVATE	1

SEC("raw_tp/kvm_tdx_map_gpa")
int BPF_PROG(mapgpa_tdx_raw, struct kvm_vcpu *vcpu, __u64 gpa, __u64 size,
	     bool private)
{
	return mapgpa_open(MAPGPA_VENDOR, size >> CONV_PAGE_SHIFT,
			   private ? CONV_MAP_GPA_ENCRYPTED : 0, false);
}

SEC("raw_tp/kvm_tdx_map_gpa_done")
int BPF_PROG(mapgpa_tdx_done_raw, struct kvm_vcpu *vcpu, __u64 status,
	     __u64 next_gpa, int end)
{
	return mapgpa_done(vcpu, MAPGPA_VENDOR, status == TDVMCALL_STATUS_RETRY,
			   status & TDVMCALL_STATUS_ERROR, false);
}

SEC("raw_tp/kvm_map_gpa_range_exit")
int BPF_PROG(mapgpa_chunk_raw, struct kvm_vcpu *vcpu, __u64 gpa, __u64 npages,
	     __u64 attrs)
{
	return mapgpa_chunk(npages, attrs);
}

SEC("raw_tp/kvm_snp_psc")
int BPF_PROG(mapgpa_snp_raw, struct kvm_vcpu *vcpu, __u16 cur_entry,
	     __u16 end_entry)
{
	return mapgpa_open(MAPGPA_VENDOR, 0, 0, true);
}

SEC("raw_tp/kvm_snp_psc_done")
int BPF_PROG(mapgpa_snp_done_raw, struct kvm_vcpu *vcpu, __u64 psc_ret)
{
	return mapgpa_done(vcpu, MAPGPA_VENDOR, false, psc_ret != 0, false);
}

SEC("raw_tp/kvm_snp_psc_msr")
int BPF_PROG(mapgpa_snp_msr_raw, struct kvm_vcpu *vcpu, __u64 gpa, __u8 op)
{
	return mapgpa_open(MAPGPA_VENDOR, 1,
			   op == SNP_PAGE_STATE_PRIVATE ? CONV_MAP_GPA_ENCRYPTED : 0,
			   false);
}

SEC("raw_tp/kvm_snp_psc_msr_done")
int BPF_PROG(mapgpa_snp_msr_done_raw, struct kvm_vcpu *vcpu, bool error)
{
	return mapgpa_done(vcpu, MAPGPA_VENDOR, false, error, false);
}

/*
 * A thread exits (do_exit, in the thread): its entries go with it.  A
 * request left outstanding would keep every VM entry looking it up, and
 * a later thread with the same id would find them.
 * Its process's last thread gone (signal->live dropped to 0 before this
 * event), so are its slot's index entry and MapGPA row count, keyed by a
 * pid that will be reused.
 * The rows (its slot in stats, mapgpa) stay: userspace reports them, then
 * frees them (conv_probe_drain(), conv_probe_delete_pid()).
 */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(conv_task_exit, struct task_struct *task)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, pid = id >> 32;
	struct conv_open *op = conv_thread(id);

	/* The entry in threads goes free; one in inflight goes. */
	if (op && tid) {
		op->live = false;
		op->slot = op->gen = 0;
		op->tid = 0;
	}
	bpf_map_delete_elem(&inflight, &tid);
	if (mapgpa_latency) {
		struct mapgpa_req *req = mapgpa_thread(id);

		forget_mapgpa_req(req);
		if (req && tid) {	/* mapgpa_threads' goes free */
			req->conv_slot = req->conv_gen = 0;
			req->row_slot = 0;
			req->tid = 0;
		}
		bpf_map_delete_elem(&mapgpa_reqs, &tid);
	}
	if (!BPF_CORE_READ(task, signal, live.counter)) {
		bpf_map_delete_elem(&conv_slots, &pid);
		if (mapgpa_latency)
			bpf_map_delete_elem(&mapgpa_vmm_rows, &pid);
	}
	return 0;
}
