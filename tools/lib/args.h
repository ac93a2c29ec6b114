/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Strict command-line number parsing for kvmscope tools.
 *
 * strtoul() accepts "", " 12", "-1" (as a huge number), "12abc" and
 * silently saturates; a monitoring tool must not turn a typo into a filter
 * that matches nothing.  These helpers accept only plain decimal digits
 * within [min, max].  They never exit and never print: they return 0 or a
 * negative errno and fill @err with a message the caller reports with
 * p_err() before exiting with KS_EXIT_USAGE, which keeps argument parsing
 * testable in-process.
 */
#ifndef KVMSCOPE_ARGS_H
#define KVMSCOPE_ARGS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KS_ERR_LEN 160

/*
 * Parse @s as a decimal integer in [min, max] into @out.  @what names the
 * value in the message ("interval", "--min-us").  Returns 0, -EINVAL (not a
 * number) or -ERANGE (out of range).
 */
int ks_parse_u64(const char *s, const char *what, uint64_t min, uint64_t max,
		 uint64_t *out, char *err, size_t err_len);

/* A PID argument: a number in [1, INT_MAX] naming an existing process. */
int ks_parse_pid(const char *s, pid_t *out, char *err, size_t err_len);

/* Does a process with this PID exist (even if we may not signal it)? */
bool ks_pid_exists(pid_t pid);

/* Shortest and longest interval: a millisecond, about 68 years. */
#define KS_INTERVAL_MIN 0.001
#define KS_INTERVAL_MAX ((double)INT_MAX)

/*
 * An interval in seconds as top and kvm_stat take it: digits with an
 * optional fraction ("5", "0.5", ".5"), nothing else (no sign, exponent,
 * "inf" or "nan"), in [KS_INTERVAL_MIN, KS_INTERVAL_MAX].  @what names it
 * in the message.  Returns 0, -EINVAL or -ERANGE.
 */
int ks_parse_interval(const char *s, const char *what, double *out, char *err,
		      size_t err_len);

/*
 * The "interval [count]" positional convention of libbpf-tools: call once
 * per positional argument (@index 0 = interval in seconds, fractional
 * allowed, 1 = count >= 1).  A third positional is an error.
 */
int ks_parse_interval_count(const char *s, unsigned int index,
			    double *interval, unsigned int *count,
			    char *err, size_t err_len);

#endif /* KVMSCOPE_ARGS_H */
