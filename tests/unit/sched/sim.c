/*
 * The simulated machine's contents: the idle domain, guest domains whose
 * vCPUs behave as CPU-bound, I/O-bound or mixed programs, the
 * architecture's context-switch hook, the continuous invariant checks,
 * and the measurements (CPU time, wake-up latency, short preemptions).
 * Domains are built directly from the structs in xen/sched.h and torn
 * down the way common/domain.c does it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <xen/sched-if.h>
#include <xen/smp.h>
#include <xen/softirq.h>
#include <xen/time.h>
#include <xen/timer.h>

#include "sim.h"

struct domain *idle_domain;

struct sim_stats sim_stats;
struct sim_lat sim_latencies;
s_time_t sim_idle_limit;
s_time_t sim_wait_limit;
s_time_t sim_short_stint;

/* Wakes before this are not measured (sim_latencies_reset()). */
static s_time_t lat_since;

static struct sim_domain *domains[SIM_MAX_DOMAINS];
static unsigned int nr_domains;
static domid_t next_domid;

/* Work-conservation tracking, per pCPU. */
static s_time_t idle_with_work_since[NR_CPUS];
static bool idle_with_work_reported[NR_CPUS];

struct sim_periodic
{
    struct timer t;
    s_time_t period;
    void (*fn)(void *);
    void *data;
    struct sim_periodic *next;
};
static struct sim_periodic *periodics;

/* The boot options' table, gathered by the sim's xen/param.h. */
extern const struct kernel_param __start_sim_param[], __stop_sim_param[];

#define SIM_DEFAULT_CMDLINE "sched=credit sched_credit_tslice_ms=30 "     \
    "sched_ratelimit_us=1000 sched_credit_migration_delay_us=1000"

/* ---- Violations --------------------------------------------------------- */

void sim_violation(const char *fmt, ...)
{
    va_list ap;
    u64 n = sim_stats.violations++;
    char *buf;
    int len;

    if ( n >= ARRAY_SIZE(sim_stats.first) )
        return;
    buf = sim_stats.first[n];
    len = snprintf(buf, sizeof(sim_stats.first[n]), "t=%ld.%06lds: ",
                   (long)(sim_clock / 1000000000),
                   (long)(sim_clock / 1000 % 1000000));
    va_start(ap, fmt);
    vsnprintf(buf + len, sizeof(sim_stats.first[n]) - len, fmt, ap);
    va_end(ap);
}

void sim_report_violations(void)
{
    for ( u64 i = 0; i < sim_stats.violations &&
                     i < ARRAY_SIZE(sim_stats.first); i++ )
        printf("    violation: %s\n", sim_stats.first[i]);
    if ( sim_stats.violations > ARRAY_SIZE(sim_stats.first) )
        printf("    ... %lu violations in all\n",
               (unsigned long)sim_stats.violations);
}

void sim_latencies_reset(void)
{
    free(sim_latencies.v);
    memset(&sim_latencies, 0, sizeof(sim_latencies));
    lat_since = sim_clock;
}

static void lat_record(s_time_t lat)
{
    if ( sim_latencies.n == sim_latencies.cap )
    {
        sim_latencies.cap = sim_latencies.cap ? 2 * sim_latencies.cap : 1024;
        sim_latencies.v = realloc(sim_latencies.v,
                                  sim_latencies.cap * sizeof(s_time_t));
        if ( !sim_latencies.v )
            panic("simulator: out of memory for latencies");
    }
    sim_latencies.v[sim_latencies.n++] = lat;
}

/* ---- Helpers ------------------------------------------------------------ */

static struct sim_vcpu *sim_vcpu_of(struct vcpu *v)
{
    return container_of(v, struct sim_vcpu, v);
}

/* Run fn on the control pCPU (where test-driven calls come from). */
#define ON_CTL(stmt)                                                    \
    do {                                                                \
        unsigned int saved_cpu_ = sim_cpu;                              \
        sim_cpu = SIM_CTL_CPU;                                          \
        stmt;                                                           \
        sim_cpu = saved_cpu_;                                           \
    } while ( 0 )

