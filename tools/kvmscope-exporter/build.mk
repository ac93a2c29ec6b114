# kvmscope-exporter: libmicrohttpd for HTTP (GnuTLS for client
# certificates), a thread for the collector, libyaml and libcrypt for
# --web.config.file, libsystemd for socket activation and readiness
# (sdnotify.c).  Its BPF objects come from tools/probe/, in libkvmscope.a.
LDLIBS_kvmscope-exporter += -lmicrohttpd -lgnutls -lyaml -lcrypt -lpthread -lsystemd

# The protobuf exposition (proto.c): protoc-c generates the message code
# from metrics.proto into $(BUILD); metrics_pb.c compiles it.
LDLIBS_kvmscope-exporter += -lprotobuf-c
PROTOC_C ?= protoc-c
$(BUILD)/metrics.pb-c.c $(BUILD)/metrics.pb-c.h &: tools/kvmscope-exporter/metrics.proto
	@mkdir -p $(BUILD)
	$(PROTOC_C) --c_out=$(BUILD) --proto_path=tools/kvmscope-exporter $<
$(foreach d,$(BUILD) $(SAN),$(d)/tools/kvmscope-exporter/metrics_pb.o \
	$(d)/tools/kvmscope-exporter/proto.o): $(BUILD)/metrics.pb-c.c $(BUILD)/metrics.pb-c.h
