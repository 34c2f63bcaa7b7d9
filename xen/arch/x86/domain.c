/*
 * The architecture's side of running vCPUs.  A pCPU's own stack always
 * runs idle_loop(); a guest vCPU runs by entering the guest from that loop
 * (hvm_vcpu_run) until an exit needs the scheduler or a softirq, so a
 * context switch needs no stack switch: only the posted-interrupt
 * descriptor and the vlapic timer follow the vCPU.  Also the
 * architecture's side of the domctls (xen/domain.h): the platform a
 * toolstack-built domain boots on, vCPU boot state, console, exit
 * status.
 */
#include <xen/lib.h>
#include <xen/domain.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <xen/sched-if.h>
#include <xen/smp.h>
#include <xen/softirq.h>
#include <asm/system.h>
#include <asm/hvm/builder.h>
#include <asm/hvm/domain.h>
#include <asm/hvm/hvm.h>
#include <asm/hvm/io.h>
#include <asm/hvm/pi_blocked.h>
#include <asm/hvm/vlapic.h>
#include <asm/hvm/kvmclock.h>
#include <asm/hvm/progress.h>

void idle_loop(void) __attribute__((__noreturn__));

/* xen-lite runs HVM guests only: a domain needs SVM or VMX behind it. */
int arch_domain_create(struct domain *d, unsigned int flags)
{
    unsigned int i;
    int rc;

    if ( !(flags & XEN_DOMCTL_CDF_hvm) )
        return -EINVAL;
    if ( !hvm_funcs )
        return -ENODEV;
    rc = hvm_domain_initialise(d);
    if ( rc )
        return rc;
    for ( i = 0; i < d->max_vcpus; i++ )
        if ( (rc = hvm_vcpu_initialise(d->vcpu[i])) != 0 )
            break;
    if ( rc )
        arch_domain_destroy(d);
    return rc;
}

void arch_domain_destroy(struct domain *d)
{
    for ( unsigned int i = 0; i < d->max_vcpus; i++ )
        hvm_vcpu_destroy(d->vcpu[i]);
    hvm_domain_destroy(d);
}

void arch_domain_unpaused(struct domain *d)
{
    (void)d;
    hvm_progress_unpaused();
}

/*
 * On a PC the NMI button and the chipset's NMI sources drive LINT1 of
 * every processor (the MADT's local APIC NMI entry, acpi_build.c): the
 * guest's LVT LINT1 entry decides, as on the machine.
 */
void arch_vcpu_nmi_trigger(struct vcpu *v)
{
    vlapic_lint1_edge(vcpu_vlapic(v));
}

/*
 * A hardware-reduced platform's power button: the Generic Event Device's
 * status bit and interrupt, which its _EVT turns into a notification of
 * the PNP0C0C device (acpi_pm.c, dsdt.asl).
 */
void arch_domain_power_trigger(struct domain *d)
{
    acpi_pm_power_button(d);
}

void sched_context_switch(struct vcpu *prev, struct vcpu *next)
{
    unsigned int cpu = smp_processor_id();

    /*
     * A prev that blocked in HLT is on a wakeup list: its descriptor must
     * keep notifying that list (SN = 0), or it would sleep through its
     * next interrupt.  If the handler takes it off meanwhile, the handler
     * sets SN itself.
     */
    if ( !is_idle_vcpu(prev) && prev->hvm )
    {
        /* Before context_saved(): from then on another pCPU may run it. */
        hvm_xstate_switch_out(prev);
        kvm_pv_switch_out(prev);
        if ( !pi_blocked_on_list(prev) )
            pi_set_not_running(prev);
    }
    if ( !is_idle_vcpu(next) && next->hvm )
    {
        /*
         * Off its wakeup list (if a kick, not the handler, woke it),
         * then notifications to here: in this order, so the handler
         * cannot switch the descriptor back after pi_set_running().
         */
        pi_blocked_leave(next);
        pi_set_running(next, cpu);
        hvm_xstate_switch_in(next);
        vlapic_migrate_timer(&next->hvm->vlapic, cpu);
        kvm_pv_switch_in(next);
    }
}

void sched_vcpu_migrated(struct vcpu *v, unsigned int cpu)
{
    /*
     * A blocked vCPU's wakeup list follows it, so that its interrupts
     * notify the pCPU it may run on; a vCPU on no list is left alone.
     */
    if ( !is_idle_vcpu(v) && v->hvm )
        pi_blocked_move(v, cpu);
}

unsigned int arch_domain_console_input(struct domain *d, const char *buf,
                                       unsigned int len)
{
    return d->is_hvm ? vuart_receive(d, (const u8 *)buf, len) : 0;
}

int arch_domain_build_platform(struct domain *d,
                               const struct domain_platform *p,
                               u64 *module_paddr,
                               struct xen_domctl_vcpu_boot *boot)
{
    struct hvm_platform_args args = {
        .pvh = p->kind == XEN_DOMCTL_PLATFORM_PVH,
        .entry = p->entry,
        .kernel_end = p->kernel_end,
        .module_len = p->module_size,
        .cmdline = p->cmdline,
        .module_args = p->module_args,
        .mem_bytes = p->ram_bytes,
        .nr_vcpus = d->max_vcpus,
    };
    struct hvm_boot_state bs;
    int rc;

    if ( !d->is_hvm )
        return -EINVAL;
    rc = hvm_build_platform(d, &args, module_paddr, &bs);
    if ( rc )
        return rc;
    boot->eip = bs.eip;
    boot->eax = bs.eax;
    boot->ebx = bs.ebx;
    boot->flags = bs.pvh ? XEN_DOMCTL_VCPU_BOOT_PVH : 0;
    return 0;
}

void arch_vcpu_set_boot(struct vcpu *v,
                        const struct xen_domctl_vcpu_boot *boot)
{
    struct hvm_boot_state bs = {
        .pvh = boot->flags & XEN_DOMCTL_VCPU_BOOT_PVH,
        .eip = boot->eip,
        .eax = boot->eax,
        .ebx = boot->ebx,
    };

    hvm_vcpu_set_boot_state(v, &bs);
}

long arch_domain_console_read(struct domain *d, u64 *index, char *buf,
                              unsigned int size)
{
    return d->is_hvm ? vuart_console_read(d, index, buf, size) : -EINVAL;
}

u32 arch_domain_exit_status(struct domain *d)
{
    const struct hvm_domain *h = d->is_hvm ? d->hvm : NULL;

    /* hvm_domain_exit() wrote both before domain_shutdown(). */
    return h && READ_ONCE(h->exit_requested) ? READ_ONCE(h->exit_status)
                                             : 0;
}

void arch_dump_vcpu_counters(struct vcpu *v)
{
    if ( v->hvm )
        hvm_dump_exit_counters(v);
}

void idle_loop(void)
{
    unsigned int cpu = smp_processor_id();

    for ( ; ; )
    {
        struct vcpu *v;

        /*
         * Check with interrupts off, then STI;HLT as one step: a softirq
         * raised by an interrupt after the check wakes the HLT.
         */
        local_irq_disable();
        if ( softirq_pending(cpu) )
        {
            local_irq_enable();
            do_softirq();
            continue;
        }
        v = current;
        if ( is_idle_vcpu(v) )
        {
            safe_halt();
            continue;
        }
        local_irq_enable();
        hvm_vcpu_run(v);
    }
}
