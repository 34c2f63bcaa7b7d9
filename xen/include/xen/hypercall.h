/*
 * The hypercall entry point and the handlers behind it.
 */
#ifndef XEN_HYPERCALL_H
#define XEN_HYPERCALL_H

#include <xen/types.h>
#include <xen/guest_access.h>

struct vcpu;

/* Who is calling: the vCPU, its privilege level and its paging state. */
struct hypercall_ctx
{
    struct vcpu *v;
    unsigned int cpl;
    struct guest_paging paging;
};

/*
 * Dispatch hypercall 'nr' with its five arguments.  Returns >= 0 or a
 * negated XEN_E* error (-ENOSYS for an unknown number).
 */
long do_hypercall(struct hypercall_ctx *ctx, u64 nr, const u64 args[5]);

long do_domctl(struct hypercall_ctx *ctx, u64 uarg);
/* The one description of a domain, for getdomaininfo and its list. */
struct domain;
struct xen_domctl_getdomaininfo;
void getdomaininfo(struct domain *d, struct xen_domctl_getdomaininfo *info);
long do_sysctl(struct hypercall_ctx *ctx, u64 uarg);
long do_console_io(struct hypercall_ctx *ctx, u64 cmd, u64 count, u64 buf);

#endif /* XEN_HYPERCALL_H */
