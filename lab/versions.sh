# Pinned inputs of the lab.  Changing any of these changes the cache key.
LINUX_SOURCE_VERSION=6.12.117-1~deb12u1
LINUX_SOURCE_TARBALL=/usr/src/linux-source-6.12.tar.xz
# Debian's stock cloud kernel (KVM as modules): the "before the series" lab.
STOCK_KERNEL_PKG=linux-image-6.12.117+deb12-cloud-amd64-unsigned
