/*
 * irq_bench: the measurements behind `make bench`, read from the
 * hypervisor's own counters (sysctl irq_stats) around guest activity.
 * Not a pass/fail test beyond "the measurement ran": the numbers are
 * printed as "bench:" lines for tests/bench/irq_bench.py to tabulate.
 *
 * part=scan (run on one pCPU): vCPU 0 starts APs in steps until 1, 8, 32
 * and 128 of them (as many as exist) idle in HLT, all blocked on the one
 * pCPU's wakeup lists; at each step it wakes them round-robin with a
 * fixed IPI, 'rounds' wakeups per AP, and halts until the woken AP's
 * answering IPI wakes it in turn; so every wakeup finds N vCPUs blocked.
 * Reported from the pCPU's counters: wakeup handler runs, entries scanned
 * per run (mean and max) and handler TSC cycles per run.
 *
 * part=exits (two pCPUs, two vCPUs): vCPU 1 spins in the guest with
 * interrupts on (using KVM's PV EOI when offered, unless pv_eoi=0);
 * vCPU 0 sends it 'ipis' fixed x2APIC IPIs one at a time, each waited
 * for; reported per IPI: VM exits of the sender and of the target, EOI
 * exits, PV EOIs, fast-path IPIs, and the guest's TSC cycles per round.
 *
 * part=icr (one pCPU, two vCPUs; the hypervisor booted with
 * exit_icount=1): vCPU 1 spins with interrupts on while vCPU 0 sends it
 * 'ipis' fixed x2APIC IPIs back to back.  The two share the pCPU, so the
 * target is not running while they are sent: after the first, each post
 * finds the descriptor's ON bit set and sends no notification, and every
 * ICR-write exit takes the same path.  The hypervisor prints the
 * instructions from exit to entry of those exits (fast or full path) at
 * the end of the run; the guest only reports that it sent them.
 *
 * Environment: part=scan|exits|icr (default scan), rounds=N (default 20),
 *              ipis=N (default 2000), pv_eoi=0|1 (default 1).
 */
#include "test.h"
#include "hypercall.h"
#include "kvm_pv.h"

const char test_name[] = "irq_bench";

#define VEC_PING        0x60
#define VEC_PONG        0x61
#define VEC_WATCHDOG    0x62
#define WAIT_US         2000000

static volatile uint32_t pong[MAX_CPUS];
static volatile uint32_t pv_flag[MAX_CPUS] __attribute__((aligned(4)));
static volatile uint32_t pv_eois, stop, watchdog_fired;
static bool use_pv_eoi, pong_back;

static void on_ping(struct regs *r)
{
    unsigned int c = smp_cpu();

    (void)r;
    pong[c]++;
    if ( pong_back )
        apic_icr(percpu[0].apic_id, APIC_DM_FIXED | VEC_PONG);
    if ( use_pv_eoi )
    {
        if ( kvm_pv_eoi(&pv_flag[c]) )
            pv_eois++;
    }
    else
        apic_eoi();
}

static void on_pong(struct regs *r)
{
    (void)r;
    apic_eoi();
}

static void on_watchdog(struct regs *r)
{
    (void)r;
    watchdog_fired = 1;
    apic_eoi();
}

static noreturn void lost(unsigned int c)
{
    /* The hypervisor's view, for the report. */
    xen_debug_keys("qrv");
    test_fail("cpu %u did not take its IPI", c);
}

/*
 * Wake CPU c and halt until it answers (part=scan): the waker blocks
 * too, as the woken one does, so every wakeup finds the same number of
 * vCPUs blocked.  A one-shot LAPIC timer stands watch.
 */
static void ping_halt(unsigned int c)
{
    uint32_t want = pong[c] + 1;

    watchdog_fired = 0;
    apic_write(APIC_TMICT, (uint32_t)us_to_lapic(WAIT_US));
    cli();
    apic_icr(percpu[c].apic_id, APIC_DM_FIXED | VEC_PING);
    while ( pong[c] != want && !watchdog_fired )
    {
        sti_hlt();
        cli();
    }
    sti();
    apic_write(APIC_TMICT, 0);
    if ( pong[c] != want )
        lost(c);
}

