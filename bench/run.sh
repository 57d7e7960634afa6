#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Xeno's benchmark driver (what `make bench` runs once the release build
# exists): runs the host benchmarks, boots the release image under QEMU with
# bench=alloc, times QEMU's start to Xeno's banner, and writes
# bench/results/latest.json, latest.md and alloc.png (bench/report.py).
# Anything missing (a benchmark, the image, gnuplot) is skipped with a
# message. docs/testing.md explains the figures.
#
# Usage: bench/run.sh [--runs N] [--cpus "1 4"] [--host-runs N]
#   --runs N        boots per configuration, medians over them (default 5)
#   --cpus LIST     vCPU counts to boot with (default "1 4")
#   --host-runs N   runs of each host benchmark (default 3)
# Environment: XENO_BENCH_BUILD (default build/release), XENO_ACCEL
# (default tcg here), XENO_BENCH_CMDLINE (default "bench=alloc,pf,syscall"),
# XENO_BENCH_BOOT_CMDLINE (for the boot timing; default empty),
# XENO_BENCH_MEM (MiB, default 256), XENO_BENCH_TIMEOUT (seconds per run,
# default 900), XENO_BENCH_RESULTS (output directory, default bench/results).
set -euo pipefail

cd "$(dirname "$0")/.."

build=${XENO_BENCH_BUILD:-build/release}
runs=5
host_runs=3
cpus_list="1 4"
mem=${XENO_BENCH_MEM:-256}
tmo=${XENO_BENCH_TIMEOUT:-900}
bench_cmdline=${XENO_BENCH_CMDLINE:-bench=alloc,pf,syscall}
boot_cmdline=${XENO_BENCH_BOOT_CMDLINE:-}
# The in-QEMU figures are defined against TCG (DESIGN §10).
export XENO_ACCEL=${XENO_ACCEL:-tcg}

die() {
	echo "bench: $*" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) [ $# -ge 2 ] || die "--runs needs a number"; runs=$2; shift 2 ;;
	--host-runs) [ $# -ge 2 ] || die "--host-runs needs a number"; host_runs=$2; shift 2 ;;
	--cpus) [ $# -ge 2 ] || die "--cpus needs a list"; cpus_list=$2; shift 2 ;;
	-h | --help) sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done
