"""dom0 abuses the hypervisor (issue 13's dom0 parts), on QEMU (SVM) with
dom0's image (`make dom0`) and its shell driven over the serial line as
in test_xl.py, and a short version on Bochs 3.0 (VMX) that runs all
three without typing (tests/linux/abuse-short.sh), after test_xl.py's
xl-smoke in the same boot:

- the hypercall fuzzer (tests/fuzz/hcfuzz.c, /bin/hcfuzz) from a seed,
  while a child creates and destroys a small domU with xl-lite;
- lifecycle stress (tests/linux/lifecycle.sh): create/destroy cycles of
  the ipi_pingpong domU, destroyed paused, running (vCPUs on wakeup
  lists), while another xl-lite reads its irq-stats, and two xl-lite
  processes at once; then no domain, vCPU or wakeup-list entry left;
- every bad command (tests/linux/badcmd.sh): each xl-lite command with
  bad arguments and bad files prints its one line and exits 1, and each
  create failure leaves no domain behind.

Each checks afterwards: the hypervisor's free pages equal to those before
to the page, only Domain-0 listed, dom0's shell still answering, and no
hypervisor fault (Panic, FATAL TRAP) on the serial line.  The default run
is short (a few thousand fuzzed calls, 50 cycles); XENLITE_LONG=1 (`make
test-long`) runs 10^6 fuzzed calls and 1000 cycles.
"""

import os
import re

import pytest

from emulators import QemuSession, dom0_lines
from test_xl import (ARGS, BOOT_TIMEOUT, DOM0_ARGS, Dom0Shell,
                     check_xl_smoke, dom0_image, list_rows)

LONG = os.environ.get("XENLITE_LONG") == "1"
FUZZ_CALLS = 1_000_000 if LONG else 20000
CYCLES = 1000 if LONG else 50
HV_FAULT = re.compile(r"Panic on CPU|FATAL TRAP|Assertion|BUG at")

__all__ = ["dom0_image"]    # the fixture, used by name below


def free_pages(sh):
    lines = sh.ok("hcfuzz pages")
    assert len(lines) == 1 and lines[0].isdigit(), lines
    return int(lines[0])


class Dom0:
    """A QEMU run of xen-lite with dom0's image and its shell."""

    def __init__(self, dist, test_dir, linux, image, name,
                 domu_crash_ok=False):
        vmlinux, _ = linux
        self.domu_crash_ok = domu_crash_ok
        self.s = QemuSession(dist.elf32, ARGS, smp=2, workdir=test_dir,
                             name=name)
        self.s.cmd += ["-m", "2048", "-initrd",
                       f"{vmlinux} {DOM0_ARGS} shell,{image} initrd"]

    def __enter__(self):
        self.q = self.s.__enter__()
        self.q.wait_for_output(r"busybox shell", timeout=BOOT_TIMEOUT)
        self.sh = Dom0Shell(self.q)
        self.sh.dom0 = self
        self.pages_before = free_pages(self.sh)
        return self.sh

    def __exit__(self, *exc):
        try:
            if exc[0] is None:
                rows = list_rows(self.sh.ok("xl-lite list"))
                assert list(rows) == ["Domain-0"], rows
                after = free_pages(self.sh)
                print(f"free pages before {self.pages_before} "
                      f"after {after}")
                assert after == self.pages_before, \
                    (self.pages_before, after)
                self.q.send(b"poweroff -f\n")
                # The fuzzer's own domains may crash (they run whatever it
                # copied in): the run then ends as "a domain failed", but
                # never through dom0.
                self.q.wait_for(r"^xen-lite exiting: (all domains have "
                                r"exited|a domain failed)" if self.domu_crash_ok
                                else r"^xen-lite exiting: all domains have "
                                r"exited", timeout=60)
        finally:
            self.s.__exit__(*exc)
        if exc[0] is None:
            assert not re.search(r"^\(XEN\) .*\bd0 crashed", self.s.text,
                                 re.M), self.s.text[-4000:]
            m = HV_FAULT.search(self.s.text)
            assert not m, self.s.text[max(0, m.start() - 3000):m.end() + 500]
        return False


