// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hvflush-top's model: percentiles from the kernel's log2 slots, rates,
 * totals and resets, rows of exited VMMs (kept, final, capped), filtering
 * and every sort key.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hvflush-top/stats.h"

#define SEC 1000000000ULL

static struct hv_raw_row raw_row(int pid, __u64 kvm, int vcpu, int fifo)
{
	struct hv_raw_row r;

	memset(&r, 0, sizeof(r));
	r.key.kvm = kvm;
	r.key.vcpu_id = vcpu;
	r.key.fifo = fifo;
	r.key.pid = pid;
	snprintf(r.val.stats_id, sizeof(r.val.stats_id), "kvm-%d", pid);
	snprintf(r.name, sizeof(r.name), "vm%d", pid);
	return r;
}

/* One refresh of a single row at @t_ns; returns its snapshot row. */
static struct hv_row update_one(struct hv_model *m, const struct hv_raw_row *r,
				uint64_t t_ns)
{
	uint64_t counters[HVFLUSH_NR_COUNTERS] = {};
	struct hv_snapshot snap;
	struct hv_row row;

	assert_int_equal(hv_model_update(m, r, 1, counters, t_ns, false, &snap), 0);
	assert_int_equal(snap.nr_rows, 1);
	row = snap.rows[0];
	hv_snapshot_free(&snap);
	return row;
}

/* @v lies in log2 slot @slot: [2^slot, 2^(slot+1)], the upper bound included
 * because interpolation may reach the end of the slot. */
static void assert_in_slot(double v, int slot)
{
	if (v < (double)(1ULL << slot) || v > (double)(1ULL << (slot + 1))) {
		print_error("%f is not in slot %d [%llu, %llu]\n", v, slot,
			    1ULL << slot, 1ULL << (slot + 1));
		fail();
	}
}

static void test_percentiles_known_distribution(void **state)
{
	struct hv_raw_row r = raw_row(100, 1, 0, HVFLUSH_FIFO_L1);
	struct hv_model m;
	struct hv_row row;

	(void)state;
	/* 50 waits of ~1-2 us, 49 of ~4-8 us, one of ~1-2 ms. */
	r.val.slots[10] = 50;
	r.val.slots[12] = 49;
	r.val.slots[20] = 1;
	r.val.sum_ns = 50 * 1500 + 49 * 6000 + 1500000;
	r.val.max_ns = 1500000;
	hv_model_init(&m, 0);
	row = update_one(&m, &r, SEC);
	assert_int_equal(row.samples, 100);
	assert_in_slot(row.p50_ns, 10);	/* rank 50: the last of slot 10 */
	assert_in_slot(row.p99_ns, 12);	/* rank 99: the last of slot 12 */
	assert_true(row.has_max);
	assert_int_equal(row.max_ns, 1500000);
	assert_true(fabs(row.mean_ns - (double)r.val.sum_ns / 100) < 1e-6);
	hv_model_free(&m);
}

static void test_percentiles_tail(void **state)
{
	struct hv_raw_row r = raw_row(100, 1, 0, HVFLUSH_FIFO_L1);
	struct hv_model m;
	struct hv_row row;

	(void)state;
	/* 98.9% fast, 1.1% slow: p99 (rank 990 of 1000) is slow. */
	r.val.slots[5] = 989;
	r.val.slots[15] = 11;
	r.val.max_ns = 60000;
	hv_model_init(&m, 0);
	row = update_one(&m, &r, SEC);
	assert_in_slot(row.p50_ns, 5);
	assert_in_slot(row.p99_ns, 15);
	hv_model_free(&m);
}

static void test_percentiles_capped_by_max(void **state)
{
	struct hv_raw_row r = raw_row(100, 1, 0, HVFLUSH_FIFO_L1);
	struct hv_model m;
	struct hv_row row;

	(void)state;
	/* All in [4096, 8192) ns, but none above 5000 ns was seen. */
	r.val.slots[12] = 100;
	r.val.max_ns = 5000;
	hv_model_init(&m, 0);
	row = update_one(&m, &r, SEC);
	assert_true(row.p99_ns <= 5000 && row.p99_ns >= 4096);
	assert_true(row.p50_ns <= 5000 && row.p50_ns >= 4096);
	hv_model_free(&m);
}

