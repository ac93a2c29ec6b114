// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmscope-exporter store, collector and rendering, through a fake source
 * behind the source interface and an injected clock: grace-period expiry
 * (series of gone VMs disappear, their map entries are forgotten), zeroing
 * on every collection, per-VM vs per-vCPU aggregation, families gated on
 * what the sources provide, a failing source, the zero hold of new VMs and
 * counters that never go backwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kvmscope-exporter/collector.h"
#include "kvmscope-exporter/row_vm.h"
#include "kvmscope-exporter/store.h"

/* A fake source: the VMs it reports live, what it was told to forget. */
struct fake {
	struct ks_source src;
	const char *live[4];
	int vcpus;
	uint64_t value;
	/* vCPU 0's MapGPA row, as the kernel updates it: count, then to_private */
	uint64_t count, to_private;
	int fail;	/* fail after reading half of the first VM's row */
	int collections;
	char forgotten[8][KS_STATS_ID_LEN];
	int nr_forgotten;
};

static int fake_collect(struct ks_source *src, struct ks_store *s)
{
	struct fake *f = (struct fake *)src;

	f->collections++;
	for (int i = 0; i < 4 && f->live[i]; i++) {
		struct ks_vm *vm = ks_store_vm(s, f->live[i]);

		assert_non_null(vm);
		if (f->fail) {
			vm->conv[KS_DIR_PRIVATE].count += f->value / 2;
			return f->fail;
		}
		vm->conv[KS_DIR_PRIVATE].count += f->value;
		vm->conv[KS_DIR_PRIVATE].duration.slots[12] += f->value;
		vm->conv[KS_DIR_PRIVATE].duration.sum_ns += f->value * 5000;
		/* Out of order on purpose: the store keeps vCPUs sorted. */
		for (int v = f->vcpus - 1; v >= 0; v--) {
			struct ks_vcpu *vc = ks_vm_vcpu(vm, v);

			assert_non_null(vc);
			vc->hv[KS_FIFO_L2].enqueues += v + 1;
			vc->hv[KS_FIFO_L2].latency.slots[14] += v + 1;
			vc->roles.computed[KS_MMU_NGPA_WALK] += 10;
			vc->roles.cause[KS_MMU_NGPA_WALK][KS_CAUSE_NESTED] += 1;
			if (!v) {
				vc->mapgpa.count += f->count;
				vc->mapgpa.to_private += f->to_private;
			}
		}
	}
	s->hv_hypercalls[KS_FIFO_L2] += f->value;
	ks_store_lost(s, src->name, "map_full", 7);
	return f->fail;
}

static void fake_forget(struct ks_source *src, const struct ks_vm *vm)
{
	struct fake *f = (struct fake *)src;

	snprintf(f->forgotten[f->nr_forgotten++], KS_STATS_ID_LEN, "%s", vm->id);
}

static void fake_destroy(struct ks_source *src)
{
	(void)src;
}

static double fake_now;
static double fake_clock(void)
{
	return fake_now;
}

static struct fake fake_new(unsigned int have)
{
	struct fake f;

	memset(&f, 0, sizeof(f));
	f.src = (struct ks_source){
		.name = "fake", .mode = "series", .have = have,
		.collect = fake_collect, .forget = fake_forget,
		.destroy = fake_destroy,
	};
	f.value = 1;
	f.vcpus = 2;
	return f;
}

static void setup_collector(struct ks_collector *c, struct fake *f,
			    double grace, bool per_vcpu)
{
	struct ks_render_opts o = {
		.per_vcpu = per_vcpu, .version = "test", .kernel = "k",
		.mode = "series",
	};

	ks_collector_init(c, grace, &o);
	c->clock = fake_clock;	/* zero_hold 0: values from the start */
	fake_now = 100;
	assert_int_equal(ks_collector_add(c, &f->src), 0);
}

static char *scrape(struct ks_collector *c)
{
	struct ks_buf out = { 0 };
	size_t len;

	assert_int_equal(ks_collector_scrape(c, &out), 0);
	return ks_buf_steal(&out, &len);
}

static int count_lines(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, prefix)); p++)
		n += p == text || p[-1] == '\n';
	return n;
}