s_time_t sim_tslice(void)
{
    struct xen_sysctl_scheduler_op op = {
        .sched_id = XEN_SCHEDULER_CREDIT,
        .cmd = XEN_SYSCTL_SCHEDOP_getinfo,
    };

    if ( sched_adjust_global(&op) )
        panic("simulator: getinfo failed");
    return MILLISECS(op.credit.tslice_ms);
}

s_time_t sim_ratelimit(void)
{
    struct xen_sysctl_scheduler_op op = {
        .sched_id = XEN_SCHEDULER_CREDIT,
        .cmd = XEN_SYSCTL_SCHEDOP_getinfo,
    };

    if ( sched_adjust_global(&op) )
        panic("simulator: getinfo failed");
    return MICROSECS(op.credit.ratelimit_us);
}

int sim_set_global(unsigned int tslice_ms, unsigned int ratelimit_us)
{
    struct xen_sysctl_scheduler_op op = {
        .sched_id = XEN_SCHEDULER_CREDIT,
        .cmd = XEN_SYSCTL_SCHEDOP_putinfo,
        .credit = { .tslice_ms = tslice_ms, .ratelimit_us = ratelimit_us },
    };
    int rc;

    ON_CTL(rc = sched_adjust_global(&op));
    if ( !rc )
        sim_idle_limit = MILLISECS(tslice_ms) / 3 + MICROSECS(100);
    return rc;
}

static void periodic_fn(void *data)
{
    struct sim_periodic *p = data;

    p->fn(p->data);
    set_timer(&p->t, p->t.expires + p->period);
}

void sim_every(s_time_t first, s_time_t period, void (*fn)(void *),
               void *data)
{
    struct sim_periodic *p = calloc(1, sizeof(*p));

    if ( !p )
        panic("simulator: out of memory");
    p->period = period;
    p->fn = fn;
    p->data = data;
    p->next = periodics;
    periodics = p;
    init_timer(&p->t, periodic_fn, p, SIM_CTL_CPU);
    set_timer(&p->t, first);
}

/* ---- Behaviours --------------------------------------------------------- */

static s_time_t next_burst(const struct sim_vcpu *sv)
{
    return sim_rand_between(sv->burst_min, sv->burst_max);
}

/* The vCPU used up its burst on this pCPU: it halts (blocks). */
static void burst_end_fn(void *data)
{
    struct sim_vcpu *sv = data;
    struct vcpu *v = &sv->v;

    if ( get_current() != v )
    {
        sim_violation("d%uv%u: burst ended while not current on CPU%u",
                      v->domain->domain_id, v->vcpu_id, sim_cpu);
        return;
    }
    sv->remaining = 0;
    vcpu_block();

    /* Its interrupt arrives where it blocked. */
    sv->wake_timer.cpu = v->processor;
    set_timer(&sv->wake_timer,
              sim_clock + sim_rand_between(sv->sleep_min, sv->sleep_max));
}

/* The simulated interrupt: unblock it, as an event channel would. */
static void wake_fn(void *data)
{
    struct sim_vcpu *sv = data;
    struct vcpu *v = &sv->v;

    sv->remaining = next_burst(sv);
    if ( !(__atomic_fetch_and(&v->pause_flags, ~VPF_blocked,
                              __ATOMIC_SEQ_CST) & VPF_blocked) )
        return;
    vcpu_wake(v);
    sim_stats.wakes++;
    if ( v->runstate.state == RUNSTATE_runnable && !v->is_running )
    {
        sv->awaiting_run = true;
        sv->woke_at = sim_clock;
    }
}

/* ---- The architecture's context switch ---------------------------------- */

/*
 * The architecture's view of a migration for pinning: v must be off every
 * pCPU, already on 'cpu', with no lock held (x86 takes its wakeup-list
 * locks here, which come before the schedule locks).
 */
