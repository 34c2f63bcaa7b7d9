#!/bin/bash
# bochs3-setup.sh: unpack Debian trixie's Bochs 3.0 into build/bochs3/ without
# touching the host's packages (recipe: "Bochs 3.0 without changing the
# host" in the project's EMULATORS.md design note).
# scripts/bochs-run.sh --bochs 3.0 runs it from there.
#
#   scripts/bochs3-setup.sh [--force]
#
# A private apt configuration (own state, cache and sources.list naming suite
# trixie) downloads the .debs; dpkg-deb -x unpacks them into build/bochs3/root.
# Bochs 3.0 needs glibc >= 2.38, so trixie's libc6/libstdc++6/libgcc-s1 come
# along and bochs-run.sh starts bochs-bin through that root's dynamic loader.
# Needs no root. Idempotent: does nothing if the unpack is already complete.
set -euo pipefail

die() { echo "bochs3-setup.sh: $*" >&2; exit 1; }

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib/private-apt.sh"
top=${BOCHS3_DIR:-$repo/build/bochs3}
root=$top/root
stamp=$top/.complete
mirror=${BOCHS3_MIRROR:-http://deb.debian.org/debian}
packages=(bochs bochs-term bochsbios vgabios libc6 libstdc++6 libgcc-s1)

[ "${1:-}" = "--force" ] && rm -rf "$top"
[ -f "$stamp" ] && [ -x "$root/usr/bin/bochs-bin" ] && exit 0

command -v apt-get >/dev/null || die "apt-get missing"
command -v dpkg-deb >/dev/null || die "dpkg-deb missing"

rm -rf "$top"
apt=$top/apt
mkdir -p "$apt/debs" "$root"
private_apt_init "$apt" "deb $mirror trixie main" || die "no apt keyring"
opts=("${private_apt_opts[@]}")

log=$top/setup.log
if ! apt-get "${opts[@]}" update >"$log" 2>&1; then
    cat "$log" >&2; die "apt-get update (trixie) failed"
fi
if ! (cd "$apt/debs" && apt-get "${opts[@]}" download "${packages[@]}") >>"$log" 2>&1; then
    cat "$log" >&2; die "downloading ${packages[*]} failed"
fi
for deb in "$apt/debs"/*.deb; do
    dpkg-deb -x "$deb" "$root"
done

bin=$root/usr/bin/bochs-bin
[ -x "$bin" ] || die "$bin missing after unpacking"
# Smoke test: the binary starts through the private loader.
lib=$root/usr/lib/x86_64-linux-gnu
if ! "$root/usr/lib64/ld-linux-x86-64.so.2" \
        --library-path "$lib:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu" \
        "$bin" --help >>"$log" 2>&1; then
    # bochs --help exits non-zero; only a loader failure matters here.
    grep -qE 'error while loading|not found|GLIBC' "$log" && { cat "$log" >&2; die "bochs-bin does not start"; }
fi
(cd "$apt/debs" && ls *.deb) > "$top/packages.txt"
rm -rf "$apt/cache" "$apt/state/lists"   # keep only the unpacked root and the .debs
touch "$stamp"
echo "bochs3-setup.sh: Bochs 3.0 ready in $root ($(grep -o '^bochs_[^_]*' "$top/packages.txt"))" >&2
