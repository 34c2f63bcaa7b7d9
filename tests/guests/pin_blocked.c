/*
 * pin_blocked: pinning vCPUs that sleep in HLT while IPIs to them are in
 * flight (xen-lite only; the kernel must be the privileged domain, 4
 * vCPUs).  vCPUs 1..3 wait in the library's idle loop (HLT, IF=1) and
 * count the IPIs they take.  vCPU 0, for `rounds` rounds and each of
 * them in turn:
 *  - sends it an IPI and at once pins it (XEN_DOMCTL_setvcpuaffinity on
 *    its own domain) to other pCPUs, so the move races the IPI's post;
 *  - reads the mask back (getvcpuaffinity): the one just set;
 *  - waits until every IPI sent so far was taken (none lost), lets it
 *    halt again, pins it once more while it sleeps, and sends another;
 *  - checks with getvcpuinfo that it is on a pCPU of its mask.
 * Masks cycle through single pCPUs, pairs and all pCPUs.  At the end each
 * of vCPUs 1..3 is pinned to one pCPU and, once all sleep, every pCPU's
 * wakeup lists (the irq_stats sysctl) hold exactly the vCPUs pinned to
 * it: blocked vCPUs moved lists with their pCPU.  Bad arguments are
 * refused and leave the mask alone: a vCPU index beyond the domain's, a
 * nonzero pad, an empty map, an offline pCPU, a bit beyond the hypervisor's
 * pCPUs, a missing domain.
 *
 * Environment: rounds=N (30).
 */
#include "hypercall.h"
#include "test.h"

const char test_name[] = "pin_blocked";

/*
 * Two vectors: two IPIs of one vector sent before the first is taken are
 * one interrupt (one IRR bit), as on a real APIC.  A vCPU waiting for a
 * pCPU vCPU 0 holds takes a while, so the burst uses both.
 */
#define VEC_PING        0xd4
#define VEC_PING2       0xd5
#define NR_TARGETS      3           /* vCPUs 1..3 */
#define WAIT_US         5000000
#define EINVAL          22
#define ESRCH           3

static volatile uint32_t got[MAX_CPUS];     /* IPIs taken, per vCPU */
static uint32_t sent[MAX_CPUS];
static struct xen_domctl op;
static struct xen_irq_stats_pcpu pstats;
static unsigned int nr_pcpus;
static unsigned int polled;                 /* getvcpuinfo retries */

static void on_ping(struct regs *r)
{
    (void)r;
    __atomic_fetch_add(&got[smp_cpu()], 1, __ATOMIC_SEQ_CST);
    apic_eoi();
}

static void ping_vec(unsigned int t, uint32_t vec)
{
    sent[t]++;
    apic_icr(percpu[t].apic_id, APIC_DM_FIXED | vec);
}

/* One IPI to vCPU t; the last one sent to it has been taken. */
static void ping(unsigned int t)
{
    ping_vec(t, VEC_PING);
}

static long affinity(uint32_t cmd, domid_t dom, uint32_t vcpu, uint64_t map0)
{
    memset(&op, 0, sizeof(op));
    op.cmd = cmd;
    op.domain = dom;
    op.u.vcpuaffinity.vcpu = vcpu;
    op.u.vcpuaffinity.cpumap[0] = map0;
    return xen_domctl(&op);
}

static long pin(unsigned int t, uint64_t map)
{
    return affinity(XEN_DOMCTL_setvcpuaffinity, 0, t, map);
}

/* getvcpuaffinity of vCPU t: its whole map must be 'want'. */
static void check_mask(unsigned int t, uint64_t want, const char *when)
{
    long rc = affinity(XEN_DOMCTL_getvcpuaffinity, 0, t, 0);

    CHECK(rc == 0, "getvcpuaffinity(%u) %s: %ld", t, when, rc);
    CHECK(op.u.vcpuaffinity.cpumap[0] == want,
          "vCPU %u %s: mask %#llx, set %#llx", t, when,
          op.u.vcpuaffinity.cpumap[0], want);
    for ( unsigned int w = 1; w < XEN_DOMCTL_CPUMAP_BITS / 64; w++ )
        CHECK(!op.u.vcpuaffinity.cpumap[w], "vCPU %u %s: map word %u "
              "%#llx", t, when, w, op.u.vcpuaffinity.cpumap[w]);
}

static uint32_t vcpu_cpu(unsigned int t)
{
    long rc;

    memset(&op, 0, sizeof(op));
    op.cmd = XEN_DOMCTL_getvcpuinfo;
    op.u.getvcpuinfo.vcpu = t;
    rc = xen_domctl(&op);
    CHECK(rc == 0, "getvcpuinfo(%u): %ld", t, rc);
    return op.u.getvcpuinfo.cpu;
}

