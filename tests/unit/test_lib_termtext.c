// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tools/lib/termtext: names for a terminal, control characters escaped,
 * cut to a cell between characters and escapes, padded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "termtext.h"

#define FFFD "\xef\xbf\xbd"

static const char *term(const char *name, int width)
{
	static char b[KS_TERM_LEN(64)];

	return ks_term_name(b, sizeof(b), name, width);
}

static void test_escapes(void **state)
{
	(void)state;
	assert_string_equal(term("web-1", 0), "web-1");
	/* Clear the screen, hide what follows: shown, not done. */
	assert_string_equal(term("\x1b[2J\x1b[8m", 0), "\\x1b[2J\\x1b[8m");
	assert_string_equal(term("a\tb\nc\rd\x7f", 0),
			    "a\\x09b\\x0ac\\x0dd\\x7f");
	/* C1: U+009B is CSI to some terminals, U+0085 a newline. */
	assert_string_equal(term("\xc2\x9b" "2J\xc2\x85\xc2\x9f", 0),
			    "\\x9b2J\\x85\\x9f");
	/* A backslash doubled: "\x1b" spelled out is not ESC. */
	assert_string_equal(term("\\x1b", 0), "\\\\x1b");
	/* U+00A0 and past are characters, as is any valid UTF-8. */
	assert_string_equal(term("\xc2\xa0\xe6\x97\xa5", 0), "\xc2\xa0\xe6\x97\xa5");
	assert_string_equal(term("\xff\xfe", 0), FFFD FFFD);
}

static void test_cell(void **state)
{
	(void)state;
	assert_string_equal(term("web-1", 8), "web-1   ");
	assert_string_equal(term("a-very-long-name", 8), "a-very-l");
	/* Characters are counted, not bytes: 3 of 3 bytes each, padded. */
	assert_string_equal(term("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4),
			    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e ");
	assert_string_equal(term("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 2),
			    "\xe6\x97\xa5\xe6\x9c\xac");
	/* An escape is whole or not there. */
	assert_string_equal(term("ab\x1b[2J", 4), "ab  ");
	assert_string_equal(term("ab\x1b[2J", 6), "ab\\x1b");
	assert_string_equal(term("\x1b[2J\x1b[8m", 14), "\\x1b[2J\\x1b[8m");
}

/* A buffer too small cuts the same way: never inside a character. */
static void test_small_buffer(void **state)
{
	char b[6];

	(void)state;
	assert_string_equal(ks_term_name(b, sizeof(b), "ab\x1b", 0), "ab");
	assert_string_equal(ks_term_name(b, sizeof(b), "\xe6\x97\xa5\xe6\x9c\xac",
					 0), "\xe6\x97\xa5");
	assert_string_equal(ks_term_name(b, sizeof(b), "ab", 8), "ab   ");
	assert_string_equal(ks_term_name(b, 1, "ab", 0), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_cell),
		cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
