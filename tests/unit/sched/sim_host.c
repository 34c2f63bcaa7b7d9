/*
 * The simulated platform under the scheduler: pCPUs, the clock, per-pCPU
 * interrupt flags, spinlocks that detect deadlock instead of hanging,
 * xmalloc on libc, the timer API as one event queue, and the run loop.
 * Single-threaded: an event or a softirq runs to completion before the
 * next one starts, so "pCPU c runs x" means sim_cpu == c while x runs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/lib.h>
#include <xen/smp.h>
#include <xen/softirq.h>
#include <xen/spinlock.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <xen/xmalloc.h>

#include "sim.h"

unsigned int sim_cpu = SIM_CTL_CPU;
unsigned int sim_nr_cpus;
s_time_t sim_clock;

cpumask_t cpu_online_map;
unsigned int nr_cpu_ids = 1;

s_time_t get_s_time(void)
{
    return sim_clock;
}

/* ---- Interrupt flags ---------------------------------------------------- */

static bool irq_enabled[NR_CPUS];

void sim_irq_set(bool enabled)
{
    irq_enabled[sim_cpu] = enabled;
}

bool sim_irq_get(void)
{
    return irq_enabled[sim_cpu];
}

/* ---- Locks -------------------------------------------------------------- */

static unsigned int locks_held;
static unsigned int trylock_fail_pct;
static unsigned int relax_stuck;

unsigned int sim_locks_held(void)
{
    return locks_held;
}

void sim_set_trylock_fail_pct(unsigned int pct)
{
    trylock_fail_pct = pct;
}

/*
 * Lock order checking.  One thread cannot deadlock on an ABBA inversion,
 * but two pCPUs can: so every blocking acquisition of B while A is held
 * records "A before B", and seeing both orders of a pair is reported.
 * spin_trylock() waits for nothing and records nothing.
 */
#define MAX_LOCKS 64
#define MAX_HELD  8

static const spinlock_t *lock_ids[MAX_LOCKS];
static unsigned int nr_lock_ids;
static bool lock_before[MAX_LOCKS][MAX_LOCKS];
static const spinlock_t *held[MAX_HELD];

void sim_locks_reset(void)
{
    nr_lock_ids = 0;
    memset(lock_before, 0, sizeof(lock_before));
    locks_held = 0;
}

static int lock_id(const spinlock_t *l)
{
    for ( unsigned int i = 0; i < nr_lock_ids; i++ )
        if ( lock_ids[i] == l )
            return i;
    if ( nr_lock_ids == MAX_LOCKS )
        return -1;
    lock_ids[nr_lock_ids] = l;
    return nr_lock_ids++;
}

static void lock_push(spinlock_t *l, bool blocking)
{
    int b = blocking ? lock_id(l) : -1;

    for ( unsigned int i = 0; b >= 0 && i < locks_held; i++ )
    {
        int a = lock_id(held[i]);

        if ( a < 0 || a == b )
            continue;
        if ( lock_before[b][a] && !lock_before[a][b] )
            sim_violation("lock order: %p taken while holding %p, and "
                          "the other way round elsewhere", (void *)l,
                          (const void *)held[i]);
        lock_before[a][b] = true;
    }
    if ( locks_held == MAX_HELD )
        panic("CPU%u holds too many locks", sim_cpu);
    held[locks_held++] = l;
}

static void lock_pop(spinlock_t *l)
{
    for ( unsigned int i = locks_held; i-- > 0; )
        if ( held[i] == l )
        {
            memmove(&held[i], &held[i + 1],
                    (locks_held - i - 1) * sizeof(held[0]));
            locks_held--;
            return;
        }
    panic("CPU%u releases lock %p it does not hold", sim_cpu, (void *)l);
}

void sim_spin_lock(spinlock_t *l)
{
    /* Nobody else can run to release it: waiting would never end. */
    if ( l->head != l->tail )
        panic("deadlock: CPU%u takes lock %p, which is held", sim_cpu,
              (void *)l);
    l->tail++;
    lock_push(l, true);
}

