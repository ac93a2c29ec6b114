/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A tiny JSON writer in the style of bpftool's json_writer, for JSON-lines
 * output: each top-level value is written on one line, followed by '\n' and
 * a flush, so a consumer (jq, a script tailing a pipe) sees whole records.
 *
 * Strings are escaped per RFC 8259: '"', '\\' and control characters are
 * escaped, DEL becomes \u007f, and bytes that are not valid UTF-8 (comm and
 * cmdline are arbitrary bytes) become U+FFFD, so the output always parses.
 *
 *	json_writer_t *w = jsonw_new(stdout);
 *	jsonw_start_object(w);
 *	jsonw_string_field(w, "vm", "kvm-1234");
 *	jsonw_uint_field(w, "pages", 512);
 *	jsonw_end_object(w);		// prints {"vm":"kvm-1234","pages":512}\n
 *	jsonw_destroy(&w);
 */
#ifndef KVMSCOPE_JSON_WRITER_H
#define KVMSCOPE_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct json_writer json_writer_t;

/*
 * Objects and arrays nest this deep at most.  One deeper is written as
 * null, with all it holds, so the line still parses, and the writer
 * remembers it: see jsonw_too_deep().
 */
#define JSONW_MAX_DEPTH 32

json_writer_t *jsonw_new(FILE *f);
void jsonw_destroy(json_writer_t **w);

void jsonw_start_object(json_writer_t *w);
void jsonw_end_object(json_writer_t *w);
void jsonw_start_array(json_writer_t *w);
void jsonw_end_array(json_writer_t *w);

/* Was a value nested deeper than JSONW_MAX_DEPTH, and written as null? */
bool jsonw_too_deep(const json_writer_t *w);

/* Field name inside an object; the next value call supplies its value. */
void jsonw_name(json_writer_t *w, const char *name);

void jsonw_string(json_writer_t *w, const char *val);
void jsonw_uint(json_writer_t *w, uint64_t val);
void jsonw_int(json_writer_t *w, int64_t val);
void jsonw_bool(json_writer_t *w, bool val);
void jsonw_float(json_writer_t *w, double val);	/* NaN/inf become null */
void jsonw_null(json_writer_t *w);

void jsonw_string_field(json_writer_t *w, const char *name, const char *val);
void jsonw_uint_field(json_writer_t *w, const char *name, uint64_t val);
void jsonw_int_field(json_writer_t *w, const char *name, int64_t val);
void jsonw_bool_field(json_writer_t *w, const char *name, bool val);
void jsonw_float_field(json_writer_t *w, const char *name, double val);
void jsonw_null_field(json_writer_t *w, const char *name);

/* Escape @s as a JSON string literal (with quotes) to @f. */
void jsonw_escape_string(FILE *f, const char *s);

#endif /* KVMSCOPE_JSON_WRITER_H */
