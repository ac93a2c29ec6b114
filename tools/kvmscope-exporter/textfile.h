/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * node_exporter textfile collector output.  node_exporter may read the
 * file at any moment, so it must never see a half-written one: write a
 * temporary file in the same directory, fsync it, then rename() it over
 * the target, which replaces it atomically.
 */
#ifndef KVMSCOPE_EXPORTER_TEXTFILE_H
#define KVMSCOPE_EXPORTER_TEXTFILE_H

#include <stddef.h>

/* Write @len bytes to @path atomically.  Returns 0 or -errno. */
int ks_textfile_write(const char *path, const char *data, size_t len);

#endif /* KVMSCOPE_EXPORTER_TEXTFILE_H */
