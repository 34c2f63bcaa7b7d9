/*
 * libxl-lite's hypercall wrappers: one function per domctl or sysctl the
 * toolstack uses, over an ops table that is /dev/xen-lite/privcmd in
 * real use (privcmd.c) and a mock in the unit tests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <public/errno.h>
#include <public/xen.h>

#include "private.h"


const char *xll_strerror(int rc)
{
    switch ( -rc )
    {
    case 0:             return "success";
    case XEN_EPERM:     return "permission denied";
    case XEN_ENOENT:    return "no such file or directory";
    case XEN_ESRCH:     return "no such domain";
    case XEN_EINTR:     return "interrupted";
    case XEN_EIO:       return "input/output error";
    case XEN_E2BIG:     return "argument list too long";
    case XEN_ENOMEM:    return "out of memory";
    case XEN_EACCES:    return "interface version mismatch";
    case XEN_EFAULT:    return "bad address (buffer not present)";
    case XEN_EBUSY:     return "busy (the domain has already run)";
    case XEN_EEXIST:    return "already exists";
    case XEN_ENODEV:    return "no such device";
    case XEN_EINVAL:    return "invalid argument";
    case XEN_ENOSPC:    return "no space left";
    case XEN_ERANGE:    return "out of range";
    case XEN_ENOSYS:    return "not implemented by this hypervisor";
    case XEN_ENODATA:   return "no data";
    case XEN_EOVERFLOW: return "value too large";
    case ENOTTY:        return "not the xen-lite privcmd device";
    }
    return "unknown error";
}

struct xll_handle *xll_open_ops(const struct xll_ops *ops, void *priv)
{
    struct xll_handle *h = calloc(1, sizeof(*h));

    if ( h )
    {
        h->ops = ops;
        h->priv = priv;
        h->fd = -1;
    }
    return h;
}

void xll_close(struct xll_handle *h)
{
    if ( !h )
        return;
    if ( h->fd >= 0 )
        close(h->fd);
    free(h);
}

static void domctl_init(struct xen_domctl *op, uint32_t cmd,
                        uint32_t domid)
{
    memset(op, 0, sizeof(*op));
    op->cmd = cmd;
    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    op->domain = domid;
}

static void sysctl_init(struct xen_sysctl *op, uint32_t cmd)
{
    memset(op, 0, sizeof(*op));
    op->cmd = cmd;
    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
}

static int domctl(struct xll_handle *h, struct xen_domctl *op, void *buf,
                  size_t len)
{
    return h->ops->domctl(h->priv, op, buf, len);
}

static int sysctl(struct xll_handle *h, struct xen_sysctl *op, void *buf,
                  size_t len)
{
    return h->ops->sysctl(h->priv, op, buf, len);
}

/* An id the domctl's 16-bit field can carry, and not a reserved one. */
static bool domid_ok(uint32_t domid)
{
    return domid < DOMID_FIRST_RESERVED;
}

int xll_domain_create(struct xll_handle *h, uint32_t max_vcpus,
                      uint64_t max_pages, uint32_t *domid)
{
    struct xen_domctl op;
    int rc;

    domctl_init(&op, XEN_DOMCTL_createdomain, 0);
    op.u.createdomain.flags = XEN_DOMCTL_CDF_hvm;
    op.u.createdomain.max_vcpus = max_vcpus;
    op.u.createdomain.max_pages = max_pages;
    rc = domctl(h, &op, NULL, 0);
    if ( rc == 0 )
        *domid = op.domain;
    return rc;
}

static int simple(struct xll_handle *h, uint32_t cmd, uint32_t domid)
{
    struct xen_domctl op;

    if ( !domid_ok(domid) )
        return -XEN_ESRCH;
    domctl_init(&op, cmd, domid);
    return domctl(h, &op, NULL, 0);
}

int xll_domain_destroy(struct xll_handle *h, uint32_t domid)
{
    return simple(h, XEN_DOMCTL_destroydomain, domid);
}

int xll_domain_pause(struct xll_handle *h, uint32_t domid)
{
    return simple(h, XEN_DOMCTL_pausedomain, domid);
}

int xll_domain_unpause(struct xll_handle *h, uint32_t domid)
{
    return simple(h, XEN_DOMCTL_unpausedomain, domid);
}

int xll_domain_power_button(struct xll_handle *h, uint32_t domid)
{
    struct xen_domctl op;

    if ( !domid_ok(domid) )
        return -XEN_ESRCH;
    domctl_init(&op, XEN_DOMCTL_sendtrigger, domid);
    op.u.sendtrigger.trigger = XEN_DOMCTL_SENDTRIGGER_POWER;
    op.u.sendtrigger.vcpu = 0;
    return domctl(h, &op, NULL, 0);
}

