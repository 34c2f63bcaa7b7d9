#!/usr/bin/env python3
"""make bench, Linux part: Debian's Linux 6.1 as dom0 of xen-lite runs
three workloads (tests/linux/linux_bench.c, started by /init's
bench=NAME:N arguments) and reads the hypervisor's counters (sysctl
irq_stats through privcmd) of all its vCPUs and of every pCPU before and
after each:

 (a) pingpong: a pipe ping-pong between CPU 0 and CPU 1, the other vCPUs
     idle (perf bench sched pipe's pattern);
 (b) wakeups: one sleeper per other CPU in poll() with a random 2-40 ms
     timeout; CPU 0 wakes a random one through its pipe and waits for the
     answer (most vCPUs idle, random wakeups);
 (c) shootdown: 4 threads on CPUs 0-3 mmap, touch, mprotect and munmap
     pages in a loop (TLB-shootdown IPIs).

Each boot is done twice: xen-lite's full configuration and a Xen/KVM-like
one (XENLIKE below), side by side, on QEMU (SVM) and Bochs 3.0 (VMX
with hardware posting; fewer operations: Linux runs slowly there), each
with 32 vCPUs on 2 pCPUs.  Rates are per second of the
guest's CLOCK_MONOTONIC; everything else comes from the hypervisor's
counters.  The tables go to stdout and
build/bench/linux_workloads.md.

Usage: linux_workloads.py [--quick] [--only qemu|bochs] [--vcpus N]
"""

import argparse
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "tests" / "integration"))

ARGS = "console=com1 loglvl=all shutdown=exit"
XENLIKE = "pi_wakeup_vectors=1 ipi_fastpath=0 pv_eoi=0 pv_send_ipi=0"
CONFIGS = [("xen-lite", ""), ("Xen/KVM-like", XENLIKE)]
WORKLOADS = ["pingpong", "wakeups", "shootdown"]

# emulator: (vCPUs, pCPUs, {workload: count}, {workload: quick count})
SETUPS = {
    "qemu": (32, 2, {"pingpong": 500, "wakeups": 500, "shootdown": 200},
             {"pingpong": 100, "wakeups": 100, "shootdown": 50}),
    "bochs": (32, 2, {"pingpong": 200, "wakeups": 200, "shootdown": 200},
              {"pingpong": 10, "wakeups": 5, "shootdown": 5}),
}

VCPU = re.compile(r"^XENLITE-BENCH vcpu (\w+) (\d+) (.*)$", re.M)
PCPU = re.compile(r"^XENLITE-BENCH pcpu (\w+) (\d+) (.*)$", re.M)
RESULT = re.compile(r"^XENLITE-BENCH result (\w+) ops (\d+) ns (\d+) "
                    r"vcpus (\d+) pcpus (\d+)$", re.M)


def fields(text):
    """'key value key value ...' -> {key: int}."""
    words = text.split()
    if len(words) % 2:
        raise ValueError(f"odd field list: {text!r}")
    return {k: int(v) for k, v in zip(words[0::2], words[1::2])}


def parse(serial):
    """{workload: metrics} from a serial log with linux-bench's lines.

    Metrics: ops, guest seconds, ops per guest second; IPIs sent (ICR
    writes of either path and PV send-IPI targets); the senders' exits
    per IPI (one per ICR write or PV send-IPI call); the receivers'
    delivery exits per IPI (external-interrupt, interrupt-window and EOI
    exits of all vCPUs, over IPIs sent: timer interrupts' are in there
    too); EOI exits per IPI; wakeup-list entries scanned per handler run;
    mean and max wake latency (TSC cycles from the first post to the
    VM entry).
    """
    serial = serial.replace("\r", "")
    sums, pcpus = {}, {}
    for name, _, rest in VCPU.findall(serial):
        s = sums.setdefault(name, {})
        for k, v in fields(rest).items():
            s[k] = max(s.get(k, 0), v) if k == "wake_max" else \
                s.get(k, 0) + v
    for name, _, rest in PCPU.findall(serial):
        p = pcpus.setdefault(name, {})
        for k, v in fields(rest).items():
            p[k] = p.get(k, 0) + v
    out = {}
    for name, ops, ns, vcpus, npcpus in RESULT.findall(serial):
        s, p = sums[name], pcpus[name]
        ipis = s["fast"] + s["slow"] + s["pv_targets"]
        secs = int(ns) / 1e9

        def per(x, d):
            return x / d if d else float("nan")
        out[name] = {
            "ops": int(ops), "seconds": secs, "vcpus": int(vcpus),
            "pcpus": int(npcpus),
            "ops_per_s": per(int(ops), secs),
            "ipis": ipis, "ipis_per_op": per(ipis, int(ops)),
            "pv_calls": s["pv_calls"],
            "sender_exits": per(s["fast"] + s["slow"] + s["pv_calls"], ipis),
            "target_exits": per(s["extint"] + s["intr_window"] +
                                s["eoi_exits"], ipis),
            "eoi_exits": per(s["eoi_exits"], ipis),
            "exits_per_op": per(s["exits"], int(ops)),
            "scan": per(p["scanned"], p["runs"]),
            "scan_runs": p["runs"],
            "wake_cycles": per(s["wake_cycles"], s["wakes"]),
            "wake_max": s["wake_max"],
        }
    return out


