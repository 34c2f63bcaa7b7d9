/*
 * domctl: the control domain's operations on one domain (create,
 * destroy, pause, unpause, information, vCPU count and information,
 * scheduler parameters, triggers), and getdomaininfo(), the one function that
 * describes a domain for both domctl and sysctl.
 *
 * The argument is copied in whole from the caller's virtual address
 * space, checked (interface version, padding and unused bytes zero,
 * every field), acted on, and copied back only by the commands that
 * return something.  The caller's privilege was checked by
 * do_hypercall().
 *
 * Locking: domctl_lock serialises all domctls, as in Xen, so that pause,
 * unpause and destroy of one domain never race each other.  Taken
 * outside every other lock.  A known limit: pausing or destroying a
 * privileged domain whose vCPU is waiting for domctl_lock would wait
 * forever (Xen avoids this with hypercall continuations, which this
 * hypervisor does not have).
 */
#include <xen/lib.h>
#include <xen/domain.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/hypercall.h>
#include <xen/sched.h>
#include <xen/spinlock.h>

static DEFINE_SPINLOCK(domctl_lock);

/*
 * Fill 'info' from d, as Xen does.  The caller holds a reference to d.
 * 'paused' means any pause is in force (toolstack or internal).
 */
void getdomaininfo(struct domain *d, struct xen_domctl_getdomaininfo *info)
{
    u32 flags = XEN_DOMINF_blocked;     /* cleared by a non-blocked vCPU */

    memset(info, 0, sizeof(*info));
    info->domain = d->domain_id;

    for ( unsigned int i = 0; i < d->max_vcpus; i++ )
    {
        struct vcpu *v = d->vcpu[i];
        unsigned long pf;

        if ( !v )
            continue;
        pf = __atomic_load_n(&v->pause_flags, __ATOMIC_SEQ_CST);
        info->cpu_time += vcpu_cpu_time(v);
        info->max_vcpu_id = v->vcpu_id;
        if ( pf & VPF_down )
            continue;
        if ( !(pf & VPF_blocked) )
            flags &= ~XEN_DOMINF_blocked;
        if ( READ_ONCE(v->is_running) )
            flags |= XEN_DOMINF_running;
        info->nr_online_vcpus++;
    }
    if ( !info->nr_online_vcpus )
        flags = 0;

    if ( __atomic_load_n(&d->state, __ATOMIC_SEQ_CST) != DOMSTATE_active )
        flags |= XEN_DOMINF_dying;
    /* domain_shutdown() writes the code before it sets the flag. */
    if ( __atomic_load_n(&d->is_shutting_down, __ATOMIC_SEQ_CST) )
        flags |= XEN_DOMINF_shutdown |
                 ((u32)READ_ONCE(d->shutdown_code) <<
                  XEN_DOMINF_shutdownshift);
    if ( __atomic_load_n(&d->pause_count, __ATOMIC_SEQ_CST) )
        flags |= XEN_DOMINF_paused;
    if ( d->is_hvm )
        flags |= XEN_DOMINF_hvm_guest;
    if ( d->is_privileged )
        flags |= XEN_DOMINF_privileged;
    info->flags = flags;

    spin_lock(&d->page_lock);
    info->tot_pages = d->tot_pages;
    spin_unlock(&d->page_lock);
    info->max_pages = d->max_pages;
}

/*
 * Unknown command: -ENOSYS.  Otherwise the explicit pad fields of the
 * command's structure and every byte of the union past it must be zero
 * (-EINVAL), so that they can be given a meaning later.
 */
static int check_unused(const struct xen_domctl *op)
{
    size_t used;
    bool pads_zero = true;

    switch ( op->cmd )
    {
    case XEN_DOMCTL_createdomain:
        used = sizeof(op->u.createdomain);
        break;
    case XEN_DOMCTL_destroydomain:
    case XEN_DOMCTL_pausedomain:
    case XEN_DOMCTL_unpausedomain:
        used = 0;
        break;
    case XEN_DOMCTL_getdomaininfo:
        used = sizeof(op->u.getdomaininfo);
        pads_zero = !op->u.getdomaininfo.pad0;
        break;
    case XEN_DOMCTL_max_vcpus:
        used = sizeof(op->u.max_vcpus);
        pads_zero = !op->u.max_vcpus.pad;
        break;
    case XEN_DOMCTL_getvcpuinfo:
        used = sizeof(op->u.getvcpuinfo);
        pads_zero = !op->u.getvcpuinfo.pad && !op->u.getvcpuinfo.pad1;
        break;
    case XEN_DOMCTL_scheduler_op:
        used = sizeof(op->u.scheduler_op);
        pads_zero = !op->u.scheduler_op.credit.pad;
        break;
    case XEN_DOMCTL_sendtrigger:
        used = sizeof(op->u.sendtrigger);
        break;
    default:
        return -ENOSYS;
    }

    if ( !pads_zero || !mem_is_zero(op->pad, sizeof(op->pad)) ||
         !mem_is_zero((const u8 *)&op->u + used, sizeof(op->u) - used) )
        return -EINVAL;
    return 0;
}

/* The first domain with an id >= 'from', with a reference, or NULL. */
static struct domain *first_domain_from(domid_t from)
{
    struct domain *d;

    domlist_read_lock();
    for ( d = domain_first(); d && d->domain_id < from; d = domain_next(d) )
        ;
    /* On the list means active, so this only fails in theory. */
    if ( d && !get_domain(d) )
        d = NULL;
    domlist_read_unlock();
    return d;
}

