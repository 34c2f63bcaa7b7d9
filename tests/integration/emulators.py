"""Emulator runners and console-log parsing for the integration tests.

run_qemu() boots an ELF32 image with QEMU's multiboot v1 loader, run_bochs()
boots a GRUB ISO on Bochs through scripts/bochs-run.sh, build_iso() makes that
ISO with scripts/mkiso.sh. Every run writes its serial log (and the emulator's
own output) into a caller-chosen directory, which the fixtures in conftest.py
keep per test. parse_console() splits a serial log into hypervisor lines.
"""

import os
import re
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = REPO_ROOT / "scripts"

# Every QEMU started from here is the one scripts/qemu-setup.sh builds
# (Debian's source with the fixes in scripts/qemu-patches/) when it has
# been built: `make` puts it first on PATH, and so does this for a bare
# pytest.  Without it the host's QEMU runs, races and all.
PATCHED_QEMU = REPO_ROOT / "build" / "qemu" / "bin" / "qemu-system-x86_64"
if PATCHED_QEMU.is_file() and \
        str(PATCHED_QEMU.parent) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = str(PATCHED_QEMU.parent) + os.pathsep + \
        os.environ.get("PATH", "")

# isa-debug-exit turns a write of V to port 0xf4 into QEMU exit status (V<<1)|1.
QEMU_DEBUG_EXIT_PORT = 0xF4


def qemu_exit_code(status: int) -> int:
    """QEMU's exit code when the guest writes `status` to isa-debug-exit."""
    return (status << 1) | 1


@dataclass(repr=False)
class RunResult:
    """One emulator run. exit_code is None when the run timed out."""
    exit_code: Optional[int]
    serial: str
    timed_out: bool
    serial_path: Path
    cmd: List[str]
    duration: float
    output_path: Optional[Path] = None   # emulator's stdout/stderr
    name: str = ""

    @property
    def lines(self) -> List["ConsoleLine"]:
        return parse_console(self.serial)

    @property
    def messages(self) -> List[str]:
        """Hypervisor console messages, "(XEN) " and timestamp removed."""
        return [line.msg for line in self.lines]

    def find(self, pattern: str) -> Optional[re.Match]:
        """First hypervisor message matching regex `pattern` (re.search)."""
        for msg in self.messages:
            m = re.search(pattern, msg)
            if m:
                return m
        return None

    def find_all(self, pattern: str) -> List[re.Match]:
        return [m for m in (re.search(pattern, msg) for msg in self.messages) if m]

    def describe(self) -> str:
        """Short text for assertion messages: how the run ended and where its logs are."""
        how = "timed out" if self.timed_out else f"exit code {self.exit_code}"
        return f"{self.name or 'run'}: {how} after {self.duration:.1f}s, serial log {self.serial_path}"

    def __repr__(self) -> str:   # short: pytest prints it in tracebacks
        return f"<RunResult {self.describe()}>"

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.serial.splitlines()[-n:])


@dataclass
class ConsoleLine:
    time: Optional[float]   # seconds since boot, None if the line had no timestamp
    msg: str                # text after "(XEN) " and the timestamp
    raw: str


# "(XEN) " optionally followed by a timestamp "[    1.234567] ".
_XEN_LINE = re.compile(r"^\(XEN\) (?:\[\s*(\d+\.\d+)\] )?(.*)$")


def guest_output(text: str) -> List[str]:
    """The lines of a serial log that are not the hypervisor's: what a
    console domain (a PVH dom0) wrote as it is."""
    lines = (raw.rstrip("\r") for raw in text.splitlines())
    return [line for line in lines if not _XEN_LINE.match(line)]


def dom0_lines(serial):
    """dom0's lines (unprefixed) made whole again.  When a hypervisor line
    (here d1's) interrupts a raw dom0 line, console.c ends the piece with
    a bare newline, which the serial line carries as one CR LF; dom0's own
    line ends (the tty's CR LF) carry two CRs."""
    out, piece = [], ""
    for raw in serial.split("\n"):
        if _XEN_LINE.match(raw.rstrip("\r")):
            continue
        piece += raw.rstrip("\r")
        if raw.endswith("\r\r") or not raw.endswith("\r"):
            out.append(piece)
            piece = ""
    return out + ([piece] if piece else [])


