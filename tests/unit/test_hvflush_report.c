// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hvflush-top's output: latency units, table rows under their titles,
 * header lines in both modes, JSON fields and escaping, exited rows and
 * the final snapshot.
 */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hvflush-top/csv.h"
#include "hvflush-top/report.h"

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle)) {
		print_error("'%s'\n  does not contain '%s'\n", haystack, needle);
		fail();
	}
}

static void assert_lacks(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle)) {
		print_error("'%s'\n  contains '%s'\n", haystack, needle);
		fail();
	}
}

static struct hv_row sample_row(void)
{
	struct hv_row r;

	memset(&r, 0, sizeof(r));
	r.key.kvm = 0xffff888012345000ULL;
	r.key.vcpu_id = 3;
	r.key.fifo = HVFLUSH_FIFO_L2;
	r.pid = 4242;
	snprintf(r.stats_id, sizeof(r.stats_id), "kvm-4242");
	snprintf(r.name, sizeof(r.name), "win2022");
	r.enqueue_rate = 123.45;
	r.p50_ns = 4100;
	r.p99_ns = 35200;
	r.has_max = true;
	r.max_ns = 1250000;
	r.pending = 2;
	r.overflows = 7;
	r.enqueues = 99;
	r.slots[12] = 3;
	r.samples = 3;
	r.mean_ns = 5000;
	return r;
}

static void test_format_ns(void **state)
{
	char buf[16];

	(void)state;
	hv_format_ns(buf, sizeof(buf), NAN);
	assert_string_equal(buf, "-");
	hv_format_ns(buf, sizeof(buf), 850);
	assert_string_equal(buf, "850ns");
	hv_format_ns(buf, sizeof(buf), 12345);
	assert_string_equal(buf, "12.3us");
	hv_format_ns(buf, sizeof(buf), 4.56e6);
	assert_string_equal(buf, "4.6ms");
	hv_format_ns(buf, sizeof(buf), 1.234e9);
	assert_string_equal(buf, "1.23s");
}

static void test_row_under_titles(void **state)
{
	struct hv_row r = sample_row();
	char titles[HV_LINE_MAX], line[HV_LINE_MAX];
	int start, width;

	(void)state;
	hv_format_columns(titles, sizeof(titles));
	assert_string_equal(titles,
		"VM                 PID VCPU FIFO    ENQ/s     P50     P99     MAX  PEND  OVFL");
	assert_true(strlen(titles) <= 80);
	hv_format_row(line, sizeof(line), &r);
	assert_string_equal(line,
		"win2022           4242    3 L2      123.5   4.1us  35.2us   1.2ms     2     7");
	assert_int_equal(strlen(line), strlen(titles));

	/* The sort highlight covers the P99 title and values. */
	hv_sort_column(HV_SORT_P99, &start, &width);
	assert_memory_equal(titles + start, "    P99", width);
	assert_memory_equal(line + start, " 35.2us", width);
	hv_sort_column(HV_SORT_OVERFLOW, &start, &width);
	assert_memory_equal(titles + start, " OVFL", width);
}

static void test_row_without_samples_and_long_name(void **state)
{
	struct hv_row r = sample_row();
	char line[HV_LINE_MAX];

	(void)state;
	snprintf(r.name, sizeof(r.name), "a-very-long-guest-name");
	r.p50_ns = r.p99_ns = NAN;
	r.has_max = false;
	r.key.fifo = HVFLUSH_FIFO_L1;
	hv_format_row(line, sizeof(line), &r);
	assert_string_equal(line,
		"a-very-long-gu    4242    3 L1      123.5       -       -       -     2     7");
}

/* No name may reach the terminal as control characters. */
static void test_row_hostile_name(void **state)
{
	struct hv_row r = sample_row();
	const struct hv_row *rows[] = { &r };
	struct hv_snapshot snap = { .elapsed_s = 1, .nr_rows = 1 };
	struct hv_view v = {
		.mode_name = "series", .mode_desc = "series", .series = true,
	};
	char line[HV_LINE_MAX], *text;
	size_t len;
	FILE *f;

	(void)state;
	snprintf(r.name, sizeof(r.name), "\x1b[2J\x1b[8m");
	hv_format_row(line, sizeof(line), &r);
	assert_string_equal(line,
		"\\x1b[2J\\x1b[8m    4242    3 L2      123.5   4.1us  35.2us   1.2ms     2     7");
	/* C1's CSI, DEL and a backslash; the escape is not cut. */
	snprintf(r.name, sizeof(r.name), "\xc2\x9b" "2J\x7f\\abcdef");
	hv_format_row(line, sizeof(line), &r);
	assert_int_equal(strncmp(line, "\\x9b2J\\x7f\\\\ab ", 15), 0);

	/* -b prints what the screen shows: the glob escaped too. */
	snprintf(r.name, sizeof(r.name), "\x1b]0;pwn\x07");
	snprintf(v.filter.vm, sizeof(v.filter.vm), "\x1b[8m*");
	f = open_memstream(&text, &len);
	assert_non_null(f);
	hv_print_text(f, &snap, &v, rows, 1);
	fclose(f);
	assert_lacks(text, "\x1b");
	assert_lacks(text, "\x07");
	assert_contains(text, "vm '\\x1b[8m*'");
	assert_contains(text, "\\x1b]0;pwn\\x07 ");
	free(text);
}

