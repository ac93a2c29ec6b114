// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tdx-trace BPF programs driven with BPF_PROG_TEST_RUN on the host kernel
 * (built and run by tests/bpf/20-tdx-trace.sh; needs root).
 *
 * The host has no kvmscope series, so its tracepoints never fire; but
 * raw_tp programs load without their tracepoint and test-run executes them
 * in this process with the u64 arguments we craft.  That runs the very
 * handler bodies the tp_btf programs share, and the maps are asserted.
 * struct kvm and kvm_vcpu arguments are NULL or fake objects in kernel
 * memory (tests/bpf/fake_kmem.bpf.c) laid out from the kernel's BTF, so
 * the CO-RE reads of stats_id and vcpu_id are exercised too.
 */
#define _GNU_SOURCE	/* gettid() */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "fake_kmem.skel.h"
#include "conversions.skel.h"
#include "mmu_roles.skel.h"

#include "hist.h"
#include "probe_conv.h"
#include "probe_roles.h"
#include "tdx-trace/runtime.h"
#include "conversions.h"
#include "mmu_roles.h"
#include "vmname.h"

#define NR_ARGS(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE_4K_LEVEL 0

/* Run a raw_tp program once with @args as its tracepoint arguments. */
static void run_raw(struct bpf_program *prog, const __u64 *args, size_t n)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args,
		    .ctx_size_in = n * sizeof(__u64));

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), 0);
	assert_int_equal(opts.retval, 0);
}

/* Fake VM: struct kvm with stats_id "kvm-4242", one vCPU with id 3. */
#define FAKE_STATS_ID	"kvm-4242"
#define FAKE_VCPU_ID	3

static struct {
	struct fake_kmem_bpf *skel;
	__u64 kvm, vcpu;		/* kernel addresses */
	char vcpu_obj[8192];		/* the vCPU as written ... */
	long id_off;			/* ... and where its vcpu_id is */
} fake;

/* Give the fake vCPU another vcpu_id (FAKE_VCPU_ID is the default). */
static void fake_vcpu_id(int id)
{
	__u32 key = 1;

	*(int *)(fake.vcpu_obj + fake.id_off) = id;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(fake.skel->maps.objs),
					     &key, fake.vcpu_obj, 0), 0);
}

/* Offset of @member in struct @type in @btf, or -1. */
static long member_offset(const struct btf *btf, const char *type,
			  const char *member)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	const struct btf_member *m;
	const struct btf_type *t;
	int i;

	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return btf_member_bit_offset(t, i) / 8;
	return -1;
}

/* Lay out and publish the fake objects (KVM=y: vmlinux; KVM=m: kvm's BTF). */
static int fake_setup(void **state)
{
	struct btf *vmlinux = btf__load_vmlinux_btf(), *btf = vmlinux, *mod = NULL;
	long stats_off, kvm_off, id_off;
	char obj[8192] = {};
	__u32 key, size;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	(void)state;
	if (!vmlinux)
		return -1;
	if (member_offset(btf, "kvm", "stats_id") < 0) {
		mod = btf__parse_split("/sys/kernel/btf/kvm", vmlinux);
		btf = mod;
	}
	stats_off = btf ? member_offset(btf, "kvm", "stats_id") : -1;
	kvm_off = btf ? member_offset(btf, "kvm_vcpu", "kvm") : -1;
	id_off = btf ? member_offset(btf, "kvm_vcpu", "vcpu_id") : -1;
	btf__free(mod);
	btf__free(vmlinux);
	if (stats_off < 0 || kvm_off < 0 || id_off < 0) {
		fprintf(stderr, "no struct kvm / kvm_vcpu in the kernel's BTF\n");
		return -1;
	}
	size = (stats_off + KS_STATS_ID_LEN + 7) & ~7UL;
	if (size < kvm_off + 8)
		size = kvm_off + 8;
	if (size < id_off + 4)
		size = (id_off + 4 + 7) & ~7UL;
	if (size > sizeof(obj))
		return -1;

	fake.skel = fake_kmem_bpf__open();
	if (!fake.skel ||
	    bpf_map__set_value_size(fake.skel->maps.objs, size) ||
	    fake_kmem_bpf__load(fake.skel) ||
	    bpf_prog_test_run_opts(bpf_program__fd(fake.skel->progs.publish_addrs),
				   &opts))
		return -1;
	fake.kvm = fake.skel->bss->addrs[0];
	fake.vcpu = fake.skel->bss->addrs[1];

	strcpy(obj + stats_off, FAKE_STATS_ID);
	key = 0;
	if (bpf_map_update_elem(bpf_map__fd(fake.skel->maps.objs), &key, obj, 0))
		return -1;
	memset(obj, 0, size);
	memcpy(obj + kvm_off, &fake.kvm, sizeof(fake.kvm));
	*(int *)(obj + id_off) = FAKE_VCPU_ID;
	key = 1;
	if (bpf_map_update_elem(bpf_map__fd(fake.skel->maps.objs), &key, obj, 0))
		return -1;
	memcpy(fake.vcpu_obj, obj, size);
	fake.id_off = id_off;
	return fake.kvm && fake.vcpu ? 0 : -1;
}

static int fake_teardown(void **state)
{
	(void)state;
	fake_kmem_bpf__destroy(fake.skel);
	return 0;
}

/*
 * Tracepoint argument lists, in TP_PROTO order.  Upstream's
 * kvm_vm_set_mem_attributes opens a conversion, the series'
 * tdp_mmu_zap_leafs adds to it and kvm_vm_set_mem_attributes_done closes
 * it, naming the fake VM.
 */
static void conv_begin(struct conversions_bpf *s, __u64 start, __u64 end,
		       __u64 attrs)
{
	__u64 a[] = { start, end, attrs };

	run_raw(s->progs.conv_attrs_raw, a, NR_ARGS(a));
}

static void conv_zap(struct conversions_bpf *s, __u32 z4k, __u32 z2m, __u32 z1g,
		     __u32 yields, __u32 yield_flushes)
{
	__u64 a[] = { fake.kvm, 0, 0, 0, z4k, z2m, z1g, yields, yield_flushes, 0 };

	run_raw(s->progs.conv_zap_leafs_raw, a, NR_ARGS(a));
}

static void conv_done(struct conversions_bpf *s, __u64 start, __u64 end,
		      __u64 attrs, int ret, bool noop, bool flushed)
{
	__u64 a[] = { fake.kvm, start, end, attrs, (__u64)(__s64)ret, noop,
		      flushed };

	run_raw(s->progs.conv_done_raw, a, NR_ARGS(a));
}

struct conv_opts {
	__u32 pid;
	__u64 min_ns;
	enum conv_dir_filter dir;
	const char *vm;
	__u32 ringbuf_size, stats_size, inflight_size, threads_size;
};

static struct conversions_bpf *load_conv(const struct conv_opts *o)
{
	struct conversions_bpf *s = conversions_bpf__open();

	assert_non_null(s);
	s->rodata->targ_pid = o->pid;
	s->rodata->min_ns = o->min_ns;
	s->rodata->dir_filter = o->dir;
	s->rodata->stream = true;
	if (o->vm)
		strncpy((char *)s->rodata->targ_vm, o->vm, KS_STATS_ID_LEN - 1);
	if (o->ringbuf_size)
		bpf_map__set_max_entries(s->maps.events, o->ringbuf_size);
	if (o->stats_size)
		bpf_map__set_max_entries(s->maps.stats, o->stats_size);	/* slots */
	if (o->inflight_size)
		bpf_map__set_max_entries(s->maps.inflight, o->inflight_size);
	if (o->threads_size)
		bpf_map__set_max_entries(s->maps.threads, o->threads_size);
	conv_select_progs(s, CONV_PROGS_SERIES_RAW, true);
	assert_int_equal(conversions_bpf__load(s), 0);
	assert_int_equal(conv_probe_init_slots(s), 0);
	return s;
}

struct events {
	struct conv_event ev[256];
	int n;
};

static int collect(void *ctx, void *data, size_t size)
{
	struct events *evs = ctx;

	assert_int_equal(size, sizeof(struct conv_event));
	if (evs->n < (int)NR_ARGS(evs->ev))
		memcpy(&evs->ev[evs->n++], data, sizeof(evs->ev[0]));
	return 0;
}

static void read_events(struct conversions_bpf *s, struct events *evs)
{
	struct ring_buffer *rb;

	memset(evs, 0, sizeof(*evs));
	rb = ring_buffer__new(bpf_map__fd(s->maps.events), collect, evs, NULL);
	assert_non_null(rb);
	assert_true(ring_buffer__consume(rb) >= 0);
	ring_buffer__free(rb);
}

/* The slot of VMM @pid, -1 if it has none. */
static int slot_of(struct conversions_bpf *s, __u32 pid)
{
	__u32 slot;

	if (bpf_map_lookup_elem(bpf_map__fd(s->maps.conv_slots), &pid, &slot))
		return -1;
	return slot;
}

static void get_slot(struct conversions_bpf *s, __u32 slot, struct conv_vmm *v)
{
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(s->maps.stats), &slot, v), 0);
}

/* The row of this process for @dir; false if it has not been used. */
static bool get_stats(struct conversions_bpf *s, enum conv_dir dir,
		      struct conv_stats *out)
{
	int slot = slot_of(s, getpid());
	struct conv_vmm v;

	if (slot < 0)
		return false;
	get_slot(s, slot, &v);
	assert_int_equal(v.pid, getpid());
	*out = v.dir[dir];
	return out->count != 0;
}

static __u64 lost(int map_fd, enum tdx_lost what)
{
	uint64_t v[TDX_NR_LOST];

	assert_int_equal(tdx_read_lost(map_fd, NULL, v), 0);
	return v[what];
}

static void test_fallback_loads(void **state)
{
	struct conversions_bpf *s = conversions_bpf__open();
	struct bpf_program *prog;
	int loaded = 0;

	(void)state;
	assert_non_null(s);
	conv_select_progs(s, CONV_PROGS_IOCTL, true);
	assert_int_equal(conversions_bpf__load(s), 0);
	assert_true(bpf_program__fd(s->progs.fb_ioctl_enter) >= 0);
	assert_true(bpf_program__fd(s->progs.fb_ioctl_exit) >= 0);
	assert_true(bpf_program__fd(s->progs.fb_spte_changed_raw) >= 0);
	assert_true(bpf_program__fd(s->progs.mapgpa_hcall_raw) >= 0);
	assert_true(bpf_program__fd(s->progs.mapgpa_uexit_raw) >= 0);
	assert_true(bpf_program__fd(s->progs.mapgpa_entry_raw) >= 0);
	assert_true(bpf_program__fd(s->progs.conv_task_exit) >= 0);
	/* ... and none of the series programs. */
	assert_true(bpf_program__fd(s->progs.conv_attrs_btf) < 0);
	assert_true(bpf_program__fd(s->progs.conv_attrs_raw) < 0);
	assert_true(bpf_program__fd(s->progs.conv_done_raw) < 0);
	bpf_object__for_each_program(prog, s->obj)
		loaded += bpf_program__fd(prog) >= 0;
	assert_int_equal(loaded, 7);
	conversions_bpf__destroy(s);
}

