/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one version of every tool: the package's, which make takes from
 * debian/changelog into $(BUILD)/version.h.  `--version` (-V) prints
 * "NAME VERSION" like the tools users already run.
 */
#ifndef KVMSCOPE_VERSION_H
#define KVMSCOPE_VERSION_H

#include <argp.h>

extern const char ks_version[];

/*
 * --version as argp children, each tool's `.children`: prints
 * "NAME VERSION" on the parser's out_stream, NAME argv[0]'s base name.
 * Parsing then ends like argp's own --version: exit(0), or, with
 * ARGP_NO_EXIT, argp_parse() returns EINTR ("done, exit 0").
 */
extern const struct argp_child ks_version_children[];

#endif /* KVMSCOPE_VERSION_H */
