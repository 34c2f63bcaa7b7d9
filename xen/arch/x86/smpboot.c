/*
 * Bringing up the application processors: the real-mode trampoline is
 * copied below 1 MiB, and each AP is started with INIT-SIPI-SIPI, one at a
 * time, on a stack, per-CPU area and descriptor tables prepared for it.
 */
#include <xen/lib.h>
#include <xen/acpi.h>
#include <xen/mm.h>
#include <xen/param.h>
#include <xen/sched.h>
#include <xen/smp.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <asm/apic.h>
#include <asm/bootinfo.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/processor.h>
#include <asm/smpboot.h>
#include <asm/stack.h>
#include <asm/system.h>
#include <asm/time.h>
#include <asm/traps.h>

#define TRAMPOLINE_PA   0x8000      /* SIPI vector 0x08 */

extern const char trampoline_start[], trampoline_end[];
extern u32 ap_cpu;
extern u64 ap_stack_top;

u32 x86_cpu_to_apicid[NR_CPUS];

/* smp=N: bring up at most N pCPUs (the boot pCPU included). */
static unsigned int opt_smp = NR_CPUS;
integer_param("smp", opt_smp);

void idle_loop(void) __attribute__((__noreturn__));
void start_secondary(unsigned int cpu);

void start_secondary(unsigned int cpu)
{
    percpu_set_area(cpu, __per_cpu_offset[cpu]);
    cpu_desc_load(cpu);
    apic_init_ap();
    lapic_timer_cpu_init();

    /* The BSP waits for this bit; everything above is done by then. */
    cpumask_set_cpu(cpu, &cpu_online_map);
    local_irq_enable();
    idle_loop();
}

static bool trampoline_page_is_ram(void)
{
    for ( unsigned int i = 0; i < boot_info.nr_regions; i++ )
    {
        const struct boot_region *r = &boot_info.regions[i];

        if ( r->type == MEM_RAM && r->addr <= TRAMPOLINE_PA &&
             r->addr + r->len >= TRAMPOLINE_PA + PAGE_SIZE )
            return true;
    }
    return false;
}

static bool wait_online(unsigned int cpu, s_time_t timeout)
{
    s_time_t end = NOW() + timeout;

    while ( NOW() < end )
        if ( cpumask_test_cpu(cpu, &cpu_online_map) )
            return true;
    return cpumask_test_cpu(cpu, &cpu_online_map);
}

static int boot_one_cpu(unsigned int cpu, u32 apic_id)
{
    void *stack;
    int rc;

    if ( (rc = percpu_alloc_area(cpu)) != 0 ||
         (rc = cpu_desc_init(cpu)) != 0 ||
         (rc = timer_cpu_init(cpu)) != 0 ||
         (rc = idle_vcpu_init(cpu)) != 0 ||
         (rc = sched_cpu_init(cpu)) != 0 )
        return rc;
    irq_cpu_init(cpu);
    stack = alloc_xenheap_pages(STACK_ORDER, 0);
    if ( !stack )
        return -1;

    x86_cpu_to_apicid[cpu] = apic_id;
    WRITE_ONCE(ap_cpu, cpu);
    WRITE_ONCE(ap_stack_top, (unsigned long)stack + STACK_SIZE);
    /* Stores are not reordered with the APIC write that starts the AP. */
    smp_wmb();

    /* INIT, then two SIPIs, with the delays of the MP specification. */
    apic_send_ipi(apic_id, APIC_DM_INIT | APIC_INT_ASSERT |
                           APIC_INT_LEVELTRIG);
    udelay(10000);
    for ( unsigned int i = 0; i < 2; i++ )
    {
        apic_send_ipi(apic_id, APIC_DM_STARTUP | (TRAMPOLINE_PA >> 12));
        if ( wait_online(cpu, MICROSECS(i ? 1000000 : 200)) )
            return 0;
    }
    return -1;
}

unsigned int smp_boot_cpus(const struct acpi_info *acpi)
{
    u32 self = get_apic_id();
    unsigned int cpu = 1;

    x86_cpu_to_apicid[0] = self;
    cpumask_set_cpu(0, &cpu_online_map);
    smp_intr_init();

    if ( !acpi->have_madt )
    {
        printk(XENLOG_WARNING "SMP: no MADT, running on the boot CPU\n");
        return 1;
    }
    if ( !trampoline_page_is_ram() )
    {
        printk(XENLOG_WARNING "SMP: no RAM at %#x for the AP trampoline\n",
               TRAMPOLINE_PA);
        return 1;
    }
    memcpy((void *)TRAMPOLINE_PA, trampoline_start,
           trampoline_end - trampoline_start);

    for ( unsigned int i = 0; i < acpi->nr_cpus; i++ )
    {
        u32 apic_id = acpi->cpus[i].apic_id;

        if ( apic_id == self )
            continue;
        if ( cpu >= opt_smp || cpu >= NR_CPUS )
        {
            printk("SMP: not starting APIC ID %u (smp=%u)\n", apic_id,
                   opt_smp);
            continue;
        }
        if ( boot_one_cpu(cpu, apic_id) )
        {
            /*
             * Never hand this number to another AP: a late starter must
             * not share a per-CPU area with the next one.
             */
            printk(XENLOG_ERR "SMP: CPU %u (APIC ID %u) did not start\n",
                   cpu, apic_id);
            cpu++;
            continue;
        }
        printk(XENLOG_DEBUG "SMP: CPU %u is APIC ID %u\n", cpu, apic_id);
        cpu++;
    }
    nr_cpu_ids = cpu;
    return cpumask_weight(&cpu_online_map);
}
