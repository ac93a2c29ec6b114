// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tools/lib/termtext: names for a terminal, control characters escaped,
 * bidi and invisible characters too, anything past ASCII where the locale
 * is not UTF-8, cut to a cell between characters and escapes, padded.
 */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/*
 * What reorders a line or hides in it is shown, not done: "abc" U+202E
 * "gpj.exe" reads "abcexe.jpg" on a terminal.
 */
static void test_bidi_and_invisible(void **state)
{
	(void)state;
	assert_string_equal(term("abc\xe2\x80\xae" "gpj.exe", 0),
			    "abc\\u202egpj.exe");
	/* LRE, RLE, PDF, LRO; LRI, RLI, FSI, PDI; ALM; LRM, RLM. */
	assert_string_equal(term("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", 0),
			    "\\u202a\\u202b\\u202c\\u202d");
	assert_string_equal(term("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", 0),
			    "\\u2066\\u2067\\u2068\\u2069");
	assert_string_equal(term("\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f", 0),
			    "\\u061c\\u200e\\u200f");
	/* Zero width: space, non-joiner, joiner; word joiner; BOM. */
	assert_string_equal(term("a\xe2\x80\x8b" "b\xe2\x80\x8c\xe2\x80\x8d\xe2\x81\xa0\xef\xbb\xbf", 0),
			    "a\\u200bb\\u200c\\u200d\\u2060\\ufeff");
	/* Line and paragraph separators. */
	assert_string_equal(term("a\xe2\x80\xa8" "b\xe2\x80\xa9", 0),
			    "a\\u2028b\\u2029");
	/* Their neighbours are characters like any other. */
	assert_string_equal(term("\xe2\x80\x8a\xe2\x80\xaf\xe2\x81\xb0\xef\xbb\xbe", 0),
			    "\xe2\x80\x8a\xe2\x80\xaf\xe2\x81\xb0\xef\xbb\xbe");
	/* In a cell an escape counts its length, and is whole or absent. */
	assert_string_equal(term("ab\xe2\x80\xae" "cd", 7), "ab     ");
	assert_string_equal(term("ab\xe2\x80\xae" "cd", 9), "ab\\u202ec");
}

/*
 * Where the locale is not UTF-8 (no locale at all: "C"), the terminal
 * would take UTF-8's bytes for characters of its own, a continuation byte
 * 0x9b for CSI: every character past ASCII is escaped.
 */
static void test_not_utf8_locale(void **state)
{
	(void)state;
	assert_non_null(setlocale(LC_CTYPE, "C"));
	/* U+00E9, U+65E5, U+011B (0xc4 0x9b), U+1F600. */
	assert_string_equal(term("caf\xc3\xa9 \xe6\x97\xa5\xc4\x9b\xf0\x9f\x98\x80", 0),
			    "caf\\u00e9 \\u65e5\\u011b\\U0001f600");
	/* Controls keep their escapes; a byte that is no UTF-8 is U+FFFD. */
	assert_string_equal(term("\x1b\xc2\x9b\xff\\", 0), "\\x1b\\x9b\\ufffd\\\\");
	/* Every byte is a column: a cell is cut between escapes. */
	assert_string_equal(term("ab\xc3\xa9\xc3\xa9", 9), "ab\\u00e9 ");
	assert_string_equal(term("\xc3\xa9", 3), "   ");
	/* The room KS_TERM_LEN() promises is enough. */
	{
		char b[KS_TERM_LEN(3)];

		assert_string_equal(ks_term_name(b, sizeof(b), "\xff\xfe\xfd", 0),
				    "\\ufffd\\ufffd\\ufffd");
	}
	assert_non_null(setlocale(LC_CTYPE, "C.UTF-8"));
	assert_string_equal(term("caf\xc3\xa9", 0), "caf\xc3\xa9");
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
		cmocka_unit_test(test_bidi_and_invisible),
		cmocka_unit_test(test_not_utf8_locale),
	};

	/* The terminal of these tests takes UTF-8, but where it is said not to. */
	if (!setlocale(LC_CTYPE, "C.UTF-8")) {
		fprintf(stderr, "no C.UTF-8 locale\n");
		return 1;
	}

	return cmocka_run_group_tests(tests, NULL, NULL);
}
