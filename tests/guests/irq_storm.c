/*
 * irq_storm: many vCPUs, mostly halted, woken in random order by IPIs
 * from each other and by their own LAPIC timers for a stretch of guest
 * time; every interrupt sent is received exactly once. Then the
 * hypervisor's interrupt statistics (sysctl irq_stats) are read back and
 * checked against the design's bound on wakeup-list scans.
 *
 * Every CPU runs the same loop with interrupts off except in HLT: arm its
 * one-shot timer (a random 'timer_min_us'..'timer_max_us') unless armed,
 * send a fixed IPI to a random other CPU with probability ipi_pct %, and
 * halt until an interrupt. IPIs from CPU s use vector 0x40 + s, and s
 * sends to t only once t has received its previous one, so no two IPIs
 * can merge in one IRR bit: exactly-once is then a plain count. Timers
 * are never cancelled, only left to fire: each arm must bring one
 * interrupt. At the end (the BSP's TSC passes 'seconds'), the CPUs stop
 * sending and arming, wait for their last timer, and the BSP compares
 * every pair's sent and received counts.
 *
 * Checks against the hypervisor's counters: on every pCPU, no wakeup
 * handler scanned more than ceil(peak blocked / K) entries (the least-
 * loaded placement bound), handlers ran and woke vCPUs; every vCPU's
 * posts cover the interrupts it received.
 *
 * Environment: seconds=N (default 60), timer_min_us (default 20000),
 * timer_max_us (default 200000), ipi_pct (default 50), seed (default 1).
 */
#include "test.h"
#include "hypercall.h"

const char test_name[] = "irq_storm";

#define VEC_TIMER       0xd0
#define VEC_IPI_BASE    0x40        /* + sender: 0x40 .. 0x7f */
#define DRAIN_US        2000000     /* in-flight IPIs, after the end */

struct worker
{
    volatile uint32_t timer_fires;  /* handler, own CPU only */
    uint32_t timer_arms;
    uint32_t halts;
    uint32_t rng;
    volatile uint32_t done;
    volatile uint32_t stray;        /* a vector nobody sends */
    volatile uint32_t recv[MAX_CPUS];   /* recv[s]: from CPU s */
    volatile uint32_t sent[MAX_CPUS];   /* sent[t]: to CPU t */
} __attribute__((aligned(64)));

static struct worker w[MAX_CPUS];
static volatile uint32_t stop;
static uint32_t timer_min_us, timer_max_us, ipi_pct;
static uint64_t end_tsc;

static void on_timer(struct regs *r)
{
    (void)r;
    w[smp_cpu()].timer_fires++;
    apic_eoi();
}

static void on_ipi(struct regs *r)
{
    unsigned int s = r->vector - VEC_IPI_BASE;

    if ( s < nr_cpus && s != smp_cpu() )
        w[smp_cpu()].recv[s]++;
    else
        w[smp_cpu()].stray++;
    apic_eoi();
}

static uint32_t rnd(struct worker *me)
{
    uint32_t x = me->rng;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return me->rng = x;
}

static void arm_timer(struct worker *me)
{
    uint32_t us = timer_min_us + rnd(me) % (timer_max_us - timer_min_us + 1);

    me->timer_arms++;
    apic_write(APIC_TMICT, (uint32_t)us_to_lapic(us));
}

static void maybe_send(struct worker *me, unsigned int self)
{
    unsigned int t;

    if ( nr_cpus < 2 || rnd(me) % 100 >= ipi_pct )
        return;
    t = rnd(me) % (nr_cpus - 1);
    if ( t >= self )
        t++;
    /* One in flight per pair: the previous one must have arrived. */
    if ( w[t].recv[self] != me->sent[t] )
        return;
    me->sent[t]++;
    apic_icr(percpu[t].apic_id, APIC_DM_FIXED | (VEC_IPI_BASE + self));
}

