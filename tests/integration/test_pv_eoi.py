"""Paravirtual EOI: a guest using KVM's interface (as stock Linux does)
EOIs almost every interrupt through its flag, so EOI exits fall to near
zero; pv_eoi=0 hides the feature (the KVM leaves stay for kvmclock and steal
time)."""


import pytest

from emulators import QemuSession, qemu_exit_code

ARGS = "console=com1 loglvl=all"


@pytest.mark.qemu
def test_eois_go_through_the_flag(dist, test_dir, repo_root):
    s = QemuSession(dist.elf32, ARGS, smp=2, workdir=test_dir)
    s.cmd += ["-initrd", f"{repo_root}/build/guests/pv_eoi.elf"]
    with s as q:
        ex = q.wait_for(r"^\(d0\) pv_eoi: (\d+) interrupts, (\d+) EOI exits "
                        r"\(irq_stats\)$", timeout=120)
        q.wait_for(r"^\(d0\) VERDICT pv_eoi PASS", timeout=120)
        # dom0 has stopped: serial input is the hypervisor's again.
        q.wait_for(r"^\*\*\* Serial input to Xen ",
                   start=q.text.index("VERDICT pv_eoi"))
        at = q.send(b"v")
        m = q.wait_for(r"^    ipis sent \d+, by the fast path \d+; "
                       r"eois (\d+), by PV EOI (\d+)", start=at)
    # The hypervisor's irq_stats, read by the guest: EOI exits near zero
    # while the guest EOIs one interrupt at a time through the flag.
    assert int(ex[1]) == 2000 and int(ex[2]) <= 20, ex[0]
    eois, pv = int(m[1]), int(m[2])
    # The guest sends 2000 self-IPIs with PV EOI on (each may skip the
    # register), 2 nested ones (the first must use the register) and 100
    # with PV EOI off (all through the register).
    assert pv >= 2000, f"only {pv} of {eois} EOIs through the flag"
    assert eois - pv <= 101 + 5, f"{eois - pv} EOIs took the register"


@pytest.mark.qemu
def test_pv_eoi_0_hides_the_feature(run_qemu, dist, guests):
    r = run_qemu(dist.elf32, "console=com1 loglvl=all shutdown=exit pv_eoi=0",
                 smp=2, modules=[guests / "pv_eoi.elf"], timeout=120)
    # The KVM leaves stay (kvmclock, steal time), without the PV EOI bit.
    assert r.find(r"^\(d0\) VERDICT pv_eoi SKIP KVM leaves at 0x40000100 "
                  r"without the PV EOI feature"), r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()
