// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for names on a terminal (tools/lib/termtext.c).  Input:
 * a byte of options (bit 0: UTF-8 locale, the rest: the cell width, 0 for
 * none), a byte of buffer length (0: the KS_TERM_LEN() of the name), then
 * the name.  The output must be well-formed UTF-8, ASCII where the locale
 * is not UTF-8, with no control, bidi or invisible character left raw and
 * every escape a needed one; undone, its escapes give back the name (bytes
 * that are no UTF-8 as U+FFFD), cut between characters, padded to the
 * cell, and whole when the buffer has the room termtext.h promises.
 */
#include <locale.h>
#include <stdbool.h>

#include "check.h"
#include "termtext.h"

/* The characters termtext.h says never reach a terminal raw. */
static bool hidden(uint32_t cp)
{
	static const uint32_t ranges[][2] = {
		{ 0x00, 0x1f }, { 0x7f, 0x9f }, { 0x061c, 0x061c },
		{ 0x200b, 0x200f }, { 0x2028, 0x202e }, { 0x2060, 0x2069 },
		{ 0xfeff, 0xfeff },
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return false;
}

/* @n lowercase hex digits at @s, as a number, or -1. */
static long hex(const char *s, int n)
{
	long v = 0;

	for (int i = 0; i < n; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + c - '0';
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + c - 'a' + 10;
		else
			return -1;
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool utf8, shown_whole;
	char *name, *want, *buf, *got;
	size_t len, out_len, i, g = 0, common;
	int width, chars = 0;

	if (size < 2)
		return 0;
	utf8 = data[0] & 1;
	width = data[0] >> 1;
	name = fz_cstr(data + 2, size - 2);
	len = data[1] ? data[1] : KS_TERM_LEN(strlen(name));
	FZ_ASSERT(setlocale(LC_CTYPE, utf8 ? "C.UTF-8" : "C"));
	buf = malloc(len);
	FZ_ASSERT(buf);
	FZ_ASSERT(ks_term_name(buf, len, name, width) == buf);
	out_len = strlen(buf);
	FZ_ASSERT(out_len < len);
	FZ_ASSERT(fz_valid(buf, out_len));

	/* Undo the escapes, checking each is one termtext.h describes. */
	got = malloc(out_len + 1);
	FZ_ASSERT(got);
	for (i = 0; i < out_len; chars++) {
		const unsigned char *u = (const unsigned char *)buf + i;
		uint32_t cp;
		long v;
		int k;

		if (buf[i] != '\\') {
			k = fz_utf8(u, out_len - i, &cp);
			FZ_ASSERT(!hidden(cp));
			FZ_ASSERT(utf8 || cp < 0x80);
			memcpy(got + g, buf + i, k);
			g += k;
			i += k;
			continue;
		}
		FZ_ASSERT(i + 1 < out_len);
		switch (buf[i + 1]) {
		case '\\':
			got[g++] = '\\';
			i += 2;
			chars++;
			continue;
		case 'x':
			v = i + 4 <= out_len ? hex(buf + i + 2, 2) : -1;
			FZ_ASSERT(v >= 0 && v < 0xa0 && hidden(v));
			k = 4;
			break;
		case 'u':
			v = i + 6 <= out_len ? hex(buf + i + 2, 4) : -1;
			FZ_ASSERT(v >= 0xa0 && v <= 0xffff);
			FZ_ASSERT(hidden(v) || !utf8);
			k = 6;
			break;
		case 'U':
			v = i + 10 <= out_len ? hex(buf + i + 2, 8) : -1;
			FZ_ASSERT(v > 0xffff && v <= 0x10ffff && !utf8);
			k = 10;
			break;
		default:
			FZ_ASSERT(!"an escape termtext.h does not describe");
		}
		g += fz_put_utf8(got + g, v);
		i += k;
		chars += k - 1;
	}
	got[g] = '\0';

	/* The name, cut between characters, then the cell's padding. */
	want = fz_sanitized(name, strlen(name));
	for (common = 0; got[common] && got[common] == want[common]; common++)
		;
	for (i = common; i < g; i++)
		FZ_ASSERT(got[i] == ' ' && width > 0);
	shown_whole = !want[common];
	if (width > 0) {
		FZ_ASSERT(chars <= width);
		/* Room for the cell: it is full. */
		if (len >= KS_TERM_LEN((size_t)width))
			FZ_ASSERT(chars == width);
	} else if (!data[1]) {
		FZ_ASSERT(shown_whole);
	}
	free(want);
	free(got);
	free(buf);
	free(name);
	return 0;
}