static void storm(void *arg)
{
    unsigned int self = smp_cpu();
    struct worker *me = &w[self];

    (void)arg;
    apic_write(APIC_TDCR, APIC_TDCR_DIV1);
    apic_write(APIC_LVTT, APIC_TIMER_ONESHOT | VEC_TIMER);
    cli();
    while ( !stop )
    {
        if ( me->timer_fires == me->timer_arms )
            arm_timer(me);
        maybe_send(me, self);
        me->halts++;
        sti_hlt();
        cli();
        if ( self == 0 && rdtsc() >= end_tsc )
            stop = 1;
    }
    /* The last timer is left to fire, never cancelled. */
    while ( me->timer_fires != me->timer_arms )
    {
        sti_hlt();
        cli();
    }
    sti();
    me->done = 1;
}

static uint32_t ceil_div(uint32_t a, uint32_t b)
{
    return (a + b - 1) / b;
}

/* The hypervisor's side: wakeup lists per pCPU, posts per vCPU. */
static void check_hypervisor_counters(uint32_t *recv_by)
{
    static struct xen_irq_stats_pcpu pc;
    static struct xen_irq_stats_vcpu vc;
    struct xen_sysctl_physinfo phys;
    uint64_t wakes = 0, lat_sum = 0, lat_max = 0, fast = 0, slow = 0;
    unsigned int c, i;
    long rc;

    rc = xen_physinfo(&phys);
    CHECK(rc == 0, "physinfo: error %ld", rc);
    for ( c = 0; c < phys.nr_cpus; c++ )
    {
        struct xen_irq_stats_wakeup_vector t;
        uint32_t bound;

        rc = xen_irq_stats_pcpu(c, &pc);
        CHECK(rc == 0, "irq_stats of pCPU %u: error %ld", c, rc);
        CHECK(pc.nr_vectors >= 1 &&
              pc.nr_vectors <= XEN_IRQ_STATS_MAX_VECTORS,
              "pCPU %u: K = %u", c, pc.nr_vectors);
        bound = ceil_div(pc.peak_blocked, pc.nr_vectors);
        xen_irq_stats_pcpu_total(&pc, &t);
        for ( i = 0; i < pc.nr_vectors; i++ )
            CHECK(pc.vec[i].max_scan <= bound, "pCPU %u vector %#x scanned "
                  "%llu entries at once; peak blocked %u, K %u: bound %u",
                  c, pc.vec[i].vector, pc.vec[i].max_scan, pc.peak_blocked,
                  pc.nr_vectors, bound);
        printf("stats: pcpu %u K %u peak_blocked %u runs %llu scanned %llu "
               "woken %llu spurious %llu max_scan %llu bound %u\n", c,
               pc.nr_vectors, pc.peak_blocked, t.handler_runs,
               t.entries_scanned, t.woken, t.spurious, t.max_scan, bound);
        CHECK(t.handler_runs > 0 && t.woken > 0, "pCPU %u: no wakeup "
              "handler woke anyone (runs %llu, woken %llu)", c,
              t.handler_runs, t.woken);
    }

    for ( i = 0; i < nr_cpus; i++ )
    {
        rc = xen_irq_stats_vcpu(i, &vc);
        CHECK(rc == 0, "irq_stats of vCPU %u: error %ld", i, rc);
        CHECK(vc.vcpu == i, "irq_stats of vCPU %u answered for %u", i,
              vc.vcpu);
        /* Every IPI and timer interrupt it took was posted to it. */
        CHECK(vc.posts >= recv_by[i], "vCPU %u: %llu posts, but it "
              "received %u interrupts", i, vc.posts, recv_by[i]);
        CHECK(vc.posts == vc.posts_coalesced + vc.notifications +
                          vc.wakeup_notifications +
                          vc.notifications_suppressed,
              "vCPU %u: posts %llu do not add up", i, vc.posts);
        wakes += vc.wakes;
        lat_sum += vc.wake_latency_sum;
        if ( vc.wake_latency_max > lat_max )
            lat_max = vc.wake_latency_max;
        fast += vc.ipi_fastpath;
        slow += vc.ipi_slowpath;
    }
    CHECK(wakes > 0, "no vCPU woke from a blocked HLT");
    printf("stats: %u vcpus: %llu wakeups from HLT, latency mean %llu max "
           "%llu us; IPIs fast path %llu, slow path %llu\n", nr_cpus, wakes,
           tsc_to_us(udiv64(lat_sum, (uint32_t)wakes, NULL)),
           tsc_to_us(lat_max), fast, slow);
}

