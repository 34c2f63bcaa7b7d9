#!/bin/bash
# extract-vmlinux.sh: the uncompressed ELF kernel inside an x86 bzImage.
#
#   scripts/extract-vmlinux.sh BZIMAGE OUTPUT
#
# Follows the x86 boot protocol's setup header (Documentation/x86/boot.rst
# in the kernel tree): "HdrS" at 0x202, the protocol version at 0x206
# (payload fields exist from 2.08), setup_sects at 0x1f1 (0 means 4), and
# payload_offset/payload_length at 0x248/0x24c, the offset counted from
# the protected-mode code at (setup_sects + 1) * 512.  Only xz payloads
# (Debian's) are handled; the result must be an ELF64 file.
set -euo pipefail

die() { echo "extract-vmlinux.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: extract-vmlinux.sh BZIMAGE OUTPUT"
in=$1
out=$2
[ -f "$in" ] || die "$in: no such file"
size=$(stat -c %s "$in")
[ "$size" -ge 1024 ] || die "$in: too short for a setup header"

# Unsigned little-endian integer of $2 bytes at offset $1.
le() { od -An -t "u$2" -j "$1" -N "$2" "$in" | tr -d ' '; }

[ "$(od -An -c -j 0x202 -N 4 "$in" | tr -d ' ')" = "HdrS" ] ||
    die "$in: no boot protocol header (HdrS at 0x202)"
proto=$(le 0x206 2)
[ "$proto" -ge $((0x208)) ] ||
    die "$in: boot protocol $(printf %#x "$proto") has no payload fields"
sects=$(le 0x1f1 1)
[ "$sects" -ne 0 ] || sects=4
poff=$(le 0x248 4)
plen=$(le 0x24c 4)
start=$(( (sects + 1) * 512 + poff ))
[ "$plen" -gt 0 ] && [ "$start" -lt "$size" ] &&
    [ "$plen" -le $(( size - start )) ] ||
    die "$in: payload $poff+$plen lies outside the file"

magic=$(od -An -t x1 -j "$start" -N 6 "$in" | tr -d ' ')
[ "$magic" = "fd377a585a00" ] || die "$in: payload is not xz (magic $magic)"

# The build appends the uncompressed size after the xz stream: read one
# stream and ignore what follows.
dd if="$in" iflag=skip_bytes,count_bytes skip="$start" count="$plen" \
    status=none | xz -dc --single-stream > "$out.part" || die "xz failed"
[ "$(od -An -c -N 5 "$out.part" | tr -d ' ')" = '177ELF002' ] ||
    { rm -f "$out.part"; die "the payload is not an ELF64 file"; }
mv "$out.part" "$out"
