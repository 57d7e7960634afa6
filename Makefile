# SPDX-License-Identifier: MIT
#
# Xeno's build. Targets:
#   make            build/xeno.elf (the hypervisor)
#   make iso        build/xeno.iso (GRUB, multiboot2)
#   make run        boot Xeno under QEMU with the default demo
#   make test       install what is missing, unit + integration tests
#   make bench      benchmarks -> bench/results/
#   make fuzz       long fuzz run (FUZZ_SECONDS, default 3600)
#   make format / check-format
# Options: DEBUG=1 (default; assertions, lock-order checks, self-tests)
#          DEBUG=0 (release), V=1 (show commands)

DEBUG ?= 1
BUILD := build
Q := $(if $(V),,@)

CC := gcc
LD := ld
OBJCOPY := objcopy

# ---- the hypervisor -------------------------------------------------------

XEN_SRCS := $(wildcard xen/arch/x86/*.c xen/arch/x86/*.S xen/arch/x86/pv/*.c \
	xen/common/*.c mm/*.c)
XEN_OBJS := $(patsubst %,$(BUILD)/xen/%.o,$(XEN_SRCS))

WARN := -Wall -Wextra -Werror -Wshadow -Wcast-qual -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
XEN_CFLAGS := -std=gnu11 -ffreestanding -fno-builtin -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) \
	-fpie -fvisibility=hidden -mno-red-zone -mno-mmx -mno-sse -mno-sse2 \
	-mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-omit-frame-pointer -fno-strict-aliasing -fcf-protection=none \
	-O2 -g $(WARN) -Ixen/include -Ixen/arch/x86/include -MMD -MP
ifeq ($(DEBUG),1)
XEN_CFLAGS += -DXENO_DEBUG
else
XEN_CFLAGS += -DNDEBUG
endif
XEN_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=0x1000 \
	-z noexecstack -Wl,--build-id=none -Wl,--no-warn-rwx-segments -T xen/arch/x86/xeno.lds

.PHONY: all iso run test unit integration bench fuzz format check-format \
	clean deps
all: $(BUILD)/xeno.elf

$(BUILD)/xen/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(XEN_CFLAGS) -c $< -o $@

$(BUILD)/xen/%.S.o: %.S $(BUILD)/include/asm/offsets.h
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(XEN_CFLAGS) -I$(BUILD)/include -D__ASSEMBLY__ -c $< -o $@

# Structure offsets for the assembly, from the C layout (asm_offsets.c).
$(BUILD)/include/asm/offsets.h: xen/arch/x86/offsets/asm_offsets.c
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)$(CC) $(XEN_CFLAGS) -MF $(BUILD)/include/asm/offsets.d \
	  -MT $@ -S $< -o $@.s
	$(Q){ echo '/* Generated from $<: do not edit. */'; \
	  sed -n 's/.*->\([A-Z_0-9]*\) \([0-9-]*\).*/#define \1 \2/p' $@.s; } > $@
	$(Q)rm -f $@.s
-include $(BUILD)/include/asm/offsets.d

# The symbol table is linked into the image (for backtraces) in a second
# pass: link once with an empty table, extract the function symbols, link
# again. The table lies after all code, so no function moves.
$(BUILD)/xeno.elf: $(XEN_OBJS) xen/arch/x86/xeno.lds tools/gensyms.sh
	@echo "  LD      $@"
	$(Q)tools/gensyms.sh /dev/null > $(BUILD)/syms0.S
	$(Q)$(CC) $(XEN_CFLAGS) -c $(BUILD)/syms0.S -o $(BUILD)/syms0.o
	$(Q)$(CC) $(XEN_LDFLAGS) -o $@.tmp $(XEN_OBJS) $(BUILD)/syms0.o
	$(Q)nm -n $@.tmp | tools/gensyms.sh - > $(BUILD)/syms.S
	$(Q)$(CC) $(XEN_CFLAGS) -c $(BUILD)/syms.S -o $(BUILD)/syms.o
	$(Q)$(CC) $(XEN_LDFLAGS) -o $@ $(XEN_OBJS) $(BUILD)/syms.o
	$(Q)nm -n $@.tmp | grep ' [tT] ' > $(BUILD)/a.txt; \
	  nm -n $@ | grep ' [tT] ' > $(BUILD)/b.txt; \
	  cmp -s $(BUILD)/a.txt $(BUILD)/b.txt || \
	  { echo "symbol table moved code" >&2; exit 1; }
	$(Q)rm -f $@.tmp $(BUILD)/a.txt $(BUILD)/b.txt

iso: $(BUILD)/xeno.iso
$(BUILD)/xeno.iso: $(BUILD)/xeno.elf tools/mkiso.sh
	$(Q)tools/mkiso.sh $< $@ "$(XENO_CMDLINE)"

-include $(XEN_OBJS:.o=.d)

# ---- host builds: unit tests, fuzzers, host benchmarks ---------------------

include tests/host.mk
include tests/fuzz/fuzz.mk

# ---- guests: libpv and the test guests ---------------------------------------

include guest-patches/libpv/libpv.mk

# ---- running, testing, benchmarking ---------------------------------------

deps:
	$(Q)tools/deps.sh

# The default demo: dom0 and two guests (docs/domains.md).
RUN_MODULES = --module "$(BUILD)/guests/demo.elf mem=16M" \
	--module "$(BUILD)/guests/demo.elf name=ping mem=8M" \
	--module "$(BUILD)/guests/demo.elf name=pong mem=8M"

run: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/xeno.elf guests
	$(Q)tools/qemu-run.sh --interactive --cpus $${XENO_CPUS:-4} \
		--mem $${XENO_MEM:-512} $(RUN_MODULES) -- $(XENO_CMDLINE)

test: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/xeno.elf host-all fuzz-build \
		guests
	$(Q)tools/test.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory DEBUG=0 BUILD=$(BUILD)/release \
		$(BUILD)/release/xeno.elf host-bench
	$(Q)$(MAKE) --no-print-directory guests
	$(Q)bench/run.sh

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h')
format:
	$(Q)clang-format -i $(FORMAT_SRCS)
check-format:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

clean:
	rm -rf $(BUILD)