for n in "$runs" "$host_runs" $cpus_list; do
	[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "'$n' is not a positive number"
done

image=$build/xeno.elf
raw=$build/bench-raw
results=${XENO_BENCH_RESULTS:-bench/results}
rm -rf "$raw"
mkdir -p "$raw" "$results"
: >"$raw/skipped.txt"
: >"$raw/failures.txt"

skip() {
	echo "bench:   skip: $*"
	echo "$*" >>"$raw/skipped.txt"
}
failure() {
	echo "bench:   FAILED: $*"
	echo "$*" >>"$raw/failures.txt"
}
count_lines() { grep -c 'XENO-BENCH' "$1" 2>/dev/null || true; }

# ---- 1. host benchmarks ------------------------------------------------------

echo "bench: [1/4] host benchmarks ($build/host/bench/bench_*, $host_runs runs each)"
host_bins=()
while IFS= read -r bin; do
	host_bins+=("$bin")
done < <(find "$build/host/bench" -maxdepth 1 -type f -name 'bench_*' -perm -u+x 2>/dev/null | sort)
if [ ${#host_bins[@]} -eq 0 ]; then
	skip "no host benchmarks in $build/host/bench/ (make bench builds them)"
fi
for bin in "${host_bins[@]}"; do
	name=$(basename "$bin")
	for ((r = 1; r <= host_runs; r++)); do
		out=$raw/host__${name}__$r.bench
		rc=0
		timeout -k 10 "$tmo" "$bin" >"$out" 2>"$raw/host__${name}__$r.stderr" </dev/null || rc=$?
		if [ "$rc" -ne 0 ]; then
			# A failed run's figures are not used.
			mv "$out" "${out%.bench}.failed"
			failure "$name run $r: exit status $rc (see $raw/host__${name}__$r.stderr)"
		else
			echo "bench:   $name run $r/$host_runs: $(count_lines "$out") XENO-BENCH lines"
		fi
	done
done

# ---- 2. in-QEMU benchmarks ----------------------------------------------------

echo "bench: [2/4] in-QEMU benchmarks ($image, '$bench_cmdline', vCPUs: $cpus_list, $runs runs each)"
if [ ! -f "$image" ]; then
	skip "no release image $image (make bench builds it): in-QEMU benchmarks and boot times"
else
	for cpus in $cpus_list; do
		for ((r = 1; r <= runs; r++)); do
			out=$raw/qemu-${cpus}cpu__bench__$r.bench
			err=$raw/qemu-${cpus}cpu__bench__$r.runner
			rc=0
			tools/qemu-run.sh --cpus "$cpus" --mem "$mem" --timeout "$tmo" \
				--kernel "$image" --log "$out" -- "$bench_cmdline" 2>"$err" || rc=$?
			[ -s "$raw/accel.txt" ] ||
				sed -n 's/^qemu-run: accelerator //p' "$err" >"$raw/accel.txt"
			if [ "$rc" -ne 0 ]; then
				failure "QEMU $cpus vCPU run $r: $(tail -n 1 "$err" | sed 's/^qemu-run: //')"
				mv "$out" "${out%.bench}.failed"
			else
				echo "bench:   $cpus vCPU run $r/$runs: $(count_lines "$out") XENO-BENCH lines"
			fi
		done
	done
fi

# ---- 2b. PV guest benchmarks ----------------------------------------------------

# bench/pv-benches.txt lists the guests that measure hypercalls, bounces,
# events and MMU operations from inside a domain on the release hypervisor
# (docs/testing.md).
list=${XENO_BENCH_PV_LIST:-bench/pv-benches.txt}
echo "bench: [2b/4] PV guest benchmarks ($list, $runs runs each)"
if [ ! -f "$image" ]; then
	skip "no $image (make bench builds it): PV guest benchmarks"
else
	while IFS='|' read -r src ncpu mods bmem bcmd; do
		src=$(echo "$src" | xargs)
		ncpu=$(echo "$ncpu" | xargs)
		bmem=$(echo "$bmem" | xargs)
		bmem=${bmem:-$mem}
		bcmd=$(echo "$bcmd" | xargs)
		[ -n "$src" ] && [ "${src#\#}" = "$src" ] || continue
		args=()
		missing=
		IFS=$'\n' read -r -d '' -a parts < <(echo "$mods" | sed 's/ ++ /\n/g' && printf '\0') || true
		for m in "${parts[@]}"; do
			m=$(echo "$m" | xargs)
			[ -n "$m" ] || continue
			[ -f "${m%% *}" ] || missing=${m%% *}
			args+=(--module "$m")
		done
		if [ -n "$missing" ]; then
			skip "no $missing (make bench builds it): PV benchmark $src"
			continue
		fi
		for ((r = 1; r <= runs; r++)); do
			out=$raw/${src}__guest__$r.bench
			err=$raw/${src}__guest__$r.runner
			rc=0
			tools/qemu-run.sh --cpus "$ncpu" --mem "$bmem" --timeout "$tmo" \
				--kernel "$image" "${args[@]}" --log "$out" ${bcmd:+-- "$bcmd"} \
				2>"$err" </dev/null || rc=$?
			if [ "$rc" -ne 0 ]; then
				failure "PV benchmark $src run $r: $(tail -n 1 "$err" | sed 's/^qemu-run: //')"
				mv "$out" "${out%.bench}.failed"
			else
				echo "bench:   $src run $r/$runs: $(count_lines "$out") XENO-BENCH lines"
			fi
		done
	done <"$list"
fi

# ---- 3. boot time ---------------------------------------------------------------

echo "bench: [3/4] QEMU start to banner (cmdline '$boot_cmdline', vCPUs: $cpus_list, $runs runs each)"
if [ -f "$image" ]; then
	for cpus in $cpus_list; do
		for ((r = 1; r <= runs; r++)); do
			serial=$raw/boot-${cpus}cpu__serial__$r.log
			out=$raw/boot-${cpus}cpu__banner__$r.bench
			if bench/report.py banner-time --name "boot_${cpus}cpu" --log "$serial" \
				--timeout "$tmo" --runner-log "$raw/boot-${cpus}cpu__banner__$r.runner" -- \
				tools/qemu-run.sh --cpus "$cpus" --mem "$mem" --timeout "$tmo" \
				--kernel "$image" --log "$serial" -- "$boot_cmdline" >"$out"; then
				echo "bench:   $cpus vCPU run $r/$runs: $(sed 's/^XENO-BENCH [^ ]* //' "$out")"
			else
				failure "boot time, $cpus vCPU run $r: no banner (see $serial)"
			fi
		done
	done
fi
[ -s "$raw/accel.txt" ] || echo "$XENO_ACCEL (XENO_ACCEL; nothing booted)" >"$raw/accel.txt"

# ---- 4. report ------------------------------------------------------------------

echo "bench: [4/4] report -> $results/"
status=0
bench/report.py report --raw "$raw" --out "$results" || status=$?
if [ -s "$raw/failures.txt" ]; then
	echo "bench: $(wc -l <"$raw/failures.txt") run(s) failed; raw data in $raw/"
fi
exit "$status"
