// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Prometheus protobuf exposition writer: see proto.h. */
#include <stdlib.h>
#include <string.h>

#include "metrics.pb-c.h"
#include "proto.h"
#include "utf8.h"

#define NSEC_PER_SEC 1000000000ULL
#define MAX_LABELS 8
#define MAX_SLOTS 64

/*
 * The family being written: its metrics are packed one by one into @metrics
 * (each a field-4 entry of MetricFamily), so a family of 100k series never
 * exists as a message tree; the header is packed in front at the end.
 */
struct ks_proto {
	enum ks_hist_mode mode;
	bool open;
	char *name;
	char *help;
	Io__Prometheus__Client__MetricType type;
	struct ks_buf metrics;
};

struct ks_proto *ks_proto_new(enum ks_hist_mode mode)
{
	struct ks_proto *p = calloc(1, sizeof(*p));

	if (p)
		p->mode = mode;
	return p;
}

void ks_proto_free(struct ks_proto *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->help);
	ks_buf_free(&p->metrics);
	free(p);
}

/*
 * 2^shift s is the smallest power of two in seconds at or above one unit
 * (no libm: unit_ns <= 10^9 * 2^shift, in integers).  Slot n's values,
 * [2^n, 2^(n+1)) units, then lie in bucket n + shift scaled by at most
 * 2^shift / (unit_ns * 1e-9) (< 2).
 */
static int unit_shift(uint64_t unit_ns)
{
	int k = 0;

	while ((unsigned __int128)unit_ns > (unsigned __int128)NSEC_PER_SEC << k)
		k++;
	while (k > -63 && ((unsigned __int128)unit_ns << (1 - k)) <= NSEC_PER_SEC)
		k--;
	return k;
}

int ks_proto_native_index(int slot, uint64_t unit_ns)
{
	return slot + unit_shift(unit_ns);
}

double ks_proto_zero_threshold(uint64_t unit_ns)
{
	int k = unit_shift(unit_ns);

	return k >= 0 ? (double)(1ULL << k) : 1.0 / (double)(1ULL << -k);
}

static void put_varint(struct ks_buf *b, uint64_t v)
{
	char c[10];
	size_t n = 0;

	do {
		c[n++] = (char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
		v >>= 7;
	} while (v);
	ks_buf_put(b, c, n);
}

/* protobuf-c packs through this straight onto a ks_buf. */
struct sink {
	ProtobufCBuffer base;
	struct ks_buf *b;
};

static void sink_append(ProtobufCBuffer *base, size_t len,
			const uint8_t *data)
{
	ks_buf_put(((struct sink *)base)->b, (const char *)data, len);
}

/* @m onto @b: its length (as a varint), then the message. */
static void put_message(struct ks_buf *b, const ProtobufCMessage *m)
{
	struct sink s = { { sink_append }, b };

	put_varint(b, protobuf_c_message_get_packed_size(m));
	protobuf_c_message_pack_to_buffer(m, &s.base);
}

/* The family written so far, as one delimited message, onto @b. */
void proto_end(struct ks_buf *b)
{
	struct ks_proto *p = b->proto;
	Io__Prometheus__Client__MetricFamily mf =
		IO__PROMETHEUS__CLIENT__METRIC_FAMILY__INIT;
	struct sink s = { { sink_append }, b };

	if (!p || !p->open)
		return;
	p->open = false;
	mf.name = p->name;
	mf.help = p->help;
	mf.has_type = true;
	mf.type = p->type;
	put_varint(b, io__prometheus__client__metric_family__get_packed_size(&mf) +
		      p->metrics.len);
	protobuf_c_message_pack_to_buffer(&mf.base, &s.base);
	ks_buf_put(b, p->metrics.data, p->metrics.len);
	if (p->metrics.oom)
		b->oom = true;
	ks_buf_reset(&p->metrics);
}

/* Valid UTF-8, as the text exposition escapes it (utf8.h). */
static char *utf8_dup(const char *s)
{
	size_t n = strlen(s), len = KS_UTF8_COPY_LEN(n);
	char *d = malloc(len);

	if (d)
		ks_utf8_copy(d, len, s, n);
	return d;
}

void proto_family(struct ks_buf *b, const char *name, const char *type,
		  const char *help)
{
	struct ks_proto *p = b->proto;

	proto_end(b);
	free(p->name);
	free(p->help);
	p->name = utf8_dup(name);
	p->help = utf8_dup(help);
	if (!p->name || !p->help)
		b->oom = true;
	if (!strcmp(type, "counter"))
		p->type = IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER;
	else if (!strcmp(type, "gauge"))
		p->type = IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE;
	else if (!strcmp(type, "histogram"))
		p->type = IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM;
	else
		p->type = IO__PROMETHEUS__CLIENT__METRIC_TYPE__UNTYPED;
	p->open = true;
}

/* A metric's labels; the strings are freed by labels_free(). */
struct labels {
	Io__Prometheus__Client__LabelPair pair[MAX_LABELS];
	Io__Prometheus__Client__LabelPair *ptr[MAX_LABELS];
	size_t n;
};

static bool labels_set(Io__Prometheus__Client__Metric *m, struct labels *l,
		       const struct ks_label *labels, int nlabels)
{
	l->n = 0;
	for (int i = 0; i < nlabels; i++) {
		Io__Prometheus__Client__LabelPair *lp = &l->pair[l->n];

		if (!labels[i].value)
			continue;
		if (l->n == MAX_LABELS)
			return false;
		io__prometheus__client__label_pair__init(lp);
		lp->name = (char *)labels[i].name;
		lp->value = utf8_dup(labels[i].value);
		l->ptr[l->n++] = lp;
		if (!lp->value)
			return false;
	}
	m->n_label = l->n;
	m->label = l->ptr;
	return true;
}

static void labels_free(struct labels *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->pair[i].value);
}

