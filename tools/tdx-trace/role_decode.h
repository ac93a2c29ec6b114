/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Decoding MMU role words as traced by kvm_mmu_role: union kvm_cpu_role
 * (u64: base kvm_mmu_page_role in the low 32 bits, kvm_mmu_extended_role
 * in the high 32) and union kvm_mmu_page_role (u32), 6.12 layouts.
 */
#ifndef TDX_TRACE_ROLE_DECODE_H
#define TDX_TRACE_ROLE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmu_roles.h"

struct mmu_role_field {
	const char *name;
	unsigned int shift;	/* bit position in the 64-bit cpu_role */
	unsigned int width;
};

/* Every named field of a cpu_role, base bits first, then ext bits. */
extern const struct mmu_role_field mmu_role_fields[];
extern const size_t mmu_role_nr_fields;
/* Fields of the base part (also the whole of a root_role word). */
extern const size_t mmu_role_nr_base_fields;

/* Value of field @name in @role, or -1 if there is no such field. */
long mmu_role_get(uint64_t role, const char *name);

const char *mmu_kind_name(unsigned int mmu);	/* "gva_walk", ..., "root" */
const char *mmu_role_cause_name(unsigned int cause);	/* "init", "nested", ... */

/*
 * "level=4 cr0_wp efer_nx ... | valid cr4_pse efer_lma" for a cpu_role;
 * fields that are 0 are left out, multi-bit fields print their value.
 * @is_cpu_role false decodes a root_role word (no ext part).
 */
int mmu_role_format(char *buf, size_t len, uint64_t role, bool is_cpu_role);

/*
 * The fields that differ between two role words, decoded as
 * mmu_role_format() does: "level 2->4 efer_lma 0->1"; "unchanged" when
 * nothing differs.
 */
int mmu_role_diff(char *buf, size_t len, uint64_t old, uint64_t new,
		  bool is_cpu_role);

#endif /* TDX_TRACE_ROLE_DECODE_H */
