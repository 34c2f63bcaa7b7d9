/*
 * Tests for the generic scheduler (xen/common/sched/core.c) and the
 * credit policy (credit.c), run on the discrete-event simulation in
 * tests/unit/sched/.  Every scenario also runs the simulation's
 * continuous checks (runstates, lost wakes, work conservation,
 * starvation, affinity, locks held at a switch), and a test fails if any
 * of them was violated.
 */
#include <stdio.h>
#include <stdlib.h>

#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <xen/sched-if.h>
#include <xen/softirq.h>
#include <xen/time.h>

#include "harness.h"
#include "stubs.h"
#include "sim.h"

#define TICK        MILLISECS(10)       /* default slice / 3 */

static void boot(unsigned int nr_cpus, const char *cmdline)
{
    struct sim_opts o = { .nr_cpus = nr_cpus, .cmdline = cmdline };

    sim_init(&o);
}

/* Fails the test if the simulation saw anything wrong. */
static void check_clean(void)
{
    if ( sim_stats.violations )
    {
        sim_report_violations();
        harness_fail(__FILE__, __LINE__, false, "%lu invariant violations",
                     (unsigned long)sim_stats.violations);
    }
}

static void finish(void)
{
    sim_fini();
    check_clean();
}

static struct sim_vcpu *sim_vcpu_of_test(struct vcpu *v)
{
    return container_of(v, struct sim_vcpu, v);
}

