/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The exporter under systemd: the socket of kvmscope-exporter.socket
 * (socket activation, LISTEN_FDS) and READY=1 for Type=notify.  Outside
 * systemd both are no-ops.
 */
#ifndef KVMSCOPE_EXPORTER_SDNOTIFY_H
#define KVMSCOPE_EXPORTER_SDNOTIFY_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * The one listening TCP socket systemd passed, its address in @addr (for
 * the "serving" message and IPv6 handling).  Returns the fd, 0 if none was
 * passed, or -errno with a message in @err (no prefix).
 */
int ks_sd_listen_fd(struct sockaddr_storage *addr, socklen_t *addr_len,
		    char *err, size_t err_len);

/* Attached and serving: READY=1 to systemd's NOTIFY_SOCKET, if any. */
void ks_sd_ready(void);

#endif /* KVMSCOPE_EXPORTER_SDNOTIFY_H */
