"""The toolstack from a Linux dom0: dom0's image (scripts/mkdom0.sh, `make
dom0`) booted by xen-lite, its shell driven over the serial line.

On QEMU (SVM), one dom0 session walks through what a user does, checking
each command's output against xl's formats (XL-CONVENTIONS.md): `info`
and `list`; a test-kernel domU from xl.cfg and from libvirt XML that
ends itself and is destroyed by on_poweroff; a Linux domU from xl.cfg created paused,
`vcpu-list`, `vcpu-pin` of its blocked vCPU 1 (it still wakes: Linux keeps
taking interrupts there), `sched-credit` set and read back, `pause` and
`unpause`, `irq-stats` counters growing, `debug-keys i` then `dmesg`
showing the blocked lists, `console` output and input, and `shutdown`
(its ACPI power button, which its acpid turns into `poweroff -f`) ending
it by on_poweroff; the same Linux from libvirt XML, destroyed
with `destroy`; free memory back to where it was; bad names and values
refused with one line.  Another run makes the image's Linux an
unprivileged domU: every xl-lite command that needs a domctl or a sysctl
says "permission denied" (tests/linux/xl-eperm.sh).  On Bochs (VMX),
dom0 boots, creates, lists and destroys the test-kernel domU
(tests/linux/xl-smoke.sh, checked by check_xl_smoke() below) in the boot
of test_abuse_dom0.py::test_dom0_abuse_on_vmx, which then abuses it.
"""

import re
import subprocess
import time

import pytest

from emulators import QemuSession, dom0_lines, qemu_exit_code

ARGS = "console=com1 loglvl=all shutdown=exit"
DOM0_ARGS = "mem=512M vcpus=2 console=ttyS0 tsc=reliable quiet --"
BOOT_TIMEOUT = 180

LIST_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)"
# Xen's "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f".
LIST_ROW = re.compile(r"^(.{40}) ([ \d]{5}) ([ \d]{5}) ([ \d]{5})     "
                      r"([r-][b-][p-][s-][-rscwS][d-])  ([ \d]{6}\.\d)$")
# Xen's "%-32s %5s %5s %5s %5s %9s %s".
VCPU_HEADER = "%-32s %5s %5s %5s %5s %9s %s" % (
    "Name", "ID", "VCPU", "CPU", "State", "Time(s)", "Affinity (Hard / Soft)")
# xl info's keys in xl's order (XL-CONVENTIONS.md); xl-lite prints those
# it has values for (docs/xl-lite.md), in this order.
INFO_KEYS = ["host", "release", "version", "machine", "nr_cpus",
             "max_cpu_id", "nr_nodes", "cores_per_socket",
             "threads_per_core", "cpu_mhz", "hw_caps", "virt_caps",
             "total_memory", "free_memory", "sharing_freed_memory",
             "sharing_used_memory", "outstanding_claims", "free_cpus",
             "xen_major", "xen_minor", "xen_extra", "xen_version",
             "xen_caps", "xen_scheduler", "xen_pagesize",
             "platform_params", "xen_changeset", "xen_commandline",
             "cc_compiler", "cc_compile_by", "cc_compile_domain",
             "cc_compile_date", "build_id", "xend_config_format"]
INFO_NEEDED = ["nr_cpus", "max_cpu_id", "cpu_mhz", "virt_caps",
               "total_memory", "free_memory", "free_cpus", "xen_scheduler",
               "xen_pagesize", "xend_config_format"]


@pytest.fixture(scope="module")
def dom0_image(repo_root, linux):
    """`make dom0`: build/linux/dom0.cpio, with xl-lite."""
    proc = subprocess.run(["make", "-s", "dom0"], cwd=repo_root,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"make dom0 failed:\n{proc.stdout}{proc.stderr}",
                    pytrace=False)
    return repo_root / "build" / "linux" / "dom0.cpio"


