/*
 * The hypercall dispatcher: a table from hypercall number to handler,
 * and the one place that decides who may make which call.
 *
 * Privilege: domctl and sysctl are for the privileged (control) domain,
 * running at CPL 0; console_io is for any domain's kernel (CPL 0).  The
 * handlers behind the table rely on this check.  No locking: the table
 * is constant.
 */
#include <xen/lib.h>
#include <xen/errno.h>
#include <xen/hypercall.h>
#include <xen/sched.h>

struct hypercall_entry
{
    long (*fn)(struct hypercall_ctx *ctx, const u64 args[5]);
    bool privileged;                /* control domain only */
};

static long hc_console_io(struct hypercall_ctx *ctx, const u64 args[5])
{
    return do_console_io(ctx, args[0], args[1], args[2]);
}

static long hc_sysctl(struct hypercall_ctx *ctx, const u64 args[5])
{
    return do_sysctl(ctx, args[0]);
}

static long hc_domctl(struct hypercall_ctx *ctx, const u64 args[5])
{
    return do_domctl(ctx, args[0]);
}

static const struct hypercall_entry hypercall_table[NR_hypercalls] = {
    [__HYPERVISOR_console_io] = { hc_console_io, false },
    [__HYPERVISOR_sysctl]     = { hc_sysctl, true },
    [__HYPERVISOR_domctl]     = { hc_domctl, true },
};

/* KVM's numbers are dispatched before this table (kvm_hypercall.h). */
#define NOT_KVM(nr) BUILD_BUG_ON((nr) >= 1 && (nr) <= 12)
NOT_KVM(__HYPERVISOR_console_io);
NOT_KVM(__HYPERVISOR_sysctl);
NOT_KVM(__HYPERVISOR_domctl);

long do_hypercall(struct hypercall_ctx *ctx, u64 nr, const u64 args[5])
{
    const struct hypercall_entry *e;

    ASSERT(ctx && ctx->v && args);

    if ( nr >= NR_hypercalls || !hypercall_table[nr].fn )
        return -ENOSYS;
    e = &hypercall_table[nr];

    /* A guest's user space never reaches the hypervisor directly. */
    if ( ctx->cpl != 0 )
        return -EPERM;
    if ( e->privileged && !ctx->v->domain->is_privileged )
        return -EPERM;

    return e->fn(ctx, args);
}
