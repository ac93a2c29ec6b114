// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Drives hvflush's raw_tp programs with BPF_PROG_TEST_RUN and prints the
 * resulting maps as one JSON object, for tests/bpf/30-hvflush-top.sh.
 *
 *	hvflush-driver [--max-rows N] [--targ-pid self] OP...
 *
 *	enq:VCPU:FIFO[:req=N][:ins=N][:flushall][:len=N] kvm_hv_flush_tlb_enqueue
 *	deq:VCPU:FIFO:COUNT[:flushall][:purge]		kvm_hv_flush_tlb_dequeue
 *	[b@]inject:svm|vmx:CODE[:INFO1]			kvm_nested_vmexit_inject
 *	[b@]hc:FIFO[:ex]				kvm_hv_flush_tlb{,_ex}
 *	exit:b						VMM b exits
 *	sleep:USEC
 *	gen:N						set max_gen (the 'r' key)
 *	collect						read the rows as hvflush-top does
 *
 * VCPU is "null" or [a|b]ID: vCPU ID of fake VM a (the default) or b.
 * Each VM's events run in a real process, its VMM, as KVM's do: VM a's in
 * this one, VM b's in a child started by its first event; "b@" runs a
 * vCPU-less event there too.  "exit:b" ends that child (the BPF program
 * of sched_process_exit is attached and sees it); VM b's next event starts
 * a new VMM, its VM at the same struct kvm address.  KVM names a VM after
 * the thread that created it: the fake VMs say threads 4242 and 4343
 * (userspace_pid, stats_id "kvm-<tid>"), which are not their VMMs.
 * --targ-pid self filters on this process, VM a's VMM (VMM b is forked
 * after the load, to inherit the programs, and the filter is rodata).
 * An enqueue requests and inserts one range unless req= or ins= say
 * otherwise.  "collect" runs hv_read_rows() (which deletes rows of exited
 * VMMs) and adds what it returned as "collected" to the output, before the
 * map's rows; "vmms" lists every VMM's pid.  FIFO is L1 or L2.  The fake
 * struct kvm and kvm_vcpu live in kernel memory (tests/bpf/fake_kmem.bpf.c),
 * laid out with the running kernel's BTF, because the handlers read them
 * with CO-RE probe reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "fake_kmem.skel.h"
#include "hvflush.skel.h"
#include "json_writer.h"
#include "percpu.h"
#include "probe_hvflush.h"
#include "stats.h"

#define NR_VMS		2
#define MAX_VCPUS	6	/* fake_kmem's objects after the VMs */

/* The threads that created the VMs, as KVM's stats ids name them. */
static const int creators[NR_VMS] = { 4242, 4343 };

/* One event, as VMM b's process is asked to run it. */
struct vmm_call {
	int prog_fd;
	int nr_args;
	__u64 args[6];
};

/* VMM b: a child running the events of VM b; pid 0 when there is none. */
static struct {
	pid_t pid;
	int call, reply;	/* pipes to and from it */
} vmm_b;

/* The pids of every VMM started, this process first. */
static pid_t vmm_pids[16];
static int nr_vmm_pids;

/* Where the running kernel keeps what the handlers read. */
struct layout {
	__u32 kvm_size, vcpu_size;
	__u32 vcpu_kvm, vcpu_id, kvm_pid, kvm_stats_id;
};

struct fake {
	struct fake_kmem_bpf *skel;
	struct layout l;
	__u32 obj_size;
	struct { int vm, id; } vcpus[MAX_VCPUS];
	int nr_vcpus;
};

