"""/dev/xen-lite/privcmd, the dom0 driver (tools/dom0/privcmd), in
Debian's Linux booted as a domain: /init loads privcmd.ko, then
/bin/privcmd-test (tests/linux/privcmd_test.c) issues hypercalls through
it from user space and prints what came back.

As dom0 (QEMU, SVM): the kernel logs only the out-of-tree and unsigned
taint messages and the driver's VMMCALL line, /proc/sys/kernel/tainted
is exactly O|E; the node is root's 0600 char device; console_io from a
locked user buffer returns its count and its text is on the hypervisor
console as (d0); unknown hypercall numbers give -ENOSYS (also one whose
low 32 bits are console_io's); sysctl physinfo and domctl getdomaininfo
of domain 0, with their structs in locked user memory, return the values
this boot was given (pCPUs, vCPUs, memory, flags); an unmapped buffer
(console_io, domctl, sysctl) and a page never faulted in give -EFAULT,
and the same page once locked works, after which the hypervisor still
answers; the driver itself refuses a NULL struct (EFAULT), an unknown
ioctl (ENOTTY), and a process without root's capabilities (open EACCES,
ioctl EPERM).  The domain then ends with status 0.

As an unprivileged domain (d1 of two): the same, except that every
sysctl and domctl gives -EPERM: the hypervisor, not the driver, decides.

The power button (test_privcmd_power_button): d1 waits in busybox acpid
while d0 presses d1's ACPI power button with the sendtrigger domctl
(privcmd-test power 1); the Generic Event Device's interrupt, _EVT's
Notify of the PNP0C0C device, Linux's button driver and acpid turn it
into `poweroff -f`, and d1 powers off through ACPI S5.

The same checks on VMX (VMCALL) run inside test_linux_boot.py's Bochs
boots: dom0's where one Linux domain boots, d1's where two do
(check_privcmd_dom0 and check_privcmd_d1 below).
"""

import re

import pytest

from emulators import dom0_lines, guest_output, qemu_exit_code
from test_linux_boot import ARGS, BAD_LINES, BOOT_TIMEOUT

PRIVCMD_TAINT = 12288       # TAINT_OOT_MODULE (O) | TAINT_UNSIGNED_MODULE (E)
EFAULT, ENOSYS, EPERM, EINVAL = 14, 38, 1, 22
CAPS_HVM, CAPS_VMX, CAPS_SVM = 1, 2, 4

# Kernel lines loading privcmd.ko may print, and all of them.
KERNEL_LINES = (
    r"privcmd: loading out-of-tree module taints kernel\.",
    r"privcmd: module verification failed: signature and/or required key "
    r"missing - tainting kernel",
)


def expected_lines(dom0, smp=None, vcpus=None, mem_mb=None, caps=None):
    """What privcmd-test prints, in order, each line exactly; dom0's lines
    carry the host's and the domain's figures (pCPUs, physinfo's
    capabilities, vCPUs, memory), a domU's only -EPERM."""
    who = "dom0" if dom0 else "domU"
    text = f"privcmd-test: console_io from {who} user space"
    locked = "privcmd-test: a page locked after -EFAULT"
    if dom0:
        physinfo = (f"sysctl physinfo -> 0 nr_cpus {smp} max_cpu_id "
                    f"{smp - 1} caps {caps:#x} total_pages ")
        pages = mem_mb * 256
        # hvm_guest | running | privileged: not blocked (this vCPU runs),
        # neither dying, shut down nor paused.
        domctl = (f"domctl getdomaininfo 0 -> 0 domain 0 flags 0x62 vcpus "
                  f"{vcpus} max_vcpu_id {vcpus - 1} tot_pages {pages} "
                  f"max_pages {pages}")
    else:
        physinfo = f"sysctl physinfo -> -{EPERM}"
        domctl = f"domctl getdomaininfo 0 -> -{EPERM}"
    lines = [
        "node /dev/xen-lite/privcmd char mode 0600 uid 0 gid 0",
        f"tainted {PRIVCMD_TAINT}",
        f"console_io write {len(text)} -> {len(text)}",
        *(f"hypercall {op} -> -{ENOSYS}"
          for op in ("0", "0x3f", "0x40", "0x3e8", "0x100000012", "0x1",
                     "0xa", "0xc")),
        physinfo,
        domctl,
        f"console_io unmapped -> -{EFAULT}",
        *([f"domctl unmapped -> -{EFAULT}", f"sysctl unmapped -> -{EFAULT}"]
          if dom0 else []),
        f"console_io untouched -> -{EFAULT}",
        f"console_io locked -> {len(locked)}",
        physinfo,
        "ioctl NULL -> -1 Bad address",
        "ioctl unknown -> -1 Inappropriate ioctl for device",
        "unprivileged open -> Permission denied, ioctl -> Operation not "
        "permitted",
        "OK",
    ]
    return ["XENLITE-PRIVCMD " + x for x in lines], (text, locked)


