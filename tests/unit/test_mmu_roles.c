// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tdx-trace role decoding: bit fields, causes, formatting, diffs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tdx-trace/role_decode.h"

/*
 * A 64-bit long-mode L1 with TDP: level 4, CR0.WP, EFER.NX, SMEP&!WP
 * clear; ext valid, CR4.PSE, CR4.SMEP, EFER.LMA.
 */
#define L1_BASE	(4ULL | 1ULL << 12 | 1ULL << 13)
#define L1_EXT	(1ULL | 1ULL << 2 | 1ULL << 5 | 1ULL << 7)
#define L1	(L1_BASE | L1_EXT << 32)

static void test_fields(void **state)
{
	(void)state;
	assert_int_equal(mmu_role_get(L1, "level"), 4);
	assert_int_equal(mmu_role_get(L1, "efer_nx"), 1);
	assert_int_equal(mmu_role_get(L1, "cr0_wp"), 1);
	assert_int_equal(mmu_role_get(L1, "smep_andnot_wp"), 0);
	assert_int_equal(mmu_role_get(L1, "guest_mode"), 0);
	assert_int_equal(mmu_role_get(L1, "valid"), 1);
	assert_int_equal(mmu_role_get(L1, "cr4_pse"), 1);
	assert_int_equal(mmu_role_get(L1, "cr4_smep"), 1);
	assert_int_equal(mmu_role_get(L1, "cr4_smap"), 0);
	assert_int_equal(mmu_role_get(L1, "efer_lma"), 1);
	assert_int_equal(mmu_role_get(L1, "nonsense"), -1);
	/* Each field at its kvm_host.h position. */
	assert_int_equal(mmu_role_get(1ULL << 4, "has_4_byte_gpte"), 1);
	assert_int_equal(mmu_role_get(3ULL << 5, "quadrant"), 3);
	assert_int_equal(mmu_role_get(1ULL << 7, "direct"), 1);
	assert_int_equal(mmu_role_get(7ULL << 8, "access"), 7);
	assert_int_equal(mmu_role_get(1ULL << 11, "invalid"), 1);
	assert_int_equal(mmu_role_get(1ULL << 14, "smep_andnot_wp"), 1);
	assert_int_equal(mmu_role_get(1ULL << 15, "smap_andnot_wp"), 1);
	assert_int_equal(mmu_role_get(1ULL << 16, "ad_disabled"), 1);
	assert_int_equal(mmu_role_get(1ULL << 17, "guest_mode"), 1);
	assert_int_equal(mmu_role_get(1ULL << 18, "passthrough"), 1);
	assert_int_equal(mmu_role_get(1ULL << 24, "smm"), 1);
	assert_int_equal(mmu_role_get(1ULL << 33, "execonly"), 1);
	assert_int_equal(mmu_role_get(1ULL << 35, "cr4_pke"), 1);
	assert_int_equal(mmu_role_get(1ULL << 36, "cr4_smap"), 1);
	assert_int_equal(mmu_role_get(1ULL << 38, "cr4_la57"), 1);
}

/* A reset, or a cause this code does not know: the bits that moved. */
static void test_causes(void **state)
{
	(void)state;
	/* A walker's cpu_role: old ext.valid clear, never computed. */
	assert_int_equal(mmu_role_cause(MMU_REPORTED_RESET, MMU_GVA_WALK, 0, L1),
			 MMU_ROLE_CAUSE_INIT);
	assert_int_equal(mmu_role_cause(MMU_REPORTED_RESET, MMU_NGPA_WALK,
					L1 & ~(1ULL << 32), L1),
			 MMU_ROLE_CAUSE_INIT);
	/* guest_mode: nested transition. */
	assert_int_equal(mmu_role_cause(MMU_REPORTED_RESET, MMU_GVA_WALK, L1,
					L1 | 1ULL << 17),
			 MMU_ROLE_CAUSE_NESTED);
	/* smm byte: SMM transition. */
	assert_int_equal(mmu_role_cause(MMU_REPORTED_RESET, MMU_GVA_WALK, L1,
					L1 | 1ULL << 24),
			 MMU_ROLE_CAUSE_SMM);
	/* Nested wins over SMM when both move. */
	assert_int_equal(mmu_role_cause(MMU_REPORTED_RESET, MMU_GVA_WALK, L1,
					L1 | 1ULL << 24 | 1ULL << 17),
			 MMU_ROLE_CAUSE_NESTED);
	/* Anything else is a paging mode change: CR0.WP, EFER.LMA, level. */
	assert_int_equal(mmu_role_cause(MMU_REPORTED_RESET, MMU_GVA_WALK, L1,
					L1 & ~(1ULL << 13)),
			 MMU_ROLE_CAUSE_MODE);
	assert_int_equal(mmu_role_cause(MMU_REPORTED_RESET, MMU_GVA_WALK, L1,
					L1 & ~(1ULL << 39)),
			 MMU_ROLE_CAUSE_MODE);
	/* An MMU's root_role, which has no ext.valid: all zero before. */
	assert_int_equal(mmu_role_cause(MMU_REPORTED_RESET, MMU_ROOT, 0, 4),
			 MMU_ROLE_CAUSE_INIT);
	assert_int_equal(mmu_role_cause(MMU_REPORTED_RESET, MMU_ROOT, 4,
					4 | 1U << 17),
			 MMU_ROLE_CAUSE_NESTED);
	assert_int_equal(mmu_role_cause(MMU_REPORTED_RESET, MMU_ROOT, 4,
					4 | 1U << 24),
			 MMU_ROLE_CAUSE_SMM);
	assert_int_equal(mmu_role_cause(MMU_REPORTED_RESET, MMU_GUEST, 4, 5),
			 MMU_ROLE_CAUSE_MODE);
	/* A cause this code does not know. */
	assert_int_equal(mmu_role_cause(9, MMU_ROOT, 4, 4 | 1U << 24),
			 MMU_ROLE_CAUSE_SMM);
}

