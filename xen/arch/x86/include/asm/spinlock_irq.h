/*
 * Spinlock forms that also mask interrupts on this pCPU, for locks taken
 * from interrupt context.
 */
#ifndef ASM_X86_SPINLOCK_IRQ_H
#define ASM_X86_SPINLOCK_IRQ_H

#include <asm/system.h>

#define spin_lock_irqsave(l, f)                                         \
    do { local_irq_save(f); spin_lock(l); } while ( 0 )
#define spin_unlock_irqrestore(l, f)                                    \
    do { spin_unlock(l); local_irq_restore(f); } while ( 0 )
#define spin_lock_irq(l)                                                \
    do { local_irq_disable(); spin_lock(l); } while ( 0 )
#define spin_unlock_irq(l)                                              \
    do { spin_unlock(l); local_irq_enable(); } while ( 0 )

#endif /* ASM_X86_SPINLOCK_IRQ_H */
