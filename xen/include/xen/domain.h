/*
 * What the architecture adds to a domain's life: common/domain.c calls
 * these, arch/x86/domain.c implements them.
 */
#ifndef XEN_DOMAIN_H
#define XEN_DOMAIN_H

struct domain;

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

struct vcpu;
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
 * d's power button pressed (XEN_DOMCTL_SENDTRIGGER_POWER): the platform
 * tells the guest, whose OS decides what follows (usually a power-off).
 * Pressing again before the guest has taken the press changes nothing.
 * Any pCPU, not hard IRQ context.
 */
void arch_domain_power_trigger(struct domain *d);

#endif /* XEN_DOMAIN_H */
