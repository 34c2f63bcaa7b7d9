/*
 * Simulator wrapper around the real ticket lock.  The simulation runs one
 * pCPU at a time to completion, so a lock found taken can never be
 * released: spin_lock() on it is a deadlock and panics instead of
 * hanging.  spin_trylock() can be made to fail on purpose (to exercise
 * the paths that give up), and cpu_relax() - the body of every spin-wait
 * - lets the other simulated pCPUs run their pending softirqs, which is
 * what a waiter on real hardware waits for.
 */
#ifndef SIM_XEN_SPINLOCK_H
#define SIM_XEN_SPINLOCK_H

/* Pull in the real header with its inline functions renamed away. */
#define spin_lock       real_spin_lock_
#define spin_trylock    real_spin_trylock_
#define spin_unlock     real_spin_unlock_
#define cpu_relax       real_cpu_relax_
#include_next <xen/spinlock.h>
#undef spin_lock
#undef spin_trylock
#undef spin_unlock
#undef cpu_relax

/* sim_host.c */
void sim_spin_lock(spinlock_t *l);
bool sim_spin_trylock(spinlock_t *l);
void sim_spin_unlock(spinlock_t *l);
void sim_cpu_relax(void);

static inline void spin_lock(spinlock_t *l)
{
    sim_spin_lock(l);
}

static inline bool spin_trylock(spinlock_t *l)
{
    return sim_spin_trylock(l);
}

static inline void spin_unlock(spinlock_t *l)
{
    sim_spin_unlock(l);
}

static inline void cpu_relax(void)
{
    sim_cpu_relax();
}

#endif /* SIM_XEN_SPINLOCK_H */
