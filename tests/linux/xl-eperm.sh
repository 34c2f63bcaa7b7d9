#!/bin/sh
# xl-eperm.sh: run in a domain that is not dom0 (test_xl.py), with the
# privcmd driver loaded.  Every xl-lite command that needs a domctl or a
# sysctl must fail with one line saying "permission denied" (the
# hypervisor refuses them, not the driver) and a non-zero exit.  Prints
# "XL-EPERM ok|bad COMMAND" per command; exits 1 if any was bad.
bad=0
expect_eperm() {
    out=$(xl-lite "$@" 2>&1 >/dev/null </dev/null)
    status=$?
    stdout=$(xl-lite "$@" 2>/dev/null </dev/null)
    lines=$(printf '%s\n' "$out" | grep -c .)
    if [ $status -ne 0 ] && [ "$lines" -eq 1 ] && [ -z "$stdout" ] &&
       printf '%s' "$out" | grep -q "permission denied"; then
        echo "XL-EPERM ok $*"
    else
        echo "XL-EPERM bad $* (status $status, stderr: $out," \
             "stdout: $stdout)"
        bad=1
    fi
}

[ -c /dev/xen-lite/privcmd ] || { echo "XL-EPERM no privcmd"; exit 1; }
expect_eperm list
expect_eperm list -l
expect_eperm info
expect_eperm dmesg
expect_eperm debug-keys i
expect_eperm create -q -p /etc/xen-lite/ipi_pingpong.cfg
expect_eperm destroy 1
expect_eperm pause 0
expect_eperm unpause 0
expect_eperm vcpu-list
expect_eperm vcpu-pin 0 0 0
expect_eperm sched-credit
expect_eperm sched-credit -d 0 -w 512
expect_eperm uptime
expect_eperm irq-stats
exit $bad
