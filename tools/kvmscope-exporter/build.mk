# kvmscope-exporter links the BPF loaders and map readers of tdx-trace and
# hvflush-top (their non-main code), then libmicrohttpd for HTTP.  The
# shared library comes again after them: they use it too.
$(BUILD)/kvmscope-exporter: $(BUILD)/libtdx-trace.a $(BUILD)/libhvflush-top.a
LDLIBS_kvmscope-exporter += $(BUILD)/libtdx-trace.a $(BUILD)/libhvflush-top.a \
	$(BUILD)/libkvmscope.a -lmicrohttpd -lpthread
