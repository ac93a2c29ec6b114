/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TDX_TRACE_CONVERSIONS_H
#define TDX_TRACE_CONVERSIONS_H

struct tdx_env;

/* "tdx-trace conversions": returns the process exit code. */
int cmd_conversions(const struct tdx_env *env);

#endif /* TDX_TRACE_CONVERSIONS_H */
