/*
 * Softirq pending bits, one word per pCPU.
 *
 * Protocol: any pCPU may set a bit with an atomic OR; only the owning
 * pCPU clears bits (atomic AND) and runs the handlers.  A remote raiser
 * that sets a bit sends an event-check IPI so a halted owner wakes; the
 * owner's idle loop re-checks the word with interrupts off before HLT, so
 * a raise that lands in between is never slept through.
 */
#include <xen/lib.h>
#include <xen/smp.h>
#include <xen/softirq.h>

static DEFINE_PER_CPU(unsigned long, softirq_pending_bits);
static softirq_handler handlers[NR_SOFTIRQS];

void open_softirq(unsigned int nr, softirq_handler fn)
{
    ASSERT(nr < NR_SOFTIRQS);
    handlers[nr] = fn;
}

void raise_softirq(unsigned int nr)
{
    __atomic_fetch_or(&this_cpu(softirq_pending_bits), 1UL << nr,
                      __ATOMIC_SEQ_CST);
}

void cpu_raise_softirq(unsigned int cpu, unsigned int nr)
{
    unsigned long old = __atomic_fetch_or(&per_cpu(softirq_pending_bits, cpu),
                                          1UL << nr, __ATOMIC_SEQ_CST);

    /* Already pending: whoever set it first sent the IPI. */
    if ( !(old & (1UL << nr)) && cpu != smp_processor_id() )
        smp_send_event_check_cpu(cpu);
}

bool softirq_pending(unsigned int cpu)
{
    return __atomic_load_n(&per_cpu(softirq_pending_bits, cpu),
                           __ATOMIC_SEQ_CST) != 0;
}

void do_softirq(void)
{
    unsigned long *pending = &this_cpu(softirq_pending_bits);
    unsigned long bits;

    while ( (bits = __atomic_load_n(pending, __ATOMIC_SEQ_CST)) != 0 )
    {
        unsigned int nr = __builtin_ctzl(bits);

        /* Clear before running, so a raise during the handler re-runs it. */
        __atomic_fetch_and(pending, ~(1UL << nr), __ATOMIC_SEQ_CST);
        if ( nr < NR_SOFTIRQS && handlers[nr] )
            handlers[nr]();
    }
}