/* Wake CPU c, spinning until it answers (part=exits). */
static void ping(unsigned int c)
{
    uint32_t want = pong[c] + 1;
    uint64_t end = rdtsc() + us_to_tsc(WAIT_US);

    apic_icr(percpu[c].apic_id, APIC_DM_FIXED | VEC_PING);
    while ( pong[c] != want )
    {
        if ( rdtsc() >= end )
            lost(c);
        cpu_relax();
    }
}

/* x.yy of n / d, for printing without floating point. */
static void ratio(char *buf, uint64_t n, uint64_t d)
{
    uint64_t x = d ? udiv64(n * 100, (uint32_t)d, NULL) : 0;

    snprintf(buf, 24, "%llu.%02llu", udiv64(x, 100, NULL),
             x - udiv64(x, 100, NULL) * 100);
}

static void bench_scan(enum apic_mode mode, uint32_t rounds)
{
    static const unsigned int steps[] = { 1, 8, 32, 128 };
    static struct xen_irq_stats_pcpu a, b;
    struct xen_sysctl_physinfo phys;
    unsigned int started = 0, s;

    CHECK(xen_physinfo(&phys) == 0, "physinfo failed");
    CHECK(phys.nr_cpus == 1, "part=scan wants one pCPU, there are %u",
          phys.nr_cpus);
    for ( s = 0; s < ARRAY_SIZE(steps) && steps[s] < nr_cpus; s++ )
    {
        unsigned int n = steps[s], i, c;
        uint64_t runs;
        struct xen_irq_stats_wakeup_vector t0, t1;
        char mean[24], cyc[24];

        while ( started < n )
        {
            started++;
            CHECK(smp_start_ap(started, mode, 1000000), "AP %u did not "
                  "start", started);
        }
        /* Let every AP reach its HLT and block. */
        for ( c = 1; c <= n; c++ )
            ping_halt(c);
        CHECK(xen_irq_stats_pcpu(0, &a) == 0, "irq_stats failed");
        for ( i = 0; i < rounds; i++ )
            for ( c = 1; c <= n; c++ )
                ping_halt(c);
        CHECK(xen_irq_stats_pcpu(0, &b) == 0, "irq_stats failed");
        xen_irq_stats_pcpu_total(&a, &t0);
        xen_irq_stats_pcpu_total(&b, &t1);
        runs = t1.handler_runs - t0.handler_runs;
        CHECK(runs, "no wakeup handler ran for %u blocked vCPUs", n);
        ratio(mean, t1.entries_scanned - t0.entries_scanned, runs);
        ratio(cyc, t1.handler_cycles - t0.handler_cycles, runs);
        printf("bench: scan blocked %u K %u wakeups %u runs %llu "
               "mean_scan %s max_scan %llu cycles_per_run %s\n", n,
               b.nr_vectors, rounds * n, runs, mean, t1.max_scan, cyc);
    }
}

static void spin_target(void *arg)
{
    unsigned int c = smp_cpu();

    (void)arg;
    if ( use_pv_eoi )
        wrmsr(MSR_KVM_PV_EOI_EN, (uint32_t)(uintptr_t)&pv_flag[c] | 1);
    sti();
    while ( !stop )
        cpu_relax();
    cli();
    if ( use_pv_eoi )
        wrmsr(MSR_KVM_PV_EOI_EN, 0);
}

static uint64_t exits_sum(const struct xen_irq_stats_vcpu *v)
{
    uint64_t n = 0;

    /* XEN_EXIT_none counts exits the backend handled on its own. */
    for ( unsigned int r = 0; r < v->nr_exit_reasons; r++ )
        n += v->exits[r];
    return n;
}

/*
 * The same without external-interrupt exits.  Those include the
 * hypervisor's own ticks, whose number per IPI grows with the host time
 * an IPI takes (an emulator's speed); the rest is what the IPI itself
 * costs.
 */
static uint64_t exits_sum_noext(const struct xen_irq_stats_vcpu *v)
{
    return exits_sum(v) - (v->nr_exit_reasons > XEN_EXIT_extint
                           ? v->exits[XEN_EXIT_extint] : 0);
}

