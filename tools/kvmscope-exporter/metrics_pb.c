// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The protobuf-c code protoc-c generates from metrics.proto (into the build
 * directory, see build.mk), compiled as part of the exporter.
 */
#include "metrics.pb-c.c"