/* ks_probe_attach(): the host has the fallback's and MapGPA's events. */
static void test_attach(void **state)
{
	struct ks_probe_links links = {};
	struct conversions_bpf *s;
	char err[256];

	(void)state;
	s = conversions_bpf__open();
	assert_non_null(s);
	conv_select_progs(s, CONV_PROGS_IOCTL, true);
	assert_true(s->rodata->mapgpa_latency);
	assert_int_equal(conversions_bpf__load(s), 0);
	assert_int_equal(ks_probe_attach(s->obj, &links, "conversions", err,
					 sizeof(err)), 0);
	assert_int_equal(links.nr, 7);
	ks_probe_detach(&links, 0);
	assert_int_equal(links.nr, 0);
	conversions_bpf__destroy(s);

	/* Without --mapgpa: nothing on kvm_entry, conversions not counted. */
	s = conversions_bpf__open();
	assert_non_null(s);
	conv_select_progs(s, CONV_PROGS_IOCTL, false);
	assert_false(s->rodata->mapgpa_latency);
	assert_int_equal(conversions_bpf__load(s), 0);
	assert_int_equal(ks_probe_attach(s->obj, &links, "conversions", err,
					 sizeof(err)), 0);
	assert_int_equal(links.nr, 4);
	ks_probe_detach(&links, 0);
	conversions_bpf__destroy(s);

	/*
	 * No series here: its first program that cannot attach fails it, and
	 * is named (upstream's event, which 6.17 and later may have, first).
	 */
	s = conversions_bpf__open();
	assert_non_null(s);
	conv_select_progs(s, CONV_PROGS_SERIES_RAW, true);
	assert_int_equal(conversions_bpf__load(s), 0);
	assert_true(ks_probe_attach(s->obj, &links, "conversions", err,
				    sizeof(err)) < 0);
	assert_non_null(strstr(err, ks_tracefs_has_event("kvm:kvm_vm_set_mem_attributes") ?
				    "conversions: attaching conv_zap_leafs_raw: " :
				    "conversions: attaching conv_attrs_raw: "));
	assert_int_equal(links.nr, 0);
	conversions_bpf__destroy(s);
}

#define KVM_CREATE_VM	0xae01	/* _IO(KVMIO, 0x01) */

/*
 * A VM of the host's /dev/kvm (a default one: KVM_SET_MEMORY_ATTRIBUTES on
 * it fails with ENOTTY, after its entry went through kvm_vm_ioctl's file).
 */
static int create_vm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	assert_true(kvm >= 0);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	assert_true(vm >= 0);
	return vm;
}

static int set_attrs(int fd, __u64 gpa, __u64 size, __u64 attrs)
{
	__u64 a[4] = { gpa, size, attrs, 0 };

	return ioctl(fd, CONV_KVM_SET_MEMORY_ATTRIBUTES, a) ? -errno : 0;
}

/*
 * The fallback's programs @which, with the ioctl's entry and exit
 * attached (the host has no kvm_vm_set_mem_attributes: it is test-run).
 */
static struct conversions_bpf *load_fallback(enum conv_progs which,
					     struct ks_probe_links *links)
{
	struct conversions_bpf *s = conversions_bpf__open();

	assert_non_null(s);
	s->rodata->stream = true;
	conv_select_progs(s, which, false);
	assert_int_equal(conversions_bpf__load(s), 0);
	assert_int_equal(conv_probe_init_slots(s), 0);
	links->link[links->nr] = bpf_program__attach(s->progs.fb_ioctl_enter);
	assert_non_null(links->link[links->nr++]);
	links->link[links->nr] = bpf_program__attach(s->progs.fb_ioctl_exit);
	assert_non_null(links->link[links->nr++]);
	return s;
}

/*
 * Thread @tid's entry, into @v, in the direct-mapped array @map of struct
 * @type (threads: conv_open, mapgpa_threads: mapgpa_req), if it owns it.
 */
static bool owned_in(struct conversions_bpf *s, struct bpf_map *map,
		     const char *type, __u32 tid, char *v)
{
	long tid_off = member_offset(bpf_object__btf(s->obj), type, "tid");
	__u32 idx = tid & s->rodata->thread_mask, owner;

	assert_true(tid_off >= 0);
	assert_true(bpf_map__value_size(map) <= 256);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(map), &idx, v), 0);
	memcpy(&owner, v + tid_off, sizeof(owner));
	return owner == tid;
}

static bool owned_entry(struct conversions_bpf *s, __u32 tid, char *v)
{
	return owned_in(s, s->maps.threads, "conv_open", tid, v);
}

/*
 * This thread's open conversion; false if there is none.  Its entry stays
 * after the conversion, not live, for the next one.
 */
static bool inflight(struct conversions_bpf *s)
{
	long live_off = member_offset(bpf_object__btf(s->obj), "conv_open",
				      "live");
	char v[256];

	assert_true(live_off >= 0);
	return owned_entry(s, gettid(), v) && v[live_off];
}

/*
 * What fb_ioctl_enter leaves for the 6.17+ fallback when this thread's
 * KVM_SET_MEMORY_ATTRIBUTES on the VM @kvm begins: the VM, no conversion
 * yet.  Laid out from the object's BTF (struct conv_open is the BPF
 * side's own).  The host has no kvm_vm_set_mem_attributes to fire inside
 * a real ioctl.
 */
static void vm_ioctl_began(struct conversions_bpf *s, __u64 kvm)
{
	const struct btf *btf = bpf_object__btf(s->obj);
	long kvm_off = member_offset(btf, "conv_open", "kvm");
	long live_off = member_offset(btf, "conv_open", "live");
	long opened_off = member_offset(btf, "conv_open", "opened");
	long tid_off = member_offset(btf, "conv_open", "tid");
	char v[256] = {};
	__u32 tid = gettid(), idx = tid & s->rodata->thread_mask;

	assert_true(kvm_off >= 0 && live_off >= 0 && opened_off >= 0 &&
		    tid_off >= 0);
	assert_true(bpf_map__value_size(s->maps.threads) <= sizeof(v));
	memcpy(v + kvm_off, &kvm, sizeof(kvm));
	memcpy(v + tid_off, &tid, sizeof(tid));
	v[live_off] = 1;
	v[opened_off] = 0;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(s->maps.threads),
					     &idx, v, BPF_ANY), 0);
}

/*
 * The fallback on kernels with upstream's kvm_vm_set_mem_attributes
 * (6.17+): in a VM's ioctl (crafted: the fake VM), that event opens the
 * conversion (test-run), kvm_tdp_mmu_spte_changed counts a zap, and the
 * ioctl's exit (a real one) closes it with its result and the VM's stats
 * id.  The event outside a VM's ioctl, and a VM's ioctl KVM rejected
 * before the event, are no conversion.
 */
static void test_attr_event_fallback(void **state)
{
	struct ks_probe_links links = {};
	struct conversions_bpf *s = load_fallback(CONV_PROGS_ATTR_EVENT, &links);
	__u64 begin[] = { 0x100, 0x300, CONV_ATTR_PRIVATE };
	/* as_id, gfn, level 1: a present 4K leaf becomes non-present. */
	__u64 zap[] = { 0, 0x100, 1, 1ULL << 11, 0 };
	const struct conv_event *e;
	struct conv_stats st;
	struct events evs;

	(void)state;
	assert_true(s->rodata->open_at_event);
	run_raw(s->progs.conv_attrs_raw, begin, NR_ARGS(begin));
	assert_false(inflight(s));

	vm_ioctl_began(s, fake.kvm);
	assert_int_equal(ioctl(-1, 0), -1);	/* its exit, nothing accepted */
	assert_false(inflight(s));

	vm_ioctl_began(s, fake.kvm);
	run_raw(s->progs.conv_attrs_raw, begin, NR_ARGS(begin));
	run_raw(s->progs.fb_spte_changed_raw, zap, NR_ARGS(zap));
	assert_int_equal(ioctl(-1, 0), -1);	/* EBADF, and ends it */
	ks_probe_detach(&links, 0);
	assert_false(inflight(s));

	read_events(s, &evs);
	assert_int_equal(evs.n, 1);
	e = &evs.ev[0];
	assert_int_equal(e->pid, getpid());
	assert_int_equal(e->gfn_start, 0x100);
	assert_int_equal(e->gfn_end, 0x300);
	assert_int_equal(e->attributes, CONV_ATTR_PRIVATE);
	assert_int_equal(e->zapped[0], 1);
	assert_int_equal(e->ret, -EBADF);
	assert_int_equal(e->valid, CONV_F_FALLBACK_ALL);
	assert_string_equal(e->stats_id, FAKE_STATS_ID);
	assert_true(get_stats(s, CONV_DIR_PRIVATE, &st));
	assert_int_equal(st.count, 1);
	assert_int_equal(st.pages, 0x200);
	assert_int_equal(st.errors, 1);
	assert_string_equal(st.stats_id, FAKE_STATS_ID);
	conversions_bpf__destroy(s);
}

/*
 * The fallback without that event, attached for real: only a VM's
 * KVM_SET_MEMORY_ATTRIBUTES is a conversion, named by its VM.  The same
 * command on any other file, which any user can issue with any range,
 * opens nothing and fills no map.
 */
static void test_ioctl_fallback_vm_only(void **state)
{
	struct ks_probe_links links = {};
	struct conversions_bpf *s = load_fallback(CONV_PROGS_IOCTL, &links);
	int null = open("/dev/null", O_RDWR), vm = create_vm();
	char stats_id[KS_STATS_ID_LEN];
	struct conv_stats st;
	struct events evs;

	(void)state;
	snprintf(stats_id, sizeof(stats_id), "kvm-%d", gettid());
	assert_true(null >= 0);

	assert_int_equal(set_attrs(null, 0, 1ULL << 40, CONV_ATTR_PRIVATE),
			 -ENOTTY);
	assert_false(inflight(s));
	read_events(s, &evs);
	assert_int_equal(evs.n, 0);
	assert_false(get_stats(s, CONV_DIR_PRIVATE, &st));

	assert_int_equal(set_attrs(vm, 0x100000, 0x200000, CONV_ATTR_PRIVATE),
			 -ENOTTY);
	ks_probe_detach(&links, 0);
	close(vm);
	close(null);
	read_events(s, &evs);
	assert_int_equal(evs.n, 1);
	assert_int_equal(evs.ev[0].gfn_start, 0x100);
	assert_int_equal(evs.ev[0].gfn_end, 0x300);
	assert_int_equal(evs.ev[0].ret, -ENOTTY);
	assert_int_equal(evs.ev[0].valid, CONV_F_FALLBACK_ALL);
	assert_string_equal(evs.ev[0].stats_id, stats_id);
	assert_true(get_stats(s, CONV_DIR_PRIVATE, &st));
	assert_int_equal(st.count, 1);
	assert_string_equal(st.stats_id, stats_id);
	conversions_bpf__destroy(s);
}

