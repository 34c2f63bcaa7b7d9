/*
 * domctl: the control domain's operations on one domain (create,
 * destroy, pause, unpause, information, vCPU count and information,
 * scheduler parameters, triggers, building a domain, its console), and
 * getdomaininfo(), the one function that describes a domain for both
 * domctl and sysctl.
 *
 * Building: createdomain leaves the domain paused by the toolstack and
 * "building" (domain_build_hold); populate_ram, copy_to_guest,
 * build_platform and setvcpucontext work only until its first
 * unpausedomain (-EBUSY after, or for a domain never held: the boot
 * modules'), and all but populate_ram need its RAM (-ENODATA before).
 * Every field is checked here against the RAM populate_ram gave; the
 * architecture (xen/domain.h hooks) writes the platform and registers.
 *
 * The argument is copied in whole from the caller's virtual address
 * space, checked (interface version, padding and unused bytes zero,
 * every field), acted on, and copied back only by the commands that
 * return something.  The caller's privilege was checked by
 * do_hypercall().
 *
 * Locking: domctl_lock serialises all domctls, as in Xen, so that pause,
 * unpause and destroy of one domain never race each other, and so that
 * a domain's build state (building, its RAM size) is stable while a
 * build domctl uses it.  Taken outside every other lock.  A known
 * limit: pausing or destroying a privileged domain whose vCPU is
 * waiting for domctl_lock would wait forever (Xen avoids this with
 * hypercall continuations, which this hypervisor does not have).
 */
#include <xen/lib.h>
#include <xen/domain.h>
#include <xen/errno.h>
#include <xen/guest_access.h>
#include <xen/hypercall.h>
#include <xen/mm.h>
#include <xen/sched.h>
#include <xen/smp.h>
#include <xen/spinlock.h>
#include <xen/xmalloc.h>

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
    info->create_time = domain_create_time(d);
    /*
     * The exit port's status is written before domain_shutdown() sets
     * is_shutting_down (a sequentially consistent store), and read only
     * after that flag was seen above.
     */
    if ( flags & XEN_DOMINF_shutdown )
        info->exit_status = arch_domain_exit_status(d);
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
        pads_zero = !op->u.getdomaininfo.pad0 && !op->u.getdomaininfo.pad1;
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
    case XEN_DOMCTL_populate_ram:
        used = sizeof(op->u.populate_ram);
        break;
    case XEN_DOMCTL_copy_to_guest:
        used = sizeof(op->u.copy_to_guest);
        pads_zero = !op->u.copy_to_guest.pad;
        break;
    case XEN_DOMCTL_build_platform:
        used = sizeof(op->u.build_platform);
        pads_zero = !op->u.build_platform.pad;
        break;
    case XEN_DOMCTL_setvcpucontext:
        used = sizeof(op->u.setvcpucontext);
        pads_zero = !op->u.setvcpucontext.pad;
        break;
    case XEN_DOMCTL_console_io:
        used = sizeof(op->u.console_io);
        break;
    case XEN_DOMCTL_setvcpuaffinity:
    case XEN_DOMCTL_getvcpuaffinity:
        used = sizeof(op->u.vcpuaffinity);
        pads_zero = !op->u.vcpuaffinity.pad;
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

/* --- building a domain (createdomain leaves it held for this) --- */

/* Guest RAM stops below the IOAPIC's page (public/domctl.h). */
#define GUEST_RAM_LIMIT     0xfec00000ULL
#define GUEST_RAM_MIN       (2ULL << 20)
#define GUEST_HIGH_RAM      (1ULL << 20)    /* segments load from here */
#define BUILD_STRING_MAX    (64u << 10)
#define CONSOLE_READ_CHUNK  256

static long populate_ram(struct domain *d,
                         const struct xen_domctl_populate_ram *pr)
{
    u64 bytes = pr->mem_bytes;

    if ( (bytes & (PAGE_SIZE - 1)) || bytes < GUEST_RAM_MIN ||
         bytes > GUEST_RAM_LIMIT || (bytes >> PAGE_SHIFT) > d->max_pages )
        return -EINVAL;
    return domain_populate_ram(d, bytes);
}

/*
 * Whether d may still be built: -EBUSY once it was let run (or was
 * never held for building: boot domains), -ENODATA before populate_ram.
 */
static int check_building(struct domain *d)
{
    if ( !domain_building(d) )
        return -EBUSY;
    if ( !domain_ram_bytes(d) )
        return -ENODATA;
    return 0;
}

/* [start, start + len) inside d's RAM, without overflow. */
static bool in_ram(struct domain *d, u64 start, u64 len)
{
    u64 ram = domain_ram_bytes(d);

    return start <= ram && len <= ram - start;
}

/*
 * The whole chunk is copied in before anything is written, so a bad
 * buffer leaves the domain's memory as it was; once the range is known
 * to be in RAM, writing it cannot fail.
 */
