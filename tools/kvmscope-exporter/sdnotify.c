// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* systemd socket activation and readiness: see sdnotify.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "output.h"
#include "sdnotify.h"

int ks_sd_listen_fd(struct sockaddr_storage *addr, socklen_t *addr_len,
		    char *err, size_t err_len)
{
	/* 1: LISTEN_* are ours alone, not for anything we might start. */
	int n = sd_listen_fds(1), fd = SD_LISTEN_FDS_START, r;
	socklen_t len = sizeof(*addr);

	if (n < 0) {
		snprintf(err, err_len, "systemd's LISTEN_FDS: %s", strerror(-n));
		return n;
	}
	if (n == 0)
		return 0;
	if (n > 1) {
		snprintf(err, err_len,
			 "systemd passed %d sockets, expected one (ListenStream=)", n);
		return -EINVAL;
	}
	r = sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1);
	if (r <= 0) {
		snprintf(err, err_len, "systemd's socket (fd %d) is not a listening stream socket",
			 fd);
		return r < 0 ? r : -ENOTSOCK;
	}
	if (getsockname(fd, (struct sockaddr *)addr, &len)) {
		r = -errno;
		snprintf(err, err_len, "systemd's socket: %s", strerror(errno));
		return r;
	}
	if (addr->ss_family != AF_INET && addr->ss_family != AF_INET6) {
		snprintf(err, err_len, "systemd's socket is not TCP (family %d)",
			 addr->ss_family);
		return -EAFNOSUPPORT;
	}
	*addr_len = len;
	return fd;
}

void ks_sd_ready(void)
{
	int r = sd_notify(0, "READY=1");

	/* Nobody listening only costs the unit its start-up timeout. */
	if (r < 0)
		p_err("cannot notify systemd: %s", strerror(-r));
}
