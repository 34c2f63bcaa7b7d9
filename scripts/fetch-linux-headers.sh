#!/bin/bash
# fetch-linux-headers.sh: Debian's linux-headers for exactly the kernel
# scripts/fetch-linux.sh fetched (build/linux/version), so the dom0 driver
# (tools/dom0/privcmd) builds out of tree against it with Kbuild:
#
#   linux-headers-$ABI          (-amd64: .config, Module.symvers, generated)
#   linux-headers-${ABI%-amd64}-common    (the headers and top Makefile)
#   linux-kbuild-6.1            (Kbuild's scripts: modpost, objtool, ...)
#
# all of the same Debian version as the kernel, fetched with apt-get
# download and unpacked under build/linux/headers/ (never /usr/src).  The
# -amd64 package's Makefile includes the -common one by its absolute
# /usr/src path; that line is pointed at the unpacked copy.  Prints the
# Kbuild directory (KDIR) on stdout.
#
#   scripts/fetch-linux-headers.sh [--force]
#
# Idempotent: once build/linux/headers/.complete exists nothing is
# fetched again.
set -euo pipefail

die() { echo "fetch-linux-headers.sh: $*" >&2; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd)
linux=${LINUX_DIR:-$repo/build/linux}
top=$linux/headers
stamp=$top/.complete

[ -f "$linux/version" ] ||
    die "$linux/version missing: run scripts/fetch-linux.sh first"
# ABI=6.1.0-NN-amd64, VERSION=6.1.x-y (the kernel package's version)
ABI=$(sed -n 's/^ABI=//p' "$linux/version")
VERSION=$(sed -n 's/^VERSION=//p' "$linux/version")
[ -n "$ABI" ] && [ -n "$VERSION" ] || die "$linux/version is incomplete"
case $ABI in
    6.1.*-amd64) ;;
    *) die "$ABI is not a 6.1 amd64 kernel" ;;
esac
kdir=$top/root/usr/src/linux-headers-$ABI

[ "${1:-}" = "--force" ] && rm -rf "$top"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ABI $VERSION" ]; then
    echo "$kdir"
    exit 0
fi

for tool in apt-get dpkg-deb; do
    command -v "$tool" >/dev/null || die "$tool missing"
done

pkgs="linux-headers-$ABI=$VERSION linux-headers-${ABI%-amd64}-common=$VERSION
      linux-kbuild-6.1=$VERSION"
rm -rf "$top"
mkdir -p "$top/debs" "$top/root"
echo "fetch-linux-headers.sh:" $pkgs >&2
# As in fetch-linux.sh: download as whoever runs this, not as _apt.
# shellcheck disable=SC2086
if ! (cd "$top/debs" &&
      apt-get -q -o "APT::Sandbox::User=$(id -un)" download $pkgs) \
        >"$top/download.log" 2>&1; then
    cat "$top/download.log" >&2
    die "apt-get download failed"
fi
for deb in "$top/debs"/*.deb; do
    dpkg-deb -x "$deb" "$top/root"
done

[ -f "$kdir/Makefile" ] || die "linux-headers-$ABI has no Makefile"
common=$top/root/usr/src/linux-headers-${ABI%-amd64}-common
[ -f "$common/Makefile" ] || die "no $common/Makefile"
sed -i "s|^include /usr/src/linux-headers-[^/]*-common/Makefile$|include $common/Makefile|" \
    "$kdir/Makefile"
grep -qxF "include $common/Makefile" "$kdir/Makefile" ||
    die "$kdir/Makefile does not include the -common Makefile as expected"
# The scripts and tools symlinks are relative (../../lib/linux-kbuild-6.1).
[ -x "$kdir/scripts/mod/modpost" ] || die "no modpost under $kdir/scripts"

echo "$ABI $VERSION" > "$stamp"
echo "$kdir"
