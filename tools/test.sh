#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Xeno's test driver (what `make test` runs once everything is built):
#   1. the hosted unit tests: every executable test_* below build/host/tests/
#      (cmocka; tests/host.mk puts them in build/host/tests/unit/); each test
#      case counts as one pass or one failure;
#   2. the integration tests in tests/integration/cases.txt, each a boot of
#      Xeno under QEMU through tools/qemu-run.sh, judged by
#      tests/integration/evaluate.py; two run at a time, except that a case
#      with more vCPUs than the machine has cores runs alone.
# Prints "PASS name" or "FAIL name (reason; log: path)" per test (a failed
# integration case also prints the last 30 lines of its serial log, each
# starting "    | "), keeps the
# logs of failures in build/test-logs/ (emptied at the start), and ends with
# the line "N passed, N failed". Exits 1 if a test failed or none ran.
#
# Usage: tools/test.sh [--unit | --integration | --fuzz] [--only REGEX]
#                     [--jobs N]
#   --fuzz          only the short fuzz run (make fuzz-short)
#   --unit          only the unit tests
#   --integration   only the integration tests
#   --only REGEX    only unit binaries / integration cases whose name matches
#   --jobs N        how many tests run at once (default 2)
# Environment: XENO_TEST_TIMEOUT (seconds per integration case, default 120
# or the case's own), XENO_UNIT_TIMEOUT (seconds per unit binary, default
# 600), XENO_BUILD (build directory, default build), XENO_ACCEL (see
# tools/qemu-run.sh), XENO_CASES (another cases file).
set -euo pipefail

cd "$(dirname "$0")/.."

build=${XENO_BUILD:-build}
logs=$build/test-logs
work=$logs/.work
jobs=2
host_cpus=$(nproc 2>/dev/null || echo 1)
log_tail=30
only=
do_unit=1
do_integration=1
do_fuzz=1

die() {
	echo "test: $*" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--unit) do_integration=0; do_fuzz=0; shift ;;
	--integration) do_unit=0; do_fuzz=0; shift ;;
	--fuzz) do_unit=0; do_integration=0; shift ;;
	--only) [ $# -ge 2 ] || die "--only needs a regex"; only=$2; shift 2 ;;
	--jobs) [ $# -ge 2 ] || die "--jobs needs a number"; jobs=$2; shift 2 ;;
	-h | --help) sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive number, not '$jobs'"

rm -rf "$logs"
mkdir -p "$work"

passed=0
failed=0
# shellcheck disable=SC2317 # called from the trap
descendants() {
	local child
	for child in $(pgrep -P "$1" || true); do
		echo "$child"
		descendants "$child"
	done
}
# shellcheck disable=SC2317 # called from the trap
interrupted() {
	echo
	echo "test: interrupted" >&2
	# Stop what we started (jobs, runners, QEMU), each by its process id;
	# the runner passes the signal on to QEMU.
	local pids=()
	read -r -a pids <<<"$(descendants $$ | tr '\n' ' ')"
	[ ${#pids[@]} -eq 0 ] || kill -TERM "${pids[@]}" 2>/dev/null || true
	exit 130
}
trap interrupted INT TERM

# ---- running jobs side by side, reporting in order ----------------------

# Each job is a function run in the background with its index; it writes
# result lines "PASS<TAB>name", "FAIL<TAB>name<TAB>reason" or
# "SKIP<TAB>name" to stdout, which lands in $work/IDX.res when it is done;
# "LOG<TAB>text" lines after a FAIL are printed indented under it (the end
# of the failed case's log, so that a CI transcript shows the cause).
# Results are printed in job order, whatever order the jobs finish in.

report() {
	local verdict name reason
	while IFS=$'\t' read -r verdict name reason; do
		case "$verdict" in
		PASS) echo "PASS $name"; passed=$((passed + 1)) ;;
		FAIL) echo "FAIL $name ($reason)"; failed=$((failed + 1)) ;;
		SKIP) echo "SKIP $name" ;;
		LOG) echo "    | $name${reason:+ $reason}" ;;
		esac
	done <"$work/$1.res"
}

