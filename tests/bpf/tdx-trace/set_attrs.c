// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Issue real KVM_SET_MEMORY_ATTRIBUTES ioctls for tdx-trace's fallback mode.
 * By default they go to /dev/null and fail with ENOTTY: the command number
 * on a file that is no VM's, which must not count as a conversion.
 *
 *   set_attrs GO_FILE GPA:SIZE:ATTRIBUTES...
 *
 * Waits (up to 10 s) for GO_FILE to exist, so the tracer can attach first,
 * then issues one ioctl per argument from this thread.  With $SET_ATTRS_HOLD
 * naming a file, it then stays alive until that file exists (up to 60 s),
 * as a VMM would: the test says when the tracer has seen it alive.
 *
 * With SET_ATTRS_VM=1 the ioctls go to a VM of /dev/kvm instead: a
 * software-protected VM where the kernel has that type (its memory
 * attributes can be set), else a default one (ENOTTY).  It prints the
 * type, "vm_type <n>", and each result, "ret <0 or -errno>".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "conversions.h"

#define KVM_CREATE_VM		0xae01	/* _IO(KVMIO, 0x01) */
#define KVM_CHECK_EXTENSION	0xae03	/* _IO(KVMIO, 0x03) */
#define KVM_CAP_VM_TYPES	235
#define KVM_X86_SW_PROTECTED_VM	1

struct kvm_memory_attributes {
	uint64_t address;
	uint64_t size;
	uint64_t attributes;
	uint64_t flags;
};

/* /dev/null, or with SET_ATTRS_VM=1 a new VM's fd. */
static int open_target(bool vm)
{
	int kvm, fd, types, type;

	if (!vm)
		return open("/dev/null", O_RDWR);
	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		return -1;
	types = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES);
	type = types > 0 && (types & (1 << KVM_X86_SW_PROTECTED_VM)) ?
	       KVM_X86_SW_PROTECTED_VM : 0;
	fd = ioctl(kvm, KVM_CREATE_VM, type);
	close(kvm);
	if (fd >= 0)
		printf("vm_type %d\n", type);
	return fd;
}

/* Whether @path exists within @secs seconds (checked every 10 ms). */
static bool wait_for_file(const char *path, int secs)
{
	int tries;

	for (tries = 0; access(path, F_OK); tries++) {
		if (tries == secs * 100)
			return false;
		usleep(10000);
	}
	return true;
}

int main(int argc, char **argv)
{
	bool vm = getenv("SET_ATTRS_VM") && !strcmp(getenv("SET_ATTRS_VM"), "1");
	int fd, i, ret;

	if (argc < 3) {
		fprintf(stderr, "usage: %s GO_FILE GPA:SIZE:ATTRS...\n", argv[0]);
		return 2;
	}
	if (!wait_for_file(argv[1], 10)) {
		fprintf(stderr, "%s never appeared\n", argv[1]);
		return 1;
	}
	fd = open_target(vm);
	if (fd < 0) {
		perror(vm ? "creating a VM" : "/dev/null");
		return 1;
	}
	for (i = 2; i < argc; i++) {
		struct kvm_memory_attributes a = {};
		char *end;

		a.address = strtoull(argv[i], &end, 0);
		if (*end == ':')
			a.size = strtoull(end + 1, &end, 0);
		if (*end == ':')
			a.attributes = strtoull(end + 1, &end, 0);
		if (*end) {
			fprintf(stderr, "bad range '%s'\n", argv[i]);
			return 2;
		}
		ret = ioctl(fd, CONV_KVM_SET_MEMORY_ATTRIBUTES, &a) ? -errno : 0;
		if (vm) {
			printf("ret %d\n", ret);
		} else if (ret != -ENOTTY) {
			fprintf(stderr, "ioctl on /dev/null did not fail with ENOTTY\n");
			return 1;
		}
	}
	close(fd);
	if (getenv("SET_ATTRS_HOLD") && !wait_for_file(getenv("SET_ATTRS_HOLD"), 60)) {
		fprintf(stderr, "%s did not appear in 60 s\n", getenv("SET_ATTRS_HOLD"));
		return 1;
	}
	return 0;
}
