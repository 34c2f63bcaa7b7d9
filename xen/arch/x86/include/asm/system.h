/*
 * Interrupt-flag control and memory barriers for x86-64.
 */
#ifndef ASM_X86_SYSTEM_H
#define ASM_X86_SYSTEM_H

#include <xen/types.h>

#define X86_EFLAGS_TF 0x100UL
#define X86_EFLAGS_IF 0x200UL
#define X86_EFLAGS_RF 0x10000UL

/*
 * x86 is TSO: loads are not reordered with loads, nor stores with stores,
 * so smp_rmb/smp_wmb only need to stop the compiler.  A store followed by
 * a load of another location can be reordered, which only smp_mb prevents.
 */
#define smp_mb()  __asm__ __volatile__ ( "lock addl $0,-4(%%rsp)" ::: "memory" )
#define smp_rmb() __asm__ __volatile__ ( "" ::: "memory" )
#define smp_wmb() __asm__ __volatile__ ( "" ::: "memory" )

static inline unsigned long read_rflags(void)
{
    unsigned long f;

    __asm__ __volatile__ ( "pushf; pop %0" : "=r" (f) :: "memory" );
    return f;
}

static inline void local_irq_disable(void)
{
    __asm__ __volatile__ ( "cli" ::: "memory" );
}

static inline void local_irq_enable(void)
{
    __asm__ __volatile__ ( "sti" ::: "memory" );
}

static inline bool local_irq_is_enabled(void)
{
    return read_rflags() & X86_EFLAGS_IF;
}

#define local_irq_save(f) do { (f) = read_rflags(); local_irq_disable(); } \
                          while ( 0 )

static inline void local_irq_restore(unsigned long f)
{
    if ( f & X86_EFLAGS_IF )
        local_irq_enable();
}

/*
 * Enable interrupts and halt in one step: STI's one-instruction shadow
 * means no interrupt can arrive between the two, so a wakeup that was
 * pending when the caller checked for work is never slept through.
 */
static inline void safe_halt(void)
{
    __asm__ __volatile__ ( "sti; hlt" ::: "memory" );
}

static inline void halt(void)
{
    __asm__ __volatile__ ( "hlt" ::: "memory" );
}

#endif /* ASM_X86_SYSTEM_H */
