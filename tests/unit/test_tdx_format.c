// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tdx-trace presentation of conversions: direction and pages, the human
 * line, the JSON record (with escaping), the userspace aggregation, and
 * naming VMs (also those whose VMM has exited).
 */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tdx-trace/conv_format.h"
#include "tdx-trace/conv_table.h"
#include "tdx-trace/runtime.h"
#include "vmname.h"

static struct conv_event series_event(void)
{
	struct conv_event e = {
		.ts_ns = 5000000000ULL,
		.duration_ns = 12345,
		.gfn_start = 0x100000,
		.gfn_end = 0x100200,
		.attributes = CONV_ATTR_PRIVATE,
		.pid = 4242, .tid = 4250,
		.zapped = { 300, 1, 0 },
		.yields = 2, .yield_flushes = 1, .flushes = 2,
		.root_walks = 2, .ret = 0, .valid = CONV_F_SERIES_ALL,
		.noop = 0, .flushed = 1,
	};

	strcpy(e.comm, "qemu-vcpu");
	strcpy(e.stats_id, "kvm-4242");
	return e;
}

static void test_direction_and_pages(void **state)
{
	(void)state;
	assert_string_equal(tdx_dir_name(CONV_ATTR_PRIVATE), "private");
	assert_string_equal(tdx_dir_name(CONV_ATTR_PRIVATE | 1), "private");
	assert_string_equal(tdx_dir_name(0), "shared");
	assert_string_equal(tdx_dir_name(~CONV_ATTR_PRIVATE), "shared");
	assert_int_equal(tdx_dir_of(8), CONV_DIR_PRIVATE);
	assert_int_equal(tdx_dir_of(0), CONV_DIR_SHARED);
	assert_int_equal(tdx_conv_pages(0x100, 0x300), 0x200);
	assert_int_equal(tdx_conv_pages(5, 6), 1);
	assert_int_equal(tdx_conv_pages(5, 5), 0);
	assert_int_equal(tdx_conv_pages(6, 5), 0);	/* inverted: no pages */
}

static char *line_of(const struct conv_event *e, const char *name,
		     const char *ts)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	tdx_conv_print_line(f, e, name, ts);
	fclose(f);
	return buf;
}

static void test_line_series(void **state)
{
	struct conv_event e = series_event();
	char *l = line_of(&e, "web1", NULL);

	(void)state;
	assert_string_equal(l,
		"kvm-4242         web1             4250    0x100000000-0x100200000          512 private       12.3    300     1    0     2   no    0\n");
	free(l);
	e.noop = 1;
	e.ret = -14;
	l = line_of(&e, "a-very-long-vm-name-indeed", "10:00:00.123");
	assert_string_equal(l,
		"10:00:00.123 kvm-4242         a-very-long-vm-n 4250    0x100000000-0x100200000          512 private       12.3    300     1    0     2  yes  -14\n");
	free(l);
}

static void test_line_fallback(void **state)
{
	struct conv_event e = series_event();
	char *l;

	(void)state;
	e.valid = CONV_F_FALLBACK_ALL;
	e.attributes = 0;
	l = line_of(&e, "web1", NULL);
	/* No flushes or no-op flag in fallback mode: '-'. */
	assert_string_equal(l,
		"kvm-4242         web1             4250    0x100000000-0x100200000          512 shared        12.3    300     1    0     -    -    0\n");
	free(l);
}

/* A name is escaped for the terminal and cut between characters. */
static void test_line_hostile_and_utf8_names(void **state)
{
	struct conv_event e = series_event();
	char *l;

	(void)state;
	l = line_of(&e, "\x1b[2J\x1b[8m", NULL);
	assert_string_equal(l,
		"kvm-4242         \\x1b[2J\\x1b[8m   4250    0x100000000-0x100200000          512 private       12.3    300     1    0     2   no    0\n");
	free(l);
	/* Sixteen of its 22 characters, 44 bytes: not 16 bytes. */
	l = line_of(&e, "db本番データベース東京リージョン第一仮想計", NULL);
	assert_string_equal(l,
		"kvm-4242         db本番データベース東京リージョ 4250    0x100000000-0x100200000          512 private       12.3    300     1    0     2   no    0\n");
	free(l);
	/* The stats id is the kernel's, but printed the same way. */
	strcpy(e.stats_id, "kvm-\x1b[8m");
	l = line_of(&e, "web1", NULL);
	assert_int_equal(strncmp(l, "kvm-\\x1b[8m      web1 ", 22), 0);
	free(l);
}