static double pct(u64 part, u64 whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* ---- Boot options and control operations -------------------------------- */

TEST(boot_option_sched_unknown_name_warns_and_uses_credit)
{
    struct xen_sysctl_scheduler_op op = {
        .sched_id = XEN_SCHEDULER_CREDIT,
        .cmd = XEN_SYSCTL_SCHEDOP_getinfo,
    };

    stub_log_clear();
    boot(1, "sched=bogus");
    CHECK(stub_log_contains("<1>Bad value for option 'sched': 'bogus'\n"));
    CHECK(stub_log_contains("Using scheduler: SMP Credit Scheduler "
                            "(credit)"));
    CHECK_EQ(sched_adjust_global(&op), 0);
    finish();

    stub_log_clear();
    boot(1, "sched=credit");
    CHECK(!stub_log_contains("Bad value"));
    finish();
}

TEST(boot_options_out_of_range_warn_and_fall_back)
{
    stub_log_clear();
    boot(1, "sched_credit_tslice_ms=1001 sched_ratelimit_us=99");
    CHECK(stub_log_contains("sched_credit_tslice_ms=1001 outside"));
    CHECK(stub_log_contains("sched_ratelimit_us=99 outside"));
    CHECK_EQ(sim_tslice(), MILLISECS(30));
    CHECK_EQ(sim_ratelimit(), MICROSECS(1000));
    finish();

    boot(1, "sched_credit_tslice_ms=10 sched_ratelimit_us=0");
    CHECK_EQ(sim_tslice(), MILLISECS(10));
    CHECK_EQ(sim_ratelimit(), 0);
    finish();
}

static int dom_op(struct sim_domain *sd, u32 id, u32 cmd, u16 w, u16 cap,
                  struct xen_domctl_scheduler_op *out)
{
    struct xen_domctl_scheduler_op op = {
        .sched_id = id, .cmd = cmd, .credit = { .weight = w, .cap = cap },
    };
    int rc = sched_adjust(&sd->d, &op);

    if ( out )
        *out = op;
    return rc;
}

static void get_dom(struct sim_domain *sd, u16 *w, u16 *cap)
{
    struct xen_domctl_scheduler_op op;

    CHECK_EQ(dom_op(sd, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_getinfo,
                    0, 0, &op), 0);
    *w = op.credit.weight;
    *cap = op.credit.cap;
}

TEST(adjust_validates_sched_id_cmd_weight_0_and_cap_above_100_per_vcpu)
{
    struct sim_domain *sd;
    u16 w, cap;

    boot(2, NULL);
    sd = sim_domain_create(2, 256, 0, SIM_CPU_BOUND);

    get_dom(sd, &w, &cap);
    CHECK_EQ(w, 256);
    CHECK_EQ(cap, 0);

    CHECK_EQ(dom_op(sd, XEN_SCHEDULER_CREDIT + 1,
                    XEN_DOMCTL_SCHEDOP_putinfo, 512, 10, NULL), -EINVAL);
    CHECK_EQ(dom_op(sd, 0, XEN_DOMCTL_SCHEDOP_getinfo, 0, 0, NULL),
             -EINVAL);
    CHECK_EQ(dom_op(sd, XEN_SCHEDULER_CREDIT, 2, 512, 10, NULL), -EINVAL);
    CHECK_EQ(dom_op(sd, XEN_SCHEDULER_CREDIT, 0xffffffffu, 512, 10, NULL),
             -EINVAL);
    /* Weight 0 with a good cap: neither changes. */
    CHECK_EQ(dom_op(sd, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_putinfo,
                    0, 50, NULL), -EINVAL);
    /* Cap 201 > 100 * 2 vCPUs with a good weight: neither changes. */
    CHECK_EQ(dom_op(sd, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_putinfo,
                    512, 201, NULL), -EINVAL);
    get_dom(sd, &w, &cap);
    CHECK_EQ(w, 256);
    CHECK_EQ(cap, 0);

    /* Boundaries that are good, read back at once. */
    CHECK_EQ(dom_op(sd, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_putinfo,
                    1, 200, NULL), 0);
    get_dom(sd, &w, &cap);
    CHECK_EQ(w, 1);
    CHECK_EQ(cap, 200);
    CHECK_EQ(dom_op(sd, XEN_SCHEDULER_CREDIT, XEN_DOMCTL_SCHEDOP_putinfo,
                    65535, 0, NULL), 0);
    get_dom(sd, &w, &cap);
    CHECK_EQ(w, 65535);
    CHECK_EQ(cap, 0);

    /* The idle domain has no scheduler parameters. */
    {
        struct xen_domctl_scheduler_op op = {
            .sched_id = XEN_SCHEDULER_CREDIT,
            .cmd = XEN_DOMCTL_SCHEDOP_getinfo,
        };

        CHECK_EQ(sched_adjust(idle_domain, &op), -EINVAL);
    }
    finish();
}

static int glob_op(u32 id, u32 cmd, u32 tslice, u32 rl,
                   struct xen_sysctl_scheduler_op *out)
{
    struct xen_sysctl_scheduler_op op = {
        .sched_id = id, .cmd = cmd,
        .credit = { .tslice_ms = tslice, .ratelimit_us = rl },
    };
    int rc = sched_adjust_global(&op);

    if ( out )
        *out = op;
    return rc;
}

static void expect_global(u32 tslice, u32 rl)
{
    struct xen_sysctl_scheduler_op op;

    CHECK_EQ(glob_op(XEN_SCHEDULER_CREDIT, XEN_SYSCTL_SCHEDOP_getinfo, 0, 0,
                     &op), 0);
    CHECK_EQ(op.credit.tslice_ms, tslice);
    CHECK_EQ(op.credit.ratelimit_us, rl);
}

TEST(adjust_global_validates_tslice_0_1001_ratelimit_1_99_and_above_tslice)
{
    static const struct { u32 t, r; } bad[] = {
        { 0, 1000 }, { 1001, 1000 }, { 0xffffffffu, 0 },
        { 30, 1 }, { 30, 50 }, { 30, 99 },
        { 30, 30001 }, { 1, 1001 }, { 1000, 1000001 },
    };

    boot(1, NULL);
    expect_global(30, 1000);

    CHECK_EQ(glob_op(XEN_SCHEDULER_CREDIT + 1, XEN_SYSCTL_SCHEDOP_putinfo,
                     10, 500, NULL), -EINVAL);
    CHECK_EQ(glob_op(XEN_SCHEDULER_CREDIT, 7, 10, 500, NULL), -EINVAL);
    for ( unsigned int i = 0; i < ARRAY_SIZE(bad); i++ )
    {
        CHECK_EQ(glob_op(XEN_SCHEDULER_CREDIT, XEN_SYSCTL_SCHEDOP_putinfo,
                         bad[i].t, bad[i].r, NULL), -EINVAL);
        expect_global(30, 1000);
    }

    /* Good values, at the edges, read back. */
    CHECK_EQ(glob_op(XEN_SCHEDULER_CREDIT, XEN_SYSCTL_SCHEDOP_putinfo,
                     1, 1000, NULL), 0);
    expect_global(1, 1000);
    CHECK_EQ(glob_op(XEN_SCHEDULER_CREDIT, XEN_SYSCTL_SCHEDOP_putinfo,
                     1000, 0, NULL), 0);
    expect_global(1000, 0);
    CHECK_EQ(glob_op(XEN_SCHEDULER_CREDIT, XEN_SYSCTL_SCHEDOP_putinfo,
                     1000, 100, NULL), 0);
    expect_global(1000, 100);
    CHECK_EQ(glob_op(XEN_SCHEDULER_CREDIT, XEN_SYSCTL_SCHEDOP_putinfo,
                     5, 5000, NULL), 0);
    expect_global(5, 5000);
    finish();
}

TEST(hard_affinity_rejects_empty_and_offline_masks)
{
    struct sim_domain *sd;
    cpumask_t m, before;

    boot(2, NULL);
    sd = sim_domain_create(1, 256, 0, SIM_CPU_BOUND);
    sim_domain_start(sd);
    sim_run_for(MILLISECS(50));
    cpumask_copy(&before, &sd->vcpus[0]->v.cpu_hard_affinity);

    cpumask_clear(&m);
    CHECK_EQ(sim_vcpu_pin(sd->vcpus[0], &m), -EINVAL);
    cpumask_set_cpu(1, &m);
    cpumask_set_cpu(2, &m);     /* offline */
    CHECK_EQ(sim_vcpu_pin(sd->vcpus[0], &m), -EINVAL);
    CHECK(!memcmp(&before, &sd->vcpus[0]->v.cpu_hard_affinity,
                  sizeof(before)));
    CHECK_EQ(vcpu_set_hard_affinity(idle_domain->vcpu[0], &m), -EINVAL);

    cpumask_clear_cpu(2, &m);
    CHECK_EQ(sim_vcpu_pin(sd->vcpus[0], &m), 0);
    sim_run_for(MILLISECS(50));
    CHECK_EQ(sd->vcpus[0]->v.processor, 1);
    finish();
}

/* ---- Proportional share ------------------------------------------------- */

/*
 * Three domains of CPU-bound vCPUs with weights 256:512:1024 on 'ncpus'
 * pCPUs for 10 s: each domain's share of the CPU time must be within 5%
 * (relative) of weight / total weight.  The vCPU counts differ per domain
 * so the pCPUs' loads are uneven and only balancing evens them out.
 */
static void shares_follow_weights(unsigned int ncpus,
                                  const unsigned int *nr_vcpus)
{
    static const u16 weights[] = { 256, 512, 1024 };
    struct sim_domain *sd[ARRAY_SIZE(weights)];
    u64 t[ARRAY_SIZE(weights)], total = 0;
    unsigned int wsum = 0;

    boot(ncpus, NULL);
    for ( unsigned int i = 0; i < ARRAY_SIZE(weights); i++ )
    {
        sd[i] = sim_domain_create(nr_vcpus[i], weights[i], 0,
                                  SIM_CPU_BOUND);
        sim_domain_start(sd[i]);
        wsum += weights[i];
    }
    sim_run_for(SECONDS(10));

    for ( unsigned int i = 0; i < ARRAY_SIZE(weights); i++ )
        total += t[i] = sim_domain_cpu_time(sd[i]);
    /* Work-conserving: every pCPU was busy all the time. */
    CHECK(total >= (u64)ncpus * SECONDS(10) - MILLISECS(1));

    for ( unsigned int i = 0; i < ARRAY_SIZE(weights); i++ )
    {
        double want = 100.0 * weights[i] / wsum, got = pct(t[i], total);
        double err = 100.0 * (got - want) / want;

        printf("    %u pCPU(s), weight %4u, %u vCPU(s): share %6.2f%% "
               "(want %6.2f%%), error %+.2f%%\n", ncpus, weights[i],
               nr_vcpus[i], got, want, err);
        CHECK(err < 5.0 && err > -5.0);
    }
    finish();
}

TEST(shares_follow_weights_256_512_1024_within_5pct_1_pcpu_10s)
{
    static const unsigned int n[] = { 1, 1, 1 };

    shares_follow_weights(1, n);
}

TEST(shares_follow_weights_256_512_1024_within_5pct_2_pcpus_10s)
{
    static const unsigned int n[] = { 1, 2, 3 };

    shares_follow_weights(2, n);
}

TEST(shares_follow_weights_256_512_1024_within_5pct_4_pcpus_10s)
{
    static const unsigned int n[] = { 3, 4, 5 };

    shares_follow_weights(4, n);
}

TEST(weight_change_takes_effect_at_next_accounting)
{
    struct sim_domain *a, *b;
    u64 a0, b0, a1, b1;
    u16 w, cap;

    boot(1, NULL);
    a = sim_domain_create(1, 256, 0, SIM_CPU_BOUND);
    b = sim_domain_create(1, 256, 0, SIM_CPU_BOUND);
    sim_domain_start(a);
    sim_domain_start(b);
    sim_run_for(SECONDS(2));
    CHECK(pct(sim_domain_cpu_time(a), SECONDS(2)) > 47.5);

    CHECK_EQ(sim_domain_set(a, 768, 0), 0);
    get_dom(a, &w, &cap);
    CHECK_EQ(w, 768);
    sim_run_for(MILLISECS(100));    /* the next accounting */
    a0 = sim_domain_cpu_time(a);
    b0 = sim_domain_cpu_time(b);
    sim_run_for(SECONDS(3));
    a1 = sim_domain_cpu_time(a) - a0;
    b1 = sim_domain_cpu_time(b) - b0;
    printf("    after 256 -> 768: %.2f%% / %.2f%%\n", pct(a1, a1 + b1),
           pct(b1, a1 + b1));
    CHECK(pct(a1, a1 + b1) > 71.25 && pct(a1, a1 + b1) < 78.75);
    finish();
}

/* The credit of d<domid>v<vcpu> in us, from the 's' dump. */
static long dumped_credit(unsigned int domid, unsigned int vcpu)
{
    char key[32];
    const char *p;

    stub_log_clear();
    sched_dump_counters();
    snprintf(key, sizeof(key), "credit: d%u ", domid);
    p = strstr(stub_log(), key);
    REQUIRE(p);
    snprintf(key, sizeof(key), " v%u:", vcpu);
    p = strstr(p, key);
    REQUIRE(p);
    return strtol(p + strlen(key), NULL, 10);
}

/*
 * A vCPU that earns credit while mostly idle must not bank it: its
 * credit stays within one slice (30 ms) however long it idles, and once
 * it turns CPU-bound its advantage over a CPU-bound peer is small.
 */
TEST(idle_vcpu_cannot_hoard_credit_beyond_one_slice)
{
    struct sim_domain *io, *hog;
    struct sim_vcpu *sv;
    long c, max = 0;
    u64 t0;

    boot(1, NULL);
    io = sim_domain_create(1, 256, 0, SIM_IO_BOUND);
    hog = sim_domain_create(1, 256, 0, SIM_CPU_BOUND);
    sim_domain_start(io);
    sim_domain_start(hog);
    for ( unsigned int i = 0; i < 60; i++ )
    {
        sim_run_for(MILLISECS(50) + 7);
        c = dumped_credit(io->d.domain_id, 0);
        if ( c > max )
            max = c;
    }
    printf("    mostly idle vCPU: credit at most %ld us\n", max);
    CHECK(max <= 30000);
    CHECK(max > 0);

    /* It turns CPU-bound from its next wake on. */
    sv = io->vcpus[0];
    sv->behaviour = SIM_CPU_BOUND;
    stop_timer(&sv->burst_timer);
    sim_run_for(MILLISECS(10));
    t0 = sim_domain_cpu_time(io);
    sim_run_for(SECONDS(1));
    printf("    formerly idle vCPU: %lu ms of the next 1000\n",
           (unsigned long)((sim_domain_cpu_time(io) - t0) / 1000000));
    CHECK(sim_domain_cpu_time(io) - t0 <= MILLISECS(500 + 40));
    finish();
}

/* ---- Caps --------------------------------------------------------------- */

struct cap_watch
{
    struct sim_domain *sd;
    s_time_t from;                      /* periods starting before: skip */
    u64 last;
    u64 max_period;
    u64 periods;
    s_time_t limit;
    u64 over;
};

static void cap_sample(void *data)
{
    struct cap_watch *w = data;
    u64 now = sim_domain_cpu_time(w->sd);

    if ( sim_clock > w->from )
    {
        u64 used = now - w->last;

        w->periods++;
        if ( used > w->max_period )
            w->max_period = used;
        if ( used > (u64)w->limit )
            w->over++;
    }
    w->last = now;
}

/*
 * The domain's CPU time in every accounting period (they start at boot
 * and repeat every slice) stays under cap% of a period plus one tick.
 */
static void cap_scenario(unsigned int ncpus, unsigned int vcpus, u16 cap,
                         u16 weight, bool competitor)
{
    struct sim_domain *sd, *other = NULL;
    struct cap_watch w = { 0 };
    s_time_t P = sim_tslice();
    u64 t0, used;

    boot(ncpus, NULL);
    P = sim_tslice();
    sd = sim_domain_create(vcpus, weight, cap, SIM_CPU_BOUND);
    if ( competitor )
        other = sim_domain_create(ncpus, 256, 0, SIM_CPU_BOUND);
    w.sd = sd;
    /* The cap set at creation is in force from the first accounting. */
    w.from = SIM_T0 + P;
    w.limit = P * cap / 100 + TICK;
    sim_every(SIM_T0, P, cap_sample, &w);
    sim_domain_start(sd);
    if ( other )
        sim_domain_start(other);

    sim_run_for(SECONDS(1));
    t0 = sim_domain_cpu_time(sd);
    sim_run_for(SECONDS(5));
    used = sim_domain_cpu_time(sd) - t0;

    printf("    cap %u on %u vCPU(s), %u pCPU(s)%s: %.2f%% of a pCPU, "
           "worst period %lu us of %lu (limit %lu)\n", cap, vcpus, ncpus,
           competitor ? " with competition" : "",
           100.0 * (double)used / (double)SECONDS(5),
           (unsigned long)(w.max_period / 1000), (unsigned long)(P / 1000),
           (unsigned long)(w.limit / 1000));
    CHECK(w.periods > 150);
    CHECK_EQ(w.over, 0);
    /* The cap is a limit, not a target missed by far. */
    CHECK(used >= (u64)SECONDS(5) * cap / 100 * 9 / 10);
    CHECK(used <= (u64)SECONDS(5) * cap / 100 + TICK);
    finish();
}

TEST(cap_50_alone_never_exceeds_cap_by_more_than_a_tick_per_period)
{
    cap_scenario(1, 1, 50, 256, false);
}

TEST(cap_50_weight_1024_vs_competitor_never_exceeds_cap_plus_tick)
{
    cap_scenario(1, 1, 50, 1024, true);
}

TEST(cap_100_on_2_vcpus_2_pcpus_never_exceeds_cap_plus_tick)
{
    cap_scenario(2, 2, 100, 256, false);
}

/* ---- Wake-up latency ---------------------------------------------------- */

/*
 * I/O-bound vCPUs (200 us bursts, ~5 ms sleeps) among CPU-bound ones.
 * The hogs are one-vCPU domains of different weights, so that some of
 * them are UNDER when an I/O vCPU wakes: only BOOST lets it preempt
 * those.  Each I/O vCPU is a domain of weight 512, so it stays within
 * its share (it uses ~4% of a pCPU) and keeps UNDER.  Every wake-to-run
 * latency must stay within the rate limit.
 */
static void latency_scenario(unsigned int ncpus, unsigned int hogs,
                             unsigned int ios, const char *cmdline)
{
    s_time_t max = 0, sum = 0, limit;
    size_t n;

    boot(ncpus, cmdline);
    limit = sim_ratelimit() + MICROSECS(10);
    for ( unsigned int i = 0; i < hogs; i++ )
        sim_domain_start(sim_domain_create(1, 128 << (i % 3), 0,
                                           SIM_CPU_BOUND));
    for ( unsigned int i = 0; i < ios; i++ )
        sim_domain_start(sim_domain_create(1, 512, 0, SIM_IO_BOUND));
    sim_run_for(MILLISECS(200));
    sim_latencies_reset();
    sim_run_for(SECONDS(4));

    n = sim_latencies.n;
    for ( size_t i = 0; i < n; i++ )
    {
        sum += sim_latencies.v[i];
        if ( sim_latencies.v[i] > max )
            max = sim_latencies.v[i];
    }
    printf("    %u pCPU(s), %u hogs, %u I/O vCPU(s): %zu wakes, mean %.1f us,"
           " max %.1f us (limit %.1f us)\n", ncpus, hogs, ios, n,
           n ? (double)sum / n / 1000 : 0.0, (double)max / 1000,
           (double)limit / 1000);
    /* About one wake per 5.2 ms per I/O vCPU. */
    CHECK(n >= (size_t)ios * 700);
    CHECK(max <= limit);
    finish();
}

TEST(io_wake_boost_preempts_hogs_within_ratelimit_1_pcpu)
{
    latency_scenario(1, 3, 1, NULL);
}

TEST(io_wake_boost_preempts_hogs_within_ratelimit_4_pcpus)
{
    latency_scenario(4, 8, 4, NULL);
}

TEST(io_wake_boost_preempts_hogs_within_ratelimit_2ms_2_pcpus)
{
    latency_scenario(2, 6, 6, "sched_ratelimit_us=2000");
}

/* ---- Rate limit --------------------------------------------------------- */

static void poke_cpu0(void *data)
{
    (void)data;
    cpu_raise_softirq(0, SCHEDULE_SOFTIRQ);
}

/*
 * Reschedules every 100 us (as from interrupts) between two equal
 * CPU-bound vCPUs: with the rate limit a vCPU is not switched out before
 * it ran 1 ms, except when its priority falls below the other's (credit
 * crossing zero, at most a few times per accounting); without it they
 * switch at every reschedule.
 */
static u64 short_stints(unsigned int ratelimit_us, u64 *switches)
{
    struct sim_domain *sd;
    u64 n = 0;

    boot(1, NULL);
    CHECK_EQ(sim_set_global(1000, ratelimit_us), 0);
    sd = sim_domain_create(2, 256, 0, SIM_CPU_BOUND);
    sim_domain_start(sd);
    sim_every(SIM_T0 + MICROSECS(100), MICROSECS(100), poke_cpu0, NULL);
    sim_run_for(SECONDS(2));
    for ( unsigned int i = 0; i < sd->nr; i++ )
        n += sd->vcpus[i]->nr_short_preempted;
    *switches = sim_stats.context_switches;
    finish();
    return n;
}

TEST(ratelimit_1ms_no_equal_priority_preemption_before_1ms)
{
    u64 sw_rl, sw_none;
    u64 with_rl = short_stints(1000, &sw_rl);
    u64 without = short_stints(0, &sw_none);

    printf("    stints < 1 ms ended by preemption: %lu with the rate limit "
           "(%lu switches), %lu without (%lu switches)\n",
           (unsigned long)with_rl, (unsigned long)sw_rl,
           (unsigned long)without, (unsigned long)sw_none);
    /* 2 accountings of 1 s: a few priority crossings at most. */
    CHECK(with_rl <= 8);
    CHECK(sw_rl <= 2000 + 20);
    CHECK(without >= 10000);
}

/* ---- Work conservation, pause, destroy, pin ----------------------------- */

static u64 all_cpu_time(struct sim_domain **sd, unsigned int n)
{
    u64 t = 0;

    for ( unsigned int i = 0; i < n; i++ )
        t += sim_domain_cpu_time(sd[i]);
    return t;
}

TEST(no_pcpu_idles_over_a_tick_while_work_waits_4_pcpus)
{
    struct sim_domain *sd[4];
    cpumask_t only0, all;
    u64 busy;

    boot(4, NULL);
    /* Peers' locks are found taken now and then. */
    sim_set_trylock_fail_pct(20);
    cpumask_clear(&only0);
    cpumask_set_cpu(0, &only0);
    cpumask_clear(&all);
    for ( unsigned int c = 0; c < 4; c++ )
        cpumask_set_cpu(c, &all);

    sd[0] = sim_domain_create(4, 256, 0, SIM_CPU_BOUND);
    sd[1] = sim_domain_create(4, 512, 0, SIM_MIXED);
    sd[2] = sim_domain_create(4, 128, 0, SIM_IO_BOUND);
    sd[3] = sim_domain_create(4, 1024, 0, SIM_MIXED);
    /* Everything crammed onto pCPU 0 first. */
    for ( unsigned int i = 0; i < 4; i++ )
        for ( unsigned int j = 0; j < 4; j++ )
            CHECK_EQ(sim_vcpu_pin(sd[i]->vcpus[j], &only0), 0);
    for ( unsigned int i = 0; i < 4; i++ )
        sim_domain_start(sd[i]);
    sim_run_for(SECONDS(1));

    /* Let them loose: the other three pCPUs must pick the work up. */
    sim_stats.max_idle_with_work = 0;
    for ( unsigned int i = 0; i < 4; i++ )
        for ( unsigned int j = 0; j < 4; j++ )
            CHECK_EQ(sim_vcpu_pin(sd[i]->vcpus[j], &all), 0);
    busy = all_cpu_time(sd, 4);
    sim_run_for(SECONDS(2));
    /*
     * Four CPU-bound vCPUs alone can keep every pCPU busy: they nearly
     * did (a pCPU may wait out a candidate's 1 ms migration delay).
     */
    busy = all_cpu_time(sd, 4) - busy;
    printf("    all loose: pCPUs busy %.3f%% of the time\n",
           pct(busy, SECONDS(2) * 4));
    CHECK(busy >= SECONDS(2) * 4 * 99 / 100);

    /*
     * No CPU hogs, I/O vCPUs bound to pCPU 0 keep preempting whatever
     * runs there, and the mixed vCPUs leave pCPUs idle now and then:
     * what waits on pCPU 0 must be stolen.
     */
    sim_domain_pause(sd[0]);
    for ( unsigned int j = 0; j < 4; j++ )
        CHECK_EQ(sim_vcpu_pin(sd[2]->vcpus[j], &only0), 0);
    sim_run_for(SECONDS(3));

    printf("    longest idle-while-work episode: %ld us (limit %ld us)\n",
           (long)(sim_stats.max_idle_with_work / 1000),
           (long)(sim_idle_limit / 1000));
    CHECK(sim_stats.max_idle_with_work <= TICK);
    /*
     * The design does better than the tick: a queued vCPU pokes an idler
     * at once, which takes it unless it is cache-hot (then it looks again
     * when the 1 ms migration delay ends) or the peer's lock is taken
     * (then again in 50 us).
     */
    CHECK(sim_stats.max_idle_with_work <= MILLISECS(2));
    finish();
}

TEST(runstate_times_add_up_to_wall_time_for_every_vcpu)
{
    struct sim_domain *sd[3];
    u64 sum;
    struct vcpu_runstate_info r;

    boot(2, NULL);
    sd[0] = sim_domain_create(2, 256, 0, SIM_CPU_BOUND);
    sd[1] = sim_domain_create(2, 256, 0, SIM_IO_BOUND);
    sd[2] = sim_domain_create(3, 256, 0, SIM_MIXED);
    sim_run_for(MILLISECS(300));            /* created, not up: offline */
    for ( unsigned int i = 0; i < 3; i++ )
        sim_domain_start(sd[i]);
    sim_run_for(SECONDS(1));
    sim_domain_pause(sd[2]);
    sim_run_for(MILLISECS(500));
    sim_domain_unpause(sd[2]);
    sim_run_for(MILLISECS(1234) + 567);

    for ( unsigned int i = 0; i < 3; i++ )
        for ( unsigned int j = 0; j < sd[i]->nr; j++ )
        {
            struct sim_vcpu *sv = sd[i]->vcpus[j];

            vcpu_runstate_get(&sv->v, &r);
            sum = r.time[0] + r.time[1] + r.time[2] + r.time[3];
            CHECK_EQ(sum, sim_clock - sv->created);
            CHECK_EQ(vcpu_cpu_time(&sv->v), r.time[RUNSTATE_running]);
            /* The first 300 ms it was down. */
            CHECK(r.time[RUNSTATE_offline] >= MILLISECS(300));
            if ( sv->behaviour == SIM_IO_BOUND )
                CHECK(r.time[RUNSTATE_blocked] > SECONDS(2));
            if ( i == 2 )
                CHECK(r.time[RUNSTATE_offline] >= MILLISECS(300 + 400));
        }
    /* And continuously, at every step of the run. */
    finish();
}

TEST(pause_stops_within_a_tick_unpause_resumes)
{
    struct sim_domain *a, *b;
    u64 t0, t1;

    boot(2, NULL);
    a = sim_domain_create(2, 256, 0, SIM_CPU_BOUND);
    b = sim_domain_create(2, 256, 0, SIM_MIXED);
    sim_domain_start(a);
    sim_domain_start(b);
    sim_run_for(SECONDS(1));

    /* domain_pause(): off its pCPUs when the call returns. */
    sim_domain_pause(a);
    for ( unsigned int i = 0; i < a->nr; i++ )
        CHECK(!a->vcpus[i]->v.is_running);
    t0 = sim_domain_cpu_time(a);
    sim_run_for(SECONDS(1));
    CHECK_EQ(sim_domain_cpu_time(a), t0);
    for ( unsigned int i = 0; i < a->nr; i++ )
        CHECK_EQ(a->vcpus[i]->v.runstate.state, RUNSTATE_offline);

    sim_domain_unpause(a);
    sim_run_for(SECONDS(1));
    t1 = sim_domain_cpu_time(a);
    CHECK(t1 - t0 >= MILLISECS(800));

    /* A pause without the wait (vcpu_sleep_nosync) takes effect within a
     * tick as well. */
    __atomic_add_fetch(&a->vcpus[0]->v.pause_count, 1, __ATOMIC_SEQ_CST);
    vcpu_sleep_nosync(&a->vcpus[0]->v);
    sim_run_for(TICK);
    CHECK(!a->vcpus[0]->v.is_running);
    t0 = vcpu_cpu_time(&a->vcpus[0]->v);
    sim_run_for(SECONDS(1));
    CHECK_EQ(vcpu_cpu_time(&a->vcpus[0]->v), t0);
    __atomic_sub_fetch(&a->vcpus[0]->v.pause_count, 1, __ATOMIC_SEQ_CST);
    vcpu_wake(&a->vcpus[0]->v);
    sim_run_for(SECONDS(1));
    CHECK(vcpu_cpu_time(&a->vcpus[0]->v) - t0 >= MILLISECS(300));
    finish();
}

TEST(destroy_mid_run_frees_memory_and_vcpus_never_run_again)
{
    struct sim_domain *a, *b, *c;
    long before;
    u64 ta, tc;

    boot(2, NULL);
    a = sim_domain_create(2, 256, 0, SIM_CPU_BOUND);
    c = sim_domain_create(1, 256, 0, SIM_IO_BOUND);
    before = sim_xmalloc_outstanding();
    b = sim_domain_create(3, 512, 50, SIM_MIXED);
    CHECK(sim_xmalloc_outstanding() > before);
    sim_domain_start(a);
    sim_domain_start(b);
    sim_domain_start(c);
    sim_run_for(MILLISECS(1500) + 123);

    /* b's vCPUs are running or queued right now; ASan catches any use
     * of them after this. */
    sim_domain_destroy(b);
    CHECK_EQ(sim_xmalloc_outstanding(), before);
    CHECK_EQ(sim_nr_domains(), 2);

    ta = sim_domain_cpu_time(a);
    tc = sim_domain_cpu_time(c);
    sim_run_for(SECONDS(2));
    /* The others go on, and have the machine to themselves. */
    CHECK(sim_domain_cpu_time(a) - ta >= SECONDS(2) * 2 * 9 / 10);
    CHECK(sim_domain_cpu_time(c) > tc);
    finish();
}

TEST(pin_mid_run_vcpu_only_runs_on_allowed_pcpus_from_then_on)
{
    struct sim_domain *a, *b;
    cpumask_t m2, m01;
    u64 t0;

    boot(4, NULL);
    a = sim_domain_create(6, 256, 0, SIM_CPU_BOUND);
    b = sim_domain_create(2, 256, 0, SIM_MIXED);
    sim_domain_start(a);
    sim_domain_start(b);
    sim_run_for(SECONDS(1) + 777);

    cpumask_clear(&m2);
    cpumask_set_cpu(2, &m2);
    cpumask_clear(&m01);
    cpumask_set_cpu(0, &m01);
    cpumask_set_cpu(1, &m01);
    for ( unsigned int i = 0; i < 6; i++ )
        a->vcpus[i]->cpus_ran_on = 0;
    b->vcpus[0]->cpus_ran_on = 0;
    /* Pin wherever they are now: running, queued or blocked. */
    CHECK_EQ(sim_vcpu_pin(a->vcpus[0], &m2), 0);
    CHECK_EQ(sim_vcpu_pin(a->vcpus[1], &m2), 0);
    CHECK_EQ(sim_vcpu_pin(a->vcpus[2], &m01), 0);
    CHECK_EQ(sim_vcpu_pin(b->vcpus[0], &m2), 0);
    t0 = vcpu_cpu_time(&a->vcpus[0]->v);

    sim_run_for(SECONDS(2));
    CHECK_EQ(a->vcpus[0]->cpus_ran_on & ~4ULL, 0);
    CHECK_EQ(a->vcpus[1]->cpus_ran_on & ~4ULL, 0);
    CHECK_EQ(a->vcpus[2]->cpus_ran_on & ~3ULL, 0);
    CHECK_EQ(b->vcpus[0]->cpus_ran_on & ~4ULL, 0);
    for ( unsigned int i = 0; i < 6; i++ )
        CHECK_EQ(a->vcpus[i]->nr_forbidden_cpu, 0);
    /* Pinned, it still runs (sharing pCPU 2 with the others). */
    CHECK(vcpu_cpu_time(&a->vcpus[0]->v) - t0 >= MILLISECS(400));
    finish();
}

/*
 * A blocked vCPU pinned away from its pCPU moves at once (its pCPU is in
 * the new mask when the pin returns, for getvcpuinfo), and the
 * architecture hears of it (x86 moves its wakeup list), with no lock
 * held; it then wakes on that pCPU.
 */
TEST(pin_of_a_blocked_vcpu_moves_it_at_once)
{
    struct sim_domain *sd;
    struct vcpu *v;
    cpumask_t m;
    unsigned int from, to;

    boot(4, NULL);
    sd = sim_domain_create(1, 256, 0, SIM_CPU_BOUND);
    sim_domain_start(sd);
    sim_run_for(MILLISECS(20));
    v = &sd->vcpus[0]->v;
    from = v->processor;
    REQUIRE(sched_res_of(from)->curr == v);

    sim_cpu = from;
    vcpu_block();
    sim_cpu = SIM_CTL_CPU;
    sim_drain_softirqs();
    REQUIRE(!v->is_running);
    REQUIRE_EQ(v->runstate.state, RUNSTATE_blocked);

    to = (from + 2) % 4;
    cpumask_clear(&m);
    cpumask_set_cpu(to, &m);
    sim_stats.migrated_hooks = 0;
    CHECK_EQ(sim_vcpu_pin(sd->vcpus[0], &m), 0);
    CHECK_EQ(v->processor, to);
    CHECK_EQ(v->runstate.state, RUNSTATE_blocked);
    CHECK_EQ(sim_stats.migrated_hooks, 1);
    CHECK_EQ(sim_stats.last_migrated_cpu, to);

    /* Pinned where it is: nothing moves. */
    CHECK_EQ(sim_vcpu_pin(sd->vcpus[0], &m), 0);
    CHECK_EQ(sim_stats.migrated_hooks, 1);

    __atomic_fetch_and(&v->pause_flags, ~VPF_blocked, __ATOMIC_SEQ_CST);
    vcpu_wake(v);
    sim_drain_softirqs();
    CHECK(v->is_running);
    CHECK_EQ(v->processor, to);
    CHECK(sched_res_of(to)->curr == v);
    sim_run_for(MILLISECS(50));
    CHECK_EQ(sd->vcpus[0]->nr_forbidden_cpu, 0);
    finish();
}

/*
 * A running vCPU pinned away moves when its pCPU has switched it out
 * (context_saved), outside the locks.  All through that move it is
 * marked migrating, which vcpu_sleep_sync() waits for: a domain being
 * destroyed must not free it under the move.
 */
TEST(context_saved_move_is_waited_for)
{
    struct sim_domain *sd;
    struct vcpu *v;
    cpumask_t m;
    unsigned int from, to;

    boot(4, NULL);
    sd = sim_domain_create(1, 256, 0, SIM_CPU_BOUND);
    sim_domain_start(sd);
    sim_run_for(MILLISECS(20));
    v = &sd->vcpus[0]->v;
    from = v->processor;
    REQUIRE(sched_res_of(from)->curr == v);

    to = (from + 2) % 4;
    cpumask_clear(&m);
    cpumask_set_cpu(to, &m);
    sim_stats.migrated_hooks = 0;
    CHECK_EQ(sim_vcpu_pin(sd->vcpus[0], &m), 0);
    sim_drain_softirqs();
    CHECK_EQ(sim_stats.migrated_hooks, 1);
    CHECK_EQ(sim_stats.last_migrated_cpu, to);
    CHECK(sim_stats.last_migrated_marked);
    CHECK(!v->is_migrating);
    CHECK_EQ(v->processor, to);
    finish();
}

TEST(yield_lets_an_equal_vcpu_run_at_once)
{
    struct sim_domain *sd;
    struct vcpu *was;

    boot(1, NULL);
    sd = sim_domain_create(2, 256, 0, SIM_CPU_BOUND);
    sim_domain_start(sd);
    sim_run_for(MILLISECS(100));

    /* Just after a switch: the rate limit would keep it running. */
    was = sched_res_of(0)->curr;
    while ( sched_res_of(0)->curr == was )
        sim_run_for(MICROSECS(50));
    was = sched_res_of(0)->curr;
    REQUIRE(!is_idle_vcpu(was));
    REQUIRE(sim_clock - sim_vcpu_of_test(was)->stint_start <
            sim_ratelimit());

    /* A yield hypercall from the running vCPU. */
    sim_cpu = 0;
    vcpu_yield();
    sim_cpu = SIM_CTL_CPU;
    sim_drain_softirqs();
    CHECK(sched_res_of(0)->curr != was);
    CHECK(!is_idle_vcpu(sched_res_of(0)->curr));
    sim_run_for(MILLISECS(100));
    finish();
}

TEST(wake_between_block_and_schedule_is_not_lost)
{
    struct sim_domain *sd;
    struct vcpu *v;
    u64 t0;

    boot(1, NULL);
    sd = sim_domain_create(1, 256, 0, SIM_CPU_BOUND);
    sim_domain_start(sd);
    sim_run_for(MILLISECS(20));
    v = &sd->vcpus[0]->v;
    REQUIRE(sched_res_of(0)->curr == v);

    /* It halts; the interrupt arrives before the softirq has run. */
    sim_cpu = 0;
    vcpu_block();
    CHECK(v->pause_flags & VPF_blocked);
    if ( __atomic_fetch_and(&v->pause_flags, ~VPF_blocked,
                            __ATOMIC_SEQ_CST) & VPF_blocked )
        vcpu_wake(v);
    sim_cpu = SIM_CTL_CPU;
    sim_drain_softirqs();
    CHECK(v->is_running);
    t0 = vcpu_cpu_time(v);
    sim_run_for(MILLISECS(50));
    CHECK_EQ(vcpu_cpu_time(v) - t0, MILLISECS(50));

    /* The ordinary order: blocked and descheduled, then woken. */
    sim_cpu = 0;
    vcpu_block();
    sim_cpu = SIM_CTL_CPU;
    sim_drain_softirqs();
    CHECK(!v->is_running);
    CHECK_EQ(v->runstate.state, RUNSTATE_blocked);
    __atomic_fetch_and(&v->pause_flags, ~VPF_blocked, __ATOMIC_SEQ_CST);
    vcpu_wake(v);
    sim_drain_softirqs();
    CHECK(v->is_running);
    CHECK_EQ(v->nr_wakeups, 2);
    sim_run_for(MILLISECS(50));
    finish();
}

/*
 * On SMP a pause can race with schedule(): the policy reads the vCPU as
 * runnable and queues it, core then reads it as paused and records it
 * offline; the pauser's vcpu_sleep_nosync() dequeues it a moment later.
 * An unpause's wake arriving before that must not move the vCPU to
 * another pCPU while it sits on the old pCPU's queue.  Build that state
 * by hand and wake it.
 */
TEST(wake_of_vcpu_left_queued_by_pause_race_moves_it_cleanly)
{
    struct sim_domain *hog, *sd;
    struct vcpu *v;
    cpumask_t only0, all;
    unsigned long flags;
    spinlock_t *lock;
    u64 t_hog, t_v;

    boot(2, NULL);
    cpumask_clear(&only0);
    cpumask_set_cpu(0, &only0);
    cpumask_clear(&all);
    cpumask_set_cpu(0, &all);
    cpumask_set_cpu(1, &all);
    hog = sim_domain_create(1, 256, 0, SIM_CPU_BOUND);
    sd = sim_domain_create(1, 256, 0, SIM_CPU_BOUND);
    v = &sd->vcpus[0]->v;
    CHECK_EQ(sim_vcpu_pin(hog->vcpus[0], &only0), 0);
    CHECK_EQ(sim_vcpu_pin(sd->vcpus[0], &only0), 0);
    sim_domain_start(hog);
    sim_domain_start(sd);
    sim_run_for(MILLISECS(100));
    REQUIRE(sched_res_of(1)->curr == idle_domain->vcpu[1]);

    /* Paused: offline, off the queue, on pCPU 0; then free to move. */
    __atomic_add_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST);
    vcpu_sleep_sync(v);
    REQUIRE_EQ(v->runstate.state, RUNSTATE_offline);
    REQUIRE_EQ(v->processor, 0);
    CHECK_EQ(sim_vcpu_pin(sd->vcpus[0], &all), 0);
    REQUIRE_EQ(v->processor, 0);

    /* What the race leaves: queued again, runstate still offline. */
    __atomic_sub_fetch(&v->pause_count, 1, __ATOMIC_SEQ_CST);
    lock = vcpu_schedule_lock_irqsave(v, &flags);
    sched_credit_def.wake(v);
    vcpu_schedule_unlock_irqrestore(lock, flags);

    /* The unpause: pCPU 1 is idle, so the wake moves it there. */
    vcpu_wake(v);
    CHECK_EQ(v->processor, 1);
    t_hog = vcpu_cpu_time(&hog->vcpus[0]->v);
    t_v = vcpu_cpu_time(v);
    sim_run_for(MILLISECS(200));
    /* Each has a pCPU to itself now. */
    CHECK(v->is_running);
    CHECK(vcpu_cpu_time(&hog->vcpus[0]->v) - t_hog >= MILLISECS(199));
    CHECK(vcpu_cpu_time(v) - t_v >= MILLISECS(199));
    finish();
}