# run_jobs PREFIX COUNT JOB_FUNCTION [PROGRESS_FUNCTION [ALONE_FUNCTION]]
# ALONE_FUNCTION IDX succeeds for a job that must run with no other job
# beside it; it starts once the jobs before it are done, and the next job
# waits for it.
run_jobs() {
	local prefix=$1 count=$2 job=$3 progress=${4:-} alone=${5:-}
	local started=0 next=0 running solo i
	while [ "$next" -lt "$count" ]; do
		while [ "$next" -lt "$started" ] && [ -f "$work/$prefix$next.res" ]; do
			report "$prefix$next"
			next=$((next + 1))
		done
		running=0
		solo=0
		for ((i = next; i < started; i++)); do
			[ -f "$work/$prefix$i.res" ] && continue
			running=$((running + 1))
			[ -z "$alone" ] || ! "$alone" "$i" || solo=1
		done
		if [ "$started" -lt "$count" ] && [ "$running" -lt "$jobs" ] && [ $solo -eq 0 ] &&
			{ [ "$running" -eq 0 ] || [ -z "$alone" ] || ! "$alone" "$started"; }; then
			[ -z "$progress" ] || "$progress" "$started"
			(
				"$job" "$started" >"$work/$prefix$started.tmp" 2>&1 || true
				mv "$work/$prefix$started.tmp" "$work/$prefix$started.res"
			) &
			started=$((started + 1))
		elif [ "$running" -gt 0 ] && ! wait -n 2>/dev/null && ! jobs -r | grep -q .; then
			# Nothing left to wait for, yet results are missing: a job
			# died without writing one.
			for ((i = next; i < started; i++)); do
				[ -f "$work/$prefix$i.res" ] ||
					printf 'FAIL\t%s job %d\tit vanished\n' "$prefix" "$i" >"$work/$prefix$i.res"
			done
		fi
	done
}

# ---- unit tests ------------------------------------------------------------

