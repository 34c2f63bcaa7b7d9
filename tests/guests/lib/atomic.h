/*
 * Spinlocks and atomic counters shared by the CPUs of a test kernel.
 * x86 is TSO, so plain volatile loads and stores are ordered with respect to
 * each other; the locked instructions below are full barriers.
 */
#ifndef GUEST_ATOMIC_H
#define GUEST_ATOMIC_H

#include "x86.h"

typedef struct
{
    volatile uint32_t v;
} atomic_t;

typedef struct
{
    volatile uint32_t locked;
} spinlock_t;

#define SPINLOCK_INIT   { 0 }
#define ACCESS_ONCE(x)  (*(volatile typeof(x) *)&(x))

static inline uint32_t atomic_read(const atomic_t *a)
{
    return a->v;
}

static inline void atomic_set(atomic_t *a, uint32_t v)
{
    a->v = v;
}

/* Returns the new value. */
static inline uint32_t atomic_add(atomic_t *a, uint32_t n)
{
    uint32_t old = n;

    asm volatile ( "lock xaddl %0, %1" : "+r" (old), "+m" (a->v)
                   :: "memory" );
    return old + n;
}

static inline uint32_t atomic_inc(atomic_t *a)
{
    return atomic_add(a, 1);
}

static inline uint32_t xchg32(volatile uint32_t *p, uint32_t v)
{
    asm volatile ( "xchgl %0, %1" : "+r" (v), "+m" (*p) :: "memory" );
    return v;
}

/* Returns the value found; the swap happened if it equals old. */
static inline uint32_t cmpxchg32(volatile uint32_t *p, uint32_t old,
                                 uint32_t new)
{
    uint32_t prev;

    asm volatile ( "lock cmpxchgl %2, %1"
                   : "=a" (prev), "+m" (*p) : "r" (new), "0" (old)
                   : "memory" );
    return prev;
}

static inline bool spin_trylock(spinlock_t *l)
{
    return xchg32(&l->locked, 1) == 0;
}

static inline void spin_lock(spinlock_t *l)
{
    while ( !spin_trylock(l) )
        while ( l->locked )
            cpu_relax();
}

static inline void spin_unlock(spinlock_t *l)
{
    barrier();
    l->locked = 0;
}

/*
 * Interrupt-safe variants: a handler on the same CPU that takes the lock
 * (console output from an interrupt) must not spin on its own holder.
 */
static inline uint32_t spin_lock_irqsave(spinlock_t *l)
{
    uint32_t f = read_eflags();

    cli();
    spin_lock(l);
    return f;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, uint32_t f)
{
    spin_unlock(l);
    write_eflags(f);
}

#endif /* GUEST_ATOMIC_H */
