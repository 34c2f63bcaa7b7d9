#!/bin/bash
# install-deps.sh: make sure the Debian packages needed to build xen-lite and
# run its tests are installed. Used by .ci/run and the top-level Makefile.
#
#   scripts/install-deps.sh [PACKAGE...]   (default: the full list below)
#
# Installs what is missing with apt-get when run as root; otherwise names the
# missing packages and exits 1. Does nothing (not even apt-get update) when
# everything is already there.
set -euo pipefail

packages=(
    gcc make binutils                        # hypervisor and host-side build
    qemu-system-x86                          # SVM backend tests (TCG)
    dpkg-dev patch meson ninja-build         # scripts/qemu-setup.sh: QEMU
    libglib2.0-dev libpixman-1-dev libfdt-dev #   from Debian's source,
                                             #   patched
    bochs bochsbios vgabios bochs-term       # VMX backend tests
    grub-pc-bin grub-common xorriso mtools   # GRUB ISOs for Bochs (scripts/mkiso.sh)
    acpica-tools                             # iasl: the guest DSDT from ASL
    python3-pytest                           # integration test driver
    xz-utils cpio libc6-dev                  # Linux guest: vmlinux, initramfs
                                             # (static /init needs libc.a)
    libxml2-dev libyajl-dev pkg-config       # libxl-lite: domain XML, JSON
    gcc-12 libelf1                           # dom0 driver: the kernel's own
                                             # compiler; Kbuild's objtool
)
[ $# -eq 0 ] || packages=("$@")

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: missing Debian packages: ${missing[*]}" >&2
    echo "  install them with: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
