// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tdx-trace roles: per interval, MMU role recomputations per VM, vCPU and
 * MMU, changed vs unchanged, by cause, the most frequent transitions
 * decoded, and (where fentry can attach) what kvm_init_mmu() costs.
 * Needs the kvmscope series: there is no upstream event to fall back to.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "grow.h"
#include "hist.h"
#include "mapdump.h"
#include "mode.h"
#include "output.h"
#include "percpu.h"
#include "probe_roles.h"
#include "role_decode.h"
#include "run.h"
#include "runtime.h"
#include "termtext.h"

#define TOP_TRANSITIONS 10

/* A row: one VM's vCPU's role. */
struct role_key {
	__u32 pid;
	__u32 vcpu_id;
	__u32 mmu;		/* enum mmu_kind */
};

struct role_entry {
	struct role_key key;
	struct mmu_role_stats s;
};

/* A distinct changed transition of one VMM's role, over its vCPUs. */
struct trans_key {
	__u64 old_role;
	__u64 new_role;
	__u32 pid;
	__u32 mmu;		/* enum mmu_kind */
	__u32 cause;		/* enum mmu_role_cause */
	__u32 pad;
};

struct trans_entry {
	struct trans_key key;
	uint64_t count;
};

struct role_table {
	struct role_entry *roles;
	size_t nr_roles, cap_roles;
	struct trans_entry *trans;
	size_t nr_trans, cap_trans;
	uint64_t init_cost[KS_HIST_SLOTS];
};

struct roles_ctx {
	struct tdx_run run;		/* first: the run's ops get it */
	struct ks_mode mode;
	struct roles_probe probe;
	struct role_table interval, total;
	uint64_t init_cost_seen[KS_HIST_SLOTS];	/* kernel's cumulative */
};

