# SPDX-License-Identifier: MIT
#
# Fuzz targets, included by the top Makefile after tests/host.mk (which
# defines HOST_LIB_SRCS and HOST_INC; the top Makefile defines BUILD, Q and
# WARN). Each target is built with clang and libFuzzer, ASan and UBSan
# over the same sources as the host unit-test library, into
# $(BUILD)/fuzz/<target>. There are two:
#   fuzz_ptype  the page-type machine driven by three simulated domains
#               (tests/fuzz/fuzz_ptype.c), seeds in tests/fuzz/corpus/ptype/
#   fuzz_mmu    the MMU hypercalls (mmu_update, mmuext_op,
#               update_va_mapping, xeno_mm_op) from three simulated
#               domains with vCPUs and address spaces
#               (tests/fuzz/fuzz_mmu.c), seeds in tests/fuzz/corpus/mmu/
# Both share their input reader, boot and crash path
# (tests/fuzz/fuzz_common.h).
#
# Targets:
#   fuzz-build  builds every fuzz target
#   fuzz-short  a bounded run of each target from its seeds: FUZZ_RUNS
#               (fuzz_ptype) and FUZZ_MMU_RUNS (fuzz_mmu) executions
#               (about 30 s each on a 2-core machine) with the fixed seed
#               FUZZ_SEED; runs still differ a little, as compared pointer
#               values feed libFuzzer's dictionary. What `make test` runs;
#               it fails on any crash
#   fuzz        the long run: FUZZ_SECONDS (default 3600) seconds for each
#               target of FUZZ_TARGETS (default "ptype mmu"), growing the
#               corpora in $(BUILD)/fuzz/corpus/<name>/, then prints the
#               executions, executions per second, coverage and
#               operations of each (an operation is one step of an input's
#               program, each followed by the invariant checker; the
#               target's own totals line at exit counts them)
# Crash inputs go to $(BUILD)/fuzz/artifacts/; replay one with
#   FUZZ_PTYPE_TRACE=1 $(BUILD)/fuzz/fuzz_ptype <file>
#   FUZZ_MMU_TRACE=1 $(BUILD)/fuzz/fuzz_mmu <file>
# The repository's seed directories are only read, never written.

FUZZ_CC := clang
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_SAN := -fsanitize=fuzzer,address,undefined
FUZZ_CFLAGS = -std=gnu11 -g -O1 $(HOST_INC) -DXENO_DEBUG $(FUZZ_SAN) \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer $(WARN) \
	-MMD -MP
# jemalloc as in every host program; under ASan its malloc stays unused.
FUZZ_LIBS := -ljemalloc -lpthread

FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(HOST_LIB_SRCS))
FUZZ_PTYPE := $(FUZZ_DIR)/fuzz_ptype
FUZZ_PTYPE_SEEDS := tests/fuzz/corpus/ptype
FUZZ_MMU := $(FUZZ_DIR)/fuzz_mmu
FUZZ_MMU_SEEDS := tests/fuzz/corpus/mmu

FUZZ_RUNS ?= 30000
FUZZ_MMU_RUNS ?= 7000
FUZZ_SEED ?= 1
FUZZ_SECONDS ?= 3600
FUZZ_TARGETS ?= ptype mmu
# Inputs up to 2 KiB: several hundred operations, each followed by the
# audit. Longer ones only run slower.
FUZZ_OPTS := -max_len=2048 -timeout=30 -print_final_stats=1 \
	-artifact_prefix=$(FUZZ_DIR)/artifacts/

.PHONY: fuzz-build fuzz-short fuzz

# The harnesses' objects are intermediate files of a pattern rule: keep
# them.
.SECONDARY: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_ptype.o \
	$(FUZZ_DIR)/obj/tests/fuzz/fuzz_mmu.o

fuzz-build: $(FUZZ_PTYPE) $(FUZZ_MMU)

# The invariant checker runs after every operation and is not what is
# fuzzed: without coverage instrumentation (its comparison hooks took
# two thirds of the time) it still has ASan and UBSan.
$(FUZZ_DIR)/obj/mm/mm_audit.o: FUZZ_SAN := -fsanitize=address,undefined

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJS)
	@echo "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ $(FUZZ_LIBS)

# New inputs of the short run go to a scratch directory, emptied first,
# so every run starts from the seeds alone.
fuzz-short: $(FUZZ_PTYPE) $(FUZZ_MMU)
	$(Q)rm -rf $(FUZZ_DIR)/short $(FUZZ_DIR)/short-mmu && \
		mkdir -p $(FUZZ_DIR)/short $(FUZZ_DIR)/short-mmu \
		$(FUZZ_DIR)/artifacts
	$(Q)$(FUZZ_PTYPE) $(FUZZ_OPTS) -runs=$(FUZZ_RUNS) -seed=$(FUZZ_SEED) \
		$(FUZZ_DIR)/short $(FUZZ_PTYPE_SEEDS)
	$(Q)$(FUZZ_MMU) $(FUZZ_OPTS) -runs=$(FUZZ_MMU_RUNS) \
		-seed=$(FUZZ_SEED) $(FUZZ_DIR)/short-mmu $(FUZZ_MMU_SEEDS)

# One long run of target $(1) from seeds $(2). libFuzzer's final
# statistics give the totals; cov: is from its last status line; the
# operations from the target's totals line ("fuzz_<name>: N inputs, M
# operations, ..."). The exit status is the fuzzer's, not tee's.
define fuzz_long
	$(Q)mkdir -p $(FUZZ_DIR)/corpus/$(1) $(FUZZ_DIR)/artifacts
	$(Q){ $(FUZZ_DIR)/fuzz_$(1) $(FUZZ_OPTS) \
		-max_total_time=$(FUZZ_SECONDS) \
		$(FUZZ_DIR)/corpus/$(1) $(2) 2>&1; \
		echo $$? >$(FUZZ_DIR)/fuzz_$(1).rc; } | \
		tee $(FUZZ_DIR)/fuzz_$(1).log; \
	awk '/^stat::number_of_executed_units:/ { n = $$2 } \
	     /^stat::average_exec_per_sec:/ { r = $$2 } \
	     / cov: / { for (i = 1; i < NF; i++) if ($$i == "cov:") c = $$(i + 1) } \
	     /^fuzz_$(1): [0-9]+ inputs, [0-9]+ operations/ { o = $$4 } \
	     END { printf "fuzz: fuzz_$(1): %s executions, %s exec/s, " \
		   "cov %s, %s operations; log: $(FUZZ_DIR)/fuzz_$(1).log\n", \
		   n, r, c == "" ? "?" : c, o == "" ? "?" : o }' \
		$(FUZZ_DIR)/fuzz_$(1).log; \
	exit $$(cat $(FUZZ_DIR)/fuzz_$(1).rc)
endef

fuzz: $(FUZZ_PTYPE) $(FUZZ_MMU)
	$(if $(filter ptype,$(FUZZ_TARGETS)),$(call fuzz_long,ptype,$(FUZZ_PTYPE_SEEDS)))
	$(if $(filter mmu,$(FUZZ_TARGETS)),$(call fuzz_long,mmu,$(FUZZ_MMU_SEEDS)))

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_DIR)/obj/tests/fuzz/fuzz_ptype.d \
	$(FUZZ_DIR)/obj/tests/fuzz/fuzz_mmu.d