def assert_in_order(lines, expected, what):
    """Every expected line (physinfo's as a prefix: its page counts vary)
    in 'lines', in this order, and no line saying a check failed."""
    failed = [x for x in lines if x.startswith("XENLITE-PRIVCMD check")]
    assert not failed, f"{what}: {failed}"
    got = [x for x in lines if x.startswith("XENLITE-PRIVCMD ")]
    i = 0
    for want in expected:
        while i < len(got) and not (got[i] == want or (
                want.endswith("total_pages ") and got[i].startswith(want))):
            i += 1
        assert i < len(got), f"{what}: no line {want!r} (in order) in " \
            f"{got}"
        i += 1


def check_kernel_lines(out, insn, what):
    """The driver's load, and no taint but the two expected."""
    assert any(re.search(r"xen-lite privcmd: /dev/xen-lite/privcmd, "
                         rf"hypercalls by {insn}$", x) for x in out), what
    for pattern in KERNEL_LINES:
        assert any(re.search(pattern + "$", x) for x in out), \
            f"{what}: no {pattern!r}"
    taint = [x for x in out if re.search(r"taint", x, re.I) and
             not x.startswith("XENLITE-PRIVCMD tainted ") and
             not any(re.search(p + "$", x) for p in KERNEL_LINES)]
    assert not taint, f"{what}: {taint}"
    assert "XENLITE-INIT privcmd loaded" in out, what
    bad = [x for x in out if re.search(BAD_LINES, x)]
    assert not bad, f"{what}: {bad}"


def check_privcmd_dom0(r, smp, vcpus, mem_mb, insn, caps):
    """privcmd-test's dom0 checks in run r (dom0's output unprefixed)."""
    out = guest_output(r.serial)
    check_kernel_lines(out, insn, r.describe())
    expected, (text, locked) = expected_lines(True, smp, vcpus, mem_mb, caps)
    assert_in_order(out, expected, r.describe())
    # console_io's text, on the hypervisor's console as dom0's.
    assert r.find(rf"^\(d0\) {re.escape(text)}$"), r.describe()
    assert r.find(rf"^\(d0\) {re.escape(locked)}$"), r.describe()


def check_privcmd_d1(r, insn):
    """privcmd-test's domU checks in run r, run by d1: its lines are whole
    hypervisor lines with the (d1) prefix, and so is its console_io text
    (a domU's UART output and console_io both carry it)."""
    d1 = [m.group(1) for m in r.find_all(r"^\(d1\) (.*)$")]
    check_kernel_lines(d1, insn, r.describe())
    expected, (text, locked) = expected_lines(False)
    assert_in_order(d1, expected, r.describe())
    assert text in d1 and locked in d1, r.describe()
    assert "XENLITE-INIT OK" in d1, r.describe()


@pytest.mark.qemu
def test_privcmd_dom0(run_qemu, dist, linux):
    vmlinux, initramfs = linux
    r = run_qemu(dist.elf32, ARGS, smp=2, timeout=BOOT_TIMEOUT,
                 modules=[(vmlinux, "mem=256M vcpus=2 console=ttyS0 "
                                    "tsc=reliable -- privcmd"),
                          (initramfs, "initrd")])
    check_privcmd_dom0(r, smp=2, vcpus=2, mem_mb=256, insn="VMMCALL",
                       caps=CAPS_HVM | CAPS_SVM)
    assert "XENLITE-INIT OK" in guest_output(r.serial), r.describe()
    assert r.find(r"^xen-lite exiting: all domains have exited "
                  r"\(status 0\)$"), r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()


