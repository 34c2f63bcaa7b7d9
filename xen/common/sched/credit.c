/*
 * The credit scheduler, after Xen's credit1: proportional share by
 * domain weight, an optional cap in percent of one pCPU, and a boost for
 * vCPUs that wake after blocking so that I/O-bound vCPUs run soon.
 *
 * - Credit is nanoseconds of pCPU time.  A running vCPU is debited by the
 *   time it actually ran (exact accounting, not Xen's sampling at the
 *   tick), at every tick, every schedule and every accounting.
 * - Every time slice (30 ms) the accounting hands out slice * online
 *   pCPUs of credit among the domains with active vCPUs, in proportion to
 *   their weights, a domain getting no more than one pCPU per active vCPU
 *   and no more than its cap; what a domain cannot use goes to the others
 *   (water-filling).  A domain's credit is split evenly among its active
 *   vCPUs.  A vCPU is active from the time it runs until its credit
 *   exceeds one slice (it is not using its share): then it stops earning
 *   and keeps half, so an idle vCPU cannot hoard (a running one is
 *   clamped to one slice instead).  Credit below minus one slice is
 *   clamped there.
 * - Priorities: BOOST > UNDER (credit >= 0) > OVER (credit < 0) > IDLE.
 *   A vCPU woken with UNDER is BOOSTed and loses it once it has run (the
 *   first debit: its tick or its deschedule).
 * - One runqueue per pCPU, sorted by priority, FIFO within a priority.  A
 *   pCPU whose next choice is OVER or idle steals from its peers a queued
 *   vCPU of higher priority (so an idle pCPU takes OVER work as well: it
 *   must not idle while work waits) that its affinity allows and that is
 *   not cache-hot (left its pCPU less than the migration delay ago).
 * - Rate limit: a vCPU that started running less than the rate limit ago
 *   is only preempted by a vCPU of strictly higher priority.
 * - Cap: a per-domain budget of cap% of a slice, refilled at accounting
 *   (never above one period's worth) and debited with the credit.  At
 *   zero the domain is parked: its vCPUs stay queued but are not picked,
 *   until an accounting refills the budget.  A capped vCPU's slice is
 *   cut to its share of the remaining budget, so a domain overshoots
 *   its cap by at most the debits still pending on its other pCPUs,
 *   which a tick bounds.
 * - Weight and cap changes take effect at the next accounting.
 *
 * Locking (see also core.c):
 * - A pCPU's schedule lock protects its runqueue and nr_queued, and pri,
 *   runq_elem, start_time, last_debit and yield of every vCPU assigned to
 *   it.  nr_queued is also read without the lock as a hint.
 * - prv.lock (irqsave; taken inside schedule locks, never around one)
 *   protects the domain list, each domain's active list, nr_active,
 *   weight/cap (in force and pending), the accounting scratch fields
 *   and the global parameters' writes.
 * - credit and budget are changed only by atomic read-modify-writes, from
 *   debits (schedule lock) and accounting (neither lock of the vCPU's
 *   pCPU): only atomicity matters, every decision taken on them is taken
 *   again at the next tick or accounting, so relaxed ordering suffices.
 * - weight, cap, tslice, ratelimit, idlers are read without locks where
 *   a stale value only delays a decision to the next schedule/tick.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/list.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <xen/sched-if.h>
#include <xen/smp.h>
#include <xen/softirq.h>
#include <xen/spinlock.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <xen/xmalloc.h>

#define CSCHED_PRI_TS_BOOST      0      /* woke up, has not run since */
#define CSCHED_PRI_TS_UNDER     -1      /* credit >= 0 */
#define CSCHED_PRI_TS_OVER      -2      /* credit < 0 */
#define CSCHED_PRI_IDLE        -64      /* the idle vCPU */

#define CSCHED_DEFAULT_WEIGHT   256
#define CSCHED_TICKS_PER_TSLICE 3
#define TSLICE_MIN_MS           1
#define TSLICE_MAX_MS           1000
#define TSLICE_DEFAULT_MS       30
#define RATELIMIT_MIN_US        100U
#define RATELIMIT_DEFAULT_US    1000U
#define MIGRATION_DELAY_MAX_US  100000
#define MIGRATION_DELAY_DEFAULT_US 1000

/* Shortest slice a capped vCPU gets, so a nearly spent budget does not
 * turn into a storm of tiny slices. */
#define CSCHED_MIN_CAP_SLICE    MICROSECS(50)
/* An idle pCPU that found a peer's lock taken, or a candidate still
 * being switched out, looks again this soon. */
#define CSCHED_BUSY_RETRY       MICROSECS(50)

#define S_TIME_MAX              ((s_time_t)0x7fffffffffffffffLL)

/*
 * Boot options.  Xen's vcpu_migration_delay defaults to 0; we default to
 * 1 ms: a vCPU preempted a moment ago still has a warm cache where it
 * was, and an idle pCPU that waits out the delay (it re-checks when the
 * delay ends) costs less than the refill of a cold cache would.
 */
static unsigned int sched_credit_tslice_ms = TSLICE_DEFAULT_MS;
integer_param("sched_credit_tslice_ms", sched_credit_tslice_ms);
static unsigned int sched_ratelimit_us = RATELIMIT_DEFAULT_US;
integer_param("sched_ratelimit_us", sched_ratelimit_us);
static unsigned int sched_credit_migration_delay_us =
    MIGRATION_DELAY_DEFAULT_US;
integer_param("sched_credit_migration_delay_us",
              sched_credit_migration_delay_us);

struct csched_pcpu
{
    struct list_head runq;              /* sorted: see runq_insert() */
    unsigned int nr_queued;             /* entries on runq */
    struct timer ticker;
    /* Counters for the 's' dump; written under the schedule lock. */
    u64 nr_ticks;
    u64 nr_steals;                      /* vCPUs this pCPU took */
    u64 nr_steal_busy;                  /* peer locks found taken */
    u64 nr_boosts;
    u64 nr_tickles;
    u64 nr_ratelimit_holds;
};

