// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hvflush-top's screen: what ncurses sends to the terminal for a row whose
 * VM name is past ASCII and holds a bidi control, in a UTF-8 locale and in
 * one that is not (no locale at all).
 */
#define _GNU_SOURCE	/* memmem() */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hvflush-top/screen.h"

/* U+00E9, then U+202E (RIGHT-TO-LEFT OVERRIDE) before "ab". */
#define NAME	"\xc3\xa9\xe2\x80\xae" "ab"

/* The bytes hv_screen_draw() writes for one row named NAME. */
static char *draw(size_t *len)
{
	struct hv_row row = { .pid = 4242, .p50_ns = 4100, .p99_ns = 35200,
			      .mean_ns = 5000 };
	const struct hv_row *rows[] = { &row };
	struct hv_snapshot snap = { .elapsed_s = 1.0, .rows = &row, .nr_rows = 1 };
	struct hv_view view = { .series = true, .mode_name = "series",
				.mode_desc = "series (tp_btf)", .now = 1700000000 };
	FILE *out = tmpfile(), *in = fopen("/dev/null", "r");
	char *buf;

	assert_non_null(out);
	assert_non_null(in);
	snprintf(row.name, sizeof(row.name), NAME);
	snprintf(row.stats_id, sizeof(row.stats_id), "kvm-4242");
	assert_int_equal(hv_screen_open(out, in), 0);
	hv_screen_draw(&snap, &view, rows, 1);
	hv_screen_close();
	*len = ftell(out);
	buf = calloc(1, *len + 1);
	assert_non_null(buf);
	rewind(out);
	assert_int_equal(fread(buf, 1, *len, out), *len);
	fclose(out);
	fclose(in);
	return buf;
}

static bool contains(const char *buf, size_t len, const char *s)
{
	return memmem(buf, len, s, strlen(s)) != NULL;
}

/*
 * No locale ("C"): the terminal's character set is not UTF-8, so no byte
 * past ASCII reaches it; the name is there, escaped.
 */
static void test_not_utf8_locale(void **state)
{
	size_t len, i;
	char *buf;

	(void)state;
	assert_non_null(setlocale(LC_CTYPE, "C"));
	buf = draw(&len);
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] >= 0x80)
			fail_msg("byte 0x%02x at %zu reaches the terminal",
				 (unsigned char)buf[i], i);
	assert_true(contains(buf, len, "\\u00e9\\u202eab"));
	free(buf);
}

/* UTF-8: the name as it is, but for the bidi control, escaped. */
static void test_utf8_locale(void **state)
{
	size_t len;
	char *buf;

	(void)state;
	assert_non_null(setlocale(LC_CTYPE, "C.UTF-8"));
	buf = draw(&len);
	assert_true(contains(buf, len, "\xc3\xa9\\u202eab"));
	assert_false(contains(buf, len, "\xe2\x80\xae"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_utf8_locale),
		cmocka_unit_test(test_utf8_locale),
	};

	/* A terminal ncurses knows, wide enough for a row. */
	setenv("TERM", "xterm", 1);
	setenv("COLUMNS", "100", 1);
	setenv("LINES", "24", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
