#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Turns `nm -n` output (a file, or - for standard input, or /dev/null for an
# empty table) into an assembler file holding the hypervisor's table of
# function symbols, sorted by address, for backtraces (symbols.c).
#
# Usage: nm -n build/xeno.elf | tools/gensyms.sh - > syms.S
set -euo pipefail
src=${1:--}
awk 'BEGIN { n = 0 }
$2 ~ /^[tTwW]$/ && $3 !~ /^\./ && $3 !~ /^__/ { addr[n] = $1; name[n] = $3; n++ }
END {
	print "\t.section .syms, \"a\""
	print "\t.balign 8"
	print "\t.globl symtab_nr, symtab_addr, symtab_off, symtab_names"
	print "symtab_nr:\n\t.quad " n + 0
	print "symtab_addr:"
	for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
	print "symtab_off:"
	off = 0
	for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
	print "symtab_names:"
	for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
}' "$src"
