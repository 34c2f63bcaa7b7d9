"""The guest test suite run as HVM domains of xen-lite on QEMU TCG (AMD SVM
with nested paging).  Each guest kernel prints a VERDICT line and writes
its status to the exit port; the hypervisor ends the run when every domain
has exited, with status 0 only if all of them passed.

Counts are smaller than the kernels' defaults: every VM exit costs
hundreds of microseconds under QEMU's emulation of SVM, so 100 000 IPIs
take minutes.  `make test-long` runs the full counts.
"""

import os

import pytest

from emulators import (check_cmos_rtc_time, guest_modules, qemu_exit_code,
                       verdicts)

ARGS = "console=com1 loglvl=all shutdown=exit"
TIMEOUT = 240
LONG = os.environ.get("XENLITE_LONG") == "1"

# kernel, vCPUs, environment (None: defaults)
CASES = [
    ("ap_startup", 4, None),
    ("self_ipi_xapic", 1, "ipis=2000"),
    ("self_ipi_x2apic", 1, "ipis=2000"),
    ("ipi_pingpong", 2, None if LONG else "ipis=2000"),
    ("ipi_destinations", 4, None),
    ("lowest_priority", 4, None),
    ("tpr_priorities", 1, "tpr_subword=1"),
    ("cr8_tpr", 1, None),
    ("cr8_tpr", 1, "apic=x2apic"),
    ("lapic_timer", 2, None),
    ("hlt_wakeup", 2, None),
    ("unknown_msr_gp", 1, None),
    ("mmio_unbacked", 1, None),
    ("mmio_insns", 1, None),
    ("mmio_string", 1, None),
    ("pv_eoi", 1, None),
    ("pv_send_ipi", 4, None),
    ("pv_send_ipi", 4, "apic=xapic"),
    ("hlt_irqoff_nmi", 2, None),
    ("sti_shadow_exit", 1, None),
    ("nmi_blocking", 2, None),
    ("nmi_sources", 2, None),
    ("nmi_task_gate", 2, None),
    ("singlestep_emulated", 1, None),
    ("apic_disable", 1, None),
    ("kvmclock", 2, None),
    ("cmos_rtc", 1, None),
    ("init_state", 2, None),
    # QEMU's TCG checks no data-segment limit, null DS or code-segment
    # accessed bit (see odd_state.c): the guest runs on it.
    ("odd_state", 2, "seg_checks=0"),
    # dom0 builds, runs and destroys a domain through the domctls.
    ("domain_build", 1, None),
]


def modules_for(guests, test_dir, kernel, vcpus, env, tag=""):
    return guest_modules(guests, test_dir, kernel, f"vcpus={vcpus}", env, tag)


@pytest.mark.qemu
@pytest.mark.parametrize("smp", [1, 2, 4])
@pytest.mark.parametrize("kernel,vcpus,env", CASES,
                         ids=[f"{c[0]}-{c[1]}vcpu" for c in CASES])
def test_guest_on_svm(run_qemu, dist, guests, test_dir, kernel, vcpus, env,
                      smp):
    r = run_qemu(dist.elf32, ARGS, smp=smp, timeout=TIMEOUT,
                 modules=modules_for(guests, test_dir, kernel, vcpus, env))
    v = verdicts(r)
    assert v, f"no verdict from {kernel}\n{r.describe()}"
    assert v[0][1:3] == (kernel, "PASS"), f"{v[0]}\n{r.describe()}"
    assert r.find(r"^xen-lite exiting: all domains have exited \(status 0\)$"), \
        r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()
    if kernel == "cmos_rtc":
        check_cmos_rtc_time(r, host_utc=True)
    if kernel == "nmi_sources":
        # Under xen-lite the LINT1 part runs (natively it cannot).
        assert "LINT1 NMI, masked, fixed, refusals" in v[0][3], r.describe()
    if kernel == "domain_build":
        # The built domain's lines keep their prefix on the serial line.
        assert r.find(r"^\(d1\) domU: cmdline=hello-from-dom0$"), \
            r.describe()
        assert r.find(r"^\(d1\) domU: got ping$"), r.describe()
        assert r.find(r"^d1: exit port written, status 42$"), r.describe()


@pytest.mark.qemu
def test_kernel_in_conventional_memory(run_qemu, dist, guests, test_dir):
    """ap_startup linked with its code and data at 64 KiB (and its bss
    from 2 MiB): Multiboot lets a kernel load below 1 MiB, outside the
    EBDA and BIOS areas; it boots and starts its APs."""
    r = run_qemu(dist.elf32, ARGS, smp=2, timeout=TIMEOUT,
                 modules=modules_for(guests, test_dir, "ap_startup.low", 2,
                                     None))
    assert r.find(r"^d0: 2 vCPUs, .*entry 0x1[0-9a-f]{4} \(Multiboot\)"), \
        r.describe()
    v = verdicts(r)
    assert v and v[0][1:3] == ("ap_startup", "PASS"), r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()


# ioapic_lines drives IOAPIC pins through QEMU pc-testdev's ports, which
# xen-lite gives only to a domain built with testdev=1 (the kernel's
# option); 2 vCPUs add the level/edge switch on a vCPU running the guest.
IOAPIC_LINES = [(1, 1), (2, 2)]


@pytest.mark.qemu
@pytest.mark.parametrize("vcpus,smp", IOAPIC_LINES,
                         ids=[f"{v}vcpu-smp{s}" for v, s in IOAPIC_LINES])
