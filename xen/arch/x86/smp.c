/*
 * Cross-pCPU operations: event-check IPIs, function calls on other pCPUs,
 * and stopping every other pCPU when the machine goes down.
 *
 * Function calls: call_lock serialises callers; call_data is written under
 * it before the IPIs go out.  A target reads fn/data, then clears its bit
 * in call_data.pending (before running fn when the caller does not wait,
 * after when it does); the caller keeps call_lock until every bit is
 * clear, so call_data is never rewritten while a target still reads it.
 */
#include <xen/lib.h>
#include <xen/smp.h>
#include <xen/spinlock.h>
#include <xen/time.h>
#include <asm/apic.h>
#include <asm/irq_vectors.h>
#include <asm/smpboot.h>
#include <asm/stack.h>
#include <asm/system.h>
#include <asm/traps.h>

cpumask_t cpu_online_map;
unsigned int nr_cpu_ids = 1;

static DEFINE_SPINLOCK(call_lock);
static struct
{
    void (*fn)(void *);
    void *data;
    bool wait;
    cpumask_t pending;
} call_data;

static unsigned int cpus_stopped;

static void send_ipi_cpu(unsigned int cpu, unsigned int vector)
{
    apic_send_ipi(cpu_to_apic_id(cpu), APIC_DM_FIXED | vector);
}

void smp_send_event_check_cpu(unsigned int cpu)
{
    send_ipi_cpu(cpu, EVENT_CHECK_VECTOR);
}

static void event_check_interrupt(struct cpu_user_regs *regs)
{
    /* Nothing to do: returning to the idle loop checks the softirqs. */
    (void)regs;
}

static void call_function_interrupt(struct cpu_user_regs *regs)
{
    unsigned int cpu = smp_processor_id();
    void (*fn)(void *) = READ_ONCE(call_data.fn);
    void *data = READ_ONCE(call_data.data);
    bool wait = READ_ONCE(call_data.wait);

    (void)regs;
    if ( !wait )
        cpumask_clear_cpu(cpu, &call_data.pending);
    fn(data);
    if ( wait )
        cpumask_clear_cpu(cpu, &call_data.pending);
}

void on_selected_cpus(const cpumask_t *mask, void (*fn)(void *),
                      void *data, bool wait)
{
    unsigned int cpu, self = smp_processor_id();

    /* Waiting with interrupts off could deadlock against another caller. */
    ASSERT(local_irq_is_enabled());

    spin_lock(&call_lock);
    call_data.fn = fn;
    call_data.data = data;
    call_data.wait = wait;
    cpumask_copy(&call_data.pending, mask);
    cpumask_clear_cpu(self, &call_data.pending);
    /* The atomic bit updates above are full barriers on x86. */
    for_each_cpu ( cpu, &call_data.pending )
        send_ipi_cpu(cpu, CALL_FUNCTION_VECTOR);

    if ( cpumask_test_cpu(self, mask) )
    {
        unsigned long flags;

        local_irq_save(flags);
        fn(data);
        local_irq_restore(flags);
    }

    while ( !cpumask_empty(&call_data.pending) )
        cpu_relax();
    spin_unlock(&call_lock);
}

void smp_call_function(void (*fn)(void *), void *data, bool wait)
{
    cpumask_t others;

    cpumask_copy(&others, &cpu_online_map);
    cpumask_clear_cpu(smp_processor_id(), &others);
    on_selected_cpus(&others, fn, data, wait);
}

void stop_this_cpu(void)
{
    local_irq_disable();
    cpumask_clear_cpu(smp_processor_id(), &cpu_online_map);
    __atomic_fetch_add(&cpus_stopped, 1, __ATOMIC_SEQ_CST);
    for ( ;; )
        halt();
}

static void halt_interrupt(struct cpu_user_regs *regs)
{
    (void)regs;
    stop_this_cpu();
}

unsigned int stop_other_cpus(bool use_nmi)
{
    unsigned int others = cpumask_weight(&cpu_online_map) - 1;
    s_time_t deadline;

    if ( !others )
        return 0;
    /*
     * An NMI gets through even to a pCPU spinning with interrupts off,
     * which is what a crash needs; a clean exit uses a normal vector so
     * no pCPU stops in the middle of a critical section.
     */
    apic_send_ipi(0, APIC_DEST_ALLBUT |
                     (use_nmi ? APIC_DM_NMI : APIC_DM_FIXED | HALT_VECTOR));
    deadline = NOW() + MILLISECS(500);
    while ( READ_ONCE(cpus_stopped) < others && NOW() < deadline )
        cpu_relax();
    return READ_ONCE(cpus_stopped);
}

void smp_intr_init(void)
{
    set_vector_handler(EVENT_CHECK_VECTOR, event_check_interrupt);
    set_vector_handler(CALL_FUNCTION_VECTOR, call_function_interrupt);
    set_vector_handler(HALT_VECTOR, halt_interrupt);
}