/*
 * vCPU t runs or last ran on a pCPU of 'map'.  A vCPU that was running
 * when pinned moves at its pCPU's next schedule: allow it a moment.
 */
static void check_on_mask(unsigned int t, uint64_t map)
{
    uint64_t end = deadline_us(WAIT_US);
    uint32_t cpu;

    while ( (cpu = vcpu_cpu(t)) >= 64 || !(map & (1ULL << cpu)) )
    {
        CHECK(rdtsc() < end, "vCPU %u on pCPU %u, outside its mask %#llx",
              t, cpu, map);
        polled++;
        udelay(100);
    }
}

static void wait_ipis(unsigned int t, const char *when)
{
    CHECK(wait_u32(&got[t], sent[t], WAIT_US),
          "vCPU %u took %u of %u IPIs (%s)", t, got[t], sent[t], when);
}

/* Mask number k of the cycle: one pCPU, then pairs, then all. */
static uint64_t mask_of(unsigned int k)
{
    uint64_t all = nr_pcpus >= 64 ? ~0ULL : (1ULL << nr_pcpus) - 1;
    unsigned int c = k % nr_pcpus;

    switch ( (k / nr_pcpus) % 3 )
    {
    case 0:
        return 1ULL << c;
    case 1:
        return (1ULL << c) | (1ULL << ((c + 1) % nr_pcpus));
    default:
        return all;
    }
}

static void refusals(void)
{
    uint64_t keep = 1ULL << (nr_pcpus - 1);
    long rc;

    CHECK(pin(1, keep) == 0, "setvcpuaffinity(1) refused a good mask");
    rc = pin(NR_TARGETS + 1, 1);
    CHECK(rc == -EINVAL, "vCPU 4 (beyond the domain's): %ld", rc);
    rc = pin(0xffffffffu, 1);
    CHECK(rc == -EINVAL, "vCPU ~0: %ld", rc);
    rc = affinity(XEN_DOMCTL_getvcpuaffinity, 0, NR_TARGETS + 1, 0);
    CHECK(rc == -EINVAL, "getvcpuaffinity of vCPU 4: %ld", rc);
    rc = pin(1, 0);
    CHECK(rc == -EINVAL, "empty map: %ld", rc);
    /* The first pCPU beyond the online ones (NR_CPUS is 64 or more). */
    rc = pin(1, keep | (1ULL << nr_pcpus));
    CHECK(rc == -EINVAL, "offline pCPU %u: %ld", nr_pcpus, rc);
    memset(&op, 0, sizeof(op));
    op.cmd = XEN_DOMCTL_setvcpuaffinity;
    op.u.vcpuaffinity.vcpu = 1;
    op.u.vcpuaffinity.cpumap[0] = keep;
    op.u.vcpuaffinity.cpumap[3] = 1ULL << 63;     /* pCPU 255 */
    rc = xen_domctl(&op);
    CHECK(rc == -EINVAL, "pCPU 255: %ld", rc);
    memset(&op, 0, sizeof(op));
    op.cmd = XEN_DOMCTL_setvcpuaffinity;
    op.u.vcpuaffinity.vcpu = 1;
    op.u.vcpuaffinity.pad = 1;
    op.u.vcpuaffinity.cpumap[0] = 1;
    rc = xen_domctl(&op);
    CHECK(rc == -EINVAL, "nonzero pad: %ld", rc);
    rc = affinity(XEN_DOMCTL_setvcpuaffinity, 77, 1, 1);
    CHECK(rc == -ESRCH, "domain 77: %ld", rc);
    check_mask(1, keep, "after the refusals");
    check_on_mask(1, keep);
}

/*
 * Each target pinned to one pCPU and asleep: every pCPU's lists hold
 * exactly the targets pinned to it (vCPU 0 runs, so is on none).
 */
static void check_lists(const unsigned int *where)
{
    uint64_t end = deadline_us(WAIT_US);

    for ( unsigned int c = 0; c < nr_pcpus; c++ )
    {
        uint32_t want = 0;
        long rc;

        for ( unsigned int t = 1; t <= NR_TARGETS; t++ )
            want += where[t] == c;
        for ( ;; )
        {
            rc = xen_irq_stats_pcpu(c, &pstats);
            CHECK(rc == 0, "irq_stats of pCPU %u: %ld", c, rc);
            if ( pstats.nr_blocked == want )
                break;
            CHECK(rdtsc() < end, "pCPU %u: %u vCPUs on its wakeup lists, "
                  "%u pinned there asleep", c, pstats.nr_blocked, want);
            udelay(200);
        }
    }
}