def fuzz_figures(lines):
    """hcfuzz's closing lines: {"calls": n, ..., "errors": {code: n}}."""
    fig = {"errors": {}, "ioctl_errno": {}}
    for ln in lines:
        m = re.match(r"^HCFUZZ calls (\d+) ok (\d+) skipped (\d+) "
                     r"ioctls (\d+)$", ln)
        if m:
            fig.update(zip(("calls", "ok", "skipped", "ioctls"),
                           map(int, m.groups())))
        m = re.match(r"^HCFUZZ error (-\d+|other) (\d+)$", ln)
        if m:
            fig["errors"][m.group(1)] = int(m.group(2))
        m = re.match(r"^HCFUZZ ioctl-errno (\d+) (\d+)$", ln)
        if m:
            fig["ioctl_errno"][int(m.group(1))] = int(m.group(2))
        m = re.match(r"^HCFUZZ churn tries (\d+) creates (\d+) "
                     r"destroys (\d+)$", ln)
        if m:
            fig["churn"] = tuple(map(int, m.groups()))
    return fig


# `make test` runs one fuzzer seed; `make test-long` adds the second.
@pytest.mark.qemu
@pytest.mark.parametrize("seed", [1, 2] if LONG else [1])
def test_hypercall_fuzzer(dist, test_dir, linux, dom0_image, seed):
    with Dom0(dist, test_dir, linux, dom0_image, f"fuzz{seed}",
              domu_crash_ok=True) as sh:
        timeout = 4 * 3600 if LONG else 150
        # The same run twice.  The first may leave the hypervisor's
        # caches bigger for good (one empty page kept per xmalloc size
        # class, per-pCPU timer heaps that double and never shrink); the
        # second must come back to the pages the first left, to the page.
        pages = []
        sh.ok("C=/etc/xen-lite/ipi_pingpong.cfg")
        for run in (1, 2):
            # Typed lines kept short, as in test_xl.py: longer ones have
            # been seen to stop arriving part-way (not understood yet).
            status, lines = sh.run(
                f"hcfuzz {seed} {FUZZ_CALLS} $C 2>&1 | grep -v prog",
                timeout=timeout)
            print("\n".join(lines))
            assert status == 0 and "HCFUZZ OK" in lines, lines
            rows = list_rows(sh.ok("xl-lite list"))
            assert list(rows) == ["Domain-0"], rows
            pages.append(free_pages(sh))
            fig = fuzz_figures(lines)
            # Every call was made: counted by outcome, refused on dom0
            # before the call, or privcmd's own ioctls.
            assert fig["calls"] + fig["ioctls"] + fig["skipped"] >= \
                FUZZ_CALLS * 9 // 10, fig
            # Both kinds of answers: structure-aware calls get through.
            assert fig["ok"] > 0 and fig["errors"], fig
            assert fig["churn"][1] > 0, fig
        print(f"free pages at boot {sh.dom0.pages_before}, after run 1 "
              f"{pages[0]}, after run 2 {pages[1]}")
        assert pages[1] == pages[0], pages
        assert sh.dom0.pages_before - pages[0] <= 64, \
            (sh.dom0.pages_before, pages)
        sh.dom0.pages_before = pages[0]


@pytest.mark.qemu
def test_lifecycle_stress(dist, test_dir, linux, dom0_image):
    """Create/destroy cycles leave no domain, page or list entry behind.
    Also the regression test of the QEMU race that scripts/qemu-patches/
    fixes: with Debian's own QEMU about one run of 50 cycles in four
    ended in a host triple fault on the instruction after VMRUN (the
    first CPU's nested-paging flag put back by another CPU's FXRSTOR)."""
    with Dom0(dist, test_dir, linux, dom0_image, "lifecycle") as sh:
        timeout = 6 * 3600 if LONG else 300
        status, lines = sh.run(f"sh /tests/lifecycle.sh {CYCLES} 2>&1",
                               timeout=timeout)
        print("\n".join(lines))
        assert status == 0 and lines[-1] == "LIFECYCLE OK", lines
        before = [ln for ln in lines if "free pages before" in ln]
        after = [ln for ln in lines if "free pages after" in ln]
        assert before and after, lines
        assert before[0].split()[-1] == after[0].split()[-1], lines
        # The warm-up cycles may keep an allocator page for good (the
        # script's comment): the end of the run is held to the warm mark.
        warm = int(before[0].split()[-1])
        assert 0 <= sh.dom0.pages_before - warm <= 8, \
            (sh.dom0.pages_before, warm)
        sh.dom0.pages_before = warm


