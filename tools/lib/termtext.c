// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Names on a terminal: see termtext.h. */
#include <langinfo.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "termtext.h"
#include "utf8.h"

void ks_term_setup_locale(void)
{
	setlocale(LC_CTYPE, "");
}

/* Does the terminal take UTF-8?  Asked per name: tests switch locales. */
static bool locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return !strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "UTF8");
}

/* The code point of the valid UTF-8 sequence at @s, @n bytes long. */
static uint32_t code_point(const char *str, int n)
{
	const unsigned char *s = (const unsigned char *)str;
	static const unsigned char lead_bits[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t cp = s[0] & lead_bits[n];
	int i;

	for (i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

/* Controls, and characters that reorder, hide or break a line: termtext.h. */
static bool must_escape(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x061c ||
	       (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

/* The escape of @cp into @esc (12 bytes); returns its length. */
static int escape(char *esc, uint32_t cp)
{
	if (cp < 0xa0)
		return snprintf(esc, 12, "\\x%02x", (unsigned int)cp);
	if (cp <= 0xffff)
		return snprintf(esc, 12, "\\u%04x", (unsigned int)cp);
	return snprintf(esc, 12, "\\U%08x", (unsigned int)cp);
}

char *ks_term_name(char *buf, size_t len, const char *name, int width)
{
	bool ascii = !locale_utf8();
	const char *s = name;
	size_t out = 0;
	int chars = 0;

	if (!len)
		return buf;
	while (*s) {
		int n = ks_utf8_seq_len(s, 4);
		uint32_t cp = n ? code_point(s, n) : 0xfffd;
		const char *piece = n ? s : KS_UTF8_REPLACEMENT;
		size_t piece_len = n ? (size_t)n : sizeof(KS_UTF8_REPLACEMENT) - 1;
		int piece_chars = 1;
		char esc[12];

		if (*s == '\\') {
			piece = "\\\\";
			piece_len = piece_chars = 2;
		} else if (must_escape(cp) || (ascii && cp >= 0x80)) {
			piece_len = piece_chars = escape(esc, cp);
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
