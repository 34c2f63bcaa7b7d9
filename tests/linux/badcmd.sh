#!/bin/sh
# badcmd.sh: every xl-lite command with bad arguments and bad files, in
# dom0 against the real hypervisor (tests/integration/test_abuse_dom0.py).
# Each row of the table is a command, its exit status and a pattern
# (grep -E, anchored) that its one line on stderr must match; stdout must
# be empty.  The create failures (image too large for its memory, missing
# kernel, not an image, unparsable config, out of memory, too many vCPUs)
# must also leave no domain behind: only Domain-0 listed, and the
# hypervisor's free pages (hcfuzz pages) as before, to the page.  Prints
# "BADCMD ok|bad ..." per row and "BADCMD OK" or "BADCMD FAIL"; exits 1
# on failure.
bad=0
d=/tmp/badcmd
mkdir -p $d
base='name = "bad"
type = "multiboot"
kernel = "/boot/guests/ipi_pingpong.elf"
ramdisk = "/boot/guests/ipi_pingpong.env"
memory = 16
vcpus = 2'
echo "$base" > $d/ok.cfg
printf '%s\nmemory = "x"\n' "$base" > $d/unparsable.cfg
printf 'name = "bad\n' > $d/unterminated.cfg
sed -e 's/^memory = 16/memory = 16/' -e 's#^type = .*#type = "pvh"#' \
    -e 's#^kernel = .*#kernel = "/boot/vmlinux"#' $d/ok.cfg > $d/small.cfg
sed 's#^kernel = .*#kernel = "/nosuch.elf"#' $d/ok.cfg > $d/nokernel.cfg
sed 's#^kernel = .*#kernel = "/etc/xen-lite/linux.cfg"#' $d/ok.cfg \
    > $d/notimage.cfg
sed 's#^ramdisk = .*#ramdisk = "/nosuch.env"#' $d/ok.cfg > $d/noramdisk.cfg
sed 's/^vcpus = 2/vcpus = 300/' $d/ok.cfg > $d/vcpus300.cfg
sed 's/^memory = 16/memory = 4000/' $d/ok.cfg > $d/oom.cfg
printf '%s\nmaxmem = 8\n' "$base" > $d/maxmem.cfg
echo '<domain><name>x' > $d/bad.xml
: > $d/empty.cfg
mkdir -p $d/dir.cfg

pages_before=$(hcfuzz pages)

# expect STATUS PATTERN COMMAND...
expect() {
    want=$1
    pat=$2
    shift 2
    err=$("$@" 2>&1 >$d/stdout </dev/null)
    status=$?
    lines=$(printf '%s\n' "$err" | grep -c .)
    if [ $status -eq "$want" ] && [ "$lines" -eq 1 ] && [ ! -s $d/stdout ] &&
       printf '%s\n' "$err" | grep -Eqx "$pat"; then
        echo "BADCMD ok $*"
    else
        echo "BADCMD bad $* (status $status, stderr: $err," \
             "stdout: $(cat $d/stdout))"
        bad=1
    fi
}

# A create that failed left nothing: no domain, no page.
nothing_left() {
    rows=$(xl-lite list | tail -n +2 | grep -vc '^Domain-0 ')
    pages=$(hcfuzz pages)
    if [ "$rows" = 0 ] && [ "$pages" = "$pages_before" ]; then
        echo "BADCMD ok nothing left after $1"
    else
        echo "BADCMD bad after $1: $rows domains, pages $pages_before" \
             "then $pages"
        xl-lite list
        bad=1
    fi
}

x=xl-lite
use="\(see 'xl-lite [a-z-]+ --help'\)"
expect 1 "xl-lite: no command 'frobnicate' \(see 'xl-lite help'\)" \
    $x frobnicate
expect 1 "xl-lite: create: no config FILE given $use" $x create
expect 1 "xl-lite: create: unknown option '-x' $use" $x create -x f
expect 1 "xl-lite: create: 'foo' is not KEY=VALUE $use" \
    $x create -q $d/ok.cfg foo
expect 1 "xl-lite: command line:1:8: expected a value" \
    $x create -q $d/ok.cfg memory=
expect 1 'xl-lite: command line:1:1: unknown key "nosuchkey"' \
    $x create -q $d/ok.cfg nosuchkey=1
expect 1 "xl-lite: list: unknown option '-z' $use" $x list -z
expect 1 "xl-lite: no domain named 'nosuch'" $x list nosuch
expect 1 "xl-lite: no domain with id 4242" $x list 4242
expect 1 "xl-lite: destroy: no domain given $use" $x destroy
expect 1 "xl-lite: destroy: one domain at a time \('b' is extra\) $use" \
    $x destroy a b
expect 1 "xl-lite: no domain named 'nosuch'" $x destroy nosuch
expect 1 "xl-lite: no domain with id 32767" $x destroy 32767
expect 1 "xl-lite: .*Not destroying domain 0.*" $x destroy 0
expect 1 "xl-lite: pause: no domain given $use" $x pause
expect 1 "xl-lite: no domain named 'nosuch'" $x pause nosuch
expect 1 "xl-lite: unpause: no domain given $use" $x unpause
expect 1 "xl-lite: no domain with id 99" $x unpause 99
expect 1 "xl-lite: shutdown: no domain given $use" $x shutdown
expect 1 "xl-lite: no domain named 'nosuch'" $x shutdown nosuch
expect 1 "xl-lite: vcpu-list: unknown option '-q' $use" $x vcpu-list -q
expect 1 "xl-lite: no domain named 'nosuch'" $x vcpu-list nosuch
expect 1 "xl-lite: vcpu-pin: needs DOM, VCPU and CPUS $use" $x vcpu-pin
expect 1 "xl-lite: VCPU 'x': not a number from 0 to 254" \
    $x vcpu-pin 0 x 0
