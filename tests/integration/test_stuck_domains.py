"""Domains that can never run again do not keep the run alive: with
shutdown=exit xen-lite reports each stuck domain ("dN stuck: WHY") and
ends the run with status 2 once every domain has shut down or is stuck.

  init_all       INIT to every vCPU: all wait for a SIPI nobody sends
  cli_hlt_all    HLT with IF=0 on every vCPU (pending=1: an interrupt
                 pending in IRR on each, which must not end the HLT)
  left_behind    dom0 creates a domain it never starts, or pauses another
                 boot domain, then exits

Before the fix these runs never end (the emulator's timeout); the
domain's own checks turn a wrong HLT wakeup into a FAIL verdict.
XENLITE_STUCK_TIMEOUT overrides the timeout (seconds), to show that.
On Bochs each domain gets 16 MiB, as in test_guests_vmx.py.
"""

import os

import pytest

from emulators import guest_modules, qemu_exit_code, verdicts
from test_guests_vmx import CONFIGS, check_backend

ARGS = "console=com1 loglvl=all shutdown=exit"
QEMU_TIMEOUT = int(os.environ.get("XENLITE_STUCK_TIMEOUT", 120))
BOCHS_TIMEOUT = int(os.environ.get("XENLITE_STUCK_TIMEOUT", 300))
STUCK_END = r"^xen-lite exiting: every domain left is stuck \(status 2\)$"

WAITS_SIPI = "every vCPU waits for a SIPI"
HALTED = "every vCPU halted with interrupts disabled"
NEVER = "never started"
PAUSED = "paused, and no domain left that could unpause it"

# id, [(kernel, vCPUs, environment)], boot_domains, verdicts expected,
# {domain: why it is stuck}
CASES = [
    ("init_all-2vcpu", [("init_all", 2, None)], 1, [], {0: WAITS_SIPI}),
    ("init_all-1vcpu", [("init_all", 1, None)], 1, [], {0: WAITS_SIPI}),
    ("cli_hlt_all-pending-2vcpu", [("cli_hlt_all", 2, "pending=1")], 1, [],
     {0: HALTED}),
    ("cli_hlt_all-idle-2vcpu", [("cli_hlt_all", 2, "pending=0")], 1, [],
     {0: HALTED}),
    ("left_behind-create", [("left_behind", 1, "mode=create")], 1,
     [(0, "left_behind", "PASS")], {1: NEVER}),
    ("left_behind-pause", [("left_behind", 1, "mode=pause"),
                           ("left_behind", 1, "mode=run")], 2,
     [(0, "left_behind", "PASS")], {1: PAUSED}),
]

# Where each case runs on Bochs: cli_hlt_all (the wakeup paths differ
# most) on all three configurations, the others on one each.
BOCHS_CASES = [
    ("cli_hlt_all-pending-2vcpu", CONFIGS[0]),
    ("cli_hlt_all-pending-2vcpu", CONFIGS[1]),
    ("cli_hlt_all-pending-2vcpu", CONFIGS[2]),
    ("init_all-2vcpu", CONFIGS[2]),
    ("left_behind-create", CONFIGS[1]),
    ("left_behind-pause", CONFIGS[0]),
]


def case(name):
    return next(c for c in CASES if c[0] == name)


def modules(guests, test_dir, kernels, mem=""):
    mods = []
    for i, (kernel, vcpus, env) in enumerate(kernels):
        args = f"vcpus={vcpus} {mem}".strip()
        mods += guest_modules(guests, test_dir, kernel, args, env, f"-{i}")
    return mods


def check_stuck(r, want_verdicts, stuck):
    got = sorted((int(d), name, res) for d, name, res, _ in verdicts(r))
    assert got == want_verdicts, f"verdicts {got}\n{r.describe()}"
    assert not r.timed_out, f"the run did not end\n{r.describe()}"
    reports = {int(m.group(1)): m.group(2)
               for m in r.find_all(r"^d(\d+) stuck: (.*)$")}
    assert reports == stuck, f"stuck reports {reports}\n{r.describe()}"
    assert r.find(STUCK_END), r.describe()
    # The reports come right before the last line.
    msgs = r.messages
    end = next(i for i, m in enumerate(msgs) if m.startswith("xen-lite "
                                                             "exiting"))
    assert all(m.startswith("d") and " stuck: " in m
               for m in msgs[end - len(stuck):end]), r.describe()


@pytest.mark.qemu
@pytest.mark.parametrize("name,kernels,ndom,want,stuck", CASES,
                         ids=[c[0] for c in CASES])
def test_stuck_on_svm(run_qemu, dist, guests, test_dir, name, kernels, ndom,
                      want, stuck):
    r = run_qemu(dist.elf32, f"{ARGS} boot_domains={ndom}", smp=2,
                 timeout=QEMU_TIMEOUT,
                 modules=modules(guests, test_dir, kernels))
    check_stuck(r, want, stuck)
    assert r.exit_code == qemu_exit_code(2), r.describe()


@pytest.mark.bochs
@pytest.mark.parametrize("name,config", BOCHS_CASES,
                         ids=[f"{c[0]}-{c[1][0]}" for c in BOCHS_CASES])
def test_stuck_on_vmx(build_iso, run_bochs, guests, test_dir, name, config):
    _, kernels, ndom, want, stuck = case(name)
    _, version, opts, apicv, posted = config
    iso = build_iso(" ".join(a for a in (ARGS, opts, f"boot_domains={ndom}")
                             if a),
                    modules(guests, test_dir, kernels, "mem=16M"))
    r = run_bochs(iso, cpus=2, version=version, timeout=BOCHS_TIMEOUT)
    check_backend(r, apicv, posted)
    check_stuck(r, want, stuck)
    assert r.exit_code == 0, r.describe()
