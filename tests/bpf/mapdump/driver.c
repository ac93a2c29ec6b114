// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fills a real BPF map and reads it with ks_map_dump(), for
 * tests/bpf/15-mapdump.sh:
 *
 *	mapdump-driver hash|array|walk MAX_ENTRIES ENTRIES VALUE_SIZE
 *
 * A hash map gets ENTRIES keys, each a scrambled index; an array is full
 * by nature (ENTRIES is ignored).  Each value is its key's bytes
 * repeated.  "walk" reads an array with ks_array_walk() instead of
 * ks_map_dump().  Prints one line:
 *
 *	n=N seen=S wrong=W bytes=B
 *
 * n: entries the read returned; seen: distinct filled keys among them;
 * wrong: entries whose value is not their key's, or whose key was never
 * filled, or that came twice, or (walk) out of index order; bytes: the
 * most the read had allocated at once from malloc, heap and mmap (a dump:
 * before ks_map_dump_free(); a walk: at its callbacks).
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "mapdump.h"

static __u32 key_of(__u32 i)
{
	return i * 2654435761u;		/* distinct for distinct i */
}

static void value_of(__u32 key, unsigned char *v, __u32 size)
{
	for (__u32 b = 0; b < size; b++)
		v[b] = ((const unsigned char *)&key)[b % sizeof(key)] ^ b;
}

static size_t allocated(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

/* What a walk's callbacks saw. */
static struct {
	__u32 vsize, n, seen, wrong, next;
	unsigned char *want, *hit;
	size_t before, most;
} walk;

static int walk_slot(void *ctx, __u32 idx, const void *val)
{
	size_t now = allocated() - walk.before;

	(void)ctx;
	if (now > walk.most)
		walk.most = now;
	walk.n++;
	value_of(idx, walk.want, walk.vsize);
	if (idx != walk.next++ || walk.hit[idx] ||
	    memcmp(val, walk.want, walk.vsize)) {
		walk.wrong++;
		return 0;
	}
	walk.hit[idx] = 1;
	walk.seen++;
	return 0;
}

int main(int argc, char **argv)
{
	__u32 max, entries, vsize, wrong = 0, seen = 0;
	unsigned char *val, *want, *hit;
	struct ks_map_dump d;
	enum bpf_map_type type;
	size_t before, bytes;
	int fd, err;

	if (argc != 5 || (strcmp(argv[1], "hash") && strcmp(argv[1], "array") &&
			  strcmp(argv[1], "walk"))) {
		fprintf(stderr, "usage: mapdump-driver hash|array|walk MAX_ENTRIES ENTRIES VALUE_SIZE\n");
		return 2;
	}
	type = !strcmp(argv[1], "hash") ? BPF_MAP_TYPE_HASH : BPF_MAP_TYPE_ARRAY;
	max = strtoul(argv[2], NULL, 0);
	entries = type == BPF_MAP_TYPE_ARRAY ? max : strtoul(argv[3], NULL, 0);
	vsize = strtoul(argv[4], NULL, 0);
	val = malloc(vsize);
	want = malloc(vsize);
	hit = calloc(entries ? entries : 1, 1);
	fd = bpf_map_create(type, "mapdump_test", sizeof(__u32), vsize, max, NULL);
	if (fd < 0 || !val || !want || !hit) {
		fprintf(stderr, "mapdump-driver: create the map: %s\n", strerror(errno));
		return 1;
	}
	for (__u32 i = 0; i < entries; i++) {
		__u32 k = type == BPF_MAP_TYPE_ARRAY ? i : key_of(i);

		value_of(k, val, vsize);
		if (bpf_map_update_elem(fd, &k, val, type == BPF_MAP_TYPE_ARRAY ?
					 BPF_ANY : BPF_NOEXIST)) {
			fprintf(stderr, "mapdump-driver: fill entry %u: %s\n", i, strerror(errno));
			return 1;
		}
	}
	if (!strcmp(argv[1], "walk")) {
		walk.vsize = vsize;
		walk.want = want;
		walk.hit = hit;
		walk.before = allocated();
		err = ks_array_walk(fd, walk_slot, NULL);
		if (err) {
			fprintf(stderr, "mapdump-driver: ks_array_walk: %s\n", strerror(-err));
			return 1;
		}
		printf("n=%u seen=%u wrong=%u bytes=%zu\n", walk.n, walk.seen,
		       walk.wrong, walk.most);
		return 0;
	}
	before = allocated();
	err = ks_map_dump(fd, &d);
	bytes = allocated() - before;
	if (err) {
		fprintf(stderr, "mapdump-driver: ks_map_dump: %s\n", strerror(-err));
		return 1;
	}
	for (__u32 j = 0; j < d.n; j++) {
		__u32 k = *KS_DUMP_KEY(&d, __u32, j), i;

		/* Which index filled k: arrays are their own index. */
		if (type == BPF_MAP_TYPE_ARRAY)
			i = k;
		else
			i = k * 244002641u;	/* 2654435761's inverse mod 2^32 */
		value_of(k, want, vsize);
		if (i >= entries || hit[i] ||
		    memcmp((const char *)d.vals + (size_t)j * d.value_size, want, vsize)) {
			wrong++;
			continue;
		}
		hit[i] = 1;
		seen++;
	}
	printf("n=%u seen=%u wrong=%u bytes=%zu\n", d.n, seen, wrong, bytes);
	ks_map_dump_free(&d);
	free(val);
	free(want);
	free(hit);
	return 0;
}