static long copy_chunk(struct hypercall_ctx *ctx, struct domain *d,
                       const struct xen_domctl_copy_to_guest *ct)
{
    struct domain *caller = ctx->v->domain;
    void *bounce;
    long rc;

    if ( !ct->size || ct->size > XEN_DOMCTL_COPY_MAX )
        return -EINVAL;
    rc = check_building(d);
    if ( rc )
        return rc;
    if ( !in_ram(d, ct->gpaddr, ct->size) )
        return -EINVAL;

    bounce = ct->buffer ? xmalloc_bytes(ct->size) : xzalloc_bytes(ct->size);
    if ( !bounce )
        return -ENOMEM;
    rc = 0;
    if ( ct->buffer &&
         copy_from_guest_virt(caller, &ctx->paging, bounce, ct->buffer,
                              ct->size) )
        rc = -EFAULT;
    if ( !rc )
        rc = copy_to_guest_phys(d, ct->gpaddr, bounce, ct->size);
    xfree(bounce);
    return rc;
}

/*
 * One of build_platform's strings: len bytes from the caller, no NUL
 * among them (the boot information would cut it there), terminated
 * here.  *out is "" for len 0 (the handle is then not read).
 */
static long copy_string(struct hypercall_ctx *ctx, u64 handle, u32 len,
                        char **out)
{
    char *s;

    *out = NULL;
    if ( len > BUILD_STRING_MAX )
        return -E2BIG;
    s = xmalloc_bytes(len + 1);
    if ( !s )
        return -ENOMEM;
    if ( len && copy_from_guest_virt(ctx->v->domain, &ctx->paging, s,
                                     handle, len) )
    {
        xfree(s);
        return -EFAULT;
    }
    s[len] = '\0';
    if ( strlen(s) != len )
    {
        xfree(s);
        return -EINVAL;
    }
    *out = s;
    return 0;
}

static long build_platform(struct hypercall_ctx *ctx, struct domain *d,
                           struct xen_domctl_build_platform *bp)
{
    struct domain_platform p = {
        .kind = bp->kind,
        .entry = bp->entry,
        .kernel_end = bp->kernel_end,
        .module_size = bp->module_size,
    };
    char *cmdline = NULL, *modargs = NULL;
    long rc;

    if ( bp->kind != XEN_DOMCTL_PLATFORM_PVH &&
         bp->kind != XEN_DOMCTL_PLATFORM_MULTIBOOT )
        return -EINVAL;
    /* Arguments for a module there is not. */
    if ( !bp->module_size && bp->module_args_len )
        return -EINVAL;
    rc = check_building(d);
    if ( rc )
        return rc;
    p.ram_bytes = domain_ram_bytes(d);
    /* The image's plan, as libimage gave it to the tools: in RAM. */
    if ( bp->kernel_end <= GUEST_HIGH_RAM || bp->kernel_end > p.ram_bytes ||
         bp->entry < GUEST_HIGH_RAM || bp->entry >= bp->kernel_end )
        return -EINVAL;
    /* Whether the module and the rest fit is the layout's to say. */
    if ( bp->module_size > p.ram_bytes )
        return -E2BIG;

    rc = copy_string(ctx, bp->cmdline, bp->cmdline_len, &cmdline);
    if ( !rc )
        rc = copy_string(ctx, bp->module_args, bp->module_args_len,
                         &modargs);
    if ( !rc )
    {
        p.cmdline = cmdline;
        p.module_args = modargs;
        rc = arch_domain_build_platform(d, &p, &bp->module_paddr,
                                        &bp->boot);
    }
    xfree(cmdline);
    xfree(modargs);
    return rc;
}

static long setvcpucontext(struct domain *d,
                           const struct xen_domctl_setvcpucontext *sc)
{
    struct vcpu *v;
    long rc;

    if ( sc->vcpu >= d->max_vcpus || !d->vcpu[sc->vcpu] ||
         (sc->boot.flags & ~XEN_DOMCTL_VCPU_BOOT_PVH) )
        return -EINVAL;
    rc = check_building(d);
    if ( rc )
        return rc;
    if ( !in_ram(d, sc->boot.eip, 1) )
        return -EINVAL;
    v = d->vcpu[sc->vcpu];
    /*
     * Nothing but this layer brings up a vCPU of a domain that never ran
     * (its own vCPUs would, by INIT-SIPI, but none runs): with
     * domctl_lock held the flag stays as read.
     */
    if ( !(__atomic_load_n(&v->pause_flags, __ATOMIC_SEQ_CST) & VPF_down) )
        return -EBUSY;
    arch_vcpu_set_boot(v, &sc->boot);
    /* Still paused by the toolstack: it runs at unpausedomain. */
    return vcpu_up(v);
}

