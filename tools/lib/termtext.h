/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names on a terminal.  Any process can name itself "\e[2J\e[8m": printed
 * as it is, that name clears the screen of whoever watches tdx-trace or
 * hvflush-top and hides what follows.  So human output shows each control
 * character (C0, DEL, and C1: U+0080 to U+009F) as "\x" and the two hex
 * digits of its code point, "\x1b" for ESC, and a backslash as "\\": an
 * escape can be told from a name that spells one.  JSON and the Prometheus
 * exposition have escapes of their own and take names as they are.
 */
#ifndef KVMSCOPE_TERMTEXT_H
#define KVMSCOPE_TERMTEXT_H

#include <stddef.h>

/* Room for @n bytes or characters of a name escaped: "\x1b" is 4 bytes. */
#define KS_TERM_LEN(n)	(4 * (n) + 1)

/*
 * @name escaped for a terminal into @buf, returned.  A byte that starts no
 * valid UTF-8 sequence shows as U+FFFD.  With @width > 0 it is a table
 * cell: at most @width characters (an escape counts as its length), cut
 * between characters and never inside an escape, padded with spaces to
 * @width.  Characters are counted, not screen columns: a wide (CJK)
 * character takes two.  Anything that does not fit in @len - 1 bytes is
 * cut the same way.
 */
char *ks_term_name(char *buf, size_t len, const char *name, int width);

#endif /* KVMSCOPE_TERMTEXT_H */
