"""The hypervisor's walks of a guest's page tables, end to end: the
pae_mmio guest kernel turns on PAE paging, then has the hypervisor fetch
an MMIO instruction and copy hypercall buffers through those tables (see
tests/guests/pae_mmio.c).  Run as a domain on QEMU's SVM and on the three
Bochs VMX configurations of test_guests_vmx.py.  On VMX, pae_pdpte_load
also checks that PDPTEs with reserved bits make a MOV to CR0 fault when
the hypervisor emulates it (load_pdptes).

On QEMU the emulated CPU sets the accessed bit (bit 5) of the PAE PDPTE
it walks, a bit both vendors' manuals reserve in that entry; the
hypervisor must then walk by QEMU's rules.  The SVM test insists that it
chose them and that the kernel saw the bit set, so it keeps testing that
case.  On Bochs (Intel) the bit stays clear and the SDM's rules apply.
"""

import pytest

from emulators import guest_modules, qemu_exit_code, verdicts
from test_guests_vmx import CONFIGS, MEM, boot, expect_pass

ARGS = "console=com1 loglvl=all shutdown=exit"
KERNEL = "pae_mmio"
# The line the hypervisor prints for the console_io write, which the
# kernel built across two pages mapped in reverse order.
LINE = ("(d0) pae_mmio: text read through PAE paging, across two pages "
        "mapped in reverse order")


def check_line(r):
    assert LINE in r.messages, f"console_io text not printed whole\n" \
        f"{r.describe()}"


@pytest.mark.qemu
def test_pae_guest_on_svm(run_qemu, dist, guests, test_dir):
    r = run_qemu(dist.elf32, ARGS, smp=1, timeout=120,
                 modules=guest_modules(guests, test_dir, KERNEL, "vcpus=1",
                                       None))
    v = verdicts(r)
    assert v and v[0][1:3] == (KERNEL, "PASS"), f"{v}\n{r.describe()}"
    assert "PDPTE accessed bit set by the CPU" in v[0][3], \
        f"QEMU did not set the PDPTE accessed bit: {v[0]}\n{r.describe()}"
    assert r.find(r"^HVM: guest page walks follow QEMU TCG's checks"), \
        r.describe()
    check_line(r)
    assert r.exit_code == qemu_exit_code(0), r.describe()


@pytest.mark.bochs
@pytest.mark.parametrize("config", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_pae_guest_on_vmx(build_iso, run_bochs, guests, test_dir, config):
    r = boot(build_iso, run_bochs, config,
             guest_modules(guests, test_dir, KERNEL, f"vcpus=1 {MEM}", None))
    expect_pass(r, KERNEL)
    assert r.find(r"^HVM: guest page walks follow the Intel SDM"), \
        r.describe()
    check_line(r)


# load_pdptes() is the same with and without APICv: one configuration.
@pytest.mark.bochs
def test_pdpte_load_on_vmx(build_iso, run_bochs, guests, test_dir):
    kernel = "pae_pdpte_load"
    r = boot(build_iso, run_bochs, CONFIGS[0],
             guest_modules(guests, test_dir, kernel, f"vcpus=1 {MEM}", None))
    expect_pass(r, kernel)
