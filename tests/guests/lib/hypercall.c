/*
 * Hypercalls from a test kernel: the instruction by CPU vendor, and the
 * sysctl wrappers.  Buffers are passed by address: with paging off the
 * guest's virtual addresses are its physical ones.
 */
#include "hypercall.h"
#include "string.h"
#include "x86.h"

/* The public structures are laid out the same for 32- and 64-bit code. */
_Static_assert(sizeof(struct xen_sysctl) == 136, "xen_sysctl layout");
_Static_assert(sizeof(struct xen_domctl) == 144, "xen_domctl layout");
_Static_assert(sizeof(struct xen_irq_stats_vcpu) ==
               16 + 12 * 8 + 32 * 8 + 2 * 8,
               "xen_irq_stats_vcpu layout");
_Static_assert(sizeof(struct xen_irq_stats_pcpu) == 24 + 256 * 56,
               "xen_irq_stats_pcpu layout");

bool xen_lite_present(void)
{
    uint32_t a, sig[3];

    cpuid(0x40000000, 0, &a, &sig[0], &sig[1], &sig[2]);
    return !memcmp(sig, "xen-lite\0\0\0\0", 12);
}

static bool amd(void)
{
    uint32_t a, b, c, d;

    cpuid(0, 0, &a, &b, &c, &d);
    return b == 0x68747541;             /* "Auth"enticAMD */
}

long hypercall3(uint32_t nr, uint32_t a0, uint32_t a1, uint32_t a2)
{
    uint32_t ret = nr;

    if ( amd() )
        asm volatile ( "vmmcall"
                       : "+a" (ret) : "D" (a0), "S" (a1), "d" (a2)
                       : "memory" );
    else
        asm volatile ( "vmcall"
                       : "+a" (ret) : "D" (a0), "S" (a1), "d" (a2)
                       : "memory" );
    return (int32_t)ret;
}

long xen_sysctl(struct xen_sysctl *op)
{
    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    return hypercall3(__HYPERVISOR_sysctl, (uint32_t)op, 0, 0);
}

long xen_domctl(struct xen_domctl *op)
{
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    return hypercall3(__HYPERVISOR_domctl, (uint32_t)op, 0, 0);
}

long xen_physinfo(struct xen_sysctl_physinfo *out)
{
    struct xen_sysctl op;
    long rc;

    memset(&op, 0, sizeof(op));
    op.cmd = XEN_SYSCTL_physinfo;
    rc = xen_sysctl(&op);
    if ( !rc )
        *out = op.u.physinfo;
    return rc;
}

static long irq_stats(uint32_t kind, uint32_t cpu, uint32_t vcpu, void *buf,
                      uint32_t size)
{
    struct xen_sysctl op;

    memset(&op, 0, sizeof(op));
    op.cmd = XEN_SYSCTL_irq_stats;
    op.u.irq_stats.version = XEN_IRQ_STATS_VERSION;
    op.u.irq_stats.kind = kind;
    op.u.irq_stats.cpu = cpu;
    op.u.irq_stats.domid = kind == XEN_IRQ_STATS_vcpu ? DOMID_SELF : 0;
    op.u.irq_stats.vcpu = vcpu;
    op.u.irq_stats.size = size;
    op.u.irq_stats.buffer = (uint32_t)buf;
    return xen_sysctl(&op);
}

long xen_irq_stats_pcpu(uint32_t cpu, struct xen_irq_stats_pcpu *out)
{
    return irq_stats(XEN_IRQ_STATS_pcpu, cpu, 0, out, sizeof(*out));
}

void xen_irq_stats_pcpu_total(const struct xen_irq_stats_pcpu *p,
                              struct xen_irq_stats_wakeup_vector *total)
{
    memset(total, 0, sizeof(*total));
    for ( uint32_t i = 0;
          i < p->nr_vectors && i < XEN_IRQ_STATS_MAX_VECTORS; i++ )
    {
        const struct xen_irq_stats_wakeup_vector *v = &p->vec[i];

        total->nr_blocked += v->nr_blocked;
        total->handler_runs += v->handler_runs;
        total->entries_scanned += v->entries_scanned;
        total->woken += v->woken;
        total->spurious += v->spurious;
        total->handler_cycles += v->handler_cycles;
        if ( v->max_scan > total->max_scan )
            total->max_scan = v->max_scan;
    }
}

long xen_irq_stats_vcpu(uint32_t vcpu, struct xen_irq_stats_vcpu *out)
{
    return irq_stats(XEN_IRQ_STATS_vcpu, 0, vcpu, out, sizeof(*out));
}

long xen_debug_keys(const char *keys)
{
    struct xen_sysctl op;

    memset(&op, 0, sizeof(op));
    op.cmd = XEN_SYSCTL_debug_keys;
    op.u.debug_keys.keys = (uint32_t)keys;
    op.u.debug_keys.nr_keys = strlen(keys);
    return xen_sysctl(&op);
}