void test_main(void)
{
    uint32_t rounds = env_u32("rounds", 30);
    struct xen_sysctl_physinfo pi;
    unsigned int where[NR_TARGETS + 1] = { 0 }, k = 0;
    uint32_t total = 0;
    long rc;

    platform_init(APIC_MODE_XAPIC, true);
    if ( !xen_lite_present() )
        test_skip("needs xen-lite (domctl)");
    CHECK(nr_cpus == NR_TARGETS + 1, "needs 4 vCPUs, has %u", nr_cpus);
    /* The domctls name vCPUs by id, the IPIs by APIC ID: the same here. */
    for ( unsigned int t = 0; t <= NR_TARGETS; t++ )
        CHECK(percpu[t].apic_id == t, "CPU %u has APIC ID %u", t,
              percpu[t].apic_id);
    rc = xen_physinfo(&pi);
    CHECK(rc == 0, "physinfo: %ld", rc);
    nr_pcpus = pi.nr_cpus;
    CHECK(nr_pcpus >= 2 && pi.max_cpu_id == nr_pcpus - 1 && nr_pcpus < 64,
          "needs pCPUs 0..N-1 online, N >= 2: %u, last %u", nr_pcpus,
          pi.max_cpu_id);
    idt_set_handler(VEC_PING, on_ping);
    idt_set_handler(VEC_PING2, on_ping);
    sti();

    for ( uint32_t r = 0; r < rounds; r++ )
        for ( unsigned int t = 1; t <= NR_TARGETS; t++, k++ )
        {
            uint64_t m1 = mask_of(k + t), m2 = mask_of(k + t + 1);

            /* In flight: the post races the move. */
            ping(t);
            rc = pin(t, m1);
            CHECK(rc == 0, "setvcpuaffinity(%u, %#llx): %ld", t, m1, rc);
            check_mask(t, m1, "after an IPI and a pin");
            wait_ipis(t, "IPI then pin");
            check_on_mask(t, m1);

            /* Asleep: back in HLT, then pinned, then woken. */
            udelay(300);
            rc = pin(t, m2);
            CHECK(rc == 0, "setvcpuaffinity(%u, %#llx): %ld", t, m2, rc);
            ping(t);
            check_mask(t, m2, "after a pin while asleep");
            wait_ipis(t, "pin while asleep, then IPI");
            check_on_mask(t, m2);
        }

    /* A burst to all three while each is pinned away again. */
    for ( unsigned int t = 1; t <= NR_TARGETS; t++ )
        ping_vec(t, VEC_PING2);
    for ( unsigned int t = 1; t <= NR_TARGETS; t++ )
    {
        where[t] = (t + 1) % nr_pcpus;
        rc = pin(t, 1ULL << where[t]);
        CHECK(rc == 0, "setvcpuaffinity(%u): %ld", t, rc);
        ping(t);
    }
    for ( unsigned int t = 1; t <= NR_TARGETS; t++ )
    {
        wait_ipis(t, "burst");
        check_on_mask(t, 1ULL << where[t]);
    }
    udelay(2000);
    check_lists(where);
    /* Moved while asleep, with no IPI since: the lists follow. */
    for ( unsigned int t = 1; t <= NR_TARGETS; t++ )
    {
        where[t] = (where[t] + 1) % nr_pcpus;
        rc = pin(t, 1ULL << where[t]);
        CHECK(rc == 0, "setvcpuaffinity(%u): %ld", t, rc);
        check_on_mask(t, 1ULL << where[t]);
    }
    check_lists(where);
    /* And they still wake there. */
    for ( unsigned int t = 1; t <= NR_TARGETS; t++ )
    {
        ping(t);
        wait_ipis(t, "after the last pin");
        check_on_mask(t, 1ULL << where[t]);
    }

    refusals();
    for ( unsigned int t = 1; t <= NR_TARGETS; t++ )
    {
        CHECK(got[t] == sent[t], "vCPU %u: %u IPIs taken, %u sent", t,
              got[t], sent[t]);
        total += got[t];
    }
    test_pass("%u IPIs to 3 sleeping vCPUs, %u pins on %u pCPUs, all taken; "
              "wakeup lists followed; %u getvcpuinfo retries; refusals ok",
              total, k * 2 + NR_TARGETS * 2 + 1, nr_pcpus, polled);
}