void sched_vcpu_migrated(struct vcpu *v, unsigned int cpu)
{
    if ( sim_locks_held() )
        sim_violation("migration hook with %u lock(s) held",
                      sim_locks_held());
    if ( v->is_running || v->processor != cpu )
        sim_violation("migration hook: vCPU running or not on CPU%u", cpu);
    sim_stats.migrated_hooks++;
    sim_stats.last_migrated_cpu = cpu;
    sim_stats.last_migrated_marked = READ_ONCE(v->is_migrating);
}

void sched_context_switch(struct vcpu *prev, struct vcpu *next)
{
    unsigned int cpu = sim_cpu;
    s_time_t now = sim_clock;

    sim_stats.context_switches++;
    if ( sim_locks_held() )
        sim_violation("context switch on CPU%u with %u lock(s) held", cpu,
                      sim_locks_held());
    if ( get_current() != next )
        sim_violation("CPU%u: curr is not 'next' at the context switch",
                      cpu);

    if ( !is_idle_vcpu(prev) )
    {
        struct sim_vcpu *sv = sim_vcpu_of(prev);
        s_time_t ran = now - sv->stint_start;

        stop_timer(&sv->burst_timer);
        if ( sv->behaviour != SIM_CPU_BOUND )
            sv->remaining = ran < sv->remaining ? sv->remaining - ran : 0;
        /* Left although it could have gone on running. */
        if ( prev->runstate.state == RUNSTATE_runnable &&
             ran < sim_short_stint )
            sv->nr_short_preempted++;
    }

    if ( !is_idle_vcpu(next) )
    {
        struct sim_vcpu *sv = sim_vcpu_of(next);

        if ( next->processor != cpu || !next->is_running )
            sim_violation("d%uv%u switched in on CPU%u, processor %u",
                          next->domain->domain_id, next->vcpu_id, cpu,
                          next->processor);
        if ( !vcpu_runnable(next) )
            sim_violation("d%uv%u switched in while not runnable",
                          next->domain->domain_id, next->vcpu_id);
        if ( !cpumask_test_cpu(cpu, &next->cpu_hard_affinity) ||
             !cpumask_test_cpu(cpu, &sv->allowed) )
        {
            sv->nr_forbidden_cpu++;
            sim_violation("d%uv%u switched in on CPU%u, not allowed",
                          next->domain->domain_id, next->vcpu_id, cpu);
        }
        for ( unsigned int c = 0; c < sim_nr_cpus; c++ )
            if ( c != cpu && sched_res_of(c)->curr == next )
                sim_violation("d%uv%u on CPU%u and CPU%u at once",
                              next->domain->domain_id, next->vcpu_id, c,
                              cpu);

        sv->stint_start = now;
        sv->nr_stints++;
        sv->cpus_ran_on |= 1ULL << cpu;
        if ( sv->awaiting_run )
        {
            s_time_t lat = now - next->wake_time;

            if ( next->wake_time != sv->woke_at )
                sim_violation("d%uv%u: wake_time %ld, woken at %ld",
                              next->domain->domain_id, next->vcpu_id,
                              (long)next->wake_time, (long)sv->woke_at);
            sv->awaiting_run = false;
            sv->nr_lat++;
            sv->lat_sum += lat;
            if ( lat > sv->lat_max )
                sv->lat_max = lat;
            if ( sv->woke_at >= lat_since )
                lat_record(lat);
        }
        if ( sv->behaviour != SIM_CPU_BOUND )
        {
            sv->burst_timer.cpu = cpu;
            set_timer(&sv->burst_timer, now + sv->remaining);
        }
    }
}

/* ---- Invariants --------------------------------------------------------- */

static bool capped_recently(const struct sim_domain *sd)
{
    /* A parked vCPU legitimately waits; a cap change lands a period on. */
    return sd->cap || sim_clock - sd->cap_changed_at < 3 * sim_tslice();
}

