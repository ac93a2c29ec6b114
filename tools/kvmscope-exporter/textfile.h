/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * node_exporter textfile collector output.  node_exporter may read the
 * file at any moment, so it must never see a half-written one: write a
 * temporary file in the same directory, fsync it, then rename() it over
 * the target, which replaces it atomically, and fsync the directory so
 * the rename survives a crash.
 *
 * The directory is often group-writable (node_exporter's group), so
 * anyone in it may plant names there: the temporary file gets a random
 * name and is created with O_EXCL, which refuses any existing name,
 * symlinks included, and rename() replaces a symlink at the target
 * rather than following it.
 *
 * The directory is held open: it is opened once, while the exporter may
 * still search any path, and keeps naming the same directory even if a
 * path to it changes.  ks_textfile_reopen() resolves the path again (the
 * exporter does on SIGHUP, after the directory was replaced).
 */
#ifndef KVMSCOPE_EXPORTER_TEXTFILE_H
#define KVMSCOPE_EXPORTER_TEXTFILE_H

#include <stddef.h>

struct ks_textfile {
	char *dir;	/* the target's directory, as given */
	char *name;	/* the target's name in it */
	int dir_fd;
};

/*
 * Open the directory of @path for ks_textfile_write().  @path must name a
 * file (not end in '/', ".", ".."), short enough to leave room for the
 * temporary name's prefix and suffix.  Returns 0 or -errno.
 */
int ks_textfile_open(struct ks_textfile *tf, const char *path);

/*
 * Open the directory again by its path.  On failure the directory held so
 * far stays in use.  Returns 0 or -errno.
 */
int ks_textfile_reopen(struct ks_textfile *tf);

/*
 * Replace the target with these @len bytes, mode 0644 whatever the umask
 * (node_exporter runs as another user).  On any error the previous file
 * stays as it was and no temporary file is left.  Returns 0 or -errno
 * (-ENOENT if the directory was removed since it was opened).
 */
int ks_textfile_write(struct ks_textfile *tf, const char *data, size_t len);

void ks_textfile_close(struct ks_textfile *tf);

#endif /* KVMSCOPE_EXPORTER_TEXTFILE_H */