int xll_domain_info(struct xll_handle *h, uint32_t domid,
                    struct xen_domctl_getdomaininfo *info)
{
    struct xen_domctl op;
    int rc;

    if ( !domid_ok(domid) )
        return -XEN_ESRCH;
    domctl_init(&op, XEN_DOMCTL_getdomaininfo, domid);
    rc = domctl(h, &op, NULL, 0);
    if ( rc )
        return rc;
    /* As Xen's, the call answers with the first domain from 'domid' on. */
    if ( op.domain != domid || op.u.getdomaininfo.domain != domid )
        return -XEN_ESRCH;
    *info = op.u.getdomaininfo;
    return 0;
}

int xll_domain_list(struct xll_handle *h,
                    struct xen_domctl_getdomaininfo **infos)
{
    enum { BATCH = 64 };
    struct xen_domctl_getdomaininfo *all = NULL, *nall;
    unsigned int nr = 0;
    uint32_t first = 0;
    struct xen_sysctl op;
    int rc;

    for ( ;; )
    {
        nall = realloc(all, (nr + BATCH) * sizeof(*all));
        if ( !nall )
        {
            free(all);
            return -XEN_ENOMEM;
        }
        all = nall;
        memset(all + nr, 0, BATCH * sizeof(*all));
        sysctl_init(&op, XEN_SYSCTL_getdomaininfolist);
        op.u.getdomaininfolist.first_domain = first;
        op.u.getdomaininfolist.max_domains = BATCH;
        op.u.getdomaininfolist.buffer = (uintptr_t)(all + nr);
        rc = sysctl(h, &op, all + nr, BATCH * sizeof(*all));
        if ( rc < 0 )
        {
            free(all);
            return rc;
        }
        if ( op.u.getdomaininfolist.num_domains > BATCH )
        {
            free(all);
            return -XEN_EIO;
        }
        nr += op.u.getdomaininfolist.num_domains;
        if ( op.u.getdomaininfolist.num_domains < BATCH )
            break;
        first = all[nr - 1].domain + 1u;
        if ( first >= DOMID_FIRST_RESERVED )
            break;
    }
    *infos = all;
    return (int)nr;
}

int xll_populate_ram(struct xll_handle *h, uint32_t domid,
                     uint64_t mem_bytes)
{
    struct xen_domctl op;

    domctl_init(&op, XEN_DOMCTL_populate_ram, domid);
    op.u.populate_ram.mem_bytes = mem_bytes;
    return domctl(h, &op, NULL, 0);
}

int xll_copy_to_guest(struct xll_handle *h, uint32_t domid,
                      uint64_t gpaddr, const void *src, uint64_t size)
{
    struct xen_domctl op;
    uint64_t done = 0;
    int rc;

    while ( done < size )
    {
        uint32_t n = size - done > XEN_DOMCTL_COPY_MAX ?
                     XEN_DOMCTL_COPY_MAX : (uint32_t)(size - done);
        /* The hypervisor only reads it; the cast is for the ops' type. */
        void *p = src ? (char *)(uintptr_t)src + done : NULL;

        domctl_init(&op, XEN_DOMCTL_copy_to_guest, domid);
        op.u.copy_to_guest.gpaddr = gpaddr + done;
        op.u.copy_to_guest.buffer = (uintptr_t)p;
        op.u.copy_to_guest.size = n;
        rc = domctl(h, &op, p, p ? n : 0);
        if ( rc < 0 )
            return rc;
        done += n;
    }
    return 0;
}

int xll_build_platform(struct xll_handle *h, uint32_t domid,
                       struct xen_domctl_build_platform *bp,
                       const char *cmdline)
{
    struct xen_domctl op;
    size_t len = cmdline ? strlen(cmdline) : 0;
    int rc;

    if ( len > (64u << 10) )
        return -XEN_E2BIG;
    domctl_init(&op, XEN_DOMCTL_build_platform, domid);
    op.u.build_platform = *bp;
    op.u.build_platform.pad = 0;
    op.u.build_platform.cmdline = len ? (uintptr_t)cmdline : 0;
    op.u.build_platform.cmdline_len = len;
    op.u.build_platform.module_args = 0;
    op.u.build_platform.module_args_len = 0;
    op.u.build_platform.module_paddr = 0;
    memset(&op.u.build_platform.boot, 0, sizeof(op.u.build_platform.boot));
    rc = domctl(h, &op, len ? (char *)(uintptr_t)cmdline : NULL, len);
    if ( rc == 0 )
    {
        bp->module_paddr = op.u.build_platform.module_paddr;
        bp->boot = op.u.build_platform.boot;
    }
    return rc;
}