static int die(const char *what, int err)
{
	fprintf(stderr, "hvflush-driver: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static __u32 member_offset(const struct btf *btf, const char *type,
			   const char *member, __u32 *size)
{
	const struct btf_member *m;
	const struct btf_type *t;
	int id, i;

	id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	if (id < 0)
		die(type, id);
	t = btf__type_by_id(btf, id);
	*size = t->size;
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return btf_member_bit_offset(t, i) / 8;
	die(member, ENOENT);
	return 0;
}

static void load_layout(struct layout *l)
{
	struct btf *btf = btf__load_vmlinux_btf();

	if (!btf)
		die("vmlinux BTF (KVM built in?)", errno);
	l->vcpu_kvm = member_offset(btf, "kvm_vcpu", "kvm", &l->vcpu_size);
	l->vcpu_id = member_offset(btf, "kvm_vcpu", "vcpu_id", &l->vcpu_size);
	l->kvm_pid = member_offset(btf, "kvm", "userspace_pid", &l->kvm_size);
	l->kvm_stats_id = member_offset(btf, "kvm", "stats_id", &l->kvm_size);
	btf__free(btf);
}

static void fake_open(struct fake *f)
{
	int err;

	load_layout(&f->l);
	f->obj_size = f->l.kvm_size > f->l.vcpu_size ? f->l.kvm_size :
						       f->l.vcpu_size;
	f->skel = fake_kmem_bpf__open();
	if (!f->skel)
		die("open fake_kmem", errno);
	bpf_map__set_value_size(f->skel->maps.objs, f->obj_size);
	err = fake_kmem_bpf__load(f->skel);
	if (err)
		die("load fake_kmem", err);
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	err = bpf_prog_test_run_opts(bpf_program__fd(f->skel->progs.publish_addrs),
				     &opts);
	if (err)
		die("publish_addrs", err);
}

static void fake_write(struct fake *f, __u32 idx, const void *obj)
{
	int err = bpf_map_update_elem(bpf_map__fd(f->skel->maps.objs), &idx,
				      obj, BPF_ANY);
	if (err)
		die("write fake object", err);
}

static void fake_vms(struct fake *f)
{
	char *obj = calloc(1, f->obj_size);
	int vm;

	if (!obj)
		die("calloc", ENOMEM);
	for (vm = 0; vm < NR_VMS; vm++) {
		memset(obj, 0, f->obj_size);
		memcpy(obj + f->l.kvm_pid, &creators[vm], sizeof(int));
		snprintf(obj + f->l.kvm_stats_id, KS_STATS_ID_LEN,
			 "kvm-%d", creators[vm]);
		fake_write(f, vm, obj);
	}
	free(obj);
}

/* The kernel address of the fake vCPU @id of @vm, created on first use. */
static __u64 fake_vcpu(struct fake *f, int vm, int id)
{
	__u64 kvm = f->skel->bss->addrs[vm];
	char *obj;
	int i;

	for (i = 0; i < f->nr_vcpus; i++)
		if (f->vcpus[i].vm == vm && f->vcpus[i].id == id)
			return f->skel->bss->addrs[NR_VMS + i];
	if (f->nr_vcpus == MAX_VCPUS)
		die("too many fake vCPUs", E2BIG);
	obj = calloc(1, f->obj_size);
	if (!obj)
		die("calloc", ENOMEM);
	memcpy(obj + f->l.vcpu_kvm, &kvm, sizeof(kvm));
	memcpy(obj + f->l.vcpu_id, &id, sizeof(id));
	fake_write(f, NR_VMS + f->nr_vcpus, obj);
	free(obj);
	f->vcpus[f->nr_vcpus].vm = vm;
	f->vcpus[f->nr_vcpus].id = id;
	return f->skel->bss->addrs[NR_VMS + f->nr_vcpus++];
}

/* The vCPU @s names, and in *@vm whose VMM runs its events. */
static __u64 parse_vcpu(struct fake *f, const char *s, int *vm)
{
	if (!strcmp(s, "null"))
		return 0;
	if (*s == 'a' || *s == 'b')
		*vm = *s++ - 'a';
	return fake_vcpu(f, *vm, atoi(s));
}

static bool has_flag(char *const *tok, int n, const char *flag)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(tok[i], flag))
			return true;
	return false;
}