/* @m as the next field-4 (metric) entry of the open family. */
static void add_metric(struct ks_buf *b, Io__Prometheus__Client__Metric *m)
{
	struct ks_proto *p = b->proto;

	put_varint(&p->metrics, 4 << 3 | PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
	put_message(&p->metrics, &m->base);
}

void proto_sample(struct ks_buf *b, const struct ks_label *labels,
		  int nlabels, double v)
{
	Io__Prometheus__Client__Metric m = IO__PROMETHEUS__CLIENT__METRIC__INIT;
	Io__Prometheus__Client__Counter c = IO__PROMETHEUS__CLIENT__COUNTER__INIT;
	Io__Prometheus__Client__Gauge g = IO__PROMETHEUS__CLIENT__GAUGE__INIT;
	Io__Prometheus__Client__Untyped u = IO__PROMETHEUS__CLIENT__UNTYPED__INIT;
	struct labels l = { .n = 0 };

	if (!b->proto->open || !labels_set(&m, &l, labels, nlabels)) {
		b->oom = true;
		labels_free(&l);
		return;
	}
	switch (b->proto->type) {
	case IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER:
		c.has_value = true;
		c.value = v;
		m.counter = &c;
		break;
	case IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE:
		g.has_value = true;
		g.value = v;
		m.gauge = &g;
		break;
	default:
		u.has_value = true;
		u.value = v;
		m.untyped = &u;
		break;
	}
	add_metric(b, &m);
	labels_free(&l);
}

void proto_log2_histogram(struct ks_buf *b, const struct ks_label *labels,
			  int nlabels, const uint64_t *slots, int nslots,
			  int first, int last, uint64_t unit_ns, uint64_t sum)
{
	Io__Prometheus__Client__Metric m = IO__PROMETHEUS__CLIENT__METRIC__INIT;
	Io__Prometheus__Client__Histogram h =
		IO__PROMETHEUS__CLIENT__HISTOGRAM__INIT;
	Io__Prometheus__Client__Bucket bk[MAX_SLOTS], *bkp[MAX_SLOTS];
	Io__Prometheus__Client__BucketSpan sp[MAX_SLOTS], *spp[MAX_SLOTS];
	int64_t delta[MAX_SLOTS];
	enum ks_hist_mode mode = b->proto->mode;
	uint64_t cum = 0, prev = 0;
	unsigned __int128 sum_ns = (unsigned __int128)sum * unit_ns;
	int i = 0, end = 0;
	struct labels l = { .n = 0 };

	if (!b->proto->open || nslots > MAX_SLOTS ||
	    !labels_set(&m, &l, labels, nlabels)) {
		b->oom = true;
		labels_free(&l);
		return;
	}
	if (last >= nslots)
		last = nslots - 1;
	/* Classic: the text exposition's buckets (expo.h), +Inf implied. */
	for (int slot = first; slot <= last && mode != KS_HIST_NATIVE; slot++) {
		for (; i <= slot; i++)
			cum += slots[i];
		io__prometheus__client__bucket__init(&bk[h.n_bucket]);
		bk[h.n_bucket].has_cumulative_count = true;
		bk[h.n_bucket].cumulative_count = cum;
		bk[h.n_bucket].has_upper_bound = true;
		/* Correctly rounded, as a scraper parses the text's le. */
		bk[h.n_bucket].upper_bound =
			(double)((unsigned __int128)unit_ns << (slot + 1)) /
			NSEC_PER_SEC;
		bkp[h.n_bucket] = &bk[h.n_bucket];
		h.n_bucket++;
	}
	h.bucket = bkp;
	cum = 0;
	for (i = 0; i < nslots; i++)
		cum += slots[i];
	h.has_sample_count = true;
	h.sample_count = cum;
	h.has_sample_sum = true;
	h.sample_sum = (double)(sum_ns / NSEC_PER_SEC) +
		       (double)(uint64_t)(sum_ns % NSEC_PER_SEC) / NSEC_PER_SEC;
	/*
	 * Native: slot 0 in the zero bucket, slot n >= 1 in bucket
	 * ks_proto_native_index(n); a new span at each run of empty slots.
	 * The zero threshold, never 0, is also what tells Prometheus that
	 * a histogram with no observations yet (a VM held at zero) is
	 * native: with neither it nor spans, it would store it as classic
	 * series until the first observation.
	 */
	if (mode != KS_HIST_CLASSIC) {
		h.has_schema = true;
		h.schema = 0;
		h.has_zero_threshold = true;
		h.zero_threshold = ks_proto_zero_threshold(unit_ns);
		h.has_zero_count = true;
		h.zero_count = slots[0];
		for (i = 1; i < nslots; i++) {
			int idx = ks_proto_native_index(i, unit_ns);

			if (!slots[i])
				continue;
			if (!h.n_positive_span || idx != end) {
				Io__Prometheus__Client__BucketSpan *s =
					&sp[h.n_positive_span];

				io__prometheus__client__bucket_span__init(s);
				s->has_offset = true;
				s->offset = h.n_positive_span ? idx - end : idx;
				s->has_length = true;
				spp[h.n_positive_span++] = s;
			}
			spp[h.n_positive_span - 1]->length++;
			end = idx + 1;
			delta[h.n_positive_delta++] = (int64_t)(slots[i] - prev);
			prev = slots[i];
		}
		h.positive_span = spp;
		h.positive_delta = delta;
	}
	m.histogram = &h;
	add_metric(b, &m);
	labels_free(&l);
}
