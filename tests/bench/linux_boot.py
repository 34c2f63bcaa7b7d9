#!/usr/bin/env python3
"""Time to init: Debian's Linux 6.1 with the test initramfs, from QEMU's
start to /init's "XENLITE-INIT OK", booted by QEMU itself (its PVH loader,
plain TCG) and as dom0 of xen-lite (SVM under TCG), with the same kernel,
initramfs, command line and vCPU count.  Host wall-clock seconds, one run
each, and their ratio; part of `make bench` (needs `make linux` first).

    tests/bench/linux_boot.py [--vcpus N]
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINUX = REPO / "build" / "linux"
XEN = REPO / "dist" / "xen-lite.elf32"
CMDLINE = "console=ttyS0 tsc=reliable quiet"
MARK = b"XENLITE-INIT OK"
TIMEOUT = 300


def qemu(smp, extra):
    return ["qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-cpu", "max",
            "-smp", str(smp), "-m", "1024", "-nodefaults", "-display",
            "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] + extra


def time_to_init(cmd):
    """Seconds from the start of cmd until its output shows MARK."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = b""
    try:
        while time.monotonic() - start < TIMEOUT:
            chunk = proc.stdout.read1(4096)
            if not chunk:
                break
            seen = (seen + chunk)[-4096:]
            if MARK in seen:
                return time.monotonic() - start
    finally:
        proc.kill()
        proc.wait()
    sys.exit(f"linux_boot.py: no {MARK.decode()!r} within {TIMEOUT} s: "
             f"{' '.join(cmd)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vcpus", type=int, default=2)
    n = ap.parse_args().vcpus
    vmlinux, initrd = LINUX / "vmlinux", LINUX / "initramfs.cpio"
    plain = time_to_init(qemu(n, ["-kernel", str(vmlinux), "-initrd",
                                  str(initrd), "-append", CMDLINE]))
    mods = (f"{vmlinux} mem=512M vcpus={n} {CMDLINE}".replace(",", ",,") +
            f",{initrd} initrd")
    xen = time_to_init(qemu(n, ["-kernel", str(XEN), "-append",
                                "console=com1 shutdown=exit",
                                "-initrd", mods]))
    print(f"Linux 6.1 to /init, {n} vCPUs on {n} QEMU TCG CPUs "
          f"(host seconds, one run each)")
    print("| booted by | seconds |")
    print("| --- | --- |")
    print(f"| QEMU itself (PVH, plain TCG) | {plain:.2f} |")
    print(f"| xen-lite dom0 (SVM under TCG) | {xen:.2f} |")
    print(f"ratio xen-lite / plain QEMU: {xen / plain:.2f}")


if __name__ == "__main__":
    main()
