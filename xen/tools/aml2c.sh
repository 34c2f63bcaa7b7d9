#!/bin/sh
# Compiles an ASL file with iasl (acpica-tools) and writes a C file that
# holds the AML as a byte array:
#   aml2c.sh file.asl out.c name   ->   const u8 name[]; name_len
# iasl's own output goes next to out.c; nothing is written in the tree.
set -e
asl="$1" out="$2" name="$3"
prefix="${out%.c}"
command -v iasl >/dev/null 2>&1 || {
    echo "aml2c.sh: iasl not found (Debian package acpica-tools;" \
         "scripts/install-deps.sh installs it)" >&2
    exit 1
}
iasl -p "$prefix" "$asl" > "$prefix.log" 2>&1 || {
    cat "$prefix.log" >&2
    exit 1
}
{
    echo "/* Generated from $(basename "$asl") by iasl: do not edit. */"
    echo "#include <xen/types.h>"
    echo "const u8 $name[] = {"
    od -An -v -tx1 "$prefix.aml" |
        sed -e 's/ *$//' -e 's/ \([0-9a-f][0-9a-f]\)/ 0x\1,/g'
    echo "};"
    echo "const unsigned int ${name}_len = sizeof($name);"
} > "$out.tmp"
mv "$out.tmp" "$out"
