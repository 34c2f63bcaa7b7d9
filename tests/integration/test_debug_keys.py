"""Debug keys typed on the serial console reach the hypervisor's key
handlers, and three Ctrl-A switch console input away from and back to it."""

import pytest

from emulators import QemuSession

ARGS = "console=com1 loglvl=all"


@pytest.mark.qemu
def test_serial_debug_keys_and_ctrl_a_switch(dist, test_dir):
    with QemuSession(dist.elf32, ARGS, smp=2, workdir=test_dir) as q:
        q.wait_for(r"^\*\*\* Serial input to Xen \(type 'CTRL-a' three times")
        q.wait_for(r"^Nothing left to run")

        at = q.send(b"h")
        q.wait_for(r"^'h' pressed -> showing installed handlers$", start=at)

        at = q.send(b"Z")
        q.wait_for(r"^'Z' \(ascii '5a'\): no handler", start=at)

        # Input now goes to dom0: a key typed there must not reach Xen.
        at = q.send(b"\x01\x01\x01")
        q.wait_for(r"^\*\*\* Serial input to DOM0 ", start=at)
        at = q.send(b"h")
        with pytest.raises(AssertionError):
            q.wait_for(r"'h' pressed", start=at, timeout=2)

        # Two Ctrl-A then another key do not switch; three do.
        at = q.send(b"\x01\x01x\x01\x01\x01")
        q.wait_for(r"^\*\*\* Serial input to Xen ", start=at)
        switches = q.text[at:].count("*** Serial input to")
        assert switches == 1, f"{switches} input switches:\n{q.text[at:]}"
        at = q.send(b"h")
        q.wait_for(r"^'h' pressed", start=at)


@pytest.mark.qemu
def test_dump_keys_show_idle_domain_runqueues_and_counters(dist, test_dir):
    with QemuSession(dist.elf32, ARGS, smp=2, workdir=test_dir) as q:
        q.wait_for(r"^Nothing left to run")

        at = q.send(b"h")
        for key in "qrsv":
            q.wait_for(rf"^ key '{key}' \(ascii '{ord(key):02x}'\) => ",
                       start=at)

        at = q.send(b"q")
        q.wait_for(r"^'q' pressed -> dumping domain info", start=at)
        q.wait_for(r"^Idle domain \(d32767\):", start=at)
        # One idle vCPU per pCPU, each on its own pCPU.
        q.wait_for(r"^    VCPU0: CPU0 ", start=at)
        q.wait_for(r"^    VCPU1: CPU1 ", start=at)

        at = q.send(b"r")
        q.wait_for(r"^'r' pressed -> dumping scheduler run queues", start=at)
        q.wait_for(r"^CPU\[00\] ", start=at)
        q.wait_for(r"^CPU\[01\] ", start=at)

        at = q.send(b"s")
        q.wait_for(r"^'s' pressed -> dumping scheduler counters", start=at)
        q.wait_for(r"schedules=\d+", start=at)


@pytest.mark.qemu
def test_dumps_show_a_running_domain(dist, test_dir, repo_root):
    import subprocess
    subprocess.run(["make", "-s", "-C", str(repo_root / "tests" / "guests")],
                   check=True)
    env = test_dir / "slow.env"
    env.write_text("ipis=400000\n")      # keeps d0 busy while we look
    s = QemuSession(dist.elf32, ARGS, smp=2, workdir=test_dir,
                    name="with-domain")
    s.cmd += ["-initrd", f"{repo_root}/build/guests/ipi_pingpong.elf "
                         f"vcpus=2,{env} env"]
    with s as q:
        q.wait_for(r"^d0: 2 vCPUs, 64 MiB")
        q.wait_for(r"^\*\*\* Serial input to DOM0 ")
        q.wait_for(r"^\(d0\) smp: 2 CPU\(s\) online", timeout=60)
        # Input goes to the running dom0: switch it to the hypervisor.
        at = q.send(b"\x01\x01\x01")
        q.wait_for(r"^\*\*\* Serial input to Xen ", start=at)
        at = q.send(b"q")
        q.wait_for(r"^Domain 0 \(d0\) privileged: ", start=at)
        q.wait_for(r"^    VCPU1: CPU\d ", start=at)
        at = q.send(b"v")
        q.wait_for(r"^'v' pressed -> dumping virtual local APICs", start=at)
        q.wait_for(r"^    exits: .*hlt=\d+", start=at)
        # The scheduler counters come with every vCPU's exits by reason.
        at = q.send(b"s")
        q.wait_for(r"^'s' pressed -> dumping scheduler counters", start=at)
        q.wait_for(r"^d0v1:$", start=at)
        q.wait_for(r"^    exits: .*hlt=\d+", start=at)