class Dom0Shell:
    """dom0's busybox shell on the serial line."""

    def __init__(self, q):
        self.q = q
        self.n = 0
        # The first line typed lands before the shell's banner and
        # prompt: a no-op takes that place.
        self.run("true")

    def run(self, cmd, timeout=60):
        """Type `cmd`, wait for it to end; (exit status, output lines)."""
        self.n += 1
        marker = f"XLT{self.n}"
        # Short lines: the UART takes typed bytes 256 at a time.
        assert len(cmd) < 200, cmd
        off = self.q.send(f"{cmd}; echo {marker}=$?\n".encode())
        end = time.monotonic() + timeout
        pat = re.compile(rf"^{marker}=(\d+)$", re.M)
        while True:
            self.q._drain()
            out = "\n".join(dom0_lines(self.q.text[off:]))
            m = pat.search(out)
            if m:
                break
            assert time.monotonic() < end and self.q.proc.poll() is None, \
                f"{cmd!r} did not finish in {timeout}s:\n{self.q.text[-4000:]}"
            time.sleep(0.1)
        lines = out[:m.start()].split("\n")
        # Drop the echo of what was typed and what came before it; a line
        # typed before the prompt is echoed twice (by the terminal, then
        # by the shell's line editor).
        typed = f"{cmd}; echo {marker}=$?"
        first = [i for i, ln in enumerate(lines) if ln.endswith(typed)]
        if first:
            lines = lines[first[0] + 1:]
        while lines and lines[0].endswith(typed):
            lines.pop(0)
        return int(m.group(1)), [ln for ln in lines if ln != ""]

    def ok(self, cmd, timeout=60):
        status, lines = self.run(cmd, timeout)
        assert status == 0, f"{cmd!r}: status {status}:\n" + "\n".join(lines)
        return lines


def list_rows(lines):
    """`xl-lite list`'s rows by name: (id, mem, vcpus, state, time)."""
    assert lines[0] == LIST_HEADER, lines
    rows = {}
    for ln in lines[1:]:
        m = LIST_ROW.match(ln)
        assert m, f"not an xl list row: {ln!r}"
        rows[m.group(1).rstrip()] = (int(m.group(2)), int(m.group(3)),
                                     int(m.group(4)), m.group(5),
                                     float(m.group(6)))
    return rows


def info_values(lines):
    """`xl-lite info`: keys in order, each "KEY<pad to 23>: VALUE"."""
    keys, values = [], {}
    for ln in lines:
        m = re.match(r"^(\S+) *: (.*)$", ln)
        assert m and len(ln.split(":")[0]) == 23, f"bad info line {ln!r}"
        keys.append(m.group(1))
        values[m.group(1)] = m.group(2)
    return keys, values


def wait_until(sh, cmd, pred, timeout=90, what=""):
    """Run `cmd` until pred(lines) holds."""
    end = time.monotonic() + timeout
    while True:
        lines = sh.ok(cmd)
        if pred(lines):
            return lines
        assert time.monotonic() < end, f"{what}: {cmd!r} gave:\n" + \
            "\n".join(lines)
        time.sleep(1)


def domid_of(sh, name):
    return list_rows(sh.ok("xl-lite list"))[name][0]


def stat(lines, key):
    """The first number after `key` in irq-stats' text."""
    for ln in lines:
        m = re.search(rf"\b{re.escape(key)}\b\D*(\d+)", ln)
        if m:
            return int(m.group(1))
    raise AssertionError(f"no {key!r} in:\n" + "\n".join(lines))


