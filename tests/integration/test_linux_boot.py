"""Debian's stock Linux 6.1 (build/linux/vmlinux, fetched by `make linux`)
booted as a domain through its PVH entry, on QEMU (SVM) and Bochs (VMX).

The first test checks the entry: the domain builder found the PVH note,
loaded the ELF64 image by p_paddr and handed over hvm_start_info, and Linux
printed its banner through earlyprintk (which polls the UART), with our
command line, our memory map and module 0 as its initrd.  The next boots
the kernel to /init with 1, 2 and 4 vCPUs on 2 and on 4 pCPUs: every
vCPU online, kvm-clock the clocksource, the serial line's IRQ 4 counting
and the 8250 driver's tx count (the console's output after boot goes
through its interrupts), no kernel warning, and the domain's own end
through the exit port with status 0; the same with 2 vCPUs on Bochs 2.7
(VMX with APICv) and 3.0 (with posted interrupts), which also run the
dom0 driver's checks (test_privcmd.py) by VMCALL.  On QEMU with 2 vCPUs:
a pipe ping-pong, sleep 2 against the host's clock, a typed line read
by the shell and poweroff -f; and two Linux domains at once.
"""

import os
import re
import struct
import subprocess
import time

import pytest

from emulators import QemuSession, guest_output, qemu_exit_code

ARGS = "console=com1 loglvl=all shutdown=exit"
LINUX_ARGS = "console=ttyS0 earlyprintk=ttyS0,keep"
BOOT_TIMEOUT = 90


