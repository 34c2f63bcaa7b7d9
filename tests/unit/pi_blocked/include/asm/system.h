/*
 * pi_blocked suite stand-in for interrupt-flag control and barriers.  The
 * interrupt flag is per thread (each thread plays one pCPU): the doubles
 * deliver a pCPU's pending "interrupts" only while its flag is set, and
 * the tests check that every irqsave was paired with its restore.  The
 * real asm/spinlock_irq.h is used unchanged on top of this.
 */
#ifndef ASM_X86_SYSTEM_H
#define ASM_X86_SYSTEM_H

#include <xen/types.h>

#define smp_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

/* env.c: this thread's interrupt flag (true: enabled). */
extern __thread bool env_irq_on;

static inline void local_irq_disable(void)
{
    env_irq_on = false;
}

static inline void local_irq_enable(void)
{
    env_irq_on = true;
}

static inline bool local_irq_is_enabled(void)
{
    return env_irq_on;
}

#define local_irq_save(f)                                               \
    do { (f) = env_irq_on; env_irq_on = false; } while ( 0 )

static inline void local_irq_restore(unsigned long f)
{
    env_irq_on = f != 0;
}

#endif /* ASM_X86_SYSTEM_H */
