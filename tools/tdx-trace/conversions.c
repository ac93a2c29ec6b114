// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tdx-trace conversions: load conversions.bpf.c (probe_conv) in the best mode
 * the kernel offers, stream conversions (or print per-interval histograms with -s),
 * and end with a summary that always includes the lost-event counters.
 */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "conv_format.h"
#include "conv_table.h"
#include "hist.h"
#include "mapdump.h"
#include "mode.h"
#include "output.h"
#include "probe_conv.h"
#include "run.h"
#include "runtime.h"
#include "termtext.h"
#include "vmcache.h"

struct conv_ctx {
	struct tdx_run run;		/* first: the run's ops get it */
	struct ks_mode mode;
	bool mapgpa;			/* MapGPA latency programs attached */
	struct ring_buffer *rb;		/* each conversion (not with -s) */
	double wall_offset;
	struct conv_probe probe;
	struct tdx_conv_table interval;	/* drained this interval */
	struct tdx_conv_table total;	/* whole run */
	uint64_t events;		/* records read from the ring buffer */
};

/* Load in the best mode: tp_btf, else its raw_tp twins, else fallback. */
static int setup_bpf(struct conv_ctx *ctx)
{
	const struct tdx_env *env = ctx->run.env;
	const struct conv_probe_opts o = {
		.pid = env->pid,
		.vm = tdx_kernel_vm(env->vm),
		.min_ns = env->min_us * 1000,
		.dir = env->dir,
		.stream = !env->summary,
		.mapgpa = ctx->mapgpa,
	};
	char why[256];
	int err;

	err = conv_probe_open(&ctx->probe, &ctx->mode, &o, why, sizeof(why));
	if (err) {
		p_err("%s", why);
		return err;
	}
	if (ctx->probe.bpf.raw_retry)
		snprintf(ctx->mode.desc, sizeof(ctx->mode.desc),
			 "series (raw_tp: tp_btf did not load)");
	return 0;
}

static void print_mode(const struct conv_ctx *ctx)
{
	json_writer_t *w = ctx->run.jw;
	size_t i;

	if (ctx->mode.kind == KS_MODE_FALLBACK)
		p_info("fallback: %s", conv_fallback_unseen[ctx->mode.set]);
	if (!ctx->mapgpa)
		p_info("MapGPA latency not measured (--mapgpa measures it)");
	else
		p_info("MapGPA latency of: KVM_HC_MAP_GPA_RANGE (%s)%s%s",
		       ctx->probe.mapgpa_sets & CONV_MAPGPA_HCALL_DONE ?
		       "to kvm_hypercall_done" : "to the next kvm_entry: every VM entry pays for it",
		       ctx->probe.mapgpa_sets & CONV_MAPGPA_TDX ? ", TDX MapGPA" : "",
		       ctx->probe.mapgpa_sets & CONV_MAPGPA_SNP ? ", SNP page state changes" : "");
	if (!w)
		return;
	jsonw_start_object(w);
	jsonw_string_field(w, "type", "mode");
	jsonw_string_field(w, "mode", ks_mode_name(ctx->mode.kind));
	jsonw_string_field(w, "detail", ctx->mode.desc);
	jsonw_bool_field(w, "mapgpa", ctx->mapgpa);
	jsonw_name(w, "unavailable");
	jsonw_start_array(w);
	for (i = 0; ctx->mode.kind == KS_MODE_FALLBACK &&
		    conv_fallback_unavailable[i]; i++)
		jsonw_string(w, conv_fallback_unavailable[i]);
	jsonw_end_array(w);
	jsonw_end_object(w);
}

static int handle_event(void *data, void *raw, size_t size)
{
	struct conv_ctx *ctx = data;
	const struct conv_event *e = raw;
	double wall = (double)e->ts_ns / 1e9 + ctx->wall_offset;
	char ts[32];

	if (size < sizeof(*e))
		return 0;
	ctx->events++;
	if (!tdx_vm_wanted(ctx->run.env->vm, e->stats_id, e->pid, e->comm))
		return 0;
	if (ctx->run.jw) {
		tdx_conv_json(ctx->run.jw, e, tdx_vm_name(e->pid, NULL), wall);
		return 0;
	}
	tdx_format_time(wall, ts, sizeof(ts));
	tdx_conv_print_line(stdout, e, tdx_vm_name(e->pid, NULL),
			    ctx->run.env->timestamp ? ts : NULL);
	return 0;
}

