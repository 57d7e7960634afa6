#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Boots Xeno under QEMU and exits with Xeno's own exit status, decoded from
# the isa-debug-exit device (QEMU exits with (status << 1) | 1).
#
# Usage: tools/qemu-run.sh [options] [-- XENO-COMMAND-LINE...]
#   --cpus N        virtual CPUs (default 1)
#   --mem MiB       guest RAM in MiB (default 256)
#   --kernel ELF    boot ELF with QEMU's multiboot loader (default build/xeno.elf)
#   --module "PATH ARGS"
#                   a boot module (repeatable, in order): a guest kernel and
#                   its domain options (docs/domains.md); needs --kernel
#   --iso ISO       boot a GRUB ISO (tools/mkiso.sh) from the CD-ROM instead;
#                   the command line is the one baked into the ISO
#   --timeout SEC   kill QEMU after SEC seconds (default 120; 0 = none)
#   --log FILE      serial log (default: a new temporary file, kept)
#   --verbose       also copy the serial output to stdout as it arrives
#   --interactive   serial console and QEMU monitor on this terminal, no
#                   timeout (Ctrl-A X quits, Ctrl-A C toggles the monitor)
#   --gdb           start halted with a gdb stub on :1234 (no timeout unless
#                   --timeout is given)
#
# Environment: XENO_ACCEL=auto|tcg|kvm (default auto: hardware KVM only when
# the CPU has vmx/svm and kvm_intel/kvm_amd is loaded), XENO_QEMU (the QEMU
# binary, default qemu-system-x86_64), XENO_QEMU_ARGS (extra QEMU arguments,
# split on spaces).
#
# Exit status: 0..7 Xeno's status (0 OK, 1 TEST_FAIL, 2 PANIC, 3 EXCEPTION,
# 4 BAD_BOOT, 5 NO_MEMORY, 6 CPU, 7 FATAL); 124 timeout; 125 no exit status
# (reset or triple fault, or QEMU was quit or killed); 126 the runner or QEMU
# could not run (bad option, missing image, QEMU error).
set -euo pipefail

cd "$(dirname "$0")/.."

prog="qemu-run"
cpus=1
mem=256
kernel=build/xeno.elf
iso=
modules=()
timeout_s=
log=
verbose=0
interactive=0
gdb=0

say() { echo "$prog: $*" >&2; }
die() {
	say "$*"
	exit 126
}
usage() {
	sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 126
}
need_arg() { [ "$2" -ge 2 ] || die "option $1 needs a value"; }

while [ $# -gt 0 ]; do
	case "$1" in
	--cpus) need_arg "$1" $#; cpus=$2; shift 2 ;;
	--mem) need_arg "$1" $#; mem=$2; shift 2 ;;
	--kernel) need_arg "$1" $#; kernel=$2; iso=; shift 2 ;;
	--iso) need_arg "$1" $#; iso=$2; shift 2 ;;
	--module) need_arg "$1" $#; modules+=("$2"); shift 2 ;;
	--timeout) need_arg "$1" $#; timeout_s=$2; shift 2 ;;
	--log) need_arg "$1" $#; log=$2; shift 2 ;;
	--verbose) verbose=1; shift ;;
	--interactive) interactive=1; shift ;;
	--gdb) gdb=1; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	*) say "unknown option '$1'"; usage ;;
	esac
done
cmdline="$*"

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
if ! is_uint "$cpus" || [ "$cpus" -lt 1 ]; then
	die "--cpus wants a positive integer, not '$cpus'"
fi
if ! is_uint "$mem" || [ "$mem" -lt 1 ]; then
	die "--mem wants MiB as a positive integer, not '$mem'"
fi
if [ -z "$timeout_s" ]; then
	# Nobody wants a debugging session or a console cut off after 2 minutes.
	if [ $interactive -eq 1 ] || [ $gdb -eq 1 ]; then timeout_s=0; else timeout_s=120; fi
fi
is_uint "$timeout_s" || die "--timeout wants seconds, not '$timeout_s'"

qemu=${XENO_QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null 2>&1 || die "$qemu not found (run tools/deps.sh)"

# ---- accelerator ----------------------------------------------------------

# Hardware KVM only when it is really hardware: the software KVM some
# machines expose as /dev/kvm has no vmx/svm flag and no kvm_intel/kvm_amd
# module, and runs ring-0 code far slower than TCG.
hw_kvm_reason() {
	if ! grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null; then
		echo "no vmx/svm flag in /proc/cpuinfo"
		return 1
	fi
	if [ ! -d /sys/module/kvm_intel ] && [ ! -d /sys/module/kvm_amd ]; then
		echo "vmx/svm present but neither kvm_intel nor kvm_amd is loaded"
		return 1
	fi
	if [ ! -w /dev/kvm ]; then
		echo "hardware virtualisation present but /dev/kvm is not writable"
		return 1
	fi
	echo "vmx/svm and a hardware KVM module are present"
}

accel_mode=${XENO_ACCEL:-auto}
case "$accel_mode" in
kvm) accel=kvm; why="XENO_ACCEL=kvm" ;;
tcg) accel=tcg; why="XENO_ACCEL=tcg" ;;
auto | "")
	if why=$(hw_kvm_reason); then accel=kvm; else accel=tcg; fi
	why="auto: $why"
	;;
*) die "XENO_ACCEL must be auto, tcg or kvm, not '$accel_mode'" ;;
esac
if [ "$accel" = kvm ]; then
	accel_args=(-accel kvm -cpu host)
else
	accel_args=(-accel tcg -cpu max)
fi
say "accelerator $accel ($why)"

# ---- the machine ----------------------------------------------------------

