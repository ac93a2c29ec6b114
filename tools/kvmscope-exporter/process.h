/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The process_* metrics the Prometheus client libraries export (client
 * golang's process collector): RSS, virtual size, CPU time, open and
 * maximum fds, start time, from /proc/self.  Served over HTTP only: in a
 * node_exporter textfile they would clash with node_exporter's own.
 */
#ifndef KVMSCOPE_EXPORTER_PROCESS_H
#define KVMSCOPE_EXPORTER_PROCESS_H

#include "expo.h"

/*
 * Open /proc/self/fd while still privileged: once we are another user
 * the process is not dumpable and that directory is root's.  Returns 0
 * or -errno (process_open_fds is then left out).
 */
int ks_process_init(void);

/* Append the process_* families to @b; a family it cannot read is left out. */
void ks_process_render(struct ks_buf *b);

#endif /* KVMSCOPE_EXPORTER_PROCESS_H */
