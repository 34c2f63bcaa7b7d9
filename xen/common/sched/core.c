/*
 * The generic scheduler: per-pCPU schedule locks and current vCPU, the
 * slice timer, the SCHEDULE_SOFTIRQ handler schedule(), block, wake,
 * sleep, yield, migration and hard affinity, runstate accounting, the
 * scheduler domctl/sysctl entry points and the 'r'/'s' dumps.  Who runs
 * next is the policy's business (sched-if.h; credit.c is the only one).
 *
 * Locking:
 * - sched_res(cpu).lock, the schedule lock, protects that pCPU's 'curr',
 *   its policy runqueue and the scheduling fields (processor, is_running,
 *   runstate, sched_priv contents, last_run_time, wake_time, counters) of
 *   every vCPU whose 'processor' is that pCPU.  Always taken with
 *   interrupts off: vcpu_wake() is called from interrupt handlers.
 * - v->processor changes only with both the old and the new pCPU's lock
 *   held, and never while v->is_running.  Two schedule locks are taken in
 *   ascending pCPU order; the one exception, the policy stealing work from
 *   a peer while holding its own lock, uses spin_trylock and gives up.
 * - Lock order: schedule lock(s), then the policy's own lock, then the
 *   timer and console locks.  No schedule lock is held across
 *   sched_context_switch() or while waiting in vcpu_sleep_sync().
 * - pause_flags and the pause counts are written with atomics by
 *   anyone; every change that makes a vCPU runnable is followed by
 *   vcpu_wake() and every change that makes it not runnable by
 *   vcpu_sleep_nosync(), each of which re-reads them under the lock.  That
 *   is what keeps a decision taken on a stale read from sticking.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <xen/sched-if.h>
#include <xen/smp.h>
#include <xen/softirq.h>
#include <xen/spinlock.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <asm/system.h>

DEFINE_PER_CPU(struct sched_resource, sched_res);

/* vCPUs that arrived on this pCPU (stolen or moved by core.c). */
static DEFINE_PER_CPU(u64, sched_migrations);

/* sched= on the command line; only "credit" exists. */
static char opt_sched[16] = "credit";
string_param("sched", opt_sched);

static const struct scheduler *const schedulers[] = {
    &sched_credit_def,
};

/* The policy in use: written once by scheduler_init(), at boot. */
static const struct scheduler *ops;

struct vcpu *get_current(void)
{
    /* NULL on a pCPU that has not been through sched_cpu_init() yet. */
    return this_cpu(sched_res).curr;
}

/* ---- Locking helpers ---------------------------------------------------- */

spinlock_t *vcpu_schedule_lock_irqsave(const struct vcpu *v,
                                       unsigned long *flags)
{
    for ( ; ; )
    {
        unsigned int cpu = READ_ONCE(v->processor);
        spinlock_t *lock = &sched_res_of(cpu)->lock;
        unsigned long f;

        spin_lock_irqsave(lock, f);
        /*
         * 'processor' only changes with its current pCPU's lock held, so
         * if it still names the pCPU whose lock we hold, it stays put.
         */
        if ( likely(READ_ONCE(v->processor) == cpu) )
        {
            *flags = f;
            return lock;
        }
        spin_unlock_irqrestore(lock, f);
    }
}

void vcpu_schedule_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
    spin_unlock_irqrestore(lock, flags);
}

static void lock_two_cpus(unsigned int a, unsigned int b)
{
    if ( a == b )
        spin_lock(&sched_res_of(a)->lock);
    else if ( a < b )
    {
        spin_lock(&sched_res_of(a)->lock);
        spin_lock(&sched_res_of(b)->lock);
    }
    else
    {
        spin_lock(&sched_res_of(b)->lock);
        spin_lock(&sched_res_of(a)->lock);
    }
}

static void unlock_two_cpus(unsigned int a, unsigned int b)
{
    spin_unlock(&sched_res_of(a)->lock);
    if ( a != b )
        spin_unlock(&sched_res_of(b)->lock);
}

