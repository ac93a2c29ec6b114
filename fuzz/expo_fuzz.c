// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the Prometheus exposition's escaping
 * (tools/kvmscope-exporter/expo.c): the input is a label value (up to its
 * NUL).  Escaped as a label value and as HELP text, it must be well-formed
 * UTF-8 with no raw newline, every backslash starting an escape of the
 * format and, in a label value, no raw quote; undone, the escapes give the
 * value back (bytes that are no UTF-8 as U+FFFD).  A sample with the value
 * in two labels must still be one line of the form name{a="..",b=".."} 7.
 */
#include <stdbool.h>

#include "check.h"
#include "kvmscope-exporter/expo.h"
#include "kvmscope-exporter/proto.h"
#include "metrics.pb-c.h"

/*
 * Undo the escapes of the quoted string at *@p, up to its closing quote
 * (@label) or the end: \\, \n and, in a label value, \".  Returns the
 * value, malloc()ed; *@p is left after it.
 */
static char *unescape(const char **p, bool label)
{
	const char *s = *p;
	char *out = malloc(strlen(s) + 1);
	size_t o = 0;

	FZ_ASSERT(out);
	while (*s && !(label && *s == '"')) {
		FZ_ASSERT(*s != '\n');
		if (*s != '\\') {
			out[o++] = *s++;
			continue;
		}
		s++;
		if (*s == '\\')
			out[o++] = '\\';
		else if (*s == 'n')
			out[o++] = '\n';
		else if (label && *s == '"')
			out[o++] = '"';
		else
			FZ_ASSERT(!"an escape the format does not have");
		s++;
	}
	out[o] = '\0';
	*p = s;
	return out;
}

static void check_escaped(const char *value, const char *want, bool label)
{
	struct ks_buf b = {};
	const char *p;
	char *got;

	if (label)
		expo_escape_label(&b, value);
	else
		expo_escape_help(&b, value);
	FZ_ASSERT(!b.oom);
	p = b.data ? b.data : "";
	FZ_ASSERT(fz_valid(p, b.len) && strlen(p) == b.len);
	got = unescape(&p, label);
	FZ_ASSERT(!*p);		/* a label value holds no raw quote */
	FZ_ASSERT(!strcmp(got, want));
	free(got);
	ks_buf_free(&b);
}

/* Expect @lit at *@p and step over it. */
static void expect(const char **p, const char *lit)
{
	FZ_ASSERT(!strncmp(*p, lit, strlen(lit)));
	*p += strlen(lit);
}

/* One family with @value as HELP and label value, delimited: decoded. */
static void check_proto(const char *value, const char *want)
{
	const struct ks_label l = { "a", value };
	Io__Prometheus__Client__MetricFamily *mf;
	struct ks_buf b = { .proto = ks_proto_new(KS_HIST_BOTH) };
	size_t len = 0, off = 0;
	int shift = 0;
	uint8_t c;

	FZ_ASSERT(b.proto);
	expo_family(&b, "m", "gauge", value);
	expo_sample_u64(&b, "m", &l, 1, 7);
	expo_end(&b);
	FZ_ASSERT(!b.oom && b.data);
	do {
		FZ_ASSERT(off < b.len);
		c = (uint8_t)b.data[off++];
		len |= (size_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	FZ_ASSERT(len == b.len - off);
	mf = io__prometheus__client__metric_family__unpack(NULL, len,
			(const uint8_t *)b.data + off);
	FZ_ASSERT(mf && mf->n_metric == 1 && mf->metric[0]->n_label == 1);
	FZ_ASSERT(!strcmp(mf->help, want));
	FZ_ASSERT(!strcmp(mf->metric[0]->label[0]->value, want));
	FZ_ASSERT(mf->metric[0]->gauge && mf->metric[0]->gauge->value == 7);
	io__prometheus__client__metric_family__free_unpacked(mf, NULL);
	ks_proto_free(b.proto);
	b.proto = NULL;
	ks_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = fz_cstr(data, size), *want, *got;
	const struct ks_label labels[] = { { "a", value }, { "b", value } };
	struct ks_buf b = {};
	const char *p;

	want = fz_sanitized(value, strlen(value));
	check_escaped(value, want, true);
	check_escaped(value, want, false);
	check_proto(value, want);

	expo_sample_u64(&b, "m", labels, 2, 7);
	FZ_ASSERT(!b.oom && b.data);
	p = b.data;
	expect(&p, "m{a=\"");
	got = unescape(&p, true);
	FZ_ASSERT(!strcmp(got, want));
	free(got);
	expect(&p, "\",b=\"");
	got = unescape(&p, true);
	FZ_ASSERT(!strcmp(got, want));
	free(got);
	expect(&p, "\"} 7\n");
	FZ_ASSERT(!*p);
	ks_buf_free(&b);
	free(want);
	free(value);
	return 0;
}