static void test_no_samples(void **state)
{
	struct hv_raw_row r = raw_row(100, 1, 0, HVFLUSH_FIFO_L2);
	struct hv_model m;
	struct hv_row row;

	(void)state;
	r.val.enqueues = 3;
	r.val.pending = 3;
	r.val.oldest_ns = SEC / 2;
	hv_model_init(&m, 0);
	row = update_one(&m, &r, 2 * SEC);
	assert_int_equal(row.samples, 0);
	assert_true(isnan(row.p50_ns) && isnan(row.p99_ns) && isnan(row.mean_ns));
	assert_false(row.has_max);
	assert_int_equal(row.pending, 3);
	/* The oldest pending flush has waited from 0.5 s to 2 s. */
	assert_int_equal(row.wait_ns, 3 * SEC / 2);
	hv_model_free(&m);
}

static void test_rates_and_totals(void **state)
{
	struct hv_raw_row r = raw_row(100, 1, 2, HVFLUSH_FIFO_L1);
	uint64_t counters[HVFLUSH_NR_COUNTERS] = {};
	struct hv_snapshot snap;
	struct hv_model m;
	struct hv_row row;

	(void)state;
	hv_model_init(&m, 0);
	r.val.enqueues = 10;
	r.val.drains = 4;
	r.val.purges = 1;
	counters[HVFLUSH_HYPERCALLS_L2] = 7;
	assert_int_equal(hv_model_update(&m, &r, 1, counters, SEC, false, &snap), 0);
	assert_true(fabs(snap.rows[0].enqueue_rate - 10.0) < 1e-9);
	assert_true(fabs(snap.rows[0].drain_rate - 5.0) < 1e-9);
	assert_true(fabs(snap.rates[HVFLUSH_HYPERCALLS_L2] - 7.0) < 1e-9);
	hv_snapshot_free(&snap);

	/* Two seconds later: rates over those two seconds, totals since start. */
	r.val.enqueues = 30;
	counters[HVFLUSH_HYPERCALLS_L2] = 17;
	assert_int_equal(hv_model_update(&m, &r, 1, counters, 3 * SEC, false, &snap), 0);
	row = snap.rows[0];
	assert_true(fabs(snap.elapsed_s - 2.0) < 1e-9);
	assert_true(fabs(row.enqueue_rate - 10.0) < 1e-9);
	assert_true(fabs(row.drain_rate) < 1e-9);
	assert_int_equal(row.enqueues, 30);
	assert_int_equal(snap.totals[HVFLUSH_HYPERCALLS_L2], 17);
	assert_true(fabs(snap.rates[HVFLUSH_HYPERCALLS_L2] - 5.0) < 1e-9);
	hv_snapshot_free(&snap);
	hv_model_free(&m);
}

static void test_reset(void **state)
{
	struct hv_raw_row r = raw_row(100, 1, 0, HVFLUSH_FIFO_L1);
	uint64_t counters[HVFLUSH_NR_COUNTERS] = {};
	struct hv_snapshot snap;
	struct hv_model m;
	struct hv_row row;

	(void)state;
	hv_model_init(&m, 0);
	r.val.enqueues = 100;
	r.val.overflows = 5;
	r.val.slots[20] = 100;		/* slow before the reset */
	r.val.max_ns = 1500000;
	counters[HVFLUSH_LOST] = 3;
	assert_int_equal(hv_model_update(&m, &r, 1, counters, SEC, false, &snap), 0);
	hv_snapshot_free(&snap);

	assert_int_equal(hv_model_reset(&m), 1);
	r.val.enqueues = 110;
	r.val.slots[8] = 10;		/* fast after it */
	counters[HVFLUSH_LOST] = 4;
	/* The kernel has not seen a sample in generation 1 yet. */
	assert_int_equal(hv_model_update(&m, &r, 1, counters, 2 * SEC, false, &snap), 0);
	row = snap.rows[0];
	assert_int_equal(row.enqueues, 10);
	assert_int_equal(row.overflows, 0);
	assert_int_equal(row.samples, 10);
	assert_in_slot(row.p99_ns, 8);
	assert_false(row.has_max);
	assert_int_equal(snap.totals[HVFLUSH_LOST], 1);
	hv_snapshot_free(&snap);

	r.val.max_gen = 1;
	r.val.max_ns = 300;
	row = update_one(&m, &r, 3 * SEC);
	assert_true(row.has_max);
	assert_int_equal(row.max_ns, 300);
	hv_model_free(&m);
}

