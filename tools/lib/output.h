/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Output conventions shared by every kvmscope tool (bpftool main.h style).
 *
 *  - Data goes to stdout: human tables, or with -j one JSON object per line.
 *  - Diagnostics go to stderr: p_err() ("Error: ...") and p_info().
 *    In JSON mode p_err() additionally writes {"type": "error", "error":
 *    "..."} as a line on stdout so a script reading only stdout still sees
 *    why the tool stopped.
 *  - Every JSON line has a "type"; where a line has a "time", it is the
 *    wall clock in seconds since the epoch, a number with a fraction.
 *  - Exit codes: 0 success, KS_EXIT_FAIL for runtime failures (no BTF, no
 *    privileges, nothing attachable, output that could not be written),
 *    KS_EXIT_USAGE for bad command lines.
 */
#ifndef KVMSCOPE_OUTPUT_H
#define KVMSCOPE_OUTPUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <bpf/libbpf.h>

#define KS_EXIT_FAIL	1
#define KS_EXIT_USAGE	2

/* Set by the tool from its -j / -v options before any output. */
extern bool ks_json_output;
extern bool ks_verbose;

void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Flush stdout and check that nothing written to it since the start was
 * lost (disk full, /dev/full, a closed file): a tool whose data did not
 * arrive must not exit 0.  Says so with p_err() the first time.  Call it
 * after each report and before exiting.  Returns 0 or -errno.
 */
int ks_flush_stdout(void);

/*
 * libbpf print callback: warnings and info always (they explain load
 * failures), debug only with ks_verbose.  ks_setup_libbpf() installs it.
 */
int ks_libbpf_print(enum libbpf_print_level level, const char *fmt,
		    va_list args);
void ks_setup_libbpf(void);

#endif /* KVMSCOPE_OUTPUT_H */
