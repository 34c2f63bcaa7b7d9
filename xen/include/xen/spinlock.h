/*
 * Ticket spinlocks: FIFO-fair, so no pCPU can starve on a contended lock.
 *
 * Protocol: a locker takes a ticket with an atomic fetch-and-add on 'tail'
 * and spins until 'head' equals its ticket.  The acquire load of 'head'
 * pairs with the release store in spin_unlock, so everything written inside
 * the critical section is visible to the next owner.
 */
#ifndef XEN_SPINLOCK_H
#define XEN_SPINLOCK_H

#include <xen/types.h>
#include <xen/compiler.h>

typedef struct spinlock
{
    u16 head;
    u16 tail;
} spinlock_t;

#define SPIN_LOCK_UNLOCKED { 0, 0 }
#define DEFINE_SPINLOCK(l) spinlock_t l = SPIN_LOCK_UNLOCKED

static inline void spin_lock_init(spinlock_t *l)
{
    l->head = 0;
    l->tail = 0;
}

static inline void cpu_relax(void)
{
    __asm__ __volatile__ ( "pause" ::: "memory" );
}

static inline void spin_lock(spinlock_t *l)
{
    u16 ticket = __atomic_fetch_add(&l->tail, 1, __ATOMIC_RELAXED);

    while ( __atomic_load_n(&l->head, __ATOMIC_ACQUIRE) != ticket )
        cpu_relax();
}

static inline bool spin_trylock(spinlock_t *l)
{
    u16 head = __atomic_load_n(&l->head, __ATOMIC_RELAXED);
    u16 tail = head;

    /* Only take a ticket when it would be served at once. */
    return __atomic_compare_exchange_n(&l->tail, &tail, (u16)(head + 1),
                                       false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED) &&
           __atomic_load_n(&l->head, __ATOMIC_ACQUIRE) == head;
}

static inline void spin_unlock(spinlock_t *l)
{
    /* Release: the critical section's stores happen before the handover. */
    __atomic_store_n(&l->head, (u16)(l->head + 1), __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(const spinlock_t *l)
{
    return __atomic_load_n(&l->head, __ATOMIC_RELAXED) !=
           __atomic_load_n(&l->tail, __ATOMIC_RELAXED);
}

/*
 * The irqsave forms are defined by the architecture, which knows how to
 * save and mask the interrupt flag.
 */
#include <asm/spinlock_irq.h>

#endif /* XEN_SPINLOCK_H */
