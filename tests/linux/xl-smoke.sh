#!/bin/sh
# xl-smoke.sh: dom0's toolstack without typing, for the Bochs (VMX) boot
# of test_abuse_dom0.py (checked by test_xl.py's check_xl_smoke): list,
# create the test-kernel domU paused, list and vcpu-list it, unpause it,
# destroy it, list again.  Each step prints its
# output between "XL-SMOKE begin STEP" and "XL-SMOKE end STEP status N"
# for the test to check; exits 1 if any step failed.
bad=0
step() {
    name=$1
    shift
    echo "XL-SMOKE begin $name"
    "$@" 2>&1
    status=$?
    echo "XL-SMOKE end $name status $status"
    [ $status -eq 0 ] || bad=1
}

step list-before xl-lite list
step create xl-lite create -p /etc/xen-lite/ipi_pingpong.cfg
step list-created xl-lite list
step vcpu-list xl-lite vcpu-list ipi_pingpong
step unpause xl-lite unpause ipi_pingpong
step destroy xl-lite destroy ipi_pingpong
step list-after xl-lite list
exit $bad