static void test_grace_expiry(void **state)
{
	struct fake f = fake_new(KS_HAVE_CONV);
	struct ks_collector c;
	char *m;

	(void)state;
	setup_collector(&c, &f, 30, false);
	f.live[0] = "kvm-1";
	f.live[1] = "kvm-2";
	m = scrape(&c);
	assert_int_equal(count_lines(m, "kvmscope_mem_conversions_total{vm=\"kvm-2\""), 2);
	assert_non_null(strstr(m, "kvmscope_vms{state=\"live\"} 2\n"));
	free(m);

	/* kvm-2 is gone: still exported, with its last values, for 30s. */
	f.live[1] = NULL;
	f.value = 5;
	fake_now = 110;
	m = scrape(&c);
	assert_non_null(strstr(m, "kvmscope_mem_conversions_total{vm=\"kvm-2\",direction=\"private\"} 1\n"));
	assert_non_null(strstr(m, "kvmscope_mem_conversions_total{vm=\"kvm-1\",direction=\"private\"} 5\n"));
	assert_non_null(strstr(m, "kvmscope_vms{state=\"expiring\"} 1\n"));
	assert_int_equal(f.nr_forgotten, 0);
	free(m);

	fake_now = 129.9;	/* 29.9s after it was last seen */
	m = scrape(&c);
	assert_non_null(strstr(m, "vm=\"kvm-2\""));
	free(m);

	fake_now = 130;		/* grace over: gone, and forgotten once */
	m = scrape(&c);
	assert_null(strstr(m, "vm=\"kvm-2\""));
	assert_non_null(strstr(m, "vm=\"kvm-1\""));
	assert_int_equal(f.nr_forgotten, 1);
	assert_string_equal(f.forgotten[0], "kvm-2");
	free(m);
	fake_now = 200;
	free(scrape(&c));
	assert_int_equal(f.nr_forgotten, 1);

	/* A VM that comes back within the grace is live again. */
	f.live[1] = "kvm-3";
	free(scrape(&c));
	f.live[1] = NULL;
	fake_now = 210;
	free(scrape(&c));
	f.live[1] = "kvm-3";
	fake_now = 235;
	m = scrape(&c);
	assert_non_null(strstr(m, "kvmscope_vms{state=\"live\"} 2\n"));
	free(m);
	fake_now = 300;
	free(scrape(&c));
	assert_int_equal(f.nr_forgotten, 1);
	ks_collector_free(&c);
}

/* Is @line, a whole sample line, in the exposition @m? */
static bool has(const char *m, const char *line)
{
	char want[256];
	const char *p;

	snprintf(want, sizeof(want), "%s\n", line);
	p = strstr(m, want);
	return p && (p == m || p[-1] == '\n');
}

#define CONV_PRIV(vm) \
	"kvmscope_mem_conversions_total{vm=\"" vm "\",direction=\"private\"}"

/* A first scrape in @c's zero hold of 10s, then the clock past it. */
static void past_zero_hold(struct ks_collector *c)
{
	c->ropts.zero_hold = 10;
	free(scrape(c));
	fake_now += 10;
}

/*
 * A new VM's counters are exported at 0 for the zero hold, then at their
 * values: rate() ignores a series' first sample, and would otherwise drop
 * all a short-lived VM did.  The hold is a time, so every reader in it
 * sees the zero: two Prometheus, a HEAD and a health check in between, the
 * textfile (all of them a ks_collector_scrape()), whatever their number.
 * The series (labels, vCPUs) are there from the start.
 */
static void test_zero_hold_every_reader(void **state)
{
	struct fake f = fake_new(KS_HAVE_CONV | KS_HAVE_HV_FIFO);
	struct ks_collector c;
	char *m;

	(void)state;
	setup_collector(&c, &f, 60, true);
	c.ropts.zero_hold = 30;
	f.live[0] = "kvm-1";
	f.value = 4;
	/* Prometheus A, a HEAD, Prometheus B, the textfile: all see 0. */
	for (double t = 100; t < 130; t += 7.4) {
		fake_now = t;
		m = scrape(&c);
		assert_true(has(m, CONV_PRIV("kvm-1") " 0"));
		assert_true(has(m, "kvmscope_mem_conversion_duration_seconds_count{vm=\"kvm-1\",direction=\"private\"} 0"));
		assert_true(has(m, "kvmscope_mem_conversion_duration_seconds_sum{vm=\"kvm-1\",direction=\"private\"} 0"));
		assert_true(has(m, "kvmscope_hv_tlb_flush_enqueues_total{vm=\"kvm-1\",vcpu=\"1\",fifo=\"l2\"} 0"));
		assert_true(has(m, "kvmscope_vms{state=\"live\"} 1"));
		free(m);
		free(scrape(&c));	/* a second reader at the same time */
		ks_collector_tick(&c, 0);	/* an idle tick */
	}
	fake_now = 129.9;
	m = scrape(&c);
	assert_true(has(m, CONV_PRIV("kvm-1") " 0"));
	free(m);
	fake_now = 130;		/* 30s after it was first seen */
	m = scrape(&c);
	assert_true(has(m, CONV_PRIV("kvm-1") " 4"));
	assert_true(has(m, "kvmscope_hv_tlb_flush_enqueues_total{vm=\"kvm-1\",vcpu=\"1\",fifo=\"l2\"} 2"));
	free(m);
	/* A VM arriving later starts at 0 too; the known one does not. */
	f.live[1] = "kvm-2";
	fake_now = 131;
	m = scrape(&c);
	assert_true(has(m, CONV_PRIV("kvm-2") " 0"));
	assert_true(has(m, CONV_PRIV("kvm-1") " 4"));
	free(m);
	ks_collector_free(&c);
}