int xll_setvcpucontext(struct xll_handle *h, uint32_t domid,
                       uint32_t vcpu,
                       const struct xen_domctl_vcpu_boot *boot)
{
    struct xen_domctl op;

    domctl_init(&op, XEN_DOMCTL_setvcpucontext, domid);
    op.u.setvcpucontext.vcpu = vcpu;
    op.u.setvcpucontext.boot = *boot;
    return domctl(h, &op, NULL, 0);
}

int xll_vcpu_setaffinity(struct xll_handle *h, uint32_t domid,
                         uint32_t vcpu, const struct xll_cpumap *map)
{
    struct xen_domctl op;

    if ( !domid_ok(domid) )
        return -XEN_ESRCH;
    domctl_init(&op, XEN_DOMCTL_setvcpuaffinity, domid);
    op.u.vcpuaffinity.vcpu = vcpu;
    _Static_assert(sizeof(op.u.vcpuaffinity.cpumap) == sizeof(map->bits),
                   "one cpumap layout on both sides");
    memcpy(op.u.vcpuaffinity.cpumap, map->bits, sizeof(map->bits));
    return domctl(h, &op, NULL, 0);
}

int xll_vcpu_getaffinity(struct xll_handle *h, uint32_t domid,
                         uint32_t vcpu, struct xll_cpumap *map)
{
    struct xen_domctl op;
    int rc;

    if ( !domid_ok(domid) )
        return -XEN_ESRCH;
    domctl_init(&op, XEN_DOMCTL_getvcpuaffinity, domid);
    op.u.vcpuaffinity.vcpu = vcpu;
    rc = domctl(h, &op, NULL, 0);
    if ( rc == 0 )
        memcpy(map->bits, op.u.vcpuaffinity.cpumap, sizeof(map->bits));
    return rc;
}

int xll_vcpu_info(struct xll_handle *h, uint32_t domid, uint32_t vcpu,
                  struct xen_domctl_getvcpuinfo *info)
{
    struct xen_domctl op;
    int rc;

    if ( !domid_ok(domid) )
        return -XEN_ESRCH;
    domctl_init(&op, XEN_DOMCTL_getvcpuinfo, domid);
    op.u.getvcpuinfo.vcpu = vcpu;
    rc = domctl(h, &op, NULL, 0);
    if ( rc == 0 )
        *info = op.u.getvcpuinfo;
    return rc;
}

int xll_sched_credit_get(struct xll_handle *h, uint32_t domid,
                         struct xen_domctl_sched_credit *c)
{
    struct xen_domctl op;
    int rc;

    if ( !domid_ok(domid) )
        return -XEN_ESRCH;
    domctl_init(&op, XEN_DOMCTL_scheduler_op, domid);
    op.u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
    op.u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_getinfo;
    rc = domctl(h, &op, NULL, 0);
    if ( rc == 0 )
        *c = op.u.scheduler_op.credit;
    return rc;
}

int xll_sched_credit_set(struct xll_handle *h, uint32_t domid,
                         const struct xen_domctl_sched_credit *c)
{
    struct xen_domctl op;

    if ( !domid_ok(domid) )
        return -XEN_ESRCH;
    domctl_init(&op, XEN_DOMCTL_scheduler_op, domid);
    op.u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
    op.u.scheduler_op.cmd = XEN_DOMCTL_SCHEDOP_putinfo;
    op.u.scheduler_op.credit.weight = c->weight;
    op.u.scheduler_op.credit.cap = c->cap;
    return domctl(h, &op, NULL, 0);
}

static int sched_params(struct xll_handle *h, uint32_t cmd,
                        struct xen_sysctl_credit_schedule *p)
{
    struct xen_sysctl op;
    int rc;

    sysctl_init(&op, XEN_SYSCTL_scheduler_op);
    op.u.scheduler_op.sched_id = XEN_SCHEDULER_CREDIT;
    op.u.scheduler_op.cmd = cmd;
    op.u.scheduler_op.credit = *p;
    rc = sysctl(h, &op, NULL, 0);
    if ( rc == 0 )
        *p = op.u.scheduler_op.credit;
    return rc;
}

int xll_sched_params_get(struct xll_handle *h,
                         struct xen_sysctl_credit_schedule *p)
{
    memset(p, 0, sizeof(*p));
    return sched_params(h, XEN_SYSCTL_SCHEDOP_getinfo, p);
}

int xll_sched_params_set(struct xll_handle *h,
                         const struct xen_sysctl_credit_schedule *p)
{
    struct xen_sysctl_credit_schedule tmp = *p;

    return sched_params(h, XEN_SYSCTL_SCHEDOP_putinfo, &tmp);
}

