# kvmscope: KVM tracepoint series, CO-RE BPF tools, exporter and lab.
#
#   make            BPF objects, skeletons, the C tools and man pages (build/)
#   make deps       install the Debian packages everything needs (idempotent)
#   make test       unit, BPF test-run and lab tests; ends "N passed, N failed"
#   make bench      benchmarks in the lab (prints ratios)
#   make soak       30 minutes of VM churn in the lab, nothing lost or leaked
#   make demo       the main job: build and boot the lab, run workloads and tools
#                   (on Linux 7.3; make demo KERNEL=6.12 on the LTS)
#   make lab-clean  drop the cached lab kernels, selftests and initramfs
#   make install    PREFIX (/usr/local) and DESTDIR, as Debian tools install
#   make deb        the Debian package, into $(BUILD)/deb (dpkg-buildpackage)

BUILD     ?= build
CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= bpftool
RST2MAN   ?= rst2man
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror
CPPFLAGS  += -I$(BUILD) -Itools/lib -Itools/probe -Ibpf
LDLIBS    += -lbpf -lelf -lz
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Ibpf -I$(BUILD) $(WARN) \
	      -Wno-unused-parameter -Wno-unused-function
# <linux/types.h> needs <asm/types.h>, which Debian keeps under the
# multiarch directory that clang -target bpf does not search.
BPF_CFLAGS += -I/usr/include/$(shell $(CC) -dumpmachine)

# conversions.bpf.c takes a thread's entry with a compare-and-swap.
$(BUILD)/bpf/conversions.bpf.o: BPF_CFLAGS += -mcpu=v3

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

# tools/probe/ (loading, attaching and reading each BPF object) goes into
# the shared library too: every tool and the exporter use it.
LIB_SRCS  := $(wildcard tools/lib/*.c tools/probe/*.c)
LIB_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
LIB       := $(BUILD)/libkvmscope.a

# Each tools/<name>/ directory is one program: main.c holds main(), the
# rest goes into $(BUILD)/lib<name>.a so unit tests can link it.
TOOL_DIRS := $(patsubst tools/%/main.c,%,$(wildcard tools/*/main.c))
TOOLS     := $(addprefix $(BUILD)/,$(TOOL_DIRS))
TOOL_LIBS := $(foreach t,$(TOOL_DIRS),$(BUILD)/lib$(t).a)

# man/<tool>.rst, section 8; man/*.txt are the sections they share.
MAN_SRCS  := $(wildcard man/*.rst)
MANS      := $(patsubst man/%.rst,$(BUILD)/man/%.8,$(MAN_SRCS))

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNITS     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

# Unit tests run under ASan and UBSan, and so does the code they test: the
# libraries are compiled a second time into $(SAN) for them.  The tools
# are built without sanitizers, as they ship.  No recovery: undefined
# behaviour ends the test with a failure instead of a line in a log.  GCC
# leaves float-cast-overflow out of "undefined"; the tools turn doubles into
# integers (timestamps, sleeps).
SAN       := $(BUILD)/san
SAN_FLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
SAN_LIB   := $(SAN)/libkvmscope.a
SAN_TOOL_LIBS := $(foreach t,$(TOOL_DIRS),$(SAN)/lib$(t).a)

.DEFAULT_GOAL := all

# One version for every tool and the package: debian/changelog's (a native
# package, so no Debian revision), into a header for tools/lib/version.c.
VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)

# Per-tool extra libraries: tools/<name>/build.mk sets LDLIBS_<name>.
-include $(wildcard tools/*/build.mk)

.PHONY: all deps man test unit bench soak demo lab lab-clean fuzz clean install deb
# Objects reached only through pattern rules are still worth keeping.
.SECONDARY:
all: $(SKELS) $(TOOLS) $(MANS)