@pytest.mark.qemu
def test_xl_from_dom0_on_svm(dist, test_dir, linux, dom0_image):
    vmlinux, _ = linux
    s = QemuSession(dist.elf32, ARGS, smp=2, workdir=test_dir, name="xl")
    s.cmd += ["-m", "2048", "-initrd",
              f"{vmlinux} {DOM0_ARGS} shell,{dom0_image} initrd"]
    with s as q:
        q.wait_for_output(r"busybox shell", timeout=BOOT_TIMEOUT)
        sh = Dom0Shell(q)

        # info: xl's keys in xl's order, padded to 23 columns.
        keys, info = info_values(sh.ok("xl-lite info"))
        assert keys == [k for k in INFO_KEYS if k in keys], keys
        assert set(INFO_NEEDED) <= set(keys), keys
        assert info["nr_cpus"] == "2" and info["max_cpu_id"] == "1", info
        assert "hvm" in info["virt_caps"], info
        assert re.match(r"^\d+\.\d{3}$", info["cpu_mhz"]), info
        assert info["xen_scheduler"] == "credit", info
        free_before = int(info["free_memory"])

        # list: dom0 as Domain-0, 512 MiB, 2 vCPUs.
        rows = list_rows(sh.ok("xl-lite list"))
        assert list(rows) == ["Domain-0"], rows
        assert rows["Domain-0"][:3] == (0, 512, 2), rows
        assert rows["Domain-0"][3][0] == "r", rows

        # A test kernel from xl.cfg: it runs, ends itself through the
        # exit port, and on_poweroff="destroy" takes it away.
        # Then the same from libvirt XML.
        for cfg in ("ipi_pingpong.cfg", "ipi_pingpong.xml"):
            at = len(q.text)
            status, lines = sh.run(f"xl-lite create /etc/xen-lite/{cfg}")
            assert status == 0, lines
            assert lines == [f"Parsing config from /etc/xen-lite/{cfg}"], lines
            q.wait_for(r"^\(d\d+\) VERDICT ipi_pingpong PASS", timeout=120,
                       start=at)
            q.wait_for(r"^d\d+: exit port written, status 0$", timeout=60,
                       start=at)
            wait_until(sh, "xl-lite list",
                       lambda ls: "ipi_pingpong" not in list_rows(ls),
                       what=f"ipi_pingpong ({cfg}) destroyed on poweroff")

        # A Linux domU from xl.cfg, paused at first.
        sh.ok("xl-lite create -q -p /etc/xen-lite/linux.cfg", timeout=180)
        rows = list_rows(sh.ok("xl-lite list"))
        domid, mem, vcpus, state, _ = rows["linux"]
        assert (mem, vcpus) == (256, 1) or (mem, vcpus) == (256, 2), rows
        assert state[2] == "p", rows
        vl = sh.ok("xl-lite vcpu-list linux")
        assert vl[0] == VCPU_HEADER, vl
        assert re.match(r"^linux\s+%d\s+0\s+" % domid, vl[1]), vl
        sh.ok("xl-lite unpause linux")
        q.wait_for(rf"^\(d{domid}\) xen-lite: busybox shell", timeout=240)

        # Its vCPU 1, blocked in Linux's idle loop, pinned to pCPU 1,
        # then to pCPU 0: each time it runs there and keeps waking.
        for cpu in (1, 0):
            sh.ok(f"xl-lite vcpu-pin linux 1 {cpu}")
            vl = wait_until(
                sh, "xl-lite vcpu-list linux",
                lambda ls: any(re.match(rf"^linux\s+{domid}\s+1\s+{cpu}\s+"
                                        rf"[r-][b-]-\s+[\d.]+\s+{cpu} / all$",
                                        ln) for ln in ls),
                what=f"vCPU 1 on pCPU {cpu}")
            before = stat(sh.ok("xl-lite irq-stats linux"), "posts")
            time.sleep(2)
            after = stat(sh.ok("xl-lite irq-stats linux"), "posts")
            assert after > before, (before, after)

        # sched-credit set and read back.
        sh.ok("xl-lite sched-credit -d linux -w 512 -c 50")
        sc = sh.ok("xl-lite sched-credit -d linux")
        assert sc[0] == "%-33s %4s %6s %4s" % ("Name", "ID", "Weight", "Cap"), sc
        assert sc[1] == "%-33s %4d %6d %4d" % ("linux", domid, 512, 50), sc

        # pause / unpause.
        sh.ok("xl-lite pause linux")
        assert list_rows(sh.ok("xl-lite list"))["linux"][3][2] == "p"
        sh.ok("xl-lite unpause linux")
        assert list_rows(sh.ok("xl-lite list"))["linux"][3][2] == "-"

        # irq-stats as JSON parses (busybox has no parser: count braces
        # here) and the debug keys reach dmesg.
        js = "\n".join(sh.ok("xl-lite irq-stats --json"))
        assert js.strip().startswith(("{", "[")), js
        sh.ok("xl-lite debug-keys i")
        # dmesg prints the ring's lines as they are, "(XEN) " and all, as
        # xl does: brackets swapped here so they are not taken for the
        # hypervisor's own lines on the serial console.
        dm = sh.ok("xl-lite dmesg | grep '^(XEN) .*All pCPUs: ' | tr '()' '<>'")
        assert any(re.search(r"<XEN> \[\s*[\d.]+\] All pCPUs: blocked \d+",
                             ln) for ln in dm), dm

        # console: output, then input.
        out = "\n".join(sh.ok("echo 'echo hello-$((6*7))' | xl-lite console linux",
                              timeout=60))
        assert "hello-42" in out, out
        # shutdown: the power button, which the domU's acpid turns into
        # poweroff -f; then on_poweroff="destroy".
        status, lines = sh.run("xl-lite shutdown -w linux", timeout=120)
        assert status == 0, lines
        q.wait_for(rf"^d{domid}: ACPI power off$", timeout=120)
        wait_until(sh, "xl-lite list",
                   lambda ls: "linux" not in list_rows(ls),
                   what="linux destroyed on poweroff")

        # The same Linux from libvirt XML, then destroy.
        sh.ok("xl-lite create -q /etc/xen-lite/linux.xml", timeout=180)
        domid = domid_of(sh, "linux")
        q.wait_for(rf"^\(d{domid}\) xen-lite: busybox shell", timeout=240)
        status, lines = sh.run("xl-lite destroy linux")
        assert status == 0 and lines == [], lines
        assert "linux" not in list_rows(sh.ok("xl-lite list"))

        # Every page is back.
        free_after = int(info_values(sh.ok("xl-lite info"))[1]["free_memory"])
        assert free_after == free_before, (free_before, free_after)

        # Bad input: one line naming it, non-zero exit.
        for cmd, word in [("xl-lite destroy nosuch", "nosuch"),
                          ("xl-lite list 4242", "4242"),
                          ("xl-lite vcpu-pin Domain-0 9 0", "9"),
                          ("xl-lite sched-credit -d Domain-0 -w 0", "0"),
                          ("xl-lite frobnicate", "frobnicate"),
                          ("xl-lite create -q /nonexistent.cfg",
                           "/nonexistent.cfg")]:
            status, lines = sh.run(cmd + " 2>&1")
            assert status != 0, (cmd, lines)
            assert len(lines) == 1 and word in lines[0], (cmd, lines)
        status, lines = sh.run("xl-lite destroy 0 2>&1")
        assert status != 0 and "Not destroying domain 0" in lines[0], lines
        assert "Domain-0" in list_rows(sh.ok("xl-lite list"))

        sh.q.send(b"poweroff -f\n")
        q.wait_for(r"^xen-lite exiting: all domains have exited", timeout=60)
    assert not re.search(r"crashed|Panic|FATAL", s.text), s.text[-3000:]


