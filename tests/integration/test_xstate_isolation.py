"""Registers that VM entries do not switch stay with their vCPU: x87,
SSE, AVX, MXCSR, XCR0 and the debug registers (xstate.c).

The xstate_isolation kernel checks that it starts in the power-up state,
loads a pattern of its own and checks it again and again while other
vCPUs take turns on the same pCPU.  It runs as two domains with
different seeds on one pCPU (what one domain leaves in a register the
other would see), and as one domain with two vCPUs on one pCPU, on
QEMU (SVM) and on the three Bochs configurations (VMX).
"""

import pytest

from emulators import guest_modules, qemu_exit_code, verdicts
from test_guests_vmx import CONFIGS, boot

ARGS = "console=com1 loglvl=all shutdown=exit"
KERNEL = "xstate_isolation"


def two_domains(guests, test_dir, extra, ms):
    return (guest_modules(guests, test_dir, KERNEL, f"vcpus=1 {extra}",
                          f"seed=1 ms={ms}", "-1") +
            guest_modules(guests, test_dir, KERNEL, f"vcpus=1 {extra}",
                          f"seed=2 ms={ms}", "-2"))


def one_domain(guests, test_dir, extra, ms):
    return guest_modules(guests, test_dir, KERNEL, f"vcpus=2 {extra}",
                         f"seed=3 ms={ms}")


LAYOUTS = [("two-domains", two_domains, 2), ("two-vcpus", one_domain, 1)]


def check(r, ndomains):
    got = sorted((int(d), name, res) for d, name, res, _ in verdicts(r))
    want = [(d, KERNEL, "PASS") for d in range(ndomains)]
    assert got == want, f"{verdicts(r)}\n{r.describe()}"
    assert r.find(r"^xen-lite exiting: all domains have exited "
                  r"\(status 0\)$"), r.describe()


@pytest.mark.qemu
@pytest.mark.parametrize("layout,mods,ndomains", LAYOUTS,
                         ids=[x[0] for x in LAYOUTS])
def test_xstate_on_svm(run_qemu, dist, guests, test_dir, layout, mods,
                       ndomains):
    r = run_qemu(dist.elf32, f"{ARGS} boot_domains={ndomains}", smp=1,
                 timeout=120, modules=mods(guests, test_dir, "", 400))
    check(r, ndomains)
    assert r.exit_code == qemu_exit_code(0), r.describe()


@pytest.mark.bochs
@pytest.mark.parametrize("config", CONFIGS, ids=[c[0] for c in CONFIGS])
@pytest.mark.parametrize("layout,mods,ndomains", LAYOUTS,
                         ids=[x[0] for x in LAYOUTS])
def test_xstate_on_vmx(build_iso, run_bochs, guests, test_dir, config,
                       layout, mods, ndomains):
    r = boot(build_iso, run_bochs, config,
             mods(guests, test_dir, "mem=16M", 300),
             f"smp=1 boot_domains={ndomains}")
    check(r, ndomains)