void test_main(void)
{
    static uint32_t recv_by[MAX_CPUS];
    uint32_t seconds, seed, ipis = 0, timers = 0, halts = 0;
    unsigned int s, t, c;
    uint64_t t0, deadline;

    if ( !xen_lite_present() )
        test_skip("needs xen-lite (reads its interrupt statistics)");
    seconds = env_u32("seconds", 60);
    timer_min_us = env_u32("timer_min_us", 20000);
    timer_max_us = env_u32("timer_max_us", 200000);
    ipi_pct = env_u32("ipi_pct", 50);
    seed = env_u32("seed", 1);
    if ( timer_min_us < 100 || timer_max_us < timer_min_us ||
         ipi_pct > 100 || !seconds )
        test_fail("bad parameters");

    platform_init(apic_mode_param(APIC_MODE_X2APIC), true);
    CHECK(nr_cpus >= 2, "needs at least 2 CPUs, has %u", nr_cpus);
    CHECK(nr_cpus <= VEC_TIMER - VEC_IPI_BASE, "too many CPUs");
    idt_set_handler(VEC_TIMER, on_timer);
    for ( c = 0; c < nr_cpus; c++ )
    {
        idt_set_handler(VEC_IPI_BASE + c, on_ipi);
        w[c].rng = seed * 2654435761u + c * 40503u + 1;
    }
    printf("irq_storm: %u CPUs, %u s, timers %u..%u us, IPI on %u %% of "
           "wakeups, seed %u\n", nr_cpus, seconds, timer_min_us,
           timer_max_us, ipi_pct, seed);

    t0 = rdtsc();
    end_tsc = t0 + us_to_tsc((uint64_t)seconds * 1000000);
    for ( c = 1; c < nr_cpus; c++ )
        smp_call(c, storm, NULL);
    storm(NULL);

    /* Everyone stops within a timer period of the BSP's stop. */
    deadline = rdtsc() + us_to_tsc(timer_max_us * 4ull + DRAIN_US);
    for ( c = 1; c < nr_cpus; c++ )
        while ( !w[c].done )
        {
            if ( rdtsc() >= deadline )
            {
                /* The hypervisor's view: vlapics, blocked lists, runqueues. */
                xen_debug_keys("vir");
                test_fail("cpu %u never finished (its last timer: %u armed, "
                          "%u fired)", c, w[c].timer_arms, w[c].timer_fires);
            }
            cpu_relax();
        }
    /* IPIs still in flight arrive; then nothing more may. */
    deadline = rdtsc() + us_to_tsc(DRAIN_US);
    for ( s = 0; s < nr_cpus; s++ )
        for ( t = 0; t < nr_cpus; t++ )
            while ( w[t].recv[s] != w[s].sent[t] && rdtsc() < deadline )
                cpu_relax();
    udelay(20000);

    for ( s = 0; s < nr_cpus; s++ )
    {
        CHECK(!w[s].stray, "cpu %u took %u interrupts on unused vectors", s,
              w[s].stray);
        CHECK(w[s].timer_fires == w[s].timer_arms, "cpu %u: %u timers "
              "armed, %u fired", s, w[s].timer_arms, w[s].timer_fires);
        timers += w[s].timer_arms;
        halts += w[s].halts;
        recv_by[s] += w[s].timer_fires;
        for ( t = 0; t < nr_cpus; t++ )
        {
            CHECK(w[t].recv[s] == w[s].sent[t], "IPIs from cpu %u to cpu "
                  "%u: %u sent, %u received", s, t, w[s].sent[t],
                  w[t].recv[s]);
            ipis += w[s].sent[t];
            recv_by[t] += w[t].recv[s];
        }
    }
    CHECK(ipis > 0 && timers > 0, "nothing was sent");
    printf("irq_storm: %u IPIs and %u timer interrupts in %llu ms, each "
           "received once; %u HLTs\n", ipis, timers,
           udiv64(tsc_to_us(rdtsc() - t0), 1000, NULL), halts);

    check_hypervisor_counters(recv_by);
    test_pass("%u CPUs, %u s: %u IPIs, %u timer interrupts, each received "
              "exactly once; wakeup scans within ceil(peak / K)", nr_cpus,
              seconds, ipis, timers);
}
