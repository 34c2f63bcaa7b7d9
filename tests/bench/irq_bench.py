#!/usr/bin/env python3
"""make bench, interrupt part: boots xen-lite with the irq_bench guest
under QEMU (SVM, software posting) and Bochs (VMX: APICv off, APICv, and
Bochs 3.0 with hardware posting) and tabulates what the guest read from
the hypervisor's counters (sysctl irq_stats):

 1. wakeup-list scans: 1, 8, 32 and 128 vCPUs blocked on one pCPU, K =
    1, 4, 16 and 64 wakeup vectors per pCPU, the default K (every free
    vector but 16) and pi_wakeup_vectors=max: mean and max list entries
    scanned per wakeup-handler run, handler TSC cycles per run (on Bochs,
    whose TSC advances with instructions, about the instructions run);
 2. VM exits per IPI (sender, target), EOI exits per IPI and guest TSC
    cycles per IPI round trip, with and without the IPI fast path, PV
    EOI, APICv and hardware posting;
 3. the host instructions from VM exit to VM entry of an x2APIC unicast
    ICR write, on the IPI fast path and on the full path (ipi_fastpath=0),
    counted exactly on Bochs 3.0 with one CPU (exit_icount=1, see
    xen/arch/x86/hvm/exit_icount.c), and their ratio.

The tables go to stdout and to build/bench/irq_bench.md (Markdown).
Usage: irq_bench.py [--quick] (--quick: fewer rounds, for a smoke run).
"""

import re
import sys
import tempfile
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "tests" / "integration"))

import emulators  # noqa: E402

ARGS = "console=com1 loglvl=all shutdown=exit"
# The K column's label and the option behind it.
KS = [(str(k), f"pi_wakeup_vectors={k}") for k in (1, 4, 16, 64)] + \
     [("default", ""), ("max", "pi_wakeup_vectors=max")]
SCAN = re.compile(r"bench: scan blocked (\d+) K (\d+) wakeups (\d+) runs "
                  r"(\d+) mean_scan ([\d.]+) max_scan (\d+) "
                  r"cycles_per_run ([\d.]+)")
EXITS = re.compile(r"bench: exits ipis (\d+) sender_exits ([\d.]+) "
                   r"target_exits ([\d.]+) eoi_exits ([\d.]+) pv_eois (\d+) "
                   r"fastpath (\d+) cycles_per_ipi ([\d.]+) "
                   r"sender_noext ([\d.]+) target_noext ([\d.]+)")

ICOUNT_CALIB = re.compile(r"exit_icount d0 v0 calib (\d+) (\d+)")
ICOUNT = re.compile(r"exit_icount d0 v0 (fast|full) n (\d+) mode (\d+) "
                    r"at_mode (\d+)")
# Instructions of xen/arch/x86/hvm/vmx/entry.S outside the measured
# window, the same for every exit: vmx_exit_stub from HOST_RIP to its RET
# (28) and vmx_enter from its first instruction to VMRESUME (32).
STUB_INSNS = 28 + 32

# name, emulator, Bochs version, hypervisor options, guest env
EXIT_CONFIGS = [
    ("QEMU SVM", "qemu", None, "", ""),
    ("QEMU SVM, no fast path", "qemu", None, "ipi_fastpath=0", ""),
    ("QEMU SVM, no PV EOI", "qemu", None, "", "pv_eoi=0"),
    ("Bochs 2.7 VMX, APICv off", "bochs", "2.7", "apicv=0", ""),
    ("Bochs 2.7 VMX, APICv off, no fast path", "bochs", "2.7",
     "apicv=0 ipi_fastpath=0", ""),
    ("Bochs 2.7 VMX, APICv off, no PV EOI", "bochs", "2.7", "apicv=0",
     "pv_eoi=0"),
    ("Bochs 2.7 VMX, APICv", "bochs", "2.7", "", ""),
    ("Bochs 3.0 VMX, APICv, posting off", "bochs", "3.0", "posted_intr=0",
     ""),
    ("Bochs 3.0 VMX, APICv, hardware posting", "bochs", "3.0", "", ""),
]


def boot(work, tag, emulator, version, opts, env, vcpus, smp, mem):
    guest = TOP / "build" / "guests" / "irq_bench.elf"
    envf = work / f"{tag}.env"
    envf.write_text(env.replace(" ", "\n") + "\n")
    mods = [(guest, f"vcpus={vcpus} mem={mem}"), (envf, "env")]
    args = f"{ARGS} {opts}".strip()
    if emulator == "qemu":
        r = emulators.run_qemu(TOP / "dist" / "xen-lite.elf32", args,
                               smp=smp, modules=mods, timeout=900,
                               workdir=work, name=tag)
    else:
        iso = emulators.build_iso(args, mods, xen_image=TOP / "dist" /
                                  "xen-lite", workdir=work, name=tag)
        r = emulators.run_bochs(iso, cpus=smp, version=version, timeout=900,
                                workdir=work, name=tag)
    if not re.search(r"VERDICT irq_bench PASS", r.serial):
        sys.exit(f"irq_bench failed ({tag}):\n{r.describe()}")
    return r.serial


