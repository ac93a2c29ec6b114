// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hvflush-top's program selection, shared with the exporter: one program
 * of each tp_btf/raw_tp pair, only for the events the mode uses.  The
 * skeleton is opened, not loaded: no privileges needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/libbpf.h>

#include "hvflush.skel.h"

#include "hvflush-top/collect.h"

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

static void test_series(void **state)
{
	struct hvflush_bpf *s = hvflush_bpf__open();
	struct ks_mode m = { .kind = KS_MODE_SERIES, .tp_btf = true };
	char buf[512];

	(void)state;
	assert_non_null(s);
	hv_select_programs(s, &m);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "tlb_enqueue_btf tlb_dequeue_btf synthetic_vmexit_btf "
			    "flush_tlb_btf flush_tlb_ex_btf");
	m.tp_btf = false;
	hv_select_programs(s, &m);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "tlb_enqueue_raw tlb_dequeue_raw synthetic_vmexit_raw "
			    "flush_tlb_raw flush_tlb_ex_raw");
	hvflush_bpf__destroy(s);
}

/* The hypercall programs only, tp_btf where the kernel's BTF allows. */
static void test_fallback(void **state)
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

/* The fallback's events are the series' last two: the hypercalls. */
static void test_events(void **state)
{
	int n = 0;

	(void)state;
	while (hv_series_events[n])
		n++;
	assert_ptr_equal(hv_fallback_events, &hv_series_events[n - 2]);
	assert_string_equal(hv_fallback_events[0], "kvm:kvm_hv_flush_tlb");
	assert_string_equal(hv_fallback_events[1], "kvm:kvm_hv_flush_tlb_ex");
	assert_null(hv_fallback_events[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
