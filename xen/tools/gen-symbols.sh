#!/bin/sh
# Turns `nm -n` output (file or - for stdin) into an assembly file holding
# the hypervisor's text symbols, sorted by address, for stack traces:
#   xen_symbols_nr, xen_symbols_addr[] (.quad), xen_symbols_name[] (.long
#   offsets into xen_symbols_str).
in="$1"
[ "$in" = "-" ] && in=/dev/stdin
awk '
BEGIN { n = 0 }
$2 ~ /^[tTwW]$/ && $3 !~ /^\./ { addr[n] = $1; name[n] = $3; n++ }
END {
    print "\t.section .xen_symbols, \"a\""
    print "\t.balign 8"
    print "\t.globl xen_symbols_nr, xen_symbols_addr, xen_symbols_name"
    print "\t.globl xen_symbols_str"
    print "xen_symbols_nr:\n\t.quad " n + 0
    print "xen_symbols_addr:"
    for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
    print "xen_symbols_name:"
    off = 0
    for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
    print "xen_symbols_str:"
    for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
}' "$in"