def scan_table(work, emulator, version, rounds):
    rows = {}
    for label, opt in KS:
        out = boot(work, f"scan-{emulator}{version or ''}-k{label}",
                   emulator, version, opt, f"part=scan rounds={rounds}",
                   129, 1, "32M")
        for m in SCAN.findall(out):
            n, kk = int(m[0]), int(m[1])
            # The K the hypervisor chose, as the guest read it.
            assert label == str(kk) if label.isdigit() else kk >= 1
            shown = label if label.isdigit() else f"{kk} ({label})"
            rows[(n, label)] = (shown, m[4], m[5], m[6])
    lines = ["| blocked vCPUs on the pCPU | K | mean scanned | max scanned "
             "| handler cycles |", "|---:|---:|---:|---:|---:|"]
    for n in (1, 8, 32, 128):
        for label, _ in KS:
            shown, mean, mx, cyc = rows[(n, label)]
            lines.append(f"| {n} | {shown} | {mean} | {mx} | "
                         f"{float(cyc):.0f} |")
    return lines


def exits_table(work, ipis):
    lines = ["| configuration | exits/IPI sender | exits/IPI target "
             "| EOI exits/IPI | PV EOIs | fast-path IPIs "
             "| guest cycles/IPI |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for i, (name, emulator, version, opts, env) in enumerate(EXIT_CONFIGS):
        out = boot(work, f"exits-{i}", emulator, version, opts,
                   f"part=exits ipis={ipis} {env}".strip(), 2, 2, "16M")
        m = EXITS.search(out)
        lines.append(f"| {name} | {m[2]} | {m[3]} | {m[4]} | {m[5]} | "
                     f"{m[6]} | {float(m[7]):.0f} |")
    return lines


def icr_table(work, ipis):
    """Exit-to-entry instructions of an ICR-write exit, fast and full
    path, from two Bochs 3.0 boots on one CPU; returns the Markdown lines
    and the two counts."""
    counts = {}
    for path, opts in (("fast", "exit_icount=1"),
                       ("full", "exit_icount=1 ipi_fastpath=0")):
        out = boot(work, f"icr-{path}", "bochs", "3.0", opts,
                   f"part=icr ipis={ipis}", 2, 1, "16M")
        cal = ICOUNT_CALIB.search(out)
        # The TSC must be counting instructions one by one (exit_icount.c).
        if not cal or (int(cal[1]), int(cal[2])) != (3, 103):
            sys.exit(f"icr-{path}: the TSC does not count instructions "
                     f"here (calibration {cal and cal.groups()}), no count")
        m = ICOUNT.search(out)
        if not m or m[1] != path:
            sys.exit(f"icr-{path}: no {path}-path ICR exits counted")
        n, mode, at = int(m[2]), int(m[3]), int(m[4])
        counts[path] = (n, mode, at)
    lines = ["| path | ICR-write exits | exits with the mode's count "
             "| instructions, C part | with the entry.S stubs |",
             "|---|---:|---:|---:|---:|"]
    for path in ("fast", "full"):
        n, mode, at = counts[path]
        lines.append(f"| {path} | {n} | {at} | {mode} | "
                     f"{mode + STUB_INSNS} |")
    fast = counts["fast"][1] + STUB_INSNS
    full = counts["full"][1] + STUB_INSNS
    lines += ["", f"Fast path {fast} instructions, full path {full}: "
              f"ratio {fast / full:.3f}, {100 * (full - fast) / full:.1f} % "
              "fewer on the fast path."]
    return lines, fast, full


def main():
    quick = "--quick" in sys.argv[1:]
    rounds, ipis = (2, 200) if quick else (20, 2000)
    work = Path(tempfile.mkdtemp(prefix="irq_bench-",
                                 dir=TOP / "build"))
    doc = [f"Scan cost, Bochs 3.0 (VMX, hardware posting; {rounds} wakeups "
           "per blocked vCPU; Bochs' TSC counts instructions):", ""]
    doc += scan_table(work, "bochs", "3.0", rounds)
    doc += ["", f"Scan cost, QEMU TCG (SVM, software posting; {rounds} "
            "wakeups per blocked vCPU; cycles are host-timed, noisy):", ""]
    doc += scan_table(work, "qemu", None, rounds)
    doc += ["", f"Exits per IPI: {ipis} fixed x2APIC IPIs from vCPU 0 to "
            "vCPU 1, which spins in the guest with interrupts on (PV EOI "
            "when offered); 2 vCPUs on 2 pCPUs:", ""]
    doc += exits_table(work, ipis)
    doc += ["", f"Instructions from VM exit to VM entry of an x2APIC unicast "
            f"ICR write (Bochs 3.0, one CPU, exact count; {ipis} IPIs to a "
            "vCPU that is not running; the count most exits had):", ""]
    lines, _, _ = icr_table(work, ipis)
    doc += lines
    text = "\n".join(doc) + "\n"
    print(text)
    out = TOP / "build" / "bench" / "irq_bench.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"written to {out.relative_to(TOP)}; run logs in "
          f"{work.relative_to(TOP)}")


if __name__ == "__main__":
    main()
