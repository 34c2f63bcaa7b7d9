#!/bin/bash
# qemu-setup.sh: build the QEMU the tests and `make run` use, into
# build/qemu/bin/qemu-system-x86_64: Debian's own QEMU source (the version
# of the installed qemu-system-x86, Debian's patches applied) plus the
# fixes in scripts/qemu-patches/, each for a QEMU bug that breaks
# xen-lite's SVM runs (docs/known-problems.md says which and why).
#
#   scripts/qemu-setup.sh [--force]
#
# A private apt configuration (scripts/lib/private-apt.sh, deb-src lines
# for bookworm and bookworm-security) downloads the source package;
# dpkg-source unpacks it; only the x86_64 system emulator with TCG is
# configured and built.  Firmware comes from Debian's installed packages
# (the same --firmwarepath as Debian's build).  Needs no root once the
# build dependencies in scripts/install-deps.sh are there.  Idempotent: does
# nothing when the binary exists for the same source version and patches.
set -euo pipefail

die() { echo "qemu-setup.sh: $*" >&2; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib/private-apt.sh"
top=${QEMU_BUILD_DIR:-$repo/build/qemu}
bin=$top/bin/qemu-system-x86_64
mirror=${QEMU_MIRROR:-http://deb.debian.org}
firmware=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu

version=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) ||
    die "qemu-system-x86 is not installed (scripts/install-deps.sh)"
patches=("$repo"/scripts/qemu-patches/*.patch)
want="qemu $version $(cat "${patches[@]}" | sha256sum | cut -d' ' -f1)"

[ "${1:-}" = "--force" ] && rm -rf "$top"
if [ -x "$bin" ] && [ "$(cat "$top/.complete" 2>/dev/null)" = "$want" ]; then
    exit 0
fi
for tool in apt-get dpkg-source meson ninja patch; do
    command -v $tool >/dev/null || die "$tool missing (scripts/install-deps.sh)"
done

rm -rf "$top"
mkdir -p "$top/src" "$top/bin"
log=$top/setup.log
private_apt_init "$top/apt" \
    "deb-src $mirror/debian bookworm main" \
    "deb-src $mirror/debian-security bookworm-security main" ||
    die "no apt keyring"
echo "qemu-setup.sh: building QEMU $version with" \
     "$(cd "$repo" && ls scripts/qemu-patches/*.patch | tr '\n' ' ')" >&2

apt-get "${private_apt_opts[@]}" update >"$log" 2>&1 ||
    { cat "$log" >&2; die "apt-get update (deb-src) failed"; }
# The installed version first; if the archive has moved on, its current one.
(cd "$top/src" &&
 { apt-get "${private_apt_opts[@]}" source --download-only "qemu=$version" ||
   apt-get "${private_apt_opts[@]}" source --download-only qemu; }) \
    >>"$log" 2>&1 || { cat "$log" >&2; die "downloading QEMU's source failed"; }
dsc=$(ls "$top"/src/qemu_*.dsc | head -n 1)
dpkg-source --no-check -x "$dsc" "$top/src/qemu" >>"$log" 2>&1 ||
    { cat "$log" >&2; die "unpacking $dsc failed"; }
for p in "${patches[@]}"; do
    patch -d "$top/src/qemu" -p1 < "$p" >>"$log" 2>&1 ||
        { cat "$log" >&2; die "$(basename "$p") does not apply"; }
done

mkdir -p "$top/obj"
(cd "$top/obj" &&
 ../src/qemu/configure --target-list=x86_64-softmmu \
     --without-default-features --enable-tcg --enable-fdt=system \
     --disable-docs --disable-werror --disable-debug-info \
     --firmwarepath="$firmware" &&
 ninja -j"$(nproc)" qemu-system-x86_64) >>"$log" 2>&1 ||
    { tail -n 40 "$log" >&2; die "building QEMU failed (log: $log)"; }
cp "$top/obj/qemu-system-x86_64" "$bin"
"$bin" --version >>"$log" 2>&1 || { tail -n 5 "$log" >&2; die "$bin does not start"; }
rm -rf "$top/obj" "$top/src" "$top/apt"   # keep the binary and the log
echo "$want" > "$top/.complete"
echo "qemu-setup.sh: $("$bin" --version | head -n 1) ready in $bin" >&2
