#!/bin/sh
# demo: the lab kernel boots and KVM works (nested SVM under QEMU TCG)
set -u
echo "kernel $(uname -r) ($KVMSCOPE_KERNEL lab kernel)"
[ -c /dev/kvm ] || { echo "no /dev/kvm"; exit 1; }
p=/sys/module/kvm_amd/parameters
echo "/dev/kvm present; kvm_amd npt=$(cat $p/npt) nested=$(cat $p/nested)"
# An L2 guest under KVM under TCG: the smallest proof the stack works.
"$KVMSCOPE_LAB/guest/selftests.sh" -t 300 -o "$KVMSCOPE_RESULTS/demo/kvm" svm_vmcall_test