int xll_console_read(struct xll_handle *h, uint32_t domid,
                     uint64_t *index, void *buf, uint32_t len)
{
    struct xen_domctl op;
    int rc;

    if ( !domid_ok(domid) )
        return -XEN_ESRCH;
    domctl_init(&op, XEN_DOMCTL_console_io, domid);
    op.u.console_io.cmd = XEN_DOMCTL_CONSOLE_READ;
    op.u.console_io.size = len;
    op.u.console_io.index = *index;
    op.u.console_io.buffer = (uintptr_t)buf;
    rc = domctl(h, &op, buf, len);
    if ( rc < 0 )
        return rc;
    if ( op.u.console_io.size > len )
        return -XEN_EIO;
    *index = op.u.console_io.index;
    return (int)op.u.console_io.size;
}

int xll_console_write(struct xll_handle *h, uint32_t domid,
                      const void *buf, uint32_t len)
{
    struct xen_domctl op;
    void *p = (void *)(uintptr_t)buf;
    int rc;

    if ( !domid_ok(domid) )
        return -XEN_ESRCH;
    if ( len > XEN_DOMCTL_COPY_MAX )
        len = XEN_DOMCTL_COPY_MAX;
    domctl_init(&op, XEN_DOMCTL_console_io, domid);
    op.u.console_io.cmd = XEN_DOMCTL_CONSOLE_WRITE;
    op.u.console_io.size = len;
    op.u.console_io.buffer = (uintptr_t)p;
    rc = domctl(h, &op, p, len);
    if ( rc < 0 )
        return rc;
    return op.u.console_io.size > len ? -XEN_EIO
                                      : (int)op.u.console_io.size;
}

int xll_readconsole(struct xll_handle *h, bool clear, bool incremental,
                    uint64_t *index, char *buf, uint32_t len)
{
    struct xen_sysctl op;
    int rc;

    sysctl_init(&op, XEN_SYSCTL_readconsole);
    op.u.readconsole.clear = clear;
    op.u.readconsole.incremental = incremental;
    op.u.readconsole.count = len;
    op.u.readconsole.index = index ? *index : 0;
    op.u.readconsole.buffer = (uintptr_t)buf;
    rc = sysctl(h, &op, buf, len);
    if ( rc < 0 )
        return rc;
    if ( op.u.readconsole.count > len )
        return -XEN_EIO;
    if ( index )
        *index = op.u.readconsole.index;
    return (int)op.u.readconsole.count;
}

int xll_physinfo(struct xll_handle *h, struct xen_sysctl_physinfo *pi)
{
    struct xen_sysctl op;
    int rc;

    sysctl_init(&op, XEN_SYSCTL_physinfo);
    rc = sysctl(h, &op, NULL, 0);
    if ( rc == 0 )
        *pi = op.u.physinfo;
    return rc;
}

int xll_debug_keys(struct xll_handle *h, const char *keys)
{
    struct xen_sysctl op;
    size_t len = strlen(keys);
    char *p = (char *)(uintptr_t)keys;

    if ( !len || len > XEN_SYSCTL_DEBUG_KEYS_MAX )
        return -XEN_EINVAL;
    sysctl_init(&op, XEN_SYSCTL_debug_keys);
    op.u.debug_keys.keys = (uintptr_t)p;
    op.u.debug_keys.nr_keys = len;
    return sysctl(h, &op, p, len);
}

static int irq_stats(struct xll_handle *h, uint32_t kind, uint32_t cpu,
                     uint32_t domid, uint32_t vcpu, void *buf, size_t len)
{
    struct xen_sysctl op;
    int rc;

    memset(buf, 0, len);
    sysctl_init(&op, XEN_SYSCTL_irq_stats);
    op.u.irq_stats.version = XEN_IRQ_STATS_VERSION;
    op.u.irq_stats.kind = kind;
    op.u.irq_stats.cpu = cpu;
    op.u.irq_stats.domid = domid;
    op.u.irq_stats.vcpu = vcpu;
    op.u.irq_stats.size = len;
    op.u.irq_stats.buffer = (uintptr_t)buf;
    rc = sysctl(h, &op, buf, len);
    return rc < 0 ? rc : 0;
}

int xll_irq_stats_pcpu(struct xll_handle *h, uint32_t cpu,
                       struct xen_irq_stats_pcpu *st)
{
    return irq_stats(h, XEN_IRQ_STATS_pcpu, cpu, 0, 0, st, sizeof(*st));
}

int xll_irq_stats_vcpu(struct xll_handle *h, uint32_t domid,
                       uint32_t vcpu, struct xen_irq_stats_vcpu *st)
{
    if ( !domid_ok(domid) )
        return -XEN_ESRCH;
    return irq_stats(h, XEN_IRQ_STATS_vcpu, 0, domid, vcpu, st,
                     sizeof(*st));
}
