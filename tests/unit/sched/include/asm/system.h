/*
 * Simulator stand-in for interrupt-flag control and barriers.  The
 * interrupt flag is a per-simulated-pCPU boolean, so the simulator can
 * check that every irqsave is paired with its restore; barriers are the
 * compiler's fences (the simulation is single-threaded, they only have
 * to compile and keep the compiler honest).  The real asm/spinlock_irq.h
 * is used unchanged on top of this.
 */
#ifndef ASM_X86_SYSTEM_H
#define ASM_X86_SYSTEM_H

#include <xen/types.h>

#define smp_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

/* sim_host.c */
void sim_irq_set(bool enabled);
bool sim_irq_get(void);

static inline void local_irq_disable(void)
{
    sim_irq_set(false);
}

static inline void local_irq_enable(void)
{
    sim_irq_set(true);
}

static inline bool local_irq_is_enabled(void)
{
    return sim_irq_get();
}

#define local_irq_save(f)                                               \
    do { (f) = sim_irq_get(); sim_irq_set(false); } while ( 0 )

static inline void local_irq_restore(unsigned long f)
{
    sim_irq_set(f != 0);
}

#endif /* ASM_X86_SYSTEM_H */