static void check_vcpu(struct sim_vcpu *sv, bool *waits)
{
    struct vcpu *v = &sv->v;
    struct vcpu_runstate_info r;
    bool is_curr = sched_res_of(v->processor)->curr == v;
    unsigned int d = v->domain->domain_id, id = v->vcpu_id;
    u64 sum = 0;

    *waits = false;
    if ( v->is_running != is_curr )
        sim_violation("d%uv%u: is_running %d but curr of CPU%u: %d", d, id,
                      v->is_running, v->processor, is_curr);
    if ( (v->runstate.state == RUNSTATE_running) != is_curr )
        sim_violation("d%uv%u: runstate %u, curr %d", d, id,
                      v->runstate.state, is_curr);
    switch ( v->runstate.state )
    {
    case RUNSTATE_runnable:
        if ( !vcpu_runnable(v) )
            sim_violation("d%uv%u: runnable runstate, not runnable", d, id);
        *waits = true;
        break;
    case RUNSTATE_blocked:
        if ( !(v->pause_flags & VPF_blocked) )
            sim_violation("d%uv%u: blocked runstate, not blocked (lost "
                          "wake)", d, id);
        break;
    case RUNSTATE_offline:
        if ( vcpu_runnable(v) )
            sim_violation("d%uv%u: offline runstate, runnable (lost wake)",
                          d, id);
        break;
    }

    vcpu_runstate_get(v, &r);
    for ( unsigned int i = 0; i < RUNSTATE_NR; i++ )
        sum += r.time[i];
    if ( sum != (u64)(sim_clock - sv->created) )
        sim_violation("d%uv%u: runstate times sum to %lu, %lu elapsed", d,
                      id, (unsigned long)sum,
                      (unsigned long)(sim_clock - sv->created));

    if ( *waits && !capped_recently(sv->sd) )
    {
        s_time_t wait = sim_clock - (s_time_t)v->runstate.state_entry_time;

        if ( wait > sim_stats.max_wait )
            sim_stats.max_wait = wait;
        if ( wait > sim_wait_limit && wait - sim_wait_limit < sim_tslice() )
            sim_violation("d%uv%u waits for a pCPU for %ld ms", d, id,
                          (long)(wait / 1000000));
    }
}

void sim_check_invariants(void)
{
    bool work_for[NR_CPUS] = { false };

    if ( !idle_domain )
        return;

    for ( unsigned int c = 0; c < sim_nr_cpus; c++ )
    {
        struct vcpu *curr = sched_res_of(c)->curr;

        if ( !curr || !curr->is_running || curr->processor != c ||
             curr->runstate.state != RUNSTATE_running )
        {
            sim_violation("CPU%u: bad curr", c);
            continue;
        }
        if ( is_idle_vcpu(curr) )
            continue;
        if ( !vcpu_runnable(curr) )
            sim_violation("CPU%u runs d%uv%u, which is not runnable", c,
                          curr->domain->domain_id, curr->vcpu_id);
        if ( !cpumask_test_cpu(c, &curr->cpu_hard_affinity) )
            sim_violation("CPU%u runs d%uv%u outside its affinity", c,
                          curr->domain->domain_id, curr->vcpu_id);
    }

    for ( unsigned int i = 0; i < nr_domains; i++ )
    {
        struct sim_domain *sd = domains[i];

        for ( unsigned int j = 0; j < sd->nr; j++ )
        {
            struct sim_vcpu *sv = sd->vcpus[j];
            bool waits;

            check_vcpu(sv, &waits);
            if ( !waits || sv->v.is_running || capped_recently(sd) )
                continue;
            for ( unsigned int c = 0; c < sim_nr_cpus; c++ )
                if ( cpumask_test_cpu(c, &sv->v.cpu_hard_affinity) )
                    work_for[c] = true;
        }
    }

    /* No pCPU idles for longer than a tick while work it may run waits. */
    for ( unsigned int c = 0; c < sim_nr_cpus; c++ )
    {
        s_time_t dur;

        if ( !work_for[c] || !is_idle_vcpu(sched_res_of(c)->curr) )
        {
            idle_with_work_since[c] = -1;
            idle_with_work_reported[c] = false;
            continue;
        }
        if ( idle_with_work_since[c] < 0 )
            idle_with_work_since[c] = sim_clock;
        dur = sim_clock - idle_with_work_since[c];
        if ( dur > sim_stats.max_idle_with_work )
            sim_stats.max_idle_with_work = dur;
        if ( dur > sim_idle_limit && !idle_with_work_reported[c] )
        {
            idle_with_work_reported[c] = true;
            sim_violation("CPU%u idle for %ld us while work waits", c,
                          (long)(dur / 1000));
        }
    }
}