struct csched_dom
{
    struct domain *dom;
    struct list_head elem;              /* on prv.domains */
    struct list_head active_vcpus;      /* csched_vcpu.active_elem */
    unsigned int nr_active;
    u16 weight, cap;                    /* in force */
    u16 new_weight, new_cap;            /* set by adjust, for the next
                                           accounting */
    s64 budget;                         /* cap budget, ns, atomic */
    /* Accounting scratch. */
    s64 acct_fair;
    bool acct_done;
};

struct csched_vcpu
{
    struct vcpu *vcpu;
    struct csched_dom *sdom;            /* NULL for an idle vCPU */
    struct list_head runq_elem;         /* on the runq of vcpu->processor */
    int pri;
    s64 credit;                         /* ns, atomic */
    s_time_t start_time;                /* went on its pCPU (rate limit) */
    s_time_t last_debit;                /* run time debited up to here */
    bool yield;
    bool active;
    struct list_head active_elem;       /* on sdom->active_vcpus */
};

static struct
{
    spinlock_t lock;
    struct list_head domains;
    unsigned int tslice_ms, ratelimit_us;
    s_time_t tslice, tick_period, ratelimit, migration_delay;
    unsigned int master;                /* pCPU that runs the accounting */
    struct timer acct_timer;
    cpumask_t idlers;                   /* picked idle, not tickled since */
    /* Counters, under prv.lock. */
    u64 nr_acct;
    u64 nr_credit_floor;                /* credit clamped at -slice */
    u64 nr_deactivations;               /* credit above +slice */
    u64 nr_parks, nr_unparks;
} prv;

static DEFINE_PER_CPU(struct csched_pcpu, csched_pcpu);

static struct csched_vcpu *CSCHED_VCPU(const struct vcpu *v)
{
    return v->sched_priv;
}

static struct csched_pcpu *CSCHED_PCPU(unsigned int cpu)
{
    return sched_res_of(cpu)->sched_priv;
}

static const char *pri_name(int pri)
{
    switch ( pri )
    {
    case CSCHED_PRI_TS_BOOST: return "BOOST";
    case CSCHED_PRI_TS_UNDER: return "UNDER";
    case CSCHED_PRI_TS_OVER:  return "OVER";
    case CSCHED_PRI_IDLE:     return "IDLE";
    }
    return "?";
}

static s64 credit_read(const struct csched_vcpu *svc)
{
    return __atomic_load_n(&svc->credit, __ATOMIC_RELAXED);
}

static int credit_pri(const struct csched_vcpu *svc)
{
    return credit_read(svc) < 0 ? CSCHED_PRI_TS_OVER : CSCHED_PRI_TS_UNDER;
}

/* Over its cap: queued but not picked until the budget is refilled. */
static bool sdom_parked(const struct csched_dom *sdom)
{
    return sdom && READ_ONCE(sdom->cap) &&
           __atomic_load_n(&sdom->budget, __ATOMIC_RELAXED) <= 0;
}

static s64 cap_budget(unsigned int cap, s_time_t tslice)
{
    return (s64)cap * tslice / 100;
}

static bool vcpu_on_cpu(const struct vcpu *v)
{
    /* A racy hint: callers only use it to decide whom to poke. */
    return READ_ONCE(sched_res_of(READ_ONCE(v->processor))->curr) == v;
}

/* ---- Runqueues (caller holds the pCPU's schedule lock) ------------------ */

static bool on_runq(const struct csched_vcpu *svc)
{
    return !list_empty(&svc->runq_elem);
}

/*
 * Before the first vCPU of lower priority: FIFO within a priority.  A
 * vCPU that yielded goes behind one lower-priority vCPU as well, if
 * there is one, so that the yield has an effect (as in Xen).
 */
static void runq_insert(struct csched_pcpu *spc, struct csched_vcpu *svc)
{
    struct list_head *iter;

    ASSERT(!on_runq(svc));
    list_for_each ( iter, &spc->runq )
        if ( svc->pri >
             list_entry(iter, struct csched_vcpu, runq_elem)->pri )
            break;
    if ( svc->yield && iter != &spc->runq )
        iter = iter->next;
    list_add_tail(&svc->runq_elem, iter);
    spc->nr_queued++;
}

static void runq_remove(struct csched_pcpu *spc, struct csched_vcpu *svc)
{
    ASSERT(on_runq(svc));
    list_del(&svc->runq_elem);
    spc->nr_queued--;
}

/*
 * May cpu pick svc now?  A queued vCPU can have become unrunnable (its
 * domain paused) while its vcpu_sleep_nosync() is still on the way, e.g.
 * while domain_pause() waits for its siblings: skip it until then.
 */
static bool runq_eligible(const struct csched_vcpu *svc, unsigned int cpu)
{
    return !sdom_parked(svc->sdom) && vcpu_runnable(svc->vcpu) &&
           cpumask_test_cpu(cpu, &svc->vcpu->cpu_hard_affinity);
}

static struct csched_vcpu *runq_first(struct csched_pcpu *spc,
                                      unsigned int cpu)
{
    struct csched_vcpu *svc;

    list_for_each_entry ( svc, &spc->runq, runq_elem )
        if ( runq_eligible(svc, cpu) )
            return svc;
    return NULL;
}

/* ---- Waking other pCPUs ------------------------------------------------- */

/*
 * Poke one idle pCPU other than 'cpu' that svc may run on.  Its bit
 * leaves 'idlers' so the next poke goes elsewhere; it comes back when
 * that pCPU picks idle again.
 */
static bool tickle_idler(unsigned int cpu, const struct csched_vcpu *svc)
{
    unsigned int c;

    for_each_cpu ( c, &prv.idlers )
        if ( c != cpu && cpumask_test_cpu(c, &cpu_online_map) &&
             cpumask_test_cpu(c, &svc->vcpu->cpu_hard_affinity) )
        {
            cpumask_clear_cpu(c, &prv.idlers);
            cpu_raise_softirq(c, SCHEDULE_SOFTIRQ);
            CSCHED_PCPU(cpu)->nr_tickles++;
            return true;
        }
    return false;
}

