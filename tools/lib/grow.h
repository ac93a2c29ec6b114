/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Growable arrays: the tables the tools fill from BPF maps. */
#ifndef KVMSCOPE_GROW_H
#define KVMSCOPE_GROW_H

#include <stddef.h>

/*
 * Make room in *@arr, an array of *@cap elements of @size bytes, for
 * @need elements: capacity doubles (from 16), so appending one at a time
 * stays linear.  Returns 0, or -ENOMEM with the array untouched.
 */
int ks_grow(void **arr, size_t *cap, size_t need, size_t size);

#endif /* KVMSCOPE_GROW_H */