# -machine pc: i440FX with ACPI (Xeno finds CPUs through the MADT).
# -nodefaults: no NIC, VGA or default serial; everything used is listed.
# shellcheck disable=SC2054 # the commas are QEMU's option syntax
args=(-machine pc -nodefaults -m "$mem" -smp "$cpus" "${accel_args[@]}"
	-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04)

if [ -n "$iso" ]; then
	[ -f "$iso" ] || die "ISO $iso not found (build it with tools/mkiso.sh)"
	[ ${#modules[@]} -eq 0 ] || die "--module works with --kernel only"
	args+=(-cdrom "$iso" -boot d)
	[ -z "$cmdline" ] || say "note: --iso ignores the command line '$cmdline' (it is baked into the ISO)"
	image=$iso
else
	[ -f "$kernel" ] || die "kernel $kernel not found (run make)"
	args+=(-kernel "$kernel")
	[ -z "$cmdline" ] || args+=(-append "$cmdline")
	image=$kernel
	if [ ${#modules[@]} -gt 0 ]; then
		# QEMU's -initrd takes "path args,path args"; a comma inside
		# one module's text is written twice.
		initrd=
		for m in "${modules[@]}"; do
			f=${m%% *}
			[ -f "$f" ] || die "module $f not found (run make guests)"
			initrd+="${initrd:+,}${m//,/,,}"
		done
		args+=(-initrd "$initrd")
	fi
fi

if [ -z "$log" ]; then
	log=$(mktemp --suffix=.log "${TMPDIR:-/tmp}/xeno-serial.XXXXXX")
else
	mkdir -p "$(dirname "$log")"
fi
: >"$log"

if [ $interactive -eq 1 ]; then
	# The serial port and the monitor share the terminal (Ctrl-A C switches);
	# everything shown is also written to the log.
	# shellcheck disable=SC2054 # the commas are QEMU's option syntax
	args+=(-display none
		-chardev "stdio,id=con0,mux=on,logfile=$log"
		-serial chardev:con0 -mon chardev=con0,mode=readline)
else
	args+=(-display none -monitor none -serial "file:$log")
fi

if [ $gdb -eq 1 ]; then
	args+=(-s -S)
	say "gdb stub on tcp::1234, CPU halted until gdb continues; attach with:"
	say "  gdb $image -ex 'target remote :1234'"
fi

if [ -n "${XENO_QEMU_ARGS:-}" ]; then
	read -r -a extra <<<"$XENO_QEMU_ARGS"
	args+=("${extra[@]}")
fi

say "serial log: $log"
say "boot $image cpus=$cpus mem=${mem}M cmdline='$cmdline'"

# ---- run ------------------------------------------------------------------

qpid=
tailpid=
# shellcheck disable=SC2317 # called from the trap
cleanup() {
	# Only our own children, by their process ids.
	[ -z "$qpid" ] || kill -TERM "$qpid" 2>/dev/null || true
	[ -z "$tailpid" ] || kill -TERM "$tailpid" 2>/dev/null || true
}
trap 'cleanup; exit 125' TERM INT HUP

# bench/report.py times the boot from this line.
say "starting QEMU"
if [ $interactive -eq 1 ]; then
	rc=0
	"$qemu" "${args[@]}" || rc=$?
else
	runner=()
	if [ "$timeout_s" -gt 0 ]; then
		# --foreground keeps QEMU in our process group, so Ctrl-C and a
		# signal to the group reach it.
		runner=(timeout --foreground -k 10 "$timeout_s")
	fi
	"${runner[@]}" "$qemu" "${args[@]}" </dev/null &
	qpid=$!
	if [ $verbose -eq 1 ]; then
		tail -s 0.1 -n +1 -f --pid="$qpid" "$log" &
		tailpid=$!
	fi
	rc=0
	wait "$qpid" || rc=$?
	qpid=
	if [ -n "$tailpid" ]; then
		wait "$tailpid" || true
		tailpid=
	fi
fi

# ---- decode ---------------------------------------------------------------

status_name() {
	case "$1" in
	0) echo OK ;; 1) echo TEST_FAIL ;; 2) echo PANIC ;; 3) echo EXCEPTION ;;
	4) echo BAD_BOOT ;; 5) echo NO_MEMORY ;; 6) echo CPU ;; 7) echo FATAL ;;
	*) echo UNKNOWN ;;
	esac
}

if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && [ "$timeout_s" -gt 0 ]; }; then
	say "timeout: Xeno did not exit within ${timeout_s}s (serial log: $log)"
	exit 124
fi
if [ "$rc" -eq 0 ]; then
	if [ $interactive -eq 1 ]; then
		say "no exit status (reset or triple fault, or QEMU was quit) (serial log: $log)"
	else
		say "no exit status (reset or triple fault) (serial log: $log)"
	fi
	exit 125
fi
if [ "$rc" -eq 1 ] && ! grep -qa '^XENO-EXIT 0\b' "$log"; then
	# QEMU's own errors also exit with 1, which would decode as status 0;
	# only believe it when Xeno said so on the console.
	say "QEMU failed (exit code 1, no 'XENO-EXIT 0' on the console) (serial log: $log)"
	exit 126
fi
if [ "$rc" -gt 128 ]; then
	# Xeno's statuses are small; codes above 128 are a signal's death.
	say "QEMU was killed by signal $((rc - 128)) (serial log: $log)"
	exit 125
fi
if [ $((rc & 1)) -eq 0 ]; then
	say "QEMU exited with $rc, which is not an isa-debug-exit code (serial log: $log)"
	exit 126
fi
status=$((rc >> 1))
say "Xeno exit status $status ($(status_name "$status")) (serial log: $log)"
exit "$status"
