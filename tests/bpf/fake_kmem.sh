# Sourced by the BPF test suites (not executable, so not a suite itself).
# build_fake_kmem DIR: DIR/fake_kmem.skel.h from fake_kmem.bpf.c, the fake
# kernel objects their test-run drivers pass to the handlers.
build_fake_kmem() {
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 \
		-I/usr/include/"$(uname -m)"-linux-gnu -Wall -Wextra -Werror \
		-c tests/bpf/fake_kmem.bpf.c -o "$1/fake_kmem.tmp.o" &&
	bpftool gen object "$1/fake_kmem.bpf.o" "$1/fake_kmem.tmp.o" &&
	bpftool gen skeleton "$1/fake_kmem.bpf.o" name fake_kmem_bpf \
		>"$1/fake_kmem.skel.h"
}