def kernel_end(vmlinux):
    """One past the highest guest-physical byte of the ELF64 image's
    PT_LOAD segments (read here, so a newer kernel needs no edit)."""
    with open(vmlinux, "rb") as f:
        ehdr = f.read(64)
        phoff, = struct.unpack_from("<Q", ehdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    end = 0
    for i in range(phnum):
        p_type, _, _, _, paddr, _, memsz, _ = struct.unpack_from(
            "<IIQQQQQQ", table, i * phentsize)
        if p_type == 1:
            end = max(end, paddr + memsz)
    return end


def initrd_arg(modules):
    """QEMU -initrd: modules separated by ",", a literal comma as ",,"."""
    return ",".join(f"{path} {args}".replace(",", ",,")
                    for path, args in modules)


@pytest.mark.qemu
def test_linux_pvh_entry_prints_banner(dist, test_dir, linux):
    vmlinux, initramfs = linux
    s = QemuSession(dist.elf32, ARGS, smp=2, workdir=test_dir, name="linux")
    s.cmd += ["-initrd", initrd_arg([
        (vmlinux, f"mem=256M {LINUX_ARGS}"), (initramfs, "initrd")])]
    with s as q:
        m = q.wait_for(r"^d0: 1 vCPUs, 256 MiB, kernel \d+ KiB, "
                       r"entry (0x[0-9a-f]+) \(PVH\), initrd module \(dom0\)$",
                       timeout=BOOT_TIMEOUT)
        # The note's entry (pvh_start_xen), not e_entry (startup_64).
        assert m.group(1) != "0x1000000", q.text[-3000:]
        # A PVH dom0's UART is the console: its lines come unprefixed.
        q.wait_for_output(r"^\[\s*[\d.]+\] Linux version 6\.1\.",
                          timeout=BOOT_TIMEOUT)
        # hvm_start_info's command line, without vcpus= and mem=.
        q.wait_for_output(r"^\[\s*[\d.]+\] Command line: "
                          + re.escape(LINUX_ARGS) + "$",
                          timeout=BOOT_TIMEOUT)
        # Its memory map: RAM from 1 MiB to mem=.
        q.wait_for_output(r"^\[\s*[\d.]+\] BIOS-e820: \[mem "
                          r"0x0000000000100000-0x000000000fffffff\] "
                          r"usable$", timeout=BOOT_TIMEOUT)
        # Module 0 is the initrd, page-aligned after the kernel's end.
        start = (kernel_end(vmlinux) + 4095) & ~4095
        q.wait_for_output(r"^\[\s*[\d.]+\] RAMDISK: \[mem "
                          + f"{start:#010x}-", timeout=BOOT_TIMEOUT)


# Kernel log lines that must not appear (issue 11).
BAD_LINES = (r"unchecked MSR access|WARNING:|BUG:|Call Trace|Unable to "
             r"calibrate|TSC unstable|clocksource .* unstable")


def check_init(r, vcpus, clocksources):
    """What /init reported, and a kernel log without warnings."""
    out = guest_output(r.serial)

    def line(pattern):
        return next((m for m in (re.search(pattern, x) for x in out) if m),
                    None)

    assert line(r"^XENLITE-INIT OK$"), r.describe()
    # The dom0 driver (tools/dom0/privcmd) loads in every Linux domain.
    assert line(r"^XENLITE-INIT privcmd loaded$"), r.describe()
    online = "0" if vcpus == 1 else f"0-{vcpus - 1}"
    assert line(rf"^XENLITE-INIT cpus {online}$"), r.describe()
    m = line(r"^XENLITE-INIT clocksource (\S+)$")
    assert m and m.group(1) in clocksources, r.describe()
    # The UART's line: GSI 4 through the IOAPIC, whatever IRQ number
    # Linux gave it.
    m = line(r"^XENLITE-INIT irq \d+:((?:\s+\d+)+)\s+IO-APIC\s+"
             r"4-edge\s+ttyS0$")
    assert m and sum(int(n) for n in m.group(1).split()) > 0, r.describe()
    # The 8250 driver's own count of what it sent.
    m = line(r"^XENLITE-INIT serial uart:16550A port:000003F8 .*tx:(\d+)")
    assert m and int(m.group(1)) > 0, r.describe()
    bad = [x for x in out if re.search(BAD_LINES, x)]
    assert not bad, f"{bad}\n{r.describe()}"
    # No search for a GART aperture bridge (256 buses x 32 slots through
    # 0xcf8/0xcfc, twice): the K8 path that QEMU's family-0xf CPU model
    # would send Linux down (cpuid.c gives guests a Zen signature there).
    scan = [x for x in out if re.search(r"AGP: (Checking aperture|No AGP "
                                        r"bridge found)", x)]
    assert not scan, f"{scan}\n{r.describe()}"
    # Not one (d0) line: dom0's output went out as it is.  Only what
    # privcmd-test wrote with console_io is dom0's text on the
    # hypervisor's console.
    prefixed = [m.group(0) for m in r.find_all(r"^\(d0\) (.*)$")
                if not m.group(1).startswith("privcmd-test: ")]
    assert not prefixed, f"{prefixed}\n{r.describe()}"
    assert r.find(r"^xen-lite exiting: all domains have exited "
                  r"\(status 0\)$"), r.describe()


@pytest.mark.qemu
@pytest.mark.parametrize("vcpus,smp", [(1, 2), (2, 2), (4, 2), (1, 4),
                                       (2, 4), (4, 4)],
                         ids=["1vcpu-smp2", "2vcpu-smp2", "4vcpu-smp2",
                              "1vcpu-smp4", "2vcpu-smp4", "4vcpu-smp4"])
def test_linux_boots_to_init(run_qemu, dist, linux, vcpus, smp):
    # tsc=reliable: without an invariant TSC (hidden, as by QEMU's CPU
    # models under KVM) Linux on an AMD CPU takes the TSCs of several
    # CPUs as unsynchronized and logs "Marking TSC unstable", as it does
    # under KVM; natively, QEMU's TCG vCPUs fail its TSC warp check
    # (LINUX-GUESTS.md).  kvm-clock is the clocksource either way.
    #
    # With 4 vCPUs Linux takes KVM's PV send-IPI (kvm.c: "setup PV IPIs",
    # needing more than one possible CPU) for its multicast IPIs, and
    # privcmd-test reads the hypervisor's per-vCPU counts of those calls
    # (sysctl irq_stats): they must have grown during the boot.
    vmlinux, initramfs = linux
    pv_ipi = vcpus == 4
    r = run_qemu(dist.elf32, ARGS, smp=smp, timeout=BOOT_TIMEOUT,
                 modules=[(vmlinux, f"mem=256M vcpus={vcpus} console=ttyS0 "
                                    f"tsc=reliable"
                                    + (" -- privcmd" if pv_ipi else "")),
                          (initramfs, "initrd")])
    check_init(r, vcpus, ("kvm-clock",))
    assert r.exit_code == qemu_exit_code(0), r.describe()
    out = guest_output(r.serial)
    setup = [x for x in out if re.search(r"kvm-guest: setup PV IPIs$", x)]
    assert bool(setup) == (vcpus > 1), r.describe()
    if pv_ipi:
        assert "XENLITE-PRIVCMD OK" in out, r.describe()
        m = next((m for m in (re.search(r"^XENLITE-PRIVCMD pv send-ipi "
                                        r"total calls (\d+) targets (\d+)$",
                                        x) for x in out) if m), None)
        assert m, r.describe()
        calls, targets = int(m.group(1)), int(m.group(2))
        assert calls > 0 and targets >= calls, m.group(0)


@pytest.mark.qemu
def test_linux_runs_and_powers_off(dist, test_dir, linux):
    """Two vCPUs on two pCPUs: a pipe ping-pong of 10000 round trips
    between processes pinned to each vCPU, sleep 2 taking 2 s of host time
    (within 10 %), a line typed on the serial console read through the
    tty, and an ACPI power-off ending the domain with status 0."""
    vmlinux, initramfs = linux
    s = QemuSession(dist.elf32, ARGS, smp=2, workdir=test_dir, name="linux")
    s.cmd += ["-initrd", initrd_arg([
        (vmlinux, "mem=256M vcpus=2 console=ttyS0 tsc=reliable -- checks "
                  "poweroff"), (initramfs, "initrd")])]
    with s as q:
        m = q.wait_for_output(r"^XENLITE-INIT pingpong (\d+) round trips, "
                              r"CPU 0 and CPU 1", timeout=BOOT_TIMEOUT)
        assert m.group(1) == "10000", q.text[-3000:]
        q.wait_for_output(r"^XENLITE-INIT sleep 2 begin$", timeout=60)
        t0 = time.monotonic()
        q.wait_for_output(r"^XENLITE-INIT sleep 2 end", timeout=10)
        took = time.monotonic() - t0
        assert 1.8 <= took <= 2.2, f"sleep 2 took {took:.2f} s\n" \
            f"{q.text[-3000:]}"
        q.wait_for_output(r"^XENLITE-INIT type a line$", timeout=30)
        q.send(b"typed-at-the-console\r")
        q.wait_for_output(r"^XENLITE-INIT read typed-at-the-console$",
                          timeout=30)
        q.wait_for_output(r"^XENLITE-INIT OK$", timeout=30)
        q.wait_for(r"^d0: ACPI power off$", timeout=30)
        q.wait_for(r"^xen-lite exiting: all domains have exited "
                   r"\(status 0\)$", timeout=30)
        q.proc.wait(timeout=30)
        assert q.proc.returncode == qemu_exit_code(0), q.text[-3000:]
        bad = [x for x in guest_output(q.text) if re.search(BAD_LINES, x)]
        assert not bad, bad


TWO_DOMAINS_ARGS = "mem=192M vcpus=1 console=ttyS0 tsc=reliable -- poweroff"


def check_two_domains(r):
    """d0 (privileged) and d1 (not) both reached /init and powered off;
    d1's output keeps its (d1) prefix."""
    assert r.find(r"^d0: .*\(PVH\), initrd module \(dom0\)$"), r.describe()
    assert r.find(r"^d1: .*\(PVH\), initrd module$"), r.describe()
    assert "XENLITE-INIT OK" in guest_output(r.serial), r.describe()
    assert r.find(r"^\(d1\) XENLITE-INIT OK$"), r.describe()
    assert r.find(r"^d0: ACPI power off$"), r.describe()
    assert r.find(r"^d1: ACPI power off$"), r.describe()
    assert r.find(r"^xen-lite exiting: all domains have exited "
                  r"\(status 0\)$"), r.describe()
    bad = [x for x in guest_output(r.serial) if re.search(BAD_LINES, x)]
    assert not bad, f"{bad}\n{r.describe()}"


@pytest.mark.qemu
def test_two_linux_domains(run_qemu, dist, linux):
    vmlinux, initramfs = linux
    r = run_qemu(dist.elf32, f"{ARGS} boot_domains=2", smp=2,
                 timeout=BOOT_TIMEOUT,
                 modules=[(vmlinux, TWO_DOMAINS_ARGS), (initramfs, "initrd"),
                          (vmlinux, TWO_DOMAINS_ARGS), (initramfs, "initrd")],
                 extra_args=["-m", "1024"])
    check_two_domains(r)
    assert r.exit_code == qemu_exit_code(0), r.describe()


# Two Linux boots on Bochs take over a minute: make test-long only (make
# test boots one Linux on Bochs 3.0 here and dom0 in test_xl.py).
@pytest.mark.bochs
@pytest.mark.skipif(os.environ.get("XENLITE_LONG") != "1",
                    reason="make test-long (XENLITE_LONG=1) only")
def test_two_linux_domains_on_vmx(build_iso, run_bochs, linux):
    # Bochs 3.0 (VMX with posted interrupts); GRUB loads the kernel twice,
    # hence 1 GiB.  d1 also runs privcmd-test: the dom0 driver in a domU,
    # by VMCALL, gets -EPERM for every sysctl and domctl.
    from test_privcmd import check_privcmd_d1
    vmlinux, initramfs = linux
    args = TWO_DOMAINS_ARGS.replace(" --", " mitigations=off --")
    iso = build_iso(f"{ARGS} boot_domains=2",
                    [(vmlinux, args), (initramfs, "initrd"),
                     (vmlinux, f"{args} privcmd-domu"),
                     (initramfs, "initrd")])
    r = run_bochs(iso, cpus=2, version="3.0", megs=1024, timeout=400)
    assert r.find(r"^HVM: VMX APICv on.*posted interrupts on"), r.describe()
    check_two_domains(r)
    check_privcmd_d1(r, "VMCALL")


# Bochs 2.7 (APICv, no posting) boots Linux in 80 s, the slowest test of
# make test: it runs in make test-long, and make test keeps Bochs 3.0's.
BOCHS27_LONG = pytest.mark.skipif(
    os.environ.get("XENLITE_LONG") != "1",
    reason="make test-long (XENLITE_LONG=1) only")


@pytest.mark.bochs
@pytest.mark.parametrize("version,posted", [
    pytest.param("2.7", "not supported", marks=BOCHS27_LONG),
    ("3.0", "on")], ids=["bochs27-apicv", "bochs30-posted"])
def test_linux_boots_to_init_on_vmx(build_iso, run_bochs, linux, version,
                                    posted):
    # Bochs 2.7 (VMX with APICv) and 3.0 (with posted interrupts), 2
    # vCPUs.  The CPU model has an invariant TSC, which xen-lite hides by
    # default (with it, Linux's kvmclock.c rates itself below the TSC);
    # mitigations=off keeps the model's speculation advisories out of the
    # log.  /init also runs privcmd-test: the dom0 driver's hypercalls by
    # VMCALL (test_privcmd.py has them by VMMCALL on QEMU).
    from test_privcmd import CAPS_HVM, CAPS_VMX, check_privcmd_dom0
    vmlinux, initramfs = linux
    iso = build_iso(ARGS, [(vmlinux, "mem=256M vcpus=2 console=ttyS0 "
                                     "tsc=reliable mitigations=off -- "
                                     "privcmd"),
                           (initramfs, "initrd")])
    r = run_bochs(iso, cpus=2, version=version, timeout=300)
    assert r.find(r"^HVM: VMX APICv on.*posted interrupts " + posted), \
        r.describe()
    check_init(r, 2, ("kvm-clock",))
    check_privcmd_dom0(r, smp=2, vcpus=2, mem_mb=256, insn="VMCALL",
                       caps=CAPS_HVM | CAPS_VMX)


@pytest.mark.qemu
def test_kernel_larger_than_mem_is_refused(run_qemu, dist, linux):
    vmlinux, _ = linux
    end = kernel_end(vmlinux)
    assert end > 64 << 20
    r = run_qemu(dist.elf32, ARGS, smp=1, timeout=BOOT_TIMEOUT,
                 modules=[(vmlinux, f"mem=64M {LINUX_ARGS}")])
    need = (end + 1023) >> 10
    assert r.find(rf"^d0: the kernel needs {need} KiB of RAM \(up to "
                  rf"{end:#x}\) but the domain has 65536 KiB \(mem=\)$"), \
        r.describe()
    assert r.find(r"^d0: cannot build from module 0 "), r.describe()
    assert r.find(r"^xen-lite exiting: no domain could be built "
                  r"\(status 1\)$"), r.describe()
    assert r.exit_code == qemu_exit_code(1), r.describe()


@pytest.mark.qemu
def test_initramfs_init_on_bare_qemu(linux, test_dir):
    # The test initramfs itself, without xen-lite: QEMU's own PVH loader
    # boots the same vmlinux on plain TCG, /init mounts /proc, /sys and
    # /dev, says so and writes 0 to the exit port (QEMU exit code 1).
    vmlinux, initramfs = linux
    serial = test_dir / "bare.serial.txt"
    cmd = ["qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-cpu", "max",
           "-m", "512", "-nodefaults", "-display", "none",
           "-serial", f"file:{serial}", "-monitor", "none", "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-kernel", str(vmlinux), "-initrd", str(initramfs),
           "-append", "console=ttyS0 quiet"]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=BOOT_TIMEOUT)
    text = serial.read_text(errors="replace")
    assert "XENLITE-INIT OK" in text.splitlines(), text[-3000:]
    # Not on xen-lite: the dom0 driver declines to load.
    assert "XENLITE-INIT privcmd not loaded: No such device" in \
        text.splitlines(), text[-3000:]
    assert proc.returncode == qemu_exit_code(0), text[-3000:]