/* A drained row into this interval's table, if --vm wants its VM. */
static int take_conv(void *c, const void *key, const void *val)
{
	struct conv_ctx *ctx = c;
	const struct conv_key *k = key;
	const struct conv_stats *s = val;

	if (!tdx_vm_wanted(ctx->run.env->vm, s->stats_id, k->pid, s->comm))
		return 0;
	return tdx_table_add_conv(&ctx->interval, k, s) ? -ENOMEM : 0;
}

static int take_mapgpa(void *c, const void *key, const void *val)
{
	struct conv_ctx *ctx = c;
	const struct mapgpa_key *k = key;
	const struct mapgpa_stats *s = val;

	if (!tdx_vm_wanted(ctx->run.env->vm, s->stats_id, k->pid, s->comm))
		return 0;
	return tdx_table_add_mapgpa(&ctx->interval, k, s) ? -ENOMEM : 0;
}

/* Each conversion as it comes (within 100 ms) when streaming; else sleep. */
static int wait_events(struct tdx_run *r, double deadline)
{
	struct conv_ctx *ctx = (struct conv_ctx *)r;
	int err;

	if (!ctx->rb) {
		tdx_sleep_until(deadline);
		return 0;
	}
	/* Short timeout so interval ticks stay on time. */
	err = ring_buffer__poll(ctx->rb, 100);
	if (err < 0 && err != -EINTR) {
		p_err("polling the ring buffer: %s", strerror(-err));
		return err;
	}
	/* Whoever reads a pipe or a file sees each batch as it comes. */
	if (err > 0)
		fflush(stdout);
	return 0;
}

static void name_vms(struct tdx_run *r)
{
	struct conv_ctx *ctx = (struct conv_ctx *)r;

	tdx_vm_names_prefetch(ctx->probe.slots_fd, sizeof(__u32));
	tdx_vm_names_prefetch(ctx->probe.mapgpa_fd,
			      sizeof(struct mapgpa_key));
}

/* Move everything aggregated in the kernel since the last drain. */
static int drain(struct tdx_run *r, bool final)
{
	struct conv_ctx *ctx = (struct conv_ctx *)r;
	struct tdx_conv_table *t = &ctx->interval;
	int err;

	/* The last records, before the summary that counts them. */
	if (final && ctx->rb)
		ring_buffer__consume(ctx->rb);
	tdx_table_clear(t);
	err = conv_probe_drain(&ctx->probe, take_conv, ctx);
	if (!err)
		err = conv_probe_drain_mapgpa(&ctx->probe, take_mapgpa, ctx);
	tdx_table_sort(t);
	return err ? err : tdx_table_merge(&ctx->total, t);
}

