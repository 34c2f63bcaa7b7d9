"""COM1 as an interrupting 16550A and the ACPI sleep and reset registers,
seen from guests running as xen-lite domains.

- uart_irq: THRE and RX interrupts on ISA IRQ 4 through the vIOAPIC,
  gated by MCR.OUT2, loopback, FIFO trigger level, and (2 vCPUs) an
  interrupt raised by vCPU 0's UART write taken on vCPU 1; on QEMU (SVM)
  and the three Bochs (VMX) configurations.
- uart_input: a line typed on the serial console reaches dom0's UART and
  is read through the receive interrupt (input follows dom0).
- acpi_shutdown: S5 through the sleep control register ends the domain
  as a power off with status 0; the reset register ends it with reason
  reboot (shutdown code 1).
"""

import pytest

from emulators import QemuSession, guest_modules, qemu_exit_code, verdicts

ARGS = "console=com1 loglvl=all shutdown=exit"
TIMEOUT = 120
BOCHS_TIMEOUT = 240
MEM = "mem=16M"

BOCHS_CONFIGS = [
    ("bochs27-noapicv", "2.7", "apicv=0"),
    ("bochs27-apicv", "2.7", ""),
    ("bochs30-posted", "3.0", ""),
]


def expect_pass(r, kernel):
    v = verdicts(r)
    assert [x[1:3] for x in v] == [(kernel, "PASS")], r.describe()
    assert r.find(r"^xen-lite exiting: all domains have exited "
                  r"\(status 0\)$"), r.describe()


@pytest.mark.qemu
@pytest.mark.parametrize("smp,vcpus", [(1, 1), (1, 2), (2, 2)],
                         ids=["smp1-1vcpu", "smp1-2vcpu", "smp2-2vcpu"])
def test_uart_irq_on_svm(run_qemu, dist, guests, test_dir, smp, vcpus):
    r = run_qemu(dist.elf32, ARGS, smp=smp, timeout=TIMEOUT,
                 modules=guest_modules(guests, test_dir, "uart_irq",
                                       f"vcpus={vcpus}", None))
    expect_pass(r, "uart_irq")
    want = "taken on the routed CPU 1" if vcpus > 1 else "1 CPU"
    assert want in verdicts(r)[0][3], r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()


@pytest.mark.bochs
@pytest.mark.parametrize("config", BOCHS_CONFIGS,
                         ids=[c[0] for c in BOCHS_CONFIGS])
def test_uart_irq_on_vmx(build_iso, run_bochs, guests, test_dir, config):
    name, version, opts = config
    mods = guest_modules(guests, test_dir, "uart_irq", f"vcpus=2 {MEM}",
                         None)
    iso = build_iso(" ".join(a for a in (ARGS, opts) if a), mods)
    r = run_bochs(iso, cpus=2, version=version, timeout=BOCHS_TIMEOUT)
    expect_pass(r, "uart_irq")
    assert "taken on the routed CPU 1" in verdicts(r)[0][3], r.describe()
    assert not r.find(r"VM entry failed|crashed"), r.describe()
    assert r.exit_code == 0, r.describe()


@pytest.mark.qemu
def test_serial_input_reaches_dom0_by_rx_interrupt(dist, guests, test_dir):
    env = test_dir / "input.env"
    env.write_text("expect=hello-uart-7\ntimeout_ms=60000\n")
    s = QemuSession(dist.elf32, ARGS, smp=2, workdir=test_dir)
    s.cmd += ["-initrd", f"{guests}/uart_input.elf,{env} env"]
    with s as q:
        q.wait_for(r"^\*\*\* Serial input to DOM0 ")
        q.wait_for(r"^\(d0\) uart_input: ready", timeout=60)
        q.send(b"hello-uart-7\r")
        m = q.wait_for(r"^\(d0\) VERDICT uart_input (PASS|FAIL)(.*)",
                       timeout=60)
        assert m[1] == "PASS", m[0]
        # Back with the hypervisor once dom0 has gone.
        q.wait_for(r"^\*\*\* Serial input to Xen ")
        q.wait_for(r"^xen-lite exiting: all domains have exited "
                   r"\(status 0\)$")
    # The keys went to the guest, not to the debug-key handlers.
    assert "pressed -> " not in q.text and "no handler" not in q.text, \
        q.text[-2000:]


@pytest.mark.qemu
def test_acpi_poweroff_ends_the_domain_with_status_0(run_qemu, dist, guests,
                                                    test_dir):
    r = run_qemu(dist.elf32, ARGS, smp=1, timeout=TIMEOUT,
                 modules=guest_modules(guests, test_dir, "acpi_shutdown",
                                       "vcpus=1", "action=poweroff"))
    assert r.find(r"^\(d0\) acpi_shutdown: S5, SLP_TYP 5: 0x34 to port "
                  r"0x600$"), r.describe()
    assert r.find(r"^d0: ACPI power off$"), r.describe()
    assert not verdicts(r), r.describe()
    assert not r.find(r"exit port written"), r.describe()
    assert r.find(r"^xen-lite exiting: all domains have exited "
                  r"\(status 0\)$"), r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()


@pytest.mark.qemu
def test_acpi_reset_ends_the_domain_with_reason_reboot(dist, guests,
                                                      test_dir):
    env = test_dir / "reset.env"
    env.write_text("action=reset\n")
    # shutdown=idle: the run stays up so the domain dump can be read.
    s = QemuSession(dist.elf32, "console=com1 loglvl=all", smp=1,
                    workdir=test_dir)
    s.cmd += ["-initrd", f"{guests}/acpi_shutdown.elf,{env} env"]
    with s as q:
        q.wait_for(r"^\(d0\) acpi_shutdown: reset: 0x1 to port 0x602$",
                   timeout=60)
        q.wait_for(r"^d0: ACPI reset \(reboot\)$")
        q.wait_for(r"^Nothing left to run \(all domains have exited\)")
        q.wait_for(r"^\*\*\* Serial input to Xen ")
        at = q.send(b"q")
        q.wait_for(r"^Domain 0 \(d0\) privileged: ", start=at)
        q.wait_for(r"^    shut down, code 1$", start=at)
    assert "VERDICT" not in q.text, q.text[-2000:]


@pytest.mark.bochs
def test_acpi_poweroff_on_vmx(build_iso, run_bochs, guests, test_dir):
    mods = guest_modules(guests, test_dir, "acpi_shutdown", f"vcpus=1 {MEM}",
                         "action=poweroff")
    r = run_bochs(build_iso(ARGS, mods), cpus=2, version="2.7",
                  timeout=BOCHS_TIMEOUT)
    assert r.find(r"^d0: ACPI power off$"), r.describe()
    assert r.find(r"^xen-lite exiting: all domains have exited "
                  r"\(status 0\)$"), r.describe()
    assert r.exit_code == 0, r.describe()
