/*
 * What the architecture adds to a domain's life: common/domain.c calls
 * these, arch/x86/domain.c implements them.
 */
#ifndef XEN_DOMAIN_H
#define XEN_DOMAIN_H

#include <xen/types.h>
#include <public/domctl.h>

struct domain;
struct vcpu;

/*
 * Set up the architecture's state of a new domain and of each of its
 * vCPUs (all allocated by then).  0 or a negative errno; on failure
 * nothing of it is left behind.
 */
int arch_domain_create(struct domain *d, unsigned int flags);

/* Undo it, once no vCPU is on the scheduler and before memory is freed. */
void arch_domain_destroy(struct domain *d);

/*
 * A privileged domain unpaused d (domctl): whatever concluded that
 * nothing can make progress must not trust what it read before.
 */
void arch_domain_unpaused(struct domain *d);

/* Print the architecture's per-vCPU counters (exits by reason). */
void arch_dump_vcpu_counters(struct vcpu *v);

/* XEN_SYSCTL_PHYSCAP_* for physinfo: which HVM backend runs guests. */
unsigned int arch_physinfo_caps(void);

/*
 * Serial input for d's console (the HVM UART's receiver): how many of the
 * len bytes it took.  Process or softirq context, never hard IRQ.
 */
unsigned int arch_domain_console_input(struct domain *d, const char *buf,
                                       unsigned int len);

/*
 * The platform's NMI line pulsed for v (XEN_DOMCTL_SENDTRIGGER_NMI): it
 * reaches v through its local APIC's LINT1 input.  Any pCPU.
 */
void arch_vcpu_nmi_trigger(struct vcpu *v);

/*
 * The toolstack's domain builder (domctl build_platform and
 * setvcpucontext).  The domctl layer has checked every field against
 * the domain's RAM, [0, ram_bytes), and copied the strings in; the
 * architecture lays out and writes what a boot loader would leave.
 */
struct domain_platform
{
    unsigned int kind;              /* XEN_DOMCTL_PLATFORM_* */
    u64 entry;                      /* in [1 MiB, kernel_end) */
    u64 kernel_end;                 /* <= ram_bytes */
    u64 module_size;                /* 0: no module */
    u64 ram_bytes;
    const char *cmdline;            /* NUL-terminated, <= 64 KiB */
    const char *module_args;        /* likewise; "" without a module */
};
/*
 * Build d's platform: 0 with the module's place and vCPU 0's entry
 * state, or a negative errno (-E2BIG: the module or the boot
 * information does not fit in RAM).  Called before d first runs.
 */
int arch_domain_build_platform(struct domain *d,
                               const struct domain_platform *p,
                               u64 *module_paddr,
                               struct xen_domctl_vcpu_boot *boot);

/*
 * Set v's registers to the boot state (32-bit flat protected mode,
 * paging off); v is down and its domain has never run.
 */
void arch_vcpu_set_boot(struct vcpu *v,
                        const struct xen_domctl_vcpu_boot *boot);

/*
 * Up to 'size' bytes of d's console output from *index (bytes ever
 * written; older text than the ring holds is skipped), *index moved
 * past them: the count, or -EINVAL if *index is beyond what was written.
 */
long arch_domain_console_read(struct domain *d, u64 *index, char *buf,
                              unsigned int size);

/*
 * The status d wrote to the exit port, if that is how it ended; 0
 * otherwise.  Only after d->is_shutting_down was seen set.
 */
u32 arch_domain_exit_status(struct domain *d);

/*
 * d's power button pressed (XEN_DOMCTL_SENDTRIGGER_POWER): the platform
 * tells the guest, whose OS decides what follows (usually a power-off).
 * Pressing again before the guest has taken the press changes nothing.
 * Any pCPU, not hard IRQ context.
 */
void arch_domain_power_trigger(struct domain *d);

#endif /* XEN_DOMAIN_H */
