"""Boot tests: the hypervisor comes up on QEMU TCG and on Bochs 2.7, brings up
every pCPU, calibrates the TSC, runs its per-CPU timer self-test, reports bad
command-line options, dumps a fault properly, and exits through the debug
exit ports with the documented status.

The console lines asserted here are the contract with xen/ (see the "(XEN)"
messages in each test); change both together.
"""

import re

import pytest

from emulators import qemu_exit_code

BASE_ARGS = "console=com1 loglvl=all shutdown=exit"
QEMU_TIMEOUT = 60
BOCHS_TIMEOUT = 180

EXIT_RE = r"^xen-lite exiting: (?P<reason>.+) \(status (?P<status>\d+)\)$"
TSC_RE = (r"^TSC: (?P<mhz>\d+\.\d{3}) MHz "
          r"\(calibrated against (?P<source>PIT|ACPI PM timer)\)$")

# QEMU TCG's TSC follows the host clock (a few GHz); anything outside this
# range means the calibration itself is broken.
QEMU_TSC_MHZ = (100.0, 20000.0)
# Bochs' TSC advances with its instruction clock: with ips=100000000 and
# clock sync=none (scripts/bochs-run.sh) a PIT-gated 10 ms window measured
# 100.0 MHz for 1, 2 and 4 CPUs. +-20% allows for the calibration method
# while still catching a wrong PIT divisor or a factor-of-two slip.
BOCHS_TSC_MHZ = (80.0, 120.0)


def line(r, pattern):
    """The first hypervisor line whose message matches pattern; it must carry
    the "[    t.tttttt] " timestamp the console contract promises."""
    for ln in r.lines:
        m = re.search(pattern, ln.msg)
        if m:
            assert ln.time is not None, f"no timestamp on console line: {ln.raw!r}"
            return m
    pytest.fail(f"no console line matching {pattern!r}\n{r.describe()}", pytrace=False)


def assert_exit_line(r, status):
    """The last hypervisor line is the exit line with the given status."""
    lines = r.lines
    assert lines, f"no (XEN) lines on the console\n{r.describe()}"
    m = re.search(EXIT_RE, lines[-1].msg)
    assert m, f"last console line is not the exit line: {lines[-1].raw!r}\n{r.describe()}"
    assert int(m["status"]) == status, f"exit status {m['status']}, wanted {status}: {lines[-1].raw!r}"


def assert_qemu_exit(r, status):
    assert not r.timed_out, f"QEMU did not exit\n{r.describe()}"
    assert r.exit_code == qemu_exit_code(status), \
        f"QEMU exit code {r.exit_code}, wanted {qemu_exit_code(status)} (status {status})\n{r.describe()}"


def assert_booted(r, ncpus, tsc_range):
    """All the steady-state boot lines for an ncpus machine."""
    m = line(r, r"^Brought up (\d+) CPUs$")
    assert int(m[1]) == ncpus, f"brought up {m[1]} CPUs, machine has {ncpus}"
    m = line(r, TSC_RE)
    mhz = float(m["mhz"])
    assert tsc_range[0] <= mhz <= tsc_range[1], \
        f"implausible TSC {mhz} MHz (want {tsc_range[0]}..{tsc_range[1]})"
    # xen/ appends a detail such as "(latest 601 us after deadline)"; the
    # contract is the text before it.
    m = line(r, r"^Timers: (\d+) of (\d+) pCPUs fired(?: \(.*\))?$")
    assert (int(m[1]), int(m[2])) == (ncpus, ncpus), f"timer self-test: {m[0]}"


def assert_no_option_complaints(r):
    bad = r.find_all(r"^(Unknown command line option|Bad value for option) ")
    assert not bad, f"unexpected option complaints: {[m.string for m in bad]}"


@pytest.mark.qemu
@pytest.mark.parametrize("smp", [1, 2, 4])
def test_qemu_boot(run_qemu, dist, smp):
    r = run_qemu(dist.elf32, BASE_ARGS, smp=smp, timeout=QEMU_TIMEOUT)
    assert_qemu_exit(r, 0)
    assert_booted(r, smp, QEMU_TSC_MHZ)
    assert_no_option_complaints(r)
    assert_exit_line(r, 0)


@pytest.mark.qemu
def test_qemu_malformed_cmdline(run_qemu, dist):
    # An unknown option and an unparsable value are reported, never fatal;
    # smp=notanumber is ignored, so every CPU still comes up.
    r = run_qemu(dist.elf32, f"{BASE_ARGS} bogus_option=1 loglvl=all smp=notanumber",
                 smp=2, timeout=QEMU_TIMEOUT)
    assert_qemu_exit(r, 0)
    line(r, r"^Unknown command line option 'bogus_option'$")
    line(r, r"^Bad value for option 'smp': 'notanumber'$")
    assert_booted(r, 2, QEMU_TSC_MHZ)
    assert_exit_line(r, 0)


