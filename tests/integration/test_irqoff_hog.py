"""irqoff_hog: two vCPUs of one domain on one pCPU, both spinning with
interrupts disabled, must take turns by the credit scheduler's 30 ms
slice.  That needs the hypervisor's timer interrupts to reach it while a
guest runs with RFLAGS.IF clear.  QEMU's SVM does that like hardware;
Bochs' VMX does not exit for an external interrupt while the guest's IF
is clear, so the VMX backend bounds every guest run with the
VMX-preemption timer (vmx_preempt_timer, on by default).  The last test
shows what happens on Bochs without it: one vCPU never runs.
"""

import re

import pytest

from emulators import guest_modules, verdicts

ARGS = "console=com1 loglvl=all shutdown=exit"
LINE = re.compile(r"irqoff_hog: \d+ ms, longest gap vCPU0 (\d+) us vCPU1 "
                  r"(\d+) us")


def check_turns(r, limit_us):
    v = verdicts(r)
    assert v and v[0][1:3] == ("irqoff_hog", "PASS"), r.describe()
    m = LINE.search(r.serial)
    assert m, r.describe()
    assert all(int(g) < limit_us for g in m.groups()), r.describe()


@pytest.mark.qemu
def test_turns_on_svm(run_qemu, dist, guests, test_dir):
    r = run_qemu(dist.elf32, ARGS, smp=1, timeout=60,
                 modules=guest_modules(guests, test_dir, "irqoff_hog",
                                       "vcpus=2", None))
    # QEMU's TSC is the host's: a stall of its thread on a loaded host
    # (25 ms seen) adds to a turn, so only the guest's own 100 ms bound.
    check_turns(r, 100000)


@pytest.mark.bochs
@pytest.mark.parametrize("version,opts", [("2.7", "apicv=0"), ("2.7", ""),
                                          ("3.0", "")],
                         ids=["bochs27-noapicv", "bochs27-apicv",
                              "bochs30-posted"])
def test_turns_on_vmx(build_iso, run_bochs, guests, test_dir, version,
                      opts):
    iso = build_iso(f"{ARGS} {opts}".strip(),
                    guest_modules(guests, test_dir, "irqoff_hog",
                                  "vcpus=2 mem=16M", None))
    r = run_bochs(iso, cpus=1, version=version, timeout=120)
    assert r.find(r"^HVM: VMX preemption timer bounds guest runs"), \
        r.describe()
    # Bochs' time is its own: turns of one 30 ms slice, with the rate
    # limit and a tick of slack.
    check_turns(r, 45000)


@pytest.mark.bochs
def test_without_the_backstop_bochs_starves_the_other_vcpu(
        build_iso, run_bochs, guests, test_dir):
    iso = build_iso(f"{ARGS} apicv=0 vmx_preempt_timer=0",
                    guest_modules(guests, test_dir, "irqoff_hog",
                                  "vcpus=2 mem=16M", None))
    r = run_bochs(iso, cpus=1, version="2.7", timeout=120)
    v = verdicts(r)
    # Whichever vCPU got the pCPU first kept it: the other never ran, or
    # waited the whole spin.
    assert v and v[0][1:3] == ("irqoff_hog", "FAIL") and \
        ("never ran" in v[0][3] or "while vCPU" in v[0][3]), r.describe()
