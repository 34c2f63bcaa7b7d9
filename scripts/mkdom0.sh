#!/bin/bash
# mkdom0.sh: dom0's image, the test initramfs (scripts/mkinitramfs.sh:
# busybox, /init, privcmd.ko) plus the toolstack and what it starts:
#   /bin/xl-lite and the shared libraries it loads, with the dynamic
#     loader, copied from this Debian system's packages (libxml2, yajl
#     and theirs, found with ldd);
#   /etc/xen-lite/: ready configs, xl.cfg and libvirt XML
#     (tools/dom0/etc);
#   /boot/vmlinux and /boot/initramfs.cpio: Debian's kernel and the test
#     initramfs, for a Linux domU;
#   /boot/guests/: guest test kernels and their environment files, for
#     test-kernel domUs;
#   /bin/hcfuzz: the hypercall fuzzer (tests/fuzz/hcfuzz.c, static);
#   /tests/: the shell scripts of tests/linux, which /init runs with
#     "script=NAME" (the xl-lite tests that need no typing).
#
#   scripts/mkdom0.sh BASE_CPIO XL_LITE VMLINUX GUESTS_DIR OUTPUT
set -euo pipefail

die() { echo "mkdom0.sh: $*" >&2; exit 1; }

[ $# -eq 5 ] || die "usage: mkdom0.sh BASE_CPIO XL_LITE VMLINUX GUESTS_DIR OUTPUT"
repo=$(cd "$(dirname "$0")/.." && pwd)
base=$(realpath "$1")
xl=$2
vmlinux=$3
guests=$4
out=$5
[ -f "$base" ] || die "$base: no such initramfs"
[ -x "$xl" ] || die "$xl: not an executable"
[ -f "$vmlinux" ] || die "$vmlinux: no such kernel"
command -v cpio >/dev/null || die "cpio missing"

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
(cd "$tree" && cpio --quiet -id --no-absolute-filenames < "$base")

install -m 0755 "$xl" "$tree/bin/xl-lite"
# Every library ldd resolves, at the same path, and the loader the
# binary names (PT_INTERP); symlinks followed, so the files are real.
interp=$(readelf -lW "$xl" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ -n "$interp" ] || die "$xl: no program interpreter"
libs=$(ldd "$xl" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
for f in $libs "$interp"; do
    mkdir -p "$tree$(dirname "$f")"
    cp -L "$f" "$tree$f"
done

mkdir -p "$tree/etc/xen-lite" "$tree/boot/guests"
cp "$repo"/tools/dom0/etc/*.cfg "$repo"/tools/dom0/etc/*.xml \
    "$tree/etc/xen-lite/"
cp "$vmlinux" "$tree/boot/vmlinux"
cp "$base" "$tree/boot/initramfs.cpio"
for g in ipi_pingpong; do
    [ -f "$guests/$g.elf" ] || die "$guests/$g.elf: no such guest kernel"
    cp "$guests/$g.elf" "$tree/boot/guests/"
done
cp "$repo"/tools/dom0/etc/guests/*.env "$tree/boot/guests/"
"${CC:-gcc}" -std=gnu11 -static -O2 -Wall -Wextra -Werror \
    -I"$repo/xen/include" -I"$repo/tools/include" \
    -o "$tree/bin/hcfuzz" "$repo/tests/fuzz/hcfuzz.c"
mkdir -p "$tree/tests"
install -m 0755 "$repo"/tests/linux/*.sh "$tree/tests/"

(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc -R 0:0 --reproducible) > "$out.part"
mv "$out.part" "$out"
