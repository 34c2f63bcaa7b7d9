"""The IPI fast path: a guest's x2APIC ICR writes of fixed IPIs to one vCPU
are completed straight after the exit; xAPIC IPIs (MMIO) and the other
delivery modes take the full path.  The 'v' dump counts both."""

import re

import pytest

from emulators import QemuSession

ARGS = "console=com1 loglvl=all"


def ipi_counts(repo_root, test_dir, apic):
    env = test_dir / f"{apic}.env"
    env.write_text(f"ipis=1000\napic={apic}\n")
    s = QemuSession(repo_root / "dist" / "xen-lite.elf32", ARGS, smp=2,
                    workdir=test_dir, name=apic)
    s.cmd += ["-initrd", f"{repo_root}/build/guests/ipi_pingpong.elf "
                         f"vcpus=2,{env} env"]
    with s as q:
        q.wait_for(r"^\(d0\) VERDICT ipi_pingpong PASS", timeout=120)
        # dom0 has stopped: serial input is the hypervisor's again.
        q.wait_for(r"^\*\*\* Serial input to Xen ",
                   start=q.text.index("VERDICT ipi_pingpong"))
        at = q.send(b"v")
        q.wait_for(r"^    ipis sent \d+, by the fast path \d+", start=at)
        q.wait_for(r"^d0v1:", start=at)
        q.wait_for(r"^    ipis sent \d+, by the fast path \d+",
                   start=q.text.index("d0v1:", at))
        dump = q.text[at:]
    return [(int(a), int(b)) for a, b in
            re.findall(r"ipis sent (\d+), by the fast path (\d+)", dump)]


@pytest.mark.qemu
def test_x2apic_fixed_ipis_take_the_fast_path(repo_root, test_dir, dist):
    counts = ipi_counts(repo_root, test_dir, "x2apic")
    assert len(counts) == 2, counts
    # vCPU 1 sends only ping-pong IPIs: every one by the fast path.  vCPU 0
    # also sent INIT and SIPIs to start vCPU 1, which are not fixed IPIs.
    assert counts[1] == (500, 500), counts
    assert counts[0][1] == 500 and counts[0][0] > 500, counts


@pytest.mark.qemu
def test_xapic_ipis_take_the_full_path(repo_root, test_dir, dist):
    counts = ipi_counts(repo_root, test_dir, "xapic")
    assert [fast for _, fast in counts] == [0, 0], counts
    assert counts[1][0] == 500, counts