/*
 * Take the locks of v's pCPU and of 'cpu' in ascending order and return
 * v's pCPU, re-checked under the locks (see vcpu_schedule_lock_irqsave).
 */
static unsigned int vcpu_double_lock(const struct vcpu *v, unsigned int cpu,
                                     unsigned long *flags)
{
    for ( ; ; )
    {
        unsigned int old = READ_ONCE(v->processor);

        local_irq_save(*flags);
        lock_two_cpus(old, cpu);
        if ( likely(READ_ONCE(v->processor) == old) )
            return old;
        unlock_two_cpus(old, cpu);
        local_irq_restore(*flags);
    }
}

static void vcpu_double_unlock(unsigned int old, unsigned int cpu,
                               unsigned long flags)
{
    unlock_two_cpus(old, cpu);
    local_irq_restore(flags);
}

/* ---- Runstates ---------------------------------------------------------- */

/*
 * Caller holds v's schedule lock.  Charging the elapsed time to the state
 * being left at every change keeps sum(time[]) + (now - state_entry_time)
 * equal to the time since sched_init_vcpu().
 */
static void vcpu_runstate_change(struct vcpu *v, unsigned int new_state,
                                 s_time_t now)
{
    s_time_t delta = now - (s_time_t)v->runstate.state_entry_time;

    if ( v->runstate.state == new_state )
        return;
    if ( delta > 0 )
        v->runstate.time[v->runstate.state] += delta;
    else
        now = v->runstate.state_entry_time;     /* clock never goes back */
    v->runstate.state = new_state;
    v->runstate.state_entry_time = now;
}

/* The state a vCPU that is not on a pCPU is in. */
static unsigned int vcpu_off_cpu_state(const struct vcpu *v)
{
    if ( vcpu_runnable(v) )
        return RUNSTATE_runnable;
    if ( __atomic_load_n(&v->pause_flags, __ATOMIC_SEQ_CST) & VPF_blocked )
        return RUNSTATE_blocked;
    return RUNSTATE_offline;
}

void vcpu_runstate_get(const struct vcpu *v, struct vcpu_runstate_info *r)
{
    spinlock_t *lock = NULL;
    unsigned long flags = 0;
    s_time_t delta;

    /*
     * Only this pCPU's schedule() changes the runstate of its running
     * vCPU (wake and sleep leave a running vCPU's state alone), and it
     * does so with interrupts off, so current needs no lock.  Anyone else
     * takes it: the caller must not hold a schedule lock.
     */
    if ( v != current )
        lock = vcpu_schedule_lock_irqsave(v, &flags);

    *r = v->runstate;
    delta = NOW() - (s_time_t)r->state_entry_time;
    if ( delta > 0 )
        r->time[r->state] += delta;

    if ( lock )
        vcpu_schedule_unlock_irqrestore(lock, flags);
}

u64 vcpu_cpu_time(const struct vcpu *v)
{
    struct vcpu_runstate_info r;

    vcpu_runstate_get(v, &r);
    return r.time[RUNSTATE_running];
}

/* ---- Migration ---------------------------------------------------------- */

static bool cpu_allowed(const struct vcpu *v, unsigned int cpu)
{
    return cpu < NR_CPUS && cpumask_test_cpu(cpu, &v->cpu_hard_affinity) &&
           cpumask_test_cpu(cpu, &cpu_online_map);
}

/*
 * Move v, which is not running (waiting for a pCPU, blocked or down),
 * off a pCPU its affinity no longer allows.  Both locks are held and v
 * is not running, so the policy sees it leave one runqueue and join the
 * other atomically (a v on no runqueue just changes pCPU).  A running v
 * is left to schedule() and context_saved(), which call us again once
 * it is off its pCPU.  Then, without the locks, the architecture moves
 * what it keeps per pCPU (x86: a blocked v's wakeup list).
 */
