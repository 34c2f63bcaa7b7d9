/*
 * Software timers on per-pCPU heaps.  The earliest timer of a pCPU
 * programs its hardware timer; the timer softirq runs what is due.
 *
 * Locking: each pCPU's 'timers.lock' (irqsave) protects its heap, its
 * overflow list and 'running'.  A timer function runs with the lock
 * dropped.  set_timer() never allocates, so it is safe from interrupt
 * handlers: when the heap is full the timer waits on the overflow list
 * and the softirq grows the heap (with xmalloc, outside interrupt context).
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/smp.h>
#include <xen/softirq.h>
#include <xen/spinlock.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <xen/timer_heap.h>
#include <xen/xmalloc.h>

#define INITIAL_HEAP    64
#define OVERFLOW_POS    (~0u)       /* heap_pos of a timer on the overflow */
#define TIMER_SLOP      MICROSECS(50)

struct timers
{
    spinlock_t lock;
    struct timer_heap heap;
    struct timer *overflow[8];
    unsigned int nr_overflow;
    struct timer *running;
};

static DEFINE_PER_CPU(struct timers, timers);

bool timer_is_active(const struct timer *t)
{
    return READ_ONCE(t->heap_pos) != 0;
}

void init_timer(struct timer *t, void (*fn)(void *), void *data,
                unsigned int cpu)
{
    memset(t, 0, sizeof(*t));
    t->function = fn;
    t->data = data;
    t->cpu = cpu;
}

/* Caller holds ts->lock. */
static void detach(struct timers *ts, struct timer *t)
{
    if ( t->heap_pos == OVERFLOW_POS )
    {
        for ( unsigned int i = 0; i < ts->nr_overflow; i++ )
            if ( ts->overflow[i] == t )
            {
                ts->overflow[i] = ts->overflow[--ts->nr_overflow];
                break;
            }
        t->heap_pos = 0;
    }
    else if ( t->heap_pos )
        timer_heap_remove(&ts->heap, t);
}

/* Caller holds ts->lock.  Returns whether t is now the earliest timer. */
static bool attach(struct timers *ts, struct timer *t)
{
    if ( timer_heap_add(&ts->heap, t) )
        return timer_heap_peek(&ts->heap) == t;
    if ( ts->nr_overflow == ARRAY_SIZE(ts->overflow) )
        panic("timer heap of CPU %u overflowed", t->cpu);
    ts->overflow[ts->nr_overflow++] = t;
    t->heap_pos = OVERFLOW_POS;
    return true;    /* the softirq must run to grow the heap */
}

void set_timer(struct timer *t, s_time_t expires)
{
    struct timers *ts = &per_cpu(timers, t->cpu);
    unsigned long flags;
    bool first;

    spin_lock_irqsave(&ts->lock, flags);
    if ( t->killed )
    {
        spin_unlock_irqrestore(&ts->lock, flags);
        return;
    }
    detach(ts, t);
    t->expires = expires;
    first = attach(ts, t);
    spin_unlock_irqrestore(&ts->lock, flags);

    /* A new earliest timer: that pCPU must reprogram its hardware timer. */
    if ( first )
        cpu_raise_softirq(t->cpu, TIMER_SOFTIRQ);
}

void stop_timer(struct timer *t)
{
    struct timers *ts = &per_cpu(timers, t->cpu);
    unsigned long flags;

    spin_lock_irqsave(&ts->lock, flags);
    detach(ts, t);
    spin_unlock_irqrestore(&ts->lock, flags);
}

void kill_timer(struct timer *t)
{
    struct timers *ts = &per_cpu(timers, t->cpu);
    unsigned long flags;

    spin_lock_irqsave(&ts->lock, flags);
    detach(ts, t);
    t->killed = true;
    spin_unlock_irqrestore(&ts->lock, flags);

    /* Wait out a run of its function on the owning pCPU. */
    while ( READ_ONCE(ts->running) == t )
        cpu_relax();
}

/* Runs on the owning pCPU, outside interrupt context. */
static void grow_heap(struct timers *ts)
{
    unsigned long flags;
    unsigned int limit;
    struct timer **elts, **old;

    spin_lock_irqsave(&ts->lock, flags);
    limit = ts->heap.limit * 2;
    spin_unlock_irqrestore(&ts->lock, flags);

    elts = xzalloc_array(struct timer *, limit);
    if ( !elts )
        panic("no memory to grow the timer heap to %u", limit);

    spin_lock_irqsave(&ts->lock, flags);
    if ( limit > ts->heap.limit )
    {
        old = ts->heap.elts;
        timer_heap_resize(&ts->heap, elts, limit);
    }
    else
        old = elts;     /* someone else grew it meanwhile */
    while ( ts->nr_overflow && ts->heap.size < ts->heap.limit )
    {
        struct timer *t = ts->overflow[--ts->nr_overflow];

        t->heap_pos = 0;
        timer_heap_add(&ts->heap, t);
    }
    spin_unlock_irqrestore(&ts->lock, flags);
    xfree(old);
}

static void timer_softirq_action(void)
{
    struct timers *ts = &this_cpu(timers);
    unsigned long flags;
    struct timer *t;

    while ( READ_ONCE(ts->nr_overflow) )
        grow_heap(ts);

    spin_lock_irqsave(&ts->lock, flags);
    for ( ; ; )
    {
        s_time_t now = NOW();

        while ( (t = timer_heap_peek(&ts->heap)) != NULL &&
                t->expires <= now + TIMER_SLOP )
        {
            timer_heap_remove(&ts->heap, t);
            WRITE_ONCE(ts->running, t);
            spin_unlock_irqrestore(&ts->lock, flags);
            t->function(t->data);
            spin_lock_irqsave(&ts->lock, flags);
            WRITE_ONCE(ts->running, NULL);
        }

        /* If the next deadline passed while we looked, go round again. */
        if ( reprogram_timer(t ? t->expires : 0) )
            break;
    }
    spin_unlock_irqrestore(&ts->lock, flags);
}

int timer_cpu_init(unsigned int cpu)
{
    struct timers *ts = &per_cpu(timers, cpu);
    struct timer **elts = xzalloc_array(struct timer *, INITIAL_HEAP);

    if ( !elts )
        return -ENOMEM;
    spin_lock_init(&ts->lock);
    timer_heap_resize(&ts->heap, elts, INITIAL_HEAP);
    return 0;
}

void timer_init(void)
{
    open_softirq(TIMER_SOFTIRQ, timer_softirq_action);
    if ( timer_cpu_init(0) )
        panic("no memory for the boot CPU's timer heap");
}
