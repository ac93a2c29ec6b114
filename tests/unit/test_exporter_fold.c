// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmscope-exporter's bounded cardinality (--max-vms, --max-vcpus),
 * through a fake source and an injected clock: VMs past the limit fold
 * into vm="_other" (the newest fold, and stay folded), _other is the sum of
 * what they did and never goes backwards as they come, dip and go, the
 * folded gauges, and vCPUs past the limit folding into vcpu="_other"
 * without being counted twice in the per-VM sums.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kvmscope-exporter/collector.h"
#include "kvmscope-exporter/store.h"

#define MAX_FAKE_VMS 8

/* A fake source: each VM it reports live, with its own cumulative value. */
struct fake {
	struct ks_source src;
	struct {
		const char *id;		/* NULL: not reported (gone) */
		uint64_t value;
	} vm[MAX_FAKE_VMS];
	int vcpus;
	int nr_forgotten;
};

static int fake_collect(struct ks_source *src, struct ks_store *s)
{
	struct fake *f = (struct fake *)src;

	for (int i = 0; i < MAX_FAKE_VMS; i++) {
		struct ks_vm *vm;

		if (!f->vm[i].id)
			continue;
		vm = ks_store_vm(s, f->vm[i].id);
		assert_non_null(vm);
		vm->conv[KS_DIR_PRIVATE].count = f->vm[i].value;
		vm->conv[KS_DIR_PRIVATE].duration.slots[12] = f->vm[i].value;
		for (int v = 0; v < f->vcpus; v++) {
			struct ks_vcpu *vc = ks_vm_vcpu(vm, v);

			assert_non_null(vc);
			vc->hv[KS_FIFO_L2].enqueues = f->vm[i].value * (v + 1);
		}
	}
	return 0;
}

static void fake_forget(struct ks_source *src, const struct ks_vm *vm)
{
	(void)vm;
	((struct fake *)src)->nr_forgotten++;
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

static void setup(struct ks_collector *c, struct fake *f, double grace,
		  bool per_vcpu, size_t max_vms, size_t max_vcpus)
{
	struct ks_render_opts o = {
		.per_vcpu = per_vcpu, .version = "test", .kernel = "k",
		.mode = "series",
	};

	memset(f, 0, sizeof(*f));
	f->src = (struct ks_source){
		.name = "fake", .mode = "series",
		.have = KS_HAVE_CONV | KS_HAVE_HV_FIFO,
		.collect = fake_collect, .forget = fake_forget,
		.destroy = fake_destroy,
	};
	ks_collector_init(c, grace, &o);
	ks_store_limit(&c->store, max_vms, max_vcpus);
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

/* Is @line, a whole sample line, in the exposition @m? */
static bool has(const char *m, const char *line)
{
	char want[256];
	const char *p;

	snprintf(want, sizeof(want), "%s\n", line);
	p = strstr(m, want);
	return p && (p == m || p[-1] == '\n');
}

static int count_lines(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, prefix)); p++)
		n += p == text || p[-1] == '\n';
	return n;
}

#define CONV(vm) \
	"kvmscope_mem_conversions_total{vm=\"" vm "\",direction=\"private\"}"
#define OTHER_CONV \
	"kvmscope_mem_conversions_total{vm=\"_other\",vm_name=\"_other\",direction=\"private\"}"
#define OTHER_COUNT \
	"kvmscope_mem_conversion_duration_seconds_count{vm=\"_other\",vm_name=\"_other\",direction=\"private\"}"

