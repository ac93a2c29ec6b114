// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Names as valid UTF-8: see utf8.h. */
#include <stdint.h>
#include <string.h>

#include "utf8.h"

int ks_utf8_seq_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0];
	uint32_t cp;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;	/* continuation byte, or 0xc0, 0xc1, 0xf5.. */
	if (len > n)
		return 0;
	/* A NUL is no continuation byte: the loop stops at it. */
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and values past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

size_t ks_utf8_copy(char *buf, size_t len, const char *src, size_t n)
{
	size_t in = 0, out = 0;

	if (!len)
		return 0;
	while (in < n && src[in]) {
		int k = ks_utf8_seq_len(src + in, n - in);
		const char *c = k ? src + in : KS_UTF8_REPLACEMENT;
		size_t c_len = k ? (size_t)k : sizeof(KS_UTF8_REPLACEMENT) - 1;

		if (out + c_len >= len)
			break;
		memcpy(buf + out, c, c_len);
		out += c_len;
		in += k ? k : 1;
	}
	buf[out] = '\0';
	return out;
}