def parse_console(text: str) -> List[ConsoleLine]:
    """Hypervisor lines of a serial log, in order. Other lines (GRUB's
    escape sequences, guest output without the prefix) are skipped."""
    out = []
    for raw in text.splitlines():
        raw = raw.rstrip("\r")
        m = _XEN_LINE.match(raw)
        if m:
            ts = float(m.group(1)) if m.group(1) is not None else None
            out.append(ConsoleLine(ts, m.group(2), raw))
    return out


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _run(cmd: Sequence[str], timeout: float, output_path: Path,
         cwd: Optional[Path] = None) -> Tuple[Optional[int], bool, float]:
    """Run cmd in its own session with stdout/stderr to output_path.
    On timeout, TERM then KILL the whole process group so nothing is left
    running. Returns (exit code or None, timed_out, seconds)."""
    start = time.monotonic()
    with open(output_path, "wb") as out:
        proc = subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, cwd=cwd,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
            return rc, False, time.monotonic() - start
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return None, True, time.monotonic() - start
        except BaseException:      # Ctrl-C in pytest: do not leave emulators behind
            _kill_group(proc)
            raise


def _kill_group(proc: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


Module = Union[str, Tuple[Union[str, Path], str], Path]


def _module_spec(mod: Module) -> Tuple[str, str]:
    """(path, args) from "path", Path, or (path, args)."""
    if isinstance(mod, tuple):
        return str(mod[0]), mod[1]
    return str(mod), ""


def run_qemu(kernel: Union[str, Path], append: str, smp: int = 1,
             modules: Optional[Sequence[Module]] = None, timeout: float = 60,
             extra_args: Sequence[str] = (), *, workdir: Union[str, Path],
             name: str = "qemu") -> RunResult:
    """Boot `kernel` (an ELF32 multiboot v1 image) under QEMU TCG.

    modules: paths or (path, args) tuples, passed with -initrd. Note QEMU's
    multiboot v1 loader puts the kernel path in front of the command line and
    each module's path in front of its string.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    serial = workdir / f"{name}.serial.txt"
    output = workdir / f"{name}.out.txt"
    serial.unlink(missing_ok=True)
    cmd = ["qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-cpu", "max",
           "-smp", str(smp), "-m", "512", "-nodefaults", "-display", "none",
           "-serial", f"file:{serial}", "-monitor", "none", "-no-reboot",
           "-device", f"isa-debug-exit,iobase={QEMU_DEBUG_EXIT_PORT:#x},iosize=0x04",
           "-kernel", str(kernel), "-append", append]
    if modules:
        # -initrd separates modules with ","; a literal comma is ",,".
        specs = []
        for mod in modules:
            path, args = _module_spec(mod)
            spec = f"{path} {args}" if args else path
            specs.append(spec.replace(",", ",,"))
        cmd += ["-initrd", ",".join(specs)]
    cmd += list(extra_args)
    (workdir / f"{name}.cmd").write_text(shlex.join(cmd) + "\n")
    rc, timed_out, secs = _run(cmd, timeout, output)
    return RunResult(rc, _read(serial), timed_out, serial, cmd, secs, output, name)


def build_iso(xen_args: str, modules: Optional[Sequence[Module]] = None, *,
              xen_image: Union[str, Path], workdir: Union[str, Path],
              name: str = "xen-lite") -> Path:
    """GRUB ISO booting xen_image with xen_args (multiboot2), via scripts/mkiso.sh.
    GRUB passes neither the image path nor module paths on the command lines."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    iso = workdir / f"{name}.iso"
    cmd = [str(SCRIPTS / "mkiso.sh"), str(iso), str(xen_image), xen_args]
    for mod in modules or ():
        path, args = _module_spec(mod)
        cmd.append(f"{path}:{args}" if args else path)
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"mkiso.sh failed ({proc.returncode}):\n{proc.stderr}")
    return iso


_bochs3_ready = False


