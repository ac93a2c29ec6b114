// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "role_decode.h"

/* arch/x86/include/asm/kvm_host.h, union kvm_mmu_page_role and ext role. */
const struct mmu_role_field mmu_role_fields[] = {
	{ "level", 0, 4 },
	{ "has_4_byte_gpte", 4, 1 },
	{ "quadrant", 5, 2 },
	{ "direct", 7, 1 },
	{ "access", 8, 3 },
	{ "invalid", 11, 1 },
	{ "efer_nx", 12, 1 },
	{ "cr0_wp", 13, 1 },
	{ "smep_andnot_wp", 14, 1 },
	{ "smap_andnot_wp", 15, 1 },
	{ "ad_disabled", 16, 1 },
	{ "guest_mode", 17, 1 },
	{ "passthrough", 18, 1 },
	{ "smm", 24, 8 },
	/* kvm_mmu_extended_role, bits 32..63 of the cpu_role */
	{ "valid", 32, 1 },
	{ "execonly", 33, 1 },
	{ "cr4_pse", 34, 1 },
	{ "cr4_pke", 35, 1 },
	{ "cr4_smap", 36, 1 },
	{ "cr4_smep", 37, 1 },
	{ "cr4_la57", 38, 1 },
	{ "efer_lma", 39, 1 },
};
const size_t mmu_role_nr_fields =
	sizeof(mmu_role_fields) / sizeof(mmu_role_fields[0]);
const size_t mmu_role_nr_base_fields = 14;

static uint64_t field_val(uint64_t role, const struct mmu_role_field *f)
{
	return (role >> f->shift) & ((1ULL << f->width) - 1);
}

long mmu_role_get(uint64_t role, const char *name)
{
	size_t i;

	for (i = 0; i < mmu_role_nr_fields; i++)
		if (!strcmp(mmu_role_fields[i].name, name))
			return (long)field_val(role, &mmu_role_fields[i]);
	return -1;
}

const char *mmu_kind_name(unsigned int mmu)
{
	static const char *const names[NR_MMU_KINDS] = {
		[MMU_GVA_WALK] = "gva_walk",
		[MMU_NGPA_WALK] = "ngpa_walk",
		[MMU_ROOT] = "root",
		[MMU_GUEST] = "guest",
	};

	return mmu < NR_MMU_KINDS ? names[mmu] : "?";
}

const char *mmu_role_cause_name(unsigned int cause)
{
	static const char *const names[MMU_ROLE_NR_CAUSES] = {
		[MMU_ROLE_CAUSE_INIT] = "init",
		[MMU_ROLE_CAUSE_NESTED] = "nested",
		[MMU_ROLE_CAUSE_SMM] = "smm",
		[MMU_ROLE_CAUSE_MODE] = "mode",
	};

	return cause < MMU_ROLE_NR_CAUSES ? names[cause] : "?";
}

/* snprintf that appends at *off and never runs past @len. */
static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

int mmu_role_format(char *buf, size_t len, uint64_t role, bool is_cpu_role)
{
	size_t n = is_cpu_role ? mmu_role_nr_fields : mmu_role_nr_base_fields;
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct mmu_role_field *f = &mmu_role_fields[i];
		uint64_t v = field_val(role, f);
		const char *sep = off ? " " : "";

		if (i == mmu_role_nr_base_fields)
			sep = off ? " | " : "| ";
		if (!v && i != mmu_role_nr_base_fields)
			continue;
		if (!v) {	/* keep the separator, say ext is not valid */
			append(buf, len, &off, "%s!valid", sep);
			continue;
		}
		if (f->width > 1)
			append(buf, len, &off, "%s%s=%llu", sep, f->name,
			       (unsigned long long)v);
		else
			append(buf, len, &off, "%s%s", sep, f->name);
	}
	return off < len ? (int)off : -1;
}

int mmu_role_diff(char *buf, size_t len, uint64_t old, uint64_t new,
		  bool is_cpu_role)
{
	size_t n = is_cpu_role ? mmu_role_nr_fields : mmu_role_nr_base_fields;
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct mmu_role_field *f = &mmu_role_fields[i];
		uint64_t a = field_val(old, f), b = field_val(new, f);

		if (a != b)
			append(buf, len, &off, "%s%s %llu->%llu", off ? " " : "",
			       f->name, (unsigned long long)a,
			       (unsigned long long)b);
	}
	if (!off)
		append(buf, len, &off, "unchanged");
	return off < len ? (int)off : -1;
}