static __u64 flag_value(char *const *tok, int n, const char *prefix, __u64 def)
{
	size_t len = strlen(prefix);
	int i;

	for (i = 0; i < n; i++)
		if (!strncmp(tok[i], prefix, len))
			return strtoull(tok[i] + len, NULL, 10);
	return def;
}

static int test_run(const struct vmm_call *c)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = c->args,
		    .ctx_size_in = c->nr_args * sizeof(__u64));

	return bpf_prog_test_run_opts(c->prog_fd, &opts);
}

/* VMM b's loop: run each event asked for, answer with its result. */
static void vmm_serve(int call, int reply)
{
	struct vmm_call c;
	int err;

	while (read(call, &c, sizeof(c)) == sizeof(c)) {
		err = test_run(&c);
		if (write(reply, &err, sizeof(err)) != sizeof(err))
			break;
	}
	_exit(0);
}

static void vmm_b_start(void)
{
	int call[2], reply[2];

	if (nr_vmm_pids == (int)(sizeof(vmm_pids) / sizeof(vmm_pids[0])))
		die("too many VMMs", E2BIG);
	if (pipe(call) || pipe(reply))
		die("pipe", errno);
	vmm_b.pid = fork();
	if (vmm_b.pid < 0)
		die("fork", errno);
	if (!vmm_b.pid) {
		close(call[1]);
		close(reply[0]);
		vmm_serve(call[0], reply[1]);
	}
	close(call[0]);
	close(reply[1]);
	vmm_b.call = call[1];
	vmm_b.reply = reply[0];
	vmm_pids[nr_vmm_pids++] = vmm_b.pid;
}

/* VMM b exits (its pipe closes) and is reaped. */
static void vmm_b_exit(void)
{
	int status;

	if (!vmm_b.pid)
		return;
	close(vmm_b.call);
	close(vmm_b.reply);
	if (waitpid(vmm_b.pid, &status, 0) != vmm_b.pid)
		die("waitpid", errno);
	vmm_b.pid = 0;
}

/* Run @prog in the process of VM @vm's VMM. */
static void run(int vm, struct bpf_program *prog, __u64 *args, int nr_args)
{
	struct vmm_call c = { .prog_fd = bpf_program__fd(prog),
			      .nr_args = nr_args };
	int err;

	memcpy(c.args, args, nr_args * sizeof(*args));
	if (!vm) {
		err = test_run(&c);
	} else {
		if (!vmm_b.pid)
			vmm_b_start();
		if (write(vmm_b.call, &c, sizeof(c)) != sizeof(c) ||
		    read(vmm_b.reply, &err, sizeof(err)) != sizeof(err))
			die("VMM b", EPIPE);
	}
	if (err)
		die(bpf_program__name(prog), err);
}

/* What hv_read_rows() returned for the "collect" op. */
static struct hv_raw_row *collected;
static size_t nr_collected;
static bool did_collect;

static void collect(struct hvflush_bpf *obj)
{
	struct hv_names names = {};
	int err;

	free(collected);
	err = hv_read_rows(bpf_map__fd(obj->maps.rows), &names, &collected,
			   &nr_collected);
	if (err)
		die("hv_read_rows", err);
	hv_names_free(&names);
	did_collect = true;
}