/*
 * Work waits on cpu's runqueue: let idle pCPUs come and take it, one
 * idler per waiting vCPU (each poke takes its idler out of 'idlers').
 */
static void tickle_idlers_for_runq(unsigned int cpu, struct csched_pcpu *spc)
{
    struct csched_vcpu *svc;
    unsigned int looked = 0;

    list_for_each_entry ( svc, &spc->runq, runq_elem )
    {
        if ( cpumask_empty(&prv.idlers) || ++looked > 4 )
            return;     /* bounded work under the lock */
        if ( !sdom_parked(svc->sdom) && vcpu_runnable(svc->vcpu) &&
             !svc->vcpu->is_running )
            tickle_idler(cpu, svc);
    }
}

/* svc was just queued on cpu: preempt cpu, or wake an idler to take it. */
static void runq_tickle(unsigned int cpu, struct csched_vcpu *svc)
{
    struct vcpu *cur = sched_res_of(cpu)->curr;
    int cur_pri = is_idle_vcpu(cur) ? CSCHED_PRI_IDLE : CSCHED_VCPU(cur)->pri;

    if ( sdom_parked(svc->sdom) )
        return;
    if ( svc->pri > cur_pri )
    {
        cpumask_clear_cpu(cpu, &prv.idlers);
        cpu_raise_softirq(cpu, SCHEDULE_SOFTIRQ);
        CSCHED_PCPU(cpu)->nr_tickles++;
        return;
    }
    tickle_idler(cpu, svc);
}

/* ---- Credit ------------------------------------------------------------- */

static void vcpu_activate(struct csched_vcpu *svc)
{
    unsigned long flags;

    spin_lock_irqsave(&prv.lock, flags);
    if ( !svc->active )
    {
        svc->active = true;
        list_add_tail(&svc->active_elem, &svc->sdom->active_vcpus);
        svc->sdom->nr_active++;
    }
    spin_unlock_irqrestore(&prv.lock, flags);
}

/* The domain's budget just ran out: stop its vCPUs wherever they run. */
static void sdom_park(struct csched_dom *sdom)
{
    struct csched_vcpu *svc;
    unsigned long flags;

    spin_lock_irqsave(&prv.lock, flags);
    prv.nr_parks++;
    list_for_each_entry ( svc, &sdom->active_vcpus, active_elem )
        if ( vcpu_on_cpu(svc->vcpu) )
            cpu_raise_softirq(READ_ONCE(svc->vcpu->processor),
                              SCHEDULE_SOFTIRQ);
    spin_unlock_irqrestore(&prv.lock, flags);
}

/*
 * Debit the running svc for the time since its last debit.  Caller holds
 * the schedule lock of svc's pCPU.  Recomputes its priority, which also
 * ends a BOOST: it has run now.
 */
static void burn_credits(struct csched_vcpu *svc, s_time_t now)
{
    s_time_t delta = now - svc->last_debit;
    struct csched_dom *sdom = svc->sdom;

    if ( delta <= 0 )
        return;
    svc->last_debit = now;
    __atomic_sub_fetch(&svc->credit, delta, __ATOMIC_RELAXED);
    svc->pri = credit_pri(svc);

    if ( READ_ONCE(sdom->cap) )
    {
        s64 old = __atomic_fetch_sub(&sdom->budget, delta,
                                     __ATOMIC_RELAXED);

        if ( old > 0 && old - delta <= 0 )
            sdom_park(sdom);
    }
    if ( !READ_ONCE(svc->active) )
        vcpu_activate(svc);
}

/*
 * How long svc may run.  A capped vCPU gets its share of what is left of
 * the budget, so the domain's vCPUs together stop close to zero.
 */
static s_time_t slice_for(const struct csched_vcpu *svc)
{
    s_time_t slice = READ_ONCE(prv.tslice);
    const struct csched_dom *sdom = svc->sdom;

    if ( READ_ONCE(sdom->cap) )
    {
        unsigned int n = READ_ONCE(sdom->nr_active);
        s64 part = __atomic_load_n(&sdom->budget, __ATOMIC_RELAXED) /
                   (s64)(n ? n : 1);

        if ( part < CSCHED_MIN_CAP_SLICE )
            part = CSCHED_MIN_CAP_SLICE;
        if ( part < slice )
            slice = part;
    }
    return slice;
}

/* ---- pCPU choice and load balancing ------------------------------------- */

static unsigned int csched_pick_cpu(struct vcpu *v)
{
    unsigned int cpu = READ_ONCE(v->processor);
    unsigned int c, best = NR_CPUS, best_load = ~0u;

#define ALLOWED(c) (cpumask_test_cpu(c, &v->cpu_hard_affinity) &&    \
                    cpumask_test_cpu(c, &cpu_online_map))

    /* Where it was, if that pCPU is idle: its cache may still be warm. */
    if ( cpu < NR_CPUS && ALLOWED(cpu) && cpumask_test_cpu(cpu, &prv.idlers) )
        return cpu;

    /* Another idle pCPU, scanning on from cpu so wakers spread out. */
    for ( unsigned int i = 1; i <= NR_CPUS; i++ )
    {
        c = (cpu + i) % NR_CPUS;
        if ( ALLOWED(c) && cpumask_test_cpu(c, &prv.idlers) )
            return c;
    }

    /* The least loaded, preferring where it was. */
    for ( unsigned int i = 0; i < NR_CPUS; i++ )
    {
        unsigned int load;

        c = (cpu + i) % NR_CPUS;
        if ( !ALLOWED(c) || !CSCHED_PCPU(c) )
            continue;
        load = READ_ONCE(CSCHED_PCPU(c)->nr_queued) +
               !is_idle_vcpu(READ_ONCE(sched_res_of(c)->curr));
        if ( load < best_load )
        {
            best = c;
            best_load = load;
        }
    }
#undef ALLOWED

    if ( best == NR_CPUS )
        best = cpumask_next(-1, &cpu_online_map);   /* cannot happen */
    return best;
}

