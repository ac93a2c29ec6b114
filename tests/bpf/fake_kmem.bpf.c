// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel memory for fake struct kvm_vcpu / struct kvm objects, for the
 * test-run drivers of tdx-trace and hvflush-top.
 *
 * The handlers read those objects through CO-RE probe reads, which only
 * accept kernel addresses, so BPF_PROG_TEST_RUN arguments must point into
 * the kernel: the elements of this array map.  A driver sizes the map's
 * values from the kernel's BTF, runs publish_addrs once to learn where the
 * elements live, then writes the fake objects into them with ordinary map
 * updates.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define FAKE_OBJS 8

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FAKE_OBJS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 8);		/* set by the driver from BTF sizes */
} objs SEC(".maps");

__u64 addrs[FAKE_OBJS];

SEC("raw_tp")
int publish_addrs(void *ctx __attribute__((unused)))
{
	int i;

#pragma unroll
	for (i = 0; i < FAKE_OBJS; i++) {
		__u32 key = i;
		void *obj = bpf_map_lookup_elem(&objs, &key);

		/* Leaking a pointer into a map: fine for root, which tests are. */
		if (obj)
			addrs[i] = (__u64)obj;
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
