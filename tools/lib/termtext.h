/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names on a terminal.  Any process can name itself "\e[2J\e[8m": printed
 * as it is, that name clears the screen of whoever watches tdx-trace or
 * hvflush-top and hides what follows.  So human output shows each control
 * character (C0, DEL, and C1: U+0080 to U+009F) as "\x" and the two hex
 * digits of its code point, "\x1b" for ESC, and a backslash as "\\": an
 * escape can be told from a name that spells one.
 *
 * Some characters do no harm to the terminal but to its reader: bidi
 * controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069)
 * show the rest of a line in another order, and zero-width and invisible
 * ones (U+200B to U+200D; U+2060 to U+2065, the word joiner, invisible
 * operators and one yet unassigned; U+FEFF) make two names look the same;
 * U+2028 and U+2029 end lines.  They show as "\u" and four hex digits.
 *
 * A terminal whose locale is not UTF-8 (LC_CTYPE's codeset; "C" when no
 * locale is set) reads UTF-8's bytes as characters of its own, and may
 * take a continuation byte for a C1 control: there, every character past
 * ASCII shows as "\u" and four hex digits, or "\U" and eight.
 *
 * JSON and the Prometheus exposition have escapes of their own and take
 * names as they are.
 */
#ifndef KVMSCOPE_TERMTEXT_H
#define KVMSCOPE_TERMTEXT_H

#include <stddef.h>

/*
 * Room for @n bytes or characters of a name escaped: a byte that is no
 * UTF-8 becomes "\ufffd", 6 bytes, where the locale is not UTF-8.
 */
#define KS_TERM_LEN(n)	(6 * (n) + 1)

/*
 * Take the terminal's character set from the environment (LC_ALL,
 * LC_CTYPE, LANG): call once at start, before any output.  Only LC_CTYPE:
 * numbers keep their '.' whatever the locale.
 */
void ks_term_setup_locale(void);

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