/* begin + 2 zap_leafs + done on one thread = one record with the sums. */
static void test_conversion_correlated(void **state)
{
	struct conv_opts o = {};
	struct conversions_bpf *s = load_conv(&o);
	struct conv_stats st;
	struct events evs;
	const struct conv_event *e;
	__u32 tid = gettid();

	(void)state;
	conv_begin(s, 0x100, 0x300, CONV_ATTR_PRIVATE);
	conv_zap(s, 100, 1, 0, 2, 1);
	conv_zap(s, 50, 0, 1, 1, 1);
	conv_done(s, 0x100, 0x300, CONV_ATTR_PRIVATE, 0, false, true);

	read_events(s, &evs);
	assert_int_equal(evs.n, 1);
	e = &evs.ev[0];
	assert_int_equal(e->pid, getpid());
	assert_int_equal(e->tid, tid);
	assert_int_equal(e->gfn_start, 0x100);
	assert_int_equal(e->gfn_end, 0x300);
	assert_int_equal(e->attributes, CONV_ATTR_PRIVATE);
	assert_int_equal(e->zapped[0], 150);
	assert_int_equal(e->zapped[1], 1);
	assert_int_equal(e->zapped[2], 1);
	assert_int_equal(e->yields, 3);
	assert_int_equal(e->yield_flushes, 2);
	assert_int_equal(e->flushes, 3);	/* yield flushes + the final one */
	assert_int_equal(e->root_walks, 2);
	assert_int_equal(e->noop, 0);
	assert_int_equal(e->flushed, 1);
	assert_int_equal(e->ret, 0);
	assert_int_equal(e->valid, CONV_F_SERIES_ALL);
	assert_true(e->duration_ns > 0);
	assert_true(e->ts_ns > e->duration_ns);

	assert_true(get_stats(s, CONV_DIR_PRIVATE, &st));
	assert_false(get_stats(s, CONV_DIR_SHARED, &st) && st.count);
	get_stats(s, CONV_DIR_PRIVATE, &st);
	assert_int_equal(st.count, 1);
	assert_int_equal(st.pages, 0x200);
	assert_int_equal(st.pages_slots[9], 1);		/* 512 pages: 2^9 */
	assert_int_equal(st.zapped[0], 150);
	assert_int_equal(st.flushes, 3);
	assert_int_equal(st.noop, 0);
	assert_int_equal(ks_log2_total(ks_slots(st.dur_slots).v, KS_HIST_SLOTS), 1);

	/* The per-thread state is over once the conversion ended. */
	assert_false(inflight(s));
	conversions_bpf__destroy(s);
}

/* Bounds of the sum of the observations in log2 @slots: [*lo, *hi). */
static void slots_sum_bounds(const __u64 *slots, __u64 *lo, __u64 *hi)
{
	int i;

	*lo = 0;
	*hi = slots[0] * 2;	/* slot 0 holds 0 and 1 */
	for (i = 1; i < KS_HIST_SLOTS; i++) {
		*lo += slots[i] << i;
		*hi += slots[i] << (i + 1);
	}
}

/* The rows' duration sum is exact: the records' durations, added up. */
static void test_duration_sum(void **state)
{
	struct conv_opts o = {};
	struct conversions_bpf *s = load_conv(&o);
	struct conv_stats st;
	struct events evs;
	__u64 sum = 0, lo, hi;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		conv_begin(s, 0, 1 << i, CONV_ATTR_PRIVATE);
		conv_zap(s, 1, 0, 0, 0, 0);
		conv_done(s, 0, 1 << i, CONV_ATTR_PRIVATE, 0, false, true);
	}
	read_events(s, &evs);
	assert_int_equal(evs.n, 3);
	for (i = 0; i < evs.n; i++)
		sum += evs.ev[i].duration_ns;
	assert_true(get_stats(s, CONV_DIR_PRIVATE, &st));
	assert_int_equal(st.count, 3);
	assert_int_equal(st.dur_sum_ns, sum);
	slots_sum_bounds(st.dur_slots, &lo, &hi);
	assert_in_range(st.dur_sum_ns, lo, hi - 1);
	conversions_bpf__destroy(s);
}

/*
 * The kernel's log2 slots (bits.bpf.h), on page counts chosen at each
 * slot's edges: slot 0 holds 0 and 1, slot n [2^n, 2^(n+1)), the last
 * everything above.
 */
static void test_log2_slots(void **state)
{
	static const struct { __u64 pages; int slot; } c[] = {
		{ 0, 0 }, { 1, 0 }, { 2, 1 }, { 3, 1 }, { 4, 2 }, { 7, 2 },
		{ 1023, 9 }, { 1024, 10 }, { (1ULL << 32) - 1, 31 },
		{ 1ULL << 32, 32 }, { (1ULL << 39) + 5, 39 },
		{ 1ULL << 50, KS_HIST_SLOTS - 1 },
	};
	struct conv_opts o = {};
	struct conversions_bpf *s = load_conv(&o);
	__u64 want[KS_HIST_SLOTS] = {};
	struct conv_stats st;
	size_t i;

	(void)state;
	for (i = 0; i < NR_ARGS(c); i++) {
		conv_begin(s, 0x1000, 0x1000 + c[i].pages, CONV_ATTR_PRIVATE);
		conv_done(s, 0x1000, 0x1000 + c[i].pages, CONV_ATTR_PRIVATE, 0,
			  false, false);
		want[c[i].slot]++;
	}
	assert_true(get_stats(s, CONV_DIR_PRIVATE, &st));
	assert_int_equal(st.count, NR_ARGS(c));
	assert_memory_equal(st.pages_slots, want, sizeof(want));
	conversions_bpf__destroy(s);
}

/* A no-op conversion to shared: noop flag, no flushes, shared direction. */
static void test_conversion_noop_shared(void **state)
{
	struct conv_opts o = {};
	struct conversions_bpf *s = load_conv(&o);
	struct conv_stats st;
	struct events evs;

	(void)state;
	conv_begin(s, 0x1000, 0x1001, 0);
	conv_done(s, 0x1000, 0x1001, 0, 0, true, false);
	/* A zap outside any conversion (MMU notifier) is not attributed. */
	conv_zap(s, 7, 7, 7, 7, 7);

	read_events(s, &evs);
	assert_int_equal(evs.n, 1);
	assert_int_equal(evs.ev[0].noop, 1);
	assert_int_equal(evs.ev[0].flushes, 0);
	assert_int_equal(evs.ev[0].zapped[0], 0);
	assert_int_equal(evs.ev[0].root_walks, 0);
	assert_true(get_stats(s, CONV_DIR_SHARED, &st));
	assert_int_equal(st.count, 1);
	assert_int_equal(st.noop, 1);
	assert_int_equal(st.pages, 1);
	assert_int_equal(st.pages_slots[0], 1);
	assert_false(get_stats(s, CONV_DIR_PRIVATE, &st));

	/* A failed conversion counts as an error. */
	conv_begin(s, 0x1000, 0x1400, 0);
	conv_done(s, 0x1000, 0x1400, 0, -EFAULT, false, false);
	read_events(s, &evs);
	assert_int_equal(evs.n, 1);
	assert_int_equal(evs.ev[0].ret, -EFAULT);
	assert_true(get_stats(s, CONV_DIR_SHARED, &st));
	assert_int_equal(st.count, 2);
	assert_int_equal(st.errors, 1);
	conversions_bpf__destroy(s);
}

/* One private and one shared conversion; how many does the filter keep? */
static int conversions_kept(const struct conv_opts *o)
{
	struct conversions_bpf *s = load_conv(o);
	struct conv_stats st;
	struct events evs;
	int n = 0;

	conv_begin(s, 0, 512, CONV_ATTR_PRIVATE);
	conv_done(s, 0, 512, CONV_ATTR_PRIVATE, 0, false, true);
	conv_begin(s, 0, 512, 0);
	conv_done(s, 0, 512, 0, 0, false, true);
	read_events(s, &evs);
	/* The ring buffer and the histograms must agree. */
	if (get_stats(s, CONV_DIR_PRIVATE, &st))
		n += st.count;
	if (get_stats(s, CONV_DIR_SHARED, &st))
		n += st.count;
	assert_int_equal(n, evs.n);
	conversions_bpf__destroy(s);
	return n;
}

static void test_filters(void **state)
{
	struct conv_opts o = {};

	(void)state;
	assert_int_equal(conversions_kept(&o), 2);
	o.pid = getpid();
	assert_int_equal(conversions_kept(&o), 2);
	o.pid = getppid();
	assert_int_equal(conversions_kept(&o), 0);
	o.pid = 0;

	o.min_ns = 10ULL * 1000 * 1000 * 1000;	/* nothing here takes 10s */
	assert_int_equal(conversions_kept(&o), 0);
	o.min_ns = 0;

	o.dir = CONV_FILTER_PRIVATE;
	assert_int_equal(conversions_kept(&o), 1);
	o.dir = CONV_FILTER_SHARED;
	assert_int_equal(conversions_kept(&o), 1);
	o.dir = CONV_FILTER_ANY;

	/* --vm matches the whole stats id read from struct kvm. */
	o.vm = FAKE_STATS_ID;
	assert_int_equal(conversions_kept(&o), 2);
	o.vm = "kvm-42";
	assert_int_equal(conversions_kept(&o), 0);
	o.vm = "kvm-42420";
	assert_int_equal(conversions_kept(&o), 0);
}

/* The VM's stats id comes from struct kvm via CO-RE. */
static void test_vm_identity(void **state)
{
	struct conv_opts o = {};
	struct conversions_bpf *s = load_conv(&o);
	struct conv_stats st;
	struct events evs;

	(void)state;
	conv_begin(s, 0x10, 0x20, 0);
	conv_done(s, 0x10, 0x20, 0, 0, false, false);
	read_events(s, &evs);
	assert_int_equal(evs.n, 1);
	assert_string_equal(evs.ev[0].stats_id, FAKE_STATS_ID);
	assert_true(get_stats(s, CONV_DIR_SHARED, &st));
	assert_string_equal(st.stats_id, FAKE_STATS_ID);
	conversions_bpf__destroy(s);
}

/*
 * --vm is checked where the VM is named, at done (upstream's event that
 * opens a conversion cannot tell): another VM's conversion is dropped
 * there, and leaves nothing open behind.
 */
static void test_vm_filter_at_done(void **state)
{
	struct conv_opts o = { .vm = "kvm-1" };
	struct conversions_bpf *s = load_conv(&o);
	struct conv_stats st;
	struct events evs;

	(void)state;
	conv_begin(s, 0x400, 0x600, CONV_ATTR_PRIVATE);
	conv_zap(s, 7, 1, 0, 2, 1);
	conv_done(s, 0x400, 0x600, CONV_ATTR_PRIVATE, 0, false, true);
	read_events(s, &evs);
	assert_int_equal(evs.n, 0);
	assert_false(get_stats(s, CONV_DIR_PRIVATE, &st) && st.count);
	assert_false(inflight(s));
	conversions_bpf__destroy(s);
}

static void test_lost_ringbuf(void **state)
{
	struct conv_opts o = { .ringbuf_size = 4096 };
	struct conversions_bpf *s = load_conv(&o);
	struct conv_stats st;
	struct events evs;
	int i, n = 100;

	(void)state;
	/* Nobody consumes: a 4 KiB ring holds far fewer than 100 records. */
	for (i = 0; i < n; i++) {
		conv_begin(s, i, i + 1, 0);
		conv_done(s, i, i + 1, 0, 0, false, false);
	}
	read_events(s, &evs);
	assert_true(evs.n > 0 && evs.n < n);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_RINGBUF),
			 n - evs.n);
	/* Aggregation does not depend on the ring buffer. */
	assert_true(get_stats(s, CONV_DIR_SHARED, &st));
	assert_int_equal(st.count, n);
	conversions_bpf__destroy(s);
}

static int open_and_convert(struct conversions_bpf *s);

/*
 * A VMM that finds every slot taken loses its conversion, counted: as a
 * row and, with --mapgpa, as the count MapGPA waits read.
 */
