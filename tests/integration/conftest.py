"""pytest fixtures for the integration tests: repository and image paths, a
per-test log directory that survives the run, and emulator runners bound to
it. When a test fails, the tail of each serial log it produced is added to
the failure report.

Logs go to build/test-logs/<test id>/ (override with XENLITE_TEST_LOGS), are
wiped when that test starts and kept afterwards, so CI can archive them.
"""

import functools
import os
import re
import shutil
from pathlib import Path

import pytest

import emulators

REPO_ROOT = emulators.REPO_ROOT
SERIAL_TAIL_LINES = 40


class DistImages:
    """Paths of the images `make` puts in dist/. Looking one up checks that it
    exists, during the test itself, so a missing image makes every test that
    needs it FAIL (not error out in setup, never skip) with a clear hint."""

    def __init__(self, repo_root: Path):
        self.repo_root = repo_root
        # XENLITE_DIST points the tests at images built elsewhere.
        self.dir = Path(os.environ.get("XENLITE_DIST", repo_root / "dist"))

    def _image(self, name: str) -> Path:
        path = self.dir / name
        if not path.is_file():
            pytest.fail(f"{path} is missing: run `make` in {self.repo_root} first",
                        pytrace=False)
        return path

    @property
    def xen(self) -> Path:
        """ELF64 with multiboot2 and v1 headers: what GRUB loads."""
        return self._image("xen-lite")

    @property
    def elf32(self) -> Path:
        """ELF32 container of the same image: what QEMU -kernel loads."""
        return self._image("xen-lite.elf32")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def dist(repo_root) -> DistImages:
    return DistImages(repo_root)


def pytest_report_header(config):
    qemu = shutil.which("qemu-system-x86_64")
    kind = "patched, scripts/qemu-setup.sh" if qemu and \
        Path(qemu) == emulators.PATCHED_QEMU else \
        "the host's: run scripts/qemu-setup.sh for the fixed one"
    return f"qemu: {qemu} ({kind})"


def _require_tool(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} not found: run scripts/install-deps.sh", pytrace=False)


@pytest.fixture
def test_dir(request) -> Path:
    root = Path(os.environ.get("XENLITE_TEST_LOGS", REPO_ROOT / "build" / "test-logs"))
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid).strip("_")
    d = root / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def _recorded(request, runner, prefix, tool):
    """Wrap runner so each result is remembered on the test item (for the
    failure report) and each run in one test gets its own log names. The
    emulator is looked for when the test runs it, so its absence is a test
    failure naming the fix."""
    runs = request.node.__dict__.setdefault("emulator_runs", [])

    @functools.wraps(runner)
    def run(*args, **kwargs):
        _require_tool(tool)
        n = sum(1 for r in runs if r.name.startswith(prefix))
        kwargs.setdefault("name", prefix if n == 0 else f"{prefix}-{n + 1}")
        result = runner(*args, **kwargs)
        runs.append(result)
        return result
    return run


@pytest.fixture
def run_qemu(request, test_dir):
    """run_qemu(kernel, append, smp=1, modules=None, timeout=60, extra_args=())"""
    return _recorded(request, functools.partial(emulators.run_qemu, workdir=test_dir),
                     "qemu", "qemu-system-x86_64")


@pytest.fixture
def run_bochs(request, test_dir):
    """run_bochs(iso, cpus=2, timeout=180, version='2.7')"""
    return _recorded(request, functools.partial(emulators.run_bochs, workdir=test_dir),
                     "bochs", "bochs")


@pytest.fixture
def build_iso(test_dir, dist):
    """build_iso(xen_args, modules=None) -> ISO path, booting dist/xen-lite."""
    def build(xen_args, modules=None):
        for tool in ("grub-mkrescue", "xorriso"):
            _require_tool(tool)
        return emulators.build_iso(xen_args, modules, xen_image=dist.xen, workdir=test_dir)
    return build


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for r in item.__dict__.get("emulator_runs", []):
        text = r.tail(SERIAL_TAIL_LINES) or "(serial log is empty)"
        report.sections.append(
            (f"{r.describe()} -- last {SERIAL_TAIL_LINES} lines", text))


@pytest.fixture(scope="session")
def guests(repo_root):
    """Build the guest test kernels once; their directory."""
    import subprocess
    subprocess.run(["make", "-s", "-C", str(repo_root / "tests" / "guests")],
                   check=True)
    return repo_root / "build" / "guests"


@pytest.fixture(scope="session")
def linux(repo_root):
    """`make linux` (cached after the first fetch): vmlinux and the test
    initramfs (with the dom0 driver privcmd.ko and privcmd-test)."""
    import subprocess
    proc = subprocess.run(["make", "-s", "linux"], cwd=repo_root,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"make linux failed:\n{proc.stdout}{proc.stderr}",
                    pytrace=False)
    top = repo_root / "build" / "linux"
    return top / "vmlinux", top / "initramfs.cpio"