/*
 * The idle tick collects only when no scrape did within its period, so a
 * scrape never waits behind a collection nobody asked for; it says when
 * it is due next.  Its first call collects, whatever the clock.
 */
static void test_idle_tick(void **state)
{
	struct fake f = fake_new(KS_HAVE_CONV);
	struct ks_collector c;

	(void)state;
	setup_collector(&c, &f, 60, false);
	fake_now = 3;
	assert_float_equal(ks_collector_tick(&c, 15), 15, 0);
	assert_int_equal(f.collections, 1);
	fake_now = 10;
	free(scrape(&c));
	assert_int_equal(f.collections, 2);
	fake_now = 14;		/* 4 s after the scrape: not due */
	assert_float_equal(ks_collector_tick(&c, 15), 11, 1e-9);
	assert_int_equal(f.collections, 2);
	fake_now = 25;		/* 15 s after it: due */
	assert_float_equal(ks_collector_tick(&c, 15), 15, 0);
	assert_int_equal(f.collections, 3);
	fake_now = 26;
	assert_float_equal(ks_collector_tick(&c, 15), 14, 1e-9);
	assert_int_equal(f.collections, 3);
	ks_collector_free(&c);
}

/*
 * A VM gone within its zero hold is still exported with its values after
 * the hold, for the whole grace: its grace starts when the hold ends.
 */
static void test_gone_within_zero_hold(void **state)
{
	struct fake f = fake_new(KS_HAVE_CONV);
	struct ks_collector c;
	char *m;

	(void)state;
	setup_collector(&c, &f, 5, false);
	c.ropts.zero_hold = 10;
	f.live[0] = "kvm-3";
	f.value = 4;
	free(scrape(&c));
	f.live[0] = NULL;
	fake_now = 101;		/* gone: its fake rows stay as they were */
	m = scrape(&c);
	assert_true(has(m, CONV_PRIV("kvm-3") " 0"));
	assert_true(has(m, "kvmscope_vms{state=\"expiring\"} 1"));
	free(m);
	fake_now = 110;
	m = scrape(&c);
	assert_true(has(m, CONV_PRIV("kvm-3") " 4"));
	free(m);
	fake_now = 114.9;
	m = scrape(&c);
	assert_true(has(m, CONV_PRIV("kvm-3") " 4"));
	assert_int_equal(f.nr_forgotten, 0);
	free(m);
	fake_now = 115;
	m = scrape(&c);
	assert_null(strstr(m, "kvm-3"));
	assert_int_equal(f.nr_forgotten, 1);
	free(m);
	ks_collector_free(&c);
}

#define SHARED_REQ \
	"kvmscope_mapgpa_requests_total{vm=\"kvm-1\",direction=\"shared\"}"
#define PRIVATE_REQ \
	"kvmscope_mapgpa_requests_total{vm=\"kvm-1\",direction=\"private\"}"
#define CLAMPS "kvmscope_collector_clamps_total{collector=\"fake\"}"

/*
 * The kernel adds to count, then to to_private: a read in between has
 * to_private behind, so shared = count - to_private is one too many, and
 * the next read one less.  Exported, that dip is a counter reset: the
 * store keeps the higher value, and says so.
 */
