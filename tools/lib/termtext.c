// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Names on a terminal: see termtext.h. */
#include <stdio.h>
#include <string.h>

#include "termtext.h"
#include "utf8.h"

/* The code point of the control character at @s (@n bytes), or -1. */
static int control(const char *s, int n)
{
	unsigned char c = s[0];

	if (n == 1 && (c < 0x20 || c == 0x7f))
		return c;
	/* C1, U+0080 to U+009F, is 0xc2 then 0x80 to 0x9f. */
	if (n == 2 && c == 0xc2 && (unsigned char)s[1] < 0xa0)
		return (unsigned char)s[1];
	return -1;
}

char *ks_term_name(char *buf, size_t len, const char *name, int width)
{
	const char *s = name;
	size_t out = 0;
	int chars = 0;

	if (!len)
		return buf;
	while (*s) {
		int n = ks_utf8_seq_len(s, 4), cp = control(s, n);
		const char *piece = s;
		size_t piece_len = n;
		int piece_chars = 1;
		char esc[8];

		if (!n) {
			piece = KS_UTF8_REPLACEMENT;
			piece_len = sizeof(KS_UTF8_REPLACEMENT) - 1;
		} else if (*s == '\\') {
			piece = "\\\\";
			piece_len = piece_chars = 2;
		} else if (cp >= 0) {
			piece_len = snprintf(esc, sizeof(esc), "\\x%02x", cp);
			piece_chars = piece_len;
			piece = esc;
		}
		if ((width > 0 && chars + piece_chars > width) ||
		    out + piece_len >= len)
			break;
		memcpy(buf + out, piece, piece_len);
		out += piece_len;
		chars += piece_chars;
		s += n ? n : 1;
	}
	while (chars < width && out + 1 < len) {
		buf[out++] = ' ';
		chars++;
	}
	buf[out] = '\0';
	return buf;
}
