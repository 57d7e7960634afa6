# SPDX-License-Identifier: MIT
#
# Host builds, included by the top Makefile (which defines BUILD, Q, CC and
# WARN). Generic code (mm/*.c), the spinlocks and the host arch
# (xen/arch/host/) are compiled twice into static libraries:
#
#   $(BUILD)/host/libxeno.a        unit tests: -O1, XENO_DEBUG, ASan+UBSan
#   $(BUILD)/host/bench/libxeno.a  benchmarks: -O2 -DNDEBUG, no sanitizers
#
# Targets:
#   host-all    every unit test binary ($(BUILD)/host/tests/unit/test_*)
#   host-bench  every host benchmark ($(BUILD)/host/bench/bench_*)
#   unit        builds and runs every unit test, printing cmocka's output;
#               fails if any test binary fails
#
# From xen/common only spinlock.c, parse.c and cmdline.c are taken: the rest
# (console, lib, domains...) is hypervisor-only; the host arch supplies
# printk/panic and libc the string functions.
#
# jemalloc: every host program links it (DESIGN §10). In the sanitized
# unit tests the ASan runtime is loaded first, so its malloc interposes and
# jemalloc stays unused (checked: ASan still reports heap misuse there);
# only the benchmarks, built without sanitizers, really run on jemalloc.

HOST_DIR := $(BUILD)/host
HOST_BENCH_DIR := $(BUILD)/host/bench

HOST_LIB_SRCS := $(wildcard mm/*.c) xen/common/spinlock.c \
	xen/common/parse.c xen/common/cmdline.c xen/common/multiboot.c \
	xen/common/elf_pv.c xen/common/pv_layout.c xen/common/domcfg.c \
	xen/common/exit_work.c \
	$(wildcard xen/arch/host/*.c)
HOST_TEST_SRCS := $(wildcard tests/unit/test_*.c)
HOST_BENCH_SRCS := $(wildcard bench/host/*.c)

HOST_INC := -D__XENO_HOST__ -Ixen/include -Ixen/arch/host/include
HOST_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
HOST_CFLAGS := -std=gnu11 -O1 -g $(HOST_INC) -DXENO_DEBUG $(HOST_SAN) \
	-fno-omit-frame-pointer $(WARN) -MMD -MP
HOST_BENCH_CFLAGS := -std=gnu11 -O2 -g -DNDEBUG $(HOST_INC) \
	-fno-omit-frame-pointer $(WARN) -MMD -MP
HOST_TEST_LIBS := -lcmocka -lpthread -ljemalloc
HOST_BENCH_LIBS := -ljemalloc -lpthread

HOST_LIB_OBJS := $(patsubst %.c,$(HOST_DIR)/obj/%.o,$(HOST_LIB_SRCS))
HOST_TEST_OBJS := $(patsubst %.c,$(HOST_DIR)/obj/%.o,$(HOST_TEST_SRCS))
HOST_TESTS := $(patsubst %.c,$(HOST_DIR)/%,$(HOST_TEST_SRCS))
HOST_BENCH_LIB_OBJS := \
	$(patsubst %.c,$(HOST_BENCH_DIR)/obj/%.o,$(HOST_LIB_SRCS))
HOST_BENCH_OBJS := $(patsubst %.c,$(HOST_BENCH_DIR)/obj/%.o,$(HOST_BENCH_SRCS))
HOST_BENCHES := $(patsubst bench/host/%.c,$(HOST_BENCH_DIR)/%,\
	$(HOST_BENCH_SRCS))

.PHONY: host-all host-bench unit

# Test and benchmark objects are intermediate files of pattern rules; keep
# them so an unchanged build does nothing.
.SECONDARY: $(HOST_TEST_OBJS) $(HOST_BENCH_OBJS)

host-all: $(HOST_TESTS)
host-bench: $(HOST_BENCHES)

# ---- unit tests (sanitized) -------------------------------------------------

$(HOST_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@

$(HOST_DIR)/libxeno.a: $(HOST_LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(HOST_DIR)/tests/unit/%: $(HOST_DIR)/obj/tests/unit/%.o $(HOST_DIR)/libxeno.a
	@mkdir -p $(dir $@)
	@echo "  HOSTLD  $@"
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $^ $(HOST_TEST_LIBS)

# Runs every test binary even after a failure, then fails if any did.
unit: host-all
	$(Q)failed=""; \
	for t in $(HOST_TESTS); do \
		echo "== $$t"; \
		$$t || failed="$$failed $$(basename $$t)"; \
	done; \
	if [ -n "$$failed" ]; then \
		echo "unit: FAILED:$$failed"; exit 1; \
	fi; \
	echo "unit: all $(words $(HOST_TESTS)) test binaries passed"

# ---- host benchmarks (optimised, no sanitizers) -----------------------------

$(HOST_BENCH_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $< (bench)"
	$(Q)$(CC) $(HOST_BENCH_CFLAGS) -c $< -o $@

$(HOST_BENCH_DIR)/libxeno.a: $(HOST_BENCH_LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(HOST_BENCH_DIR)/%: $(HOST_BENCH_DIR)/obj/bench/host/%.o \
		$(HOST_BENCH_DIR)/libxeno.a
	@echo "  HOSTLD  $@"
	$(Q)$(CC) $(HOST_BENCH_CFLAGS) -o $@ $^ $(HOST_BENCH_LIBS)

-include $(HOST_LIB_OBJS:.o=.d) $(HOST_TEST_OBJS:.o=.d)
-include $(HOST_BENCH_LIB_OBJS:.o=.d) $(HOST_BENCH_OBJS:.o=.d)