static void bench_exits(uint32_t ipis)
{
    static struct xen_irq_stats_vcpu s0, t0, s1, t1;
    uint64_t c0, c1;
    char se[24], te[24], ee[24], cyc[24], sn[24], tn[24];
    uint32_t i;

    CHECK(nr_cpus >= 2, "part=exits needs two vCPUs");
    smp_call(1, spin_target, NULL);
    udelay(10000);
    CHECK(xen_irq_stats_vcpu(0, &s0) == 0 && xen_irq_stats_vcpu(1, &t0) == 0,
          "irq_stats failed");
    c0 = rdtsc();
    for ( i = 0; i < ipis; i++ )
        ping(1);
    c1 = rdtsc();
    CHECK(xen_irq_stats_vcpu(0, &s1) == 0 && xen_irq_stats_vcpu(1, &t1) == 0,
          "irq_stats failed");
    stop = 1;
    CHECK(smp_call_wait(1, 1000000), "target did not stop");

    ratio(se, exits_sum(&s1) - exits_sum(&s0), ipis);
    ratio(te, exits_sum(&t1) - exits_sum(&t0), ipis);
    ratio(ee, t1.eoi_exits - t0.eoi_exits, ipis);
    ratio(cyc, c1 - c0, ipis);
    ratio(sn, exits_sum_noext(&s1) - exits_sum_noext(&s0), ipis);
    ratio(tn, exits_sum_noext(&t1) - exits_sum_noext(&t0), ipis);
    printf("bench: exits ipis %u sender_exits %s target_exits %s "
           "eoi_exits %s pv_eois %u fastpath %llu cycles_per_ipi %s "
           "sender_noext %s target_noext %s\n",
           ipis, se, te, ee, pv_eois, s1.ipi_fastpath - s0.ipi_fastpath,
           cyc, sn, tn);
}

static void bench_icr(uint32_t ipis)
{
    struct xen_sysctl_physinfo phys;
    uint32_t i;

    CHECK(nr_cpus >= 2, "part=icr needs two vCPUs");
    CHECK(xen_physinfo(&phys) == 0, "physinfo failed");
    CHECK(phys.nr_cpus == 1, "part=icr wants one pCPU, there are %u",
          phys.nr_cpus);
    smp_call(1, spin_target, NULL);
    for ( i = 0; i < ipis; i++ )
        apic_icr(percpu[1].apic_id, APIC_DM_FIXED | VEC_PING);
    /* Let the target take what is pending before it stops. */
    udelay(20000);
    stop = 1;
    CHECK(smp_call_wait(1, 1000000), "target did not stop");
    CHECK(pong[1] >= 1, "the target took none of the IPIs");
    printf("bench: icr ipis %u taken %u\n", ipis, pong[1]);
}

void test_main(void)
{
    const char *part = env_get("part");
    enum apic_mode mode = apic_mode_param(APIC_MODE_X2APIC);
    bool scan = !part || !strcmp(part, "scan");
    bool icr = part && !strcmp(part, "icr");

    if ( !xen_lite_present() )
        test_skip("needs xen-lite (reads its interrupt statistics)");
    if ( !scan && !icr && strcmp(part, "exits") )
        test_fail("part=%s: scan, exits or icr", part);
    use_pv_eoi = !scan && !icr && env_u32("pv_eoi", 1) && kvm_pv_eoi_offered();
    platform_init(mode, !scan);
    idt_set_handler(VEC_PING, on_ping);
    idt_set_handler(VEC_PONG, on_pong);
    idt_set_handler(VEC_WATCHDOG, on_watchdog);
    pong_back = scan;
    if ( scan )
    {
        apic_write(APIC_TDCR, APIC_TDCR_DIV1);
        apic_write(APIC_LVTT, APIC_TIMER_ONESHOT | VEC_WATCHDOG);
    }
    if ( scan )
        bench_scan(mode, env_u32("rounds", 20));
    else if ( icr )
        bench_icr(env_u32("ipis", 2000));
    else
        bench_exits(env_u32("ipis", 2000));
    test_pass("part=%s measured", scan ? "scan" : part);
}