bool sim_spin_trylock(spinlock_t *l)
{
    if ( l->head != l->tail )
        return false;
    if ( trylock_fail_pct && sim_rand() % 100 < trylock_fail_pct )
        return false;   /* as if another pCPU held it just now */
    l->tail++;
    lock_push(l, false);
    return true;
}

void sim_spin_unlock(spinlock_t *l)
{
    if ( l->head == l->tail )
        panic("CPU%u releases lock %p, which is free", sim_cpu, (void *)l);
    l->head++;
    lock_pop(l);
}

/*
 * The body of a spin-wait: what the waiter waits for is another pCPU's
 * progress, so run the other pCPUs' pending softirqs.  A waiter that
 * holds a lock, or that waits while nobody has anything to do, would
 * spin forever on real hardware too.
 */
void sim_cpu_relax(void)
{
    unsigned int self = sim_cpu;
    bool progress = false;

    if ( locks_held )
        panic("CPU%u spin-waits holding %u lock(s)", self, locks_held);

    for ( unsigned int c = 0; c < sim_nr_cpus; c++ )
    {
        if ( c == self || !softirq_pending(c) )
            continue;
        sim_cpu = c;
        irq_enabled[c] = true;
        do_softirq();
        progress = true;
    }
    sim_cpu = self;

    if ( progress )
        relax_stuck = 0;
    else if ( ++relax_stuck > 1000 )
        panic("CPU%u spin-waits and no pCPU can make progress", self);
}

/* softirq.c pokes remote pCPUs; the run loop looks at every pCPU anyway. */
void smp_send_event_check_cpu(unsigned int cpu)
{
    (void)cpu;
}

/* ---- xmalloc ------------------------------------------------------------ */

static long xmalloc_outstanding;

long sim_xmalloc_outstanding(void)
{
    return xmalloc_outstanding;
}

void *xmalloc_bytes(size_t size)
{
    void *p = malloc(size ? size : 1);

    if ( p )
        xmalloc_outstanding++;
    return p;
}

void *xzalloc_bytes(size_t size)
{
    void *p = calloc(1, size ? size : 1);

    if ( p )
        xmalloc_outstanding++;
    return p;
}

void *xzalloc_array_bytes(size_t size, size_t n)
{
    if ( size && n > (size_t)-1 / size )
        return NULL;
    return xzalloc_bytes(size * n);
}

void xfree(void *p)
{
    if ( !p )
        return;
    xmalloc_outstanding--;
    free(p);
}

/* ---- Random numbers ----------------------------------------------------- */

static unsigned int rand_state = 1;

void sim_srand(unsigned int seed)
{
    rand_state = seed ? seed : 1;
}

unsigned int sim_rand(void)
{
    rand_state ^= rand_state << 13;
    rand_state ^= rand_state >> 17;
    rand_state ^= rand_state << 5;
    return rand_state;
}

s_time_t sim_rand_between(s_time_t lo, s_time_t hi)
{
    if ( hi <= lo )
        return lo;
    return lo + (s_time_t)(((u64)sim_rand() << 32 | sim_rand()) %
                           (u64)(hi - lo + 1));
}

/* ---- Timers: one min-heap ordered by (expires, arming order) ------------ */

struct event
{
    struct timer *t;
    u64 seq;
};

static struct event *heap;
static unsigned int heap_size, heap_limit;
static u64 heap_seq;

static bool ev_before(const struct event *a, const struct event *b)
{
    return a->t->expires < b->t->expires ||
           (a->t->expires == b->t->expires && a->seq < b->seq);
}

static void heap_set(unsigned int i, struct event e)
{
    heap[i] = e;
    e.t->heap_pos = i + 1;
}