@pytest.mark.qemu
def test_every_bad_command(dist, test_dir, linux, dom0_image):
    with Dom0(dist, test_dir, linux, dom0_image, "badcmd") as sh:
        status, lines = sh.run("sh /tests/badcmd.sh 2>&1", timeout=170)
        print("\n".join(lines))
        bad = [ln for ln in lines if ln.startswith("BADCMD bad")]
        assert not bad, "\n".join(bad)
        assert status == 0 and lines[-1] == "BADCMD OK", lines
        assert sum(ln.startswith("BADCMD ok") for ln in lines) >= 60, lines
        # Building 255 vCPUs once grows the hypervisor's timer heaps for
        # good (a high-water mark, not a leak: the script checks that the
        # next two builds come back to it to the page); the end of the
        # run is held to that mark.
        # The first out-of-memory create likewise (1 page seen); the
        # second must cost nothing, which the script checks.
        marks = [int(m.group(1)) for m in
                 (re.match(r"^BADCMD pages after (?:vcpus=255|oom) round 1: "
                           r"(\d+)", ln) for ln in lines) if m]
        assert len(marks) == 2 and sh.dom0.pages_before - marks[-1] <= 8, \
            (sh.dom0.pages_before, marks)
        sh.dom0.pages_before = marks[-1]


def abuse_steps(out):
    """abuse-short.sh's steps: {name: (status, lines)}, and its page
    counts {step or "start": pages}."""
    steps = {name: (int(status), [ln for ln in body.split("\n") if ln])
             for name, body, status in re.findall(
                 r"^ABUSE begin (\S+)\n(.*?)^ABUSE end \1 status (\d+)$",
                 out, re.M | re.S)}
    pages = {k: int(v) for k, v in
             re.findall(r"^ABUSE pages (\S+) (\d+)$", out, re.M)}
    return steps, pages


# Bochs 3.0 boots Linux in about a minute and runs dom0's tools some five
# times slower than QEMU, so one boot does the lot: first test_xl.py's
# xl-smoke (create, list, vcpu-list, unpause, destroy), then the short
# abuse.  It is also the regression test of the Bochs 3.0 fix-up in
# vmx.c, bochs_stale_delivery(): without it, most boots ended in a dom0
# panic (docs/known-problems.md).
@pytest.mark.bochs
def test_dom0_abuse_on_vmx(build_iso, run_bochs, linux, dom0_image):
    """dom0's toolstack and its short abuse on Bochs 3.0 (VMX with posted
    interrupts), in one boot without typing: tests/linux/xl-smoke.sh, then
    tests/linux/abuse-short.sh (two fuzzer runs of 3000 calls, 4
    lifecycle cycles, one of each kind, every bad command)."""
    vmlinux, _ = linux
    iso = build_iso(ARGS, [(vmlinux, f"{DOM0_ARGS} script=xl-smoke "
                                     "script=abuse-short"),
                           (dom0_image, "initrd")])
    r = run_bochs(iso, cpus=2, version="3.0", megs=1024, timeout=900)
    # dom0's lines made whole: a hypervisor line may cut one in two.
    out = "\n".join(dom0_lines(r.serial))
    print(out[-6000:])
    check_xl_smoke(out)
    # The fuzzer's domUs may crash; nothing may before it starts.
    start = re.search(r"ABUSE (pages start|begin fuzz1)", r.serial)
    assert start, r.describe()
    assert not re.search(r"crashed|Panic", r.serial[:start.start()]), \
        r.describe()
    steps, pages = abuse_steps(out)
    assert set(steps) == {"fuzz1", "fuzz2", "lifecycle", "badcmd"}, \
        r.describe()
    for name, (status, lines) in steps.items():
        assert status == 0, f"{name}: {lines[-20:]}\n{r.describe()}"
    for run in ("fuzz1", "fuzz2"):
        lines = steps[run][1]
        assert "HCFUZZ OK" in lines, lines
        fig = fuzz_figures(lines)
        assert fig["calls"] + fig["ioctls"] + fig["skipped"] >= 2700, fig
        assert fig["ok"] > 0 and fig["errors"] and fig["churn"][1] > 0, fig
    assert steps["lifecycle"][1][-1] == "LIFECYCLE OK", steps["lifecycle"]
    bad = [ln for ln in steps["badcmd"][1] if ln.startswith("BADCMD bad")]
    assert not bad and steps["badcmd"][1][-1] == "BADCMD OK", \
        steps["badcmd"]
    assert re.search(r"^ABUSE domains 1$", out, re.M), r.describe()
    # As on QEMU: the fuzzer's first run may grow the hypervisor's caches
    # for good, its second comes back to the same page count.
    assert pages["fuzz2"] == pages["fuzz1"], pages
    assert 0 <= pages["start"] - pages["fuzz1"] <= 64, pages
    assert "XENLITE-INIT OK" in out, r.describe()
    assert not HV_FAULT.search(r.serial), r.describe()
    assert not re.search(r"^\(XEN\) .*\bd0 crashed", r.serial, re.M), \
        r.describe()