/* One refresh of @n raw rows, no global counters; the caller frees @snap. */
static void update(struct hv_model *m, const struct hv_raw_row *raw, size_t n,
		   uint64_t t_ns, bool final, struct hv_snapshot *snap)
{
	uint64_t counters[HVFLUSH_NR_COUNTERS] = {};

	assert_int_equal(hv_model_update(m, raw, n, counters, t_ns, final,
					 snap), 0);
	assert_int_equal(snap->final, final);
}

static int by_pid_key(const void *pa, const void *pb)
{
	const struct hv_row *a = pa, *b = pb;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->key.vcpu_id != b->key.vcpu_id)
		return a->key.vcpu_id < b->key.vcpu_id ? -1 : 1;
	return a->key.kvm < b->key.kvm ? -1 : a->key.kvm > b->key.kvm;
}

/*
 * The snapshot's rows as "pid/vcpu:enqueues" by PID, "x" after an exited
 * one, e.g. "100/0:20x 200/1:1".  Frees @snap.
 */
static const char *summary(struct hv_snapshot *snap)
{
	static char buf[512];
	size_t i, off = 0;

	qsort(snap->rows, snap->nr_rows, sizeof(*snap->rows), by_pid_key);
	buf[0] = '\0';
	for (i = 0; i < snap->nr_rows && off < sizeof(buf); i++) {
		const struct hv_row *r = &snap->rows[i];

		off += snprintf(buf + off, sizeof(buf) - off, "%s%d/%d:%llu%s",
				i ? " " : "", r->pid, r->key.vcpu_id,
				(unsigned long long)r->enqueues,
				r->exited ? "x" : "");
	}
	hv_snapshot_free(snap);
	return buf;
}

/* @snap's row of VMM @pid (there must be one). */
static const struct hv_row *row_of(const struct hv_snapshot *snap, int pid)
{
	size_t i;

	for (i = 0; i < snap->nr_rows; i++)
		if (snap->rows[i].pid == pid)
			return &snap->rows[i];
	print_error("no row of pid %d\n", pid);
	fail();
	return NULL;
}

static void test_row_gone_and_back(void **state)
{
	struct hv_raw_row r = raw_row(100, 1, 0, HVFLUSH_FIFO_L1), n;
	struct hv_snapshot snap;
	struct hv_model m;
	struct hv_row row;

	(void)state;
	hv_model_init(&m, 0);
	r.val.enqueues = 50;
	update_one(&m, &r, SEC);
	hv_model_reset(&m);
	/* Gone without being seen exited (hvflush-top never does that). */
	update(&m, NULL, 0, 2 * SEC, false, &snap);
	assert_int_equal(snap.nr_rows, 0);
	hv_snapshot_free(&snap);
	/* Back at the same struct kvm address: a new row, from zero. */
	r.val.enqueues = 4;
	row = update_one(&m, &r, 3 * SEC);
	assert_int_equal(row.enqueues, 4);	/* not 4 - 50 */
	assert_true(fabs(row.enqueue_rate - 4.0) < 1e-9);
	assert_false(row.exited);
	/* Its VMM exits: the final counts, marked, and nothing per second. */
	r.val.enqueues = 6;
	r.exited = true;
	row = update_one(&m, &r, 4 * SEC);
	assert_true(row.exited);
	assert_int_equal(row.enqueues, 6);
	assert_true(row.enqueue_rate == 0 && row.drain_rate == 0);

	/*
	 * A new VMM's VM at the same address is a new row from zero, next to
	 * the exited one, which is still shown.
	 */
	n = raw_row(200, 1, 0, HVFLUSH_FIFO_L1);
	n.val.enqueues = 3;
	update(&m, &n, 1, 5 * SEC, false, &snap);
	assert_true(fabs(row_of(&snap, 200)->enqueue_rate - 3.0) < 1e-9);
	assert_string_equal(summary(&snap), "100/0:6x 200/0:3");
	n.val.enqueues = 5;
	update(&m, &n, 1, 6 * SEC, false, &snap);
	assert_string_equal(summary(&snap), "100/0:6x 200/0:5");
	hv_model_free(&m);
}

