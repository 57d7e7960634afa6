# SPDX-License-Identifier: MIT
#
# Test guests: libpv and every guest under tests/guests/. Included by the
# top Makefile (which defines BUILD, Q and CC), or used on its own:
#
#   make -f Makefile -f guest-patches/libpv/libpv.mk guests
#   make -f guest-patches/libpv/libpv.mk guests        (no top Makefile)
#
# Targets:
#   guests         $(BUILD)/guests/libpv.a and $(BUILD)/guests/<name>.elf
#                  for every directory tests/guests/<name>/ (its *.c, *.S)
#   guests-clean   removes $(BUILD)/guests
#
# Guests are 64-bit PV kernels linked at 0xffffffff80000000 by
# guest.lds. libpv itself is built with general registers only, so its
# trap and event paths never touch FPU/SSE state; guests may use SSE.

# Included twice (make -f Makefile -f libpv.mk while the Makefile also
# includes it): only the first copy counts.
ifndef LIBPV_MK_INCLUDED
LIBPV_MK_INCLUDED := 1

BUILD ?= build
Q ?= $(if $(V),,@)
ifeq ($(origin CC),default)
CC := gcc
endif

LIBPV_DIR := guest-patches/libpv
GUESTS_OUT := $(BUILD)/guests
LIBPV_A := $(GUESTS_OUT)/libpv.a
GUEST_LDS := $(LIBPV_DIR)/guest.lds

GUEST_WARN := -Wall -Wextra -Werror -Wshadow -Wcast-qual \
	-Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
GUEST_CFLAGS := -std=gnu11 -ffreestanding -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) \
	-mcmodel=kernel -fno-pie -mno-red-zone -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fcf-protection=none \
	-fno-omit-frame-pointer -fno-strict-aliasing -O2 -g $(GUEST_WARN) \
	-Ixen/include -I$(LIBPV_DIR)/include -MMD -MP
# -fno-tree-loop-distribute-patterns: GCC would otherwise turn the loops
# of memset/memcpy into calls to themselves.
LIBPV_CFLAGS := $(GUEST_CFLAGS) -mgeneral-regs-only \
	-fno-tree-loop-distribute-patterns
GUEST_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=0x1000 \
	-z noexecstack -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
	-T $(GUEST_LDS)

LIBPV_SRCS := $(wildcard $(LIBPV_DIR)/*.c $(LIBPV_DIR)/*.S)
LIBPV_OBJS := $(patsubst $(LIBPV_DIR)/%,$(GUESTS_OUT)/libpv/%.o,$(LIBPV_SRCS))

GUEST_NAMES := $(sort $(patsubst tests/guests/%/,%,\
	$(dir $(wildcard tests/guests/*/*.c tests/guests/*/*.S))))
GUEST_ELFS := $(patsubst %,$(GUESTS_OUT)/%.elf,$(GUEST_NAMES))
GUEST_ALL_OBJS :=

.PHONY: guests guests-clean
guests: $(LIBPV_A) $(GUEST_ELFS)

guests-clean:
	rm -rf $(GUESTS_OUT)

$(GUESTS_OUT)/libpv/%.c.o: $(LIBPV_DIR)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(LIBPV_CFLAGS) -c $< -o $@

$(GUESTS_OUT)/libpv/%.S.o: $(LIBPV_DIR)/%.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(LIBPV_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(LIBPV_A): $(LIBPV_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(GUESTS_OUT)/objs/%.c.o: tests/guests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUESTS_OUT)/objs/%.S.o: tests/guests/%.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

# One link rule per guest: its own objects, then libpv.a.
define GUEST_template
GUEST_OBJS_$(1) := $$(patsubst tests/guests/%,$$(GUESTS_OUT)/objs/%.o,\
	$$(wildcard tests/guests/$(1)/*.c tests/guests/$(1)/*.S))
GUEST_ALL_OBJS += $$(GUEST_OBJS_$(1))
$$(GUESTS_OUT)/$(1).elf: $$(GUEST_OBJS_$(1)) $$(LIBPV_A) $$(GUEST_LDS)
	@echo "  LD      $$@"
	$$(Q)$$(CC) $$(GUEST_LDFLAGS) -o $$@ $$(GUEST_OBJS_$(1)) $$(LIBPV_A)
endef
$(foreach g,$(GUEST_NAMES),$(eval $(call GUEST_template,$(g))))

-include $(LIBPV_OBJS:.o=.d) $(GUEST_ALL_OBJS:.o=.d)

endif # LIBPV_MK_INCLUDED
