#!/bin/sh
# lifecycle.sh [N]: N create/destroy cycles of the ipi_pingpong domU in
# dom0 (tests/integration/test_abuse_dom0.py; N defaults to 50), each
# cycle one way of dying, in turn:
#   paused      created with -p, destroyed before it ever ran;
#   blocked     running a ping-pong that never ends (its environment file
#               asks for 10^9 IPIs), so its two vCPUs keep sending each
#               other IPIs and sit on wakeup lists in HLT, destroyed then;
#   irq-stats   the same, destroyed while another xl-lite reads its
#               irq-stats in a loop;
#   two         two domains created and destroyed by two xl-lite
#               processes at once.
# After each cycle only Domain-0 is listed; after all of them (and four
# warm-up cycles before) the hypervisor's free pages (hcfuzz pages) equal
# those before, to the page,
# and its dumps ('q' domains and vCPUs, 'i' wakeup lists) and irq-stats
# name no domain but 0.  Prints "LIFECYCLE ..." lines and "LIFECYCLE OK"
# or "LIFECYCLE FAIL ..."; exits 1 on failure.
n=${1:-50}
cfg=/etc/xen-lite/ipi_pingpong.cfg
env=/tmp/lifecycle.env
echo "ipis=1000000000" > $env

fail() {
    echo "LIFECYCLE FAIL $*"
    exit 1
}

# Only Domain-0 left: dying domains may take a moment to go.
only_dom0() {
    for t in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        [ "$(xl-lite list | tail -n +2 | grep -vc '^Domain-0 ')" = 0 ] &&
            return 0
        sleep 0.5
    done
    xl-lite list
    return 1
}

# create NAME [-p] [ENV]: fails the run unless xl-lite succeeds.
create() {
    name=$1
    shift
    xl-lite create -q "$@" $cfg "name=\"$name\"" "ramdisk=\"$env\"" \
        'on_poweroff="destroy"' 'on_crash="preserve"' ||
        fail "create $name $*"
}

destroy() {
    xl-lite destroy "$1" || fail "destroy $1"
}

# The domain's two vCPUs have run (the ping-pong is going).
wait_running() {
    for t in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        xl-lite irq-stats "$1" 2>/dev/null |
            grep -q 'vCPU 1: posts [1-9]' && return 0
        sleep 0.2
    done
    fail "$1: its vCPUs never took an interrupt"
}

# One cycle, the kind chosen by its number.
cycle() {
    case $(($1 % 4)) in
    0)
        create lc -p
        destroy lc
        ;;
    1)
        create lc
        wait_running lc
        destroy lc
        ;;
    2)
        create lc
        wait_running lc
        ( while xl-lite irq-stats lc >/dev/null 2>&1; do :; done ) &
        reader=$!
        sleep 0.2
        destroy lc
        wait $reader
        ;;
    3)
        create lca & a=$!
        create lcb -p & b=$!
        wait $a || fail "create lca"
        wait $b || fail "create lcb"
        xl-lite destroy lca & a=$!
        xl-lite destroy lcb & b=$!
        wait $a || fail "destroy lca"
        wait $b || fail "destroy lcb"
        ;;
    esac
    only_dom0 || fail "cycle $1: a domain is left"
}

# One cycle of each kind first: the hypervisor's allocator keeps one
# empty page per size class (xmalloc.c), so the first use of a class may
# keep a page for good.  The count starts once they are warm.
for i in 0 1 2 3; do
    cycle $i
done
before=$(hcfuzz pages) || fail "hcfuzz pages"
echo "LIFECYCLE cycles $n free pages before $before"
i=0
while [ $i -lt $n ]; do
    cycle $i
    i=$((i + 1))
    [ $((i % 10)) = 0 ] && echo "LIFECYCLE done $i pages $(hcfuzz pages)"
done

after=$(hcfuzz pages)
echo "LIFECYCLE free pages after $after"
[ "$after" = "$before" ] || fail "pages before $before after $after"

# Nothing of the domUs left in the hypervisor's own accounts.
xl-lite dmesg -c >/dev/null
xl-lite debug-keys qi || fail "debug-keys"
dump=$(xl-lite dmesg)
echo "$dump" | grep -q "'i' pressed" || fail "no 'i' dump in dmesg"
left=$(echo "$dump" | grep -E '^\(XEN\) .*(Domain [1-9][0-9]* |d[1-9][0-9]*v[0-9])')
[ -z "$left" ] || fail "left in the dumps: $left"
left=$(xl-lite irq-stats | grep -E '\([1-9][0-9]*\) vCPU')
[ -z "$left" ] || fail "left in irq-stats: $left"
echo "LIFECYCLE OK"
