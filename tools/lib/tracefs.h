/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Finding tracefs, or mounting it where nobody did.  The tools need it
 * twice: to see which events the kernel has (tools/lib/mode.c) and for
 * libbpf to attach tracepoint programs, which reads event ids from
 * /sys/kernel/debug/tracing or /sys/kernel/tracing.  systemd hosts mount
 * it; minimal hosts, containers and initramfs often do not.
 *
 * Like bpftool, a tool that may mount (CAP_SYS_ADMIN) mounts tracefs
 * itself when neither place has it; unlike bpftool, it does so in a mount
 * namespace of its own, so the host's mounts stay as they were and the
 * mount goes away with the process.
 */
#ifndef KVMSCOPE_TRACEFS_H
#define KVMSCOPE_TRACEFS_H

#include <stddef.h>

/* Where the kernel keeps its tracefs mount point; the fix we suggest. */
#define KS_TRACEFS_MNT	"/sys/kernel/tracing"

/* Overrides the search (unit tests point it at a fake tree). */
extern const char *ks_tracefs_root;

/*
 * The tracefs directory: ks_tracefs_root if set, else the first of
 * /sys/kernel/tracing and /sys/kernel/debug/tracing that is a mounted
 * tracefs, else tracefs freshly mounted on /sys/kernel/tracing in a
 * private mount namespace.  The first call decides; later calls return
 * its answer.  Mounting needs the process to be single-threaded (call it
 * before starting threads).  NULL if there is none: @err (@len bytes)
 * then says what is missing and the command that fixes it, and errno is
 * set (ENOENT: not mounted, EPERM: may not mount).
 */
const char *ks_tracefs_dir(char *err, size_t len);

#endif /* KVMSCOPE_TRACEFS_H */