static void run_op(struct hvflush_bpf *obj, struct fake *f, char *op)
{
	char *tok[8] = { "" };
	int n = 0, vm = 0;
	__u64 a[6];

	if (!strncmp(op, "b@", 2)) {
		vm = 1;
		op += 2;
	}
	for (char *t = strtok(op, ":"); t && n < 8; t = strtok(NULL, ":"))
		tok[n++] = t;
	if (n >= 3 && !strcmp(tok[0], "enq")) {
		a[0] = parse_vcpu(f, tok[1], &vm);
		a[1] = !strcmp(tok[2], "L2");
		a[2] = flag_value(tok, n, "req=", 1);
		a[3] = flag_value(tok, n, "ins=", 1);
		a[4] = has_flag(tok, n, "flushall");
		a[5] = flag_value(tok, n, "len=", 0);
		run(vm, obj->progs.flush_enqueue_raw, a, 6);
	} else if (n >= 4 && !strcmp(tok[0], "deq")) {
		a[0] = parse_vcpu(f, tok[1], &vm);
		a[1] = !strcmp(tok[2], "L2");
		a[2] = strtoull(tok[3], NULL, 10);
		a[3] = has_flag(tok, n, "flushall");
		a[4] = has_flag(tok, n, "purge");
		run(vm, obj->progs.flush_dequeue_raw, a, 5);
	} else if (n >= 3 && !strcmp(tok[0], "inject")) {
		memset(a, 0, sizeof(a));
		a[0] = strtoull(tok[2], NULL, 0);		/* exit_code */
		a[1] = n > 3 ? strtoull(tok[3], NULL, 0) : 0;	/* exit_info1 */
		a[5] = !strcmp(tok[1], "svm") ? 2 : 1;		/* KVM_ISA_* */
		run(vm, obj->progs.vmexit_inject_raw, a, 6);
	} else if (n >= 2 && !strcmp(tok[0], "hc")) {
		bool ex = has_flag(tok, n, "ex");

		memset(a, 0, sizeof(a));
		a[ex ? 4 : 3] = !strcmp(tok[1], "L2");
		run(vm, ex ? obj->progs.flush_tlb_ex_raw : obj->progs.flush_tlb_raw,
		    a, ex ? 5 : 4);
	} else if (n == 2 && !strcmp(tok[0], "exit") && !strcmp(tok[1], "b")) {
		vmm_b_exit();
	} else if (n == 2 && !strcmp(tok[0], "sleep")) {
		__u64 us = strtoull(tok[1], NULL, 10);
		struct timespec ts = { us / 1000000, us % 1000000 * 1000 };

		nanosleep(&ts, NULL);
	} else if (n == 2 && !strcmp(tok[0], "gen")) {
		obj->bss->max_gen = strtoull(tok[1], NULL, 10);
	} else if (n == 1 && !strcmp(tok[0], "collect")) {
		collect(obj);
	} else {
		fprintf(stderr, "hvflush-driver: bad op '%s'\n", tok[0]);
		exit(2);
	}
}

static void dump_row(json_writer_t *w, const struct fake *f,
		     const struct hvflush_key *k, const struct hvflush_row *r)
{
	int i, vm = k->kvm == f->skel->bss->addrs[1];

	jsonw_start_object(w);
	jsonw_string_field(w, "vm", vm ? "b" : "a");
	jsonw_int_field(w, "vcpu", k->vcpu_id);
	jsonw_string_field(w, "fifo", hv_fifo_name(k->fifo));
	jsonw_uint_field(w, "pid", k->pid);
	jsonw_string_field(w, "stats_id", r->stats_id);
	jsonw_uint_field(w, "oldest_ns", r->oldest_ns);
	jsonw_uint_field(w, "pending", r->pending);
	jsonw_uint_field(w, "enqueues", r->enqueues);
	jsonw_uint_field(w, "overflows", r->overflows);
	jsonw_uint_field(w, "flush_all", r->flush_all);
	jsonw_uint_field(w, "fifo_len", r->fifo_len);
	jsonw_uint_field(w, "drains", r->drains);
	jsonw_uint_field(w, "purges", r->purges);
	jsonw_uint_field(w, "full_flushes", r->full_flushes);
	jsonw_uint_field(w, "sum_ns", r->sum_ns);
	jsonw_uint_field(w, "max_ns", r->max_ns);
	jsonw_uint_field(w, "max_gen", r->max_gen);
	jsonw_name(w, "slots");
	jsonw_start_array(w);
	for (i = 0; i < KS_HIST_SLOTS; i++)
		jsonw_uint(w, r->slots[i]);
	jsonw_end_array(w);
	jsonw_end_object(w);
}