static void test_exited_kept_for_n_snapshots(void **state)
{
	struct hv_raw_row raw[2] = {
		raw_row(100, 1, 0, HVFLUSH_FIFO_L1),
		raw_row(200, 2, 1, HVFLUSH_FIFO_L2),
	};
	struct hv_snapshot snap;
	struct hv_model m;
	const struct hv_row *gone;

	(void)state;
	hv_model_init(&m, 0);
	assert_int_equal(m.keep_exited, HV_KEEP_EXITED_DEFAULT);
	m.keep_exited = 2;
	raw[0].val.enqueues = 10;
	raw[1].val.enqueues = 1;
	update(&m, raw, 2, SEC, false, &snap);
	assert_string_equal(summary(&snap), "100/0:10 200/1:1");

	/* VMM 100 queued 10 more, then exited: found gone with them. */
	raw[0].val.enqueues = 20;
	raw[0].val.drains = 20;
	raw[0].val.slots[10] = 20;
	raw[0].val.max_ns = 2000;
	raw[0].exited = true;
	update(&m, raw, 2, 2 * SEC, false, &snap);
	gone = row_of(&snap, 100);
	assert_true(gone->exited);
	assert_true(gone->enqueue_rate == 0 && gone->drain_rate == 0);
	assert_int_equal(gone->drains, 20);
	assert_int_equal(gone->samples, 20);
	assert_in_slot(gone->p99_ns, 10);
	assert_string_equal(summary(&snap), "100/0:20x 200/1:1");

	/* The map has only VMM 200 from now on (hv_read_rows() deleted 100). */
	update(&m, &raw[1], 1, 3 * SEC, false, &snap);
	assert_string_equal(summary(&snap), "100/0:20x 200/1:1");
	update(&m, &raw[1], 1, 4 * SEC, false, &snap);
	assert_string_equal(summary(&snap), "200/1:1");
	update(&m, &raw[1], 1, 5 * SEC, false, &snap);
	assert_string_equal(summary(&snap), "200/1:1");
	/* The final snapshot has it again. */
	update(&m, &raw[1], 1, 6 * SEC, true, &snap);
	assert_int_equal(snap.exited_dropped, 0);
	assert_string_equal(summary(&snap), "100/0:20x 200/1:1");
	hv_model_free(&m);
}

/* VMM @pid's single row (vCPU 0) with @enq enqueues, exited or not. */
static struct hv_raw_row vm(int pid, __u64 enq, bool exited)
{
	struct hv_raw_row r = raw_row(pid, pid, 0, HVFLUSH_FIFO_L1);

	r.val.enqueues = enq;
	r.exited = exited;
	return r;
}

static void test_final_has_every_exited_row(void **state)
{
	struct hv_raw_row raw[3];
	struct hv_snapshot snap;
	struct hv_model m;

	(void)state;
	hv_model_init(&m, 0);
	m.keep_exited = 1;
	raw[0] = vm(100, 1, false);
	raw[1] = vm(101, 2, false);
	raw[2] = vm(102, 3, false);
	update(&m, raw, 3, SEC, false, &snap);
	assert_string_equal(summary(&snap), "100/0:1 101/0:2 102/0:3");
	/* 100 exits, then 101 (and, born and gone between refreshes, 103). */
	raw[0] = vm(100, 1, true);
	update(&m, raw, 3, 2 * SEC, false, &snap);
	assert_string_equal(summary(&snap), "100/0:1x 101/0:2 102/0:3");
	raw[0] = vm(101, 2, true);
	raw[1] = vm(103, 7, true);
	update(&m, raw, 3, 3 * SEC, false, &snap);
	assert_string_equal(summary(&snap), "101/0:2x 102/0:3 103/0:7x");
	update(&m, &raw[2], 1, 4 * SEC, false, &snap);
	assert_string_equal(summary(&snap), "102/0:3");
	/* Stopped: the final snapshot of a refresh that found nothing new. */
	update(&m, &raw[2], 1, 5 * SEC, true, &snap);
	assert_string_equal(summary(&snap),
			    "100/0:1x 101/0:2x 102/0:3 103/0:7x");
	/* One that exits in the final refresh itself is there too. */
	raw[2] = vm(102, 4, true);
	update(&m, &raw[2], 1, 6 * SEC, true, &snap);
	assert_string_equal(summary(&snap),
			    "100/0:1x 101/0:2x 102/0:4x 103/0:7x");
	hv_model_free(&m);
}