static void test_torn_read_never_dips(void **state)
{
	struct fake f = fake_new(KS_HAVE_MAPGPA);
	struct ks_collector c;
	char *m;

	(void)state;
	setup_collector(&c, &f, 60, false);
	f.live[0] = "kvm-1";
	f.count = 10;
	f.to_private = 4;
	past_zero_hold(&c);
	m = scrape(&c);
	assert_true(has(m, SHARED_REQ " 6"));
	assert_true(has(m, PRIVATE_REQ " 4"));
	assert_true(has(m, CLAMPS " 0"));
	free(m);
	f.count = 11;		/* torn: a request to private, half added */
	m = scrape(&c);
	assert_true(has(m, SHARED_REQ " 7"));
	assert_true(has(m, PRIVATE_REQ " 4"));
	free(m);
	f.to_private = 5;	/* ... and the other half: shared reads 6 */
	m = scrape(&c);
	assert_true(has(m, SHARED_REQ " 7"));
	assert_true(has(m, PRIVATE_REQ " 5"));
	assert_true(has(m, CLAMPS " 1"));
	free(m);
	f.count = 13;		/* two more to shared: 6 + 2 */
	m = scrape(&c);
	assert_true(has(m, SHARED_REQ " 8"));
	assert_true(has(m, CLAMPS " 1"));
	free(m);
	ks_collector_free(&c);
}

/* Any counter of a live VM read lower than exported keeps its value. */
static void test_counter_never_backwards(void **state)
{
	struct fake f = fake_new(KS_HAVE_CONV | KS_HAVE_ROLES);
	struct ks_collector c;
	char *m;

	(void)state;
	setup_collector(&c, &f, 60, false);
	f.live[0] = "kvm-1";
	f.value = 9;
	past_zero_hold(&c);
	free(scrape(&c));
	f.value = 3;		/* e.g. a row deleted and re-created */
	f.vcpus = 1;		/* vCPU 1's row gone: its counters read 0 */
	m = scrape(&c);
	assert_true(has(m, CONV_PRIV("kvm-1") " 9"));
	assert_true(has(m, "kvmscope_mem_conversion_duration_seconds_count{vm=\"kvm-1\",direction=\"private\"} 9"));
	assert_true(has(m, "kvmscope_mmu_role_computations_total{vm=\"kvm-1\",mmu=\"ngpa_walk\"} 20"));
	/* count, 1 slot and the sum of the histogram; vCPU 1's 2 roles. */
	assert_true(has(m, CLAMPS " 5"));
	free(m);
	f.value = 12;
	m = scrape(&c);
	assert_true(has(m, CONV_PRIV("kvm-1") " 12"));
	assert_true(has(m, CLAMPS " 7"));	/* vCPU 1's, read 0 again */
	free(m);
	ks_collector_free(&c);
}

/*
 * A VM that died and expired has no past: one that comes back with the
 * same id (a reused pid) is a new VM, held at 0 and then at its values,
 * however much lower than the old ones they are.
 */
static void test_new_identity_starts_at_zero(void **state)
{
	struct fake f = fake_new(KS_HAVE_CONV);
	struct ks_collector c;
	char *m;

	(void)state;
	setup_collector(&c, &f, 5, false);
	c.ropts.zero_hold = 10;
	f.live[0] = "kvm-1";
	f.value = 9;
	free(scrape(&c));
	fake_now = 110;
	m = scrape(&c);
	assert_true(has(m, CONV_PRIV("kvm-1") " 9"));
	free(m);
	f.live[0] = NULL;
	fake_now = 115;
	m = scrape(&c);
	assert_null(strstr(m, "kvm-1"));
	assert_int_equal(f.nr_forgotten, 1);
	free(m);
	f.live[0] = "kvm-1";
	f.value = 2;
	fake_now = 116;
	m = scrape(&c);
	assert_true(has(m, CONV_PRIV("kvm-1") " 0"));
	free(m);
	fake_now = 126;
	m = scrape(&c);
	assert_true(has(m, CONV_PRIV("kvm-1") " 2"));
	assert_true(has(m, CLAMPS " 0"));
	free(m);
	ks_collector_free(&c);
}

static void test_zero_grace(void **state)
{
	struct fake f = fake_new(KS_HAVE_CONV);
	struct ks_collector c;
	char *m;

	(void)state;
	setup_collector(&c, &f, 0, false);
	f.live[0] = "kvm-9";
	free(scrape(&c));
	f.live[0] = NULL;
	m = scrape(&c);
	assert_null(strstr(m, "kvm-9"));
	assert_int_equal(f.nr_forgotten, 1);
	free(m);
	ks_collector_free(&c);
}