static void vcpu_migrate(struct vcpu *v)
{
    /*
     * pick_cpu() reads the affinity without the lock; a concurrent
     * change can make its answer stale, hence the retries.  Bounded: if
     * the affinity keeps changing, whoever changes it moves v.
     */
    for ( unsigned int tries = 0; tries < 8; tries++ )
    {
        unsigned int new_cpu = ops->pick_cpu(v);
        unsigned int old_cpu;
        unsigned long flags;

        old_cpu = vcpu_double_lock(v, new_cpu, &flags);

        /* Re-check under the locks: the affinity may have moved on. */
        if ( v->is_running || cpu_allowed(v, old_cpu) ||
             v->runstate.state == RUNSTATE_running || !v->sched_priv )
        {
            /*
             * Started running there since our caller looked: its pCPU
             * must deschedule it, and context_saved() calls us again.
             */
            if ( v->sched_priv && !cpu_allowed(v, old_cpu) &&
                 sched_res_of(old_cpu)->curr == v )
                cpu_raise_softirq(old_cpu, SCHEDULE_SOFTIRQ);
            vcpu_double_unlock(old_cpu, new_cpu, flags);
            return;
        }
        if ( cpu_allowed(v, new_cpu) )
        {
            ops->remove_vcpu(v);
            WRITE_ONCE(v->processor, new_cpu);
            per_cpu(sched_migrations, new_cpu)++;
            ops->insert_vcpu(v);
            vcpu_double_unlock(old_cpu, new_cpu, flags);
            sched_vcpu_migrated(v, new_cpu);
            return;
        }
        /* pick_cpu saw an older mask: ask again. */
        vcpu_double_unlock(old_cpu, new_cpu, flags);
    }
}

/* ---- The schedule softirq ----------------------------------------------- */

static void s_timer_fn(void *data)
{
    cpu_raise_softirq((unsigned int)(unsigned long)data, SCHEDULE_SOFTIRQ);
}

/*
 * prev has left this pCPU.  When sched_context_switch() returns, prev's
 * state is saved; only now may another pCPU run it.  is_running is
 * cleared under prev's schedule lock, and whoever picks prev next (a
 * stealer, vcpu_migrate, vcpu_sleep_sync's waiter) reads it under that
 * lock or after it, so the lock's release/acquire pair orders the saved
 * state before any later use.
 */
static void context_saved(struct vcpu *prev)
{
    unsigned long flags;
    spinlock_t *lock = vcpu_schedule_lock_irqsave(prev, &flags);
    bool move;

    /*
     * Preempted or blocked after its affinity changed (while it was
     * still running, so vcpu_set_hard_affinity() could not move it): it
     * must move now, after the unlock.  Until that move is over,
     * is_migrating keeps vcpu_sleep_sync() waiting, so that a domain
     * being destroyed does not free prev under vcpu_migrate().  It is set
     * before is_running is cleared with release: a waiter that sees
     * is_running false (acquire) sees is_migrating set.
     */
    move = !is_idle_vcpu(prev) && prev->sched_priv &&
           !cpu_allowed(prev, prev->processor);
    if ( move )
        WRITE_ONCE(prev->is_migrating, true);
    __atomic_store_n(&prev->is_running, false, __ATOMIC_RELEASE);
    ops->context_saved(prev);
    vcpu_schedule_unlock_irqrestore(lock, flags);

    if ( move )
    {
        vcpu_migrate(prev);
        /* Release: the move's last use of prev comes before this. */
        __atomic_store_n(&prev->is_migrating, false, __ATOMIC_RELEASE);
    }
}

/*
 * SCHEDULE_SOFTIRQ: pick what this pCPU runs next.  Runs only on the
 * local pCPU, from do_softirq(), with no lock held.
 */