/*
 * Look for a vCPU of priority above 'pri' that 'cpu' may take from a peer.
 * Caller holds cpu's schedule lock; peers' locks are only tried, so two
 * pCPUs stealing from each other cannot deadlock.  *retry comes back
 * with when to look again if something could not be taken yet.
 */
static struct csched_vcpu *csched_steal(unsigned int cpu, s_time_t now,
                                        int pri, s_time_t *retry)
{
    struct csched_pcpu *me = CSCHED_PCPU(cpu);
    s_time_t delay = READ_ONCE(prv.migration_delay);

    for ( unsigned int i = 1; i < NR_CPUS; i++ )
    {
        unsigned int peer = (cpu + i) % NR_CPUS;
        struct csched_pcpu *spc;
        struct csched_vcpu *svc;
        spinlock_t *lock;

        if ( !cpumask_test_cpu(peer, &cpu_online_map) ||
             !(spc = CSCHED_PCPU(peer)) || !READ_ONCE(spc->nr_queued) )
            continue;

        lock = &sched_res_of(peer)->lock;
        if ( !spin_trylock(lock) )
        {
            me->nr_steal_busy++;
            if ( now + CSCHED_BUSY_RETRY < *retry )
                *retry = now + CSCHED_BUSY_RETRY;
            continue;
        }

        list_for_each_entry ( svc, &spc->runq, runq_elem )
        {
            struct vcpu *v = svc->vcpu;

            if ( svc->pri <= pri )
                break;          /* sorted: nothing better further on */
            if ( !runq_eligible(svc, cpu) )
                continue;
            if ( v->is_running )
            {
                /* Its pCPU is still saving its state: very soon. */
                if ( now + CSCHED_BUSY_RETRY < *retry )
                    *retry = now + CSCHED_BUSY_RETRY;
                continue;
            }
            if ( now - v->last_run_time < delay )
            {
                /* Cache-hot where it is: maybe later. */
                if ( v->last_run_time + delay < *retry )
                    *retry = v->last_run_time + delay;
                continue;
            }

            /* Both locks held and v not running: it may change pCPU. */
            runq_remove(spc, svc);
            WRITE_ONCE(v->processor, cpu);
            spin_unlock(lock);
            me->nr_steals++;
            return svc;
        }
        spin_unlock(lock);
    }
    return NULL;
}

/* ---- The policy's decision ---------------------------------------------- */

static struct task_slice csched_schedule(unsigned int cpu, s_time_t now)
{
    struct sched_resource *sr = sched_res_of(cpu);
    struct csched_pcpu *spc = sr->sched_priv;
    struct vcpu *curr = sr->curr;
    struct csched_vcpu *scurr = is_idle_vcpu(curr) ? NULL : CSCHED_VCPU(curr);
    struct csched_vcpu *snext;
    struct task_slice ret = { .task = NULL, .time = -1, .migrated = false };
    s_time_t ratelimit = READ_ONCE(prv.ratelimit);
    s_time_t retry = S_TIME_MAX;

    if ( scurr )
    {
        /* Runnable, and still allowed here: it stays a candidate. */
        bool keep = vcpu_runnable(curr) &&
                    cpumask_test_cpu(cpu, &curr->cpu_hard_affinity);

        burn_credits(scurr, now);

        /* Rate limit: only a higher priority preempts it this early. */
        if ( keep && ratelimit && !scurr->yield &&
             !sdom_parked(scurr->sdom) &&
             now - scurr->start_time < ratelimit )
        {
            snext = runq_first(spc, cpu);
            if ( !snext || snext->pri <= scurr->pri )
            {
                spc->nr_ratelimit_holds++;
                ret.task = curr;
                ret.time = ratelimit - (now - scurr->start_time);
                if ( slice_for(scurr) < ret.time )
                    ret.time = slice_for(scurr);
                return ret;
            }
        }

        if ( keep )
            runq_insert(spc, scurr);
        scurr->yield = false;
    }

    snext = runq_first(spc, cpu);
    if ( !snext || snext->pri <= CSCHED_PRI_TS_OVER )
    {
        struct csched_vcpu *stolen =
            csched_steal(cpu, now, snext ? snext->pri : CSCHED_PRI_IDLE,
                         &retry);

        if ( stolen )
        {
            snext = stolen;
            ret.migrated = true;
        }
    }

    if ( snext )
    {
        if ( !ret.migrated )
            runq_remove(spc, snext);
        if ( snext != scurr )
        {
            snext->start_time = now;
            snext->last_debit = now;
        }
        if ( !READ_ONCE(snext->active) )
            vcpu_activate(snext);
        cpumask_clear_cpu(cpu, &prv.idlers);
        ret.task = snext->vcpu;
        ret.time = slice_for(snext);
        /* Running OVER while better work cools elsewhere: look again. */
        if ( retry != S_TIME_MAX && retry - now < ret.time )
            ret.time = retry - now;
    }
    else
    {
        cpumask_set_cpu(cpu, &prv.idlers);
        ret.task = sr->idle;
        if ( retry != S_TIME_MAX )
            ret.time = retry - now;
    }
    if ( ret.time == 0 )
        ret.time = 1;

    if ( spc->nr_queued )
        tickle_idlers_for_runq(cpu, spc);
    return ret;
}

/* ---- The tick and the accounting ---------------------------------------- */

/* Any peer with queued work?  A racy hint for an idle pCPU's tick. */
static bool peers_have_work(unsigned int cpu)
{
    unsigned int c;

    for_each_online_cpu ( c )
        if ( c != cpu && CSCHED_PCPU(c) &&
             READ_ONCE(CSCHED_PCPU(c)->nr_queued) )
            return true;
    return false;
}

static s_time_t next_period(const struct timer *t, s_time_t period,
                            s_time_t now)
{
    s_time_t next = t->expires + period;

    /* Late by more than a period: do not fire a burst to catch up. */
    return next > now ? next : now + period;
}