static char *json_of(const struct conv_event *e, const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_writer_t *w = jsonw_new(f);

	tdx_conv_json(w, e, name, 1700000000.25);
	jsonw_destroy(&w);
	fclose(f);
	return buf;
}

static void test_json_series(void **state)
{
	struct conv_event e = series_event();
	char *j = json_of(&e, "web \"1\"\n");

	(void)state;
	assert_string_equal(j,
		"{\"type\":\"conversion\",\"ts_ns\":5000000000,\"time\":1700000000.25,"
		"\"vm\":\"kvm-4242\",\"pid\":4242,\"name\":\"web \\\"1\\\"\\n\","
		"\"tid\":4250,\"comm\":\"qemu-vcpu\",\"gpa_start\":4294967296,"
		"\"gpa_end\":4297064448,\"gfn_start\":1048576,\"gfn_end\":1049088,"
		"\"pages\":512,\"direction\":\"private\",\"attributes\":8,"
		"\"duration_ns\":12345,\"zapped_4k\":300,\"zapped_2m\":1,"
		"\"zapped_1g\":0,\"root_walks\":2,\"yields\":2,\"yield_flushes\":1,"
		"\"flushes\":2,\"noop\":false,\"ret\":0}\n");
	free(j);
}

static void test_json_fallback_and_unterminated(void **state)
{
	struct conv_event e = series_event();
	char *j;

	(void)state;
	e.valid = CONV_F_FALLBACK_ALL;
	/* comm and stats_id fill their arrays without a NUL: still bounded. */
	memset(e.comm, 'c', sizeof(e.comm));
	memset(e.stats_id, 's', sizeof(e.stats_id));
	j = json_of(&e, "n");
	assert_non_null(strstr(j, "\"vm\":\"ssssssssssssssssssssssssssssssssssssssssssssssss\","));
	assert_non_null(strstr(j, "\"comm\":\"cccccccccccccccc\","));
	assert_non_null(strstr(j, "\"root_walks\":null,\"yields\":null,"
				  "\"yield_flushes\":null,\"flushes\":null,"
				  "\"noop\":null,"));
	assert_non_null(strstr(j, "\"zapped_4k\":300,"));
	free(j);
}

/* The thread's comm as the kernel kept it: any bytes, made UTF-8. */
static void test_json_comm_utf8(void **state)
{
	struct conv_event e = series_event();
	char *j;

	(void)state;
	memcpy(e.comm, "\xff\xfe\x1b[2Jabcdefg\xe6\x97", sizeof(e.comm));
	j = json_of(&e, "n");
	assert_non_null(strstr(j, "\"comm\":\"\xef\xbf\xbd\xef\xbf\xbd"
				  "\\u001b[2Jabcdefg\xef\xbf\xbd\xef\xbf\xbd\","));
	free(j);
}

static void test_vm_label(void **state)
{
	struct conv_event e = series_event();
	char b[64];

	(void)state;
	tdx_conv_vm_label(&e, b, sizeof(b));
	assert_string_equal(b, "kvm-4242");
	e.stats_id[0] = '\0';	/* series mode, but no struct kvm to read */
	tdx_conv_vm_label(&e, b, sizeof(b));
	assert_string_equal(b, "pid:4242");
}

