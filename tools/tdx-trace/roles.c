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

#include "args.h"
#include "cli.h"
#include "hist.h"
#include "mapdump.h"
#include "mode.h"
#include "output.h"
#include "percpu.h"
#include "probe_roles.h"
#include "role_decode.h"
#include "role_table.h"
#include "run.h"
#include "runtime.h"
#include "termtext.h"

#define TOP_TRANSITIONS 10

struct roles_ctx {
	struct tdx_run run;		/* first: the run's ops get it */
	struct ks_mode mode;
	struct roles_probe probe;
	struct tdx_role_table interval, total;
	uint64_t init_cost_seen[KS_HIST_SLOTS];	/* kernel's cumulative */
	uint64_t *slot_seen;		/* each slot's count at the last drain */
};

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
 * The kernel's slots only grow: a slot's computations since the last drain
 * into this interval's table, if --vm wants its VM.  Slots of exited VMMs
 * are freed once taken, so that a long run keeps room for new VMs.
 */
static int take_slot(void *c, __u32 idx, const struct mmu_role_slot *e)
{
	struct roles_ctx *ctx = c;
	struct mmu_role_slot delta;

	if (idx >= MMU_ROLE_SLOTS)
		return 0;
	if (e->count == ctx->slot_seen[idx]) {
		/* Taken in full, and its VMM gone: room for the next VMs. */
		if (!ks_pid_exists(e->key.pid)) {
			mmu_roles_free_slot(ctx->probe.roles_fd, idx);
			ctx->slot_seen[idx] = 0;
		}
		return 0;
	}
	delta = *e;
	delta.count -= ctx->slot_seen[idx];
	ctx->slot_seen[idx] = e->count;
	if (!tdx_vm_wanted(ctx->run.env->vm, e->stats_id, e->key.pid, NULL))
		return 0;
	return tdx_role_table_add(&ctx->interval, &delta);
}

static int name_slot(void *c, __u32 idx, const struct mmu_role_slot *e)
{
	(void)c;
	(void)idx;
	tdx_vm_name(e->key.pid, NULL);
	return 0;
}

static void name_vms(struct tdx_run *r)
{
	struct roles_ctx *ctx = (struct roles_ctx *)r;

	mmu_roles_read(ctx->probe.roles_fd, name_slot, NULL, NULL);
}

/* Move everything aggregated in the kernel since the last drain. */
static int drain(struct tdx_run *r, bool final)
{
	struct roles_ctx *ctx = (struct roles_ctx *)r;
	struct tdx_role_table *t = &ctx->interval;
	int err;

	tdx_role_table_clear(t);
	err = mmu_roles_read(ctx->probe.roles_fd, take_slot, ctx, NULL);
	if (!err)
		err = read_init_cost(ctx, t->init_cost);
	if (!err)
		err = tdx_role_table_merge(&ctx->total, t);
	if (err)
		return err;
	tdx_role_table_sort(t);
	if (final)
		tdx_role_table_sort(&ctx->total);
	return 0;
}

static void print_human(const struct roles_ctx *ctx,
			const struct tdx_role_table *t)
{
	char vm[KS_STATS_ID_LEN + 8], name[KS_TERM_LEN(16)], buf[512];
	size_t i;
	int c;

	printf("%-16s %-16s %5s %-9s %9s %8s %9s %6s %6s %6s %6s\n", "VM",
	       "NAME", "VCPU", "MMU", "COMPUTED", "CHANGED", "UNCHANGED",
	       "INIT", "NESTED", "SMM", "MODE");
	for (i = 0; i < t->nr_roles; i++) {
		const struct tdx_role_entry *e = &t->roles[i];

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
		const struct tdx_trans_key *k = &t->trans[i].key;
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

static void print_json(const struct roles_ctx *ctx,
		       const struct tdx_role_table *t,
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
		const struct tdx_role_entry *e = &t->roles[i];

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
		const struct tdx_trans_key *k = &t->trans[i].key;
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
	const struct tdx_role_table *t = final ? &ctx->total : &ctx->interval;

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

	ctx->slot_seen = calloc(MMU_ROLE_SLOTS, sizeof(*ctx->slot_seen));
	if (!ctx->slot_seen) {
		p_err("out of memory");
		return -ENOMEM;
	}
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
	free(ctx->slot_seen);
	tdx_role_table_free(&ctx->interval);
	tdx_role_table_free(&ctx->total);
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