/* A name is cut to its column between characters, not in one. */
static void test_row_utf8_name(void **state)
{
	struct hv_row r = sample_row();
	char line[HV_LINE_MAX];

	(void)state;
	snprintf(r.name, sizeof(r.name), "%s",
		 "db本番データベース東京リージョン第一仮想計");
	hv_format_row(line, sizeof(line), &r);
	assert_string_equal(line,
		"db本番データベース東京リー    4242    3 L2      123.5   4.1us  35.2us   1.2ms     2     7");
}

static void test_row_exited(void **state)
{
	struct hv_row r = sample_row();
	char titles[HV_LINE_MAX], line[HV_LINE_MAX];
	int start, width;

	(void)state;
	r.exited = true;
	r.enqueue_rate = 0;
	hv_format_columns(titles, sizeof(titles));
	hv_format_row(line, sizeof(line), &r);
	assert_string_equal(line,
		"win2022           4242    3 L2        0.0   4.1us  35.2us   1.2ms  exit     7");
	assert_int_equal(strlen(line), strlen(titles));
	/* The mark is in the PEND column, right-aligned under its title. */
	start = strstr(titles, "  PEND") - titles;
	width = strlen("  PEND");
	assert_memory_equal(line + start, "  exit", width);
}

static struct hv_view view_of(bool series)
{
	struct hv_view v = {
		.sort = HV_SORT_P99,
		.series = series,
		.mode_name = series ? "series" : "fallback",
		.mode_desc = series ? "series (tp_btf)" : "fallback: no series",
		.now = 1700000000.25,
	};
	return v;
}

static void test_header_series(void **state)
{
	char lines[HV_HEADER_LINES][HV_LINE_MAX];
	struct hv_snapshot snap = { .elapsed_s = 2.0 };
	struct hv_view v = view_of(true);

	(void)state;
	snap.rates[HVFLUSH_HYPERCALLS_L1] = 12.5;
	snap.rates[HVFLUSH_HYPERCALLS_L2] = 3;
	snap.rates[HVFLUSH_ENQUEUES] = 48;
	snap.rates[HVFLUSH_DRAINS] = 40;
	snap.rates[HVFLUSH_PURGES] = 8;
	snap.totals[HVFLUSH_OVERFLOWS] = 11;
	snap.totals[HVFLUSH_SYNTHETIC_VMEXITS] = 5;
	snap.totals[HVFLUSH_LOST] = 2;
	snap.nr_rows = 9;
	v.filter.pid = 4242;
	snprintf(v.filter.vm, sizeof(v.filter.vm), "win*");
	hv_format_header(lines, &snap, &v, 4);
	assert_contains(lines[0], "interval 2.0s  sort: p99  mode: series (tp_btf)");
	assert_string_equal(lines[1],
		"hypercalls/s: L1 12.5 L2 3.0  enqueues/s 48.0  drains/s 40.0  purges/s 8.0");
	assert_string_equal(lines[2],
		"since start: overflows (flush all) 11  synthetic vmexits 5  lost 2  missed 0");
	assert_string_equal(lines[3], "rows: 4 of 9  filter: pid 4242, vm 'win*'");

	v.reset = v.now;
	hv_format_header(lines, &snap, &v, 9);
	assert_contains(lines[2], "since reset ");
	v.filter = (struct hv_filter){};
	hv_format_header(lines, &snap, &v, 9);
	assert_string_equal(lines[3], "rows: 9 of 9  filter: none");
	assert_lacks(lines[0], "final");
}

