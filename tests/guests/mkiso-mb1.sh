#!/bin/bash
# mkiso-mb1.sh: a BIOS-bootable GRUB ISO that boots one guest test kernel
# natively through GRUB's Multiboot v1 loader (`multiboot` / `module`), for
# Bochs, which cannot load a kernel itself.
#
#   tests/guests/mkiso-mb1.sh OUT.iso KERNEL.elf [ENV_FILE]
#
# ENV_FILE becomes the one Multiboot module (the test's environment file).
# scripts/mkiso.sh is the hypervisor's equivalent and writes multiboot2
# entries, which the test kernels do not have. Quiet on success.
set -euo pipefail

die() { echo "mkiso-mb1.sh: $*" >&2; exit 1; }

[ $# -ge 2 ] && [ $# -le 3 ] ||
    die "usage: mkiso-mb1.sh OUT.iso KERNEL.elf [ENV_FILE]"
out=$1 kernel=$2 env=${3:-}
grub_dir=/usr/lib/grub/i386-pc
command -v grub-mkrescue >/dev/null ||
    die "grub-mkrescue missing (apt-get install grub-common grub-pc-bin)"
command -v xorriso >/dev/null ||
    die "xorriso missing (apt-get install xorriso)"
[ -f "$kernel" ] || die "kernel '$kernel' not found (make -C tests/guests)"
[ -z "$env" ] || [ -f "$env" ] || die "environment file '$env' not found"

work=$(mktemp -d "${TMPDIR:-/tmp}/mkiso-mb1.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/boot/grub"
cp "$kernel" "$work/root/boot/kernel.elf"
module_line=""
if [ -n "$env" ]; then
    cp "$env" "$work/root/boot/env.txt"
    module_line="    if module /boot/env.txt; then true;"
    module_line+=" else fail_boot module; fi"
fi

# As in scripts/mkiso.sh: boot at once, keep COM1 for the kernel, and if
# GRUB cannot load something say so on COM1 and end the emulator instead
# of waiting at a prompt ("Shutdown" on 0x8900 ends Bochs, 0xf4 is QEMU's
# isa-debug-exit).
cat > "$work/root/boot/grub/grub.cfg" <<CFG
set timeout=0
set timeout_style=hidden
set default=0
set pager=0
terminal_input console
terminal_output console

function fail_boot {
    serial --unit=0 --speed=115200
    terminal_output serial
    echo "GRUB: \$1 failed; guest test kernel not booted (mkiso-mb1.sh)"
    for c in 0x53 0x68 0x75 0x74 0x64 0x6f 0x77 0x6e; do outb 0x8900 \$c; done
    outb 0xf4 0x10
    halt
}

menuentry 'guest test kernel' {
    if multiboot /boot/kernel.elf; then true; else fail_boot multiboot; fi
$module_line
    boot
    fail_boot boot
}
CFG

epoch=946684800   # fixed dates: the same inputs give the same ISO
mkdir -p "$(dirname "$out")"
if ! SOURCE_DATE_EPOCH=$epoch grub-mkrescue -d "$grub_dir" \
        --fonts= --locales= --themes= \
        -o "$work/out.iso" "$work/root" -- \
        -volume_date uuid 2000010100000000 \
        -volume_date all_file_dates 2000010100000000 \
        >"$work/mkrescue.log" 2>&1; then
    cat "$work/mkrescue.log" >&2
    die "grub-mkrescue failed"
fi
mv -f "$work/out.iso" "$out"
