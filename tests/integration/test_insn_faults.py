"""Instructions the hypervisor intercepts and must refuse: the guest test
kernel insn_faults (tests/guests/insn_faults.c) run as a domain on QEMU's
SVM and on the three Bochs VMX configurations of test_guests_vmx.py.

Each case must raise exactly one exception of the architectural vector at
the instruction and resume after it.  An exception the hypervisor decides
on while decoding an exit but then loses makes the vCPU retry the
instruction for ever: no verdict, and the run times out.  So the timeouts
here are short: a pass takes seconds on QEMU and well under a minute on
Bochs.
"""

import pytest

from emulators import guest_modules, qemu_exit_code, verdicts
from test_guests_vmx import CONFIGS, MEM, check_backend, expect_pass

ARGS = "console=com1 loglvl=all shutdown=exit"
QEMU_TIMEOUT = 60
BOCHS_TIMEOUT = 120
KERNEL = "insn_faults"


@pytest.mark.bochs
@pytest.mark.parametrize("config", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_insn_faults_on_vmx(build_iso, run_bochs, guests, test_dir, config):
    _, version, opts, apicv, posted = config
    iso = build_iso(f"{ARGS} {opts}".strip(),
                    guest_modules(guests, test_dir, KERNEL,
                                  f"vcpus=1 {MEM}", None))
    r = run_bochs(iso, cpus=2, version=version, timeout=BOCHS_TIMEOUT)
    check_backend(r, apicv, posted)
    expect_pass(r, KERNEL)
    # Every case ran: on VMX only the MOV CR4.VMXE case may be skipped
    # (never, as the domain's CPUID hides VMX), and MONITOR/MWAIT only
    # where CPUID offers them (it does not).
    v = verdicts(r)
    assert "skipped (MOV CR4.VMXE" not in v[0][3], r.describe()
    assert "MONITOR" not in v[0][3], r.describe()


# On SVM the hypervisor intercepts none of MOV CR0/CR4, MONITOR and MWAIT
# (QEMU TCG itself neither faults MOV CR4 with reserved bits - it retries
# the instruction - nor MOV CR0 with NW without CD or PG without PE, and
# runs MONITOR/MWAIT although the domain's CPUID hides them), and an
# XSETBV intercept ends the domain as an unhandled exit.
SVM_GAPS = ("SVM backend: no MOV CR0/CR4 intercepts (QEMU TCG does not "
            "check the values), MONITOR/MWAIT run natively although CPUID "
            "hides them, XSETBV exit unhandled")


@pytest.mark.qemu
@pytest.mark.xfail(strict=True, reason=SVM_GAPS)
def test_insn_faults_on_svm(run_qemu, dist, guests, test_dir):
    r = run_qemu(dist.elf32, ARGS, smp=1, timeout=QEMU_TIMEOUT,
                 modules=guest_modules(guests, test_dir, KERNEL, "vcpus=1",
                                       None))
    v = verdicts(r)
    assert v, f"no verdict from {KERNEL}\n{r.describe()}"
    assert v[0][1:3] == (KERNEL, "PASS"), f"{v[0]}\n{r.describe()}"
    assert r.find(r"^xen-lite exiting: all domains have exited "
                  r"\(status 0\)$"), r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()