/* Sources re-add cumulative values: nothing doubles across collections. */
static void test_values_not_accumulated(void **state)
{
	struct fake f = fake_new(KS_HAVE_CONV);
	struct ks_collector c;
	char *m;

	(void)state;
	setup_collector(&c, &f, 60, false);
	f.live[0] = "kvm-1";
	f.value = 3;
	for (int i = 0; i < 3; i++)
		free(scrape(&c));
	m = scrape(&c);
	assert_non_null(strstr(m, "kvmscope_mem_conversions_total{vm=\"kvm-1\",direction=\"private\"} 3\n"));
	assert_non_null(strstr(m, "kvmscope_mem_conversion_duration_seconds_count{vm=\"kvm-1\",direction=\"private\"} 3\n"));
	/* 3 x 5000 ns */
	assert_non_null(strstr(m, "kvmscope_mem_conversion_duration_seconds_sum{vm=\"kvm-1\",direction=\"private\"} 0.000015\n"));
	free(m);
	ks_collector_free(&c);
}

static void test_per_vm_vs_per_vcpu(void **state)
{
	struct fake f = fake_new(KS_HAVE_HV_FIFO | KS_HAVE_ROLES);
	struct ks_collector c;
	char *m;

	(void)state;
	f.vcpus = 3;
	setup_collector(&c, &f, 60, false);
	f.live[0] = "kvm-1";
	free(scrape(&c));	/* the first one is all zeros */
	m = scrape(&c);
	/* Per VM: vCPUs summed (1+2+3), no vcpu label anywhere. */
	assert_null(strstr(m, "vcpu=\""));
	assert_non_null(strstr(m, "kvmscope_hv_tlb_flush_enqueues_total{vm=\"kvm-1\",fifo=\"l2\"} 6\n"));
	assert_non_null(strstr(m, "kvmscope_hv_tlb_flush_latency_seconds_count{vm=\"kvm-1\",fifo=\"l2\"} 6\n"));
	assert_non_null(strstr(m, "kvmscope_mmu_role_computations_total{vm=\"kvm-1\",mmu=\"ngpa_walk\"} 30\n"));
	assert_non_null(strstr(m, "kvmscope_mmu_role_changes_total{vm=\"kvm-1\",mmu=\"ngpa_walk\",cause=\"nested\"} 3\n"));
	assert_int_equal(count_lines(m, "kvmscope_hv_tlb_flush_latency_seconds_count{"), 2);
	free(m);
	ks_collector_free(&c);

	f = fake_new(KS_HAVE_HV_FIFO | KS_HAVE_ROLES);
	f.vcpus = 3;
	setup_collector(&c, &f, 60, true);
	f.live[0] = "kvm-1";
	free(scrape(&c));
	m = scrape(&c);
	assert_non_null(strstr(m, "kvmscope_hv_tlb_flush_enqueues_total{vm=\"kvm-1\",vcpu=\"2\",fifo=\"l2\"} 3\n"));
	assert_int_equal(count_lines(m, "kvmscope_hv_tlb_flush_latency_seconds_count{"), 6);
	/* vCPUs come out in id order although added in reverse. */
	assert_true(strstr(m, "vcpu=\"0\",fifo=\"l1\"} 0") <
		    strstr(m, "vcpu=\"1\",fifo=\"l1\"} 0"));
	free(m);
	ks_collector_free(&c);
}

/* Host-wide flush hypercalls by the level of the vCPU that issued them. */
static void test_hypercalls_by_issuer(void **state)
{
	struct fake f = fake_new(KS_HAVE_HV_HYPERCALLS);
	struct ks_collector c;
	char *m;

	(void)state;
	setup_collector(&c, &f, 60, false);
	f.value = 5;
	m = scrape(&c);
	assert_non_null(strstr(m, "kvmscope_hv_tlb_flush_hypercalls_total{issuer=\"l1\"} 0\n"));
	assert_non_null(strstr(m, "kvmscope_hv_tlb_flush_hypercalls_total{issuer=\"l2\"} 5\n"));
	free(m);
	ks_collector_free(&c);
}

