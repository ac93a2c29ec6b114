// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tools/lib/json_writer: escaping and JSON-lines structure. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json_writer.h"
#include "output.h"

/* Output of @fn(w) captured as a string (caller frees). */
static char *capture(void (*fn)(json_writer_t *w, const void *arg),
		     const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_writer_t *w;

	assert_non_null(f);
	w = jsonw_new(f);
	assert_non_null(w);
	fn(w, arg);
	jsonw_destroy(&w);
	fclose(f);
	return buf;
}

static char *escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	jsonw_escape_string(f, s);
	fclose(f);
	return buf;
}

#define assert_escape(in, out) do {		\
	char *e = escaped(in);			\
	assert_string_equal(e, out);		\
	free(e);				\
} while (0)

static void test_escape_specials(void **state)
{
	(void)state;
	assert_escape("plain", "\"plain\"");
	assert_escape("", "\"\"");
	assert_escape("a\"b", "\"a\\\"b\"");
	assert_escape("back\\slash", "\"back\\\\slash\"");
	assert_escape("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
	assert_escape("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	assert_escape("/", "\"/\"");
}

static void test_escape_utf8(void **state)
{
	(void)state;
	/* Valid UTF-8 passes through: é (2 bytes), € (3), 😀 (4). */
	assert_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		      "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* Invalid bytes become U+FFFD, one per byte, the rest survives. */
	assert_escape("a\xff" "b", "\"a\\ufffdb\"");
	assert_escape("\xc3", "\"\\ufffd\"");			/* truncated */
	assert_escape("\xc0\xaf", "\"\\ufffd\\ufffd\"");	/* overlong '/' */
	assert_escape("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	assert_escape("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");	/* > U+10FFFF */
}

static void write_record(json_writer_t *w, const void *arg)
{
	(void)arg;
	jsonw_start_object(w);
	jsonw_string_field(w, "name", "vm \"one\"");
	jsonw_uint_field(w, "big", UINT64_MAX);
	jsonw_int_field(w, "neg", -25);
	jsonw_bool_field(w, "yes", true);
	jsonw_null_field(w, "nothing");
	jsonw_float_field(w, "half", 0.5);
	jsonw_float_field(w, "nan", NAN);
	jsonw_name(w, "list");
	jsonw_start_array(w);
	jsonw_uint(w, 1);
	jsonw_start_object(w);
	jsonw_end_object(w);
	jsonw_start_array(w);
	jsonw_end_array(w);
	jsonw_string(w, "x");
	jsonw_end_array(w);
	jsonw_name(w, "obj");
	jsonw_start_object(w);
	jsonw_uint_field(w, "a", 1);
	jsonw_uint_field(w, "b", 2);
	jsonw_end_object(w);
	jsonw_end_object(w);
	/* A second top-level value is a second line. */
	jsonw_start_object(w);
	jsonw_end_object(w);
}

static void test_structure(void **state)
{
	char *out = capture(write_record, NULL);

	(void)state;
	assert_string_equal(out,
		"{\"name\":\"vm \\\"one\\\"\",\"big\":18446744073709551615,"
		"\"neg\":-25,\"yes\":true,\"nothing\":null,\"half\":0.5,"
		"\"nan\":null,\"list\":[1,{},[],\"x\"],\"obj\":{\"a\":1,\"b\":2}}\n"
		"{}\n");
	free(out);
}

static void write_epoch(json_writer_t *w, const void *arg)
{
	jsonw_start_object(w);
	jsonw_float_field(w, "time", *(const double *)arg);
	jsonw_end_object(w);
}

static void test_float_keeps_microseconds(void **state)
{
	double t = 1795418119.860156;
	char *out = capture(write_epoch, &t);

	(void)state;
	assert_string_equal(out, "{\"time\":1795418119.860156}\n");
	free(out);
}

/*
 * An object holding @levels arrays nested in one another, each starting
 * with its level; then a field after them and a second line.  Returns the
 * output; *@too_deep is what the writer says about it.
 */
static char *nested(unsigned int levels, bool *too_deep)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_writer_t *w = jsonw_new(f);
	unsigned int i;

	assert_non_null(w);
	jsonw_start_object(w);
	jsonw_name(w, "deep");
	for (i = 0; i < levels; i++) {
		jsonw_start_array(w);
		jsonw_uint(w, i);
	}
	for (i = 0; i < levels; i++)
		jsonw_end_array(w);
	jsonw_uint_field(w, "after", 1);
	jsonw_end_object(w);
	jsonw_start_array(w);
	jsonw_end_array(w);
	*too_deep = jsonw_too_deep(w);
	jsonw_destroy(&w);
	fclose(f);
	return buf;
}

/* What nested() must print when the arrays past @kept are dropped. */
static char *nested_expected(unsigned int levels, unsigned int kept)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned int i;

	fputs("{\"deep\":", f);
	for (i = 0; i < kept; i++)
		fprintf(f, "%s[%u", i ? "," : "", i);
	if (levels > kept)
		fputs(",null", f);
	for (i = 0; i < kept; i++)
		fputc(']', f);
	fputs(",\"after\":1}\n[]\n", f);
	fclose(f);
	return buf;
}

/*
 * Nesting as deep as the writer allows is written whole; one level more is
 * null, with everything in it, the rest of the line is intact and the
 * writer says so.
 */
static void test_nesting_too_deep(void **state)
{
	/* The object is one level: the arrays get the others. */
	const unsigned int fit = JSONW_MAX_DEPTH - 1;
	char *out, *want;
	bool too_deep;

	(void)state;
	out = nested(fit, &too_deep);
	want = nested_expected(fit, fit);
	assert_string_equal(out, want);
	assert_false(too_deep);
	free(out);
	free(want);

	out = nested(fit + 8, &too_deep);
	want = nested_expected(fit + 8, fit);
	assert_string_equal(out, want);
	assert_true(too_deep);
	free(out);
	free(want);
}

/* p_err() in JSON mode: a line on stdout with a "type", as every line. */
static void test_p_err_line(void **state)
{
	FILE *saved = stdout, *err = stderr;
	char line[256] = "";

	(void)state;
	stdout = tmpfile();
	stderr = fopen("/dev/null", "w");
	assert_non_null(stdout);
	assert_non_null(stderr);
	ks_json_output = true;
	p_err("no %s", "BTF");
	ks_json_output = false;
	rewind(stdout);
	assert_non_null(fgets(line, sizeof(line), stdout));
	fclose(stdout);
	fclose(stderr);
	stdout = saved;
	stderr = err;
	assert_string_equal(line, "{\"type\":\"error\",\"error\":\"no BTF\"}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_specials),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_float_keeps_microseconds),
		cmocka_unit_test(test_nesting_too_deep),
		cmocka_unit_test(test_p_err_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
