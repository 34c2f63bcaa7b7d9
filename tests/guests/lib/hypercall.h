/*
 * Hypercalls to xen-lite from a test kernel (32-bit protected mode: the
 * number in eax, arguments in edi, esi, edx; see public/xen.h), and the
 * sysctls the tests read their statistics with.  The test kernel must be
 * the privileged domain for sysctls.
 */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>
#include <public/domctl.h>
#include <public/sysctl.h>

/* Whether CPUID 0x40000000 names xen-lite (and so hypercalls work). */
bool xen_lite_present(void);

/* VMCALL or VMMCALL, whichever this CPU's vendor uses. */
long hypercall3(uint32_t nr, uint32_t a0, uint32_t a1, uint32_t a2);

/* sysctl 'op' (interface_version filled in); 0 or a negative errno. */
long xen_sysctl(struct xen_sysctl *op);
/* domctl 'op', likewise. */
long xen_domctl(struct xen_domctl *op);

long xen_physinfo(struct xen_sysctl_physinfo *out);
long xen_irq_stats_pcpu(uint32_t cpu, struct xen_irq_stats_pcpu *out);
/*
 * A pCPU's wakeup-vector counters added up over its K vectors (max_scan:
 * the largest; nr_blocked: the sum).
 */
void xen_irq_stats_pcpu_total(const struct xen_irq_stats_pcpu *p,
                              struct xen_irq_stats_wakeup_vector *total);
/* vCPU 'vcpu' of the calling domain. */
long xen_irq_stats_vcpu(uint32_t vcpu, struct xen_irq_stats_vcpu *out);

/* Run the hypervisor's debug-key handlers for 'keys' (a failure report). */
long xen_debug_keys(const char *keys);

#endif /* GUEST_HYPERCALL_H */
