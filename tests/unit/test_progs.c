// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Program selection, shared by each tool with the exporter and the BPF
 * tests: which programs of conversions.bpf.c, mmu_roles.bpf.c and
 * hvflush.bpf.c each mode loads.  The skeletons are opened, not loaded:
 * no privileges needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/libbpf.h>

#include "hvflush.skel.h"
#include "conversions.skel.h"
#include "mmu_roles.skel.h"

#include "probe_conv.h"
#include "probe_hvflush.h"
#include "probe_roles.h"

/* The names of the programs set to load, "a b c" in object order. */
static void autoloaded(const struct bpf_object *obj, char *buf, size_t len)
{
	struct bpf_program *prog;

	buf[0] = '\0';
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__autoload(prog))
			continue;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			 buf[0] ? " " : "", bpf_program__name(prog));
	}
}

static void test_conv_progs(void **state)
{
	struct conversions_bpf *s = conversions_bpf__open();
	char buf[512];

	(void)state;
	assert_non_null(s);
	conv_select_progs(s, CONV_PROGS_SERIES_BTF, false);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "conv_attrs_btf conv_zap_leafs_btf conv_done_btf "
			    "conv_task_exit");
	conv_select_progs(s, CONV_PROGS_SERIES_RAW, true);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "conv_attrs_raw conv_zap_leafs_raw conv_done_raw "
			    "mapgpa_hcall_raw mapgpa_uexit_raw mapgpa_entry_raw "
			    "conv_task_exit");
	/* tp_btf: kvm_hypercall_done's twin too, the vCPU id a plain load. */
	conv_select_progs(s, CONV_PROGS_SERIES_BTF, CONV_MAPGPA_HCALL_DONE);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "conv_attrs_btf conv_zap_leafs_btf conv_done_btf "
			    "mapgpa_hcall_raw mapgpa_hcall_done_btf mapgpa_chunk_raw "
			    "conv_task_exit");
	/* With the series' kvm_hypercall_done: nothing on kvm_entry. */
	conv_select_progs(s, CONV_PROGS_SERIES_RAW, CONV_MAPGPA_HCALL_DONE);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "conv_attrs_raw conv_zap_leafs_raw conv_done_raw "
			    "mapgpa_hcall_raw mapgpa_hcall_done_raw mapgpa_chunk_raw "
			    "conv_task_exit");
	/* The most any mode loads still fits the probe's links. */
	conv_select_progs(s, CONV_PROGS_SERIES_RAW,
			  CONV_MAPGPA_HYPERCALL | CONV_MAPGPA_TDX | CONV_MAPGPA_SNP);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "conv_attrs_raw conv_zap_leafs_raw conv_done_raw "
			    "mapgpa_hcall_raw mapgpa_uexit_raw mapgpa_entry_raw "
			    "mapgpa_tdx_raw mapgpa_tdx_done_raw mapgpa_chunk_raw "
			    "mapgpa_snp_raw mapgpa_snp_done_raw mapgpa_snp_msr_raw "
			    "mapgpa_snp_msr_done_raw conv_task_exit");
	assert_true(14 <= KS_PROBE_MAX_LINKS);
	conv_select_progs(s, CONV_PROGS_ATTR_EVENT, false);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "conv_attrs_raw fb_ioctl_enter fb_ioctl_exit "
			    "fb_spte_changed_raw conv_task_exit");
	conv_select_progs(s, CONV_PROGS_IOCTL, true);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "fb_ioctl_enter fb_ioctl_exit fb_spte_changed_raw "
			    "mapgpa_hcall_raw mapgpa_uexit_raw mapgpa_entry_raw "
			    "conv_task_exit");
	conversions_bpf__destroy(s);
}

static void test_roles_progs(void **state)
{
	struct mmu_roles_bpf *s = mmu_roles_bpf__open();
	char buf[256];

	(void)state;
	assert_non_null(s);
	mmu_roles_select_progs(s, true, true);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "role_of_btf init_mmu_entry init_mmu_exit");
	mmu_roles_select_progs(s, false, false);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "role_of_raw");
	mmu_roles_bpf__destroy(s);
}

static void test_hvflush_series(void **state)
{
	struct hvflush_bpf *s = hvflush_bpf__open();
	struct ks_mode m = { .kind = KS_MODE_SERIES, .tp_btf = true };
	char buf[512];

	(void)state;
	assert_non_null(s);
	hv_select_programs(s, &m);
	autoloaded(s->obj, buf, sizeof(buf));
	/* With the series, VMs' ends too: the VMM's exit, kvm_destroy_vm. */
	assert_string_equal(buf, "flush_enqueue_btf flush_dequeue_btf vmexit_inject_btf "
			    "flush_tlb_btf flush_tlb_ex_btf vmm_exit vm_destroy");
	m.tp_btf = false;
	hv_select_programs(s, &m);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "flush_enqueue_raw flush_dequeue_raw vmexit_inject_raw "
			    "flush_tlb_raw flush_tlb_ex_raw vmm_exit vm_destroy");
	hvflush_bpf__destroy(s);
}

/* The hypercall programs only, tp_btf where the kernel's BTF allows. */
static void test_hvflush_fallback(void **state)
{
	struct hvflush_bpf *s = hvflush_bpf__open();
	struct ks_mode m = { .kind = KS_MODE_FALLBACK };
	bool btf = ks_btf_has_tracepoint("kvm:kvm_hv_flush_tlb") &&
		   ks_btf_has_tracepoint("kvm:kvm_hv_flush_tlb_ex");
	char buf[512];

	(void)state;
	assert_non_null(s);
	hv_select_programs(s, &m);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, btf ? "flush_tlb_btf flush_tlb_ex_btf" :
				       "flush_tlb_raw flush_tlb_ex_raw");
	hvflush_bpf__destroy(s);
}

/* The series' events end with the fallback's: the hypercalls. */
static void test_hvflush_events(void **state)
{
	(void)state;
	assert_string_equal(hv_fallback_events[0], "kvm:kvm_hv_flush_tlb");
	assert_string_equal(hv_fallback_events[1], "kvm:kvm_hv_flush_tlb_ex");
	assert_null(hv_fallback_events[2]);
	for (int i = 0; hv_series[i].events; i++) {
		int n = 0;

		while (hv_series[i].events[n])
			n++;
		assert_true(n > 2);
		assert_string_equal(hv_series[i].events[n - 2], hv_fallback_events[0]);
		assert_string_equal(hv_series[i].events[n - 1], hv_fallback_events[1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv_progs),
		cmocka_unit_test(test_roles_progs),
		cmocka_unit_test(test_hvflush_series),
		cmocka_unit_test(test_hvflush_fallback),
		cmocka_unit_test(test_hvflush_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