static void csched_tick(void *data)
{
    unsigned int cpu = (unsigned int)(unsigned long)data;
    struct sched_resource *sr = sched_res_of(cpu);
    struct csched_pcpu *spc = sr->sched_priv;
    struct csched_vcpu *head;
    unsigned long flags;
    s_time_t now = NOW();
    bool resched = false;

    spin_lock_irqsave(&sr->lock, flags);
    spc->nr_ticks++;
    head = runq_first(spc, cpu);
    if ( !is_idle_vcpu(sr->curr) )
    {
        struct csched_vcpu *scurr = CSCHED_VCPU(sr->curr);

        burn_credits(scurr, now);
        resched = sdom_parked(scurr->sdom) ||
                  (head && head->pri > scurr->pri);
    }
    else
        resched = head || peers_have_work(cpu);
    spin_unlock_irqrestore(&sr->lock, flags);

    if ( resched )
        cpu_raise_softirq(cpu, SCHEDULE_SOFTIRQ);
    set_timer(&spc->ticker,
              next_period(&spc->ticker, READ_ONCE(prv.tick_period), now));
}

/*
 * After an accounting: priorities follow the new credits and the runq is
 * re-sorted (stable, so FIFO within a priority is kept); then preempt or
 * wake an idler as a wake would.
 */
static void csched_runq_sort(unsigned int cpu)
{
    struct sched_resource *sr = sched_res_of(cpu);
    struct csched_pcpu *spc = sr->sched_priv;
    struct list_head by_pri[3];
    struct csched_vcpu *svc, *tmp, *head;
    unsigned long flags;
    int cur_pri = CSCHED_PRI_IDLE;
    bool resched;

    for ( unsigned int i = 0; i < 3; i++ )
        INIT_LIST_HEAD(&by_pri[i]);

    spin_lock_irqsave(&sr->lock, flags);

    list_for_each_entry_safe ( svc, tmp, &spc->runq, runq_elem )
    {
        if ( svc->pri != CSCHED_PRI_TS_BOOST )
            svc->pri = credit_pri(svc);
        list_del(&svc->runq_elem);
        list_add_tail(&svc->runq_elem, &by_pri[-svc->pri]);
    }
    for ( unsigned int i = 0; i < 3; i++ )
        list_for_each_entry_safe ( svc, tmp, &by_pri[i], runq_elem )
        {
            list_del(&svc->runq_elem);
            list_add_tail(&svc->runq_elem, &spc->runq);
        }

    if ( !is_idle_vcpu(sr->curr) )
    {
        svc = CSCHED_VCPU(sr->curr);
        if ( svc->pri != CSCHED_PRI_TS_BOOST )
            svc->pri = credit_pri(svc);
        cur_pri = sdom_parked(svc->sdom) ? CSCHED_PRI_IDLE : svc->pri;
    }
    head = runq_first(spc, cpu);
    resched = head && head->pri > cur_pri;
    if ( !resched && spc->nr_queued )
        tickle_idlers_for_runq(cpu, spc);

    spin_unlock_irqrestore(&sr->lock, flags);

    if ( resched )
        cpu_raise_softirq(cpu, SCHEDULE_SOFTIRQ);
}

static s64 sdom_peak(const struct csched_dom *sdom, s_time_t tslice)
{
    s64 peak = (s64)sdom->nr_active * tslice;

    if ( sdom->cap && cap_budget(sdom->cap, tslice) < peak )
        peak = cap_budget(sdom->cap, tslice);
    return peak;
}

/* Halve credit atomically against concurrent debits. */
static void credit_halve(struct csched_vcpu *svc)
{
    s64 old = credit_read(svc);

    while ( !__atomic_compare_exchange_n(&svc->credit, &old, old / 2, false,
                                         __ATOMIC_RELAXED,
                                         __ATOMIC_RELAXED) )
        ;
}

/* Bring credit into [lo, hi]; whether it had to change. */
static bool credit_clamp(struct csched_vcpu *svc, s64 lo, s64 hi)
{
    s64 old = credit_read(svc), new;

    do {
        new = old < lo ? lo : old > hi ? hi : old;
        if ( new == old )
            return false;
    } while ( !__atomic_compare_exchange_n(&svc->credit, &old, new, false,
                                           __ATOMIC_RELAXED,
                                           __ATOMIC_RELAXED) );
    return true;
}

/* Phase 1 of the accounting; caller holds prv.lock. */
static void csched_hand_out_credit(void)
{
    s_time_t tslice = prv.tslice;
    s64 remaining = tslice * (s64)cpumask_weight(&cpu_online_map);
    u64 weight_left = 0;
    struct csched_dom *sdom;
    bool changed;

    list_for_each_entry ( sdom, &prv.domains, elem )
    {
        /* Changes made by adjust() take effect now. */
        if ( sdom->new_cap != sdom->cap )
            __atomic_store_n(&sdom->budget, 0, __ATOMIC_RELAXED);
        WRITE_ONCE(sdom->weight, sdom->new_weight);
        WRITE_ONCE(sdom->cap, sdom->new_cap);

        sdom->acct_fair = 0;
        sdom->acct_done = !sdom->nr_active;
        if ( sdom->nr_active )
            weight_left += sdom->weight;
    }

    /*
     * Water-filling: a domain whose weighted share exceeds what it can
     * use (one pCPU per active vCPU, its cap) gets that much and leaves
     * the rest to the others; repeat until no share exceeds its peak.
     * Saturating one domain only raises the others' shares, so one pass
     * over the list per saturation round is enough.
     */
    do {
        changed = false;
        list_for_each_entry ( sdom, &prv.domains, elem )
        {
            s64 peak;

            if ( sdom->acct_done )
                continue;
            peak = sdom_peak(sdom, tslice);
            if ( remaining * (s64)sdom->weight / (s64)weight_left >= peak )
            {
                sdom->acct_fair = peak;
                sdom->acct_done = true;
                remaining -= peak;
                weight_left -= sdom->weight;
                changed = true;
            }
        }
    } while ( changed && weight_left );

    list_for_each_entry ( sdom, &prv.domains, elem )
    {
        struct csched_vcpu *svc, *tmp;
        s64 per_vcpu;

        if ( !sdom->acct_done )
            sdom->acct_fair = remaining * (s64)sdom->weight /
                              (s64)weight_left;
        if ( !sdom->nr_active )
            goto budget;

        per_vcpu = sdom->acct_fair / sdom->nr_active;
        list_for_each_entry_safe ( svc, tmp, &sdom->active_vcpus,
                                   active_elem )
        {
            s64 credit = __atomic_add_fetch(&svc->credit, per_vcpu,
                                            __ATOMIC_RELAXED);

            if ( credit > tslice && vcpu_on_cpu(svc->vcpu) )
                /* Running: it stays active, but banks one slice at most. */
                credit_clamp(svc, -tslice, tslice);
            else if ( credit > tslice )
            {
                /* Not using its share: stop earning, keep half. */
                svc->active = false;
                list_del(&svc->active_elem);
                sdom->nr_active--;
                credit_halve(svc);
                prv.nr_deactivations++;
            }
            else if ( credit < -tslice && credit_clamp(svc, -tslice, tslice) )
                prv.nr_credit_floor++;
        }

    budget:
        if ( sdom->cap )
        {
            s64 full = cap_budget(sdom->cap, tslice);
            s64 old = __atomic_load_n(&sdom->budget, __ATOMIC_RELAXED);
            s64 new;

            /* Refill, never above one period's worth. */
            do {
                new = old + full < full ? old + full : full;
            } while ( !__atomic_compare_exchange_n(&sdom->budget, &old, new,
                                                   false, __ATOMIC_RELAXED,
                                                   __ATOMIC_RELAXED) );
            if ( old <= 0 && new > 0 )
                prv.nr_unparks++;
        }
    }
    prv.nr_acct++;
}