static void getvcpuinfo(struct vcpu *v, struct xen_domctl_getvcpuinfo *vi)
{
    unsigned long pf = __atomic_load_n(&v->pause_flags, __ATOMIC_SEQ_CST);

    vi->online = !(pf & VPF_down);
    vi->blocked = !!(pf & VPF_blocked);
    vi->running = READ_ONCE(v->is_running);
    vi->cpu_time = vcpu_cpu_time(v);
    vi->cpu = READ_ONCE(v->processor);
    vcpu_runstate_get(v, &vi->runstate);
}

/*
 * As Xen's: the vCPU index first (-EINVAL beyond the domain's vCPUs,
 * -ESRCH for one that does not exist), then the trigger (-ENOSYS for one
 * this platform does not have).  Nothing is changed by a refusal.  The
 * power button belongs to the domain: the vCPU is only validated.
 */
static long sendtrigger(struct domain *d,
                        const struct xen_domctl_sendtrigger *st)
{
    struct vcpu *v;

    if ( st->vcpu >= d->max_vcpus )
        return -EINVAL;
    v = d->vcpu[st->vcpu];
    if ( !v )
        return -ESRCH;
    switch ( st->trigger )
    {
    case XEN_DOMCTL_SENDTRIGGER_NMI:
        arch_vcpu_nmi_trigger(v);
        return 0;
    case XEN_DOMCTL_SENDTRIGGER_POWER:
        arch_domain_power_trigger(d);
        return 0;
    default:
        return -ENOSYS;
    }
}

long do_domctl(struct hypercall_ctx *ctx, u64 uarg)
{
    struct domain *caller = ctx->v->domain, *d = NULL, *created = NULL;
    struct xen_domctl op;
    bool copyback = false;
    long rc;

    if ( copy_from_guest_virt(caller, &ctx->paging, &op, uarg, sizeof(op)) )
        return -EFAULT;
    if ( op.interface_version != XEN_DOMCTL_INTERFACE_VERSION )
        return -EACCES;
    rc = check_unused(&op);
    if ( rc )
        return rc;

    spin_lock(&domctl_lock);

    /* DOMID_IDLE and the other reserved ids are never on the list. */
    if ( op.cmd != XEN_DOMCTL_createdomain &&
         op.cmd != XEN_DOMCTL_getdomaininfo )
    {
        d = get_domain_by_id(op.domain);
        if ( !d )
        {
            rc = -ESRCH;
            goto out;
        }
    }

    switch ( op.cmd )
    {
    case XEN_DOMCTL_createdomain:
        rc = domain_create(op.domain, op.u.createdomain.flags,
                           op.u.createdomain.max_vcpus,
                           op.u.createdomain.max_pages, &created);
        if ( rc )
            break;
        op.domain = created->domain_id;
        copyback = true;
        break;

    case XEN_DOMCTL_destroydomain:
        rc = d == caller ? -EINVAL : domain_destroy(d);
        break;

    case XEN_DOMCTL_pausedomain:
        /* Waiting for our own vCPU to stop would never end. */
        rc = d == caller ? -EINVAL : domain_pause_by_systemcontroller(d);
        break;

    case XEN_DOMCTL_unpausedomain:
        rc = domain_unpause_by_systemcontroller(d);
        break;

    case XEN_DOMCTL_getdomaininfo:
        d = first_domain_from(op.domain);
        if ( !d )
        {
            rc = -ESRCH;
            break;
        }
        getdomaininfo(d, &op.u.getdomaininfo);
        op.domain = d->domain_id;
        copyback = true;
        break;

    case XEN_DOMCTL_max_vcpus:
        /*
         * vCPUs are allocated with the domain: changing their number
         * later is not supported, so only the current value succeeds.
         */
        rc = op.u.max_vcpus.max == d->max_vcpus ? 0 : -EINVAL;
        break;

    case XEN_DOMCTL_getvcpuinfo:
        if ( op.u.getvcpuinfo.vcpu >= d->max_vcpus ||
             !d->vcpu[op.u.getvcpuinfo.vcpu] )
        {
            rc = -EINVAL;
            break;
        }
        getvcpuinfo(d->vcpu[op.u.getvcpuinfo.vcpu], &op.u.getvcpuinfo);
        copyback = true;
        break;

    case XEN_DOMCTL_scheduler_op:
        if ( op.u.scheduler_op.cmd != XEN_DOMCTL_SCHEDOP_putinfo &&
             op.u.scheduler_op.cmd != XEN_DOMCTL_SCHEDOP_getinfo )
        {
            rc = -EINVAL;
            break;
        }
        rc = sched_adjust(d, &op.u.scheduler_op);
        copyback = !rc &&
                   op.u.scheduler_op.cmd == XEN_DOMCTL_SCHEDOP_getinfo;
        break;

    case XEN_DOMCTL_sendtrigger:
        rc = sendtrigger(d, &op.u.sendtrigger);
        break;
    }

    if ( copyback &&
         copy_to_guest_virt(caller, &ctx->paging, uarg, &op, sizeof(op)) )
    {
        rc = -EFAULT;
        /* The caller cannot learn the new id: undo the creation. */
        if ( created )
            domain_destroy(created);
    }

 out:
    spin_unlock(&domctl_lock);
    if ( d )
        put_domain(d);
    return rc;
}
