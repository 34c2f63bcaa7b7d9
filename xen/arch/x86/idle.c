/*
 * The idle loop every pCPU runs when it has nothing else to do: run
 * pending softirqs, otherwise halt until an interrupt.
 */
#include <xen/lib.h>
#include <xen/smp.h>
#include <xen/softirq.h>
#include <asm/system.h>

void idle_loop(void) __attribute__((__noreturn__));

void idle_loop(void)
{
    unsigned int cpu = smp_processor_id();

    for ( ; ; )
    {
        /*
         * Check with interrupts off, then STI;HLT as one step: a softirq
         * raised by an interrupt after the check wakes the HLT.
         */
        local_irq_disable();
        if ( softirq_pending(cpu) )
        {
            local_irq_enable();
            do_softirq();
        }
        else
            safe_halt();
    }
}
