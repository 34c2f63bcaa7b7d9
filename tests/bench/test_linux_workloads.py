"""The parser of tests/bench/linux_workloads.py on a captured log
(testdata/linux_bench.log: linux-bench's lines from a QEMU run, 4 vCPUs on
2 pCPUs, xen-lite's full configuration).  The expected figures are worked
out by hand from the log's counters.

    python3 -m pytest tests/bench/test_linux_workloads.py -q
"""

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import linux_workloads  # noqa: E402

LOG = (HERE / "testdata" / "linux_bench.log").read_text()


def test_pingpong_figures():
    r = linux_workloads.parse(LOG)["pingpong"]
    assert r["ops"] == 2000 and r["vcpus"] == 4 and r["pcpus"] == 2
    assert r["ops_per_s"] == pytest.approx(2000 / 31.915756221)
    # ICR writes of the four vCPUs: 2245 + 2233 + 1 + 0, no PV send-IPI.
    assert r["ipis"] == 4479
    assert r["sender_exits"] == pytest.approx(1.0)
    # extint 1342+1369+16+3, intr_window 1968+1988+16+4, EOI 400+460+10.
    assert r["target_exits"] == pytest.approx((2730 + 3976 + 870) / 4479)
    assert r["eoi_exits"] == pytest.approx(870 / 4479)
    assert r["exits_per_op"] == pytest.approx(
        (13671 + 13438 + 412 + 103) / 2000)
    assert r["scan"] == 1.0 and r["scan_runs"] == 2570 + 2483
    assert r["wake_cycles"] == pytest.approx(
        (28155966037 + 25866557023 + 29602608121 + 2782694184) /
        (2403 + 2328 + 287 + 34))


def test_pv_send_ipi_counts_targets_and_calls():
    r = linux_workloads.parse(LOG)["shootdown"]
    calls = sum(int(line.split(" pv_calls ")[1].split()[0])
                for line in LOG.splitlines()
                if line.startswith("XENLITE-BENCH vcpu shootdown "))
    assert r["pv_calls"] == calls > 0
    assert r["sender_exits"] < 1.0      # one call reached two targets


def test_every_workload_and_the_table():
    res = linux_workloads.parse(LOG)
    assert sorted(res) == sorted(linux_workloads.WORKLOADS)
    both = {"xen-lite": res, "Xen/KVM-like": res}
    rows = linux_workloads.table(both, "wakeups")
    assert rows[2] == "| ops per guest second | 298.4 | 298.4 | 1.00 |"
    assert len(rows) == 2 + len(linux_workloads.ROWS)


def test_no_result_line_no_entry():
    cut = "\n".join(line for line in LOG.splitlines()
                    if not line.startswith("XENLITE-BENCH result wakeups"))
    assert "wakeups" not in linux_workloads.parse(cut)


def test_bad_field_list_is_refused():
    bad = LOG.replace("peak_blocked 3\n", "peak_blocked\n", 1)
    with pytest.raises(ValueError):
        linux_workloads.parse(bad)