static void csched_acct(void *data)
{
    s_time_t now = NOW();
    unsigned long flags;
    unsigned int cpu;

    (void)data;

    /*
     * Phase 0: debit what the running vCPUs ran so far, so the budgets
     * refilled below start the new period from zero pending debits.
     * Schedule locks are taken one at a time and never with prv.lock.
     */
    for_each_online_cpu ( cpu )
    {
        struct sched_resource *sr = sched_res_of(cpu);

        spin_lock_irqsave(&sr->lock, flags);
        if ( !is_idle_vcpu(sr->curr) )
            burn_credits(CSCHED_VCPU(sr->curr), now);
        spin_unlock_irqrestore(&sr->lock, flags);
    }

    /* Phase 1: hand out credit and refill budgets. */
    spin_lock_irqsave(&prv.lock, flags);
    csched_hand_out_credit();
    spin_unlock_irqrestore(&prv.lock, flags);

    /* Phase 2: each pCPU's queue follows the new priorities. */
    for_each_online_cpu ( cpu )
        csched_runq_sort(cpu);

    set_timer(&prv.acct_timer,
              next_period(&prv.acct_timer, READ_ONCE(prv.tslice), now));
}

/* ---- Hooks called by core.c --------------------------------------------- */

static int csched_init(void)
{
    unsigned int tslice_ms = sched_credit_tslice_ms;
    unsigned int ratelimit_us = sched_ratelimit_us;
    unsigned int delay_us = sched_credit_migration_delay_us;

    if ( tslice_ms < TSLICE_MIN_MS || tslice_ms > TSLICE_MAX_MS )
    {
        printk(XENLOG_WARNING "sched_credit_tslice_ms=%u outside [%u,%u]: "
               "using %u\n", tslice_ms, TSLICE_MIN_MS, TSLICE_MAX_MS,
               TSLICE_DEFAULT_MS);
        tslice_ms = TSLICE_DEFAULT_MS;
    }
    if ( ratelimit_us &&
         (ratelimit_us < RATELIMIT_MIN_US || ratelimit_us > tslice_ms * 1000) )
    {
        unsigned int fallback = min(RATELIMIT_DEFAULT_US, tslice_ms * 1000);

        printk(XENLOG_WARNING "sched_ratelimit_us=%u outside [%u,%u] "
               "(or 0): using %u\n", ratelimit_us, RATELIMIT_MIN_US,
               tslice_ms * 1000, fallback);
        ratelimit_us = fallback;
    }
    if ( delay_us > MIGRATION_DELAY_MAX_US )
    {
        printk(XENLOG_WARNING "sched_credit_migration_delay_us=%u above %u: "
               "using %u\n", delay_us, MIGRATION_DELAY_MAX_US,
               MIGRATION_DELAY_DEFAULT_US);
        delay_us = MIGRATION_DELAY_DEFAULT_US;
    }

    memset(&prv, 0, sizeof(prv));
    spin_lock_init(&prv.lock);
    INIT_LIST_HEAD(&prv.domains);
    prv.tslice_ms = tslice_ms;
    prv.tslice = MILLISECS(tslice_ms);
    prv.tick_period = prv.tslice / CSCHED_TICKS_PER_TSLICE;
    prv.ratelimit_us = ratelimit_us;
    prv.ratelimit = MICROSECS(ratelimit_us);
    prv.migration_delay = MICROSECS(delay_us);
    prv.master = NR_CPUS;
    cpumask_clear(&prv.idlers);
    return 0;
}

static int csched_init_pdata(unsigned int cpu)
{
    struct csched_pcpu *spc = &per_cpu(csched_pcpu, cpu);
    s_time_t now = NOW();

    memset(spc, 0, sizeof(*spc));
    INIT_LIST_HEAD(&spc->runq);
    sched_res_of(cpu)->sched_priv = spc;

    init_timer(&spc->ticker, csched_tick, (void *)(unsigned long)cpu, cpu);
    set_timer(&spc->ticker, now + prv.tick_period);

    /* The first pCPU up runs the accounting for everyone. */
    if ( prv.master == NR_CPUS )
    {
        prv.master = cpu;
        init_timer(&prv.acct_timer, csched_acct, NULL, cpu);
        set_timer(&prv.acct_timer, now + prv.tslice);
    }

    cpumask_set_cpu(cpu, &prv.idlers);     /* it runs its idle vCPU */
    return 0;
}

