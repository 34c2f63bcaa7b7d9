#!/bin/bash
# bochs-run.sh: boot a GRUB ISO on Bochs, non-interactively, with a wall-clock limit.
#
#   scripts/bochs-run.sh [--bochs 2.7|3.0] [--cpus N] [--timeout SECONDS]
#                        [--model MODEL] [--megs MIB] ISO SERIAL_OUT
#
# COM1 goes to SERIAL_OUT. Next to it (same name, extension dropped) are kept
# STEM.bochsrc (the exact config used), STEM.dbg.rc (2.7's debugger script),
# STEM.bochs.log (Bochs' log) and STEM.bochs.out (Bochs' stdout/stderr), so a
# run can be repeated by hand. Bochs ends when the guest writes
# "Shutdown" to port 0x8900.
#
# Exit status: 0  Bochs ended because the guest wrote "Shutdown" to 0x8900
#              2  Bochs ended for another reason (a PANIC such as a triple
#                 fault, or a config error); the reason is printed on stderr
#              124 wall-clock timeout (Bochs was killed)
#              64 usage error, 1 other setup error
# Bochs' own exit status is useless (1 even for a requested shutdown), so the
# verdict about the guest must come from SERIAL_OUT.
set -euo pipefail

usage() {
    echo "usage: bochs-run.sh [--bochs 2.7|3.0] [--cpus N] [--timeout SECONDS] [--model MODEL] [--megs MIB] ISO SERIAL_OUT" >&2
    exit 64
}
die() { echo "bochs-run.sh: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
version=2.7 cpus=2 limit=120 model=corei7_skylake_x megs=512
while [ $# -gt 0 ]; do
    case $1 in
        --bochs)   [ $# -ge 2 ] || usage; version=$2; shift 2 ;;
        --cpus)    [ $# -ge 2 ] || usage; cpus=$2; shift 2 ;;
        --timeout) [ $# -ge 2 ] || usage; limit=$2; shift 2 ;;
        --model)   [ $# -ge 2 ] || usage; model=$2; shift 2 ;;
        --megs)    [ $# -ge 2 ] || usage; megs=$2; shift 2 ;;
        --) shift; break ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# -eq 2 ] || usage
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus wants a positive integer, got '$cpus'"
[[ $limit =~ ^[1-9][0-9]*$ ]] || die "--timeout wants whole seconds, got '$limit'"
[[ $model =~ ^[a-z0-9_]+$ ]] || die "bad --model '$model'"
[[ $megs =~ ^[1-9][0-9]*$ ]] || die "--megs wants MiB as a positive integer, got '$megs'"
[ -f "$1" ] || die "ISO '$1' not found (build it with scripts/mkiso.sh)"

iso=$(realpath "$1")
serial=$(realpath -m "$2")
mkdir -p "$(dirname "$serial")"
# bochsrc values are not shell-quoted; keep paths to what its parser accepts.
for p in "$iso" "$serial"; do
    [[ $p != *[\ ,\"\']* ]] || die "path '$p' must not contain spaces, commas or quotes (bochsrc limitation)"
done
base=$(basename "$serial")
stem=$(dirname "$serial")/${base%.*}
[ "$base" = "${base%.*}" ] && stem=$serial   # no extension: just append
rc_file=$stem.bochsrc log=$stem.bochs.log out=$stem.bochs.out

# Pick the Bochs build. Debian's 2.7 has the debugger compiled in and stops at
# t=0, so it is driven by a debugger script; 3.0 (private unpack, see
# scripts/bochs3-setup.sh) has no debugger and runs through its own loader.
case $version in
    2.7)
        command -v bochs >/dev/null || die "bochs missing (apt-get install bochs bochsbios vgabios bochs-term)"
        bxshare=/usr/share/bochs
        vgabios=/usr/share/vgabios/vgabios.bin
        printf 'continue\nquit\n' > "$stem.dbg.rc"
        cmd=(env BXSHARE="$bxshare" bochs -q -f "$rc_file" -rc "$stem.dbg.rc")
        ;;
    3.0)
        root=${BOCHS3_ROOT:-$(cd "$here/.." && pwd)/build/bochs3/root}
        [ -x "$root/usr/bin/bochs-bin" ] || die "Bochs 3.0 not set up in $root: run scripts/bochs3-setup.sh"
        bxshare=$root/usr/share/bochs
        vgabios=$root/usr/share/vgabios/vgabios.bin
        libdir=$root/usr/lib/x86_64-linux-gnu
        cmd=(env BXSHARE="$bxshare" LTDL_LIBRARY_PATH="$libdir/bochs/plugins"
             "$root/usr/lib64/ld-linux-x86-64.so.2"
             --library-path "$libdir:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu"
             "$root/usr/bin/bochs-bin" -q -f "$rc_file")
        ;;
    *) die "unknown --bochs '$version' (2.7 or 3.0)" ;;
esac

# Recipe from the project's EMULATORS.md design note. Notes:
# - fastboot skips the BIOS boot menu (~17 s otherwise).
# - rfb with timeout=0 needs no VNC client. Port collisions between parallel
#   runs are not an issue: Bochs' rfb server tries ports 5900..5949 in turn
#   and takes the first one it can bind (seen in the log as "Trying port").
# - clock sync=none makes runs deterministic (time follows instructions).
# - quantum must be 1..32 on 2.7.
cat > "$rc_file" <<EOF
megs: $megs
cpu: model=$model, count=$cpus, ips=100000000, quantum=16, reset_on_triple_fault=0
romimage: file=$bxshare/BIOS-bochs-latest, options=fastboot
vgaromimage: file=$vgabios
display_library: rfb, options="timeout=0"
ata0-master: type=cdrom, path=$iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$serial
speaker: enabled=0
clock: sync=none, time0=local
log: $log
panic: action=fatal
EOF
# timeout --foreground keeps Bochs in our process group, so a caller that
# kills our whole group (pytest does) reaches Bochs too. Bochs has no child
# processes, only threads, so --foreground loses nothing. If Bochs ignores
# TERM, KILL follows 5 s later.
run_once() {
    rm -f "$serial" "$log"   # never let a stale log pass for this run's output
    start=$SECONDS
    timeout --foreground --kill-after=5 "$limit" "${cmd[@]}" </dev/null >"$out" 2>&1 &
    child=$!
    rc=0
    wait "$child" || rc=$?
    # A trapped signal interrupts wait (status > 128) before the child is gone.
    while kill -0 "$child" 2>/dev/null; do rc=0; wait "$child" || rc=$?; done
    elapsed=$((SECONDS - start))
}
# Forward our own termination to Bochs instead of leaving it orphaned.
stopped=""
child=""
trap 'stopped=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true' TERM INT HUP
# Bochs' RFB display binds its port with SO_REUSEADDR before listening on
# it, so two Bochs starting together can both bind 5900; the second's
# listen fails, and its loop then calls bind again on the same, already
# bound socket, which fails for every later port: "RFB could not bind any
# port".  Nothing of the guest ran; start it again a moment later.
for attempt in 1 2 3; do
    run_once
    [ -z "$stopped" ] || break
    grep -qs 'RFB could not bind any port' "$out" "$log" || break
    echo "bochs-run.sh: Bochs found no RFB port (another Bochs starting?), starting again" >&2
    sleep $((attempt + RANDOM % 3))
done
[ -z "$stopped" ] || { echo "bochs-run.sh: interrupted, Bochs stopped" >&2; exit 130; }

if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && [ "$elapsed" -ge "$limit" ]; }; then
    echo "bochs-run.sh: timeout after ${limit}s, Bochs killed (serial: $serial)" >&2
    exit 124
fi
# Bochs prints why it stops on stdout ("Bochs is exiting with the following
# message:" and the message on the next line); config errors never reach the
# log file, so look at both.
if grep -qs 'Shutdown port: shutdown requested' "$log" "$out"; then
    exit 0
fi
echo "bochs-run.sh: Bochs $version stopped without a guest shutdown request (status $rc)." >&2
reason=$(grep -A1 'Bochs is exiting with the following message' "$out" 2>/dev/null | tail -n1 || true)
[ -n "$reason" ] || reason=$(grep -hs '>>PANIC<<' "$log" "$out" | tail -n3 || true)
[ -n "$reason" ] || reason=$(tail -n5 "$out")
echo "$reason" | sed 's/^/  /' >&2
echo "  see $log and $out" >&2
exit 2
