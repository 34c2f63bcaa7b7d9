#!/bin/bash
# fetch-linux.sh: Debian bookworm's stock Linux 6.1 kernel and busybox, for
# booting Linux as an xen-lite domain.  Everything lands under build/linux/
# (never in the host's /boot):
#
#   build/linux/version    ABI=, PACKAGE=, VERSION= of the kernel fetched
#                          (so linux-headers-$ABI can be fetched to match)
#   build/linux/debs/      the downloaded .debs
#   build/linux/root/      their contents (dpkg-deb -x)
#   build/linux/bzImage    the kernel as Debian ships it
#   build/linux/vmlinux    the ELF64 image inside it (PVH entry note)
#   build/linux/busybox    the static busybox
#
#   scripts/fetch-linux.sh [--force]
#
# The kernel version is never written down here: it is whatever
# linux-image-amd64 depends on today, resolved through apt.  Idempotent:
# once build/linux/.complete exists nothing is fetched again.
set -euo pipefail

die() { echo "fetch-linux.sh: $*" >&2; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd)
top=${LINUX_DIR:-$repo/build/linux}
stamp=$top/.complete

[ "${1:-}" = "--force" ] && rm -rf "$top"
[ -f "$stamp" ] && [ -f "$top/vmlinux" ] && [ -x "$top/busybox" ] && exit 0

for tool in apt-cache apt-get dpkg-deb xz od; do
    command -v "$tool" >/dev/null || die "$tool missing"
done

# linux-image-amd64 -> linux-image-6.1.0-NN-amd64; the -unsigned package
# holds the same kernel without the Secure Boot signature.
resolve() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: linux-image-\(.*-amd64\)$/\1/p' | head -n 1
}
abi=$(resolve)
if [ -z "$abi" ]; then
    # A fresh CI machine may have no package lists yet.
    [ "$(id -u)" -eq 0 ] ||
        die "cannot resolve linux-image-amd64 (no apt lists?)"
    apt-get update -qq >&2 || die "apt-get update failed"
    abi=$(resolve)
fi
[ -n "$abi" ] || die "apt knows no linux-image-amd64 dependency"
case $abi in
    6.1.*-amd64) ;;
    *) die "linux-image-amd64 resolves to $abi, not a 6.1 kernel" ;;
esac
pkg=linux-image-$abi-unsigned
version=$(apt-cache show "$pkg" 2>/dev/null |
          sed -n 's/^Version: //p' | head -n 1)
[ -n "$version" ] || die "apt has no $pkg"

rm -rf "$top"
mkdir -p "$top/debs" "$top/root"
echo "fetch-linux.sh: $pkg $version and busybox-static" >&2
# As root apt would hand the download to the _apt user, which cannot
# write into build/: download as whoever runs this.
if ! (cd "$top/debs" &&
      apt-get -q -o "APT::Sandbox::User=$(id -un)" download \
          "$pkg=$version" busybox-static) >"$top/download.log" 2>&1; then
    cat "$top/download.log" >&2
    die "apt-get download failed"
fi
for deb in "$top/debs"/*.deb; do
    dpkg-deb -x "$deb" "$top/root"
done

bz=$top/root/boot/vmlinuz-$abi
[ -f "$bz" ] || die "$pkg has no /boot/vmlinuz-$abi"
cp "$bz" "$top/bzImage"
"$repo/scripts/extract-vmlinux.sh" "$top/bzImage" "$top/vmlinux.tmp"
mv "$top/vmlinux.tmp" "$top/vmlinux"
cp "$top/root/bin/busybox" "$top/busybox"
chmod +x "$top/busybox"

printf 'ABI=%s\nPACKAGE=%s\nVERSION=%s\n' "$abi" "$pkg" "$version" \
    > "$top/version"
touch "$stamp"
echo "fetch-linux.sh: $top/vmlinux ($abi, $version)" >&2