/* ---- Machine ------------------------------------------------------------ */

static void noop_softirq(void)
{
}

static int parse_cmdline(const char *cmdline)
{
    return parse_params(cmdline, __start_sim_param, __stop_sim_param);
}

void sim_init(const struct sim_opts *o)
{
    struct domain *idle;

    if ( o->nr_cpus < 1 || o->nr_cpus > SIM_MAX_CPUS )
        panic("simulator: %u pCPUs", o->nr_cpus);

    /* Forget whatever a failed test left behind. */
    sim_events_reset();
    memset(domains, 0, sizeof(domains));
    nr_domains = 0;
    next_domid = 1;
    periodics = NULL;
    idle_domain = NULL;
    sim_latencies_reset();
    memset(&sim_stats, 0, sizeof(sim_stats));
    sim_set_trylock_fail_pct(0);
    sim_locks_reset();
    sim_srand(o->seed ? o->seed : 12345);

    sim_nr_cpus = o->nr_cpus;
    nr_cpu_ids = o->nr_cpus;
    cpumask_clear(&cpu_online_map);
    for ( unsigned int c = 0; c < NR_CPUS; c++ )
    {
        memset(&per_cpu(sched_res, c), 0, sizeof(struct sched_resource));
        idle_with_work_since[c] = -1;
        idle_with_work_reported[c] = false;
        if ( c < o->nr_cpus )
            cpumask_set_cpu(c, &cpu_online_map);
    }

    /* Pending softirq bits of an earlier run: clear them harmlessly. */
    open_softirq(SCHEDULE_SOFTIRQ, noop_softirq);
    for ( unsigned int c = 0; c < NR_CPUS; c++ )
    {
        sim_cpu = c;
        do_softirq();
    }
    sim_cpu = SIM_CTL_CPU;

    /* Boot options: the defaults again, then this run's. */
    parse_cmdline(SIM_DEFAULT_CMDLINE);
    if ( o->cmdline )
        parse_cmdline(o->cmdline);

    sim_clock = SIM_T0;
    if ( scheduler_init() )
        panic("simulator: scheduler_init failed");

    idle = calloc(1, sizeof(*idle));
    if ( !idle || !(idle->vcpu = calloc(NR_CPUS, sizeof(struct vcpu *))) )
        panic("simulator: out of memory");
    idle->domain_id = DOMID_IDLE;
    idle->max_vcpus = NR_CPUS;
    snprintf(idle->name, sizeof(idle->name), "idle");
    idle_domain = idle;
    for ( unsigned int c = 0; c < o->nr_cpus; c++ )
    {
        struct vcpu *v = calloc(1, sizeof(*v));

        if ( !v )
            panic("simulator: out of memory");
        /* As domain.c's idle_vcpu_init() leaves it. */
        v->vcpu_id = c;
        v->domain = idle;
        v->processor = c;
        cpumask_set_cpu(c, &v->cpu_hard_affinity);
        v->runstate.state = RUNSTATE_running;
        idle->vcpu[c] = v;
        if ( sched_cpu_init(c) )
            panic("simulator: sched_cpu_init(%u) failed", c);
    }

    sim_idle_limit = sim_tslice() / 3 + MICROSECS(100);
    sim_wait_limit = SECONDS(2);
    sim_short_stint = MILLISECS(1);
}

