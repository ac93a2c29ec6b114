# kvmscope-exporter: libmicrohttpd for HTTP, a thread for the collector,
# libsystemd for socket activation and readiness (sdnotify.c).
# Its BPF objects come from tools/probe/, in libkvmscope.a.
LDLIBS_kvmscope-exporter += -lmicrohttpd -lpthread -lsystemd