static void *csched_alloc_domdata(struct domain *d)
{
    struct csched_dom *sdom = xzalloc(struct csched_dom);
    unsigned long flags;

    if ( !sdom )
        return NULL;
    sdom->dom = d;
    INIT_LIST_HEAD(&sdom->active_vcpus);
    sdom->weight = sdom->new_weight = CSCHED_DEFAULT_WEIGHT;

    spin_lock_irqsave(&prv.lock, flags);
    list_add_tail(&sdom->elem, &prv.domains);
    spin_unlock_irqrestore(&prv.lock, flags);
    return sdom;
}

static void csched_free_domdata(void *data)
{
    struct csched_dom *sdom = data;
    unsigned long flags;

    spin_lock_irqsave(&prv.lock, flags);
    /* Its vCPUs were freed first, which took them off active_vcpus. */
    ASSERT(list_empty(&sdom->active_vcpus));
    list_del(&sdom->elem);
    spin_unlock_irqrestore(&prv.lock, flags);
    xfree(sdom);
}

static void *csched_alloc_vdata(struct vcpu *v, void *domdata)
{
    struct csched_vcpu *svc = xzalloc(struct csched_vcpu);

    if ( !svc )
        return NULL;
    svc->vcpu = v;
    svc->sdom = domdata;
    INIT_LIST_HEAD(&svc->runq_elem);
    INIT_LIST_HEAD(&svc->active_elem);
    svc->pri = domdata ? CSCHED_PRI_TS_UNDER : CSCHED_PRI_IDLE;
    return svc;
}

static void csched_free_vdata(void *data)
{
    struct csched_vcpu *svc = data;
    unsigned long flags;

    if ( !svc )
        return;
    ASSERT(!on_runq(svc));
    if ( svc->sdom )
    {
        spin_lock_irqsave(&prv.lock, flags);
        if ( svc->active )
        {
            list_del(&svc->active_elem);
            svc->sdom->nr_active--;
        }
        spin_unlock_irqrestore(&prv.lock, flags);
    }
    xfree(svc);
}

/* v enters v->processor's view: queue it if it waits for a pCPU. */
static void csched_insert_vcpu(struct vcpu *v)
{
    struct csched_vcpu *svc = CSCHED_VCPU(v);

    if ( is_idle_vcpu(v) || on_runq(svc) || v->is_running ||
         v->runstate.state != RUNSTATE_runnable )
        return;
    if ( svc->pri != CSCHED_PRI_TS_BOOST )
        svc->pri = credit_pri(svc);
    runq_insert(CSCHED_PCPU(v->processor), svc);
    runq_tickle(v->processor, svc);
}

/* v leaves v->processor's view (migration, destruction). */
static void csched_remove_vcpu(struct vcpu *v)
{
    struct csched_vcpu *svc = CSCHED_VCPU(v);

    if ( on_runq(svc) )
        runq_remove(CSCHED_PCPU(v->processor), svc);
}

static void csched_vcpu_sleep(struct vcpu *v)
{
    /* A running v is taken off by schedule(), which core.c raised. */
    csched_remove_vcpu(v);
}

static void csched_vcpu_wake(struct vcpu *v)
{
    struct csched_vcpu *svc = CSCHED_VCPU(v);
    unsigned int cpu = v->processor;

    if ( is_idle_vcpu(v) || sched_res_of(cpu)->curr == v || on_runq(svc) )
        return;

    /* Woken with credit left: BOOST, to run ahead of the CPU hogs. */
    svc->pri = credit_pri(svc);
    if ( svc->pri == CSCHED_PRI_TS_UNDER && !sdom_parked(svc->sdom) )
    {
        svc->pri = CSCHED_PRI_TS_BOOST;
        CSCHED_PCPU(cpu)->nr_boosts++;
    }
    runq_insert(CSCHED_PCPU(cpu), svc);
    runq_tickle(cpu, svc);
}

static void csched_vcpu_yield(struct vcpu *v)
{
    CSCHED_VCPU(v)->yield = true;
}

static void csched_context_saved(struct vcpu *prev)
{
    (void)prev;     /* nothing is deferred to this point */
}

static int csched_dom_cntl(struct domain *d,
                           struct xen_domctl_scheduler_op *op)
{
    struct csched_dom *sdom = d->sched_priv;
    unsigned long flags;
    int rc = 0;

    if ( !sdom )
        return -EINVAL;

    spin_lock_irqsave(&prv.lock, flags);
    switch ( op->cmd )
    {
    case XEN_DOMCTL_SCHEDOP_getinfo:
        /* What was set last, in force from the next accounting on. */
        op->credit.weight = sdom->new_weight;
        op->credit.cap = sdom->new_cap;
        break;
    case XEN_DOMCTL_SCHEDOP_putinfo:
        /* Check everything before changing anything. */
        if ( op->credit.weight == 0 ||
             op->credit.cap > 100U * d->max_vcpus )
        {
            rc = -EINVAL;
            break;
        }
        sdom->new_weight = op->credit.weight;
        sdom->new_cap = op->credit.cap;
        break;
    default:
        rc = -EINVAL;
    }
    spin_unlock_irqrestore(&prv.lock, flags);
    return rc;
}

static int csched_sys_cntl(struct xen_sysctl_scheduler_op *op)
{
    unsigned long flags;
    int rc = 0;

    spin_lock_irqsave(&prv.lock, flags);
    switch ( op->cmd )
    {
    case XEN_SYSCTL_SCHEDOP_getinfo:
        op->credit.tslice_ms = prv.tslice_ms;
        op->credit.ratelimit_us = prv.ratelimit_us;
        break;
    case XEN_SYSCTL_SCHEDOP_putinfo:
    {
        u32 t = op->credit.tslice_ms, r = op->credit.ratelimit_us;

        if ( t < TSLICE_MIN_MS || t > TSLICE_MAX_MS ||
             (r && (r < RATELIMIT_MIN_US || r > t * 1000)) )
        {
            rc = -EINVAL;
            break;
        }
        /* The tick and the accounting pick these up when they re-arm. */
        prv.tslice_ms = t;
        WRITE_ONCE(prv.tslice, MILLISECS(t));
        WRITE_ONCE(prv.tick_period, MILLISECS(t) / CSCHED_TICKS_PER_TSLICE);
        prv.ratelimit_us = r;
        WRITE_ONCE(prv.ratelimit, MICROSECS(r));
        break;
    }
    default:
        rc = -EINVAL;
    }
    spin_unlock_irqrestore(&prv.lock, flags);
    return rc;
}