static void schedule(void)
{
    unsigned int cpu = smp_processor_id();
    struct sched_resource *sr = sched_res_of(cpu);
    struct vcpu *prev, *next;
    struct task_slice ts;
    unsigned long flags;
    s_time_t now;

    spin_lock_irqsave(&sr->lock, flags);

    now = NOW();
    prev = sr->curr;
    sr->nr_schedules++;

    ts = ops->do_schedule(cpu, now);
    next = ts.task;
    ASSERT(next && next->processor == cpu);

    if ( ts.time >= 0 )
        set_timer(&sr->s_timer, now + ts.time);
    else
        stop_timer(&sr->s_timer);

    if ( next == prev )
    {
        spin_unlock_irqrestore(&sr->lock, flags);
        return;
    }

    /*
     * prev's new state is read once here.  If a pause or a wake races
     * with this and the policy read the flags differently, the racer's
     * vcpu_sleep_nosync()/vcpu_wake() takes this lock after us and, as
     * both call the policy whatever the runstate, puts things right.
     */
    prev->last_run_time = now;
    vcpu_runstate_change(prev, vcpu_off_cpu_state(prev), now);
    vcpu_runstate_change(next, RUNSTATE_running, now);
    WRITE_ONCE(next->is_running, true);
    WRITE_ONCE(sr->curr, next);
    next->nr_context_switches++;
    sr->nr_context_switches++;
    if ( ts.migrated )
        this_cpu(sched_migrations)++;

    spin_unlock_irqrestore(&sr->lock, flags);

    sched_context_switch(prev, next);
    context_saved(prev);
}

/* ---- Boot and pCPU bring-up --------------------------------------------- */

int scheduler_init(void)
{
    ops = NULL;
    for ( unsigned int i = 0; i < ARRAY_SIZE(schedulers); i++ )
        if ( !strcmp(schedulers[i]->opt_name, opt_sched) )
            ops = schedulers[i];
    if ( !ops )
    {
        printk(XENLOG_WARNING "Bad value for option 'sched': '%s'\n",
               opt_sched);
        ops = &sched_credit_def;
    }
    printk("Using scheduler: %s (%s)\n", ops->name, ops->opt_name);

    open_softirq(SCHEDULE_SOFTIRQ, schedule);
    return ops->init();
}

int sched_cpu_init(unsigned int cpu)
{
    struct sched_resource *sr;
    struct vcpu *idle;
    int rc;

    if ( cpu >= NR_CPUS || !ops || !idle_domain ||
         !(idle = idle_domain->vcpu[cpu]) )
        return -EINVAL;

    sr = sched_res_of(cpu);
    spin_lock_init(&sr->lock);
    sr->nr_schedules = 0;
    sr->nr_context_switches = 0;
    per_cpu(sched_migrations, cpu) = 0;

    /* domain.c's idle_vcpu_init() leaves the scheduler part to us. */
    idle->processor = cpu;
    cpumask_set_cpu(cpu, &idle->cpu_hard_affinity);
    if ( !idle->sched_priv )
    {
        idle->sched_priv = ops->alloc_vdata(idle, NULL);
        if ( !idle->sched_priv )
            return -ENOMEM;
    }
    memset(&idle->runstate, 0, sizeof(idle->runstate));
    idle->runstate.state = RUNSTATE_running;
    idle->runstate.state_entry_time = NOW();
    idle->is_running = true;

    sr->idle = idle;
    sr->curr = idle;
    init_timer(&sr->s_timer, s_timer_fn, (void *)(unsigned long)cpu, cpu);

    rc = ops->init_pdata(cpu);
    return rc;
}

/* ---- vCPU and domain lifetime ------------------------------------------- */

int sched_init_domain(struct domain *d)
{
    if ( is_idle_domain(d) )
    {
        d->sched_priv = NULL;
        return 0;
    }
    d->sched_priv = ops->alloc_domdata(d);
    return d->sched_priv ? 0 : -ENOMEM;
}

void sched_destroy_domain(struct domain *d)
{
    if ( d->sched_priv )
        ops->free_domdata(d->sched_priv);
    d->sched_priv = NULL;
}