expect 1 "xl-lite: CPUS 'x': bad CPU range \"x\"" $x vcpu-pin 0 0 x
expect 1 "xl-lite: .*9.*" $x vcpu-pin Domain-0 9 0
expect 1 "xl-lite: Must specify a domain." $x sched-credit -w 5
expect 1 "xl-lite: weight '0': not a number from 1 to 65535" \
    $x sched-credit -d 0 -w 0
expect 1 "xl-lite: cap '101x': not a number from 0 to 65535" \
    $x sched-credit -d 0 -c 101x
expect 1 "xl-lite: tslice '0': not a number from 1 to 1000" \
    $x sched-credit -s -t 0
expect 1 "xl-lite: debug-keys: no KEYS given $use" $x debug-keys
expect 1 "xl-lite: debug-keys: KEYS '(a){65}': 1 to 64 keys $use" \
    $x debug-keys aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
expect 1 "xl-lite: dmesg: 'x' is extra $use" $x dmesg x
expect 1 "xl-lite: info: 'x' is extra $use" $x info x
expect 1 "xl-lite: console: no domain given $use" $x console
expect 1 "xl-lite: no domain named 'nosuch'" $x console nosuch
expect 1 "xl-lite: uptime: unknown option '-x' $use" $x uptime -x
expect 1 "xl-lite: no domain named 'nosuch'" $x uptime nosuch
expect 1 "xl-lite: irq-stats: 'b' is extra $use" $x irq-stats a b
expect 1 "xl-lite: no domain named 'nosuch'" $x irq-stats nosuch

# Bad files, each a failed create that must leave nothing behind.
expect 1 "xl-lite: /nonexistent.cfg: No such file or directory" \
    $x create -q /nonexistent.cfg
nothing_left nonexistent
expect 1 "xl-lite: $d/empty.cfg:1:1: missing name \(the one mandatory key\)" \
    $x create -q $d/empty.cfg
expect 1 "xl-lite: $d/dir.cfg: .*" $x create -q $d/dir.cfg
expect 1 "xl-lite: $d/unparsable.cfg:7:10: memory: expected a number, not a string" \
    $x create -q $d/unparsable.cfg
nothing_left unparsable
expect 1 "xl-lite: $d/unterminated.cfg:1:8: unterminated string" \
    $x create -q $d/unterminated.cfg
expect 1 "xl-lite: $d/bad.xml:2:1: .*" $x create -q $d/bad.xml
expect 1 "xl-lite: $d/vcpus300.cfg:6:9: vcpus: 300 is out of range \(1-255\)" \
    $x create -q $d/vcpus300.cfg
nothing_left vcpus300
expect 1 "xl-lite: /nosuch.elf: No such file or directory" \
    $x create -q $d/nokernel.cfg
nothing_left nokernel
expect 1 "xl-lite: /nosuch.env: No such file or directory" \
    $x create -q $d/noramdisk.cfg
nothing_left noramdisk
expect 1 "xl-lite: /etc/xen-lite/linux.cfg: neither a PVH entry note nor a Multiboot header" \
    $x create -q $d/notimage.cfg
nothing_left notimage
expect 1 "xl-lite: /boot/vmlinux: the image needs [0-9]+ KiB of memory up to 0x[0-9a-f]+, more than memory=16 MiB" \
    $x create -q $d/small.cfg
nothing_left small
expect 1 "xl-lite: .*(memory|maxmem).*" $x create -q $d/maxmem.cfg
nothing_left maxmem
# Out of memory twice.  The first failure may leave the hypervisor's
# allocator one page bigger for good (seen: 1 page, a high-water mark:
# every later one costs none); the second must leave nothing, to the page.
expect 1 "xl-lite: .*out of memory.*" $x create -q $d/oom.cfg
echo "BADCMD pages after oom round 1: $(hcfuzz pages) (before $pages_before)"
pages_before=$(hcfuzz pages)
expect 1 "xl-lite: .*out of memory.*" $x create -q $d/oom.cfg
nothing_left oom
# 255 vCPUs, the ABI's limit, built and destroyed three times.  The first
# build may grow the hypervisor's per-pCPU timer heaps for good (they
# double when full and never shrink): the pages after it are the mark
# the next two must come back to, to the page.
for round in 1 2 3; do
    if $x create -q -p $d/ok.cfg vcpus=255 2>$d/err; then
        $x destroy bad || bad=1
        echo "BADCMD ok create vcpus=255 (built) round $round"
    else
        echo "BADCMD bad create vcpus=255 refused: $(cat $d/err)"
        bad=1
    fi
    echo "BADCMD pages after vcpus=255 round $round: $(hcfuzz pages)" \
         "(before $pages_before)"
    [ $round = 1 ] && pages_before=$(hcfuzz pages)
done
nothing_left vcpus255

[ $bad -eq 0 ] && echo "BADCMD OK" || echo "BADCMD FAIL"
exit $bad