/* Past max_vms, the newest VMs fold into _other, whatever their ids. */
static void test_fold_beyond_max(void **state)
{
	struct ks_collector c;
	struct fake f;
	char *m;

	(void)state;
	setup(&c, &f, 60, false, 2, 0);
	f.vm[0].id = "kvm-5";
	f.vm[0].value = 1;
	f.vm[1].id = "kvm-6";
	f.vm[1].value = 2;
	m = scrape(&c);
	assert_null(strstr(m, "{vm=\"_other\""));
	assert_null(strstr(m, "vcpu=\"_other\""));
	assert_true(has(m, "kvmscope_vms_folded 0"));
	free(m);

	/* Newer VMs, one sorting before the established ones. */
	f.vm[2].id = "kvm-1";
	f.vm[2].value = 10;
	f.vm[3].id = "kvm-9";
	f.vm[3].value = 20;
	fake_now = 110;
	m = scrape(&c);
	assert_true(has(m, CONV("kvm-5") " 1"));
	assert_true(has(m, CONV("kvm-6") " 2"));
	assert_null(strstr(m, "vm=\"kvm-1\""));
	assert_null(strstr(m, "vm=\"kvm-9\""));
	assert_true(has(m, OTHER_CONV " 30"));
	assert_true(has(m, OTHER_COUNT " 30"));
	assert_true(has(m, "kvmscope_vms_folded 2"));
	assert_true(has(m, "kvmscope_vm_folds_total 2"));
	/* kvm-5, kvm-6 and _other, all live. */
	assert_true(has(m, "kvmscope_vms{state=\"live\"} 3"));
	assert_int_equal(count_lines(m, "kvmscope_mem_conversions_total{"), 6);
	free(m);
	ks_collector_free(&c);
}

/*
 * _other adds up what the folded VMs grew by: it keeps what a VM that died
 * did, ignores a folded VM's torn read (a clamp) and never goes backwards.
 * A folded VM that is gone is dropped and forgotten at once, with no
 * grace.  A folded VM stays folded when room appears; a new VM takes the
 * room.
 */
static void test_other_monotonic(void **state)
{
	struct ks_collector c;
	struct fake f;
	char *m;

	(void)state;
	setup(&c, &f, 5, false, 1, 0);
	f.vm[0].id = "kvm-1";
	f.vm[0].value = 1;
	free(scrape(&c));
	f.vm[1].id = "kvm-2";
	f.vm[1].value = 10;
	f.vm[2].id = "kvm-3";
	f.vm[2].value = 20;
	fake_now = 101;
	m = scrape(&c);
	assert_true(has(m, OTHER_CONV " 30"));
	free(m);

	/* kvm-2 dies: dropped at once, _other keeps its 10; kvm-3 grows by 5. */
	f.vm[1].id = NULL;
	f.vm[2].value = 25;
	fake_now = 102;
	m = scrape(&c);
	assert_true(has(m, OTHER_CONV " 35"));
	assert_true(has(m, "kvmscope_vms_folded 1"));
	assert_int_equal(f.nr_forgotten, 1);
	assert_null(ks_store_find(&c.store, "kvm-2"));
	free(m);
	fake_now = 103;
	m = scrape(&c);
	assert_true(has(m, OTHER_CONV " 35"));
	free(m);

	/* A torn read of kvm-3 is held: _other does not dip, nor jump after. */
	f.vm[2].value = 22;
	fake_now = 108;
	m = scrape(&c);
	assert_true(has(m, OTHER_CONV " 35"));
	free(m);
	f.vm[2].value = 26;
	fake_now = 109;
	m = scrape(&c);
	assert_true(has(m, OTHER_CONV " 36"));
	free(m);

	/* kvm-1 dies and expires: kvm-3 stays folded, kvm-4 takes the room. */
	f.vm[0].id = NULL;
	fake_now = 120;
	free(scrape(&c));
	f.vm[3].id = "kvm-4";
	f.vm[3].value = 4;
	fake_now = 121;
	m = scrape(&c);
	assert_null(strstr(m, "vm=\"kvm-1\""));
	assert_null(strstr(m, "vm=\"kvm-3\""));
	assert_true(has(m, CONV("kvm-4") " 4"));
	assert_true(has(m, OTHER_CONV " 36"));
	assert_true(has(m, "kvmscope_vms_folded 1"));
	assert_int_equal(f.nr_forgotten, 2);	/* kvm-1, after its grace */
	free(m);

	/* Every folded VM gone: _other stays, at its value, not live. */
	f.vm[2].id = NULL;
	fake_now = 130;
	m = scrape(&c);
	assert_true(has(m, OTHER_CONV " 36"));
	assert_true(has(m, "kvmscope_vms_folded 0"));
	assert_true(has(m, "kvmscope_vm_folds_total 2"));
	assert_true(has(m, "kvmscope_vms{state=\"live\"} 1"));
	assert_true(has(m, "kvmscope_vms{state=\"expiring\"} 1"));
	free(m);
	ks_collector_free(&c);
}

