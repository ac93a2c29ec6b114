/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * SIGINT/SIGTERM handling shared by kvmscope tools: the handler only sets
 * ks_exiting; main loops test it and fall through to print their final
 * summary and free everything at their cleanup: label.
 */
#ifndef KVMSCOPE_SIGNALS_H
#define KVMSCOPE_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t ks_exiting;

/*
 * Install the handler for SIGINT and SIGTERM without SA_RESTART, so a
 * blocking ring_buffer__poll() or sleep() returns early (EINTR) and the
 * loop notices ks_exiting at once.  Returns 0 or -errno.
 */
int ks_setup_signals(void);

#endif /* KVMSCOPE_SIGNALS_H */