/* A row's counters: null where the fallback cannot see them. */
static void json_conv_stats(json_writer_t *w, const struct conv_stats *s,
			    bool series, bool hists)
{
#define FIELD(field, series_only, ...)					\
	if (series || !(series_only))					\
		jsonw_uint_field(w, #field, s->field);			\
	else								\
		jsonw_null_field(w, #field);
	CONV_ROW_COUNTERS(FIELD)
#undef FIELD
	if (series)
		jsonw_float_field(w, "noop_ratio", tdx_noop_ratio(s));
	else
		jsonw_null_field(w, "noop_ratio");
	jsonw_uint_field(w, "zapped_4k", s->zapped[0]);
	jsonw_uint_field(w, "zapped_2m", s->zapped[1]);
	jsonw_uint_field(w, "zapped_1g", s->zapped[2]);
	jsonw_uint_field(w, "duration_sum_ns", s->dur_sum_ns);
	if (hists) {
		ks_jsonw_log2_hist(w, "duration_ns", ks_slots(s->dur_slots).v,
				   KS_HIST_SLOTS);
		ks_jsonw_log2_hist(w, "pages_hist", ks_slots(s->pages_slots).v,
				   KS_HIST_SLOTS);
	}
}

static void print_stats_line(const char *label, const struct conv_stats *s,
			     bool series)
{
	struct ks_slots dur = ks_slots(s->dur_slots);

	printf("%s: %llu conversions, %llu pages, zapped 4k %llu 2m %llu 1g %llu",
	       label, (unsigned long long)s->count,
	       (unsigned long long)s->pages, (unsigned long long)s->zapped[0],
	       (unsigned long long)s->zapped[1], (unsigned long long)s->zapped[2]);
	if (series)
		printf(", flushes %llu, noop %.1f%%", (unsigned long long)s->flushes,
		       100.0 * tdx_noop_ratio(s));
	if (s->count)
		printf(", duration mean %.1fus p50 %.1fus p99 %.1fus",
		       tdx_mean_ns(s->dur_sum_ns, s->count) / 1000,
		       ks_log2_percentile(dur.v, KS_HIST_SLOTS, 50) / 1000,
		       ks_log2_percentile(dur.v, KS_HIST_SLOTS, 99) / 1000);
	if (s->errors)
		printf(", %llu failed", (unsigned long long)s->errors);
	printf("\n");
}

static void print_summary_human(struct conv_ctx *ctx,
				const struct tdx_conv_table *t,
				const uint64_t lost[TDX_NR_LOST], bool hists)
{
	bool series = ctx->mode.kind == KS_MODE_SERIES;
	struct conv_stats total;
	char vm[KS_STATS_ID_LEN + 8], name[KS_TERM_LEN(KS_VM_CACHE_NAME_LEN)],
	     label[sizeof(vm) + sizeof(name) + 16];
	size_t i;

	for (i = 0; i < t->nr_conv; i++) {
		const struct tdx_conv_entry *e = &t->conv[i];

		tdx_vm_label(vm, sizeof(vm), e->s.stats_id, e->key.pid);
		ks_term_name(name, sizeof(name),
			     tdx_vm_name(e->key.pid, e->s.comm), 0);
		snprintf(label, sizeof(label), "%s (%s) to %s", vm, name,
			 e->key.dir == CONV_DIR_PRIVATE ? "private" : "shared");
		print_stats_line(label, &e->s, series);
		if (hists) {
			ks_print_log2_hist_ns(stdout,
					      ks_slots(e->s.dur_slots).v,
					      KS_HIST_SLOTS, ctx->run.env->unit);
			ks_print_log2_hist(stdout, ks_slots(e->s.pages_slots).v,
					   KS_HIST_SLOTS, "pages");
		}
	}
	for (i = 0; ctx->mapgpa && i < t->nr_mapgpa; i++) {
		const struct tdx_mapgpa_entry *m = &t->mapgpa[i];
		struct ks_slots lat = ks_slots(m->s.lat_slots);
		const uint64_t *l = lat.v;

		printf("MapGPA pid %u (%s) vcpu %u: %llu requests (%llu to private), %llu pages, %llu to userspace, %llu conversions, latency mean %.1fus p50 %.1fus p99 %.1fus\n",
		       m->key.pid,
		       ks_term_name(name, sizeof(name),
				    tdx_vm_name(m->key.pid, m->s.comm), 0),
		       m->key.vcpu_id,
		       (unsigned long long)m->s.count,
		       (unsigned long long)m->s.to_private,
		       (unsigned long long)m->s.pages,
		       (unsigned long long)m->s.userspace_exits,
		       (unsigned long long)m->s.conversions,
		       tdx_mean_ns(m->s.lat_sum_ns, m->s.count) / 1000,
		       ks_log2_percentile(l, KS_HIST_SLOTS, 50) / 1000,
		       ks_log2_percentile(l, KS_HIST_SLOTS, 99) / 1000);
		if (hists)
			ks_print_log2_hist_ns(stdout, l, KS_HIST_SLOTS,
					      ctx->run.env->unit);
	}
	tdx_table_totals(t, &total);
	print_stats_line("Total", &total, series);
	tdx_print_lost(stdout, lost);
}

static void print_summary_json(struct conv_ctx *ctx,
			       const struct tdx_conv_table *t,
			       const uint64_t lost[TDX_NR_LOST], bool final,
			       bool hists)
{
	bool series = ctx->mode.kind == KS_MODE_SERIES;
	json_writer_t *w = ctx->run.jw;
	struct conv_stats total;
	size_t i;

	tdx_json_summary_start(w, final, ks_mode_name(ctx->mode.kind),
			       ctx->run.env->interval);
	jsonw_name(w, "vms");
	jsonw_start_array(w);
	for (i = 0; i < t->nr_conv; i++) {
		const struct tdx_conv_entry *e = &t->conv[i];

		jsonw_start_object(w);
		tdx_json_vm(w, e->s.stats_id, e->key.pid,
			    tdx_vm_name(e->key.pid, e->s.comm));
		jsonw_string_field(w, "direction",
				   e->key.dir == CONV_DIR_PRIVATE ? "private" : "shared");
		json_conv_stats(w, &e->s, series, hists);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_name(w, "mapgpa");
	if (!ctx->mapgpa) {
		jsonw_null(w);
	} else {
		jsonw_start_array(w);
		for (i = 0; i < t->nr_mapgpa; i++) {
			const struct tdx_mapgpa_entry *m = &t->mapgpa[i];

			jsonw_start_object(w);
			jsonw_uint_field(w, "pid", m->key.pid);
			jsonw_string_field(w, "name",
					   tdx_vm_name(m->key.pid, m->s.comm));
			jsonw_uint_field(w, "vcpu", m->key.vcpu_id);
#define FIELD(field, ...) jsonw_uint_field(w, #field, m->s.field);
			MAPGPA_ROW_COUNTERS(FIELD)
#undef FIELD
			jsonw_uint_field(w, "latency_sum_ns", m->s.lat_sum_ns);
			ks_jsonw_log2_hist(w, "latency_ns",
					   ks_slots(m->s.lat_slots).v,
					   KS_HIST_SLOTS);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
	}
	tdx_table_totals(t, &total);
	jsonw_name(w, "totals");
	jsonw_start_object(w);
	json_conv_stats(w, &total, series, false);
	jsonw_end_object(w);
	if (final)
		jsonw_uint_field(w, "events", ctx->events);
	tdx_json_lost(w, lost);
	jsonw_end_object(w);
}

/* Intervals show their own data, the final summary the whole run. */
static void print(struct tdx_run *r, const uint64_t lost[TDX_NR_LOST],
		  bool final)
{
	struct conv_ctx *ctx = (struct conv_ctx *)r;
	const struct tdx_conv_table *t = final ? &ctx->total : &ctx->interval;

	if (ctx->run.jw)
		print_summary_json(ctx, t, lost, final, ctx->run.env->summary);
	else
		print_summary_human(ctx, t, lost, ctx->run.env->summary);
}

/* Detect, load and attach, say what is measured; 0 or the exit code. */
static int start(struct tdx_run *r)
{
	struct conv_ctx *ctx = (struct conv_ctx *)r;
	const struct tdx_env *env = ctx->run.env;

	if (conv_probe_detect(&ctx->mode) == KS_MODE_NONE) {
		p_err("nothing to trace: %s", ctx->mode.desc);
		return KS_EXIT_FAIL;
	}
	ctx->mapgpa = env->mapgpa;
	if (ctx->mapgpa && !conv_mapgpa_sets()) {
		p_err("%s", conv_mapgpa_needs);
		return KS_EXIT_FAIL;
	}
	p_info("mode: %s", ctx->mode.desc);
	if (setup_bpf(ctx))
		return KS_EXIT_FAIL;
	ctx->run.lost_fd = ctx->probe.lost_fd;
	ctx->run.obj = ctx->probe.bpf.obj;
	print_mode(ctx);
	ctx->wall_offset = tdx_mono_to_wall_offset();
	if (env->summary) {
		if (!env->json)
			p_info("Tracing conversions... Hit Ctrl-C to end.");
		return 0;
	}
	ctx->rb = ring_buffer__new(ctx->probe.events_fd, handle_event, ctx,
				   NULL);
	if (!ctx->rb) {
		p_err("creating the ring buffer: %s", strerror(errno));
		return KS_EXIT_FAIL;
	}
	if (!env->json) {
		tdx_conv_print_header(stdout, env->timestamp);
		/* The header says "attached" to whoever reads a pipe. */
		fflush(stdout);
	}
	return 0;
}

static void stop(struct tdx_run *r)
{
	struct conv_ctx *ctx = (struct conv_ctx *)r;

	ring_buffer__free(ctx->rb);
	conv_probe_close(&ctx->probe);
	tdx_table_free(&ctx->interval);
	tdx_table_free(&ctx->total);
}

static const struct tdx_run_ops conv_run_ops = {
	.start = start,
	.stop = stop,
	.wait = wait_events,
	.name_vms = name_vms,
	.drain = drain,
	.print = print,
};

int cmd_conversions(const struct tdx_env *env)
{
	struct conv_ctx ctx = {};

	return tdx_run(&ctx.run, env, &conv_run_ops);
}