static void test_lost_stats_full(void **state)
{
	struct conv_opts o = { .stats_size = 1 };
	struct conversions_bpf *s = load_conv(&o);
	struct conv_stats st;
	pid_t child;
	int status;

	(void)state;
	conv_begin(s, 0, 1, CONV_ATTR_PRIVATE);
	conv_done(s, 0, 1, CONV_ATTR_PRIVATE, 0, false, false);
	conv_begin(s, 0, 1, 0);		/* its other direction: same slot */
	conv_done(s, 0, 1, 0, 0, false, false);
	assert_true(get_stats(s, CONV_DIR_PRIVATE, &st));
	assert_true(get_stats(s, CONV_DIR_SHARED, &st));
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_STATS_FULL), 0);
	child = fork();			/* a second VMM: no slot left */
	assert_true(child >= 0);
	if (!child)
		_exit(open_and_convert(s) ? 1 : 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(slot_of(s, child), -1);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_STATS_FULL), 1);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_MAPGPA_FULL), 1);
	assert_true(get_stats(s, CONV_DIR_PRIVATE, &st));
	assert_int_equal(st.count, 1);
	conversions_bpf__destroy(s);
}

static void *begin_in_thread(void *arg)
{
	conv_begin(arg, 0, 1, 0);
	return NULL;
}

static int count_keys(int fd, size_t key_size);

/*
 * One entry in threads, as if every thread id mapped to it: the first
 * thread takes it, the next keeps its conversion in the inflight hash
 * (one entry), the third finds both full and is counted as lost.
 */
static void test_lost_inflight_full(void **state)
{
	struct conv_opts o = { .inflight_size = 1, .threads_size = 1 };
	struct conversions_bpf *s = load_conv(&o);
	pthread_t t;
	int i;

	(void)state;
	assert_int_equal(s->rodata->thread_mask, 0);
	conv_begin(s, 0, 1, 0);		/* this thread takes threads' entry */
	assert_true(inflight(s));
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_create(&t, NULL, begin_in_thread, s), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(count_keys(bpf_map__fd(s->maps.inflight),
					    sizeof(__u32)), 1);
		assert_int_equal(lost(bpf_map__fd(s->maps.lost),
				      TDX_LOST_INFLIGHT_FULL), i);
	}
	conversions_bpf__destroy(s);
}

static void *convert_in_thread(void *arg)
{
	conv_begin(arg, 0x100, 0x104, CONV_ATTR_PRIVATE);
	conv_zap(arg, 4, 0, 0, 0, 0);
	conv_done(arg, 0x100, 0x104, CONV_ATTR_PRIVATE, 0, false, false);
	return NULL;
}

/*
 * A thread whose entry in threads is another's converts through the
 * inflight hash, with the same figures.
 */
static void test_thread_entry_taken(void **state)
{
	struct conv_opts o = { .threads_size = 1 };
	struct conversions_bpf *s = load_conv(&o);
	struct conv_stats st;
	pthread_t t;

	(void)state;
	conv_begin(s, 0, 1, 0);		/* this thread owns the one entry */
	assert_int_equal(pthread_create(&t, NULL, convert_in_thread, s), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(inflight(s));	/* still this thread's, still open */
	assert_int_equal(count_keys(bpf_map__fd(s->maps.inflight),
				    sizeof(__u32)), 1);
	assert_true(get_stats(s, CONV_DIR_PRIVATE, &st));
	assert_int_equal(st.count, 1);
	assert_int_equal(st.pages, 4);
	assert_int_equal(st.zapped[0], 4);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_INFLIGHT_FULL), 0);
	conversions_bpf__destroy(s);
}

/* @key's MapGPA row, through its index entry (mapgpa): 0, else -ENOENT. */
static int mapgpa_lookup(struct conversions_bpf *s, const struct mapgpa_key *key,
			 struct mapgpa_stats *out)
{
	struct mapgpa_row r;
	__u32 slot;

	if (bpf_map_lookup_elem(bpf_map__fd(s->maps.mapgpa), key, &slot) ||
	    bpf_map_lookup_elem(bpf_map__fd(s->maps.mapgpa_rows), &slot, &r))
		return -ENOENT;
	assert_memory_equal(&r.key, key, sizeof(*key));
	*out = r.s;
	return 0;
}

/* A vCPU thread with a name of its own, like QEMU's "CPU 0/KVM". */
static void *vcpu_thread(void *arg)
{
	struct conversions_bpf *s = arg;
	__u64 hcall[] = { CONV_KVM_HC_MAP_GPA_RANGE, 0x100000, 1, 0, 0 };
	__u64 entry[] = { fake.vcpu, 0 };

	pthread_setname_np(pthread_self(), "CPU 0/KVM");
	conv_begin(s, 0, 1, CONV_ATTR_PRIVATE);
	conv_done(s, 0, 1, CONV_ATTR_PRIVATE, 0, false, false);
	run_raw(s->progs.mapgpa_hcall_raw, hcall, NR_ARGS(hcall));
	run_raw(s->progs.mapgpa_entry_raw, entry, NR_ARGS(entry));
	return NULL;
}

/*
 * Rows keep the VMM's comm (its main thread's), to name VMs that exited
 * before userspace looked them up; records keep the converting thread's.
 */
static void test_vmm_comm(void **state)
{
	struct conv_opts o = {};
	struct conversions_bpf *s = load_conv(&o);
	struct mapgpa_key key = { .pid = getpid(), .vcpu_id = FAKE_VCPU_ID };
	struct mapgpa_stats ms;
	struct conv_stats cs;
	struct events evs;
	char comm[32];
	pthread_t t;

	(void)state;
	assert_int_equal(ks_proc_comm(getpid(), comm, sizeof(comm)), 0);
	assert_string_not_equal(comm, "CPU 0/KVM");
	assert_int_equal(pthread_create(&t, NULL, vcpu_thread, s), 0);
	assert_int_equal(pthread_join(t, NULL), 0);

	assert_true(get_stats(s, CONV_DIR_PRIVATE, &cs));
	assert_string_equal(cs.comm, comm);
	assert_int_equal(mapgpa_lookup(s, &key, &ms), 0);
	assert_string_equal(ms.comm, comm);
	/* The VM as the conversion rows name it, not "kvm-<pid>". */
	assert_string_equal(ms.stats_id, FAKE_STATS_ID);
	assert_string_equal(cs.stats_id, FAKE_STATS_ID);
	read_events(s, &evs);
	assert_int_equal(evs.n, 1);
	assert_string_equal(evs.ev[0].comm, "CPU 0/KVM");
	conversions_bpf__destroy(s);
}

/* KVM_HC_MAP_GPA_RANGE's a2: bits 3:0 the page size, bit 4 the direction. */
#define MAP_GPA_PAGE_SZ_2M	(1ULL << 0)
#define MAP_GPA_PAGE_SZ_BITS	0xfULL

static void test_mapgpa_latency(void **state)
{
	struct conv_opts o = {};
	struct conversions_bpf *s = load_conv(&o);
	__u64 other[] = { 1 /* not MapGPA */, 0, 0, 0, 0 };
	/* To private, 2M pages: KVM_MAP_GPA_RANGE_ENCRYPTED | PAGE_SZ_2M. */
	__u64 to_priv[] = { CONV_KVM_HC_MAP_GPA_RANGE, 0x100000, 16,
			    CONV_MAP_GPA_ENCRYPTED | MAP_GPA_PAGE_SZ_2M, 0 };
	/* To shared, though a2 has bit 3 (the memory attribute's) set. */
	__u64 to_shared[] = { CONV_KVM_HC_MAP_GPA_RANGE, 0x100000, 4,
			      MAP_GPA_PAGE_SZ_BITS, 0 };
	__u64 uexit[] = { 3 /* KVM_EXIT_HYPERCALL */, 0 };
	__u64 entry[] = { fake.vcpu, 0 };
	struct mapgpa_key key = { .pid = getpid(), .vcpu_id = FAKE_VCPU_ID };
	struct mapgpa_stats ms;
	__u64 lo, hi;

	(void)state;
	assert_true(MAP_GPA_PAGE_SZ_BITS & CONV_ATTR_PRIVATE);
	run_raw(s->progs.mapgpa_hcall_raw, other, NR_ARGS(other));
	run_raw(s->progs.mapgpa_entry_raw, entry, NR_ARGS(entry));
	assert_int_not_equal(mapgpa_lookup(s, &key, &ms), 0);

	run_raw(s->progs.mapgpa_hcall_raw, to_priv, NR_ARGS(to_priv));
	run_raw(s->progs.mapgpa_uexit_raw, uexit, NR_ARGS(uexit));
	conv_begin(s, 0x100, 0x110, CONV_ATTR_PRIVATE);	/* the VMM converts */
	conv_done(s, 0x100, 0x110, CONV_ATTR_PRIVATE, 0, false, true);
	run_raw(s->progs.mapgpa_entry_raw, entry, NR_ARGS(entry));
	run_raw(s->progs.mapgpa_entry_raw, entry, NR_ARGS(entry));	/* no request */
	/* Two more, serviced in KVM: one each way. */
	run_raw(s->progs.mapgpa_hcall_raw, to_shared, NR_ARGS(to_shared));
	run_raw(s->progs.mapgpa_entry_raw, entry, NR_ARGS(entry));
	run_raw(s->progs.mapgpa_hcall_raw, to_priv, NR_ARGS(to_priv));
	run_raw(s->progs.mapgpa_entry_raw, entry, NR_ARGS(entry));

	assert_int_equal(mapgpa_lookup(s, &key, &ms), 0);
	assert_int_equal(ms.count, 3);
	assert_int_equal(ms.pages, 16 + 4 + 16);
	assert_int_equal(ms.to_private, 2);
	assert_int_equal(ms.userspace_exits, 1);
	assert_int_equal(ms.conversions, 1);
	assert_int_equal(ks_log2_total(ks_slots(ms.lat_slots).v, KS_HIST_SLOTS), 3);
	/* The exact sum lies within what the slots allow, and is not 0. */
	slots_sum_bounds(ms.lat_slots, &lo, &hi);
	assert_in_range(ms.lat_sum_ns, lo, hi - 1);
	assert_true(ms.lat_sum_ns > 0);
	assert_int_equal(s->bss->mapgpa_pending, 0);
	conversions_bpf__destroy(s);
}

/* run_raw() for threads and children, where cmocka cannot assert. */
static int try_raw(struct bpf_program *prog, const __u64 *args, size_t n)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args,
		    .ctx_size_in = n * sizeof(__u64));

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) ?:
	       (int)opts.retval;
}

/* A MapGPA hypercall, a conversion begun and one done, on this thread. */
static int open_and_convert(struct conversions_bpf *s)
{
	__u64 hcall[] = { CONV_KVM_HC_MAP_GPA_RANGE, 0x100000, 16, 0, 0 };
	__u64 begin[] = { 0x100, 0x110, CONV_ATTR_PRIVATE };
	__u64 done[] = { fake.kvm, 0x100, 0x110, CONV_ATTR_PRIVATE, 0, 0, 0 };

	return try_raw(s->progs.conv_attrs_raw, begin, NR_ARGS(begin)) ?:
	       try_raw(s->progs.conv_done_raw, done, NR_ARGS(done)) ?:
	       try_raw(s->progs.mapgpa_hcall_raw, hcall, NR_ARGS(hcall)) ?:
	       try_raw(s->progs.conv_attrs_raw, begin, NR_ARGS(begin));
}

/* A MapGPA request on a thread of its own, closed at its next entry. */
static void *mapgpa_in_thread(void *arg)
{
	__u64 hcall[] = { CONV_KVM_HC_MAP_GPA_RANGE, 0x100000, 8, 0, 0 };
	__u64 entry[] = { fake.vcpu, 0 };
	long err;

	err = try_raw(((struct conversions_bpf *)arg)->progs.mapgpa_hcall_raw,
		      hcall, NR_ARGS(hcall)) ?:
	      try_raw(((struct conversions_bpf *)arg)->progs.mapgpa_entry_raw,
		      entry, NR_ARGS(entry));
	return (void *)err;
}