/* ---- Scale -------------------------------------------------------------- */

TEST(scale_64_vcpus_on_4_pcpus_10s_all_invariants_hold)
{
    static const u16 weights[] = { 128, 256, 512, 1024 };
    struct sim_domain *sd[16];
    cpumask_t m;

    boot(4, NULL);
    sim_set_trylock_fail_pct(5);
    for ( unsigned int i = 0; i < 16; i++ )
    {
        sd[i] = sim_domain_create(4, weights[i % 4], i == 5 ? 80 : 0,
                                  (enum sim_behaviour)(i % 3));
        sim_domain_start(sd[i]);
    }
    sim_run_for(SECONDS(3));

    /* Some churn in the middle of it. */
    sim_domain_pause(sd[7]);
    cpumask_clear(&m);
    cpumask_set_cpu(3, &m);
    CHECK_EQ(sim_vcpu_pin(sd[1]->vcpus[0], &m), 0);
    CHECK_EQ(sim_domain_set(sd[2], 2048, 150), 0);
    sim_run_for(SECONDS(3));
    sim_domain_unpause(sd[7]);
    sim_domain_destroy(sd[11]);
    sim_run_for(SECONDS(4));

    printf("    %lu events, %lu context switches, %lu wakes, longest "
           "wait %ld ms, longest idle-with-work %ld us\n",
           (unsigned long)sim_stats.events,
           (unsigned long)sim_stats.context_switches,
           (unsigned long)sim_stats.wakes,
           (long)(sim_stats.max_wait / 1000000),
           (long)(sim_stats.max_idle_with_work / 1000));
    for ( unsigned int i = 0; i < 16; i++ )
        if ( i != 11 )
            for ( unsigned int j = 0; j < 4; j++ )
                CHECK(vcpu_cpu_time(&sd[i]->vcpus[j]->v) > 0);
    finish();
}