/* The kernel's word where it gives one, whatever the bits. */
static void test_reported_causes(void **state)
{
	(void)state;
	assert_int_equal(mmu_role_cause(MMU_REPORTED_CPUID, MMU_GVA_WALK, L1,
					L1 | 1ULL << 17),
			 MMU_ROLE_CAUSE_INIT);
	assert_int_equal(mmu_role_cause(MMU_REPORTED_CPUID, MMU_ROOT, 4, 5),
			 MMU_ROLE_CAUSE_INIT);
	assert_int_equal(mmu_role_cause(MMU_REPORTED_NPT, MMU_NGPA_WALK, L1,
					L1 | 1ULL << 13),
			 MMU_ROLE_CAUSE_NESTED);
	assert_int_equal(mmu_role_cause(MMU_REPORTED_EPT, MMU_NGPA_WALK, 0, L1),
			 MMU_ROLE_CAUSE_NESTED);
	assert_int_equal(mmu_role_cause(MMU_REPORTED_NPT, MMU_GUEST, 4, 4),
			 MMU_ROLE_CAUSE_NESTED);
	assert_int_equal(mmu_role_cause(MMU_REPORTED_CR0_WP, MMU_GVA_WALK, L1,
					L1 & ~(1ULL << 14)),
			 MMU_ROLE_CAUSE_MODE);
}

static void test_kinds(void **state)
{
	(void)state;
	/* Numbered as the series numbers kvm_mmu_role's @of. */
	assert_int_equal(MMU_GVA_WALK, 0);
	assert_int_equal(MMU_NGPA_WALK, 1);
	assert_int_equal(MMU_ROOT, 2);
	assert_int_equal(MMU_GUEST, 3);
	assert_int_equal(NR_MMU_KINDS, 4);
	assert_true(mmu_kind_is_walker(MMU_GVA_WALK));
	assert_true(mmu_kind_is_walker(MMU_NGPA_WALK));
	assert_false(mmu_kind_is_walker(MMU_ROOT));
	assert_false(mmu_kind_is_walker(MMU_GUEST));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(mmu_kind_name(MMU_GVA_WALK), "gva_walk");
	assert_string_equal(mmu_kind_name(MMU_NGPA_WALK), "ngpa_walk");
	assert_string_equal(mmu_kind_name(MMU_ROOT), "root");
	assert_string_equal(mmu_kind_name(MMU_GUEST), "guest");
	assert_string_equal(mmu_kind_name(NR_MMU_KINDS), "?");
	assert_string_equal(mmu_role_cause_name(MMU_ROLE_CAUSE_INIT), "init");
	assert_string_equal(mmu_role_cause_name(MMU_ROLE_CAUSE_NESTED), "nested");
	assert_string_equal(mmu_role_cause_name(MMU_ROLE_CAUSE_SMM), "smm");
	assert_string_equal(mmu_role_cause_name(MMU_ROLE_CAUSE_MODE), "mode");
	assert_string_equal(mmu_role_cause_name(9), "?");
}

static void test_format(void **state)
{
	char buf[256];

	(void)state;
	assert_true(mmu_role_format(buf, sizeof(buf), L1, true) > 0);
	assert_string_equal(buf,
		"level=4 efer_nx cr0_wp | valid cr4_pse cr4_smep efer_lma");
	mmu_role_format(buf, sizeof(buf), L1_BASE | 1ULL << 17 | 2ULL << 24, true);
	assert_string_equal(buf, "level=4 efer_nx cr0_wp guest_mode smm=2 | !valid");
	/* A root_role word has no ext part. */
	mmu_role_format(buf, sizeof(buf), 4 | 1U << 7 | 7U << 8, false);
	assert_string_equal(buf, "level=4 direct access=7");
	/* Too small a buffer is reported, not overrun. */
	assert_int_equal(mmu_role_format(buf, 8, L1, true), -1);
	assert_int_equal(strlen(buf), 7);
}

static void test_diff(void **state)
{
	char buf[256];

	(void)state;
	mmu_role_diff(buf, sizeof(buf), L1, L1, true);
	assert_string_equal(buf, "unchanged");
	/* Entering 32-bit paging from long mode. */
	mmu_role_diff(buf, sizeof(buf), L1, (L1 & ~0xfULL & ~(1ULL << 39)) | 2,
		      true);
	assert_string_equal(buf, "level 4->2 efer_lma 1->0");
	mmu_role_diff(buf, sizeof(buf), 0, L1, true);
	assert_string_equal(buf,
		"level 0->4 efer_nx 0->1 cr0_wp 0->1 valid 0->1 cr4_pse 0->1 "
		"cr4_smep 0->1 efer_lma 0->1");
	/* A root_role word: its bits above 31 are no fields of it. */
	mmu_role_diff(buf, sizeof(buf), 4, 4 | 1U << 17, false);
	assert_string_equal(buf, "guest_mode 0->1");
	mmu_role_diff(buf, sizeof(buf), 4, 4 | 1ULL << 32, false);
	assert_string_equal(buf, "unchanged");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_causes),
		cmocka_unit_test(test_reported_causes),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