deps:
	lab/deps.sh

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(BPFTOOL) gen object $@ $@.tmp
	@rm -f $@.tmp

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/tools/%.o: tools/%.c $(SKELS) $(wildcard bpf/*.h tools/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c $< -o $@

$(SAN)/tools/%.o: tools/%.c $(SKELS) $(wildcard bpf/*.h tools/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) $(WARN) -c $< -o $@

# As bpftool's: rst2man stops at the first warning, so markup that would
# render wrong fails the build instead of shipping.
$(BUILD)/man/%.8: man/%.rst $(wildcard man/*.txt)
	@mkdir -p $(@D)
	$(RST2MAN) --halt=warning $< > $@.tmp && mv $@.tmp $@

man: $(MANS)

$(BUILD)/kvmscope_version.h: debian/changelog
	@mkdir -p $(@D)
	@test -n '$(VERSION)' || { echo 'no version in debian/changelog' >&2; exit 1; }
	printf '#define KVMSCOPE_VERSION "%s"\n' '$(VERSION)' > $@.tmp && mv $@.tmp $@

$(BUILD)/tools/lib/version.o $(SAN)/tools/lib/version.o: $(BUILD)/kvmscope_version.h

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(SAN_LIB): $(patsubst $(BUILD)/%,$(SAN)/%,$(LIB_OBJS))
	@rm -f $@
	ar rcs $@ $^

# Objects of tools/$(1)/ but main.c.  A function, because a literal % in a
# pattern rule's prerequisites would be replaced by the stem.
tool_lib_objs = $(patsubst %.c,$(BUILD)/%.o,$(filter-out tools/$(1)/main.c,$(wildcard tools/$(1)/*.c)))
san_tool_lib_objs = $(patsubst $(BUILD)/%,$(SAN)/%,$(call tool_lib_objs,$(1)))

.SECONDEXPANSION:
$(BUILD)/lib%.a: $$(call tool_lib_objs,$$*)
	@rm -f $@
	ar rcs $@ $^ $(if $^,,--)

$(SAN)/lib%.a: $$(call san_tool_lib_objs,$$*)
	@rm -f $@
	ar rcs $@ $^ $(if $^,,--)

$(TOOLS): $(BUILD)/%: $(BUILD)/tools/%/main.o $(BUILD)/lib%.a $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_$*) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(SAN_TOOL_LIBS) $(SAN_LIB) $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itools $(CFLAGS) $(SAN_FLAGS) $(WARN) -o $@ $< \
		$(SAN_TOOL_LIBS) $(SAN_LIB) \
		-lcmocka $(foreach t,$(TOOL_DIRS),$(LDLIBS_$(t))) $(LDLIBS)

unit: $(UNITS)

test: all $(UNITS)
	tests/run.sh

bench: all
	lab/bench.sh

# The churn soak (tests/lab/80-churn.sh), CHURN_SECONDS long; make test
# runs 90 s of it.
soak: all
	CHURN_SECONDS=$(or $(CHURN_SECONDS),1800) TESTS=lab/80-churn tests/run.sh

demo: all
	lab/demo.sh $(if $(KERNEL),--line $(KERNEL))

lab: all
	lab/run.sh $(LAB_ARGS)

# libFuzzer harnesses (the exporter's inputs, name escaping), FUZZ_SECONDS
# each (fuzz/run.sh); make test runs the name-escaping ones briefly.
fuzz:
	fuzz/run.sh

lab-clean:
	lab/cache.sh clean

# The tools need root (or CAP_BPF and friends): sbin.  Man pages are
# built into $(BUILD)/man, completions live in completion/, one file per
# command; each is installed if there.  The unit's ExecStart names SBINDIR.
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
DATADIR   ?= $(PREFIX)/share
MANDIR    ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
PKGDATADIR ?= $(DATADIR)/kvmscope

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(PKGDATADIR)/dashboards $(DESTDIR)$(PKGDATADIR)/rules \
		$(DESTDIR)$(PKGDATADIR)/fleet
	install -m 0755 $(TOOLS) $(DESTDIR)$(SBINDIR)
	for f in dist/*.service dist/*.socket; do \
		sed 's|@SBINDIR@|$(SBINDIR)|g' $$f > $(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/} && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/} || exit; \
	done
	install -m 0644 dashboards/*.json $(DESTDIR)$(PKGDATADIR)/dashboards
	install -m 0644 dashboards/*-rules.yml $(DESTDIR)$(PKGDATADIR)/rules
	install -m 0644 deploy/fleet/*.yml deploy/fleet/*.json $(DESTDIR)$(PKGDATADIR)/fleet
	for f in $(BUILD)/man/*.8; do \
		[ ! -e "$$f" ] || install -D -m 0644 $$f $(DESTDIR)$(MANDIR)/man8/$${f##*/} || exit; \
	done
	for f in completion/*; do \
		[ ! -e "$$f" ] || install -D -m 0644 $$f $(DESTDIR)$(BASHCOMPDIR)/$${f##*/} || exit; \
	done

# Binary packages only, unsigned, into $(BUILD)/deb (dpkg-buildpackage
# leaves them next to the source tree: moved here).
deb:
	dpkg-buildpackage -b -us -uc
	@mkdir -p $(BUILD)/deb
	mv ../kvmscope*_$(VERSION)_*.deb ../kvmscope_$(VERSION)_*.buildinfo \
		../kvmscope_$(VERSION)_*.changes $(BUILD)/deb/

clean:
	rm -rf $(BUILD)