@pytest.mark.qemu
def test_xl_in_domu_gets_permission_denied(run_qemu, dist, linux, dom0_image):
    vmlinux, initramfs = linux
    common = "vcpus=1 console=ttyS0 tsc=reliable --"
    r = run_qemu(dist.elf32, f"{ARGS} boot_domains=2", smp=2,
                 timeout=BOOT_TIMEOUT,
                 modules=[(vmlinux, f"mem=192M {common} poweroff"),
                          (initramfs, "initrd"),
                          (vmlinux, f"mem=512M {common} script=xl-eperm"),
                          (dom0_image, "initrd")],
                 extra_args=["-m", "2048"])
    d1 = [ln.msg for ln in r.lines if ln.msg.startswith("(d1) ")]
    text = "\n".join(d1)
    assert "(d1) XENLITE-INIT privcmd loaded" in d1, r.describe()
    oks = re.findall(r"^\(d1\) XL-EPERM ok (.*)$", text, re.M)
    assert len(oks) == 15, r.describe()
    assert not re.search(r"XL-EPERM bad", text), r.describe()
    assert "(d1) XENLITE-INIT OK" in d1, r.describe()
    # The refusals are answers, not faults.
    assert not r.find(r"crashed|Panic|unhandled"), r.describe()
    assert r.exit_code == qemu_exit_code(0), r.describe()


def check_xl_smoke(out):
    """tests/linux/xl-smoke.sh's steps in dom0's output (lines made whole):
    Domain-0 alone before and after, the domU listed paused after
    `create -p`, every step exiting 0.  test_abuse_dom0.py's Bochs boot
    runs it before its abuse."""
    steps = dict(re.findall(
        r"^XL-SMOKE begin (\S+)\n(.*?)^XL-SMOKE end \1 status 0$",
        out, re.M | re.S))
    assert set(steps) == {"list-before", "create", "list-created",
                          "vcpu-list", "unpause", "destroy",
                          "list-after"}, out[-4000:]

    def step_lines(name):
        return [ln for ln in steps[name].split("\n") if ln]

    before = list_rows(step_lines("list-before"))
    created = list_rows(step_lines("list-created"))
    after = list_rows(step_lines("list-after"))
    assert list(before) == ["Domain-0"] and list(after) == ["Domain-0"]
    assert created["ipi_pingpong"][3][2] == "p", created
