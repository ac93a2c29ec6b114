// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE	/* reallocarray() */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

int ks_grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > (size_t)-1 / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	p = reallocarray(*arr, ncap, size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

void *ks_grow_row(void **arr, size_t *nr, size_t *cap, const void *key,
		  size_t key_size, size_t size)
{
	char *row;
	size_t i;

	for (i = 0; i < *nr; i++) {
		row = (char *)*arr + i * size;
		if (!memcmp(row, key, key_size))
			return row;
	}
	if (ks_grow(arr, cap, *nr + 1, size))
		return NULL;
	row = (char *)*arr + (*nr)++ * size;
	memset(row, 0, size);
	memcpy(row, key, key_size);
	return row;
}
