// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tools/lib/utf8: which sequences are UTF-8, and copies of any bytes that
 * are, cut between characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "utf8.h"

#define FFFD "\xef\xbf\xbd"

static void test_seq_len(void **state)
{
	(void)state;
	assert_int_equal(ks_utf8_seq_len("a", 1), 1);
	assert_int_equal(ks_utf8_seq_len("\x1b", 1), 1);
	assert_int_equal(ks_utf8_seq_len("\xc2\x9b", 2), 2);	/* U+009B */
	assert_int_equal(ks_utf8_seq_len("\xe6\x97\xa5", 3), 3);	/* U+65E5 */
	assert_int_equal(ks_utf8_seq_len("\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(ks_utf8_seq_len("\xf4\x8f\xbf\xbf", 4), 4);	/* U+10FFFF */
	/* Lone continuation, bytes never in UTF-8, overlong forms. */
	assert_int_equal(ks_utf8_seq_len("\x80", 1), 0);
	assert_int_equal(ks_utf8_seq_len("\xff", 1), 0);
	assert_int_equal(ks_utf8_seq_len("\xfe", 1), 0);
	assert_int_equal(ks_utf8_seq_len("\xc0\xaf", 2), 0);
	assert_int_equal(ks_utf8_seq_len("\xe0\x80\xaf", 3), 0);
	assert_int_equal(ks_utf8_seq_len("\xf0\x80\x80\xaf", 4), 0);
	/* Surrogates and past U+10FFFF. */
	assert_int_equal(ks_utf8_seq_len("\xed\xa0\x80", 3), 0);
	assert_int_equal(ks_utf8_seq_len("\xf4\x90\x80\x80", 4), 0);
	/* Cut short: by a NUL, by the bytes there are. */
	assert_int_equal(ks_utf8_seq_len("\xe6\x97", 4), 0);
	assert_int_equal(ks_utf8_seq_len("\xe6\x97\xa5", 2), 0);
}

static void test_copy(void **state)
{
	char b[64];

	(void)state;
	assert_int_equal(ks_utf8_copy(b, sizeof(b), "web-1", 5), 5);
	assert_string_equal(b, "web-1");
	ks_utf8_copy(b, sizeof(b), "\xff\xfe", 2);
	assert_string_equal(b, FFFD FFFD);
	ks_utf8_copy(b, sizeof(b), "a\x80" "b", 3);
	assert_string_equal(b, "a" FFFD "b");
	ks_utf8_copy(b, sizeof(b), "\xc0\xaf", 2);
	assert_string_equal(b, FFFD FFFD);
	ks_utf8_copy(b, sizeof(b), "ok\xe6\x97", 4);
	assert_string_equal(b, "ok" FFFD FFFD);
	/* Control characters are valid UTF-8: the terminal escapes them. */
	ks_utf8_copy(b, sizeof(b), "\x1b[2J\xc2\x9b", 6);
	assert_string_equal(b, "\x1b[2J\xc2\x9b");
}

/* @n bounds the source: a BPF comm need not end in a NUL. */
static void test_copy_bounded(void **state)
{
	const char comm[4] = { 'a', 'b', '\xe6', '\x97' };
	char b[64];

	(void)state;
	assert_int_equal(ks_utf8_copy(b, sizeof(b), comm, 2), 2);
	assert_string_equal(b, "ab");
	/* The sequence runs past the bytes there are: not a character. */
	ks_utf8_copy(b, sizeof(b), "ab\xe6\x97\xa5", 4);
	assert_string_equal(b, "ab" FFFD FFFD);
	ks_utf8_copy(b, sizeof(b), "ab\0cd", 5);
	assert_string_equal(b, "ab");
}

/* Cut between characters: never the head of one without its tail. */
static void test_copy_cut(void **state)
{
	char b[8];

	(void)state;
	/* "日本語": 9 bytes, 7 fit but the third character does not. */
	assert_int_equal(ks_utf8_copy(b, sizeof(b), "\xe6\x97\xa5\xe6\x9c\xac"
				      "\xe8\xaa\x9e", 9), 6);
	assert_string_equal(b, "\xe6\x97\xa5\xe6\x9c\xac");
	assert_int_equal(ks_utf8_copy(b, 3, "\xff", 1), 0);
	assert_string_equal(b, "");
	assert_int_equal(ks_utf8_copy(b, 4, "\xff", 1), 3);
	assert_int_equal(ks_utf8_copy(b, 1, "abc", 3), 0);
	assert_string_equal(b, "");
	b[0] = 'x';
	assert_int_equal(ks_utf8_copy(b, 0, "abc", 3), 0);
	assert_int_equal(b[0], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_len),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_copy_bounded),
		cmocka_unit_test(test_copy_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
