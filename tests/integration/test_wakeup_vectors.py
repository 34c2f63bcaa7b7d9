"""Wakeup vectors on a real run: vCPUs of a domain blocked in HLT on one
pCPU wait on that pCPU's wakeup lists, the 'i' debug key shows the lists
and their counters, and the longest scan of a wakeup handler is what the
design predicts. A vCPU joins the least-loaded of K lists, so no scan is
longer than ceil(peak blocked / K): with K = 16 and fewer blocked vCPUs
than that it is 1, with K = 1 (one list per pCPU, as Xen and KVM do it)
a wakeup scans every vCPU blocked there.

The guest is hlt_wakeup with 6 vCPUs on 1 pCPU: the APs idle in HLT and
each is woken in turn by IPIs and its timer, so up to 5 are blocked at
once; when the domain has exited they are still blocked, on the lists.
"""

import math
import re
import subprocess

import pytest

from emulators import QemuSession, parse_console

VCPUS = 6
CPU_LINE = re.compile(
    r"^CPU0: vectors (0x[0-9a-f]+)-(0x[0-9a-f]+) blocked (\d+) peak (\d+) "
    r"runs (\d+) scanned (\d+) woken (\d+) spurious (\d+) max_scan (\d+)$")
LIST_LINE = re.compile(
    r"^  vec (0x[0-9a-f]+): blocked (\d+) \[(.*)\] runs (\d+) scanned (\d+) "
    r"woken (\d+) spurious (\d+) max_scan (\d+)$")


@pytest.fixture(scope="module")
def guest(repo_root):
    subprocess.run(["make", "-s", "-C", str(repo_root / "tests" / "guests")],
                   check=True)
    return repo_root / "build" / "guests" / "hlt_wakeup.elf"


def dump_after_run(dist, test_dir, guest, k):
    """Boot with pi_wakeup_vectors=k, run the guest, press 'i': the dump."""
    env = test_dir / f"k{k}.env"
    env.write_text("rounds=2\n")
    s = QemuSession(dist.elf32,
                    f"console=com1 loglvl=all pi_wakeup_vectors={k}",
                    smp=1, workdir=test_dir, name=f"k{k}")
    s.cmd += ["-initrd", f"{guest} vcpus={VCPUS},{env} env"]
    with s as q:
        q.wait_for(rf"^PI: {k} wakeup vectors? per pCPU$")
        q.wait_for(r"^\(d0\) VERDICT hlt_wakeup PASS", timeout=100)
        q.wait_for(r"^Nothing left to run")
        at = q.send(b"i")
        q.wait_for(r"^All pCPUs: ", start=at)
        msgs = [line.msg for line in parse_console(q.text[at:])]
    assert msgs[0] == "'i' pressed -> dumping interrupt and wakeup-vector " \
                      "state", msgs
    cpu = [CPU_LINE.match(m) for m in msgs if CPU_LINE.match(m)]
    assert len(cpu) == 1, "\n".join(msgs)
    lists = [LIST_LINE.match(m) for m in msgs if LIST_LINE.match(m)]
    return cpu[0], lists, "\n".join(msgs)


def check_dump(k, cpu, lists, text):
    first, last = int(cpu.group(1), 16), int(cpu.group(2), 16)
    blocked, peak = int(cpu.group(3)), int(cpu.group(4))
    runs, scanned, woken = (int(cpu.group(i)) for i in (5, 6, 7))
    max_scan = int(cpu.group(9))
    assert (first, last) == (0xa0, 0xa0 + k - 1), text
    # Several vCPUs were blocked at once on the pCPU, and still are.
    assert peak >= 3 and peak <= VCPUS, text
    assert blocked >= 2, text
    # Every blocked vCPU is listed, by name, on exactly one list.
    names = [n for m in lists for n in m.group(3).split()]
    assert len(names) == blocked == sum(int(m.group(2)) for m in lists), text
    assert len(set(names)) == len(names), text
    assert all(re.fullmatch(r"d0v[1-5]", n) for n in names), text
    # The guest's IPI and timer wakeups went through the handlers.
    assert runs >= 50 and woken >= 50, text
    assert scanned >= woken, text
    # The design's bound on every scan.
    assert max_scan <= math.ceil(peak / k), text
    for m in lists:
        assert int(m.group(2)) <= math.ceil(peak / k), text
        assert int(m.group(8)) <= max_scan, text
    return max_scan, scanned / runs


@pytest.mark.qemu
def test_wakeup_lists_and_scan_lengths_for_1_and_16_vectors(dist, test_dir,
                                                            guest):
    cpu1, lists1, text1 = dump_after_run(dist, test_dir, guest, 1)
    scan1, avg1 = check_dump(1, cpu1, lists1, text1)
    cpu16, lists16, text16 = dump_after_run(dist, test_dir, guest, 16)
    scan16, avg16 = check_dump(16, cpu16, lists16, text16)

    # K = 1: one list holds every blocked vCPU and wakeups scan them all.
    assert len(lists1) == 1, text1
    assert scan1 >= 2, text1
    # K = 16, at most 6 blocked: one vCPU per list, every scan is 1.
    assert scan16 == 1, text16
    assert all(int(m.group(2)) <= 1 for m in lists16), text16
    assert scan1 > scan16 and avg1 > avg16, f"{text1}\n{text16}"
