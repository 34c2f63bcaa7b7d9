#!/bin/sh
# abuse-short.sh [CALLS] [CYCLES]: issue 13's dom0 abuse in one boot and
# without typing, for the Bochs (VMX) boot of test_abuse_dom0.py: the
# hypercall fuzzer (CALLS calls, default 3000, seed 1, with its
# create/destroy child), the lifecycle stress (CYCLES cycles, default 4:
# one of each kind, after its own warm-up), then every bad command.  Each
# step prints its output between "ABUSE begin STEP" and "ABUSE end STEP
# status N", then the hypervisor's free pages as "ABUSE pages STEP N"
# ("start" before the first).  The fuzzer runs twice: the second run must
# come back to the pages the first left.  Exits 1 if any step failed.
calls=${1:-3000}
cycles=${2:-4}
bad=0
step() {
    name=$1
    shift
    echo "ABUSE begin $name"
    "$@" > /tmp/abuse.out 2>&1
    status=$?
    # hcfuzz's progress lines are many and say nothing the summary does not.
    grep -v prog /tmp/abuse.out
    echo "ABUSE end $name status $status"
    echo "ABUSE pages $name $(hcfuzz pages)"
    [ $status -eq 0 ] || bad=1
}

echo "ABUSE pages start $(hcfuzz pages)"
step fuzz1 hcfuzz 1 "$calls" /etc/xen-lite/ipi_pingpong.cfg
step fuzz2 hcfuzz 1 "$calls" /etc/xen-lite/ipi_pingpong.cfg
step lifecycle sh /tests/lifecycle.sh "$cycles"
step badcmd sh /tests/badcmd.sh
echo "ABUSE domains $(xl-lite list | tail -n +2 | wc -l)"
exit $bad