/*
 * READ copies the ring out in small pieces: the ring is read under the
 * UART's lock, the copy to the caller happens without it.  A fault
 * part-way returns -EFAULT; nothing was consumed (the index is the
 * caller's).
 */
static long console_io(struct hypercall_ctx *ctx, struct domain *d,
                       struct xen_domctl_console_io *cio)
{
    struct domain *caller = ctx->v->domain;
    char chunk[CONSOLE_READ_CHUNK], *in;
    u64 index = cio->index;
    u32 done = 0;
    long rc;

    switch ( cio->cmd )
    {
    case XEN_DOMCTL_CONSOLE_READ:
        while ( done < cio->size )
        {
            rc = arch_domain_console_read(d, &index, chunk,
                                          min(cio->size - done,
                                              (u32)sizeof(chunk)));
            if ( rc < 0 )
                return rc;
            if ( !rc )
                break;
            if ( copy_to_guest_virt(caller, &ctx->paging,
                                    cio->buffer + done, chunk, rc) )
                return -EFAULT;
            done += rc;
        }
        /* An empty read still checks the index. */
        if ( !cio->size )
        {
            rc = arch_domain_console_read(d, &index, chunk, 0);
            if ( rc < 0 )
                return rc;
        }
        cio->index = index;
        cio->size = done;
        return 0;

    case XEN_DOMCTL_CONSOLE_WRITE:
        if ( cio->index || cio->size > XEN_DOMCTL_COPY_MAX )
            return -EINVAL;
        if ( !cio->size )
            return 0;
        in = xmalloc_bytes(cio->size);
        if ( !in )
            return -ENOMEM;
        rc = 0;
        if ( copy_from_guest_virt(caller, &ctx->paging, in, cio->buffer,
                                  cio->size) )
            rc = -EFAULT;
        else
            cio->size = arch_domain_console_input(d, in, cio->size);
        xfree(in);
        return rc;

    default:
        return -EINVAL;
    }
}

/*
 * set/getvcpuaffinity: the vCPU index (-EINVAL beyond the domain's vCPUs
 * or for one that does not exist, as getvcpuinfo), then for set the map:
 * no bit at or beyond NR_CPUS, none for an offline pCPU, not empty
 * (-EINVAL).  Nothing is changed by a refusal.  Get returns the hard
 * affinity in force, in the same layout.
 */
static long vcpuaffinity(struct domain *d, unsigned int cmd,
                         struct xen_domctl_vcpuaffinity *va)
{
    struct vcpu *v;
    cpumask_t mask;

    if ( va->vcpu >= d->max_vcpus || !(v = d->vcpu[va->vcpu]) )
        return -EINVAL;

    if ( cmd == XEN_DOMCTL_getvcpuaffinity )
    {
        memset(va->cpumap, 0, sizeof(va->cpumap));
        for ( unsigned int c = 0;
              c < NR_CPUS && c < XEN_DOMCTL_CPUMAP_BITS; c++ )
            if ( cpumask_test_cpu(c, &v->cpu_hard_affinity) )
                va->cpumap[c / 64] |= 1ULL << (c % 64);
        return 0;
    }

    cpumask_clear(&mask);
    for ( unsigned int c = 0; c < XEN_DOMCTL_CPUMAP_BITS; c++ )
    {
        if ( !(va->cpumap[c / 64] & (1ULL << (c % 64))) )
            continue;
        if ( c >= NR_CPUS || !cpumask_test_cpu(c, &cpu_online_map) )
            return -EINVAL;
        cpumask_set_cpu(c, &mask);
    }
    if ( cpumask_empty(&mask) )
        return -EINVAL;
    return vcpu_set_hard_affinity(v, &mask);
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
        /* Built by the tools, then let run by one unpausedomain. */
        rc = domain_build_hold(created);
        if ( rc )
        {
            domain_destroy(created);
            created = NULL;
            break;
        }
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

    case XEN_DOMCTL_populate_ram:
        rc = populate_ram(d, &op.u.populate_ram);
        break;

    case XEN_DOMCTL_copy_to_guest:
        rc = copy_chunk(ctx, d, &op.u.copy_to_guest);
        break;

    case XEN_DOMCTL_build_platform:
        rc = build_platform(ctx, d, &op.u.build_platform);
        copyback = !rc;
        break;

    case XEN_DOMCTL_setvcpucontext:
        rc = setvcpucontext(d, &op.u.setvcpucontext);
        break;

    case XEN_DOMCTL_console_io:
        rc = console_io(ctx, d, &op.u.console_io);
        copyback = !rc;
        break;

    case XEN_DOMCTL_setvcpuaffinity:
    case XEN_DOMCTL_getvcpuaffinity:
        rc = vcpuaffinity(d, op.cmd, &op.u.vcpuaffinity);
        copyback = !rc && op.cmd == XEN_DOMCTL_getvcpuaffinity;
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
