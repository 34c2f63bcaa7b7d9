/*
 * A discrete-event simulation of a machine running the real scheduler
 * sources (xen/common/sched/core.c and credit.c): simulated pCPUs and a
 * global clock, the timer and softirq services they use, domains and
 * vCPUs with CPU-bound, I/O-bound and mixed behaviours, continuous
 * invariant checks, and the measurements the tests and the bench use.
 *
 * Model: one event at a time runs to completion on one simulated pCPU
 * (sim_cpu); after each event every pCPU's pending softirqs run (so a
 * raised SCHEDULE_SOFTIRQ runs schedule() on its pCPU at the same
 * simulated time); time only advances between events.  Calls made by a
 * test (pause, pin, adjust...) run on a control pCPU, SIM_CTL_CPU, which
 * is not online and has no current vCPU: like a hypercall from a control
 * domain running elsewhere.
 */
#ifndef SIM_SCHED_H
#define SIM_SCHED_H

#include <xen/types.h>
#include <xen/sched.h>
#include <xen/sched-if.h>
#include <xen/timer.h>

#define SIM_MAX_CPUS        8
#define SIM_CTL_CPU         (NR_CPUS - 1)
#define SIM_MAX_DOMAINS     128
#define SIM_T0              SECONDS(1)      /* clock when sim_init ends */

/* ---- The platform (sim_host.c) ---------------------------------------- */

extern unsigned int sim_nr_cpus;
extern s_time_t sim_clock;

/* Outstanding xmalloc() blocks: the scheduler's allocations. */
long sim_xmalloc_outstanding(void);
/* Make spin_trylock() fail this often (percent) on a free lock. */
void sim_set_trylock_fail_pct(unsigned int pct);
/* Locks held right now (the simulation holds none between events). */
unsigned int sim_locks_held(void);
/* Forget lock identities and the lock order seen so far. */
void sim_locks_reset(void);

/* Deterministic random numbers for behaviours (xorshift32). */
void sim_srand(unsigned int seed);
unsigned int sim_rand(void);
/* Uniform in [lo, hi]. */
s_time_t sim_rand_between(s_time_t lo, s_time_t hi);

/* The event queue behind the timer API, and the run loop. */
void sim_events_reset(void);
/* Run every pCPU's pending softirqs until none is pending. */
void sim_drain_softirqs(void);
/* Run events up to and including time 'end'; the clock ends at 'end'. */
void sim_run_until(s_time_t end);
void sim_run_for(s_time_t dt);

/* Called between events when the clock is about to move on (sim.c). */
void sim_check_invariants(void);

/* ---- Domains, vCPUs, behaviours (sim.c) --------------------------------- */

enum sim_behaviour
{
    SIM_CPU_BOUND,      /* never blocks */
    SIM_IO_BOUND,       /* runs 'burst', blocks, woken 'sleep' later */
    SIM_MIXED,          /* bursts and sleeps drawn from ranges */
};

struct sim_domain;

struct sim_vcpu
{
    struct vcpu v;                      /* what the scheduler sees */
    struct sim_domain *sd;
    enum sim_behaviour behaviour;
    s_time_t burst_min, burst_max;      /* CPU time before blocking */
    s_time_t sleep_min, sleep_max;      /* blocked this long */
    s_time_t remaining;                 /* CPU time left in this burst */
    s_time_t stint_start;               /* went on its pCPU at */
    struct timer burst_timer;           /* the burst ends: it blocks */
    struct timer wake_timer;            /* the simulated interrupt */
    s_time_t created;
    bool awaiting_run;                  /* woken by I/O, not yet run */
    s_time_t woke_at;

    /* Measurements. */
    u64 nr_stints;
    u64 nr_short_preempted;             /* left runnable after running
                                           less than sim_short_stint */
    u64 cpus_ran_on;                    /* bit per pCPU */
    u64 nr_lat;
    s_time_t lat_sum, lat_max;
    s_time_t ran_while_paused;          /* must stay 0 */
    u64 nr_forbidden_cpu;               /* ran outside 'allowed' */
    cpumask_t allowed;                  /* test's view of its affinity */
};

struct sim_domain
{
    struct domain d;
    unsigned int nr;
    struct sim_vcpu **vcpus;
    bool alive;
    u16 cap;                            /* last cap set through sim */
    s_time_t cap_changed_at;
};

/* Boot the machine: nr_cpus pCPUs, boot options in 'cmdline'. */
struct sim_opts
{
    unsigned int nr_cpus;
    const char *cmdline;                /* e.g. "sched_ratelimit_us=0" */
    unsigned int seed;
};
void sim_init(const struct sim_opts *o);
/* Destroy every domain, free everything; reports leaks as violations. */
void sim_fini(void);

/* A domain of nr vCPUs, all with one behaviour; not started. */
struct sim_domain *sim_domain_create(unsigned int nr, u16 weight, u16 cap,
                                     enum sim_behaviour b);
void sim_vcpu_set_io(struct sim_vcpu *sv, s_time_t burst_min,
                     s_time_t burst_max, s_time_t sleep_min,
                     s_time_t sleep_max);
/* vcpu_up() every vCPU: clear VPF_down and wake. */
void sim_domain_start(struct sim_domain *sd);
int sim_domain_set(struct sim_domain *sd, u16 weight, u16 cap);
void sim_domain_pause(struct sim_domain *sd);
void sim_domain_unpause(struct sim_domain *sd);
/* Tear down as domain_destroy() does, and free its memory. */
void sim_domain_destroy(struct sim_domain *sd);
int sim_vcpu_pin(struct sim_vcpu *sv, const cpumask_t *mask);

u64 sim_domain_cpu_time(struct sim_domain *sd);
struct sim_domain *sim_domain_by_index(unsigned int i);
unsigned int sim_nr_domains(void);

/* The current slice length, tick and rate limit in ns. */
s_time_t sim_tslice(void);
s_time_t sim_ratelimit(void);
int sim_set_global(unsigned int tslice_ms, unsigned int ratelimit_us);

/* Periodic callback on the control pCPU, from 'first' every 'period'. */
void sim_every(s_time_t first, s_time_t period, void (*fn)(void *),
               void *data);

/* ---- Invariants and measurements -------------------------------------- */

/*
 * Everything the simulation checks continuously; each violation is
 * counted and the first few described.
 */
struct sim_stats
{
    u64 violations;
    char first[8][160];
    u64 events;
    u64 context_switches;
    u64 wakes;
    s_time_t max_idle_with_work;        /* longest such episode seen */
    s_time_t max_wait;                  /* longest runnable wait seen */
    u64 migrated_hooks;                 /* sched_vcpu_migrated() calls */
    unsigned int last_migrated_cpu;     /* the last one's pCPU */
    bool last_migrated_marked;          /* it had is_migrating set */
};
extern struct sim_stats sim_stats;
void sim_violation(const char *fmt, ...) __printf(1, 2);
/* Print the violations seen (to stdout). */
void sim_report_violations(void);

/* Limits for the continuous checks (defaults set by sim_init). */
extern s_time_t sim_idle_limit;         /* default: one tick + 100 us */
extern s_time_t sim_wait_limit;         /* default: 2 s */
extern s_time_t sim_short_stint;        /* default: 1 ms */

/*
 * Wake-up latencies of I/O wakes, in ns, in the order they ran; only
 * wakes since the last sim_latencies_reset() count.
 */
struct sim_lat
{
    s_time_t *v;
    size_t n, cap;
};
extern struct sim_lat sim_latencies;
void sim_latencies_reset(void);

#endif /* SIM_SCHED_H */
