/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Runtime helpers shared by the conversions and roles commands. */
#ifndef TDX_TRACE_RUNTIME_H
#define TDX_TRACE_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <bpf/libbpf.h>

#include "json_writer.h"
#include "probe_lost.h"
#include "tdx_trace.h"

/* The lost-event counters (probe_lost.h) for humans and JSON. */
void tdx_print_lost(FILE *f, const uint64_t lost[TDX_NR_LOST]);
void tdx_json_lost(json_writer_t *w, const uint64_t lost[TDX_NR_LOST]);

/*
 * VM name of a VMM pid (QEMU -name or comm), cached for the run.  A VMM
 * that exited before its first lookup is named by @comm, its comm as the
 * BPF programs recorded it (NULL or "" if none; "?" without either).
 * Valid UTF-8, valid until the next call (ks_vm_cache_name()); human
 * output escapes it with ks_term_name().
 */
const char *tdx_vm_name(pid_t pid, const char *comm);

/*
 * A row's VM for humans: its stats id escaped for a terminal (termtext.h),
 * else "pid:<pid>" (fallback mode).
 */
void tdx_vm_label(char *buf, size_t len, const char *stats_id, __u32 pid);

/* A row's "vm" (its stats id, or null), "pid" and "name" JSON fields. */
void tdx_json_vm(json_writer_t *w, const char *stats_id, __u32 pid,
		 const char *name);

/*
 * --vm (vmmatch.h) for the BPF programs: the pattern if it is a plain
 * stats id, which they compare with kvm->stats_id before counting, else
 * NULL: every VM's events and rows then reach userspace, and
 * tdx_vm_wanted() drops the others.
 */
const char *tdx_kernel_vm(const char *pattern);

/*
 * Does --vm @pattern match the VM of VMM @pid, whose stats id is
 * @stats_id (NULL or "" in rows that carry none: "kvm-<pid>") and whose
 * comm the BPF programs recorded as @comm (or NULL)?
 */
bool tdx_vm_wanted(const char *pattern, const char *stats_id, pid_t pid,
		   const char *comm);

/* The fields opening a JSON summary: type, mode, time, interval_s. */
void tdx_json_summary_start(json_writer_t *w, bool final, const char *mode,
			    double interval);

/*
 * Resolve (and cache) the VM names of the pids keying @map_fd, whose keys
 * start with a __u32 pid, while those processes still run: a summary
 * printed after a short-lived VMM exited can still name it.
 */
void tdx_vm_names_prefetch(int map_fd, size_t key_size);

/* "HH:MM:SS.mmm" local time of @wall (seconds since the epoch). */
void tdx_format_time(double wall, char *buf, size_t len);

/* Seconds to add to CLOCK_MONOTONIC (bpf_ktime_get_ns) for wall time. */
double tdx_mono_to_wall_offset(void);
double tdx_now_wall(void);

/*
 * What opens a human report: "\nHH:MM:SS interval of Ns" for an interval,
 * "\nSummary (whole run):" for the final one.
 */
void tdx_print_report_header(bool final, double interval);

/*
 * Sleep until @deadline (CLOCK_MONOTONIC seconds) or a signal; returns
 * early if ks_exiting is set.
 */
void tdx_sleep_until(double deadline);

/*
 * When a main loop should next wake up: at @deadline (0: none) or within a
 * second, whichever is first, so it also does its once-a-second chores.
 */
double tdx_wake_time(double deadline);
double tdx_now_mono(void);

#endif /* TDX_TRACE_RUNTIME_H */