static void test_table_merge(void **state)
{
	struct tdx_conv_table t = {}, total = {};
	struct conv_key priv = { .pid = 7, .dir = CONV_DIR_PRIVATE };
	struct conv_key shared = { .pid = 7, .dir = CONV_DIR_SHARED };
	struct conv_key other = { .pid = 3, .dir = CONV_DIR_PRIVATE };
	struct conv_stats s = { .count = 2, .noop = 1, .pages = 10,
				    .zapped = { 5, 1, 0 }, .flushes = 3 };
	struct conv_stats sum;

	(void)state;
	s.dur_slots[4] = 2;
	strcpy(s.stats_id, "kvm-7");
	assert_int_equal(tdx_table_add_conv(&t, &priv, &s), 0);
	assert_int_equal(tdx_table_add_conv(&t, &priv, &s), 0);
	assert_int_equal(tdx_table_add_conv(&t, &shared, &s), 0);
	assert_int_equal(tdx_table_add_conv(&t, &other, &s), 0);
	assert_int_equal(t.nr_conv, 3);
	tdx_table_sort(&t);
	assert_int_equal(t.conv[0].key.pid, 3);
	assert_int_equal(t.conv[1].key.dir, CONV_DIR_SHARED);
	assert_int_equal(t.conv[2].key.dir, CONV_DIR_PRIVATE);
	assert_int_equal(t.conv[2].s.count, 4);
	assert_int_equal(t.conv[2].s.dur_slots[4], 4);
	assert_string_equal(t.conv[2].s.stats_id, "kvm-7");

	tdx_table_totals(&t, &sum);
	assert_int_equal(sum.count, 8);
	assert_int_equal(sum.noop, 4);
	assert_int_equal(sum.pages, 40);
	assert_int_equal(sum.zapped[0], 20);
	assert_int_equal(sum.flushes, 12);
	assert_float_equal(tdx_noop_ratio(&sum), 0.5, 1e-12);
	memset(&sum, 0, sizeof(sum));
	assert_float_equal(tdx_noop_ratio(&sum), 0.0, 0);

	/* Intervals merge into the run's total; clear keeps nothing. */
	assert_int_equal(tdx_table_merge(&total, &t), 0);
	assert_int_equal(tdx_table_merge(&total, &t), 0);
	assert_int_equal(total.nr_conv, 3);
	tdx_table_totals(&total, &sum);
	assert_int_equal(sum.count, 16);
	tdx_table_clear(&t);
	tdx_table_totals(&t, &sum);
	assert_int_equal(sum.count, 0);
	tdx_table_free(&t);
	tdx_table_free(&total);
}

static void test_table_mapgpa(void **state)
{
	struct tdx_conv_table t = {};
	struct mapgpa_key k0 = { .pid = 1, .vcpu_id = 0 };
	struct mapgpa_key k1 = { .pid = 1, .vcpu_id = 1 };
	struct mapgpa_stats s = { .count = 1, .pages = 16, .to_private = 1,
				      .userspace_exits = 1, .conversions = 2 };

	(void)state;
	s.lat_slots[12] = 1;
	assert_int_equal(tdx_table_add_mapgpa(&t, &k1, &s), 0);
	assert_int_equal(tdx_table_add_mapgpa(&t, &k0, &s), 0);
	/* An entry without a comm takes the first one merged into it. */
	strcpy(s.comm, "qemu-system-x86");
	assert_int_equal(tdx_table_add_mapgpa(&t, &k1, &s), 0);
	strcpy(s.comm, "other");
	assert_int_equal(tdx_table_add_mapgpa(&t, &k1, &s), 0);
	tdx_table_sort(&t);
	assert_int_equal(t.nr_mapgpa, 2);
	assert_int_equal(t.mapgpa[0].key.vcpu_id, 0);
	assert_string_equal(t.mapgpa[0].s.comm, "");
	assert_int_equal(t.mapgpa[1].s.count, 3);
	assert_int_equal(t.mapgpa[1].s.pages, 48);
	assert_int_equal(t.mapgpa[1].s.conversions, 6);
	assert_int_equal(t.mapgpa[1].s.lat_slots[12], 3);
	assert_string_equal(t.mapgpa[1].s.comm, "qemu-system-x86");
	tdx_table_free(&t);
}

/* A VMM is named while it runs; once gone, by the comm the kernel kept. */
static void test_vm_name(void **state)
{
	char comm[32];

	(void)state;
	assert_int_equal(ks_proc_comm(getpid(), comm, sizeof(comm)), 0);
	assert_string_equal(tdx_vm_name(getpid(), "kept"), comm);
	assert_string_equal(tdx_vm_name(2147483646, "qemu-system-x86"),
			    "qemu-system-x86");
	/* Cached as gone: each row still gets its own comm. */
	assert_string_equal(tdx_vm_name(2147483646, "other"), "other");
	assert_string_equal(tdx_vm_name(2147483646, ""), "?");
	assert_string_equal(tdx_vm_name(2147483645, NULL), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direction_and_pages),
		cmocka_unit_test(test_line_series),
		cmocka_unit_test(test_line_fallback),
		cmocka_unit_test(test_line_hostile_and_utf8_names),
		cmocka_unit_test(test_json_series),
		cmocka_unit_test(test_json_fallback_and_unterminated),
		cmocka_unit_test(test_json_comm_utf8),
		cmocka_unit_test(test_vm_label),
		cmocka_unit_test(test_table_merge),
		cmocka_unit_test(test_table_mapgpa),
		cmocka_unit_test(test_vm_name),
	};

	/* Names reach a UTF-8 terminal as they are (termtext.h). */
	if (!setlocale(LC_CTYPE, "C.UTF-8")) {
		fprintf(stderr, "no C.UTF-8 locale\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
