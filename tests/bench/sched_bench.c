/*
 * Credit scheduler measurements from the discrete-event simulation in
 * tests/unit/sched/ (the real xen/common/sched/ sources): CPU-share error
 * against weight ratios, and wake-up latency of I/O-bound vCPUs against
 * the number of CPU-bound competitors, with and without the rate limit.
 * Prints tables; there is no pass/fail.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/softirq.h>
#include <xen/time.h>

#include "sim.h"

/* ---- What the unit-test stubs provide elsewhere ---------------------- */

void vprintk(const char *fmt, va_list args)
{
    if ( getenv("BENCH_VERBOSE") )
        vprintf(fmt, args);
}

void printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void panic(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "panic: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(2);
}

/* ---- Helpers ------------------------------------------------------------ */

static void boot(unsigned int nr_cpus, const char *cmdline)
{
    struct sim_opts o = { .nr_cpus = nr_cpus, .cmdline = cmdline };

    sim_init(&o);
}

static void finish(void)
{
    sim_fini();
    if ( sim_stats.violations )
    {
        printf("  !! the simulation saw %lu invariant violations:\n",
               (unsigned long)sim_stats.violations);
        sim_report_violations();
    }
}

static int cmp_time(const void *a, const void *b)
{
    s_time_t x = *(const s_time_t *)a, y = *(const s_time_t *)b;

    return x < y ? -1 : x > y;
}

/* ---- CPU share against weight --------------------------------------- */

/*
 * Two domains of CPU-bound vCPUs, A with weight 256 and B with 256 *
 * ratio, for 10 s of simulated time.  A has one vCPU per pCPU; B has as
 * many ('even') or one more ('uneven', so the pCPUs' loads differ and
 * only load balancing evens the shares out).
 */
static void share_row(unsigned int ncpus, unsigned int ratio, bool uneven)
{
    struct sim_domain *a, *b;
    u64 ta, tb;
    double want_a = 100.0 / (1 + ratio), want_b = 100.0 - want_a;
    double got_a, got_b;
    char r[8];

    boot(ncpus, NULL);
    a = sim_domain_create(ncpus, 256, 0, SIM_CPU_BOUND);
    b = sim_domain_create(ncpus + uneven, 256 * ratio, 0, SIM_CPU_BOUND);
    sim_domain_start(a);
    sim_domain_start(b);
    sim_run_for(SECONDS(10));
    ta = sim_domain_cpu_time(a);
    tb = sim_domain_cpu_time(b);
    got_a = 100.0 * (double)ta / (double)(ta + tb);
    got_b = 100.0 - got_a;
    snprintf(r, sizeof(r), "1:%u", ratio);
    printf("  %5u  %4s  %2u+%-2u  %7.2f%% %7.2f%% %+7.2f%%  %7.2f%% "
           "%7.2f%% %+7.2f%%  %7.3f%%\n", ncpus, r, ncpus, ncpus + uneven,
           want_a, got_a, 100.0 * (got_a - want_a) / want_a,
           want_b, got_b, 100.0 * (got_b - want_b) / want_b,
           100.0 * (double)(ta + tb) / (double)(ncpus * SECONDS(10)));
    finish();
}

static void share_table(void)
{
    static const unsigned int cpus[] = { 1, 2, 4 };
    static const unsigned int ratios[] = { 1, 2, 4, 8 };

    printf("1. CPU share against weight: domains A (weight 256) and B "
           "(256 * ratio) of\n   CPU-bound vCPUs; 10 s simulated; error "
           "is relative to the expected share;\n   busy = pCPU "
           "utilisation.\n\n");
    printf("  pCPUs   A:B  vCPUs   A want    A got  A error   B want "
           "   B got  B error      busy\n");
    for ( unsigned int i = 0; i < ARRAY_SIZE(cpus); i++ )
        for ( unsigned int u = 0; u < (cpus[i] > 1 ? 2 : 1); u++ )
            for ( unsigned int j = 0; j < ARRAY_SIZE(ratios); j++ )
                share_row(cpus[i], ratios[j], u);
    printf("\n");
}

/* ---- Wake-up latency ------------------------------------------------- */

/*
 * 'ios' I/O-bound vCPUs (200 us bursts, 4.5-5.5 ms sleeps) and 'hogs'
 * CPU-bound vCPUs, each in a domain of its own with weight 256, on
 * 'ncpus' pCPUs; 5 s simulated after 1 s of warm-up (at start every vCPU
 * is woken, so all are BOOSTed at once).
 */
