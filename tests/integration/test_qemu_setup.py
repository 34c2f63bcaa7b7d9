"""The QEMU every test runs is the one scripts/qemu-setup.sh built, with
every patch of scripts/qemu-patches/ in it: Debian's own QEMU 7.2 has the
races those fix (docs/known-problems.md), which end runs of the other
tests at random, so a run on it must not pass unnoticed."""

import hashlib
import shutil

import emulators

PATCHES = sorted((emulators.SCRIPTS / "qemu-patches").glob("*.patch"))


def test_patches_exist():
    assert PATCHES, "scripts/qemu-patches/ holds no patch"


def test_tests_run_the_patched_qemu():
    found = shutil.which("qemu-system-x86_64")
    assert found and emulators.PATCHED_QEMU.samefile(found), \
        f"qemu-system-x86_64 is {found}, not {emulators.PATCHED_QEMU}: " \
        "run scripts/qemu-setup.sh (make deps)"


def test_patched_qemu_is_built_from_the_current_patches():
    # The stamp qemu-setup.sh writes: "qemu <source version> <sha256 of
    # the patches, concatenated in name order>".
    stamp = emulators.PATCHED_QEMU.parent.parent / ".complete"
    words = stamp.read_text().split()
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in PATCHES))
    assert words[0] == "qemu" and words[-1] == digest.hexdigest(), \
        f"{stamp} says {words}: the binary predates the patches; " \
        "run scripts/qemu-setup.sh"
