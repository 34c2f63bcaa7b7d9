/*
 * sysctl: the control domain's system-wide operations: reading the
 * console ring, physical information, the list of domains, debug keys,
 * the scheduler's global parameters and the interrupt statistics.
 *
 * As for domctl, the argument is copied in whole, checked (interface
 * version, padding and unused bytes zero, every field) and copied back
 * with the results.  Buffers inside it are the caller's virtual
 * addresses, reached through the same copy path.  The caller's privilege
 * was checked by do_hypercall().
 *
 * Locking: none of its own.  Each operation relies on the locks of what
 * it reads (console ring, domain list and references, page allocator,
 * scheduler, key handlers).
 */
#include <xen/lib.h>
#include <xen/console.h>
#include <xen/domain.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/hypercall.h>
#include <xen/irq_stats.h>
#include <xen/keyhandler.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/smp.h>
#include <xen/time.h>
#include <xen/xmalloc.h>

#define READCONSOLE_MAX         (1U << 20)      /* bytes per call */
#define DOMAININFOLIST_MAX      1024            /* entries per call */
#define CONSOLE_CHUNK           256             /* bounce buffer */

/* As in domctl.c: -ENOSYS for an unknown command, -EINVAL for pad bytes. */
static int check_unused(const struct xen_sysctl *op)
{
    size_t used;
    bool pads_zero = true;

    switch ( op->cmd )
    {
    case XEN_SYSCTL_readconsole:
        used = sizeof(op->u.readconsole);
        pads_zero = !op->u.readconsole.pad0;
        break;
    case XEN_SYSCTL_physinfo:
        used = sizeof(op->u.physinfo);
        break;
    case XEN_SYSCTL_getdomaininfolist:
        used = sizeof(op->u.getdomaininfolist);
        pads_zero = !op->u.getdomaininfolist.pad0 &&
                    !op->u.getdomaininfolist.pad1;
        break;
    case XEN_SYSCTL_debug_keys:
        used = sizeof(op->u.debug_keys);
        pads_zero = !op->u.debug_keys.pad;
        break;
    case XEN_SYSCTL_scheduler_op:
        used = sizeof(op->u.scheduler_op);
        break;
    case XEN_SYSCTL_irq_stats:
        used = sizeof(op->u.irq_stats);
        pads_zero = !op->u.irq_stats.pad0;
        break;
    default:
        return -ENOSYS;
    }

    if ( !pads_zero ||
         !mem_is_zero((const u8 *)&op->u + used, sizeof(op->u) - used) )
        return -EINVAL;
    return 0;
}

/*
 * Copy ring text to the caller's buffer through a small bounce buffer.
 * On -EFAULT the buffer may hold part of the text; index, count and the
 * ring are left alone.
 */
static long readconsole(struct hypercall_ctx *ctx,
                        struct xen_sysctl_readconsole *rc)
{
    char chunk[CONSOLE_CHUNK];
    u64 pos;
    u32 done = 0;

    if ( rc->count == 0 || rc->count > READCONSOLE_MAX ||
         rc->clear > 1 || rc->incremental > 1 )
        return -EINVAL;
    /* An index from the future means nothing (and the ring only grows). */
    if ( rc->incremental && rc->index > console_ring_written() )
        return -EINVAL;

    /* From 0, console_ring_read() starts at the oldest text kept. */
    pos = rc->incremental ? rc->index : 0;
    while ( done < rc->count )
    {
        size_t n = console_ring_read(&pos, chunk,
                                     min(rc->count - done,
                                         (u32)sizeof(chunk)));

        if ( !n )
            break;
        if ( copy_to_guest_virt(ctx->v->domain, &ctx->paging,
                                rc->buffer + done, chunk, n) )
            return -EFAULT;
        done += n;
    }
    rc->count = done;
    rc->index = pos;
    return 0;
}

static void physinfo(struct xen_sysctl_physinfo *pi)
{
    memset(pi, 0, sizeof(*pi));
    pi->nr_cpus = cpumask_weight(&cpu_online_map);
    pi->max_cpu_id = nr_cpu_ids ? nr_cpu_ids - 1 : 0;
    pi->cpu_khz = cpu_khz;
    pi->capabilities = arch_physinfo_caps();
    pi->total_pages = total_heap_pages();
    pi->free_pages = free_heap_pages_count();
    pi->now = NOW();
}

/*
 * References are taken under the list lock and the entries filled after
 * it is dropped, so no other lock nests inside the list lock.  The
 * entries are copied out in one piece: a bad buffer gets none of them.
 */
static long getdomaininfolist(struct hypercall_ctx *ctx,
                              struct xen_sysctl_getdomaininfolist *dl)
{
    struct xen_domctl_getdomaininfo *info;
    struct domain **doms, *d;
    unsigned int n = 0;
    long rc = 0;

    if ( dl->max_domains < 1 || dl->max_domains > DOMAININFOLIST_MAX )
        return -EINVAL;

    doms = xzalloc_array(struct domain *, dl->max_domains);
    info = xzalloc_array(struct xen_domctl_getdomaininfo, dl->max_domains);
    if ( !doms || !info )
    {
        rc = -ENOMEM;
        goto out;
    }

    domlist_read_lock();
    for ( d = domain_first(); d && n < dl->max_domains; d = domain_next(d) )
        if ( d->domain_id >= dl->first_domain && get_domain(d) )
            doms[n++] = d;
    domlist_read_unlock();

    for ( unsigned int i = 0; i < n; i++ )
    {
        getdomaininfo(doms[i], &info[i]);
        put_domain(doms[i]);
    }