/*
 * A vCPU thread whose entry in mapgpa_threads is another's (one entry
 * for all) keeps its request in the mapgpa_reqs hash, with the same
 * figures; the owner's outstanding request is left alone.
 */
static void test_mapgpa_thread_entry_taken(void **state)
{
	struct conv_opts o = { .threads_size = 1 };
	struct conversions_bpf *s = load_conv(&o);
	__u64 hcall[] = { CONV_KVM_HC_MAP_GPA_RANGE, 0x100000, 16, 0, 0 };
	__u64 entry[] = { fake.vcpu, 0 };
	struct mapgpa_key key = { .pid = getpid(), .vcpu_id = FAKE_VCPU_ID };
	struct mapgpa_stats ms;
	void *err;
	pthread_t t;

	(void)state;
	run_raw(s->progs.mapgpa_hcall_raw, hcall, NR_ARGS(hcall));	/* owns it */
	assert_int_equal(pthread_create(&t, NULL, mapgpa_in_thread, s), 0);
	assert_int_equal(pthread_join(t, &err), 0);
	assert_null(err);
	assert_int_equal(count_keys(bpf_map__fd(s->maps.mapgpa_reqs),
				    sizeof(__u32)), 1);
	assert_int_equal(mapgpa_lookup(s, &key, &ms), 0);
	assert_int_equal(ms.count, 1);
	assert_int_equal(ms.pages, 8);
	assert_int_equal(s->bss->mapgpa_pending, 1);	/* the owner's */
	run_raw(s->progs.mapgpa_entry_raw, entry, NR_ARGS(entry));
	assert_int_equal(mapgpa_lookup(s, &key, &ms), 0);
	assert_int_equal(ms.count, 2);
	assert_int_equal(ms.pages, 8 + 16);
	assert_int_equal(s->bss->mapgpa_pending, 0);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_MAPGPA_FULL), 0);
	conversions_bpf__destroy(s);
}

struct dying_thread {
	struct conversions_bpf *s;
	__u32 tid;
	int err;
};

static void *dying_thread(void *arg)
{
	struct dying_thread *t = arg;

	t->tid = gettid();
	t->err = open_and_convert(t->s);
	return NULL;
}

static bool in_map(struct bpf_map *map, __u32 key)
{
	char v[256];

	assert_true(bpf_map__value_size(map) <= sizeof(v));
	return !bpf_map_lookup_elem(bpf_map__fd(map), &key, v);
}

/*
 * A vCPU thread that dies with a MapGPA request outstanding and a
 * conversion open (sched_process_exit attached for real) leaves neither
 * behind, nor kvm_entry paying for the lookup: the old code kept both,
 * and mapgpa_pending at 1 for good.  Its process lives on, and so does
 * its conversion count; when the whole process exits, that goes too.
 */
static void test_thread_exit_forgets(void **state)
{
	struct conv_opts o = {};
	struct conversions_bpf *s = load_conv(&o);
	struct bpf_link *exit_link = bpf_program__attach(s->progs.conv_task_exit);
	struct dying_thread t = { .s = s };
	pthread_t th;
	char v[256];
	pid_t child;
	int status;

	(void)state;
	assert_non_null(exit_link);
	assert_int_equal(pthread_create(&th, NULL, dying_thread, &t), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(t.err, 0);
	assert_false(in_map(s->maps.mapgpa_reqs, t.tid));
	assert_false(owned_in(s, s->maps.mapgpa_threads, "mapgpa_req", t.tid, v));
	assert_false(in_map(s->maps.inflight, t.tid));
	assert_false(owned_entry(s, t.tid, v));	/* free again */
	assert_int_equal(s->bss->mapgpa_pending, 0);
	assert_true(in_map(s->maps.conv_slots, getpid()));

	child = fork();
	assert_true(child >= 0);
	if (!child)
		_exit(open_and_convert(s) ? 1 : 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_false(in_map(s->maps.conv_slots, child));
	assert_false(in_map(s->maps.mapgpa_reqs, child));
	assert_int_equal(s->bss->mapgpa_pending, 0);
	bpf_link__destroy(exit_link);
	conversions_bpf__destroy(s);
}

/* What conv_probe_drain() hands over: this process's rows, by direction. */
struct drained {
	__u32 pid;
	struct conv_stats dir[CONV_NR_DIRS];
	int rows;
};

static int take_drained(void *ctx, const void *key, const void *val)
{
	struct drained *d = ctx;
	const struct conv_key *k = key;
	const struct conv_stats *v = val;

	if (k->pid != d->pid)
		return 0;
	d->rows++;
	d->dir[k->dir].count += v->count;
	d->dir[k->dir].pages += v->pages;
	return 0;
}

static void drain_pid(struct conv_probe *p, __u32 pid, struct drained *d)
{
	memset(d, 0, sizeof(*d));
	d->pid = pid;
	assert_int_equal(conv_probe_drain(p, take_drained, d), 0);
}

static struct conv_probe probe_of(struct conversions_bpf *s)
{
	return (struct conv_probe){
		.skel = s,
		.stats_fd = bpf_map__fd(s->maps.stats),
		.slots_fd = bpf_map__fd(s->maps.conv_slots),
		.mapgpa_fd = bpf_map__fd(s->maps.mapgpa),
		.nr_slots = bpf_map__max_entries(s->maps.stats),
		.mapgpa_rows_fd = bpf_map__fd(s->maps.mapgpa_rows),
		.nr_mapgpa_rows = bpf_map__max_entries(s->maps.mapgpa_rows),
	};
}

/*
 * A drain hands over what each row counted since the last one, as the
 * old hash rows' lookup-and-delete did; a VMM that exited has its slot
 * freed once read, and the next VMM takes it without loss (one slot).
 */
static void test_slot_reuse_after_exit(void **state)
{
	struct conv_opts o = { .stats_size = 1 };
	struct conversions_bpf *s = load_conv(&o);
	struct bpf_link *exit_link = bpf_program__attach(s->progs.conv_task_exit);
	struct conv_probe p = probe_of(s);
	struct drained d;
	struct conv_vmm v;
	pid_t child;
	int status, i;

	(void)state;
	assert_non_null(exit_link);
	for (i = 0; i < 2; i++) {
		child = fork();
		assert_true(child >= 0);
		if (!child)
			_exit(open_and_convert(s) ? 1 : 0);
		assert_int_equal(waitpid(child, &status, 0), child);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		/* Its exit dropped the index; its row is still there to read. */
		assert_int_equal(slot_of(s, child), -1);
		get_slot(s, 0, &v);
		assert_int_equal(v.pid, child);
		assert_int_equal(v.gen, 1 + i);
		drain_pid(&p, child, &d);
		assert_int_equal(d.rows, 1);
		assert_int_equal(d.dir[CONV_DIR_PRIVATE].count, 1);
		assert_int_equal(d.dir[CONV_DIR_PRIVATE].pages, 0x10);
		get_slot(s, 0, &v);	/* freed: zeroed, next generation */
		assert_int_equal(v.pid, 0);
		assert_int_equal(v.gen, 2 + i);
	}
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_STATS_FULL), 0);

	/* A live VMM's row: only what came since the last drain. */
	conv_begin(s, 0x100, 0x110, CONV_ATTR_PRIVATE);
	conv_done(s, 0x100, 0x110, CONV_ATTR_PRIVATE, 0, false, false);
	conv_begin(s, 0x100, 0x102, CONV_ATTR_PRIVATE);
	conv_done(s, 0x100, 0x102, CONV_ATTR_PRIVATE, 0, false, false);
	drain_pid(&p, getpid(), &d);
	assert_int_equal(d.dir[CONV_DIR_PRIVATE].count, 2);
	assert_int_equal(d.dir[CONV_DIR_PRIVATE].pages, 0x12);
	drain_pid(&p, getpid(), &d);
	assert_int_equal(d.rows, 0);
	conv_begin(s, 0x100, 0x101, 0);
	conv_done(s, 0x100, 0x101, 0, 0, false, false);
	drain_pid(&p, getpid(), &d);
	assert_int_equal(d.rows, 1);
	assert_int_equal(d.dir[CONV_DIR_SHARED].count, 1);
	assert_int_equal(slot_of(s, getpid()), 0);	/* alive: kept */
	free(p.seen);
	bpf_link__destroy(exit_link);
	conversions_bpf__destroy(s);
}

/*
 * The exporter drops an exited VMM's rows (conv_probe_delete_pid()); the
 * same pid, reused by a new VMM, starts from zero in a new slot, and a
 * thread whose cached slot was freed does not count into its next owner.
 */
static void test_pid_reuse_new_slot(void **state)
{
	struct conv_opts o = { .stats_size = 2 };
	struct conversions_bpf *s = load_conv(&o);
	struct conv_probe p = probe_of(s);
	struct conv_stats st;
	struct conv_vmm v;
	int old;

	(void)state;
	conv_begin(s, 0x100, 0x110, CONV_ATTR_PRIVATE);
	conv_done(s, 0x100, 0x110, CONV_ATTR_PRIVATE, 0, false, false);
	old = slot_of(s, getpid());
	assert_true(old >= 0);
	conv_probe_delete_pid(&p, getpid());
	assert_int_equal(slot_of(s, getpid()), -1);
	get_slot(s, old, &v);
	assert_int_equal(v.pid, 0);
	assert_int_equal(v.dir[CONV_DIR_PRIVATE].count, 0);

	/* This thread's cache names the freed slot: it must miss. */
	conv_begin(s, 0x100, 0x104, CONV_ATTR_PRIVATE);
	conv_done(s, 0x100, 0x104, CONV_ATTR_PRIVATE, 0, false, false);
	assert_int_not_equal(slot_of(s, getpid()), old);
	assert_true(get_stats(s, CONV_DIR_PRIVATE, &st));
	assert_int_equal(st.count, 1);
	assert_int_equal(st.pages, 4);
	assert_string_equal(st.stats_id, FAKE_STATS_ID);
	get_slot(s, old, &v);
	assert_int_equal(v.dir[CONV_DIR_PRIVATE].count, 0);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_STATS_FULL), 0);
	conversions_bpf__destroy(s);
}

/*
 * TDX's TDVMCALL<MapGPA> and SNP's page state changes, as the 7.3 series
 * traces them (no TDX or SNP here: crafted arguments).  A request is
 * measured from its request event to the one returning to the guest,
 * with the chunks forwarded to the VMM in between.
 */
#define TDX_SHARED_BIT		(1ULL << 47)
#define TDVMCALL_RETRY		1ULL
#define TDVMCALL_ALIGN_ERROR	0x8000000000000002ULL
#define PSC_ERROR_GENERIC	(1ULL << 32)	/* VMGEXIT_PSC_ERROR_GENERIC */

/* With @rows MapGPA row slots (0: as built). */
static struct conversions_bpf *load_mapgpa_rows(unsigned int sets, __u32 rows)
{
	struct conversions_bpf *s = conversions_bpf__open();

	assert_non_null(s);
	conv_select_progs(s, CONV_PROGS_SERIES_RAW, sets);
	if (rows) {
		bpf_map__set_max_entries(s->maps.mapgpa_rows, rows);
		bpf_map__set_max_entries(s->maps.mapgpa_free, rows);
	}
	assert_int_equal(conversions_bpf__load(s), 0);
	assert_int_equal(conv_probe_init_slots(s), 0);
	return s;
}

