/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * SIGINT/SIGTERM/SIGHUP handling shared by kvmscope tools: the handler
 * only sets ks_exiting; main loops test it and fall through to print their
 * final summary and free everything at their cleanup: label.
 */
#ifndef KVMSCOPE_SIGNALS_H
#define KVMSCOPE_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t ks_exiting;
/* SIGHUP came, for a daemon that called ks_setup_hangup(); it clears it. */
extern volatile sig_atomic_t ks_hangup;

/*
 * Install the handler for SIGINT, SIGTERM and SIGHUP (the terminal or the
 * ssh session went away: the run still ends with its summary, not killed
 * without one) without SA_RESTART, so a blocking ring_buffer__poll() or
 * sleep() returns early (EINTR) and the loop notices ks_exiting at once.
 * Returns 0 or -errno.
 */
int ks_setup_signals(void);

/*
 * For a daemon, after ks_setup_signals(): SIGHUP sets ks_hangup instead,
 * the conventional "reopen your files", also without SA_RESTART.
 * Returns 0 or -errno.
 */
int ks_setup_hangup(void);

#endif /* KVMSCOPE_SIGNALS_H */
