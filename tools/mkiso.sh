#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds a BIOS-bootable GRUB ISO that loads Xeno with multiboot2, its
# console on the first serial port (115200 baud) as well as the screen.
#
# Usage: tools/mkiso.sh ELF ISO [CMDLINE]
#   ELF      the hypervisor image (e.g. build/xeno.elf)
#   ISO      the ISO to write (its directory is created)
#   CMDLINE  Xeno's command line, e.g. "selftest=smp loglvl=2" (optional)
#
# Needs grub-mkrescue with the BIOS (i386-pc) platform, xorriso and mtools'
# mformat (Debian: grub-common grub-pc-bin xorriso mtools; tools/deps.sh).
set -euo pipefail

prog="mkiso"
die() {
	echo "$prog: $*" >&2
	exit 1
}

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	die "usage: tools/mkiso.sh ELF ISO [CMDLINE]"
fi
elf=$1
iso=$2
cmdline=${3:-}

# Paths given relative to the caller's directory stay valid: resolve them
# before anything changes directory.
[ -f "$elf" ] || die "$elf not found (run make)"
elf=$(realpath "$elf")
mkdir -p "$(dirname "$iso")"
iso_name=$iso
iso=$(realpath "$iso")

missing=()
for tool in grub-mkrescue xorriso mformat; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] ||
	die "missing ${missing[*]} (apt-get install grub-common grub-pc-bin xorriso mtools, or run tools/deps.sh)"
# grub-mkrescue silently builds an ISO that cannot boot from BIOS when the
# i386-pc platform files (package grub-pc-bin) are absent.
grub_lib=$(dirname "$(command -v grub-mkrescue)")/../lib/grub/i386-pc
[ -f "$grub_lib/multiboot2.mod" ] ||
	die "GRUB's BIOS platform (i386-pc) is missing (apt-get install grub-pc-bin)"

# A GRUB script word in single quotes is taken literally; a single quote
# inside one is written '\''.
grub_quote() {
	local q="'\\''"
	printf "'%s'" "${1//\'/$q}"
}
args=""
read -r -a words <<<"$cmdline"
for w in "${words[@]}"; do
	args+=" $(grub_quote "$w")"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/xeno-iso.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/boot/grub"
cp "$elf" "$work/root/boot/xeno.elf"
cat >"$work/root/boot/grub/grub.cfg" <<EOF
set timeout=0
serial --unit=0 --speed=115200
terminal_output serial console
multiboot2 /boot/xeno.elf$args
boot
EOF

if ! grub-mkrescue -o "$work/xeno.iso" "$work/root" >"$work/mkrescue.log" 2>&1; then
	cat "$work/mkrescue.log" >&2
	die "grub-mkrescue failed"
fi
mv -f "$work/xeno.iso" "$iso"
echo "$prog: wrote $iso_name (multiboot2 /boot/xeno.elf$args)" >&2