static struct conversions_bpf *load_mapgpa(unsigned int sets)
{
	return load_mapgpa_rows(sets, 0);
}

static void vcpu_event(struct bpf_program *prog, __u64 a1, __u64 a2, __u64 a3)
{
	__u64 a[] = { fake.vcpu, a1, a2, a3 };

	run_raw(prog, a, NR_ARGS(a));
}

static bool mapgpa_row(struct conversions_bpf *s, struct mapgpa_stats *out)
{
	struct mapgpa_key key = { .pid = getpid(), .vcpu_id = FAKE_VCPU_ID };

	return !mapgpa_lookup(s, &key, out);
}

static __u32 map_entries(struct bpf_map *map, __u32 key_size)
{
	char key[64], next[64];
	void *prev = NULL;
	__u32 n = 0;

	assert_true(key_size <= sizeof(key));
	while (!bpf_map_get_next_key(bpf_map__fd(map), prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

/* A MapGPA request of vCPU @id, to its next VM entry: its row. */
static int mapgpa_request(struct conversions_bpf *s, int id)
{
	__u64 hcall[] = { CONV_KVM_HC_MAP_GPA_RANGE, 0x100000, 1, 0, 0 };
	__u64 entry[] = { fake.vcpu, 0 };

	fake_vcpu_id(id);
	return try_raw(s->progs.mapgpa_hcall_raw, hcall, NR_ARGS(hcall)) ?:
	       try_raw(s->progs.mapgpa_entry_raw, entry, NR_ARGS(entry));
}

/*
 * One VMM holds at most MAPGPA_VMM_MAX_ROWS vCPU rows: the next vCPU's
 * requests are counted as lost, its rows keep counting, another VMM still
 * gets rows, and once userspace drained the rows the VMM gets its share
 * back.
 */
static int take_none(void *ctx, const void *key, const void *val)
{
	(void)ctx, (void)key, (void)val;
	return 0;
}

static void test_mapgpa_vmm_cap(void **state)
{
	struct conversions_bpf *s = load_mapgpa(CONV_MAPGPA_HYPERCALL);
	struct conv_probe p = probe_of(s);
	struct mapgpa_key key = { .pid = getpid(), .vcpu_id = 0 };
	struct mapgpa_stats ms;
	pid_t child;
	int status;

	(void)state;
	for (int id = 0; id < MAPGPA_VMM_MAX_ROWS; id++)
		assert_int_equal(mapgpa_request(s, id), 0);
	assert_int_equal(map_entries(s->maps.mapgpa, sizeof(key)), MAPGPA_VMM_MAX_ROWS);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_MAPGPA_VMM_CAP), 0);

	assert_int_equal(mapgpa_request(s, MAPGPA_VMM_MAX_ROWS), 0);
	assert_int_equal(map_entries(s->maps.mapgpa, sizeof(key)), MAPGPA_VMM_MAX_ROWS);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_MAPGPA_VMM_CAP), 1);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_MAPGPA_FULL), 0);
	assert_int_equal(mapgpa_request(s, 0), 0);	/* its rows go on */
	assert_int_equal(mapgpa_lookup(s, &key, &ms), 0);
	assert_int_equal(ms.count, 2);

	child = fork();
	assert_true(child >= 0);
	if (!child)
		_exit(mapgpa_request(s, 7) ? 1 : 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	key = (struct mapgpa_key){ .pid = child, .vcpu_id = 7 };
	assert_int_equal(mapgpa_lookup(s, &key, &ms), 0);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_MAPGPA_VMM_CAP), 1);

	/* tdx-trace's drain: the rows taken, the share given back. */
	assert_int_equal(conv_probe_drain_mapgpa(&p, take_none, NULL), 0);
	assert_int_equal(map_entries(s->maps.mapgpa, sizeof(key)), 0);
	assert_int_equal(map_entries(s->maps.mapgpa_vmm_rows, sizeof(__u32)), 0);
	assert_int_equal(mapgpa_request(s, MAPGPA_VMM_MAX_ROWS), 0);
	assert_int_equal(map_entries(s->maps.mapgpa, sizeof(key)), 1);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_MAPGPA_VMM_CAP), 1);
	fake_vcpu_id(FAKE_VCPU_ID);
	conversions_bpf__destroy(s);
}

/*
 * MapGPA rows are slots, as the VMMs' are: a row freed (its VMM dropped,
 * or drained) is zeroed, so a vCPU thread whose request entry caches the
 * slot does not count into its next owner, here another process's vCPU of
 * the same id; with no slot free, that request is counted lost.  A thread
 * that runs another vCPU misses its cached row too.  One slot.
 */
