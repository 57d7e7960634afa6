#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Installs what building, running and testing Xeno needs on a Debian 12
# machine: the Debian packages below, and QEMU >= 8 for x86 from
# bookworm-backports (Debian 12's own QEMU 7.2 mis-emulates things a PV
# hypervisor relies on). The backports mirror is read from the machine's
# own apt configuration at run time. Run as root it installs; run as
# another user it prints exactly what to install and exits non-zero.
#
# Usage: tools/deps.sh [--check]   (--check: report only, never install)
set -euo pipefail

PKGS=(gcc make binutils grub-pc-bin grub-common xorriso mtools
      libcmocka-dev libjemalloc-dev gnuplot-nox python3 clang-format
      clang libclang-rt-14-dev)
QEMU_MIN_MAJOR=8
check_only=0
[ "${1:-}" = "--check" ] && check_only=1

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

qemu_major() {
	command -v qemu-system-x86_64 >/dev/null 2>&1 || { echo 0; return; }
	qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([0-9]*\).*/\1/p'
}
need_qemu=0
[ "$(qemu_major)" -ge "$QEMU_MIN_MAJOR" ] || need_qemu=1

if [ ${#missing[@]} -eq 0 ] && [ $need_qemu -eq 0 ]; then
	exit 0
fi

# The first Debian mirror named for "bookworm" in the apt configuration,
# in either the deb822 or the one-line format.
mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/{u=$2} /^Suites:/{ for (i=2;i<=NF;i++) if ($i=="bookworm") {print u; exit} }' "$f"
	done | head -n1
	{ grep -hs '^deb .* bookworm ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list || true; } |
		awk '{ for (i=2;i<=NF;i++) if ($i ~ /^(http|https|file):/) {print $i; exit} }' | head -n1
}

if [ "$(id -u)" -ne 0 ] || [ $check_only -eq 1 ]; then
	echo "deps: missing:" >&2
	[ ${#missing[@]} -gt 0 ] && echo "  apt-get install ${missing[*]}" >&2
	[ $need_qemu -eq 1 ] &&
		echo "  QEMU >= $QEMU_MIN_MAJOR: enable bookworm-backports and" \
		     "apt-get install -t bookworm-backports qemu-system-x86" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ $need_qemu -eq 1 ]; then
	m=$(mirror | head -n1)
	if [ -z "$m" ]; then
		echo "deps: no Debian bookworm mirror found in the apt configuration" >&2
		exit 1
	fi
	list=/etc/apt/sources.list.d/xeno-backports.list
	echo "deb $m bookworm-backports main" >"$list"
	echo "deps: using bookworm-backports from $m" >&2
	apt-get update -qq
	apt-get install -y -qq -t bookworm-backports qemu-system-x86 >/dev/null
	if [ "$(qemu_major)" -lt "$QEMU_MIN_MAJOR" ]; then
		echo "deps: QEMU is still older than $QEMU_MIN_MAJOR after the install" >&2
		exit 1
	fi
else
	apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}" >&2
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