ROWS = [
    ("ops per guest second", "ops_per_s", "{:.1f}"),
    ("IPIs sent per op", "ipis_per_op", "{:.2f}"),
    ("sender exits per IPI", "sender_exits", "{:.2f}"),
    ("receiver delivery exits per IPI", "target_exits", "{:.2f}"),
    ("EOI exits per IPI", "eoi_exits", "{:.2f}"),
    ("all exits per op", "exits_per_op", "{:.1f}"),
    ("wakeup entries scanned per handler run", "scan", "{:.2f}"),
    ("mean wake latency (TSC cycles)", "wake_cycles", "{:.0f}"),
]


def table(results, workload):
    """Markdown rows: the two configurations and their ratio."""
    full, like = results["xen-lite"][workload], \
        results["Xen/KVM-like"][workload]
    lines = ["| | xen-lite | Xen/KVM-like | ratio |",
             "|---|---:|---:|---:|"]
    for label, key, fmt in ROWS:
        a, b = full[key], like[key]
        ratio = f"{a / b:.2f}" if b else "-"
        lines.append(f"| {label} | {fmt.format(a)} | {fmt.format(b)} | "
                     f"{ratio} |")
    return lines


def boot(work, emulator, tag, opts, vcpus, smp, counts):
    import emulators
    benches = " ".join(f"bench={w}:{counts[w]}" for w in WORKLOADS)
    linux = TOP / "build" / "linux"
    extra = "mitigations=off " if emulator == "bochs" else ""
    mods = [(linux / "vmlinux", f"mem=256M vcpus={vcpus} console=ttyS0 "
             f"tsc=reliable quiet {extra}-- {benches}"),
            (linux / "initramfs.cpio", "initrd")]
    args = f"{ARGS} {opts}".strip()
    if emulator == "qemu":
        r = emulators.run_qemu(TOP / "dist" / "xen-lite.elf32", args,
                               smp=smp, modules=mods, timeout=1500,
                               extra_args=["-m", "1024"], workdir=work,
                               name=tag)
    else:
        iso = emulators.build_iso(args, mods, xen_image=TOP / "dist" /
                                  "xen-lite", workdir=work, name=tag)
        r = emulators.run_bochs(iso, cpus=smp, version="3.0",
                                timeout=1500, workdir=work, name=tag)
    if "XENLITE-INIT OK" not in r.serial.replace("\r", "").splitlines():
        raise SystemExit(f"linux_workloads.py: {tag} failed:\n"
                         f"{r.describe()}")
    return parse(r.serial)


def run(work, emulator, quick):
    vcpus, smp, counts, quick_counts = SETUPS[emulator]
    counts = quick_counts if quick else counts
    # The two configurations boot side by side: half the wall time.
    with ThreadPoolExecutor(max_workers=len(CONFIGS)) as pool:
        runs = {name: pool.submit(boot, work, emulator, f"{emulator}-{i}",
                                  opts, vcpus, smp, counts)
                for i, (name, opts) in enumerate(CONFIGS)}
        results = {name: f.result() for name, f in runs.items()}
    title = {"qemu": "QEMU TCG (SVM, software posting)",
             "bochs": "Bochs 3.0 (VMX, APICv, hardware posting)"}[emulator]
    doc = []
    what = {"pingpong": "(a) pipe ping-pong, CPU 0 <-> CPU 1",
            "wakeups": "(b) random wakeups of idle CPUs",
            "shootdown": "(c) mmap/mprotect/munmap rounds, up to 4 threads"}
    for w in WORKLOADS:
        ops = results["xen-lite"][w]["ops"]
        doc += ["", f"{title}, {what[w]}: {ops} ops, "
                f"{vcpus} vCPUs on {smp} pCPUs:", ""]
        doc += table(results, w)
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=sorted(SETUPS))
    ap.add_argument("--vcpus", type=int, metavar="N",
                    help="vCPUs of the guest instead of the emulator's "
                    "default (32 on both)")
    a = ap.parse_args()
    if a.vcpus:
        for emulator, setup in SETUPS.items():
            SETUPS[emulator] = (a.vcpus,) + setup[1:]
    work = Path(tempfile.mkdtemp(prefix="linux_workloads-",
                                 dir=TOP / "build"))
    doc = [f"Xen/KVM-like: `{XENLIKE}`; ratio = xen-lite / Xen/KVM-like."]
    for emulator in ([a.only] if a.only else ["qemu", "bochs"]):
        doc += run(work, emulator, a.quick)
    text = "\n".join(doc) + "\n"
    print(text)
    out = TOP / "build" / "bench" / (f"linux_workloads-{a.only}.md"
                                     if a.only else "linux_workloads.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"written to {out.relative_to(TOP)}; run logs in "
          f"{work.relative_to(TOP)}")


if __name__ == "__main__":
    main()
