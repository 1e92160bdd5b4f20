# exotic: top-level build.  Everything lands under $(BUILD); nothing is
# written into the source tree.
#
#   make            build driver, libexotic, examples, tools and tests
#   make storm      the main job: a storm in the test VM, with its report
#   make bench      exotic-bench in the test VM on every available profile but
#                   the debug kernel's: build/bench/PROFILE.json and the tables
#   make check      deps + build + host unit tests + guest suites (one summary line)
#   make matrix     the conformance matrix and reproducers per kernel profile, and
#                   their grid (KERNELS=all: every profile but the debug kernel's)
#   make driver-all  exotic.ko for 6.1 and every fetched kernel set
#   make kernels    fetch the kernel sets of kernels/lock.tsv (scripts/kernels)
#   make kvm-patched  KVM modules with kernel-patches/ applied (KSET=SET: for a kernel set)
#   make kvm-patched-debug  the same for the debug kernel (KASAN, lockdep...): debug-patched
#   make kvm-patched-arm64  the same series cross-built for arm64 (arch/arm64/kvm, virt/kvm)
#   make kernel-debug  the debug kernel (KASAN, lockdep, kmemleak...); make driver-debug
#   make kvm-selftests  KVM's selftests subset on stock and patched
#   make vm-shell   a shell in the test VM
#   make help       every target

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
UDEVDIR ?= /lib/udev/rules.d

LIB_VERSION := 1.0.0
LIB_SONAME  := libexotic.so.1

# The pinned kernel, resolved by `make deps` (scripts/deps) into $(PIN).
# There is deliberately no rule for it: make must not run apt to build,
# say, `clean`; the targets that need it ask for `make deps` instead.
PIN := $(BUILD)/pin.mk
-include $(PIN)
KDIR ?= $(EXOTIC_KDIR)

CC      ?= cc
AR      ?= ar
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes
CFLAGS  ?= -O2 -g
INC     := -Ilibexotic/include -Ilibexotic/include/exotic -Idriver/include/uapi
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) $(INC)
LIBS_PRIVATE := -lkmod -ludev -lpthread

Q := $(if $(V),,@)
V_CC = $(if $(V),,@printf '  CC      %s\n' $@;)
V_LD = $(if $(V),,@printf '  LD      %s\n' $@;)

# ---------------------------------------------------------------- libexotic
LIB_C   := $(sort $(wildcard libexotic/*.c libexotic/*/*.c))
LIB_S   := $(sort $(wildcard libexotic/*.S libexotic/*/*.S))
LIB_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_C)) \
	   $(patsubst %.S,$(BUILD)/obj/%.o,$(LIB_S))
LIB_A   := $(BUILD)/lib/libexotic.a
LIB_SO  := $(BUILD)/lib/libexotic.so.$(LIB_VERSION)
LIB_SYM := libexotic/libexotic.sym

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(V_CC)$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c -o $@ $<

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(V_CC)$(CC) $(INC) -fPIC -MMD -MP -c -o $@ $<