void sim_fini(void)
{
    sim_drain_softirqs();
    while ( nr_domains )
        sim_domain_destroy(domains[nr_domains - 1]);
    sim_drain_softirqs();

    for ( unsigned int c = 0; c < sim_nr_cpus; c++ )
    {
        struct vcpu *v = idle_domain->vcpu[c];

        sched_credit_def.free_vdata(v->sched_priv);
        free(v);
    }
    free(idle_domain->vcpu);
    free(idle_domain);
    idle_domain = NULL;

    sim_events_reset();
    while ( periodics )
    {
        struct sim_periodic *p = periodics;

        periodics = p->next;
        free(p);
    }
    sim_latencies_reset();

    if ( sim_xmalloc_outstanding() )
        sim_violation("%ld xmalloc block(s) never freed",
                      sim_xmalloc_outstanding());
}

/* ---- Domains ------------------------------------------------------------ */

struct sim_domain *sim_domain_create(unsigned int nr, u16 weight, u16 cap,
                                     enum sim_behaviour b)
{
    struct sim_domain *sd = calloc(1, sizeof(*sd));
    struct domain *d;
    int rc;

    if ( !sd || nr_domains == SIM_MAX_DOMAINS ||
         !(sd->vcpus = calloc(nr, sizeof(*sd->vcpus))) ||
         !(sd->d.vcpu = calloc(nr, sizeof(struct vcpu *))) )
        panic("simulator: cannot create a domain");

    d = &sd->d;
    d->domain_id = next_domid++;
    d->max_vcpus = nr;
    d->refcnt = 1;
    d->state = DOMSTATE_active;
    snprintf(d->name, sizeof(d->name), "d%u", d->domain_id);
    INIT_LIST_HEAD(&d->page_list);
    INIT_LIST_HEAD(&d->domain_list);
    sd->nr = nr;
    sd->alive = true;
    sd->cap_changed_at = -SECONDS(100);

    ON_CTL(rc = sched_init_domain(d));
    if ( rc )
        panic("simulator: sched_init_domain: %d", rc);

    for ( unsigned int i = 0; i < nr; i++ )
    {
        struct sim_vcpu *sv = calloc(1, sizeof(*sv));
        struct vcpu *v;

        if ( !sv )
            panic("simulator: out of memory");
        v = &sv->v;
        sv->sd = sd;
        sv->created = sim_clock;
        sv->behaviour = b;
        switch ( b )
        {
        case SIM_CPU_BOUND:
            break;
        case SIM_IO_BOUND:
            sim_vcpu_set_io(sv, MICROSECS(200), MICROSECS(200),
                            MICROSECS(4500), MICROSECS(5500));
            break;
        case SIM_MIXED:
            sim_vcpu_set_io(sv, MILLISECS(1), MILLISECS(4), MILLISECS(1),
                            MILLISECS(5));
            break;
        }
        sv->remaining = b == SIM_CPU_BOUND ? 0 : next_burst(sv);
        for ( unsigned int c = 0; c < NR_CPUS; c++ )
            cpumask_set_cpu(c, &sv->allowed);
        init_timer(&sv->burst_timer, burst_end_fn, sv, 0);
        init_timer(&sv->wake_timer, wake_fn, sv, 0);

        v->vcpu_id = i;
        v->domain = d;
        v->pause_flags = VPF_down;
        for ( unsigned int c = 0; c < NR_CPUS; c++ )
            cpumask_set_cpu(c, &v->cpu_hard_affinity);
        sd->vcpus[i] = sv;
        d->vcpu[i] = v;
        /* As domain.c spreads them: the n-th online pCPU. */
        ON_CTL(rc = sched_init_vcpu(v, (d->domain_id + i) % sim_nr_cpus));
        if ( rc )
            panic("simulator: sched_init_vcpu: %d", rc);
    }

    domains[nr_domains++] = sd;
    if ( sim_domain_set(sd, weight, cap) )
        panic("simulator: bad weight %u / cap %u", weight, cap);
    return sd;
}