int sched_init_vcpu(struct vcpu *v, unsigned int processor)
{
    struct domain *d = v->domain;
    unsigned long flags;
    spinlock_t *lock;

    if ( processor >= NR_CPUS ||
         !cpumask_test_cpu(processor, &cpu_online_map) || is_idle_vcpu(v) )
        return -EINVAL;

    v->processor = processor;
    v->is_running = false;
    v->last_run_time = 0;
    v->wake_time = 0;
    if ( cpumask_empty(&v->cpu_hard_affinity) )
        for ( unsigned int c = 0; c < NR_CPUS; c++ )
            cpumask_set_cpu(c, &v->cpu_hard_affinity);

    memset(&v->runstate, 0, sizeof(v->runstate));
    v->runstate.state = vcpu_off_cpu_state(v);
    v->runstate.state_entry_time = NOW();

    v->sched_priv = ops->alloc_vdata(v, d->sched_priv);
    if ( !v->sched_priv )
        return -ENOMEM;

    lock = vcpu_schedule_lock_irqsave(v, &flags);
    ops->insert_vcpu(v);
    vcpu_schedule_unlock_irqrestore(lock, flags);
    return 0;
}

/*
 * Take v out of the scheduler for good.  The caller (domain destruction)
 * keeps v's memory until this returns and calls nothing else on v after.
 */
void sched_destroy_vcpu(struct vcpu *v)
{
    unsigned long flags;
    spinlock_t *lock;
    void *priv;

    if ( !v->sched_priv )
        return;

    /* Not runnable ever again, then wait until it is off its pCPU. */
    __atomic_fetch_or(&v->pause_flags, VPF_down, __ATOMIC_SEQ_CST);
    vcpu_sleep_sync(v);

    /*
     * sched_priv goes NULL under the lock: wake, sleep and context_saved
     * test it under the same lock, so none can reach the policy data
     * once it is freed below.
     */
    lock = vcpu_schedule_lock_irqsave(v, &flags);
    ops->remove_vcpu(v);
    vcpu_runstate_change(v, RUNSTATE_offline, NOW());
    priv = v->sched_priv;
    v->sched_priv = NULL;
    vcpu_schedule_unlock_irqrestore(lock, flags);

    ops->free_vdata(priv);
}

/* ---- Wake, sleep, block, yield ------------------------------------------ */

void vcpu_wake(struct vcpu *v)
{
    unsigned int old_cpu, new_cpu;
    unsigned long flags;
    s_time_t now;

    /*
     * A vCPU that will be made runnable may first move to a better pCPU
     * (an idle one, say).  The choice is a hint taken without locks; it is
     * used only if still valid under both locks.
     */
    new_cpu = READ_ONCE(v->processor);
    if ( v->sched_priv && vcpu_runnable(v) &&
         READ_ONCE(v->runstate.state) >= RUNSTATE_blocked )
        new_cpu = ops->pick_cpu(v);

    old_cpu = vcpu_double_lock(v, new_cpu, &flags);
    now = NOW();

    if ( !v->sched_priv )
        ;   /* being destroyed */
    else if ( vcpu_runnable(v) )
    {
        if ( v->runstate.state >= RUNSTATE_blocked )
        {
            /*
             * Not running: it may change pCPU.  Normally it is on no
             * runqueue either, but a pause racing with schedule() can
             * leave it queued with an offline runstate until the
             * pauser's vcpu_sleep_nosync() arrives; remove_vcpu() makes
             * sure it leaves the old queue with the old pCPU.
             */
            if ( new_cpu != old_cpu && !v->is_running &&
                 cpu_allowed(v, new_cpu) )
            {
                ops->remove_vcpu(v);
                WRITE_ONCE(v->processor, new_cpu);
                per_cpu(sched_migrations, new_cpu)++;
            }
            vcpu_runstate_change(v, RUNSTATE_runnable, now);
            v->wake_time = now;
            v->nr_wakeups++;
        }
        /*
         * Always ask the policy: it knows whether v is running or queued
         * already, and it must queue v if schedule() raced with the
         * change that made v runnable (see schedule()).
         */
        ops->wake(v);
    }
    else if ( v->runstate.state == RUNSTATE_blocked &&
              !(__atomic_load_n(&v->pause_flags, __ATOMIC_SEQ_CST) &
                VPF_blocked) )
        /* Unblocked while paused: waiting for the unpause now. */
        vcpu_runstate_change(v, RUNSTATE_offline, now);

    vcpu_double_unlock(old_cpu, new_cpu, flags);
}

