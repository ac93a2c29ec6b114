// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the JSON writer (tools/lib/json_writer.c).  The
 * input is a program: each byte an operation (open an object or array,
 * close one, a string, number, bool or null; in an object a name from the
 * input comes first), strings taken from the bytes that follow.  Every
 * line written must parse as JSON, with no raw control character and only
 * well-formed UTF-8; a program that starts with a string gets it back (bytes
 * that are no UTF-8 as U+FFFD); the writer says it went too deep exactly
 * when the program did.
 */
#include <stdbool.h>

#include "check.h"
#include "json_writer.h"

struct parser {
	const char *p, *end;
	char *str;		/* the last string parsed, decoded */
	size_t str_len;
};

static void parse_value(struct parser *ps, int depth);

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	FZ_ASSERT(c >= 'a' && c <= 'f');
	return c - 'a' + 10;
}

/* A JSON string, decoded into ps->str (RFC 8259 section 7). */
static void parse_string(struct parser *ps)
{
	const char *p = ps->p;
	size_t o = 0;

	FZ_ASSERT(p < ps->end && *p == '"');
	free(ps->str);
	ps->str = malloc(ps->end - p + 1);
	FZ_ASSERT(ps->str);
	for (p++; p < ps->end && *p != '"';) {
		const unsigned char *u = (const unsigned char *)p;
		uint32_t cp;
		int k;

		FZ_ASSERT(*u >= 0x20);
		if (*p != '\\') {
			k = fz_utf8(u, ps->end - p, &cp);
			FZ_ASSERT(k);
			memcpy(ps->str + o, p, k);
			o += k;
			p += k;
			continue;
		}
		FZ_ASSERT(p + 1 < ps->end);
		switch (p[1]) {
		case '"': case '\\': case '/': ps->str[o++] = p[1]; break;
		case 'b': ps->str[o++] = '\b'; break;
		case 'f': ps->str[o++] = '\f'; break;
		case 'n': ps->str[o++] = '\n'; break;
		case 'r': ps->str[o++] = '\r'; break;
		case 't': ps->str[o++] = '\t'; break;
		case 'u':
			FZ_ASSERT(p + 6 <= ps->end);
			cp = 0;
			for (k = 2; k < 6; k++)
				cp = cp * 16 + hexval(p[k]);
			/* The writer has no use for surrogate pairs. */
			FZ_ASSERT(cp < 0xd800 || cp > 0xdfff);
			o += fz_put_utf8(ps->str + o, cp);
			p += 4;
			break;
		default:
			FZ_ASSERT(!"an escape JSON does not have");
		}
		p += 2;
	}
	FZ_ASSERT(p < ps->end);
	ps->str[o] = '\0';
	ps->str_len = o;
	ps->p = p + 1;
}

static bool digit(const struct parser *ps)
{
	return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

static void parse_number(struct parser *ps)
{
	if (*ps->p == '-')
		ps->p++;
	FZ_ASSERT(digit(ps));
	if (*ps->p == '0')
		ps->p++;
	else
		while (digit(ps))
			ps->p++;
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		FZ_ASSERT(digit(ps));
		while (digit(ps))
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		FZ_ASSERT(digit(ps));
		while (digit(ps))
			ps->p++;
	}
}

static bool take(struct parser *ps, char c)
{
	if (ps->p < ps->end && *ps->p == c) {
		ps->p++;
		return true;
	}
	return false;
}

static void parse_value(struct parser *ps, int depth)
{
	static const char *const literals[] = { "true", "false", "null" };

	FZ_ASSERT(ps->p < ps->end);
	if (*ps->p == '"')
		return parse_string(ps);
	/* @depth-th level: the writer nests JSONW_MAX_DEPTH levels at most. */
	if (*ps->p == '{' || *ps->p == '[')
		FZ_ASSERT(depth <= JSONW_MAX_DEPTH);
	if (take(ps, '{')) {
		if (take(ps, '}'))
			return;
		do {
			parse_string(ps);
			FZ_ASSERT(take(ps, ':'));
			parse_value(ps, depth + 1);
		} while (take(ps, ','));
		FZ_ASSERT(take(ps, '}'));
		return;
	}
	if (take(ps, '[')) {
		if (take(ps, ']'))
			return;
		do
			parse_value(ps, depth + 1);
		while (take(ps, ','));
		FZ_ASSERT(take(ps, ']'));
		return;
	}
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(literals[i]);

		if ((size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, literals[i], n)) {
			ps->p += n;
			return;
		}
	}
	parse_number(ps);
}

/* Up to 15 bytes of the input, as a string for the writer. */
static char *next_string(const uint8_t **d, const uint8_t *end)
{
	size_t n = *d < end ? **d % 16 : 0;
	char *s;

	if (*d < end)
		(*d)++;
	if (n > (size_t)(end - *d))
		n = end - *d;
	s = fz_cstr(*d, n);
	*d += n;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *d = data, *end = data + size;
	bool in_object[256], deep = false;
	char *buf = NULL, *s, *first = NULL;
	unsigned int depth = 0;
	struct parser ps = {};
	size_t len = 0;
	json_writer_t *w;
	FILE *f;

	if (size > 4096)
		return 0;
	f = open_memstream(&buf, &len);
	FZ_ASSERT(f);
	w = jsonw_new(f);
	FZ_ASSERT(w);
	while (d < end) {
		bool at_start = d == data;
		uint8_t op = *d++ % 9;

		if (depth && in_object[depth - 1] && op != 2) {
			s = next_string(&d, end);
			jsonw_name(w, s);
			free(s);
		}
		switch (op) {
		case 0:
		case 1:
			if (depth == sizeof(in_object))
				break;
			if (depth == JSONW_MAX_DEPTH)
				deep = true;
			in_object[depth++] = !op;
			op ? jsonw_start_array(w) : jsonw_start_object(w);
			continue;	/* a container is no string */
		case 2:
			if (!depth)
				break;
			in_object[--depth] ? jsonw_end_object(w) : jsonw_end_array(w);
			continue;
		case 3:
			s = next_string(&d, end);
			jsonw_string(w, s);
			if (at_start)
				first = s;
			else
				free(s);
			break;
		case 4:
			jsonw_uint(w, d < end ? (uint64_t)*d++ << 40 : 0);
			break;
		case 5:
			jsonw_int(w, d < end ? -(int64_t)*d++ : 0);
			break;
		case 6: {
			double v = 0;

			if (end - d >= (long)sizeof(v)) {
				memcpy(&v, d, sizeof(v));
				d += sizeof(v);
			}
			jsonw_float(w, v);
			break;
		}
		case 7:
			jsonw_bool(w, d < end && (*d++ & 1));
			break;
		default:
			jsonw_null(w);
		}
	}
	while (depth)
		in_object[--depth] ? jsonw_end_object(w) : jsonw_end_array(w);
	FZ_ASSERT(jsonw_too_deep(w) == deep);
	jsonw_destroy(&w);
	fclose(f);

	/* Lines of one JSON value each; a string first is the one written. */
	ps.p = buf;
	ps.end = buf + len;
	while (ps.p < ps.end) {
		parse_value(&ps, 1);
		FZ_ASSERT(take(&ps, '\n'));
		if (first) {
			char *want = fz_sanitized(first, strlen(first));

			FZ_ASSERT(ps.str_len == strlen(want) &&
				  !memcmp(ps.str, want, ps.str_len));
			free(want);
			free(first);
			first = NULL;
		}
	}
	FZ_ASSERT(!first);
	free(ps.str);
	free(buf);
	return 0;
}
