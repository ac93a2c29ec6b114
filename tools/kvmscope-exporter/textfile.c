// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Atomic textfile writes: see textfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "textfile.h"

/*
 * ".NAME.XXXXXX": hidden, and not *.prom, the only names node_exporter
 * reads.
 */
#define TMP_EXTRA	(sizeof("..XXXXXX") - 1)
#define TMP_RANDOM	6
/* Tries for a free random name, as glibc's mkstemp() makes. */
#define TMP_TRIES	100

static int open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int ks_textfile_open(struct ks_textfile *tf, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	int fd;

	tf->dir = tf->name = NULL;
	tf->dir_fd = -1;
	if (!name[0] || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EISDIR;
	if (strlen(name) + TMP_EXTRA > NAME_MAX)
		return -ENAMETOOLONG;
	if (!slash)
		tf->dir = strdup(".");
	else if (slash == path)
		tf->dir = strdup("/");
	else
		tf->dir = strndup(path, slash - path);
	tf->name = strdup(name);
	if (!tf->dir || !tf->name) {
		ks_textfile_close(tf);
		return -ENOMEM;
	}
	fd = open_dir(tf->dir);
	if (fd < 0) {
		ks_textfile_close(tf);
		return fd;
	}
	tf->dir_fd = fd;
	return 0;
}

int ks_textfile_reopen(struct ks_textfile *tf)
{
	int fd = open_dir(tf->dir);

	if (fd < 0)
		return fd;
	close(tf->dir_fd);
	tf->dir_fd = fd;
	return 0;
}

/*
 * mkstemp() relative to the directory fd, which glibc has no call for.
 * O_EXCL fails on any existing name, a symlink too; O_NOFOLLOW says so
 * twice.  Returns the fd, with the name in @tmp, or -errno.
 */
static int create_tmp(struct ks_textfile *tf, char *tmp, size_t len)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	for (int i = 0; i < TMP_TRIES; i++) {
		unsigned char rnd[TMP_RANDOM];
		char suffix[TMP_RANDOM + 1];
		int fd;

		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -errno;
		for (int j = 0; j < TMP_RANDOM; j++)
			suffix[j] = chars[rnd[j] % (sizeof(chars) - 1)];
		suffix[TMP_RANDOM] = '\0';
		snprintf(tmp, len, ".%s.%s", tf->name, suffix);
		fd = openat(tf->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL |
			    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

static int write_all(int fd, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += n;
	}
	return 0;
}

int ks_textfile_write(struct ks_textfile *tf, const char *data, size_t len)
{
	char tmp[NAME_MAX + 1];
	struct stat st;
	int fd, err;

	/* A removed directory still takes files, which nobody would see. */
	if (fstat(tf->dir_fd, &st))
		return -errno;
	if (!st.st_nlink)
		return -ENOENT;
	fd = create_tmp(tf, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	/* Not the umask's: node_exporter reads it as another user. */
	err = fchmod(fd, 0644) ? -errno : 0;
	if (!err)
		err = write_all(fd, data, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(tf->dir_fd, tmp, tf->dir_fd, tf->name))
		err = -errno;
	if (err) {
		unlinkat(tf->dir_fd, tmp, 0);
		return err;
	}
	return fsync(tf->dir_fd) ? -errno : 0;
}

void ks_textfile_close(struct ks_textfile *tf)
{
	if (tf->dir_fd >= 0)
		close(tf->dir_fd);
	tf->dir_fd = -1;
	free(tf->dir);
	free(tf->name);
	tf->dir = tf->name = NULL;
}
