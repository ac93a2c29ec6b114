// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "json_writer.h"
#include "utf8.h"

struct json_writer {
	FILE *out;
	unsigned int depth;
	/* Per nesting level: has a value been written yet (comma needed)? */
	bool not_first[JSONW_MAX_DEPTH];
	/* A name was just written: the next value must not get a comma. */
	bool after_name;
	/*
	 * Levels open inside a value that was too deep: it was written as
	 * null, so everything in it is dropped and the line stays JSON.
	 */
	unsigned int dropped;
	bool too_deep;
};

json_writer_t *jsonw_new(FILE *f)
{
	json_writer_t *w = calloc(1, sizeof(*w));

	if (w)
		w->out = f;
	return w;
}

void jsonw_destroy(json_writer_t **w)
{
	if (!*w)
		return;
	fflush((*w)->out);
	free(*w);
	*w = NULL;
}

bool jsonw_too_deep(const json_writer_t *w)
{
	return w->too_deep;
}

/*
 * Comma between siblings; names already took care of it.  False inside a
 * dropped value: the caller writes nothing.
 */
static bool jsonw_sep(json_writer_t *w)
{
	if (w->dropped)
		return false;
	if (w->after_name) {
		w->after_name = false;
		return true;
	}
	if (w->depth && w->not_first[w->depth - 1])
		fputc(',', w->out);
	if (w->depth)
		w->not_first[w->depth - 1] = true;
	return true;
}

/* Top-level values end a JSON line. */
static void jsonw_value_done(json_writer_t *w)
{
	if (w->depth == 0) {
		fputc('\n', w->out);
		fflush(w->out);
	}
}

void jsonw_escape_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		int n;

		switch (*s) {
		case '"':  fputs("\\\"", f); s++; continue;
		case '\\': fputs("\\\\", f); s++; continue;
		case '\b': fputs("\\b", f); s++; continue;
		case '\f': fputs("\\f", f); s++; continue;
		case '\n': fputs("\\n", f); s++; continue;
		case '\r': fputs("\\r", f); s++; continue;
		case '\t': fputs("\\t", f); s++; continue;
		}
		if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s);
			s++;
			continue;
		}
		/* 4 bytes hold any sequence; the NUL ends a shorter string. */
		n = ks_utf8_seq_len((const char *)s, 4);
		if (!n) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		fwrite(s, 1, n, f);
		s += n;
	}
	fputc('"', f);
}

static void jsonw_open(json_writer_t *w, char c)
{
	if (!jsonw_sep(w)) {
		w->dropped++;
		return;
	}
	if (w->depth == JSONW_MAX_DEPTH) {
		fputs("null", w->out);
		w->dropped = 1;
		w->too_deep = true;
		return;
	}
	fputc(c, w->out);
	w->not_first[w->depth++] = false;
}

static void jsonw_close(json_writer_t *w, char c)
{
	if (w->dropped) {
		w->dropped--;
		return;
	}
	if (w->depth)
		w->depth--;
	fputc(c, w->out);
	jsonw_value_done(w);
}

void jsonw_start_object(json_writer_t *w) { jsonw_open(w, '{'); }
void jsonw_end_object(json_writer_t *w) { jsonw_close(w, '}'); }
void jsonw_start_array(json_writer_t *w) { jsonw_open(w, '['); }
void jsonw_end_array(json_writer_t *w) { jsonw_close(w, ']'); }

void jsonw_name(json_writer_t *w, const char *name)
{
	if (!jsonw_sep(w))
		return;
	jsonw_escape_string(w->out, name);
	fputc(':', w->out);
	w->after_name = true;
}

void jsonw_string(json_writer_t *w, const char *val)
{
	if (!jsonw_sep(w))
		return;
	jsonw_escape_string(w->out, val);
	jsonw_value_done(w);
}

void jsonw_uint(json_writer_t *w, uint64_t val)
{
	if (!jsonw_sep(w))
		return;
	fprintf(w->out, "%" PRIu64, val);
	jsonw_value_done(w);
}

void jsonw_int(json_writer_t *w, int64_t val)
{
	if (!jsonw_sep(w))
		return;
	fprintf(w->out, "%" PRId64, val);
	jsonw_value_done(w);
}

void jsonw_bool(json_writer_t *w, bool val)
{
	if (!jsonw_sep(w))
		return;
	fputs(val ? "true" : "false", w->out);
	jsonw_value_done(w);
}

void jsonw_float(json_writer_t *w, double val)
{
	if (!jsonw_sep(w))
		return;
	if (isfinite(val))
		fprintf(w->out, "%.16g", val);	/* epoch seconds keep their microseconds */
	else
		fputs("null", w->out);
	jsonw_value_done(w);
}

void jsonw_null(json_writer_t *w)
{
	if (!jsonw_sep(w))
		return;
	fputs("null", w->out);
	jsonw_value_done(w);
}

void jsonw_string_field(json_writer_t *w, const char *name, const char *val)
{
	jsonw_name(w, name);
	jsonw_string(w, val);
}

void jsonw_uint_field(json_writer_t *w, const char *name, uint64_t val)
{
	jsonw_name(w, name);
	jsonw_uint(w, val);
}

void jsonw_int_field(json_writer_t *w, const char *name, int64_t val)
{
	jsonw_name(w, name);
	jsonw_int(w, val);
}

void jsonw_bool_field(json_writer_t *w, const char *name, bool val)
{
	jsonw_name(w, name);
	jsonw_bool(w, val);
}

void jsonw_float_field(json_writer_t *w, const char *name, double val)
{
	jsonw_name(w, name);
	jsonw_float(w, val);
}

void jsonw_null_field(json_writer_t *w, const char *name)
{
	jsonw_name(w, name);
	jsonw_null(w);
}