static void test_mapgpa_row_reuse(void **state)
{
	struct conversions_bpf *s = load_mapgpa_rows(CONV_MAPGPA_HYPERCALL, 1);
	struct conv_probe p = probe_of(s);
	struct mapgpa_key key = { .pid = getpid(), .vcpu_id = 3 }, ckey;
	int lost_fd = bpf_map__fd(s->maps.lost);
	struct mapgpa_stats ms;
	pid_t child;
	int status;

	(void)state;
	assert_int_equal(mapgpa_request(s, 3), 0);
	assert_int_equal(mapgpa_lookup(s, &key, &ms), 0);
	assert_int_equal(ms.count, 1);
	conv_probe_delete_pid(&p, getpid());
	assert_int_not_equal(mapgpa_lookup(s, &key, &ms), 0);

	child = fork();
	assert_true(child >= 0);
	if (!child)
		_exit(mapgpa_request(s, 3) ? 1 : 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ckey = (struct mapgpa_key){ .pid = child, .vcpu_id = 3 };
	assert_int_equal(mapgpa_lookup(s, &ckey, &ms), 0);
	assert_int_equal(ms.count, 1);

	/* This thread's cache names the slot the child took: it must miss. */
	assert_int_equal(mapgpa_request(s, 3), 0);
	assert_int_equal(mapgpa_lookup(s, &ckey, &ms), 0);
	assert_int_equal(ms.count, 1);
	assert_int_not_equal(mapgpa_lookup(s, &key, &ms), 0);
	assert_int_equal(lost(lost_fd, TDX_LOST_MAPGPA_FULL), 1);

	/* Drained: the slot free again, this vCPU's row starts anew, named. */
	assert_int_equal(conv_probe_drain_mapgpa(&p, take_none, NULL), 0);
	assert_int_not_equal(mapgpa_lookup(s, &ckey, &ms), 0);
	assert_int_equal(mapgpa_request(s, 3), 0);
	assert_int_equal(mapgpa_lookup(s, &key, &ms), 0);
	assert_int_equal(ms.count, 1);
	assert_string_equal(ms.stats_id, FAKE_STATS_ID);
	assert_true(ms.comm[0]);

	/* Another vCPU on this thread: not vCPU 3's row, and no slot left. */
	assert_int_equal(mapgpa_request(s, 4), 0);
	assert_int_equal(mapgpa_lookup(s, &key, &ms), 0);
	assert_int_equal(ms.count, 1);
	assert_int_equal(lost(lost_fd, TDX_LOST_MAPGPA_FULL), 2);
	fake_vcpu_id(FAKE_VCPU_ID);
	conversions_bpf__destroy(s);
}

/*
 * With the series, a KVM_HC_MAP_GPA_RANGE ends at kvm_hypercall_done, its
 * exit is kvm_map_gpa_range_exit, and no program runs on kvm_entry.
 */
static void test_mapgpa_hcall_done(void **state)
{
	struct conversions_bpf *s = load_mapgpa(CONV_MAPGPA_HCALL_DONE);
	__u64 to_priv[] = { CONV_KVM_HC_MAP_GPA_RANGE, 0x100000, 16,
			    CONV_MAP_GPA_ENCRYPTED, 0 };
	__u64 other[] = { 1 /* not MapGPA */, 0, 0, 0, 0 };
	struct mapgpa_stats ms;

	(void)state;
	assert_false(bpf_program__autoload(s->progs.mapgpa_entry_raw));
	assert_false(bpf_program__autoload(s->progs.mapgpa_uexit_raw));
	/* Served by the VMM: 2 ms between the exit and the return. */
	run_raw(s->progs.mapgpa_hcall_raw, to_priv, NR_ARGS(to_priv));
	vcpu_event(s->progs.mapgpa_chunk_raw, 0x100000, 16, CONV_MAP_GPA_ENCRYPTED);
	usleep(2000);
	vcpu_event(s->progs.mapgpa_hcall_done_raw, 0, 0, 0);
	assert_true(mapgpa_row(s, &ms));
	assert_int_equal(ms.count, 1);
	assert_int_equal(ms.userspace_exits, 1);
	assert_int_equal(ms.chunks, 1);
	assert_true(ms.userspace_ns >= 2000000);
	assert_true(ms.lat_sum_ns >= ms.userspace_ns);
	/* Refused by KVM before the exit: -KVM_EINVAL, an error. */
	run_raw(s->progs.mapgpa_hcall_raw, to_priv, NR_ARGS(to_priv));
	vcpu_event(s->progs.mapgpa_hcall_done_raw, (__u64)-22, 0, 0);
	/*
	 * Serviced in KVM and stopped for a signal: -KVM_EAGAIN, a retry and
	 * not an error, in RAX or, from a 32-bit caller, in EAX.
	 */
	run_raw(s->progs.mapgpa_hcall_raw, to_priv, NR_ARGS(to_priv));
	vcpu_event(s->progs.mapgpa_hcall_done_raw, (__u64)-11, 0, 0);
	run_raw(s->progs.mapgpa_hcall_raw, to_priv, NR_ARGS(to_priv));
	vcpu_event(s->progs.mapgpa_hcall_done_raw, (__u32)-11, 0, 0);
	/* Another hypercall's return, and a return with nothing pending. */
	run_raw(s->progs.mapgpa_hcall_raw, other, NR_ARGS(other));
	vcpu_event(s->progs.mapgpa_hcall_done_raw, 0, 0, 0);
	vcpu_event(s->progs.mapgpa_hcall_done_raw, 0, 0, 0);

	assert_true(mapgpa_row(s, &ms));
	assert_int_equal(ms.count, 4);
	assert_int_equal(ms.pages, 64);
	assert_int_equal(ms.to_private, 4);
	assert_int_equal(ms.userspace_exits, 1);
	assert_int_equal(ms.chunks, 1);
	assert_int_equal(ms.errors, 1);
	assert_int_equal(ms.retries, 2);
	assert_int_equal(ks_log2_total(ks_slots(ms.lat_slots).v, KS_HIST_SLOTS), 4);
	assert_int_equal(s->bss->mapgpa_pending, 0);
	conversions_bpf__destroy(s);
}

static void test_mapgpa_tdx(void **state)
{
	struct conversions_bpf *s = load_mapgpa(CONV_MAPGPA_TDX | CONV_MAPGPA_HYPERCALL);
	__u64 enc = CONV_MAP_GPA_ENCRYPTED;
	__u64 shared = TDX_SHARED_BIT | 0x40000000;
	struct mapgpa_stats ms;

	(void)state;
	/* 4 MiB to private: two 2 MiB chunks, 2 ms in the VMM each. */
	vcpu_event(s->progs.mapgpa_tdx_raw, 0x100000, 4 << 20, true);
	vcpu_event(s->progs.mapgpa_chunk_raw, 0x100000, 512, enc);
	usleep(2000);
	vcpu_event(s->progs.mapgpa_chunk_raw, 0x300000, 512, enc);
	usleep(2000);
	vcpu_event(s->progs.mapgpa_tdx_done_raw, 0, 0x500000, 0 /* done */);
	assert_true(mapgpa_row(s, &ms));
	assert_int_equal(ms.count, 1);
	assert_int_equal(ms.chunks, 2);
	assert_true(ms.userspace_ns >= 4000000);
	assert_true(ms.lat_sum_ns >= ms.userspace_ns);

	/* To shared, the VMM says EAGAIN on the first chunk: RETRY. */
	vcpu_event(s->progs.mapgpa_tdx_raw, shared, 2 << 20, false);
	vcpu_event(s->progs.mapgpa_chunk_raw, 0x40000000, 512, 0);
	vcpu_event(s->progs.mapgpa_tdx_done_raw, TDVMCALL_RETRY, shared, 2 /* vmm */);
	/* Again, from R11; an event is pending after the first chunk: RETRY. */
	vcpu_event(s->progs.mapgpa_tdx_raw, shared, 4 << 20, false);
	vcpu_event(s->progs.mapgpa_chunk_raw, 0x40000000, 512, 0);
	vcpu_event(s->progs.mapgpa_tdx_done_raw, TDVMCALL_RETRY,
		   shared + (2 << 20), 3 /* event */);
	/* Rejected before any exit: misaligned. */
	vcpu_event(s->progs.mapgpa_tdx_raw, 0x1001, 4096, true);
	vcpu_event(s->progs.mapgpa_tdx_done_raw, TDVMCALL_ALIGN_ERROR, 0x1001,
		   1 /* rejected */);
	/* A VM entry does not end a TDX request; only its done does. */
	vcpu_event(s->progs.mapgpa_tdx_raw, 0x100000, 4096, true);
	vcpu_event(s->progs.mapgpa_entry_raw, 0, 0, 0);
	assert_true(mapgpa_row(s, &ms));
	assert_int_equal(ms.count, 4);
	vcpu_event(s->progs.mapgpa_tdx_done_raw, 0, 0x101000, 0);
	/* A done without its request (attached in between) counts nothing. */
	vcpu_event(s->progs.mapgpa_tdx_done_raw, 0, 0x101000, 0);

	assert_true(mapgpa_row(s, &ms));
	assert_int_equal(ms.count, 5);
	assert_int_equal(ms.pages, 1024 + 512 + 1024 + 1 + 1);
	assert_int_equal(ms.to_private, 3);
	assert_int_equal(ms.userspace_exits, 3);
	assert_int_equal(ms.chunks, 4);
	assert_int_equal(ms.retries, 2);
	assert_int_equal(ms.errors, 1);
	assert_int_equal(ks_log2_total(ks_slots(ms.lat_slots).v, KS_HIST_SLOTS), 5);
	assert_int_equal(s->bss->mapgpa_pending, 0);
	conversions_bpf__destroy(s);
}

static void test_mapgpa_snp(void **state)
{
	struct conversions_bpf *s = load_mapgpa(CONV_MAPGPA_SNP);
	__u64 enc = CONV_MAP_GPA_ENCRYPTED;
	struct mapgpa_stats ms;

	(void)state;
	/* A GHCB buffer: a 2M run to private, then a 4K page to shared. */
	vcpu_event(s->progs.mapgpa_snp_raw, 0, 2, 0);
	vcpu_event(s->progs.mapgpa_chunk_raw, 0x200000, 512, enc | 1 /* 2M */);
	vcpu_event(s->progs.mapgpa_chunk_raw, 0x400000, 1, 0);
	vcpu_event(s->progs.mapgpa_snp_done_raw, 0, 0, 0);
	/* The VMM fails the first range: GENERIC. */
	vcpu_event(s->progs.mapgpa_snp_raw, 0, 0, 0);
	vcpu_event(s->progs.mapgpa_chunk_raw, 0x600000, 1, 0);
	vcpu_event(s->progs.mapgpa_snp_done_raw, PSC_ERROR_GENERIC, 0, 0);
	/* The MSR protocol: one page to private; an unknown operation. */
	vcpu_event(s->progs.mapgpa_snp_msr_raw, 0x800000, 1 /* private */, 0);
	vcpu_event(s->progs.mapgpa_chunk_raw, 0x800000, 1, enc);
	vcpu_event(s->progs.mapgpa_snp_msr_done_raw, false, 0, 0);
	vcpu_event(s->progs.mapgpa_snp_msr_raw, 0x800000, 3, 0);
	vcpu_event(s->progs.mapgpa_snp_msr_done_raw, true, 0, 0);

	assert_true(mapgpa_row(s, &ms));
	assert_int_equal(ms.count, 4);
	assert_int_equal(ms.pages, 513 + 1 + 1 + 1);
	assert_int_equal(ms.to_private, 2);
	assert_int_equal(ms.userspace_exits, 3);
	assert_int_equal(ms.chunks, 4);
	assert_int_equal(ms.retries, 0);
	assert_int_equal(ms.errors, 2);
	assert_int_equal(s->bss->mapgpa_pending, 0);
	conversions_bpf__destroy(s);
}

/* Roles. */

#define BASE_LEVEL4	4ULL
#define BASE_CR0_WP	(1ULL << 13)
#define BASE_GUEST	(1ULL << 17)
#define BASE_SMM	(1ULL << 24)
#define EXT_VALID	(1ULL << 32)
#define EXT_LA57	(1ULL << 38)
#define EXT_LMA		(1ULL << 39)

/* Loaded for VMM @pid (0: all), hashing into @slots slots (0: all). */
static struct mmu_roles_bpf *load_roles(__u32 pid, __u32 slots)
{
	struct mmu_roles_bpf *s = mmu_roles_bpf__open();

	assert_non_null(s);
	s->rodata->targ_pid = pid;
	if (slots)
		s->rodata->roles_slots = slots;
	mmu_roles_select_progs(s, false, false);
	assert_int_equal(mmu_roles_bpf__load(s), 0);
	return s;
}

/* kvm_mmu_role: role @of computed for what the kernel @reported. */
static void role(struct mmu_roles_bpf *s, int of, int reported, __u64 old,
		 __u64 new)
{
	__u64 a[] = { fake.vcpu, (__u64)of, (__u64)reported, old, new };

	run_raw(s->progs.role_of_raw, a, NR_ARGS(a));
}

struct role_sum {
	struct mmu_role_key want;	/* mmu, and computation if count */
	bool computation;
	struct mmu_role_stats row;
	__u64 count;
	bool found;
};

static int sum_slot(void *ctx, __u32 idx, const struct mmu_role_slot *e)
{
	struct role_sum *sum = ctx;
	struct mmu_role_stats row;
	int c;

	(void)idx;
	if (e->key.pid != (__u32)getpid() || e->key.vcpu_id != FAKE_VCPU_ID ||
	    e->key.mmu != sum->want.mmu)
		return 0;
	if (sum->computation) {
		if (!memcmp(&e->key, &sum->want, sizeof(e->key)))
			sum->count += e->count;
		return 0;
	}
	assert_true(mmu_role_entry_row(e, &row));
	sum->found = true;
	sum->row.computed += row.computed;
	sum->row.changed += row.changed;
	sum->row.unchanged += row.unchanged;
	for (c = 0; c < MMU_ROLE_NR_CAUSES; c++)
		sum->row.cause[c] += row.cause[c];
	memcpy(sum->row.stats_id, row.stats_id, sizeof(sum->row.stats_id));
	return 0;
}

/*
 * The row of this process's fake vCPU and role @mmu as the readers see it:
 * the sum of its slots' mmu_role_entry_row().
 */
static bool role_stats(struct mmu_roles_bpf *s, int mmu,
		       struct mmu_role_stats *out)
{
	struct role_sum sum = { .want.mmu = mmu };

	assert_int_equal(mmu_roles_read(bpf_map__fd(s->maps.roles), sum_slot,
					&sum, NULL), 0);
	*out = sum.row;
	return sum.found;
}

/* The count of computation @mmu, @cause, @old to @new of the fake vCPU. */
static __u64 role_count(struct mmu_roles_bpf *s, int mmu, int cause,
			__u64 old, __u64 new)
{
	struct role_sum sum = {
		.want = {
			.pid = getpid(), .vcpu_id = FAKE_VCPU_ID, .mmu = mmu,
			.cause = cause, .old_role = old, .new_role = new,
		},
		.computation = true,
	};

	assert_int_equal(mmu_roles_read(bpf_map__fd(s->maps.roles), sum_slot,
					&sum, NULL), 0);
	return sum.count;
}

/* Slots in use. */
static __u32 role_slots(struct mmu_roles_bpf *s)
{
	struct role_sum sum = { .want.mmu = NR_MMU_KINDS };	/* none */
	__u32 used;

	assert_int_equal(mmu_roles_read(bpf_map__fd(s->maps.roles), sum_slot,
					&sum, &used), 0);
	return used;
}

static int count_keys(int fd, size_t key_size)
{
	char key[64], next[64];
	void *prev = NULL;
	int n = 0;

	assert_true(key_size <= sizeof(key));
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

/* Resets of one role: the bits that moved tell why it changed. */
static void test_roles_changed_unchanged(void **state)
{
	struct mmu_roles_bpf *s = load_roles(0, 0);
	__u64 l1 = EXT_VALID | EXT_LMA | BASE_CR0_WP | BASE_LEVEL4;
	struct mmu_role_stats rs;

	(void)state;
	role(s, MMU_GVA_WALK, MMU_REPORTED_RESET, l1, l1);	/* unchanged */
	role(s, MMU_GVA_WALK, MMU_REPORTED_RESET, l1, l1);	/* unchanged */
	role(s, MMU_GVA_WALK, MMU_REPORTED_RESET, 0, l1);	/* init: !valid */
	role(s, MMU_GVA_WALK, MMU_REPORTED_RESET, l1, l1 | BASE_GUEST); /* nested */
	role(s, MMU_GVA_WALK, MMU_REPORTED_RESET, l1, l1 | BASE_SMM);	/* smm */
	role(s, MMU_GVA_WALK, MMU_REPORTED_RESET, l1 & ~BASE_CR0_WP, l1); /* mode */
	role(s, MMU_GVA_WALK, MMU_REPORTED_RESET, l1 & ~BASE_CR0_WP, l1); /* again */
	role(s, MMU_GVA_WALK, MMU_REPORTED_RESET, l1, l1 | EXT_LA57);	/* ext only */
	role(s, MMU_ROOT, MMU_REPORTED_RESET, 4, 4);		/* another role */

	assert_true(role_stats(s, MMU_GVA_WALK, &rs));
	assert_string_equal(rs.stats_id, FAKE_STATS_ID);	/* vcpu->kvm */
	assert_int_equal(rs.computed, 8);
	assert_int_equal(rs.unchanged, 2);
	assert_int_equal(rs.changed, 6);
	assert_int_equal(rs.cause[MMU_ROLE_CAUSE_INIT], 1);
	assert_int_equal(rs.cause[MMU_ROLE_CAUSE_NESTED], 1);
	assert_int_equal(rs.cause[MMU_ROLE_CAUSE_SMM], 1);
	assert_int_equal(rs.cause[MMU_ROLE_CAUSE_MODE], 3);
	assert_true(role_stats(s, MMU_ROOT, &rs));
	assert_int_equal(rs.computed, 1);
	assert_int_equal(rs.unchanged, 1);
	assert_int_equal(rs.changed, 0);
	assert_false(role_stats(s, MMU_GUEST, &rs));

	/*
	 * A slot per distinct computation: 5 changed transitions (the
	 * CR0.WP one twice), the walker's and the root's unchanged words.
	 */
	assert_int_equal(role_slots(s), 7);
	assert_int_equal(role_count(s, MMU_GVA_WALK, MMU_ROLE_CAUSE_MODE,
				    l1 & ~BASE_CR0_WP, l1), 2);
	assert_int_equal(role_count(s, MMU_GVA_WALK, MMU_ROLE_CAUSE_INIT, l1, l1), 2);
	mmu_roles_bpf__destroy(s);
}

/* The kernel's cause where it gives one, and what it means per role. */
static void test_roles_reported(void **state)
{
	struct mmu_roles_bpf *s = load_roles(0, 0);
	__u64 l1 = EXT_VALID | EXT_LMA | BASE_CR0_WP | BASE_LEVEL4;
	struct mmu_role_stats rs;

	(void)state;
	/* GVA walker: unchanged, CPUID, CR0.WP, a reset into SMM. */
	role(s, MMU_GVA_WALK, MMU_REPORTED_RESET, l1, l1);
	role(s, MMU_GVA_WALK, MMU_REPORTED_CPUID, l1 & ~EXT_VALID, l1);
	role(s, MMU_GVA_WALK, MMU_REPORTED_CR0_WP, l1, l1 & ~BASE_CR0_WP);
	role(s, MMU_GVA_WALK, MMU_REPORTED_RESET, l1, l1 | BASE_SMM);
	/* Nested GPA walker: NPT, EPT. */
	role(s, MMU_NGPA_WALK, MMU_REPORTED_NPT, 0, l1);
	role(s, MMU_NGPA_WALK, MMU_REPORTED_EPT, l1 & ~BASE_CR0_WP, l1);
	/* Root MMU: a reset into guest mode; guest MMU: unchanged. */
	role(s, MMU_ROOT, MMU_REPORTED_RESET, 4, 4 | BASE_GUEST);
	role(s, MMU_GUEST, MMU_REPORTED_NPT, 4, 4);
	/* A role this tool cannot name: lost, not filed under another. */
	role(s, NR_MMU_KINDS, MMU_REPORTED_RESET, 4, 5);

	assert_true(role_stats(s, MMU_GVA_WALK, &rs));
	assert_int_equal(rs.computed, 4);
	assert_int_equal(rs.unchanged, 1);
	assert_int_equal(rs.cause[MMU_ROLE_CAUSE_INIT], 1);
	assert_int_equal(rs.cause[MMU_ROLE_CAUSE_MODE], 1);
	assert_int_equal(rs.cause[MMU_ROLE_CAUSE_SMM], 1);
	assert_true(role_stats(s, MMU_NGPA_WALK, &rs));
	assert_int_equal(rs.changed, 2);
	assert_int_equal(rs.cause[MMU_ROLE_CAUSE_NESTED], 2);
	assert_true(role_stats(s, MMU_ROOT, &rs));
	assert_int_equal(rs.cause[MMU_ROLE_CAUSE_NESTED], 1);
	assert_string_equal(rs.stats_id, FAKE_STATS_ID);
	assert_true(role_stats(s, MMU_GUEST, &rs));
	assert_int_equal(rs.unchanged, 1);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_UNKNOWN_ROLE), 1);
	/*
	 * Transitions keep their role's one word and their cause: an MMU's
	 * root_role words, the cause from the bits; the kernel's word,
	 * though the bits would say init.
	 */
	assert_int_equal(role_count(s, MMU_ROOT, MMU_ROLE_CAUSE_NESTED,
				    4, 4 | BASE_GUEST), 1);
	assert_int_equal(role_count(s, MMU_NGPA_WALK, MMU_ROLE_CAUSE_NESTED,
				    0, l1), 1);
	mmu_roles_bpf__destroy(s);
}

