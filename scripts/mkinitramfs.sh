#!/bin/bash
# mkinitramfs.sh: the test initramfs for Linux domains, a newc cpio of the
# static busybox (with its applet links) and the project's /init
# (tests/linux/init.c, linked statically).
#
#   scripts/mkinitramfs.sh BUSYBOX OUTPUT
set -euo pipefail

die() { echo "mkinitramfs.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: mkinitramfs.sh BUSYBOX OUTPUT"
repo=$(cd "$(dirname "$0")/.." && pwd)
busybox=$1
out=$2
[ -x "$busybox" ] || die "$busybox: not an executable"
command -v cpio >/dev/null || die "cpio missing"
cc=${CC:-gcc}

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree"/{bin,sbin,dev,proc,sys,tmp,etc}
cp "$busybox" "$tree/bin/busybox"
for applet in $("$busybox" --list); do
    [ -e "$tree/bin/$applet" ] || ln -s busybox "$tree/bin/$applet"
done
"$cc" -static -O2 -Wall -Wextra -Werror -o "$tree/init" \
    "$repo/tests/linux/init.c"

# Sorted, owned by root, no timestamps from the build: the same inputs
# give the same archive.
(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc -R 0:0 --reproducible) > "$out.part"
mv "$out.part" "$out"
