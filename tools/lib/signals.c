// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "signals.h"

volatile sig_atomic_t ks_exiting;
volatile sig_atomic_t ks_hangup;

static void ks_sig_handler(int sig)
{
	(void)sig;
	ks_exiting = 1;
}

static void ks_hup_handler(int sig)
{
	(void)sig;
	ks_hangup = 1;
}

static int handle(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) ? -errno : 0;
}

int ks_setup_signals(void)
{
	int err = handle(SIGINT, ks_sig_handler);

	if (!err)
		err = handle(SIGTERM, ks_sig_handler);
	if (!err)
		err = handle(SIGHUP, ks_sig_handler);
	return err;
}

int ks_setup_hangup(void)
{
	return handle(SIGHUP, ks_hup_handler);
}