static int add_role(struct role_table *t, const struct role_key *k,
		    const struct mmu_role_stats *s)
{
	struct role_entry *e = ks_grow_row((void **)&t->roles, &t->nr_roles,
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

static int add_trans(struct role_table *t, const struct trans_key *k,
		     uint64_t count)
{
	struct trans_entry *e = ks_grow_row((void **)&t->trans, &t->nr_trans,
					    &t->cap_trans, k, sizeof(*k),
					    sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->count += count;
	return 0;
}

static int merge(struct role_table *dst, const struct role_table *src)
{
	size_t i;
	int s;

	for (i = 0; i < src->nr_roles; i++)
		if (add_role(dst, &src->roles[i].key, &src->roles[i].s))
			return -ENOMEM;
	for (i = 0; i < src->nr_trans; i++)
		if (add_trans(dst, &src->trans[i].key, src->trans[i].count))
			return -ENOMEM;
	for (s = 0; s < KS_HIST_SLOTS; s++)
		dst->init_cost[s] += src->init_cost[s];
	return 0;
}

static void clear(struct role_table *t)
{
	t->nr_roles = t->nr_trans = 0;
	memset(t->init_cost, 0, sizeof(t->init_cost));
}

static void release(struct role_table *t)
{
	free(t->roles);
	free(t->trans);
	memset(t, 0, sizeof(*t));
}

static int cmp_role(const void *a, const void *b)
{
	const struct role_key *x = &((const struct role_entry *)a)->key;
	const struct role_key *y = &((const struct role_entry *)b)->key;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->vcpu_id != y->vcpu_id)
		return x->vcpu_id < y->vcpu_id ? -1 : 1;
	return x->mmu < y->mmu ? -1 : x->mmu > y->mmu;
}

/*
 * Most frequent first; ties in a fixed order, so that which ones make the top
 * does not depend on the order the kernel's map hands them out.
 */
static int cmp_trans(const void *a, const void *b)
{
	const struct trans_entry *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

/* kvm_init_mmu cost is a per-CPU array never reset: report the delta. */
static int read_init_cost(struct roles_ctx *ctx, uint64_t out[KS_HIST_SLOTS])
{
	uint64_t sums[KS_HIST_SLOTS];
	int slot, err;

	memset(out, 0, sizeof(uint64_t) * KS_HIST_SLOTS);
	if (!ctx->probe.init_cost)
		return 0;
	err = ks_percpu_sums(ctx->probe.init_cost_fd, sums,
			     KS_HIST_SLOTS);
	if (err)
		return err;
	for (slot = 0; slot < KS_HIST_SLOTS; slot++) {
		out[slot] = sums[slot] - ctx->init_cost_seen[slot];
		ctx->init_cost_seen[slot] = sums[slot];
	}
	return 0;
}

/*
 * A drained entry into this interval's table, if --vm wants its VM: into
 * its row and, if it changed the role, its transition.
 */
static int take_entry(void *c, const void *key, const void *val)
{
	struct roles_ctx *ctx = c;
	const struct mmu_role_key *k = key;
	const struct mmu_role_count *v = val;
	struct role_key rk = {
		.pid = k->pid, .vcpu_id = k->vcpu_id, .mmu = k->mmu,
	};
	struct trans_key tk = {
		.old_role = k->old_role, .new_role = k->new_role,
		.pid = k->pid, .mmu = k->mmu, .cause = k->cause,
	};
	struct mmu_role_stats row;

	if (!mmu_role_entry_row(k, v, &row) ||
	    !tdx_vm_wanted(ctx->run.env->vm, v->stats_id, k->pid, NULL))
		return 0;
	if (add_role(&ctx->interval, &rk, &row))
		return -ENOMEM;
	if (mmu_role_entry_changed(k) && add_trans(&ctx->interval, &tk, v->count))
		return -ENOMEM;
	return 0;
}

static void sort(struct role_table *t)
{
	if (t->nr_roles)
		qsort(t->roles, t->nr_roles, sizeof(*t->roles), cmp_role);
	if (t->nr_trans)
		qsort(t->trans, t->nr_trans, sizeof(*t->trans), cmp_trans);
}

static void name_vms(struct tdx_run *r)
{
	struct roles_ctx *ctx = (struct roles_ctx *)r;

	tdx_vm_names_prefetch(ctx->probe.roles_fd, sizeof(struct mmu_role_key));
}

/* Move everything aggregated in the kernel since the last drain. */
static int drain(struct tdx_run *r, bool final)
{
	struct roles_ctx *ctx = (struct roles_ctx *)r;
	struct role_table *t = &ctx->interval;
	struct mmu_role_key k;
	struct mmu_role_count v;
	int err;

	clear(t);
	err = ks_map_drain(ctx->probe.roles_fd, &k, &v, take_entry, ctx);
	if (!err)
		err = read_init_cost(ctx, t->init_cost);
	if (!err)
		err = merge(&ctx->total, t);
	if (err)
		return err;
	sort(t);
	if (final)
		sort(&ctx->total);
	return 0;
}

static void print_human(const struct roles_ctx *ctx, const struct role_table *t)
{
	char vm[KS_STATS_ID_LEN + 8], name[KS_TERM_LEN(16)], buf[512];
	size_t i;
	int c;

	printf("%-16s %-16s %5s %-9s %9s %8s %9s %6s %6s %6s %6s\n", "VM",
	       "NAME", "VCPU", "MMU", "COMPUTED", "CHANGED", "UNCHANGED",
	       "INIT", "NESTED", "SMM", "MODE");
	for (i = 0; i < t->nr_roles; i++) {
		const struct role_entry *e = &t->roles[i];

		tdx_vm_label(vm, sizeof(vm), e->s.stats_id, e->key.pid);
		printf("%-16s %s %5u %-9s %9llu %8llu %9llu", vm,
		       ks_term_name(name, sizeof(name),
				    tdx_vm_name(e->key.pid, NULL), 16),
		       e->key.vcpu_id,
		       mmu_kind_name(e->key.mmu),
		       (unsigned long long)e->s.computed,
		       (unsigned long long)e->s.changed,
		       (unsigned long long)e->s.unchanged);
		for (c = 0; c < MMU_ROLE_NR_CAUSES; c++)
			printf(" %6llu", (unsigned long long)e->s.cause[c]);
		printf("\n");
	}
	if (t->nr_trans)
		printf("Top transitions:\n%8s %-8s %-9s %-6s %s\n", "COUNT",
		       "PID", "MMU", "CAUSE", "CHANGES");
	for (i = 0; i < t->nr_trans && i < TOP_TRANSITIONS; i++) {
		const struct trans_key *k = &t->trans[i].key;
		bool cpu_role = mmu_kind_is_walker(k->mmu);
		const char *word = cpu_role ? "cpu_role" : "root_role";

		mmu_role_diff(buf, sizeof(buf), k->old_role, k->new_role,
			      cpu_role);
		printf("%8llu %-8u %-9s %-6s %s\n",
		       (unsigned long long)t->trans[i].count, k->pid,
		       mmu_kind_name(k->mmu), mmu_role_cause_name(k->cause),
		       buf);
		mmu_role_format(buf, sizeof(buf), k->old_role, cpu_role);
		printf("%35s old %-9s %#018" PRIx64 ": %s\n", "", word,
		       (uint64_t)k->old_role, buf);
		mmu_role_format(buf, sizeof(buf), k->new_role, cpu_role);
		printf("%35s new %-9s %#018" PRIx64 ": %s\n", "", word,
		       (uint64_t)k->new_role, buf);
	}
	if (!ctx->probe.init_cost)
		printf("kvm_init_mmu cost: unavailable (fentry/fexit cannot attach on this kernel)\n");
	else if (ks_log2_total(t->init_cost, KS_HIST_SLOTS)) {
		printf("kvm_init_mmu cost:\n");
		ks_print_log2_hist_ns(stdout, t->init_cost, KS_HIST_SLOTS,
				      ctx->run.env->unit);
	}
}

/* A role word as "0x..." plus its decoded bits under "<name>_bits". */
static void json_role_word(json_writer_t *w, const char *name, uint64_t role,
			   bool is_cpu_role)
{
	char buf[512], bits_name[48];

	snprintf(buf, sizeof(buf), "%#" PRIx64, role);
	jsonw_string_field(w, name, buf);
	mmu_role_format(buf, sizeof(buf), role, is_cpu_role);
	snprintf(bits_name, sizeof(bits_name), "%s_bits", name);
	jsonw_string_field(w, bits_name, buf);
}

static void print_json(const struct roles_ctx *ctx, const struct role_table *t,
		       const uint64_t lost[TDX_NR_LOST], bool final)
{
	json_writer_t *w = ctx->run.jw;
	char buf[512];
	size_t i;
	int c;

	tdx_json_summary_start(w, final, ks_mode_name(ctx->mode.kind),
			       ctx->run.env->interval);
	jsonw_name(w, "mmus");
	jsonw_start_array(w);
	for (i = 0; i < t->nr_roles; i++) {
		const struct role_entry *e = &t->roles[i];

		jsonw_start_object(w);
		tdx_json_vm(w, e->s.stats_id, e->key.pid,
			    tdx_vm_name(e->key.pid, NULL));
		jsonw_uint_field(w, "vcpu", e->key.vcpu_id);
		jsonw_string_field(w, "mmu", mmu_kind_name(e->key.mmu));
#define FIELD(field, ...) jsonw_uint_field(w, #field, e->s.field);
		MMU_ROLE_ROW_COUNTERS(FIELD)
#undef FIELD
		jsonw_name(w, "causes");
		jsonw_start_object(w);
		for (c = 0; c < MMU_ROLE_NR_CAUSES; c++)
			jsonw_uint_field(w, mmu_role_cause_name(c), e->s.cause[c]);
		jsonw_end_object(w);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_name(w, "transitions");
	jsonw_start_array(w);
	for (i = 0; i < t->nr_trans && i < TOP_TRANSITIONS; i++) {
		const struct trans_key *k = &t->trans[i].key;
		bool cpu_role = mmu_kind_is_walker(k->mmu);

		jsonw_start_object(w);
		jsonw_uint_field(w, "count", t->trans[i].count);
		jsonw_uint_field(w, "pid", k->pid);
		jsonw_string_field(w, "mmu", mmu_kind_name(k->mmu));
		jsonw_string_field(w, "cause", mmu_role_cause_name(k->cause));
		mmu_role_diff(buf, sizeof(buf), k->old_role, k->new_role,
			      cpu_role);
		jsonw_string_field(w, "changes", buf);
		json_role_word(w, "old_role", k->old_role, cpu_role);
		json_role_word(w, "new_role", k->new_role, cpu_role);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	if (ctx->probe.init_cost)
		ks_jsonw_log2_hist(w, "init_mmu_ns", t->init_cost, KS_HIST_SLOTS);
	else
		jsonw_null_field(w, "init_mmu_ns");
	tdx_json_lost(w, lost);
	jsonw_end_object(w);
}

/* Intervals show their own data, the final report the whole run. */
static void print(struct tdx_run *r, const uint64_t lost[TDX_NR_LOST],
		  bool final)
{
	struct roles_ctx *ctx = (struct roles_ctx *)r;
	const struct role_table *t = final ? &ctx->total : &ctx->interval;

	if (ctx->run.jw) {
		print_json(ctx, t, lost, final);
		return;
	}
	print_human(ctx, t);
	tdx_print_lost(stdout, lost);
}

static int setup_bpf(struct roles_ctx *ctx)
{
	char why[256];
	int err;

	err = roles_probe_open(&ctx->probe, &ctx->mode, ctx->run.env->pid,
			       tdx_kernel_vm(ctx->run.env->vm), true, why,
			       sizeof(why));
	if (err) {
		p_err("%s", why);
		return err;
	}
	if (!ctx->probe.init_cost)
		p_info("kvm_init_mmu cost unavailable: fentry/fexit cannot attach on this kernel");
	return 0;
}

/* Detect, load and attach, say what is measured; 0 or the exit code. */
static int start(struct tdx_run *r)
{
	struct roles_ctx *ctx = (struct roles_ctx *)r;
	json_writer_t *w = ctx->run.jw;

	if (roles_probe_detect(&ctx->mode) != KS_MODE_SERIES) {
		if (ctx->mode.tracefs_errno || !ctx->mode.kernel_btf)
			p_err("%s", ctx->mode.desc);
		else
			p_err("roles needs the kvmscope series; this kernel has no %s",
			      ctx->mode.missing);
		return KS_EXIT_FAIL;
	}
	if (setup_bpf(ctx))
		return KS_EXIT_FAIL;
	ctx->run.lost_fd = ctx->probe.lost_fd;
	ctx->run.obj = ctx->probe.bpf.obj;
	p_info("mode: %s", ctx->mode.desc);
	if (!w) {
		p_info("Tracing MMU role computations... Hit Ctrl-C to end.");
		return 0;
	}
	jsonw_start_object(w);
	jsonw_string_field(w, "type", "mode");
	jsonw_string_field(w, "mode", ks_mode_name(ctx->mode.kind));
	jsonw_string_field(w, "detail", ctx->mode.desc);
	jsonw_bool_field(w, "init_mmu_cost", ctx->probe.init_cost);
	jsonw_end_object(w);
	return 0;
}

static void stop(struct tdx_run *r)
{
	struct roles_ctx *ctx = (struct roles_ctx *)r;

	roles_probe_close(&ctx->probe);
	release(&ctx->interval);
	release(&ctx->total);
}

static const struct tdx_run_ops roles_run_ops = {
	.start = start,
	.stop = stop,
	.name_vms = name_vms,
	.drain = drain,
	.print = print,
};

int cmd_roles(const struct tdx_env *env)
{
	struct roles_ctx ctx = {};

	return tdx_run(&ctx.run, env, &roles_run_ops);
}
