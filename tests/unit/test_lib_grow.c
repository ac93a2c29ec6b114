// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tools/lib/grow: growable arrays. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "grow.h"

static void test_append(void **state)
{
	uint64_t *v = NULL, *was;
	size_t cap = 0, nr;

	(void)state;
	for (nr = 0; nr < 1000; nr++) {
		assert_int_equal(ks_grow((void **)&v, &cap, nr + 1, sizeof(*v)), 0);
		assert_true(cap >= nr + 1);
		v[nr] = nr;
	}
	/* Doubling from 16: 16, 32, ..., 1024. */
	assert_int_equal(cap, 1024);
	for (nr = 0; nr < 1000; nr++)
		assert_int_equal(v[nr], nr);
	/* Enough room already: nothing moves. */
	was = v;
	assert_int_equal(ks_grow((void **)&v, &cap, 1024, sizeof(*v)), 0);
	assert_ptr_equal(v, was);
	/* A jump past twice the capacity. */
	assert_int_equal(ks_grow((void **)&v, &cap, 5000, sizeof(*v)), 0);
	assert_int_equal(cap, 8192);
	free(v);
}

/*
 * These tests ask for arrays no allocator can give, on purpose: ks_grow()
 * must then fail with -ENOMEM and keep the array.  AddressSanitizer treats
 * such a request as a bug and aborts unless told to return NULL, as the C
 * library does.
 */
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/* A capacity that would overflow fails before anything is allocated. */
static void test_overflow(void **state)
{
	uint64_t *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(ks_grow((void **)&v, &cap, 4, sizeof(*v)), 0);
	v[3] = 42;
	assert_int_equal(ks_grow((void **)&v, &cap, SIZE_MAX, 1), -ENOMEM);
	assert_int_equal(cap, 16);
	assert_int_equal(v[3], 42);
	free(v);
}

/* The allocator says no: its bytes overflow, or are just too many. */
static void test_alloc_fails(void **state)
{
	uint64_t *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(ks_grow((void **)&v, &cap, 4, sizeof(*v)), 0);
	v[3] = 42;
	assert_int_equal(ks_grow((void **)&v, &cap, SIZE_MAX / 4, sizeof(*v)),
			 -ENOMEM);
	/* 2^50 bytes: more than x86-64's 2^47 bytes of user address space. */
	assert_int_equal(ks_grow((void **)&v, &cap, 1ULL << 47, sizeof(*v)),
			 -ENOMEM);
	assert_int_equal(cap, 16);
	assert_int_equal(v[3], 42);
	free(v);
}

/* Rows found by their key, appended zeroed the first time. */
static void test_row(void **state)
{
	struct row { uint32_t key[2]; uint64_t n; } *v = NULL, *r;
	const uint32_t a[2] = { 1, 2 }, b[2] = { 1, 3 };
	size_t nr = 0, cap = 0;

	(void)state;
	r = ks_grow_row((void **)&v, &nr, &cap, a, sizeof(a), sizeof(*v));
	assert_non_null(r);
	assert_int_equal(r->n, 0);
	r->n = 5;
	r = ks_grow_row((void **)&v, &nr, &cap, b, sizeof(b), sizeof(*v));
	assert_int_equal(r->key[1], 3);
	assert_int_equal(r->n, 0);
	r = ks_grow_row((void **)&v, &nr, &cap, a, sizeof(a), sizeof(*v));
	assert_int_equal(r->n, 5);
	assert_int_equal(nr, 2);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_alloc_fails),
		cmocka_unit_test(test_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