/* ---- Dumps -------------------------------------------------------------- */

static void dump_vcpu(const char *prefix, const struct csched_vcpu *svc)
{
    const struct vcpu *v = svc->vcpu;

    printk("%sd%uv%u pri=%s credit=%ld weight=%u cap=%u%s\n", prefix,
           v->domain->domain_id, v->vcpu_id, pri_name(svc->pri),
           (long)(credit_read(svc) / 1000), READ_ONCE(svc->sdom->weight),
           READ_ONCE(svc->sdom->cap),
           sdom_parked(svc->sdom) ? " parked" : "");
}

/* Caller (core.c) holds cpu's schedule lock. */
static void csched_dump_cpu_state(unsigned int cpu)
{
    struct sched_resource *sr = sched_res_of(cpu);
    struct csched_pcpu *spc = sr->sched_priv;
    const struct csched_vcpu *svc;
    unsigned int n = 0;
    char prefix[32];

    if ( is_idle_vcpu(sr->curr) )
        printk("CPU[%02u] running idle\n", cpu);
    else
    {
        snprintf(prefix, sizeof(prefix), "CPU[%02u] running ", cpu);
        dump_vcpu(prefix, CSCHED_VCPU(sr->curr));
    }
    list_for_each_entry ( svc, &spc->runq, runq_elem )
    {
        snprintf(prefix, sizeof(prefix), "  %u: ", ++n);
        dump_vcpu(prefix, svc);
    }
}

static void csched_dump_settings(void)
{
    const struct csched_dom *sdom;
    unsigned long flags;
    unsigned int cpu;

    spin_lock_irqsave(&prv.lock, flags);
    printk("credit: tslice=%ums ratelimit=%uus tick=%luus "
           "migration_delay=%luus master=CPU%u (credit in us)\n",
           prv.tslice_ms, prv.ratelimit_us,
           (unsigned long)(prv.tick_period / 1000),
           (unsigned long)(prv.migration_delay / 1000), prv.master);
    printk("credit: accountings=%lu credit_floor_clamps=%lu "
           "deactivations=%lu parks=%lu unparks=%lu\n",
           (unsigned long)prv.nr_acct, (unsigned long)prv.nr_credit_floor,
           (unsigned long)prv.nr_deactivations, (unsigned long)prv.nr_parks,
           (unsigned long)prv.nr_unparks);
    list_for_each_entry ( sdom, &prv.domains, elem )
    {
        const struct domain *d = sdom->dom;
        char buf[96];
        unsigned int len = 0, i;

        /*
         * The vCPUs' credit.  A domain's vCPUs outlive its entry here
         * (sched_destroy_domain() comes last), and free_vdata() takes
         * prv.lock, so each sched_priv seen is valid or NULL.
         */
        for ( i = 0; i < d->max_vcpus && i < 6 && len < sizeof(buf); i++ )
        {
            const struct vcpu *v = d->vcpu ? d->vcpu[i] : NULL;
            const struct csched_vcpu *svc = v ? v->sched_priv : NULL;

            if ( svc )
                len += snprintf(buf + len, sizeof(buf) - len, " v%u:%ld",
                                i, (long)(credit_read(svc) / 1000));
        }
        if ( len < sizeof(buf) )
            snprintf(buf + len, sizeof(buf) - len, "%s",
                     i < d->max_vcpus ? " ..." : "");
        printk("credit: d%u weight=%u cap=%u active_vcpus=%u budget=%ldus "
               "credit:%s\n", d->domain_id, sdom->weight, sdom->cap,
               sdom->nr_active,
               (long)(__atomic_load_n(&sdom->budget, __ATOMIC_RELAXED) /
                      1000), buf);
    }
    spin_unlock_irqrestore(&prv.lock, flags);

    /* Per-pCPU counters: plain words, a racy read is fine for a dump. */
    for_each_online_cpu ( cpu )
    {
        const struct csched_pcpu *spc = CSCHED_PCPU(cpu);

        if ( !spc )
            continue;
        printk("CPU[%02u] steals=%lu boosts=%lu tickles=%lu "
               "ratelimit_holds=%lu steal_busy=%lu ticks=%lu queued=%u\n",
               cpu, (unsigned long)READ_ONCE(spc->nr_steals),
               (unsigned long)READ_ONCE(spc->nr_boosts),
               (unsigned long)READ_ONCE(spc->nr_tickles),
               (unsigned long)READ_ONCE(spc->nr_ratelimit_holds),
               (unsigned long)READ_ONCE(spc->nr_steal_busy),
               (unsigned long)READ_ONCE(spc->nr_ticks),
               READ_ONCE(spc->nr_queued));
    }
}

const struct scheduler sched_credit_def = {
    .name           = "SMP Credit Scheduler",
    .opt_name       = "credit",
    .sched_id       = XEN_SCHEDULER_CREDIT,

    .init           = csched_init,
    .init_pdata     = csched_init_pdata,
    .alloc_domdata  = csched_alloc_domdata,
    .free_domdata   = csched_free_domdata,
    .alloc_vdata    = csched_alloc_vdata,
    .free_vdata     = csched_free_vdata,

    .insert_vcpu    = csched_insert_vcpu,
    .remove_vcpu    = csched_remove_vcpu,
    .sleep          = csched_vcpu_sleep,
    .wake           = csched_vcpu_wake,
    .yield          = csched_vcpu_yield,
    .pick_cpu       = csched_pick_cpu,
    .do_schedule    = csched_schedule,
    .context_saved  = csched_context_saved,

    .adjust         = csched_dom_cntl,
    .adjust_global  = csched_sys_cntl,

    .dump_settings  = csched_dump_settings,
    .dump_cpu_state = csched_dump_cpu_state,
};