@pytest.mark.qemu
@pytest.mark.parametrize("method,source", [("pit", "PIT"), ("pmtimer", "ACPI PM timer")])
def test_qemu_tsc_calibration(run_qemu, dist, method, source):
    r = run_qemu(dist.elf32, f"{BASE_ARGS} tsc_calibrate={method}", smp=2,
                 timeout=QEMU_TIMEOUT)
    assert_qemu_exit(r, 0)
    m = line(r, TSC_RE)
    assert m["source"] == source, f"asked for {method}, got: {m[0]}"
    assert_booted(r, 2, QEMU_TSC_MHZ)
    assert_no_option_complaints(r)
    assert_exit_line(r, 0)


@pytest.mark.qemu
def test_qemu_selftest_fault_on_cpu1(run_qemu, dist):
    # pCPU 1 executes an invalid opcode after boot: the hypervisor must dump
    # it (banner, registers naming CPU 1, call trace), halt all pCPUs and
    # exit with status 1, which isa-debug-exit turns into QEMU status 3.
    r = run_qemu(dist.elf32, f"{BASE_ARGS} selftest_fault=1", smp=2,
                 timeout=QEMU_TIMEOUT)
    assert_qemu_exit(r, 1)
    msgs = r.messages

    def index(pattern, start=0):
        for i in range(start, len(msgs)):
            if re.search(pattern, msgs[i]):
                return i
        pytest.fail(f"no console line matching {pattern!r} after line {start} "
                    f"of the hypervisor output\n{r.describe()}", pytrace=False)

    banner = index(r"^----\[ Xen-")
    index(r"RIP:", banner)
    index(r"\bCPU:    1\b", banner)
    trace = index(r"^Xen call trace:", banner)
    index(r"^Halting all pCPUs", trace)
    assert_exit_line(r, 1)


@pytest.mark.bochs
def test_bochs_boot_skylake_2cpus(build_iso, run_bochs):
    iso = build_iso(BASE_ARGS)
    r = run_bochs(iso, cpus=2, timeout=BOCHS_TIMEOUT, version="2.7")
    assert not r.timed_out, f"Bochs did not finish\n{r.describe()}"
    assert r.exit_code == 0, \
        f"Bochs stopped without a shutdown request (see {r.output_path})\n{r.describe()}"
    assert_booted(r, 2, BOCHS_TSC_MHZ)
    assert_no_option_complaints(r)
    assert_exit_line(r, 0)


@pytest.mark.qemu
def test_qemu_uses_xapic_and_oneshot_timer(run_qemu, dist):
    # QEMU TCG offers neither x2APIC nor TSC-deadline: the hypervisor must
    # fall back to the xAPIC MMIO page and the calibrated one-shot timer.
    r = run_qemu(dist.elf32, BASE_ARGS, smp=2, timeout=QEMU_TIMEOUT)
    assert_qemu_exit(r, 0)
    line(r, r"^APIC: xAPIC mode, boot CPU APIC ID 0\b")
    line(r, r"^Timer: LAPIC one-shot mode\b")
    assert_booted(r, 2, QEMU_TSC_MHZ)


@pytest.mark.bochs
def test_bochs_uses_x2apic_and_tsc_deadline(build_iso, run_bochs):
    # Bochs' Skylake model has both, and the hypervisor must use them.
    iso = build_iso(BASE_ARGS)
    r = run_bochs(iso, cpus=2, timeout=BOCHS_TIMEOUT, version="2.7")
    assert r.exit_code == 0, f"Bochs stopped without a shutdown\n{r.describe()}"
    line(r, r"^APIC: x2APIC mode, boot CPU APIC ID 0\b")
    line(r, r"^Timer: LAPIC TSC-deadline mode$")
    assert_exit_line(r, 0)


@pytest.mark.bochs
def test_bochs_xapic_oneshot_pmtimer(build_iso, run_bochs):
    # The same Intel machine driven through the other paths: xAPIC MMIO,
    # one-shot LAPIC timer and the ACPI PM timer for calibration.
    iso = build_iso(f"{BASE_ARGS} x2apic=0 tsc_deadline=0 tsc_calibrate=pmtimer")
    r = run_bochs(iso, cpus=2, timeout=BOCHS_TIMEOUT, version="2.7")
    assert r.exit_code == 0, f"Bochs stopped without a shutdown\n{r.describe()}"
    line(r, r"^APIC: xAPIC mode, boot CPU APIC ID 0\b")
    line(r, r"^Timer: LAPIC one-shot mode\b")
    m = line(r, TSC_RE)
    assert m["source"] == "ACPI PM timer", m[0]
    assert_booted(r, 2, BOCHS_TSC_MHZ)
    assert_no_option_complaints(r)
    assert_exit_line(r, 0)