# the expectation tables are .incbin'ed into the library
$(BUILD)/obj/libexotic/expect_data.o: $(wildcard expect/*.tsv)
# and so is the profile registry
$(BUILD)/obj/libexotic/profile_data.o: kernels/profiles.tsv

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@
	$(V_LD)$(AR) rcs $@ $^

$(LIB_SO): $(LIB_OBJ) $(LIB_SYM)
	@mkdir -p $(dir $@)
	$(V_LD)$(CC) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=$(LIB_SYM) -Wl,--no-undefined \
		-o $@ $(LIB_OBJ) $(LIBS_PRIVATE)
	$(Q)ln -sf libexotic.so.$(LIB_VERSION) $(BUILD)/lib/$(LIB_SONAME)
	$(Q)ln -sf $(LIB_SONAME) $(BUILD)/lib/libexotic.so

lib: $(LIB_A) $(LIB_SO)

# ------------------------------------------------- examples and host tools
# Every examples/NAME.c or examples/NAME/*.c is one program, build/bin/NAME,
# linked statically against libexotic so it runs anywhere (and in the VM).
EX_SINGLE := $(patsubst examples/%.c,%,$(wildcard examples/*.c))
EX_DIRS   := $(filter-out common,$(patsubst examples/%/,%,$(sort $(dir $(wildcard examples/*/*.c)))))
# examples/common: what the tools' command lines share, built into each
EX_COMMON := $(wildcard examples/common/*.c)
EXAMPLES  := $(addprefix $(BUILD)/bin/,$(EX_SINGLE) $(EX_DIRS))
TOOLS     := $(patsubst tools/%.c,$(BUILD)/tools/%,$(wildcard tools/*.c))

$(BUILD)/bin/%: examples/%.c $(EX_COMMON) $(wildcard examples/common/*.h) $(LIB_A)
	@mkdir -p $(dir $@)
	$(V_CC)$(CC) $(ALL_CFLAGS) -Iexamples/common -MMD -MP -MF $(@D)/.$(@F).d -o $@ $< $(EX_COMMON) $(LIB_A) $(LIBS_PRIVATE)

define example_dir
$(BUILD)/bin/$(1): $(wildcard examples/$(1)/*.c) $(wildcard examples/$(1)/*.h) $(EX_COMMON) $(wildcard examples/common/*.h) $(LIB_A)
	@mkdir -p $$(dir $$@)
	$$(V_CC)$$(CC) $$(ALL_CFLAGS) -Iexamples/$(1) -Iexamples/common -o $$@ $(wildcard examples/$(1)/*.c) $(EX_COMMON) $$(LIB_A) $$(LIBS_PRIVATE)
endef
$(foreach d,$(EX_DIRS),$(eval $(call example_dir,$(d))))

$(BUILD)/tools/%: tools/%.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(V_CC)$(CC) $(ALL_CFLAGS) -MMD -MP -MF $(@D)/.$(@F).d -o $@ $< $(LIB_A) $(LIBS_PRIVATE)

examples: $(EXAMPLES)
tools: $(TOOLS)

# ------------------------------------------------------------------ tests
# tests/unit/test_*.c: host CMocka suites, linked against the static library
# with the system calls listed in tests/unit/wraps.opt wrapped (-Wl,--wrap).
# tests/vm/test_*.c: CMocka suites that run inside the test VM.
UNIT_COMMON := $(wildcard tests/unit/common/*.c)
UNIT_WRAPS  := $(if $(wildcard tests/unit/wraps.opt),@tests/unit/wraps.opt)
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test_*.c))
VM_COMMON   := $(wildcard tests/vm/common/*.c)
VM_TESTS    := $(patsubst tests/vm/%.c,$(BUILD)/tests/vm/%,$(wildcard tests/vm/test_*.c))

$(BUILD)/tests/unit/%: tests/unit/%.c $(UNIT_COMMON) $(LIB_A) $(wildcard tests/unit/wraps.opt)
	@mkdir -p $(dir $@)
	$(V_CC)$(CC) $(ALL_CFLAGS) -Itests/unit/common -Ilibexotic -Itools/pin -Iexamples/common -MMD -MP -MF $(@D)/.$(@F).d -o $@ \
		$< $(UNIT_EXTRA_$*) $(UNIT_COMMON) $(UNIT_WRAPS) $(LIB_A) -lcmocka $(LIBS_PRIVATE)

$(BUILD)/tests/vm/%: tests/vm/%.c $(VM_COMMON) $(LIB_A)
	@mkdir -p $(dir $@)
	$(V_CC)$(CC) $(ALL_CFLAGS) -Itests/vm/common -MMD -MP -MF $(@D)/.$(@F).d -o $@ \
		$< $(VM_EXTRA_$*) $(VM_COMMON) $(LIB_A) -lcmocka $(LIBS_PRIVATE)

# C reproducers as exotic-fuzz --emit-c writes them, for a minimized stream
# that finds inject_bug=extra_ref and for a probe that finds
# skip_zap_on_migrate (test_fuzz runs them in the guest, which has no
# compiler): emitted here (--emit-c writes the ops without running them)
# and built with nothing but libc and kernel uapi headers.
FUZZ_REPRO := $(BUILD)/tests/vm/fuzz-repro-extra-ref $(BUILD)/tests/vm/fuzz-repro-probe-migrate
$(BUILD)/tests/vm/fuzz-repro-%: tests/vm/fuzz-%.ops $(BUILD)/bin/exotic-fuzz
	@mkdir -p $(dir $@)
	$(Q)EXOTIC_PROFILE=stock $(BUILD)/bin/exotic-fuzz --replay $< --emit-c $@.c > /dev/null
	$(V_CC)$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $@.c

tests: $(UNIT_TESTS) $(VM_TESTS) $(FUZZ_REPRO)

# ----------------------------------------------------------------- driver
# KSET=SET builds against another kernel set of scripts/kernels (fetched
# into $(BUILD)/kernels/SET.mk) into $(BUILD)/driver-SET; driver-all builds
# for the pinned 6.1 and every fetched set.
DRIVER_SRC := $(wildcard driver/*.c driver/*.h driver/include/uapi/*.h) driver/Kbuild driver/Makefile
ifeq ($(KSET),debug)
# debug.mk describes the debug kernel, whose EXOTIC_* must not replace the pin's
$(error the debug kernel is not a kernel set: make kernel-debug driver-debug kvm-patched-debug)
endif
ifneq ($(KSET),)
KSET_MK    := $(BUILD)/kernels/$(KSET).mk
ifeq ($(wildcard $(KSET_MK)),)
$(error kernel set $(KSET) not fetched: run scripts/kernels fetch $(KSET))
endif
include $(KSET_MK)
DRIVER_DIR := $(BUILD)/driver-$(KSET)
DRIVER_KDIR := $(KSET_KDIR)
DRIVER_DEP := $(KSET_MK)
else ifneq ($(KERNEL),)
# a kernel tree of your own (scripts/vm-run --kernel, make check KERNEL=)
KERNEL_REL := $(shell cat $(KERNEL)/include/config/kernel.release 2>/dev/null)
ifeq ($(KERNEL_REL),)
$(error KERNEL=$(KERNEL): no include/config/kernel.release: not a built kernel tree)
endif
DRIVER_DIR := $(BUILD)/driver-kernel-$(KERNEL_REL)
DRIVER_KDIR := $(KERNEL)
DRIVER_DEP := $(KERNEL)/include/config/kernel.release $(KERNEL)/Module.symvers
else
DRIVER_DIR := $(BUILD)/driver
DRIVER_KDIR := $(KDIR)
DRIVER_DEP := $(wildcard $(PIN))
endif
DRIVER_KO  := $(DRIVER_DIR)/exotic.ko
# (debug.mk describes the debug kernel, scripts/kernel-debug: not a set)
KSETS      := $(filter-out debug,$(patsubst $(BUILD)/kernels/%.mk,%,$(wildcard $(BUILD)/kernels/*.mk)))

$(DRIVER_KO): $(DRIVER_SRC) $(DRIVER_DEP)
	@test -n "$(DRIVER_KDIR)" || { echo "no kernel to build against: run make deps or pass KDIR=" >&2; exit 1; }
	@mkdir -p $(DRIVER_DIR)
	$(Q)cp -a driver/. $(DRIVER_DIR)/
	$(Q)$(MAKE) -s -C $(DRIVER_KDIR) M=$(abspath $(DRIVER_DIR)) KCFLAGS=-Werror \
		$(KSET_MAKE_ARGS) modules $(if $(C),C=$(C))

driver: $(DRIVER_KO)

driver-all: driver
	$(Q)$(foreach s,$(KSETS),$(MAKE) --no-print-directory driver KSET=$(s) &&) true

# exotic.ko for the debug kernel profile (scripts/kernel-debug build writes
# $(DEBUG_MK); it is not included, so that its EXOTIC_* do not replace the pin's).
DEBUG_MK        := $(BUILD)/kernels/debug.mk
DEBUG_KDIR       = $(shell sed -n 's/^EXOTIC_KDIR=//p' $(DEBUG_MK) 2>/dev/null)
DRIVER_DEBUG_KO := $(BUILD)/driver-debug/exotic.ko

$(DRIVER_DEBUG_KO): $(DRIVER_SRC) $(wildcard $(DEBUG_MK))
	@test -n "$(DEBUG_KDIR)" || { echo "no debug kernel: run make kernel-debug" >&2; exit 1; }
	@mkdir -p $(BUILD)/driver-debug
	$(Q)cp -a driver/. $(BUILD)/driver-debug/
	$(Q)$(MAKE) -s -C $(DEBUG_KDIR) M=$(abspath $(BUILD)/driver-debug) KCFLAGS=-Werror modules $(if $(C),C=$(C))

driver-debug: $(DRIVER_DEBUG_KO)

# The debug kernel profile: KASAN, KFENCE, lockdep, kmemleak... (kernels/).
kernel-debug:
	$(Q)scripts/kernel-debug build

# ------------------------------------------------------------- top level
all: lib examples tools tests driver
.DEFAULT_GOAL := all

deps:
	$(Q)scripts/deps

# The other kernel sets (kernels/lock.tsv): download, verify, unpack.
kernels:
	$(Q)scripts/kernels fetch

check:
	$(Q)scripts/check

# The guest suites, a 120 s storm and a 600 s fuzz on the debug kernel.
check-debug:
	$(Q)scripts/check --debug

check-unit:
	$(Q)scripts/check --only unit

check-vm:
	$(Q)scripts/check --only runner --only vm

vm-shell: all
	$(Q)scripts/vm-run --interactive

# The main job: a storm over every kind x method in the test VM.
storm:
	$(Q)scripts/storm

# exotic-bench: exotic memory next to anonymous memory, per profile (not
# part of make check, which runs a smoke test of it).
bench:
	$(Q)scripts/bench

# exotic-fuzz against the driver in the test VM (FUZZ_DURATION, 300 s).
fuzz:
	$(Q)scripts/fuzz

# Each driver defect the driver-safety work fixed (tests/mutants/*.patch),
# put back into a copy of the driver: does the fuzzer's default run find it?
# One stock test VM per mutant, plus the unmutated control (not part of
# make check; MUTANTS="NN ..." for some only).
fuzz-mutants:
	$(Q)scripts/fuzz-mutants $(MUTANTS)

# The conformance matrix and the reproducers, and the grid of what they
# measured (docs/matrix-grid.md): every available profile but the debug kernel's (debug, debug-patched), or
# KERNELS="stock upstream ..." (those), or KERNELS=all (every profile but
# debug, failing when one is not available here, with what provides it).
matrix:
	$(Q)MATRIX_COMMAND='make matrix$(if $(KERNELS), KERNELS=$(if $(word 2,$(KERNELS)),"$(KERNELS)",$(KERNELS)))' \
		scripts/matrix $(if $(filter all,$(KERNELS)),--all,$(foreach k,$(KERNELS),--profile $(k)))

# KVM modules with kernel-patches/6.1 applied, for the patched profile;
# with KSET=SET, kernel-patches/X.Y applied to that kernel set's KVM, into
# $(BUILD)/kvm-patched-SET (KSET=upstream: the upstream-patched profile).
kvm-patched:
	$(Q)scripts/kvm-patched $(if $(KSET),--set $(KSET))

# The same series built against the debug kernel's build tree (make
# kernel-debug), with its KASAN/lockdep instrumentation and vermagic, into
# $(BUILD)/kvm-patched-debug: the debug-patched profile.
kvm-patched-debug:
	$(Q)scripts/kvm-patched --debug

# The same series cross-built for arm64 (arch/arm64/kvm and virt/kvm of the
# pinned source, defconfig with KVM=y, no warnings), into
# $(BUILD)/kvm-patched-arm64: the generic lookup's other users build.
kvm-patched-arm64:
	$(Q)scripts/kvm-patched --arch arm64

# KVM's own selftests (a memslot/MMU subset) on stock and patched, compared.
kvm-selftests: kvm-patched
	$(Q)scripts/kvm-selftests

lint:
	$(Q)scripts/lint

install: lib
	$(Q)scripts/install "$(DESTDIR)" "$(PREFIX)" "$(LIBDIR)" "$(INCDIR)" "$(BINDIR)" "$(UDEVDIR)" "$(BUILD)"

clean:
	rm -rf $(BUILD)

help:
	@sed -n 's/^#   //p' Makefile
	@echo "targets: all lib examples tools tests driver driver-all driver-debug kernel-debug kernels deps check check-debug check-unit check-vm vm-shell storm bench fuzz fuzz-mutants matrix kvm-patched kvm-patched-debug kvm-patched-arm64 kvm-selftests lint install clean"

.PHONY: all lib examples tools tests driver driver-all driver-debug kernel-debug kernels deps check check-debug check-unit check-vm vm-shell storm bench fuzz fuzz-mutants matrix kvm-patched kvm-patched-debug kvm-patched-arm64 kvm-selftests lint install clean help

-include $(shell find $(BUILD)/obj $(BUILD)/bin $(BUILD)/tools $(BUILD)/tests -name '*.d' 2>/dev/null)

# The kernel pinning logic is a tool of its own (scripts/deps compiles it
# before anything else exists) and is unit tested.
$(BUILD)/tools/exotic-pin: tools/pin/pin.c tools/pin/main.c tools/pin/pin.h
	@mkdir -p $(dir $@)
	$(V_CC)$(CC) $(ALL_CFLAGS) -o $@ tools/pin/pin.c tools/pin/main.c
tools: $(BUILD)/tools/exotic-pin
UNIT_EXTRA_test_pin := tools/pin/pin.c
UNIT_EXTRA_test_cli := examples/common/cli.c
$(BUILD)/tests/unit/test_cli: $(EX_COMMON) $(wildcard examples/common/*.h)

# test_matrix_diff links exotic-matrix's --diff and the JSON reader (the
# rule's -MF keeps only the test's own dependencies: name them here)
UNIT_EXTRA_test_matrix_diff := examples/common/json.c examples/exotic-matrix/diff.c
$(BUILD)/tests/unit/test_matrix_diff: $(UNIT_EXTRA_test_matrix_diff) $(wildcard examples/exotic-matrix/*.h) \
	examples/common/json.h tests/unit/fixtures/repro-stock-6.1.json
# exotic-fuzz's generator and C emitter (which .incbin's repro-prelude.h,
# touch.h, the driver's uapi header and the library's refcount judge)
UNIT_EXTRA_test_fuzz_emit := examples/exotic-fuzz/gen.c examples/exotic-fuzz/emit.c
$(BUILD)/tests/unit/test_fuzz_emit: $(wildcard examples/exotic-fuzz/*.h) examples/exotic-fuzz/gen.c examples/exotic-fuzz/emit.c \
	driver/include/uapi/exotic_uapi.h libexotic/pageref.h libexotic/pageref.c
# exotic-fuzz's ops against the fake driver
FUZZ_EXEC := examples/exotic-fuzz/exec.c examples/exotic-fuzz/pinners.c \
	     examples/exotic-fuzz/probe.c examples/exotic-fuzz/gen.c
UNIT_EXTRA_test_fuzz_exec := $(FUZZ_EXEC)
$(BUILD)/tests/unit/test_fuzz_exec: $(wildcard examples/exotic-fuzz/*.h) $(FUZZ_EXEC) \
	driver/include/uapi/exotic_uapi.h
$(BUILD)/bin/exotic-fuzz: driver/include/uapi/exotic_uapi.h libexotic/pageref.h libexotic/pageref.c
# test_driver_attack's SIGKILL test is exotic-fuzz's kill probe
VM_EXTRA_test_driver_attack := examples/exotic-fuzz/probe.c
$(BUILD)/tests/vm/test_driver_attack: examples/exotic-fuzz/probe.c examples/exotic-fuzz/probe.h
# test_bench links exotic-bench's pure parts and --compare
UNIT_EXTRA_test_bench := examples/common/json.c examples/exotic-bench/stats.c \
	examples/exotic-bench/doc.c examples/exotic-bench/compare.c examples/exotic-bench/targets.c
$(BUILD)/tests/unit/test_bench: $(UNIT_EXTRA_test_bench) examples/exotic-bench/bench.h examples/common/json.h
# test_bench (guest) reads the JSON with the tools' reader
VM_EXTRA_test_bench := examples/common/json.c
$(BUILD)/tests/vm/test_bench: examples/common/json.c examples/common/json.h