#define ENQ(vm, vcpu) \
	"kvmscope_hv_tlb_flush_enqueues_total{vm=\"" vm "\",vcpu=\"" vcpu "\",fifo=\"l2\"}"

/* Past max_vcpus, a VM's vCPUs fold into its vcpu="_other". */
static void test_vcpu_fold(void **state)
{
	struct ks_collector c;
	struct fake f;
	char *m;

	(void)state;
	setup(&c, &f, 60, true, 1, 2);
	f.vcpus = 4;
	f.vm[0].id = "kvm-1";
	f.vm[0].value = 1;
	f.vm[1].id = "kvm-2";
	f.vm[1].value = 10;
	m = scrape(&c);
	/* value * (vcpu + 1): vCPUs 0, 1 on their own, 2 + 3 = 3 + 4. */
	assert_true(has(m, ENQ("kvm-1", "0") " 1"));
	assert_true(has(m, ENQ("kvm-1", "1") " 2"));
	assert_true(has(m, ENQ("kvm-1", "_other") " 7"));
	assert_null(strstr(m, "vcpu=\"2\""));
	assert_null(strstr(m, "vcpu=\"3\""));
	/* kvm-2 folded whole: its vCPUs in _other's vcpu="_other". */
	assert_true(has(m, "kvmscope_hv_tlb_flush_enqueues_total{vm=\"_other\",vm_name=\"_other\",vcpu=\"_other\",fifo=\"l2\"} 100"));
	assert_int_equal(count_lines(m, "kvmscope_hv_tlb_flush_enqueues_total{"), 8);
	free(m);
	ks_collector_free(&c);

	/* Per VM, the folded vCPUs count once. */
	setup(&c, &f, 60, false, 0, 2);
	f.vcpus = 4;
	f.vm[0].id = "kvm-1";
	f.vm[0].value = 1;
	free(scrape(&c));
	f.vm[0].value = 2;
	m = scrape(&c);
	assert_true(has(m, "kvmscope_hv_tlb_flush_enqueues_total{vm=\"kvm-1\",fifo=\"l2\"} 20"));
	assert_null(strstr(m, "{vm=\"_other\""));
	assert_null(strstr(m, "vcpu=\"_other\""));
	free(m);
	ks_collector_free(&c);
}

/* No limit: nothing folds, no _other. */
static void test_no_limit(void **state)
{
	struct ks_collector c;
	struct fake f;
	char *m;

	(void)state;
	setup(&c, &f, 60, true, 0, 0);
	f.vcpus = 3;
	for (int i = 0; i < MAX_FAKE_VMS; i++) {
		static const char *ids[MAX_FAKE_VMS] = {
			"kvm-1", "kvm-2", "kvm-3", "kvm-4",
			"kvm-5", "kvm-6", "kvm-7", "kvm-8",
		};

		f.vm[i].id = ids[i];
		f.vm[i].value = i;
	}
	m = scrape(&c);
	assert_null(strstr(m, "{vm=\"_other\""));
	assert_null(strstr(m, "vcpu=\"_other\""));
	assert_true(has(m, "kvmscope_vms_folded 0"));
	assert_int_equal(count_lines(m, "kvmscope_hv_tlb_flush_enqueues_total{"),
			 MAX_FAKE_VMS * 3 * KS_NR_FIFOS);
	free(m);
	ks_collector_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_beyond_max),
		cmocka_unit_test(test_other_monotonic),
		cmocka_unit_test(test_vcpu_fold),
		cmocka_unit_test(test_no_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
