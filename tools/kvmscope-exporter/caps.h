/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Dropping privileges once the BPF programs are attached.  After that the
 * exporter only reads maps through the fds it already holds (no capability
 * needed since Linux 6.5 moved the unprivileged_bpf_disabled check into
 * map and program creation) and reads /proc, so it serves HTTP with no
 * capabilities at all.
 */
#ifndef KVMSCOPE_EXPORTER_CAPS_H
#define KVMSCOPE_EXPORTER_CAPS_H

#include <stdint.h>

/*
 * Drop every capability of the calling thread for good: the bounding set
 * (when CAP_SETPCAP allows), the ambient set, then effective, permitted and
 * inheritable, and set no_new_privs so no execve() can regain any.
 * Capabilities are per thread: call it before starting any thread.
 * Returns 0 or -errno.
 */
int ks_drop_caps(void);

/* The calling thread's effective capability mask (for checks and tests). */
int ks_caps_effective(uint64_t *mask);

#endif /* KVMSCOPE_EXPORTER_CAPS_H */