void vcpu_sleep_nosync(struct vcpu *v)
{
    unsigned long flags;
    spinlock_t *lock = vcpu_schedule_lock_irqsave(v, &flags);

    if ( v->sched_priv && !vcpu_runnable(v) )
    {
        if ( v->runstate.state == RUNSTATE_runnable )
            vcpu_runstate_change(v, vcpu_off_cpu_state(v), NOW());
        ops->sleep(v);
        /* Running: its pCPU must deschedule it. */
        if ( sched_res_of(v->processor)->curr == v )
            cpu_raise_softirq(v->processor, SCHEDULE_SOFTIRQ);
    }

    vcpu_schedule_unlock_irqrestore(lock, flags);
}

/*
 * Wait until v is off its pCPU.  This cannot deadlock: we hold no lock
 * while waiting, so v's pCPU can take its schedule lock; we raised
 * SCHEDULE_SOFTIRQ there if v was its current; and v is not our own
 * current (asserted), so v's pCPU is not one spinning here on our
 * behalf.  Callers must not wait for a vCPU that is itself waiting for
 * them (domain.c never pauses the caller's own domain, as in Xen).
 */
void vcpu_sleep_sync(struct vcpu *v)
{
    ASSERT(v != current);

    vcpu_sleep_nosync(v);

    /*
     * Acquire: pairs with context_saved()'s release stores, so once both
     * read false nothing of the scheduler touches v any more (unless v is
     * woken again).
     */
    while ( __atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE) ||
            __atomic_load_n(&v->is_migrating, __ATOMIC_ACQUIRE) )
        cpu_relax();
}

/*
 * current blocks until someone clears VPF_blocked and calls vcpu_wake().
 *
 * The bit is set with a full barrier and then read again.  A waker
 * clears it (atomically) before calling vcpu_wake(), so either:
 * - the waker cleared it after our set: our re-read, or failing that
 *   schedule()'s read under the lock, sees it clear and v keeps running;
 *   the waker's vcpu_wake() finds v running and leaves it alone; or
 * - the waker's clear comes after schedule() has descheduled v as
 *   blocked: its vcpu_wake(), serialised after schedule() by the lock,
 *   sees the blocked runstate and wakes v.
 * No wake is lost in between.  A caller with its own event source
 * (pending interrupts) checks it after vcpu_block() returns, and if an
 * event is pending wakes v the usual way: the barrier orders our set
 * before that check.
 */
void vcpu_block(void)
{
    struct vcpu *v = current;

    ASSERT(v && !is_idle_vcpu(v));

    __atomic_fetch_or(&v->pause_flags, VPF_blocked, __ATOMIC_SEQ_CST);
    if ( !(__atomic_load_n(&v->pause_flags, __ATOMIC_SEQ_CST) &
           VPF_blocked) )
        return;     /* woken already */

    vcpu_sleep_nosync(v);
}

void vcpu_yield(void)
{
    struct vcpu *v = current;
    unsigned long flags;
    spinlock_t *lock;

    ASSERT(v && !is_idle_vcpu(v));

    lock = vcpu_schedule_lock_irqsave(v, &flags);
    ops->yield(v);
    vcpu_schedule_unlock_irqrestore(lock, flags);

    raise_softirq(SCHEDULE_SOFTIRQ);
}