unit_bins=()
unit_job() {
	local bin=${unit_bins[$1]} name rc=0 out keep results
	name=$(basename "$bin")
	out=$work/unit-$name.log
	keep=$logs/unit-$name.log
	CMOCKA_MESSAGE_OUTPUT=stdout timeout -k 10 "${XENO_UNIT_TIMEOUT:-600}" "$bin" >"$out" 2>&1 </dev/null || rc=$?
	# One result per test case from cmocka's "[ RUN      ] t", "[       OK ] t",
	# "[  FAILED  ] t", "[  ERROR   ] t" and "[  SKIPPED ] t" lines; the
	# "--- detail" lines between RUN and FAILED give the reason. The summary
	# at the end lists the failed tests again: each test counts once.
	results=$(awk -v bin="$name" -v rc="$rc" -v logpath="$keep" '
	function clean(s) { gsub(/\t/, " ", s); return substr(s, 1, 160) }
	function result(verdict, t, why,   id) {
		if (t in seen) return
		seen[t] = 1
		id = "unit/" bin; if (t != "") id = id "/" t
		if (verdict == "FAIL") { printf "FAIL\t%s\t%s; log: %s\n", id, why, logpath; nfail++ }
		else printf "%s\t%s\n", verdict, id
		ntests++
	}
	function exitwhy() {
		if (rc == 124 || rc == 137) return "timeout"
		if (rc > 128) return "killed by signal " (rc - 128)
		return "exit status " rc
	}
	/^\[ RUN      \] / { cur = $4; msg = ""; loc = ""; ubsan = ""; next }
	/^\[[ =A-Z]+\] .*[0-9]+ test\(s\)/ { next }
	/^\[[ A-Z]+\] ---/ {
		d = $0; sub(/^\[[ A-Z]+\] --- */, "", d)
		if ($2 == "LINE") { if (loc == "") loc = d } else if (msg == "") msg = d
		next
	}
	/^\[       OK \] / {
		if ($4 == cur && ubsan != "") result("FAIL", $4, "UBSan: " ubsan)
		else result("PASS", $4)
		cur = ""; next
	}
	/^\[  (FAILED|ERROR) +\] / {
		why = msg; if (why == "") why = "failed"
		if (loc != "") why = why " at " loc
		result("FAIL", $4, clean(why)); cur = ""; next
	}
	/^\[  SKIPPED \] / { if (!($4 in seen)) { seen[$4] = 1; printf "SKIP\tunit/%s/%s\n", bin, $4 }; next }
	/runtime error:/ { if (cur != "" && ubsan == "") ubsan = clean($0) }
	/(Address|Leak|Thread|Memory|UndefinedBehavior)Sanitizer/ { if (san == "") san = clean($0) }
	END {
		why = exitwhy(); if (san != "") why = why ", " san
		if (cur != "") result("FAIL", cur, "no result, " why)
		else if (rc != 0 && nfail == 0) result("FAIL", "", why)
		else if (ntests == 0) result("FAIL", "", "no cmocka results, " why)
	}' "$out")
	# Keep the output of every binary with a failure.
	if grep -q '^FAIL' <<<"$results"; then
		mv "$out" "$keep"
	fi
	printf '%s\n' "$results"
}

if [ $do_unit -eq 1 ]; then
	# tests/host.mk links them as build/host/tests/unit/test_*; any
	# executable test_* below build/host/tests/ counts.
	while IFS= read -r bin; do
		[ -z "$only" ] || [[ "$(basename "$bin")" =~ $only ]] || continue
		unit_bins+=("$bin")
	done < <(find "$build/host/tests" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort)
	if [ ${#unit_bins[@]} -eq 0 ]; then
		echo "unit: no test binaries${only:+ matching /$only/} in $build/host/tests/ (make host-all builds them)"
	else
		echo "unit: ${#unit_bins[@]} test binaries in $build/host/tests/"
		run_jobs unit "${#unit_bins[@]}" unit_job
	fi
fi

# ---- integration tests ------------------------------------------------------

cases=()
evaluate=(tests/integration/evaluate.py)
int_progress() {
	local name kind image cpus mem tmo cmdline mods
	IFS=$'\t' read -r name kind image cpus mem tmo cmdline mods <<<"${cases[$1]}"
	[ "$cmdline" != - ] || cmdline=
	printf '.... [%d/%d] integration/%s: %s %s cpus=%s mem=%sM cmdline="%s"\n' \
		"$(($1 + 1))" "${#cases[@]}" "$name" "$kind" "$image" "$cpus" "$mem" "$cmdline"
}
int_job() {
	local name kind image cpus mem tmo cmdline mods rc=0 serial runner verdict
	IFS=$'\t' read -r name kind image cpus mem tmo cmdline mods <<<"${cases[$1]}"
	serial=$work/$name.serial.log
	runner=$work/$name.runner.log
	local boot=(--kernel "$image") m
	[ "$cmdline" != - ] || cmdline=
	[ "$mods" != - ] || mods=
	while [ -n "$mods" ]; do
		m=${mods%% ++ *}
		boot+=(--module "$m")
		[ "$m" = "$mods" ] && break
		mods=${mods#* ++ }
	done
	if [ "$kind" = iso ]; then
		if ! tools/mkiso.sh "$build/xeno.elf" "$image" "$cmdline" >"$runner" 2>&1; then
			mv "$runner" "$logs/$name.mkiso.log"
			printf 'FAIL\tintegration/%s\ttools/mkiso.sh failed; log: %s\n' "$name" "$logs/$name.mkiso.log"
			return
		fi
		boot=(--iso "$image")
	fi
	tools/qemu-run.sh --cpus "$cpus" --mem "$mem" --timeout "$tmo" --log "$serial" \
		"${boot[@]}" -- "$cmdline" >>"$runner" 2>&1 </dev/null || rc=$?
	if verdict=$("${evaluate[@]}" check "$name" "$serial" "$rc" "$runner" 2>&1); then
		printf 'PASS\tintegration/%s\n' "$name"
	else
		mv "$serial" "$logs/$name.serial.log" 2>/dev/null || : >"$logs/$name.serial.log"
		mv "$runner" "$logs/$name.runner.log"
		printf 'FAIL\tintegration/%s\t%s; log: %s\n' "$name" "$verdict" "$logs/$name.serial.log"
		tail -n "$log_tail" "$logs/$name.serial.log" | tr -cd '\11\12\40-\176' | sed 's/^/LOG\t/'
	fi
}
# A case with more vCPUs than this machine has cores runs alone: beside
# another QEMU its vCPU threads would get a fraction of a core each, and the
# scheduler cases wait for CPU time charged to their guests.
int_alone() {
	local name kind image cpus rest
	IFS=$'\t' read -r name kind image cpus rest <<<"${cases[$1]}"
	[ "$cpus" -gt "$host_cpus" ]
}

if [ $do_integration -eq 1 ]; then
	list_status=0
	list=$("${evaluate[@]}" list "$only" 2>&1) || list_status=$?
	if [ $list_status -ne 0 ]; then
		echo "FAIL integration/cases.txt (${list#evaluate: })"
		failed=$((failed + 1))
	elif [ -n "$list" ]; then
		mapfile -t cases <<<"$list"
	fi
	if [ $list_status -ne 0 ]; then
		:
	elif [ ${#cases[@]} -eq 0 ]; then
		echo "integration: no cases${only:+ matching /$only/}"
	else
		echo "integration: ${#cases[@]} cases, $jobs at a time"
		run_jobs int "${#cases[@]}" int_job int_progress int_alone
	fi
fi

# ---- the short fuzz run ------------------------------------------------------
# One test: a bounded libFuzzer run over the page-type machine with the
# invariant checker after every operation (tests/fuzz/fuzz.mk, fuzz-short).
if [ $do_fuzz -eq 1 ]; then
	echo ".... fuzz/ptype: make fuzz-short"
	if make --no-print-directory fuzz-short >"$logs/fuzz_ptype.log" 2>&1; then
		runs=$(awk '/^stat::number_of_executed_units:/ { print $2 }' "$logs/fuzz_ptype.log")
		echo "PASS fuzz/ptype (${runs:-?} inputs, invariants checked after every operation)"
		rm -f "$logs/fuzz_ptype.log"
		passed=$((passed + 1))
	else
		echo "FAIL fuzz/ptype (crash or invariant violation; log: $logs/fuzz_ptype.log)"
		failed=$((failed + 1))
	fi
fi

rm -rf "$work"
rmdir "$logs" 2>/dev/null || echo "logs of failures: $logs/"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ $((passed + failed)) -gt 0 ]
