#!/bin/bash
# mkiso.sh: build a BIOS-bootable GRUB ISO that boots a kernel: xen-lite
# through GRUB's Multiboot2 loader, or with --multiboot1 a Multiboot v1
# kernel (the guest test kernels, booted natively) through `multiboot` and
# `module`.
#
#   scripts/mkiso.sh [--multiboot1] OUT.iso KERNEL "ARGS" [MODULE[:ARGS]...]
#
# Bochs cannot load a kernel directly, so its boot tests go through GRUB.
# The ISO holds /boot/<kernel's name>, /boot/modules/N-NAME and a grub.cfg
# that boots at once. Output is byte-for-byte reproducible for the same inputs (fixed
# volume and file dates). Quiet on success; on failure the grub-mkrescue log
# goes to stderr.
set -euo pipefail

die() { echo "mkiso.sh: $*" >&2; exit 1; }

loader=multiboot2 module_cmd=module2
if [ "${1:-}" = --multiboot1 ]; then
    loader=multiboot module_cmd=module
    shift
fi
[ $# -ge 3 ] ||
    die "usage: mkiso.sh [--multiboot1] OUT.iso KERNEL \"ARGS\" [MODULE[:ARGS]...]"
out=$1 kernel=$2 kernel_args=$3
shift 3

# Only the BIOS platform: Bochs' BIOS (and QEMU's SeaBIOS) boot El Torito
# i386-pc images; an EFI image would just add size if grub-efi were installed.
grub_dir=/usr/lib/grub/i386-pc
command -v grub-mkrescue >/dev/null || die "grub-mkrescue missing (apt-get install grub-common grub-pc-bin)"
command -v xorriso >/dev/null || die "xorriso missing (apt-get install xorriso)"
[ -f "$grub_dir/cdboot.img" ] || die "$grub_dir/cdboot.img missing (apt-get install grub-pc-bin)"
[ -f "$kernel" ] || die "kernel '$kernel' not found (run make)"

# grub_quote WORDS: each whitespace-separated word in GRUB single quotes, so
# characters GRUB's script parser treats specially ($ ; { } # ...) reach the
# kernel unchanged. GRUB rebuilds the command line by joining words with one
# space, so runs of spaces collapse, and it puts a backslash before any ' " or
# \ it passes on (it's arrives as it\'s): keep those out of boot options.
# GRUB's loaders (v1 and v2) put no image or module path in front of the
# strings they pass (QEMU's multiboot v1 -kernel/-initrd loader does).
grub_quote() {
    local w q="" words
    read -r -a words <<< "$1"   # split without glob expansion
    for w in "${words[@]}"; do
        q+=" '${w//\'/\'\\\'\'}'"
    done
    printf '%s' "$q"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/mkiso.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/boot/grub" "$root/boot/modules"
name=$(basename "$kernel" | tr -c 'A-Za-z0-9._\n-' '_')   # a safe GRUB path
cp "$kernel" "$root/boot/$name"

mod_lines=""
n=0
for spec in "$@"; do
    # MODULE[:ARGS]: split at the first colon only, so ARGS may contain colons.
    file=${spec%%:*}
    args=""
    [ "$file" != "$spec" ] && args=${spec#*:}
    [ -f "$file" ] || die "module '$file' not found"
    mod=$n-$(basename "$file" | tr -c 'A-Za-z0-9._\n-' '_')
    cp "$file" "$root/boot/modules/$mod"
    mod_lines+="    if $module_cmd /boot/modules/$mod$(grub_quote "$args"); then true; else fail_boot '$module_cmd $mod'; fi"$'\n'
    n=$((n + 1))
done

# grub.cfg notes:
# - timeout=0 + hidden menu: boot at once, nothing waits for a key.
# - GRUB stays on the VGA console; COM1 belongs to the kernel so the
#   serial log holds only its output. pager=0 so no "--MORE--" ever waits.
# - If GRUB cannot load something, say why on COM1 (the only place a test
#   reads) and end the emulator at once instead of sitting at an error prompt
#   until the wall-clock timeout: "Shutdown" on port 0x8900 ends Bochs,
#   0xf4 is QEMU's isa-debug-exit (QEMU then exits with status 0x21).
cat > "$root/boot/grub/grub.cfg" <<EOF
set timeout=0
set timeout_style=hidden
set default=0
set pager=0
terminal_input console
terminal_output console

function fail_boot {
    serial --unit=0 --speed=115200
    terminal_output serial
    echo "GRUB: \$1 failed; $name not booted (grub.cfg from mkiso.sh)"
    for c in 0x53 0x68 0x75 0x74 0x64 0x6f 0x77 0x6e; do outb 0x8900 \$c; done
    outb 0xf4 0x10
    halt
}

menuentry '$name' {
    if $loader /boot/$name$(grub_quote "$kernel_args"); then true; else fail_boot $loader; fi
${mod_lines}    boot
    fail_boot boot
}
EOF

# Fixed dates make the ISO reproducible: grub-mkrescue otherwise stamps the
# volume with the current time and the copied GRUB files with their mtimes.
# Arguments after "--" are native xorriso commands.
epoch=946684800   # 2000-01-01 00:00:00 UTC
mkdir -p "$(dirname "$out")"
if ! SOURCE_DATE_EPOCH=$epoch grub-mkrescue -d "$grub_dir" \
        --fonts= --locales= --themes= \
        -o "$work/out.iso" "$root" -- \
        -volume_date uuid 2000010100000000 \
        -volume_date all_file_dates 2000010100000000 \
        >"$work/mkrescue.log" 2>&1; then
    cat "$work/mkrescue.log" >&2
    die "grub-mkrescue failed"
fi
mv -f "$work/out.iso" "$out"