static void test_families_gated(void **state)
{
	struct fake f = fake_new(KS_HAVE_CONV);
	struct ks_collector c;
	char *m;

	(void)state;
	setup_collector(&c, &f, 60, false);
	f.live[0] = "kvm-1";
	m = scrape(&c);
	/* Fallback conversions: no no-op or flush counters (unobservable). */
	assert_non_null(strstr(m, "# TYPE kvmscope_mem_conversions_total counter\n"));
	assert_non_null(strstr(m, "# TYPE kvmscope_mem_conversion_duration_seconds histogram\n"));
	assert_null(strstr(m, "kvmscope_mem_conversion_noops_total"));
	assert_null(strstr(m, "kvmscope_mem_conversion_tlb_flushes_total"));
	assert_null(strstr(m, "kvmscope_hv_"));
	assert_null(strstr(m, "kvmscope_mmu_role"));
	assert_non_null(strstr(m, "kvmscope_info{version=\"test\",kernel=\"k\",mode=\"series\"} 1\n"));
	assert_non_null(strstr(m, "kvmscope_lost_events_total{collector=\"fake\",reason=\"map_full\"} 7\n"));
	free(m);
	ks_collector_free(&c);
}

#define UP "kvmscope_collector_up{collector=\"fake\"}"
#define ERRORS "kvmscope_collector_errors_total{collector=\"fake\"}"

/*
 * A source that fails halfway leaves its VMs as the last good collection
 * saw them: values (no zeros, no partial sums: Prometheus would read
 * both as a reset), self stats, and live, however long it fails.
 */
static void test_failing_source(void **state)
{
	struct fake f = fake_new(KS_HAVE_CONV);
	struct ks_collector c;
	char *m;

	(void)state;
	setup_collector(&c, &f, 30, false);
	f.live[0] = "kvm-1";
	f.live[1] = "kvm-2";
	f.value = 6;
	past_zero_hold(&c);
	m = scrape(&c);
	assert_true(has(m, UP " 1"));
	assert_true(has(m, ERRORS " 0"));
	assert_true(has(m, CONV_PRIV("kvm-1") " 6"));
	free(m);
	f.fail = -5;
	f.value = 8;		/* kvm-1 read as 4 (half), kvm-2 not at all */
	for (fake_now = 120; fake_now <= 210; fake_now += 45) {
		m = scrape(&c);
		assert_true(has(m, UP " 0"));
		assert_true(has(m, CONV_PRIV("kvm-1") " 6"));
		assert_true(has(m, CONV_PRIV("kvm-2") " 6"));
		assert_true(has(m, "kvmscope_vms{state=\"live\"} 2"));
		assert_true(has(m, "kvmscope_lost_events_total{collector=\"fake\",reason=\"map_full\"} 7"));
		assert_true(has(m, CLAMPS " 0"));
		free(m);
	}
	assert_int_equal(f.nr_forgotten, 0);
	f.fail = 0;
	m = scrape(&c);
	assert_true(has(m, UP " 1"));
	assert_true(has(m, ERRORS " 3"));
	assert_true(has(m, CONV_PRIV("kvm-1") " 8"));
	assert_true(has(m, CONV_PRIV("kvm-2") " 8"));
	free(m);
	ks_collector_free(&c);
}

/*
 * Two sources with the same VM: the one that fails keeps its families at
 * their last values, the other one's move on.
 */
static void test_one_of_two_sources_fails(void **state)
{
	struct fake conv = fake_new(KS_HAVE_CONV);
	struct fake roles = fake_new(KS_HAVE_ROLES);
	struct ks_collector c;
	char *m;

	(void)state;
	roles.src.name = "roles";
	setup_collector(&c, &conv, 60, false);
	assert_int_equal(ks_collector_add(&c, &roles.src), 0);
	conv.live[0] = roles.live[0] = "kvm-1";
	conv.value = 6;
	past_zero_hold(&c);
	free(scrape(&c));
	conv.fail = -5;
	conv.value = 8;
	roles.vcpus = 3;
	m = scrape(&c);
	assert_true(has(m, UP " 0"));
	assert_true(has(m, "kvmscope_collector_up{collector=\"roles\"} 1"));
	assert_true(has(m, CONV_PRIV("kvm-1") " 6"));
	assert_true(has(m, "kvmscope_mmu_role_computations_total{vm=\"kvm-1\",mmu=\"ngpa_walk\"} 30"));
	free(m);
	ks_collector_free(&c);
}

/* Rows of an exited VMM: exported with fresh values for the grace period
 * from when it was last live, or first seen if never seen live. */