static void test_exited_cap_drops_oldest(void **state)
{
	struct hv_raw_row raw[3];
	struct hv_snapshot snap;
	struct hv_model m;

	(void)state;
	hv_model_init(&m, 0);
	assert_int_equal(m.max_exited, HV_EXITED_MAX);
	m.max_exited = 2;
	m.keep_exited = 5;
	raw[0] = vm(100, 1, true);
	update(&m, raw, 1, SEC, false, &snap);
	assert_string_equal(summary(&snap), "100/0:1x");
	raw[0] = vm(101, 2, true);
	update(&m, raw, 1, 2 * SEC, false, &snap);
	assert_int_equal(snap.exited_dropped, 0);
	assert_string_equal(summary(&snap), "100/0:1x 101/0:2x");
	/* A third: the oldest, 100, makes room, even while still shown. */
	raw[0] = vm(102, 3, true);
	update(&m, raw, 1, 3 * SEC, false, &snap);
	assert_int_equal(snap.exited_dropped, 1);
	assert_string_equal(summary(&snap), "101/0:2x 102/0:3x");
	update(&m, NULL, 0, 4 * SEC, true, &snap);
	assert_int_equal(snap.exited_dropped, 1);
	assert_string_equal(summary(&snap), "101/0:2x 102/0:3x");

	/* More than the cap at once: the older ones and the first new one. */
	raw[0] = vm(103, 4, true);
	raw[1] = vm(104, 5, true);
	raw[2] = vm(105, 6, true);
	update(&m, raw, 3, 5 * SEC, true, &snap);
	assert_int_equal(snap.exited_dropped, 4);
	assert_int_equal(m.nr_exited, 2);
	assert_string_equal(summary(&snap), "104/0:5x 105/0:6x");
	hv_model_free(&m);
}

static void test_reset_drops_exited(void **state)
{
	struct hv_raw_row raw[3];
	struct hv_snapshot snap;
	struct hv_model m;

	(void)state;
	hv_model_init(&m, 0);
	m.max_exited = 1;
	raw[0] = vm(100, 10, false);
	raw[1] = vm(101, 1, true);
	raw[2] = vm(102, 2, true);
	update(&m, raw, 3, SEC, false, &snap);
	assert_int_equal(snap.exited_dropped, 1);
	/* What the screen shows until the next refresh loses them too. */
	hv_model_reset(&m);
	hv_snapshot_drop_exited(&snap);
	assert_string_equal(summary(&snap), "100/0:10");

	/* Nothing of them since the reset: neither shown nor final. */
	raw[0] = vm(100, 15, false);
	update(&m, raw, 1, 2 * SEC, false, &snap);
	assert_int_equal(snap.exited_dropped, 0);
	assert_string_equal(summary(&snap), "100/0:5");
	/* Exiting after the reset: counts since the reset. */
	raw[0] = vm(100, 16, true);
	update(&m, raw, 1, 3 * SEC, true, &snap);
	assert_int_equal(snap.exited_dropped, 0);
	assert_string_equal(summary(&snap), "100/0:6x");
	hv_model_free(&m);
}

