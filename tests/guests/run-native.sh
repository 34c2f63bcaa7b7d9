#!/bin/bash
# run-native.sh: run one guest test kernel natively, on bare QEMU TCG or on
# Bochs 2.7, to check the test itself against (emulated) hardware.
#
#   tests/guests/run-native.sh [--bochs] [--bochs-cpu-opt OPT] [--smp N]
#                              [--qemu-device DEV] [--timeout S] [--out DIR]
#                              NAME [key=value ...]
#
# key=value arguments become the environment file (the Multiboot module).
# QEMU: -cpu max, isa-debug-exit at 0xf4, -no-reboot, kernel via -kernel.
# Bochs 2.7: corei7_skylake_x (x2APIC, TSC-deadline) through a GRUB ISO
# with a Multiboot v1 entry (scripts/mkiso.sh --multiboot1) and scripts/bochs-run.sh.
# --bochs-cpu-opt adds an option to the bochsrc "cpu:" line (e.g.
# ignore_bad_msrs=0, which bochs-run.sh has no way to pass); Bochs is then
# started here with the same recipe as bochs-run.sh plus that option.
# --qemu-device adds a QEMU -device (e.g. pc-testdev, which ioapic_lines
# drives its IOAPIC pins with; Bochs has no such device).
# The serial log is printed and kept in DIR (default build/guests/runs).
# Exit status: 0 for a PASS or SKIP verdict, 1 otherwise.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
emu=qemu smp=1 limit=120 out=$root/build/guests/runs cpu_opts=""
qemu_devs=()
usage() {
    echo "usage: run-native.sh [--bochs] [--bochs-cpu-opt OPT] [--smp N]" \
         "[--qemu-device DEV] [--timeout S] [--out DIR] NAME" \
         "[key=value ...]" >&2
    exit 64
}
while [ $# -gt 0 ]; do
    case $1 in
        --bochs)   emu=bochs; shift ;;
        --bochs-cpu-opt)
                   [ $# -ge 2 ] || usage
                   emu=bochs cpu_opts+=", $2"
                   shift 2 ;;
        --smp)     [ $# -ge 2 ] || usage; smp=$2; shift 2 ;;
        --qemu-device)
                   [ $# -ge 2 ] || usage; qemu_devs+=(-device "$2"); shift 2 ;;
        --timeout) [ $# -ge 2 ] || usage; limit=$2; shift 2 ;;
        --out)     [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || usage
name=$1
shift

make -s -C "$here" >/dev/null
kernel=$root/build/guests/$name.elf
[ -f "$kernel" ] || { echo "run-native.sh: no kernel $kernel" >&2; exit 1; }
mkdir -p "$out"
stem=$out/$name-$emu-smp$smp
env_file=""
if [ $# -gt 0 ]; then
    env_file=$stem.env
    printf '%s\n' "$@" > "$env_file"
fi

start=$(date +%s.%N)
rc=0
if [ $emu = qemu ]; then
    serial=$stem.serial.txt
    cmd=(qemu-system-x86_64 -M pc -accel tcg -cpu max -smp "$smp" -m 512
         -nodefaults -display none -serial "file:$serial" -monitor none
         -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
         -kernel "$kernel" ${qemu_devs[@]+"${qemu_devs[@]}"})
    [ -z "$env_file" ] || cmd+=(-initrd "$env_file")
    timeout "$limit" "${cmd[@]}" </dev/null || rc=$?
elif [ -z "$cpu_opts" ]; then
    serial=$stem.serial.txt
    "$root/scripts/mkiso.sh" --multiboot1 "$stem.iso" "$kernel" "" $env_file
    "$root/scripts/bochs-run.sh" --bochs 2.7 --cpus "$smp" --timeout "$limit" \
        "$stem.iso" "$serial" || rc=$?
else
    # scripts/bochs-run.sh's recipe (see EMULATORS.md), plus cpu_opts.
    serial=$stem.serial.txt
    "$root/scripts/mkiso.sh" --multiboot1 "$stem.iso" "$kernel" "" $env_file
    cat > "$stem.bochsrc" <<RC
megs: 512
cpu: model=corei7_skylake_x, count=$smp, ips=100000000, quantum=16, \
     reset_on_triple_fault=0$cpu_opts
romimage: file=/usr/share/bochs/BIOS-bochs-latest, options=fastboot
vgaromimage: file=/usr/share/vgabios/vgabios.bin
display_library: rfb, options="timeout=0"
ata0-master: type=cdrom, path=$stem.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$serial
speaker: enabled=0
clock: sync=none, time0=local
log: $stem.bochs.log
panic: action=fatal
RC
    printf 'continue\nquit\n' > "$stem.dbg.rc"
    rm -f "$serial"
    timeout --kill-after=5 "$limit" env BXSHARE=/usr/share/bochs \
        bochs -q -f "$stem.bochsrc" -rc "$stem.dbg.rc" </dev/null \
        >"$stem.bochs.out" 2>&1 || rc=$?
    # Bochs' status is 1 even for a guest shutdown; tell it apart as
    # bochs-run.sh does.
    if grep -qs 'Shutdown port: shutdown requested' "$stem.bochs.log" \
            "$stem.bochs.out"; then
        rc=0
    elif [ "$rc" -ne 124 ]; then
        rc=2
    fi
fi
secs=$(echo "$(date +%s.%N) - $start" | bc)
cat "$serial"
verdict=$(grep -a '^VERDICT ' "$serial" | tail -n1 | tr -d '\r' || true)
printf 'run-native: %s on %s, %s CPU(s): %s (exit status %s, %.1f s)\n' \
    "$name" "$emu" "$smp" "${verdict:-no verdict}" "$rc" "$secs"
case $verdict in
    "VERDICT $name PASS"*|"VERDICT $name SKIP"*) exit 0 ;;
    *) exit 1 ;;
esac