@pytest.mark.qemu
def test_privcmd_domu_gets_eperm(run_qemu, dist, linux):
    # d0 only boots and powers off; d1 runs privcmd-test.  d1's lines are
    # whole hypervisor lines with its (d1) prefix.
    vmlinux, initramfs = linux
    common = "mem=192M vcpus=1 console=ttyS0 tsc=reliable --"
    r = run_qemu(dist.elf32, f"{ARGS} boot_domains=2", smp=2,
                 timeout=BOOT_TIMEOUT,
                 modules=[(vmlinux, f"{common} poweroff"),
                          (initramfs, "initrd"),
                          (vmlinux, f"{common} privcmd-domu"),
                          (initramfs, "initrd")],
                 extra_args=["-m", "1024"])
    check_privcmd_d1(r, "VMMCALL")
    assert r.find(r"^d0: ACPI power off$"), r.describe()
    assert r.find(r"^xen-lite exiting: all domains have exited "
                  r"\(status 0\)$"), r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()


@pytest.mark.qemu
def test_privcmd_power_button(run_qemu, dist, linux):
    # d1 loads Linux's button and evdev modules and waits in acpid; d0
    # presses d1's power button until d1 has shut down (presses while d1
    # still boots are taken by nobody), then powers off itself.
    vmlinux, initramfs = linux
    common = "mem=192M vcpus=1 console=ttyS0 tsc=reliable --"
    r = run_qemu(dist.elf32, f"{ARGS} boot_domains=2", smp=2,
                 timeout=BOOT_TIMEOUT,
                 modules=[(vmlinux, f"{common} power=1 poweroff"),
                          (initramfs, "initrd"),
                          (vmlinux, f"{common} acpid"),
                          (initramfs, "initrd")],
                 extra_args=["-m", "1024"])
    d1 = [m.group(1) for m in r.find_all(r"^\(d1\) (.*)$")]
    it = iter(d1)
    for want in ["XENLITE-INIT evdev loaded",
                 "XENLITE-INIT button loaded",
                 "XENLITE-INIT OK",
                 "XENLITE-INIT acpid started, waiting for the power button",
                 "XENLITE-INIT acpid: power button, poweroff -f"]:
        # Each after the one before.
        assert any(line == want for line in it), \
            f"{r.describe()}: no (d1) line {want!r} in order"
    assert "XENLITE-INIT FAIL" not in d1, r.describe()
    # Linux bound the GED's interrupt at GSI 23 as its _CRS says: level
    # (fasteoi), not yet raised or raised by early presses.
    ged = [l for l in d1 if l.startswith("XENLITE-INIT irq ")
           and l.endswith(" ACPI:Ged")]
    assert len(ged) == 1 and re.search(r"IO-APIC\s+23-fasteoi\s",
                                       ged[0]), r.describe()
    out = dom0_lines(r.serial)
    assert_in_order(out, [f"XENLITE-PRIVCMD power d1 vcpu 4096 -> -{EINVAL}",
                          f"XENLITE-PRIVCMD trigger 2 d1 -> -{ENOSYS}",
                          "XENLITE-PRIVCMD power d1 press 1 -> 0"],
                    r.describe())
    done = [l for l in out
            if l.startswith("XENLITE-PRIVCMD power d1 after ")]
    assert len(done) == 1 and re.fullmatch(
        r"XENLITE-PRIVCMD power d1 after \d+ presses: shut down "
        r"reason (0|-1)", done[0]), r.describe()
    assert "XENLITE-PRIVCMD OK" in out, r.describe()
    assert "XENLITE-INIT OK" in out, r.describe()
    # d1 went through ACPI S5, before d0 did.
    ends = [m.group(0) for m in r.find_all(r"^d[01]: ACPI power off$")]
    assert ends == ["d1: ACPI power off", "d0: ACPI power off"], \
        r.describe()
    assert not r.find(BAD_LINES), r.describe()
    assert r.find(r"^xen-lite exiting: all domains have exited "
                  r"\(status 0\)$"), r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()