static void test_header_final_and_dropped(void **state)
{
	char lines[HV_HEADER_LINES][HV_LINE_MAX];
	struct hv_snapshot snap = { .elapsed_s = 0.5, .nr_rows = 3 };
	struct hv_view v = view_of(true);

	(void)state;
	snap.final = true;
	hv_format_header(lines, &snap, &v, 3);
	assert_contains(lines[0],
		"  final (whole run)  interval 0.5s  sort: p99  mode: series (tp_btf)");
	assert_int_equal(strncmp(lines[0], "hvflush-top ", 12), 0);
	assert_string_equal(lines[3], "rows: 3 of 3  filter: none");

	snap.exited_dropped = 12;
	hv_format_header(lines, &snap, &v, 3);
	assert_string_equal(lines[3],
		"rows: 3 of 3  filter: none  exited rows dropped: 12");

	/* In the fallback too; an ordinary snapshot is not final. */
	v = view_of(false);
	snap.final = false;
	hv_format_header(lines, &snap, &v, 3);
	assert_lacks(lines[0], "final");
	assert_contains(lines[0], "  interval 0.5s  sort: p99  mode: fallback");
	assert_contains(lines[3], "exited rows dropped: 12");
	snap.final = true;
	hv_format_header(lines, &snap, &v, 3);
	assert_contains(lines[0], "  final (whole run)  interval 0.5s");
	/* Not the whole run after a reset (only the screen has one). */
	v.reset = v.now;
	hv_format_header(lines, &snap, &v, 3);
	assert_contains(lines[0], "  final (since reset)  interval 0.5s");
}

static void test_header_fallback(void **state)
{
	char lines[HV_HEADER_LINES][HV_LINE_MAX];
	struct hv_snapshot snap = { .elapsed_s = 1.0 };
	struct hv_view v = view_of(false);

	(void)state;
	snap.rates[HVFLUSH_HYPERCALLS_L1] = 7;
	snap.totals[HVFLUSH_HYPERCALLS_L1] = 70;
	hv_format_header(lines, &snap, &v, 0);
	assert_contains(lines[0], "mode: fallback");
	assert_string_equal(lines[1],
		"hypercalls/s: L1 7.0 L2 0.0  (since start: L1 70 L2 0)");
	assert_string_equal(lines[2], hv_fallback_note);
	assert_contains(lines[2], "needs the kvmscope kernel series");
	assert_lacks(lines[1], "enqueues");
}

/* Run hv_write_json into a string. */
static char *json_of(const struct hv_snapshot *snap, const struct hv_view *v,
		     const struct hv_row *const *rows, size_t nr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_writer_t *w;

	assert_non_null(f);
	w = jsonw_new(f);
	assert_non_null(w);
	hv_write_json(w, snap, v, rows, nr);
	jsonw_destroy(&w);
	fclose(f);
	return buf;
}

static void test_json_series(void **state)
{
	struct hv_snapshot snap = { .elapsed_s = 1.0 };
	struct hv_view v = view_of(true);
	struct hv_row r = sample_row();
	const struct hv_row *rows[] = { &r };
	char *json;

	(void)state;
	/* Guest names come from the command line: anything goes. */
	snprintf(r.name, sizeof(r.name), "we\"ird\\name\n\x01");
	snap.totals[HVFLUSH_ENQUEUES] = 99;
	snap.totals[HVFLUSH_LOST] = 1;
	json = json_of(&snap, &v, rows, 1);
	/* One object, one line. */
	assert_int_equal(json[0], '{');
	assert_ptr_equal(strchr(json, '\n'), json + strlen(json) - 1);
	assert_contains(json, "{\"type\":\"interval\",\"time\":1700000000.25,");
	assert_contains(json, "\"mode\":\"series\"");
	assert_contains(json, "\"note\":null");
	assert_contains(json, "\"sort\":\"p99\"");
	assert_contains(json, "\"filter\":{\"pid\":null,\"vm\":null}");
	assert_contains(json, "\"totals\":{\"hypercalls_l1\":0,");
	assert_contains(json, "\"enqueues\":99,");
	/* Waits their VM's end cleared, between lost and missed. */
	assert_contains(json, "\"lost\":1,\"abandoned\":0,\"missed\":0}");
	assert_contains(json, "\"vm\":\"we\\\"ird\\\\name\\n\\u0001\"");
	assert_contains(json, "\"stats_id\":\"kvm-4242\",\"pid\":4242,\"exited\":false,\"vcpu\":3,\"fifo\":\"L2\"");
	assert_contains(json, "\"pending\":2");
	assert_contains(json, "\"overflows\":7");
	/* The percentiles once, from the slots: 3 values in [4096, 8192). */
	assert_null(strstr(json, "p50_ns"));
	assert_contains(json, "\"latency_ns\":{\"count\":3,\"p50\":6144,");
	assert_contains(json, "\"slots\":[{\"lo\":4096,\"hi\":8191,\"count\":3}]");
	assert_contains(json, "\"max_ns\":1250000");
	free(json);

	/* ... never above the maximum, as on the screen. */
	r.max_ns = 5000;
	json = json_of(&snap, &v, rows, 1);
	assert_contains(json, "\"p50\":5000,\"p90\":5000,\"p99\":5000,");
	free(json);

	r.has_max = false;
	json = json_of(&snap, &v, rows, 1);
	assert_contains(json, "\"max_ns\":null");
	free(json);
}

