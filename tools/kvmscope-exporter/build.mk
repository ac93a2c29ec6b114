# kvmscope-exporter: libmicrohttpd for HTTP (GnuTLS for client
# certificates), a thread for the collector, libyaml and libcrypt for
# --web.config.file, libsystemd for socket activation and readiness
# (sdnotify.c).  Its BPF objects come from tools/probe/, in libkvmscope.a.
LDLIBS_kvmscope-exporter += -lmicrohttpd -lgnutls -lyaml -lcrypt -lpthread -lsystemd