static void test_gone_vms(void **state)
{
	struct ks_store s;
	struct ks_vm *vm;

	(void)state;
	ks_store_init(&s, NULL);
	ks_store_begin(&s, 10);
	ks_store_vm(&s, "kvm-1")->conv[0].count = 1;
	ks_store_gone_vm(&s, "kvm-2")->conv[0].count = 5;	/* never live */
	assert_int_equal(ks_store_expire(&s, 30, 0, NULL, NULL), 0);

	ks_store_begin(&s, 20);
	vm = ks_store_gone_vm(&s, "kvm-1");
	vm->conv[0].count = 2;		/* its final value, still refreshed */
	assert_false(ks_vm_live(&s, vm));
	ks_store_gone_vm(&s, "kvm-2");
	assert_int_equal(ks_store_expire(&s, 30, 0, NULL, NULL), 0);
	assert_int_equal(ks_store_find(&s, "kvm-1")->conv[0].count, 2);

	ks_store_begin(&s, 39.5);
	ks_store_gone_vm(&s, "kvm-1");
	ks_store_gone_vm(&s, "kvm-2");
	assert_int_equal(ks_store_expire(&s, 30, 0, NULL, NULL), 0);
	/* 30s after kvm-1 was last live and kvm-2 first seen: both go. */
	ks_store_begin(&s, 40);
	ks_store_gone_vm(&s, "kvm-1");
	vm = ks_store_gone_vm(&s, "kvm-2");
	/* Live and gone rows in one collection: live wins. */
	ks_store_vm(&s, "kvm-3");
	ks_store_gone_vm(&s, "kvm-3");
	assert_true(ks_vm_live(&s, ks_store_find(&s, "kvm-3")));
	assert_int_equal(ks_store_expire(&s, 30, 0, NULL, NULL), 2);
	assert_null(ks_store_find(&s, "kvm-1"));
	assert_null(ks_store_find(&s, "kvm-2"));
	assert_non_null(ks_store_find(&s, "kvm-3"));
	ks_store_free(&s);
}

static void test_vcpu_lookup(void **state)
{
	struct ks_store s;
	struct ks_vm *vm;
	int ids[] = { 5, 1, 9, 3, 7, 0, 8 };

	(void)state;
	ks_store_init(&s, NULL);
	ks_store_begin(&s, 1);
	vm = ks_store_vm(&s, "kvm-1");
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		ks_vm_vcpu(vm, ids[i])->roles.computed[0] = ids[i];
	assert_int_equal(vm->nr_vcpus, 7);
	for (size_t i = 1; i < vm->nr_vcpus; i++)
		assert_true(vm->vcpus[i - 1].id < vm->vcpus[i].id);
	assert_int_equal(ks_vm_vcpu(vm, 9)->roles.computed[0], 9);
	assert_int_equal(vm->nr_vcpus, 7);
	/* A new collection zeroes counters but keeps the vCPUs and name. */
	snprintf(vm->name, sizeof(vm->name), "web");
	ks_store_begin(&s, 2);
	assert_ptr_equal(ks_store_vm(&s, "kvm-1"), vm);
	assert_int_equal(vm->nr_vcpus, 7);
	assert_int_equal(ks_vm_vcpu(vm, 9)->roles.computed[0], 0);
	assert_string_equal(vm->name, "web");
	ks_store_free(&s);
}

/*
 * A source of kernel rows, as the BPF ones are: each row names its VM by
 * the stats id KVM gave it and its VMM process (ks_store_row_vm()), and
 * forgetting a VM deletes the rows of its process.
 */
struct rows_source {
	struct ks_source src;
	struct { char stats_id[KS_STATS_ID_LEN]; pid_t pid; } rows[4];
	int nr_rows;
	pid_t forgotten;
};

static int rows_collect(struct ks_source *src, struct ks_store *s)
{
	struct rows_source *r = (struct rows_source *)src;

	for (int i = 0; i < r->nr_rows; i++) {
		struct ks_vm *vm = ks_store_row_vm(s, r->rows[i].stats_id,
						   r->rows[i].pid, "qemu");

		assert_non_null(vm);
		vm->conv[KS_DIR_PRIVATE].count += 3;
	}
	return 0;
}

static void rows_forget(struct ks_source *src, const struct ks_vm *vm)
{
	struct rows_source *r = (struct rows_source *)src;
	int kept = 0;

	r->forgotten = vm->pid;
	for (int i = 0; i < r->nr_rows; i++)
		if (r->rows[i].pid != vm->pid)
			r->rows[kept++] = r->rows[i];
	r->nr_rows = kept;
}