static void test_json_final_exited(void **state)
{
	struct hv_snapshot snap = { .elapsed_s = 1.0 };
	struct hv_view v = view_of(true);
	struct hv_row r = sample_row();
	const struct hv_row *rows[] = { &r };
	char *json;

	(void)state;
	json = json_of(&snap, &v, rows, 1);
	assert_contains(json, "\"exited_rows_dropped\":0,\"rows\":[");
	free(json);

	snap.final = true;
	snap.exited_dropped = 5;
	r.exited = true;
	r.enqueue_rate = r.drain_rate = 0;
	json = json_of(&snap, &v, rows, 1);
	assert_contains(json, "{\"type\":\"final\",\"time\":1700000000.25,");
	assert_lacks(json, "interval\"");
	assert_contains(json, "\"interval_s\":1,");
	assert_contains(json, "\"exited_rows_dropped\":5,\"rows\":[");
	/* The row keeps its numbers; exited says it is gone. */
	assert_contains(json, "\"pid\":4242,\"exited\":true,\"vcpu\":3");
	assert_contains(json, "\"enqueue_rate\":0,\"drain_rate\":0,\"enqueues\":99,");
	assert_contains(json, "\"pending\":2,");
	free(json);
}

static void test_json_fallback(void **state)
{
	struct hv_snapshot snap = { .elapsed_s = 1.0 };
	struct hv_view v = view_of(false);
	char *json;

	(void)state;
	snap.totals[HVFLUSH_HYPERCALLS_L2] = 4;
	v.filter.pid = 77;
	json = json_of(&snap, &v, NULL, 0);
	assert_contains(json, "\"mode\":\"fallback\"");
	assert_contains(json, "\"note\":\"per-vCPU flush latency needs the kvmscope");
	assert_contains(json, "\"filter\":{\"pid\":77,\"vm\":null}");
	/* What the fallback cannot see is null, not a misleading 0. */
	assert_contains(json, "\"totals\":{\"hypercalls_l1\":0,\"hypercalls_l2\":4,\"enqueues\":null,");
	assert_contains(json, "\"synthetic_vmexits\":null,\"lost\":0,\"abandoned\":null,\"missed\":0}");
	assert_contains(json, "\"rows\":[]");
	free(json);
}

/* -c: kvm_stat's CSV, a line per snapshot under one line of titles. */
static void test_csv(void **state)
{
	struct hv_snapshot snap = { .elapsed_s = 0.5, .final = true };
	struct hv_view v = view_of(true);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	snap.totals[HVFLUSH_HYPERCALLS_L1] = 7;
	snap.rates[HVFLUSH_HYPERCALLS_L1] = 14;
	snap.totals[HVFLUSH_ENQUEUES] = 99;
	snap.rates[HVFLUSH_ENQUEUES] = 2.5;
	f = open_memstream(&buf, &len);
	hv_csv_header(f);
	hv_csv_line(f, &snap, &v);
	v = view_of(false);
	snap.final = false;
	hv_csv_line(f, &snap, &v);
	fclose(f);
	assert_string_equal(buf,
		"time,type,interval_s,hypercalls_l1,hypercalls_l1_per_s,hypercalls_l2,hypercalls_l2_per_s,"
		"enqueues,enqueues_per_s,overflows,overflows_per_s,drains,drains_per_s,purges,purges_per_s,"
		"empty_dequeues,empty_dequeues_per_s,synthetic_vmexits,synthetic_vmexits_per_s,"
		"lost,lost_per_s,abandoned,abandoned_per_s,missed,missed_per_s\n"
		"1700000000.250000,final,0.500000,7,14.000,0,0.000,99,2.500,0,0.000,0,0.000,0,0.000,"
		"0,0.000,0,0.000,0,0.000,0,0.000,0,0.000\n"
		/* The fallback cannot see the FIFO counters: empty, not 0. */
		"1700000000.250000,interval,0.500000,7,14.000,0,0.000,,,,,,,,,,,,,0,0.000,,,0,0.000\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_ns),
		cmocka_unit_test(test_row_under_titles),
		cmocka_unit_test(test_row_without_samples_and_long_name),
		cmocka_unit_test(test_row_hostile_name),
		cmocka_unit_test(test_row_utf8_name),
		cmocka_unit_test(test_row_exited),
		cmocka_unit_test(test_header_series),
		cmocka_unit_test(test_header_fallback),
		cmocka_unit_test(test_header_final_and_dropped),
		cmocka_unit_test(test_json_series),
		cmocka_unit_test(test_json_fallback),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json_final_exited),
	};

	/* Names reach a UTF-8 terminal as they are (termtext.h). */
	if (!setlocale(LC_CTYPE, "C.UTF-8")) {
		fprintf(stderr, "no C.UTF-8 locale\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