void sim_vcpu_set_io(struct sim_vcpu *sv, s_time_t burst_min,
                     s_time_t burst_max, s_time_t sleep_min,
                     s_time_t sleep_max)
{
    sv->burst_min = burst_min;
    sv->burst_max = burst_max;
    sv->sleep_min = sleep_min;
    sv->sleep_max = sleep_max;
    if ( sv->behaviour != SIM_CPU_BOUND )
        sv->remaining = next_burst(sv);
}

void sim_domain_start(struct sim_domain *sd)
{
    for ( unsigned int i = 0; i < sd->nr; i++ )
    {
        struct vcpu *v = &sd->vcpus[i]->v;

        /* vcpu_up() */
        if ( __atomic_fetch_and(&v->pause_flags, ~VPF_down,
                                __ATOMIC_SEQ_CST) & VPF_down )
            ON_CTL(vcpu_wake(v));
    }
}

int sim_domain_set(struct sim_domain *sd, u16 weight, u16 cap)
{
    struct xen_domctl_scheduler_op op = {
        .sched_id = XEN_SCHEDULER_CREDIT,
        .cmd = XEN_DOMCTL_SCHEDOP_putinfo,
        .credit = { .weight = weight, .cap = cap },
    };
    int rc;

    ON_CTL(rc = sched_adjust(&sd->d, &op));
    if ( !rc && cap != sd->cap )
    {
        sd->cap = cap;
        sd->cap_changed_at = sim_clock;
    }
    return rc;
}

/* domain_pause(): pause count up, then wait until each is off-CPU. */
void sim_domain_pause(struct sim_domain *sd)
{
    __atomic_add_fetch(&sd->d.pause_count, 1, __ATOMIC_SEQ_CST);
    for ( unsigned int i = 0; i < sd->nr; i++ )
        ON_CTL(vcpu_sleep_sync(&sd->vcpus[i]->v));
}

void sim_domain_unpause(struct sim_domain *sd)
{
    if ( __atomic_sub_fetch(&sd->d.pause_count, 1, __ATOMIC_SEQ_CST) )
        return;
    for ( unsigned int i = 0; i < sd->nr; i++ )
        ON_CTL(vcpu_wake(&sd->vcpus[i]->v));
}

/* domain_destroy(): pause, take every vCPU out, free the lot. */
void sim_domain_destroy(struct sim_domain *sd)
{
    struct domain *d = &sd->d;
    unsigned int i;

    __atomic_store_n(&d->state, DOMSTATE_dying, __ATOMIC_SEQ_CST);
    sim_domain_pause(sd);
    for ( i = 0; i < sd->nr; i++ )
    {
        kill_timer(&sd->vcpus[i]->burst_timer);
        kill_timer(&sd->vcpus[i]->wake_timer);
        ON_CTL(sched_destroy_vcpu(&sd->vcpus[i]->v));
    }
    ON_CTL(sched_destroy_domain(d));
    d->state = DOMSTATE_dead;

    for ( i = 0; i < nr_domains && domains[i] != sd; i++ )
        ;
    if ( i < nr_domains )
    {
        memmove(&domains[i], &domains[i + 1],
                (nr_domains - i - 1) * sizeof(domains[0]));
        nr_domains--;
    }
    for ( i = 0; i < sd->nr; i++ )
        free(sd->vcpus[i]);
    free(sd->vcpus);
    free(d->vcpu);
    free(sd);
}

int sim_vcpu_pin(struct sim_vcpu *sv, const cpumask_t *mask)
{
    int rc;

    ON_CTL(rc = vcpu_set_hard_affinity(&sv->v, mask));
    if ( !rc )
        cpumask_copy(&sv->allowed, mask);
    return rc;
}

u64 sim_domain_cpu_time(struct sim_domain *sd)
{
    u64 t = 0;

    for ( unsigned int i = 0; i < sd->nr; i++ )
        ON_CTL(t += vcpu_cpu_time(&sd->vcpus[i]->v));
    return t;
}

struct sim_domain *sim_domain_by_index(unsigned int i)
{
    return i < nr_domains ? domains[i] : NULL;
}

unsigned int sim_nr_domains(void)
{
    return nr_domains;
}
