/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names as valid UTF-8.  A VM's name is whatever bytes its VMM chose: a
 * QEMU -name, a comm set with prctl(PR_SET_NAME), the comm a BPF program
 * copied.  Every output wants UTF-8, and Prometheus rejects a whole scrape
 * over one invalid label value, so names are made valid where they are
 * read: each byte that does not start a valid sequence becomes U+FFFD (as
 * the JSON writer does), and a name too long for its buffer is cut between
 * two characters, never inside one.
 */
#ifndef KVMSCOPE_UTF8_H
#define KVMSCOPE_UTF8_H

#include <stddef.h>

#define KS_UTF8_REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */

/* Room ks_utf8_copy() needs for @n bytes: each may become U+FFFD. */
#define KS_UTF8_COPY_LEN(n)	(3 * (n) + 1)

/*
 * Length (1 to 4) of the valid UTF-8 sequence at @s, or 0 if @s starts
 * none: a continuation byte, an overlong form, a UTF-16 surrogate, past
 * U+10FFFF, or cut short by a NUL or by the end of the @n bytes at @s.
 * Reads at most @n bytes, and never past a NUL.
 */
int ks_utf8_seq_len(const char *s, size_t n);

/*
 * Copy @src, up to its NUL or at most @n bytes, into @buf as valid UTF-8:
 * U+FFFD for each byte that starts no valid sequence, and only the
 * characters that fit in @len - 1 bytes, whole.  NUL-terminates @buf (@len
 * > 0) and returns the length written.
 */
size_t ks_utf8_copy(char *buf, size_t len, const char *src, size_t n);

#endif /* KVMSCOPE_UTF8_H */