def ensure_bochs3() -> None:
    """Unpack Bochs 3.0 into build/bochs3 once (scripts/bochs3-setup.sh is a
    no-op when it is already there; the first time it downloads ~25 MB from
    Debian's archive)."""
    global _bochs3_ready
    if _bochs3_ready:
        return
    proc = subprocess.run([str(SCRIPTS / "bochs3-setup.sh")], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"bochs3-setup.sh failed ({proc.returncode}):\n{proc.stderr}")
    _bochs3_ready = True


# bochs-run.sh's exit statuses.
BOCHS_SHUTDOWN, BOCHS_OTHER_STOP, BOCHS_TIMEOUT = 0, 2, 124


def run_bochs(iso: Union[str, Path], cpus: int = 2, timeout: float = 180,
              version: str = "2.7", model: str = "corei7_skylake_x",
              megs: int = 512, *, workdir: Union[str, Path], name: str = "bochs") -> RunResult:
    """Boot a GRUB ISO on Bochs via scripts/bochs-run.sh.

    exit_code is the script's: 0 the guest asked Bochs to shut down (port
    0x8900), 2 Bochs stopped on its own for another reason (panic, triple
    fault; the reason is in output_path), None on timeout. Whether the hypervisor
    was happy is only in the serial log.
    """
    if version == "3.0":
        ensure_bochs3()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    serial = workdir / f"{name}.serial.txt"
    output = workdir / f"{name}.run.txt"
    cmd = [str(SCRIPTS / "bochs-run.sh"), "--bochs", version, "--cpus", str(cpus),
           "--timeout", str(int(timeout)), "--model", model,
           "--megs", str(megs), str(iso), str(serial)]
    (workdir / f"{name}.cmd").write_text(shlex.join(cmd) + "\n")
    # The script enforces `timeout` itself; the margin covers Bochs' start
    # and a kill that needs the KILL fallback.
    rc, timed_out, secs = _run(cmd, timeout + 30, output)
    if rc == BOCHS_TIMEOUT:
        rc, timed_out = None, True
    return RunResult(rc, _read(serial), timed_out, serial, cmd, secs, output, name)


class QemuSession:
    """An interactive QEMU run: the serial line is the process's stdin and
    stdout, so a test can wait for console text and type at the console.
    Use as a context manager; leaving it kills QEMU and its group."""

    def __init__(self, kernel: Union[str, Path], append: str, smp: int = 1, *,
                 workdir: Union[str, Path], name: str = "qemu-session"):
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        self.serial_path = workdir / f"{name}.serial.txt"
        self.cmd = ["qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-cpu", "max",
                    "-smp", str(smp), "-m", "512", "-nodefaults", "-display", "none",
                    "-chardev", "stdio,id=ser0,signal=off", "-serial", "chardev:ser0",
                    "-monitor", "none", "-no-reboot",
                    "-device", f"isa-debug-exit,iobase={QEMU_DEBUG_EXIT_PORT:#x},iosize=0x04",
                    "-kernel", str(kernel), "-append", append]
        # XENLITE_QEMU_LOG=int,cpu_reset (say): QEMU's own log of those
        # events beside the serial log, for chasing emulator-level faults.
        # XENLITE_QEMU_EXTRA: more QEMU arguments (-trace, -no-shutdown).
        if os.environ.get("XENLITE_QEMU_LOG"):
            self.cmd += ["-d", os.environ["XENLITE_QEMU_LOG"],
                         "-D", str(workdir / f"{name}.qemu.log")]
        self.cmd += shlex.split(os.environ.get("XENLITE_QEMU_EXTRA", ""))
        (workdir / f"{name}.cmd").write_text(shlex.join(self.cmd) + "\n")
        self.text = ""
        self.proc: Optional[subprocess.Popen] = None

    def __enter__(self) -> "QemuSession":
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)
        os.set_blocking(self.proc.stdout.fileno(), False)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc:
            _kill_group(self.proc)
            self._drain()
        self.serial_path.write_text(self.text)

    def _drain(self) -> None:
        while True:
            try:
                chunk = self.proc.stdout.read()
            except (BlockingIOError, ValueError):
                return
            if not chunk:
                return
            self.text += chunk.decode("utf-8", errors="replace")

    def wait_for(self, pattern: str, timeout: float = 30,
                 start: int = 0) -> re.Match:
        """Wait until a hypervisor message after text offset `start`
        matches `pattern`; raise AssertionError with the log on timeout."""
        end = time.monotonic() + timeout
        while True:
            # Decided before the drain, so that the output of a QEMU that
            # has just exited is still searched once.
            last = time.monotonic() > end or self.proc.poll() is not None
            self._drain()
            for line in parse_console(self.text[start:]):
                m = re.search(pattern, line.msg)
                if m:
                    return m
            if last:
                raise AssertionError(
                    f"no console line matching {pattern!r} within {timeout}s; "
                    f"console so far:\n{self.text[-3000:]}")
            time.sleep(0.05)

    def wait_for_output(self, pattern: str, timeout: float = 30) -> re.Match:
        """Wait until a line a guest wrote to the serial line as it is (a
        console domain's, no "(XEN)" prefix) matches `pattern`."""
        end = time.monotonic() + timeout
        while True:
            last = time.monotonic() > end or self.proc.poll() is not None
            self._drain()
            for line in guest_output(self.text):
                m = re.search(pattern, line)
                if m:
                    return m
            if last:
                raise AssertionError(
                    f"no output line matching {pattern!r} within {timeout}s; "
                    f"console so far:\n{self.text[-3000:]}")
            time.sleep(0.05)

    def send(self, data: bytes) -> int:
        """Type `data` at the serial console; returns the text offset at
        which the answer starts."""
        self._drain()
        offset = len(self.text)
        self.proc.stdin.write(data)
        self.proc.stdin.flush()
        return offset