/* ---- Dumps -------------------------------------------------------------- */

static int pri_rank(const char *line)
{
    const char *p = strstr(line, "pri=");

    if ( !p )
        return -1;
    p += 4;
    if ( !strncmp(p, "BOOST", 5) )
        return 3;
    if ( !strncmp(p, "UNDER", 5) )
        return 2;
    if ( !strncmp(p, "OVER", 4) )
        return 1;
    return 0;
}

TEST(dump_r_shows_running_and_sorted_runqueue_s_shows_counters)
{
    struct sim_domain *a, *b;
    const char *log, *line;
    int last = 4;
    unsigned int queued = 0;

    boot(1, NULL);
    a = sim_domain_create(2, 256, 0, SIM_CPU_BOUND);
    b = sim_domain_create(2, 512, 60, SIM_MIXED);
    sim_domain_start(a);
    sim_domain_start(b);
    sim_run_for(MILLISECS(777));

    stub_log_clear();
    sched_dump_runqueues();
    log = stub_log();
    CHECK(strstr(log, "CPU[00] running ") != NULL);
    CHECK(strstr(log, "weight=") && strstr(log, "cap=") &&
          strstr(log, "credit="));
    /* Queue lines "  N: dDvV pri=..." in priority order. */
    for ( line = strstr(log, "\n  "); line; line = strstr(line + 1, "\n  ") )
    {
        int r = pri_rank(line);

        CHECK(r > 0);
        CHECK(r <= last);
        last = r;
        queued++;
    }
    CHECK(queued >= 1);
    if ( harness_failures() )
        printf("%s", log);

    stub_log_clear();
    sched_dump_counters();
    log = stub_log();
    CHECK(strstr(log, "CPU[00] schedules=") != NULL);
    CHECK(strstr(log, "context_switches=") != NULL);
    CHECK(strstr(log, "migrations=") != NULL);
    CHECK(strstr(log, "steals=") != NULL);
    CHECK(strstr(log, "boosts=") != NULL);
    CHECK(strstr(log, "accountings=") != NULL);
    CHECK(strstr(log, "weight=512 cap=60") != NULL);
    if ( harness_failures() )
        printf("%s", log);
    finish();
}
