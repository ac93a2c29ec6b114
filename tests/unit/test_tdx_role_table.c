// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tdx-trace roles' tables from the kernel's slots (one per distinct
 * computation): the rows per VM, vCPU and MMU and the transitions per VMM
 * they add up to, the same figures a row map and a transition map gave.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tdx-trace/role_table.h"

#define A	0x100000780ULL		/* a cpu_role */
#define B	0x8100001704ULL
#define C	(B | 1ULL << 17)	/* B in guest mode */

static void add(struct tdx_role_table *t, __u32 pid, __u32 vcpu, __u32 mmu,
		__u32 cause, __u64 old, __u64 new, __u64 count)
{
	struct mmu_role_slot e = {
		.key = {
			.pid = pid, .vcpu_id = vcpu, .mmu = mmu, .cause = cause,
			.old_role = old, .new_role = new,
		},
		.count = count, .state = MMU_ROLE_SLOT_READY,
	};

	snprintf(e.stats_id, sizeof(e.stats_id), "kvm-%u", pid);
	assert_int_equal(tdx_role_table_add(t, &e), 0);
}

static void test_rows_and_transitions(void **state)
{
	struct tdx_role_table t = {}, total = {};
	const struct tdx_role_entry *r;

	(void)state;
	/* Two vCPUs of VMM 7 make the same transitions; VMM 3 one. */
	for (__u32 vcpu = 0; vcpu < 2; vcpu++) {
		add(&t, 7, vcpu, MMU_GVA_WALK, MMU_ROLE_CAUSE_INIT, 0, A, 1);
		add(&t, 7, vcpu, MMU_GVA_WALK, MMU_ROLE_CAUSE_MODE, A, B, 1);
		add(&t, 7, vcpu, MMU_GVA_WALK, MMU_ROLE_CAUSE_NESTED, B, C, 5);
		add(&t, 7, vcpu, MMU_GVA_WALK, MMU_ROLE_CAUSE_NESTED, C, B, 5);
		add(&t, 7, vcpu, MMU_GVA_WALK, 0, B, B, 40);	/* early-outs */
		add(&t, 7, vcpu, MMU_GVA_WALK, 0, C, C, 2);
	}
	add(&t, 3, 0, MMU_ROOT, MMU_ROLE_CAUSE_SMM, 4, 4 | 1U << 24, 1);
	/* A role or cause this tool cannot name: in no row. */
	add(&t, 3, 0, NR_MMU_KINDS, 0, 4, 4, 9);
	add(&t, 3, 0, MMU_ROOT, MMU_ROLE_NR_CAUSES, 4, 5, 9);
	tdx_role_table_sort(&t);

	assert_int_equal(t.nr_roles, 3);
	r = &t.roles[0];
	assert_int_equal(r->key.pid, 3);
	assert_int_equal(r->s.computed, 1);
	assert_int_equal(r->s.cause[MMU_ROLE_CAUSE_SMM], 1);
	assert_string_equal(r->s.stats_id, "kvm-3");
	for (int vcpu = 0; vcpu < 2; vcpu++) {
		r = &t.roles[1 + vcpu];
		assert_int_equal(r->key.pid, 7);
		assert_int_equal(r->key.vcpu_id, vcpu);
		assert_int_equal(r->key.mmu, MMU_GVA_WALK);
		assert_int_equal(r->s.computed, 54);
		assert_int_equal(r->s.changed, 12);
		assert_int_equal(r->s.unchanged, 42);
		assert_int_equal(r->s.cause[MMU_ROLE_CAUSE_INIT], 1);
		assert_int_equal(r->s.cause[MMU_ROLE_CAUSE_MODE], 1);
		assert_int_equal(r->s.cause[MMU_ROLE_CAUSE_NESTED], 10);
		assert_int_equal(r->s.cause[MMU_ROLE_CAUSE_SMM], 0);
		assert_string_equal(r->s.stats_id, "kvm-7");
	}

	/*
	 * Changed ones only, per VMM over its vCPUs, most frequent first;
	 * equal counts in one fixed order (here, the old role's), whatever
	 * the order they were added in.
	 */
	assert_int_equal(t.nr_trans, 5);
	assert_int_equal(t.trans[0].count, 10);
	assert_int_equal(t.trans[0].key.old_role, B);
	assert_int_equal(t.trans[0].key.new_role, C);
	assert_int_equal(t.trans[1].count, 10);
	assert_int_equal(t.trans[1].key.old_role, C);
	assert_int_equal(t.trans[1].key.cause, MMU_ROLE_CAUSE_NESTED);
	assert_int_equal(t.trans[2].count, 2);
	assert_int_equal(t.trans[2].key.old_role, 0);
	assert_int_equal(t.trans[2].key.cause, MMU_ROLE_CAUSE_INIT);
	assert_int_equal(t.trans[3].count, 2);
	assert_int_equal(t.trans[3].key.old_role, A);
	assert_int_equal(t.trans[4].count, 1);
	assert_int_equal(t.trans[4].key.pid, 3);
	assert_int_equal(t.trans[4].key.old_role, 4);

	/* Intervals merge into the run's total; clear keeps nothing. */
	assert_int_equal(tdx_role_table_merge(&total, &t), 0);
	assert_int_equal(tdx_role_table_merge(&total, &t), 0);
	tdx_role_table_sort(&total);
	assert_int_equal(total.nr_roles, 3);
	assert_int_equal(total.roles[2].s.computed, 108);
	assert_int_equal(total.nr_trans, 5);
	assert_int_equal(total.trans[0].count, 20);
	tdx_role_table_clear(&t);
	assert_int_equal(t.nr_roles + t.nr_trans, 0);
	tdx_role_table_free(&t);
	tdx_role_table_free(&total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_and_transitions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