    if ( n && copy_to_guest_virt(ctx->v->domain, &ctx->paging, dl->buffer,
                                 info, n * sizeof(*info)) )
        rc = -EFAULT;
    else
        dl->num_domains = n;

 out:
    xfree(doms);
    xfree(info);
    return rc;
}

/* All keys are read before the first handler runs. */
static long debug_keys(struct hypercall_ctx *ctx,
                       const struct xen_sysctl_debug_keys *dk)
{
    unsigned char keys[XEN_SYSCTL_DEBUG_KEYS_MAX];

    if ( dk->nr_keys < 1 || dk->nr_keys > XEN_SYSCTL_DEBUG_KEYS_MAX )
        return -EINVAL;
    if ( copy_from_guest_virt(ctx->v->domain, &ctx->paging, keys, dk->keys,
                              dk->nr_keys) )
        return -EFAULT;
    for ( unsigned int i = 0; i < dk->nr_keys; i++ )
        handle_keypress(keys[i]);
    return 0;
}

/*
 * The counters of one pCPU or one vCPU into the caller's buffer.  The
 * structures are large, so they are built in xmalloc'd memory; a bad
 * buffer gets -EFAULT and 'size' is only updated on success.
 */
static long irq_stats(struct hypercall_ctx *ctx,
                      struct xen_sysctl_irq_stats *is)
{
    union
    {
        struct xen_irq_stats_pcpu pcpu;
        struct xen_irq_stats_vcpu vcpu;
    } *buf;
    struct domain *d = NULL;
    size_t len;
    long rc;

    if ( is->version != XEN_IRQ_STATS_VERSION )
        return -EACCES;
    switch ( is->kind )
    {
    case XEN_IRQ_STATS_pcpu:
        if ( is->domid || is->vcpu )
            return -EINVAL;
        len = sizeof(buf->pcpu);
        break;
    case XEN_IRQ_STATS_vcpu:
        if ( is->cpu )
            return -EINVAL;
        len = sizeof(buf->vcpu);
        break;
    default:
        return -EINVAL;
    }
    if ( is->size < len )
        return -EINVAL;

    buf = xzalloc(typeof(*buf));
    if ( !buf )
        return -ENOMEM;
    if ( is->kind == XEN_IRQ_STATS_pcpu )
        rc = arch_irq_stats_pcpu(is->cpu, &buf->pcpu);
    else
    {
        if ( is->domid == DOMID_SELF )
        {
            d = ctx->v->domain;
            if ( !get_domain(d) )
                d = NULL;
        }
        else
            d = get_domain_by_id(is->domid);
        if ( !d )
            rc = -ESRCH;
        else if ( is->vcpu >= d->max_vcpus || !d->vcpu ||
                  !d->vcpu[is->vcpu] )
            rc = -EINVAL;
        else
            rc = arch_irq_stats_vcpu(d->vcpu[is->vcpu], &buf->vcpu);
    }
    if ( !rc && copy_to_guest_virt(ctx->v->domain, &ctx->paging,
                                   is->buffer, buf, len) )
        rc = -EFAULT;
    if ( !rc )
        is->size = (u32)len;
    if ( d )
        put_domain(d);
    xfree(buf);
    return rc;
}

long do_sysctl(struct hypercall_ctx *ctx, u64 uarg)
{
    struct domain *caller = ctx->v->domain;
    struct xen_sysctl op;
    bool copyback = false;
    long rc;

    if ( copy_from_guest_virt(caller, &ctx->paging, &op, uarg, sizeof(op)) )
        return -EFAULT;
    if ( op.interface_version != XEN_SYSCTL_INTERFACE_VERSION )
        return -EACCES;
    rc = check_unused(&op);
    if ( rc )
        return rc;

    switch ( op.cmd )
    {
    case XEN_SYSCTL_readconsole:
        rc = readconsole(ctx, &op.u.readconsole);
        copyback = !rc;
        break;

    case XEN_SYSCTL_physinfo:
        physinfo(&op.u.physinfo);
        copyback = true;
        break;

    case XEN_SYSCTL_getdomaininfolist:
        rc = getdomaininfolist(ctx, &op.u.getdomaininfolist);
        copyback = !rc;
        break;

    case XEN_SYSCTL_debug_keys:
        rc = debug_keys(ctx, &op.u.debug_keys);
        break;

    case XEN_SYSCTL_scheduler_op:
        if ( op.u.scheduler_op.cmd != XEN_SYSCTL_SCHEDOP_putinfo &&
             op.u.scheduler_op.cmd != XEN_SYSCTL_SCHEDOP_getinfo )
        {
            rc = -EINVAL;
            break;
        }
        rc = sched_adjust_global(&op.u.scheduler_op);
        copyback = !rc &&
                   op.u.scheduler_op.cmd == XEN_SYSCTL_SCHEDOP_getinfo;
        break;

    case XEN_SYSCTL_irq_stats:
        rc = irq_stats(ctx, &op.u.irq_stats);
        copyback = !rc;
        break;
    }

    if ( copyback &&
         copy_to_guest_virt(caller, &ctx->paging, uarg, &op, sizeof(op)) )
        return -EFAULT;

    /*
     * Clear only once the caller has the text.  Anything printed since
     * the read is cleared too, as in Xen.
     */
    if ( !rc && op.cmd == XEN_SYSCTL_readconsole &&
         op.u.readconsole.clear )
        console_ring_clear();

    return rc;
}