def test_ioapic_lines_on_svm(run_qemu, dist, guests, test_dir, vcpus, smp):
    mods = guest_modules(guests, test_dir, "ioapic_lines",
                         f"vcpus={vcpus} testdev=1", None)
    r = run_qemu(dist.elf32, ARGS, smp=smp, timeout=TIMEOUT, modules=mods)
    assert r.find(r"^d0: pc-testdev interrupt lines at ports "
                  r"0x2000-0x2017$"), r.describe()
    v = verdicts(r)
    assert v and v[0][1:3] == ("ioapic_lines", "PASS"), r.describe()
    assert "xAPIC and x2APIC" in v[0][3], r.describe()
    if vcpus > 1:
        assert "level and edge on a running CPU 1" in v[0][3], r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()


@pytest.mark.qemu
def test_testdev_only_on_request(run_qemu, dist, guests, test_dir):
    """Without testdev=1 the ports are the empty bus: no interrupt."""
    r = run_qemu(dist.elf32, ARGS, smp=1, timeout=TIMEOUT,
                 modules=modules_for(guests, test_dir, "ioapic_lines", 1,
                                     None))
    assert not r.find(r"pc-testdev"), r.describe()
    v = verdicts(r)
    assert v and v[0][1:3] == ("ioapic_lines", "FAIL"), r.describe()
    assert "reads 0xff, 0xffff, 0xffffffff" in v[0][3], r.describe()


@pytest.mark.qemu
@pytest.mark.parametrize("smp", [1, 4])
def test_ap_startup_on_1_and_4_pcpus(run_qemu, dist, guests, test_dir, smp):
    r = run_qemu(dist.elf32, ARGS, smp=smp, timeout=TIMEOUT,
                 modules=modules_for(guests, test_dir, "ap_startup", 4, None))
    assert [x[1:3] for x in verdicts(r)] == [("ap_startup", "PASS")], \
        r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()


@pytest.mark.qemu
@pytest.mark.parametrize("smp", [2, 4])
def test_pin_blocked_on_svm(run_qemu, dist, guests, test_dir, smp):
    """dom0 pins its own vCPUs 1..3, asleep in HLT, between pCPUs while
    it sends them IPIs: every IPI taken, every vCPU on a pCPU of its mask,
    the wakeup lists following the blocked vCPUs, bad arguments refused.
    The hypervisor's ASSERTs (a vCPU entering a list while on one) would
    end the run."""
    r = run_qemu(dist.elf32, ARGS, smp=smp, timeout=TIMEOUT,
                 modules=modules_for(guests, test_dir, "pin_blocked", 4,
                                     None))
    v = verdicts(r)
    assert v and v[0][1:3] == ("pin_blocked", "PASS"), r.describe()
    assert f"on {smp} pCPUs" in v[0][3], r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()


@pytest.mark.qemu
def test_8_vcpus_on_2_pcpus(run_qemu, dist, guests, test_dir):
    # Overcommit: eight vCPUs start, then every destination mode is checked.
    mods = (modules_for(guests, test_dir, "ap_startup", 8, None) +
            [])
    r = run_qemu(dist.elf32, ARGS, smp=2, timeout=TIMEOUT, modules=mods)
    assert [x[1:3] for x in verdicts(r)] == [("ap_startup", "PASS")], \
        r.describe()
    r = run_qemu(dist.elf32, ARGS, smp=2, timeout=TIMEOUT,
                 modules=modules_for(guests, test_dir, "ipi_destinations", 8,
                                     None))
    assert [x[1:3] for x in verdicts(r)] == [("ipi_destinations", "PASS")], \
        r.describe()


@pytest.mark.qemu
def test_two_domains_at_once(run_qemu, dist, guests, test_dir):
    mods = (modules_for(guests, test_dir, "ipi_pingpong", 2, "ipis=1000") +
            modules_for(guests, test_dir, "ipi_destinations", 2, None))
    r = run_qemu(dist.elf32, f"{ARGS} boot_domains=2", smp=2,
                 timeout=TIMEOUT, modules=mods)
    got = sorted((int(d), name, res) for d, name, res, _ in verdicts(r))
    assert got == [(0, "ipi_pingpong", "PASS"),
                   (1, "ipi_destinations", "PASS")], r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()


@pytest.mark.qemu
def test_triple_fault_crashes_only_its_domain(run_qemu, dist, guests,
                                              test_dir):
    # d0 triple-faults; d1 must run to its own verdict afterwards.
    mods = (modules_for(guests, test_dir, "triple_fault", 1, None) +
            modules_for(guests, test_dir, "hlt_wakeup", 2, None))
    r = run_qemu(dist.elf32, f"{ARGS} boot_domains=2", smp=2,
                 timeout=TIMEOUT, modules=mods)
    assert r.find(r"^d0 crashed: triple fault on vCPU 0$"), r.describe()
    assert [x[:3] for x in verdicts(r)] == [("1", "hlt_wakeup", "PASS")], \
        r.describe()
    # One domain failed, so the run ends with status 1, cleanly.
    assert r.find(r"^xen-lite exiting: a domain failed \(status 1\)$"), \
        r.describe()
    assert r.exit_code == qemu_exit_code(1), r.describe()


@pytest.mark.qemu
def test_pv_send_ipi_0_hides_the_feature(run_qemu, dist, guests, test_dir):
    """pv_send_ipi=0 (a Xen- or KVM-like configuration): the KVM leaves
    stay (kvmclock, steal time) without the PV send-IPI bit, and
    KVM_HC_SEND_IPI does not exist (-KVM_ENOSYS, checked by the guest
    before its SKIP)."""
    r = run_qemu(dist.elf32, f"{ARGS} pv_send_ipi=0", smp=2, timeout=TIMEOUT,
                 modules=modules_for(guests, test_dir, "pv_send_ipi", 4,
                                     None))
    v = verdicts(r)
    assert v and v[0][1:3] == ("pv_send_ipi", "SKIP") and \
        "without the PV send-IPI feature" in v[0][3], r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()
