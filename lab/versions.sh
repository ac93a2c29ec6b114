# Pinned inputs of the lab.  Changing any of these changes the cache keys.
#
# Two kernel lines, each from Debian, fetched with apt (download only, into
# the lab's cache; lab/debian.sh):
#   7.3   trixie-backports: TDX host support, upstream's
#         kvm:kvm_vm_set_mem_attributes, the current KVM code.  The default.
#   6.12  bookworm: the LTS kernel, for operators who stay on it.
# For each: the source package the lab kernel is built from, and the
# release of Debian's stock cloud kernel (KVM as modules).  When a pinned
# version is no longer in the archive, the newest of the same line is used
# instead, and the lab says so.
LAB_LINES="7.3 6.12"
LAB_DEFAULT_LINE=7.3

SOURCE_VERSION_7_3=7.3.4-1~bpo13+1
STOCK_RELEASE_7_3=7.3.4+deb13-cloud-amd64
SUITE_7_3=trixie-backports

SOURCE_VERSION_6_12=6.12.117-1~deb12u1
STOCK_RELEASE_6_12=6.12.117+deb12-cloud-amd64
SUITE_6_12=bookworm-security