static void test_roles_filter_and_lost(void **state)
{
	struct mmu_roles_bpf *s = load_roles(getppid(), 0);
	struct mmu_role_stats rs;

	(void)state;
	role(s, MMU_ROOT, MMU_REPORTED_RESET, 0, 4);
	assert_false(role_stats(s, MMU_ROOT, &rs));
	mmu_roles_bpf__destroy(s);

	/*
	 * One slot to hash into: a second changed computation finds none
	 * free, is missing from its row and its transition, and counted as
	 * such; a second unchanged one from its row only.
	 */
	s = load_roles(getpid(), 1);
	role(s, MMU_ROOT, MMU_REPORTED_RESET, 0, 4);
	role(s, MMU_ROOT, MMU_REPORTED_RESET, 0, 5);	/* 2nd transition */
	role(s, MMU_ROOT, MMU_REPORTED_RESET, 4, 4);	/* unchanged */
	role(s, MMU_ROOT, MMU_REPORTED_RESET, 0, 4);	/* in its slot */
	assert_true(role_stats(s, MMU_ROOT, &rs));
	assert_int_equal(rs.changed, 2);
	assert_int_equal(rs.unchanged, 0);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_STATS_FULL), 2);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_TRANS_FULL), 1);
	mmu_roles_bpf__destroy(s);
}

/* Hot paths in steady state. */

#define MAX_HASH_MAPS	16

/* The number of keys of each hash map of @obj, in object order. */
static int hash_key_counts(struct bpf_object *obj, int *counts)
{
	struct bpf_map *map;
	int n = 0;

	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_HASH)
			continue;
		assert_true(n < MAX_HASH_MAPS);
		counts[n++] = count_keys(bpf_map__fd(map), bpf_map__key_size(map));
	}
	return n;
}

/*
 * Once a VM's rows and its threads' entries exist, no conversion or MapGPA
 * event inserts or deletes a hash entry: an insert and a delete cost more
 * than bpftrace's whole count() on the same event.  Checked after each
 * event, where a per-event insert shows before its delete.
 */
static void test_steady_state_no_inserts(void **state)
{
	struct conv_opts o = {};
	struct conversions_bpf *s = load_conv(&o);
	__u64 hcall[] = { CONV_KVM_HC_MAP_GPA_RANGE, 0x100000, 16, 0, 0 };
	__u64 uexit[] = { 3 /* KVM_EXIT_HYPERCALL */, 0 };
	__u64 entry[] = { fake.vcpu, 0 };
	int base[MAX_HASH_MAPS], now[MAX_HASH_MAPS], n, round, step;

	(void)state;
	for (round = 0; round < 2; round++) {
		for (step = 0; step < 6; step++) {
			switch (step) {
			case 0: run_raw(s->progs.mapgpa_hcall_raw, hcall, NR_ARGS(hcall)); break;
			case 1: run_raw(s->progs.mapgpa_uexit_raw, uexit, NR_ARGS(uexit)); break;
			case 2: conv_begin(s, 0x100, 0x110, CONV_ATTR_PRIVATE); break;
			case 3: conv_zap(s, 16, 0, 0, 1, 1); break;
			case 4: conv_done(s, 0x100, 0x110, CONV_ATTR_PRIVATE, 0, false, true); break;
			case 5: run_raw(s->progs.mapgpa_entry_raw, entry, NR_ARGS(entry)); break;
			}
			if (!round)
				continue;	/* the first round makes them */
			n = hash_key_counts(s->obj, now);
			assert_memory_equal(now, base, n * sizeof(now[0]));
		}
		if (!round)
			hash_key_counts(s->obj, base);
	}
	assert_true(hash_key_counts(s->obj, now) >= 5);	/* the maps are seen */
	assert_int_equal(s->bss->mapgpa_pending, 0);
	conversions_bpf__destroy(s);
}

/*
 * Once a vCPU's computations have their slots, a computation, changed or
 * not, adds to its slot and claims none; and the exporter's deletion of
 * a VMM frees its slots for the next.
 */
static void test_roles_steady_state(void **state)
{
	struct mmu_roles_bpf *s = load_roles(0, 0);
	__u64 l1 = EXT_VALID | EXT_LMA | BASE_CR0_WP | BASE_LEVEL4;
	struct roles_probe p = { .roles_fd = bpf_map__fd(s->maps.roles) };
	struct mmu_role_stats rs;
	int round, step;

	(void)state;
	for (round = 0; round < 2; round++) {
		for (step = 0; step < 4; step++) {
			switch (step) {
			case 0: role(s, MMU_GVA_WALK, MMU_REPORTED_RESET, l1, l1); break;
			case 1: role(s, MMU_GVA_WALK, MMU_REPORTED_CR0_WP, l1, l1 & ~BASE_CR0_WP); break;
			case 2: role(s, MMU_ROOT, MMU_REPORTED_RESET, 4, 4 | BASE_GUEST); break;
			case 3: role(s, MMU_ROOT, MMU_REPORTED_RESET, 4 | BASE_GUEST, 4); break;
			}
			/* The first round claims them, the second none. */
			assert_int_equal(role_slots(s), round ? 4 : step + 1);
		}
	}
	assert_true(role_stats(s, MMU_GVA_WALK, &rs));
	assert_int_equal(rs.unchanged, 2);
	assert_int_equal(rs.cause[MMU_ROLE_CAUSE_MODE], 2);
	assert_true(role_stats(s, MMU_ROOT, &rs));
	assert_int_equal(rs.cause[MMU_ROLE_CAUSE_NESTED], 4);
	assert_int_equal(lost(bpf_map__fd(s->maps.lost), TDX_LOST_STATS_FULL), 0);

	roles_probe_delete_pid(&p, getpid() + 1);	/* another VMM's */
	assert_int_equal(role_slots(s), 4);
	roles_probe_delete_pid(&p, getpid());
	assert_int_equal(role_slots(s), 0);
	role(s, MMU_ROOT, MMU_REPORTED_RESET, 4, 4);
	assert_true(role_stats(s, MMU_ROOT, &rs));
	assert_int_equal(rs.computed, 1);
	mmu_roles_bpf__destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fallback_loads),
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_attr_event_fallback),
		cmocka_unit_test(test_ioctl_fallback_vm_only),
		cmocka_unit_test(test_conversion_correlated),
		cmocka_unit_test(test_conversion_noop_shared),
		cmocka_unit_test(test_duration_sum),
		cmocka_unit_test(test_log2_slots),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_vm_identity),
		cmocka_unit_test(test_vm_filter_at_done),
		cmocka_unit_test(test_lost_ringbuf),
		cmocka_unit_test(test_lost_stats_full),
		cmocka_unit_test(test_lost_inflight_full),
		cmocka_unit_test(test_thread_entry_taken),
		cmocka_unit_test(test_mapgpa_thread_entry_taken),
		cmocka_unit_test(test_mapgpa_latency),
		cmocka_unit_test(test_thread_exit_forgets),
		cmocka_unit_test(test_slot_reuse_after_exit),
		cmocka_unit_test(test_pid_reuse_new_slot),
		cmocka_unit_test(test_vmm_comm),
		cmocka_unit_test(test_roles_changed_unchanged),
		cmocka_unit_test(test_roles_filter_and_lost),
		cmocka_unit_test(test_roles_reported),
		cmocka_unit_test(test_mapgpa_vmm_cap),
		cmocka_unit_test(test_mapgpa_row_reuse),
		cmocka_unit_test(test_mapgpa_hcall_done),
		cmocka_unit_test(test_mapgpa_tdx),
		cmocka_unit_test(test_mapgpa_snp),
		cmocka_unit_test(test_steady_state_no_inserts),
		cmocka_unit_test(test_roles_steady_state),
	};

	return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
