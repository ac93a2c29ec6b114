// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel memory for the fake struct kvm / struct kvm_vcpu objects that
 * tdx-trace's handlers read with CO-RE probe reads, which only accept
 * kernel addresses.  The driver sizes the array from the kernel's BTF, runs
 * publish_addrs once (BPF_PROG_TEST_RUN) to learn the elements' addresses,
 * then writes the objects with ordinary map updates.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define FAKE_OBJS 4

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FAKE_OBJS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 8);		/* resized by the driver */
} objs SEC(".maps");

__u64 addrs[FAKE_OBJS];

SEC("raw_tp")
int publish_addrs(void *ctx __attribute__((unused)))
{
	int i;

	for (i = 0; i < FAKE_OBJS; i++) {
		__u32 key = i;
		void *obj = bpf_map_lookup_elem(&objs, &key);

		/* A pointer stored in a map: allowed for root, as tests run. */
		if (obj)
			addrs[i] = (__u64)obj;
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
