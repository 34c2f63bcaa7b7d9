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