/* Four rows whose order differs for every sort key. */
static void make_rows(struct hv_snapshot *snap, struct hv_row rows[5])
{
	memset(rows, 0, 5 * sizeof(*rows));
	for (int i = 0; i < 5; i++) {
		rows[i].pid = 100 + i / 2;
		rows[i].key.kvm = 1 + i / 2;
		rows[i].key.vcpu_id = i;
		rows[i].p50_ns = rows[i].p99_ns = rows[i].mean_ns = NAN;
		snprintf(rows[i].name, sizeof(rows[i].name), "vm%d", rows[i].pid);
		snprintf(rows[i].stats_id, sizeof(rows[i].stats_id), "kvm-%d",
			 rows[i].pid);
	}
	/*          rate  p99    max   overflows
	 * vcpu 0   5     100    900   0
	 * vcpu 1   50    -      -     2
	 * vcpu 2   1     7000   7000  1
	 * vcpu 3   20    300    50000 0
	 * vcpu 4   20    -      -     9  (ties vcpu 3 on rate: PID decides)
	 */
	rows[0].enqueue_rate = 5;  rows[0].p99_ns = 100;
	rows[0].has_max = true;    rows[0].max_ns = 900;
	rows[1].enqueue_rate = 50; rows[1].overflows = 2;
	rows[2].enqueue_rate = 1;  rows[2].p99_ns = 7000;
	rows[2].has_max = true;    rows[2].max_ns = 7000; rows[2].overflows = 1;
	rows[3].enqueue_rate = 20; rows[3].p99_ns = 300;
	rows[3].has_max = true;    rows[3].max_ns = 50000;
	rows[4].enqueue_rate = 20; rows[4].overflows = 9;
	snap->rows = rows;
	snap->nr_rows = 5;
}

static void assert_order(enum hv_sort sort, const struct hv_filter *f,
			 const int *want, size_t n)
{
	struct hv_snapshot snap = {};
	const struct hv_row *out[5];
	struct hv_row rows[5];
	size_t i;

	make_rows(&snap, rows);
	assert_int_equal(hv_select_rows(&snap, f, sort, out), n);
	for (i = 0; i < n; i++) {
		if (out[i]->key.vcpu_id != want[i]) {
			print_error("sort %s: position %zu is vcpu %d, want %d\n",
				    hv_sort_name(sort), i, out[i]->key.vcpu_id,
				    want[i]);
			fail();
		}
	}
}

static void test_sort_keys(void **state)
{
	static const struct hv_filter all;
	static const int by_rate[] = { 1, 3, 4, 0, 2 };
	static const int by_p99[] = { 2, 3, 0, 1, 4 };	/* no samples last */
	static const int by_max[] = { 3, 2, 0, 1, 4 };
	static const int by_overflow[] = { 4, 1, 2, 0, 3 };

	(void)state;
	assert_order(HV_SORT_RATE, &all, by_rate, 5);
	assert_order(HV_SORT_P99, &all, by_p99, 5);
	assert_order(HV_SORT_MAX, &all, by_max, 5);
	assert_order(HV_SORT_OVERFLOW, &all, by_overflow, 5);
}

static void test_sort_names(void **state)
{
	enum hv_sort s;
	int i;

	(void)state;
	for (i = 0; i < HV_NR_SORTS; i++) {
		assert_int_equal(hv_sort_parse(hv_sort_name(i), &s), 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(hv_sort_parse("latency", &s), -EINVAL);
	assert_int_equal(hv_sort_parse("", &s), -EINVAL);
}

static void test_filters(void **state)
{
	struct hv_filter f = { .pid = 101 };
	static const int pid_101[] = { 3, 2 };
	static const int vm_glob[] = { 1, 0 };
	static const int stats_id[] = { 4 };

	(void)state;
	assert_order(HV_SORT_RATE, &f, pid_101, 2);
	f.pid = 0;
	snprintf(f.vm, sizeof(f.vm), "vm10[0]");
	assert_order(HV_SORT_RATE, &f, vm_glob, 2);
	snprintf(f.vm, sizeof(f.vm), "kvm-102");
	assert_order(HV_SORT_RATE, &f, stats_id, 1);
	f.pid = 100;	/* both must match */
	assert_order(HV_SORT_RATE, &f, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentiles_known_distribution),
		cmocka_unit_test(test_percentiles_tail),
		cmocka_unit_test(test_percentiles_capped_by_max),
		cmocka_unit_test(test_no_samples),
		cmocka_unit_test(test_rates_and_totals),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_row_gone_and_back),
		cmocka_unit_test(test_exited_kept_for_n_snapshots),
		cmocka_unit_test(test_final_has_every_exited_row),
		cmocka_unit_test(test_exited_cap_drops_oldest),
		cmocka_unit_test(test_reset_drops_exited),
		cmocka_unit_test(test_sort_keys),
		cmocka_unit_test(test_sort_names),
		cmocka_unit_test(test_filters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
