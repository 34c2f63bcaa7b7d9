#!/bin/bash
# mkinitramfs.sh: the test initramfs for Linux domains, a newc cpio of the
# static busybox (with its applet links), the project's /init
# (tests/linux/init.c, linked statically), the dom0 driver PRIVCMD_KO
# (tools/dom0/privcmd, built by the Makefile) as /lib/modules/privcmd.ko,
# which /init loads, its test tool /bin/privcmd-test
# (tests/linux/privcmd_test.c, static), the bench workloads /bin/linux-bench
# (tests/linux/linux_bench.c, static), and the kernel's ACPI button and
# evdev modules from MODULES_DIR (the kernel package's
# lib/modules/VERSION) as /lib/modules/button.ko and evdev.ko, which /init
# loads for busybox acpid.
#
#   scripts/mkinitramfs.sh BUSYBOX PRIVCMD_KO MODULES_DIR OUTPUT
set -euo pipefail

die() { echo "mkinitramfs.sh: $*" >&2; exit 1; }

[ $# -eq 4 ] ||
    die "usage: mkinitramfs.sh BUSYBOX PRIVCMD_KO MODULES_DIR OUTPUT"
repo=$(cd "$(dirname "$0")/.." && pwd)
busybox=$1
privcmd_ko=$2
modules=$3
out=$4
[ -x "$busybox" ] || die "$busybox: not an executable"
[ -f "$privcmd_ko" ] || die "$privcmd_ko: no such module"
for ko in acpi/button.ko input/evdev.ko; do
    [ -f "$modules/kernel/drivers/$ko" ] ||
        die "$modules/kernel/drivers/$ko: no such module"
done
command -v cpio >/dev/null || die "cpio missing"
cc=${CC:-gcc}

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree"/{bin,sbin,dev,proc,sys,tmp,etc,lib/modules}
cp "$busybox" "$tree/bin/busybox"
for applet in $("$busybox" --list); do
    [ -e "$tree/bin/$applet" ] || ln -s busybox "$tree/bin/$applet"
done
"$cc" -static -O2 -Wall -Wextra -Werror -o "$tree/init" \
    "$repo/tests/linux/init.c"
# Without its debug sections, as Debian ships its modules.
strip --strip-debug -o "$tree/lib/modules/privcmd.ko" "$privcmd_ko"
cp "$modules/kernel/drivers/acpi/button.ko" \
   "$modules/kernel/drivers/input/evdev.ko" "$tree/lib/modules/"
"$cc" -std=gnu11 -static -O2 -Wall -Wextra -Werror \
    -I"$repo/xen/include" -I"$repo/tools/include" \
    -o "$tree/bin/privcmd-test" "$repo/tests/linux/privcmd_test.c"
"$cc" -std=gnu11 -static -pthread -O2 -Wall -Wextra -Werror \
    -I"$repo/xen/include" -I"$repo/tools/include" \
    -o "$tree/bin/linux-bench" "$repo/tests/linux/linux_bench.c"

# Sorted, owned by root, no timestamps from the build: the same inputs
# give the same archive.
(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc -R 0:0 --reproducible) > "$out.part"
mv "$out.part" "$out"