static void latency_row(unsigned int ncpus, unsigned int ios,
                        unsigned int hogs, bool ratelimit)
{
    s_time_t sum = 0, p99, max;
    u64 switches;
    size_t n;

    boot(ncpus, ratelimit ? "sched_ratelimit_us=1000"
                          : "sched_ratelimit_us=0");
    for ( unsigned int i = 0; i < hogs; i++ )
        sim_domain_start(sim_domain_create(1, 256, 0, SIM_CPU_BOUND));
    for ( unsigned int i = 0; i < ios; i++ )
        sim_domain_start(sim_domain_create(1, 256, 0, SIM_IO_BOUND));
    sim_run_for(SECONDS(1));
    sim_latencies_reset();
    switches = sim_stats.context_switches;
    sim_run_for(SECONDS(5));
    switches = sim_stats.context_switches - switches;

    n = sim_latencies.n;
    qsort(sim_latencies.v, n, sizeof(s_time_t), cmp_time);
    for ( size_t i = 0; i < n; i++ )
        sum += sim_latencies.v[i];
    /* The smallest sample at or above 99% of them (nearest rank). */
    p99 = n ? sim_latencies.v[(n * 99 + 99) / 100 - 1] : 0;
    max = n ? sim_latencies.v[n - 1] : 0;
    printf("  %5u  %3u  %4u  %5.1f%%  %-4s  %6zu  %9.1f  %9.1f  %9.1f  "
           "%8.0f\n", ncpus, ios, hogs, 100.0 * ncpus / (ios + hogs),
           ratelimit ? "1ms" : "off", n,
           n ? (double)sum / (double)n / 1000.0 : 0.0, (double)p99 / 1000.0,
           (double)max / 1000.0, (double)switches / 5.0);
    finish();
}

static void latency_table(void)
{
    static const unsigned int hogs[] = { 0, 1, 2, 4, 8, 16, 32, 48, 64 };

    printf("2. Wake-up latency of I/O-bound vCPUs (wake to running, us) "
           "against CPU-bound\n   competitors ('hogs'); every vCPU is a "
           "domain of its own, weight 256; 'share'\n   is each domain's "
           "fair share of one pCPU (an I/O vCPU uses ~3.8%%); 5 s "
           "simulated.\n\n");
    printf("  pCPUs  I/O  hogs   share  rate   wakes       mean        p99"
           "        max  switch/s\n");
    for ( unsigned int c = 2; c <= 4; c += 2 )
        for ( unsigned int i = 0; i < ARRAY_SIZE(hogs); i++ )
            for ( unsigned int rl = 0; rl < 2; rl++ )
                latency_row(c, 2 * c, hogs[i], rl == 0);
    printf("\n");
}

/* ---- What the rate limit does ------------------------------------------ */

static void poke_cpu0(void *data)
{
    (void)data;
    cpu_raise_softirq(0, SCHEDULE_SOFTIRQ);
}

/*
 * The rate limit keeps a vCPU from being preempted by one of equal or
 * lower priority before it ran that long.  Four equal CPU-bound vCPUs on
 * one pCPU, with a reschedule every 100 us (as interrupts would cause).
 */
static void ratelimit_row(unsigned int ratelimit_us)
{
    struct sim_domain *sd;
    u64 switches;
    char cmd[64];

    snprintf(cmd, sizeof(cmd), "sched_ratelimit_us=%u", ratelimit_us);
    boot(1, cmd);
    sd = sim_domain_create(4, 256, 0, SIM_CPU_BOUND);
    sim_domain_start(sd);
    sim_every(sim_clock + MICROSECS(100), MICROSECS(100), poke_cpu0, NULL);
    sim_run_for(SECONDS(1));
    switches = sim_stats.context_switches;
    sim_run_for(SECONDS(5));
    switches = sim_stats.context_switches - switches;
    printf("  %9u  %10.0f  %12.1f\n", ratelimit_us, (double)switches / 5.0,
           switches ? 5e6 / (double)switches : 0.0);
    finish();
}

static void ratelimit_table(void)
{
    static const unsigned int rl[] = { 0, 100, 250, 500, 1000, 2000, 5000 };

    printf("3. Rate limit against context switches: 4 equal CPU-bound "
           "vCPUs on 1 pCPU,\n   a reschedule every 100 us; 5 s "
           "simulated.\n\n");
    printf("  ratelimit    switch/s  mean run (us)\n");
    for ( unsigned int i = 0; i < ARRAY_SIZE(rl); i++ )
        ratelimit_row(rl[i]);
    printf("\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("xen-lite credit scheduler bench (simulated pCPUs, 30 ms slice, "
           "1 ms migration delay)\n\n");
    share_table();
    latency_table();
    ratelimit_table();
    return 0;
}