/* No such processes: above any pid_max (PID_MAX_LIMIT is 4194304). */
#define GONE_VMM	0x7ffffff0
#define GONE_THREAD	0x7ffffff1

/*
 * KVM names a VM "kvm-<tid>" after the thread that created it, which need
 * not be its VMM's main thread.  The VM's liveness, name and expiry go by
 * the VMM process its rows carry: once it exited, the VM is exported for
 * the grace period, then its rows are deleted and its name forgotten, and
 * it never comes back, as it would if the pid were read out of the id.
 */
static void test_vm_identity(void **state)
{
	struct rows_source r = {
		.src = {
			.name = "rows", .mode = "series", .have = KS_HAVE_CONV,
			.collect = rows_collect, .forget = rows_forget,
			.destroy = fake_destroy,
		},
		.nr_rows = 2,
	};
	struct ks_render_opts o = { .version = "test", .kernel = "k",
				    .mode = "series" };
	struct ks_collector c;
	char gone[KS_STATS_ID_LEN], live[KS_STATS_ID_LEN];
	struct ks_vm *vm;
	char *m;

	(void)state;
	snprintf(gone, sizeof(gone), "kvm-%d", GONE_THREAD);
	snprintf(live, sizeof(live), "kvm-%d", GONE_THREAD + 1);
	memcpy(r.rows[0].stats_id, gone, sizeof(gone));
	r.rows[0].pid = GONE_VMM;
	/* Live: this process, its VM made by a thread that is not its main. */
	memcpy(r.rows[1].stats_id, live, sizeof(live));
	r.rows[1].pid = getpid();
	ks_collector_init(&c, 30, &o);
	c.clock = fake_clock;
	fake_now = 100;
	assert_int_equal(ks_collector_add(&c, &r.src), 0);

	m = scrape(&c);
	assert_true(has(m, "kvmscope_vms{state=\"live\"} 1"));
	assert_true(has(m, "kvmscope_vms{state=\"expiring\"} 1"));
	free(m);
	vm = ks_store_find(&c.store, gone);
	assert_non_null(vm);
	assert_int_equal(vm->pid, GONE_VMM);
	assert_false(ks_vm_live(&c.store, vm));
	assert_string_equal(vm->name, "qemu");	/* its rows' comm */
	vm = ks_store_find(&c.store, live);
	assert_non_null(vm);
	assert_int_equal(vm->pid, getpid());
	assert_true(ks_vm_live(&c.store, vm));

	/* Grace over: its VMM's rows deleted, its name forgotten. */
	fake_now = 130;
	free(scrape(&c));
	assert_null(ks_store_find(&c.store, gone));
	assert_int_equal(r.forgotten, GONE_VMM);
	assert_int_equal(r.nr_rows, 1);
	for (size_t i = 0; i < c.names.nr; i++)
		assert_int_not_equal(c.names.v[i].pid, GONE_VMM);

	/* No phantom: the dead VM does not come back, grace after grace. */
	for (fake_now = 131; fake_now < 200; fake_now += 30) {
		m = scrape(&c);
		assert_null(strstr(m, gone));
		assert_true(has(m, "kvmscope_vms{state=\"expiring\"} 0"));
		free(m);
	}
	assert_non_null(ks_store_find(&c.store, live));
	ks_collector_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grace_expiry),
		cmocka_unit_test(test_zero_hold_every_reader),
		cmocka_unit_test(test_gone_within_zero_hold),
		cmocka_unit_test(test_idle_tick),
		cmocka_unit_test(test_torn_read_never_dips),
		cmocka_unit_test(test_counter_never_backwards),
		cmocka_unit_test(test_new_identity_starts_at_zero),
		cmocka_unit_test(test_zero_grace),
		cmocka_unit_test(test_values_not_accumulated),
		cmocka_unit_test(test_per_vm_vs_per_vcpu),
		cmocka_unit_test(test_hypercalls_by_issuer),
		cmocka_unit_test(test_families_gated),
		cmocka_unit_test(test_failing_source),
		cmocka_unit_test(test_one_of_two_sources_fails),
		cmocka_unit_test(test_gone_vms),
		cmocka_unit_test(test_vm_identity),
		cmocka_unit_test(test_vcpu_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
