/*
 * pi_blocked suite wrapper around the real ticket lock.  The stress test
 * runs more threads than the host has CPUs, and a ticket lock hands over
 * to the next ticket even when its thread is preempted, so every waiter
 * behind it spins out its time slice.  spin_lock() here takes the lock
 * only through the real spin_trylock() (a ticket served at once) and
 * yields while it waits.  env_lock_hook, when set, runs once right after
 * the next acquisition: a test uses it to act inside a critical section.
 */
#ifndef PIB_XEN_SPINLOCK_H
#define PIB_XEN_SPINLOCK_H

#define spin_lock       real_spin_lock_
#include_next <xen/spinlock.h>
#undef spin_lock

void env_spin_lock(spinlock_t *l);      /* env.c */

static inline void spin_lock(spinlock_t *l)
{
    env_spin_lock(l);
}

#endif /* PIB_XEN_SPINLOCK_H */