static void heap_up(unsigned int i)
{
    struct event e = heap[i];

    while ( i && ev_before(&e, &heap[(i - 1) / 2]) )
    {
        heap_set(i, heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(i, e);
}

static void heap_down(unsigned int i)
{
    struct event e = heap[i];

    for ( ; ; )
    {
        unsigned int c = 2 * i + 1;

        if ( c >= heap_size )
            break;
        if ( c + 1 < heap_size && ev_before(&heap[c + 1], &heap[c]) )
            c++;
        if ( !ev_before(&heap[c], &e) )
            break;
        heap_set(i, heap[c]);
        i = c;
    }
    heap_set(i, e);
}

static void heap_del(struct timer *t)
{
    unsigned int i = t->heap_pos - 1;

    t->heap_pos = 0;
    if ( --heap_size == i )
        return;
    /* The last element fills the hole, then moves up or down. */
    heap_set(i, heap[heap_size]);
    if ( i && ev_before(&heap[i], &heap[(i - 1) / 2]) )
        heap_up(i);
    else
        heap_down(i);
}

void sim_events_reset(void)
{
    for ( unsigned int i = 0; i < heap_size; i++ )
        heap[i].t->heap_pos = 0;
    free(heap);
    heap = NULL;
    heap_size = heap_limit = 0;
    heap_seq = 0;
}

void init_timer(struct timer *t, void (*fn)(void *), void *data,
                unsigned int cpu)
{
    memset(t, 0, sizeof(*t));
    t->function = fn;
    t->data = data;
    t->cpu = cpu;
}

void set_timer(struct timer *t, s_time_t expires)
{
    if ( t->killed )
        return;
    if ( t->heap_pos )
        heap_del(t);
    if ( heap_size == heap_limit )
    {
        heap_limit = heap_limit ? 2 * heap_limit : 64;
        heap = realloc(heap, heap_limit * sizeof(*heap));
        if ( !heap )
            panic("simulator: out of memory for events");
    }
    t->expires = expires;
    heap[heap_size] = (struct event){ t, heap_seq++ };
    t->heap_pos = ++heap_size;
    heap_up(heap_size - 1);
}

void stop_timer(struct timer *t)
{
    if ( t->heap_pos )
        heap_del(t);
}

void kill_timer(struct timer *t)
{
    stop_timer(t);
    t->killed = true;
}

bool timer_is_active(const struct timer *t)
{
    return t->heap_pos != 0;
}

/* ---- The run loop ------------------------------------------------------- */

/* Run fn on pCPU cpu, as a timer softirq there would. */
static void run_on(unsigned int cpu, void (*fn)(void *), void *data)
{
    unsigned int saved = sim_cpu;

    sim_cpu = cpu;
    irq_enabled[cpu] = true;
    fn(data);
    if ( locks_held )
        panic("CPU%u: event %p returned holding %u lock(s)", cpu,
              (void *)fn, locks_held);
    if ( !irq_enabled[cpu] )
        panic("CPU%u: event %p returned with interrupts off", cpu,
              (void *)fn);
    sim_cpu = saved;
}

void sim_drain_softirqs(void)
{
    unsigned int rounds = 0;
    bool any;

    if ( softirq_pending(SIM_CTL_CPU) )
        panic("softirq raised on the control pCPU");

    do {
        any = false;
        for ( unsigned int c = 0; c < sim_nr_cpus; c++ )
        {
            unsigned int saved = sim_cpu;

            if ( !softirq_pending(c) )
                continue;
            any = true;
            sim_cpu = c;
            irq_enabled[c] = true;
            do_softirq();
            if ( locks_held || !irq_enabled[c] )
                panic("CPU%u: softirq left %u lock(s) held, irqs %s", c,
                      locks_held, irq_enabled[c] ? "on" : "off");
            sim_cpu = saved;
        }
        if ( ++rounds > 100000 )
            panic("softirqs keep raising each other at %ld ns",
                  (long)sim_clock);
    } while ( any );
}

void sim_run_until(s_time_t end)
{
    for ( ; ; )
    {
        struct timer *t;

        sim_drain_softirqs();
        t = heap_size ? heap[0].t : NULL;
        /* Quiescent, and time is about to move on: check everything. */
        if ( !t || t->expires > sim_clock )
            sim_check_invariants();
        if ( !t || t->expires > end )
            break;
        heap_del(t);
        if ( t->expires > sim_clock )
            sim_clock = t->expires;
        run_on(t->cpu, t->function, t->data);
        sim_stats.events++;
    }
    if ( end > sim_clock )
        sim_clock = end;
}

void sim_run_for(s_time_t dt)
{
    sim_run_until(sim_clock + dt);
}
