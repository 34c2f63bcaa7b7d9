/*
 * What the irq_stats sysctl asks of the architecture: the interrupt
 * delivery counters of one pCPU or one vCPU, in the public layout.
 */
#ifndef XEN_IRQ_STATS_H
#define XEN_IRQ_STATS_H

#include <public/sysctl.h>

struct vcpu;

/* -EINVAL when 'cpu' is not an online pCPU with wakeup lists. */
int arch_irq_stats_pcpu(unsigned int cpu, struct xen_irq_stats_pcpu *out);
/* -EINVAL when v is not an HVM vCPU. */
int arch_irq_stats_vcpu(struct vcpu *v, struct xen_irq_stats_vcpu *out);

#endif /* XEN_IRQ_STATS_H */
