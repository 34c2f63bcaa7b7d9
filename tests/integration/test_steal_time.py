"""KVM steal time as xen-lite offers it (steal_time.c): two vCPUs of one
domain busy on a single pCPU (smp=1) each see their steal time grow and
the other one preempted; a vCPU alone on its pCPU that sleeps in HLT sees
no steal.  On QEMU (SVM) and on the three Bochs configurations of
test_guests_vmx.py."""

import pytest

from emulators import guest_modules, qemu_exit_code, verdicts
from test_guests_vmx import CONFIGS, MEM, boot, expect_pass

ARGS = "console=com1 loglvl=all shutdown=exit"

# id, vCPUs, environment
CASES = [
    ("shared", 2, "mode=shared ms=400"),
    ("alone", 1, "mode=alone rounds=10"),
]


@pytest.mark.qemu
@pytest.mark.parametrize("name,vcpus,env", CASES, ids=[c[0] for c in CASES])
def test_steal_time_on_svm(run_qemu, dist, guests, test_dir, name, vcpus,
                           env):
    r = run_qemu(dist.elf32, ARGS, smp=1, timeout=120,
                 modules=guest_modules(guests, test_dir, "steal_time",
                                       f"vcpus={vcpus}", env))
    v = verdicts(r)
    assert v and v[0][1:3] == ("steal_time", "PASS"), \
        f"{v[:1]}\n{r.describe()}"
    assert r.exit_code == qemu_exit_code(0), r.describe()


@pytest.mark.bochs
@pytest.mark.parametrize("config", CONFIGS, ids=[c[0] for c in CONFIGS])
@pytest.mark.parametrize("name,vcpus,env", CASES, ids=[c[0] for c in CASES])
def test_steal_time_on_vmx(build_iso, run_bochs, guests, test_dir, config,
                           name, vcpus, env):
    r = boot(build_iso, run_bochs, config,
             guest_modules(guests, test_dir, "steal_time",
                           f"vcpus={vcpus} {MEM}", env), extra="smp=1")
    expect_pass(r, "steal_time")