int vcpu_set_hard_affinity(struct vcpu *v, const cpumask_t *mask)
{
    unsigned int cpu;
    unsigned long flags;
    spinlock_t *lock;
    bool running;

    if ( is_idle_vcpu(v) || cpumask_empty(mask) )
        return -EINVAL;
    for_each_cpu ( cpu, mask )
        if ( !cpumask_test_cpu(cpu, &cpu_online_map) )
            return -EINVAL;

    lock = vcpu_schedule_lock_irqsave(v, &flags);
    cpumask_copy(&v->cpu_hard_affinity, mask);
    cpu = v->processor;
    running = sched_res_of(cpu)->curr == v;
    vcpu_schedule_unlock_irqrestore(lock, flags);

    if ( cpumask_test_cpu(cpu, mask) )
        return 0;
    /*
     * Running there: schedule() takes it off (the policy no longer keeps
     * or queues it on a pCPU it may not use) and context_saved() moves
     * it.  Otherwise (waiting, blocked, down) move it now, once it is
     * off its pCPU: a v being switched out (is_running, curr already
     * the next one) is at most a context switch away from that.  The
     * acquire pairs with context_saved()'s unlock after it cleared
     * is_running.  If context_saved() read the new mask, it moves v
     * itself and vcpu_migrate() below finds nothing left to do.  If v
     * is picked to run again meanwhile (curr once more), waiting would
     * last as long as it runs: vcpu_migrate() then finds it running and
     * has its pCPU deschedule it instead.
     */
    if ( running )
    {
        cpu_raise_softirq(cpu, SCHEDULE_SOFTIRQ);
        return 0;
    }
    while ( __atomic_load_n(&v->is_running, __ATOMIC_ACQUIRE) &&
            READ_ONCE(sched_res_of(READ_ONCE(v->processor))->curr) != v )
        cpu_relax();
    vcpu_migrate(v);
    return 0;
}

/* ---- Control operations ------------------------------------------------- */

int sched_adjust(struct domain *d, struct xen_domctl_scheduler_op *op)
{
    if ( op->sched_id != ops->sched_id )
        return -EINVAL;
    if ( op->cmd != XEN_DOMCTL_SCHEDOP_putinfo &&
         op->cmd != XEN_DOMCTL_SCHEDOP_getinfo )
        return -EINVAL;
    if ( is_idle_domain(d) || !d->sched_priv )
        return -EINVAL;
    return ops->adjust(d, op);
}

int sched_adjust_global(struct xen_sysctl_scheduler_op *op)
{
    if ( op->sched_id != ops->sched_id )
        return -EINVAL;
    if ( op->cmd != XEN_SYSCTL_SCHEDOP_putinfo &&
         op->cmd != XEN_SYSCTL_SCHEDOP_getinfo )
        return -EINVAL;
    return ops->adjust_global(op);
}

/* ---- Debug dumps -------------------------------------------------------- */

void sched_dump_runqueues(void)
{
    unsigned int cpu;

    printk("Scheduler: %s (%s), now %lu us\n", ops->name, ops->opt_name,
           (unsigned long)(NOW() / 1000));
    for_each_online_cpu ( cpu )
    {
        struct sched_resource *sr = sched_res_of(cpu);
        unsigned long flags;

        spin_lock_irqsave(&sr->lock, flags);
        ops->dump_cpu_state(cpu);
        spin_unlock_irqrestore(&sr->lock, flags);
    }
}

void sched_dump_counters(void)
{
    unsigned int cpu;

    printk("Scheduler counters (%s):\n", ops->opt_name);
    for_each_online_cpu ( cpu )
    {
        const struct sched_resource *sr = sched_res_of(cpu);

        /* Counters are plain words: a racy read is fine for a dump. */
        printk("CPU[%02u] schedules=%lu context_switches=%lu "
               "migrations=%lu\n", cpu,
               (unsigned long)READ_ONCE(sr->nr_schedules),
               (unsigned long)READ_ONCE(sr->nr_context_switches),
               (unsigned long)READ_ONCE(per_cpu(sched_migrations, cpu)));
    }
    ops->dump_settings();
}