static void dump(struct hvflush_bpf *obj, const struct fake *f)
{
	int rows_fd = bpf_map__fd(obj->maps.rows);
	uint64_t counters[HVFLUSH_NR_COUNTERS];
	struct hvflush_key key, *prev = NULL;
	json_writer_t *w = jsonw_new(stdout);
	struct hvflush_row row;
	int c, err;

	err = ks_percpu_sums(bpf_map__fd(obj->maps.counters), counters,
			     HVFLUSH_NR_COUNTERS);
	counters[HVFLUSH_MISSED] = ks_probe_missed(obj->obj);
	if (err || !w)
		die("read counters", err ? err : ENOMEM);
	jsonw_start_object(w);
	jsonw_name(w, "counters");
	jsonw_start_object(w);
	for (c = 0; c < HVFLUSH_NR_COUNTERS; c++)
		jsonw_uint_field(w, hv_counter_name(c), counters[c]);
	jsonw_end_object(w);
	if (did_collect) {
		jsonw_name(w, "collected");
		jsonw_start_array(w);
		for (size_t i = 0; i < nr_collected; i++) {
			jsonw_start_object(w);
			jsonw_uint_field(w, "pid", collected[i].key.pid);
			jsonw_int_field(w, "vcpu", collected[i].key.vcpu_id);
			jsonw_string_field(w, "fifo", hv_fifo_name(collected[i].key.fifo));
			jsonw_uint_field(w, "enqueues", collected[i].val.enqueues);
			jsonw_bool_field(w, "exited", collected[i].exited);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
	}
	jsonw_name(w, "vmms");
	jsonw_start_array(w);
	for (c = 0; c < nr_vmm_pids; c++)
		jsonw_int(w, vmm_pids[c]);
	jsonw_end_array(w);
	jsonw_name(w, "rows");
	jsonw_start_array(w);
	while (!bpf_map_get_next_key(rows_fd, prev, &key)) {
		if (bpf_map_lookup_elem(rows_fd, &key, &row))
			die("lookup row", errno);
		dump_row(w, f, &key, &row);
		prev = &key;
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
	jsonw_destroy(&w);
}

int main(int argc, char **argv)
{
	struct fake f = {};
	struct hvflush_bpf *obj;
	struct bpf_program *prog;
	struct bpf_link *exit_link;
	int i = 1, err;

	vmm_pids[nr_vmm_pids++] = getpid();
	obj = hvflush_bpf__open();
	if (!obj)
		die("open hvflush", errno);
	for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		if (!strcmp(argv[i], "--max-rows"))
			bpf_map__set_max_entries(obj->maps.rows, atoi(argv[i + 1]));
		else if (!strcmp(argv[i], "--targ-pid") &&
			 !strcmp(argv[i + 1], "self"))
			obj->rodata->targ_pid = getpid();
		else
			die(argv[i], EINVAL);
	}
	/*
	 * The raw_tp twins only: tp_btf needs the series in the kernel, and
	 * the host refuses fentry (kvm_destroy_vm).  The exits of processes
	 * are real: their program is attached.
	 */
	bpf_object__for_each_program(prog, obj->obj)
		bpf_program__set_autoload(prog, strstr(bpf_program__name(prog),
						       "_raw") != NULL);
	bpf_program__set_autoload(obj->progs.vmm_exit, true);
	err = hvflush_bpf__load(obj);
	if (err)
		die("load hvflush", err);
	exit_link = bpf_program__attach(obj->progs.vmm_exit);
	if (!exit_link)
		die("attach vmm_exit", errno);

	fake_open(&f);
	fake_vms(&f);
	for (; i < argc; i++)
		run_op(obj, &f, argv[i]);
	vmm_b_exit();
	dump(obj, &f);

	bpf_link__destroy(exit_link);
	free(collected);
	fake_kmem_bpf__destroy(f.skel);
	hvflush_bpf__destroy(obj);
	return 0;
}
