/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the name-escaping harnesses check output against, written apart
 * from the code under test: a UTF-8 decoder straight from the Unicode
 * standard's table of well-formed sequences (Table 3-7), and the name any
 * output must round-trip to: the input up to its NUL, each byte that
 * starts no well-formed sequence replaced by U+FFFD.
 */
#ifndef KVMSCOPE_FUZZ_CHECK_H
#define KVMSCOPE_FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A harness that finds a broken property stops, saying which. */
#define FZ_ASSERT(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: not %s\n", __FILE__,	\
				__LINE__, #cond);			\
			abort();					\
		}							\
	} while (0)

/*
 * Length of the well-formed sequence at @s (at most @n bytes) and its code
 * point in *@cp, or 0 if none starts there.
 */
static inline int fz_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c, lo = 0x80, hi = 0xbf;
	int len, i;

	if (!n)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, *cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, *cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, *cp = c & 0x07;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if ((size_t)len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	for (i = 1; i < len; i++)
		*cp = (*cp << 6) | (s[i] & 0x3f);
	return len;
}

/* Is @s (@n bytes) well-formed UTF-8 with no NUL? */
static inline int fz_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	size_t i = 0;
	int k;

	while (i < n) {
		k = fz_utf8(u + i, n - i, &cp);
		if (!k || !cp)
			return 0;
		i += k;
	}
	return 1;
}

/* @cp as UTF-8 at @out (4 bytes of room); returns its length. */
static inline int fz_put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12;
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | cp >> 18;
	out[1] = 0x80 | ((cp >> 12) & 0x3f);
	out[2] = 0x80 | ((cp >> 6) & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* The input as a C string (up to its first NUL), malloc()ed. */
static inline char *fz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FZ_ASSERT(s);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * @s (at most @n bytes, up to a NUL) with each byte that starts no
 * well-formed sequence replaced by U+FFFD; malloc()ed, NUL-terminated.
 */
static inline char *fz_sanitized(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	char *out = malloc(3 * n + 1);
	size_t i = 0, o = 0;
	uint32_t cp;
	int k;

	FZ_ASSERT(out);
	while (i < n && u[i]) {
		k = fz_utf8(u + i, n - i, &cp);
		if (k && cp) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		} else {
			o += fz_put_utf8(out + o, 0xfffd);
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

#endif /* KVMSCOPE_FUZZ_CHECK_H */
