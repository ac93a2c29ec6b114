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

/*
 * The element of *@arr (*@nr of @size bytes, room for *@cap) that starts
 * with the @key_size bytes at @key: a table of rows keyed by a BPF map's
 * key.  One is appended, zeroed but for its key, if none is.  NULL on
 * ENOMEM.
 */
void *ks_grow_row(void **arr, size_t *nr, size_t *cap, const void *key,
		  size_t key_size, size_t size);

#endif /* KVMSCOPE_GROW_H */