def guest_modules(guests, test_dir, kernel, args, env, tag=""):
    """Boot modules for one guest test kernel: the kernel with 'args'
    (vcpus=..., mem=...) and, when 'env' is given ("k=v k=v"), an
    environment file passed to it."""
    mods = [(guests / f"{kernel}.elf", args)]
    if env:
        path = test_dir / f"{kernel}{tag}.env"
        path.write_text(env.replace(" ", "\n") + "\n")
        mods.append((path, "env"))
    return mods


def verdicts(r):
    """Every guest verdict line: (domain id, test, PASS|FAIL|SKIP, rest)."""
    return re.findall(r"\(d(\d+)\) VERDICT (\S+) (PASS|FAIL|SKIP)(.*)",
                      r.serial)


def check_cmos_rtc_time(r, slack=2.0, host_utc=False):
    """The time cmos_rtc read from its RTC ("(dN) cmos_rtc: time ...") is
    the hypervisor's boot reading of the host RTC ("RTC: host time ...")
    advanced by the system time between the two lines, within `slack`
    seconds (both readings have a resolution of one second).  With
    host_utc (QEMU, whose RTC starts at the host's UTC time), the boot
    reading itself lies within the run, give or take `slack`."""
    import datetime
    fmt = "%Y-%m-%d %H:%M:%S"
    boot = guest = None
    for line in r.lines:
        m = re.match(r"RTC: host time (\S+ \S+) UTC", line.msg)
        if m and boot is None:
            boot = (line.time, datetime.datetime.strptime(m.group(1), fmt))
        m = re.match(r"\(d\d+\) cmos_rtc: time (\S+ \S+)$", line.msg)
        if m and guest is None:
            guest = (line.time, datetime.datetime.strptime(m.group(1), fmt))
    assert boot and guest, f"no RTC boot line or guest time\n{r.describe()}"
    want = boot[1] + datetime.timedelta(seconds=guest[0] - boot[0])
    off = (guest[1] - want).total_seconds()
    assert abs(off) <= slack, \
        f"guest RTC {guest[1]} vs boot {boot[1]} + {guest[0] - boot[0]:.1f}" \
        f" s: off by {off:.1f} s\n{r.describe()}"
    if host_utc:
        end = datetime.datetime.now(datetime.timezone.utc).replace(
            tzinfo=None)
        start = end - datetime.timedelta(seconds=r.duration + slack)
        assert start <= boot[1] <= end + datetime.timedelta(seconds=slack), \
            f"boot RTC {boot[1]} outside the run ({start} - {end} UTC)\n" \
            f"{r.describe()}"
