// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tdx-trace's program selection, shared with the exporter and the BPF
 * tests: which programs of tdx_conv.bpf.c and tdx_roles.bpf.c each mode
 * loads.  The skeletons are opened, not loaded: no privileges needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/libbpf.h>

#include "tdx_conv.skel.h"
#include "tdx_roles.skel.h"

#include "tdx-trace/conversions.h"
#include "tdx-trace/roles.h"

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
	struct tdx_conv_bpf *s = tdx_conv_bpf__open();
	char buf[512];

	(void)state;
	assert_non_null(s);
	tdx_conv_select_progs(s, TDX_PROGS_SERIES_BTF, false);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "conv_begin_btf conv_zap_btf conv_end_btf");
	tdx_conv_select_progs(s, TDX_PROGS_SERIES_RAW, true);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "conv_begin_raw conv_zap_raw conv_end_raw "
			    "mapgpa_hcall_raw mapgpa_uexit_raw mapgpa_entry_raw");
	tdx_conv_select_progs(s, TDX_PROGS_FALLBACK, true);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "fb_ioctl_enter fb_ioctl_exit fb_spte_changed_raw "
			    "mapgpa_hcall_raw mapgpa_uexit_raw mapgpa_entry_raw");
	tdx_conv_bpf__destroy(s);
}

static void test_roles_progs(void **state)
{
	struct tdx_roles_bpf *s = tdx_roles_bpf__open();
	char buf[256];

	(void)state;
	assert_non_null(s);
	tdx_roles_select_progs(s, true, true);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "role_btf init_mmu_entry init_mmu_exit");
	assert_ptr_equal(tdx_roles_role_prog(s), s->progs.role_btf);
	tdx_roles_select_progs(s, false, false);
	autoloaded(s->obj, buf, sizeof(buf));
	assert_string_equal(buf, "role_raw");
	assert_ptr_equal(tdx_roles_role_prog(s), s->progs.role_raw);
	tdx_roles_bpf__destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv_progs),
		cmocka_unit_test(test_roles_progs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
